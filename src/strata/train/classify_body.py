"""The encoder side of an L2 classifier: embed with a frozen body, or tune the body first.

Tuning trains the encoder and a cosine-similarity head together with cross-entropy
(label-smoothed; sigmoid cross-entropy for multi-label), the head starting from the
normalised class means of the frozen embeddings so the first steps already point the right way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from sentence_transformers import SentenceTransformer
from sentence_transformers.util import batch_to_device

from strata.models.backends.quiet import quiet_transformers

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class TuneSpec:
    """Hyper-parameters of body tuning (a subset of ClassifyOptions)."""

    epochs: int
    max_steps: int
    batch_size: int
    learning_rate: float
    head_learning_rate: float
    scale: float
    label_smoothing: float
    seed: int


def load_body(folder: Path, max_length: int) -> SentenceTransformer:
    """The encoder folder, offline, truncating texts to `max_length` tokens.

    It loads on the GPU when one is present, else on the CPU.
    """
    quiet_transformers()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(str(folder), device=device, local_files_only=True)
    model.max_seq_length = min(max_length, model.max_seq_length or max_length)
    return model


def embed(
    model: SentenceTransformer, texts: Sequence[str], batch_size: int = 64
) -> NDArray[np.float32]:
    """Unit-length embeddings, one row per text, in eval mode."""
    model.eval()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def class_means(
    x: NDArray[np.float32], targets: NDArray[np.int64] | NDArray[np.float32], n: int
) -> NDArray[np.float32]:
    """Unit-length mean embedding of each label's examples (multi-label: weighted by membership)."""
    member = (
        np.eye(n, dtype=np.float32)[targets] if targets.ndim == 1 else targets.astype(np.float32)
    )
    means = member.T @ x
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return np.asarray(means / np.maximum(norms, 1e-12), dtype=np.float32)


def _loss(
    logits: torch.Tensor, targets: torch.Tensor, multi_label: bool, smoothing: float
) -> torch.Tensor:
    if multi_label:
        soft = targets * (1 - smoothing) + 0.5 * smoothing
        return F.binary_cross_entropy_with_logits(logits, soft)
    return F.cross_entropy(logits, targets, label_smoothing=smoothing)


def _schedule(steps: int) -> Callable[[int], float]:
    """Linear warm-up over the first 10% of steps, then linear decay to zero."""
    warmup = max(1, steps // 10)
    return lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps)


def length_batches(
    lengths: Sequence[int], size: int, rng: np.random.Generator, group: int = 50
) -> list[NDArray[np.int64]]:
    """One epoch of batches whose texts have similar lengths, in random order.

    A batch is padded to its longest text, so mixing one long prompt into a batch of short ones
    makes the whole batch cost the long one. As Hugging Face's `group_by_length` does, the
    shuffled indices are cut into chunks of `group` batches, each chunk is sorted by length and
    split into batches, and the batches are shuffled.
    """
    order = rng.permutation(len(lengths))
    batches: list[NDArray[np.int64]] = []
    for start in range(0, len(order), size * group):
        chunk = order[start : start + size * group]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i : i + size] for i in range(0, len(chunk), size))
    return [batches[i] for i in rng.permutation(len(batches))]


def tune_body(
    model: SentenceTransformer,
    texts: Sequence[str],
    targets: NDArray[np.int64] | NDArray[np.float32],
    init_head: NDArray[np.float32],
    spec: TuneSpec,
    progress: Progress | None = None,
) -> int:
    """Fine-tune `model` in place on (texts, targets) with a cosine head; returns the steps run."""
    multi_label = targets.ndim == 2
    device = model.device
    head = torch.nn.Parameter(torch.from_numpy(init_head.copy()).to(device))
    bias = (
        torch.nn.Parameter(torch.zeros(init_head.shape[0], device=device)) if multi_label else None
    )
    head_params = [head] if bias is None else [head, bias]
    optimizer = torch.optim.AdamW(
        [
            {"params": list(model.parameters()), "lr": spec.learning_rate},
            {"params": head_params, "lr": spec.head_learning_rate, "weight_decay": 0.0},
        ],
        weight_decay=0.01,
    )
    per_epoch = -(-len(texts) // spec.batch_size)
    steps = min(spec.epochs * per_epoch, spec.max_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(steps))
    labels = torch.from_numpy(targets).float() if multi_label else torch.from_numpy(targets).long()
    labels = labels.to(device)
    rng = np.random.default_rng(spec.seed)
    lengths = [len(text) for text in texts]
    model.train()
    step = 0
    while step < steps:
        for batch in length_batches(lengths, spec.batch_size, rng):
            if step >= steps:
                break
            features = batch_to_device(model.preprocess([texts[i] for i in batch]), device)
            emb = F.normalize(model(features)["sentence_embedding"], dim=-1)
            logits = spec.scale * emb @ F.normalize(head, dim=-1).T
            if bias is not None:
                logits = logits + bias
            loss = _loss(logits, labels[batch], multi_label, spec.label_smoothing)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            scheduler.step()
            step += 1
            if progress is not None:
                progress("tune body", step / steps)
    model.eval()
    return steps


def link_folder(source: Path, target: Path) -> None:
    """Recreate `source` under `target` with hard links, copying where links are not possible."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:  # another file system, or links not allowed: a copy is as good
            shutil.copy2(path, dest)


def save_tuned(model: SentenceTransformer, target: Path) -> None:
    """Write the tuned encoder as a sentence-transformers folder with safetensors weights."""
    model.save(str(target), safe_serialization=True)
