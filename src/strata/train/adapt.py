"""`strata train adapt`: an L0 encoder further trained on one industry's data becomes an L1.

Unlabelled text trains with in-batch-negatives contrastive learning on dropout views (SimCSE);
pooled labelled data with same-label pairs (supervised contrastive); stated pairs directly. All use
sentence-transformers' MultipleNegativesRankingLoss, symmetric in both directions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from strata.compute.base import Job, Resources
from strata.models.backends.quiet import quiet_transformers
from strata.models.layers import Layer, ModelKind, Source
from strata.models.store import TRAINED_BACKENDS, NewModel
from strata.train.data import DataVersion, read_columns, texts_and_labels
from strata.train.errors import InvalidJobSpec, InvalidTrainingData
from strata.train.pairs import Pair, batches, given_pairs, label_pairs, self_pairs
from strata.train.spec import AdaptSpec, parse_columns
from strata.train.workspace import Progress, TrainResult, Workspace, no_progress


def collect_pairs(ws: Workspace, spec: AdaptSpec) -> tuple[list[Pair], list[DataVersion]]:
    """Training pairs from every source the spec names, with the dataset versions read."""
    rng = np.random.default_rng(spec.seed)
    pairs: list[Pair] = []
    versions: list[DataVersion] = []
    if spec.corpus:
        ref = parse_columns(spec.corpus, 1, "--corpus")
        frame, version = read_columns(ws.lake, ref, "corpus")
        pairs += self_pairs([str(t) for t in frame[ref.columns[0]]], spec.max_pairs, rng)
        versions.append(version)
    if spec.labels:
        ref = parse_columns(spec.labels, 2, "--labels")
        frame, version = read_columns(ws.lake, ref, "labels")
        texts, labels = texts_and_labels(frame, *ref.columns)
        pairs += label_pairs(texts, [str(x) for x in labels], spec.max_pairs, rng)
        versions.append(version)
    if spec.pairs:
        ref = parse_columns(spec.pairs, 2, "--pairs")
        frame, version = read_columns(ws.lake, ref, "pairs")
        a, b = ([str(t) for t in frame[c]] for c in ref.columns)
        pairs += given_pairs(a, b, spec.max_pairs, rng)
        versions.append(version)
    if len(pairs) < 2:
        raise InvalidTrainingData(
            f"Adapting found {len(pairs)} training pairs; it needs at least 2.",
            hint="Give more text: a corpus column, or labels with 2+ examples per label.",
        )
    return pairs, versions


def train_encoder(
    base: Path,
    pairs: list[Pair],
    out: Path,
    spec: AdaptSpec,
    device: str,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Fine-tune the encoder on the pairs and save it (safetensors) in `out`."""
    quiet_transformers()
    torch.manual_seed(spec.seed)
    rng = np.random.default_rng(spec.seed)
    model = SentenceTransformer(str(base), device=device, local_files_only=True)
    loss_fn = MultipleNegativesRankingLoss(model, directions=("query_to_doc", "doc_to_query"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.learning_rate)
    steps_per_epoch = max(1, len(pairs) // spec.batch_size)
    total, step, losses, started = steps_per_epoch * spec.epochs, 0, [], time.perf_counter()
    model.train()
    for _ in range(spec.epochs):
        for batch in batches(pairs, spec.batch_size, rng):
            features = [
                _features(model, [p.anchor for p in batch], device),
                _features(model, [p.positive for p in batch], device),
            ]
            loss = loss_fn(features, None)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            step += 1
            progress("adapt", min(1.0, step / total))
    model.eval()
    model.save(str(out), create_model_card=False)
    return {
        "pairs": len(pairs),
        "steps": step,
        "device": device,
        "first_loss": losses[0] if losses else None,
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _features(model: SentenceTransformer, texts: list[str], device: str) -> dict[str, Any]:
    features = model.preprocess(texts)
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}


def adapt(ws: Workspace, spec: AdaptSpec, progress: Progress = no_progress) -> TrainResult:
    """Train (or find, when the same job already ran) an L1 encoder from an L0 encoder."""
    assert spec.base is not None
    base = ws.store.resolve(spec.base)
    if base.kind != ModelKind.ENCODER:
        raise InvalidJobSpec(
            f"Base {base.ref} is a {base.kind.value}, not an encoder.",
            hint="Adapt an encoder such as l0/minilm-l6.",
        )
    pairs, versions = collect_pairs(ws, spec)
    key = spec.key(base=base.ref, data=[v.to_dict() for v in versions])
    found = ws.store.find_job(Layer.L1_INDUSTRY, spec.name, key)
    if found is not None:
        return TrainResult(found, False, {})
    built = ws.scratch()
    device = ws.engine.device()
    facts = ws.engine.run(
        Job(
            f"adapt:{spec.name}",
            train_encoder,
            (Path(base.uri), pairs, built, spec, device, progress),
            resources=Resources(cpus=2, gpus=1.0 if device == "cuda" else 0.0),
        )
    )
    new = NewModel(
        layer=Layer.L1_INDUSTRY,
        name=spec.name,
        kind=ModelKind.ENCODER,
        backend=TRAINED_BACKENDS[ModelKind.ENCODER],
        source=Source.TRAINED,
        uri="",
        parent_id=base.id,
        details={
            "job_key": key,
            "spec": spec.model_dump(mode="json"),
            "data": [v.to_dict() for v in versions],
            "training": facts,
        },
        metrics={"train_loss": facts["final_loss"]} if facts["final_loss"] is not None else {},
    )
    record = ws.store.add_trained(new, built, ws.root)
    ws.write_card(record)
    return TrainResult(record, True, {})
