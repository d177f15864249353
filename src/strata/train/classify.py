"""Train an L2 text classifier on a sentence-transformers body (what `strata train tune` calls).

The artifact is a folder with no pickle: `body/` (the encoder as used), `head.safetensors`
(`weight`, `bias`, and `lexical_weight` with lexical features), `head.json` (labels, task,
temperature or threshold) and, with lexical features, `lexical.json` (terms and idf). The
`strata-head` backend (`strata.models.backends.head`) loads it. docs/train-classify.md explains
the method and its defaults.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors.numpy import save_file

from strata.models.lexical import LexicalFeatures
from strata.train.classify_body import (
    TuneSpec,
    class_means,
    embed,
    link_folder,
    load_body,
    save_tuned,
    tune_body,
)
from strata.train.classify_data import (
    Augmented,
    Examples,
    augment,
    calibration_rows,
    prepare_examples,
)
from strata.train.classify_head import Head, Rows, calibrate_on, fit_head
from strata.train.errors import InvalidJobSpec

ARTIFACT_FORMAT = 1
LEXICAL_ARTIFACT_FORMAT = 2
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ClassifyOptions:
    """How to train an L2 classifier; every field has a tested default.

    Args:
        mode: `fast` freezes the body and fits the head on cached embeddings (seconds);
            `body` first fine-tunes the encoder with a cosine head, then fits the head.
        seed: seeds shuffling, folds and weight updates; same seed, same data, same model.
        label_names: add each label's name ("card_arrival" -> "card arrival") as one more example.
        epochs: passes over the examples when tuning the body.
        max_steps: cap on body-tuning steps, so large data sets stay within a time budget.
        batch_size: examples per body-tuning step.
        learning_rate: AdamW learning rate of the encoder.
        head_learning_rate: AdamW learning rate of the cosine head while tuning the body.
        scale: the cosine head's logit scale (an inverse temperature) while tuning.
        label_smoothing: cross-entropy label smoothing while tuning.
        c_grid: candidates for the head's inverse regularisation C, chosen by cross-validation.
        augment_variants: word-level variants added per example of a few-shot label (0: none).
        augment_below: a label with fewer examples than this counts as few-shot.
        augment_weight: the weight of each variant in the head's loss (an original weighs 1).
        max_length: tokens kept per text.
        lexical: TF-IDF word 1-2 grams beside the embedding in the head: `auto` lets the
            head's cross-validation choose with or without them, `on` always, `off` never.
        lexical_dense_scale: how much more the embedding weighs than the TF-IDF block in the
            head's penalty (the embedding is multiplied by it while fitting).
        calibration_fraction: in `body` mode, the share of each label's examples kept out of
            body tuning; the head's temperature (or threshold) is fitted on their logits, since
            a body tuned on an example scores it over-confidently. 0 calibrates out of fold on
            every example, as the fast path does.
    """

    mode: Literal["fast", "body"] = "fast"
    seed: int = 0
    label_names: bool = True
    epochs: int = 3
    max_steps: int = 2000
    batch_size: int = 32
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    scale: float = 20.0
    label_smoothing: float = 0.1
    c_grid: tuple[float, ...] = (1.0, 10.0, 100.0)
    augment_variants: int = 4
    augment_below: int = 30
    augment_weight: float = 0.5
    max_length: int = 128
    lexical: Literal["auto", "on", "off"] = "auto"
    lexical_dense_scale: float = 2.0
    calibration_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.mode not in ("fast", "body"):
            _bad("mode", self.mode, "use 'fast' (frozen body) or 'body' (tune the encoder)")
        if self.lexical not in ("auto", "on", "off"):
            _bad("lexical", self.lexical, "use 'auto' (chosen by CV), 'on' or 'off'")
        for name in ("epochs", "max_steps", "batch_size", "max_length"):
            if int(getattr(self, name)) < 1:
                _bad(name, getattr(self, name), "use a whole number of 1 or more")
        for name in ("learning_rate", "head_learning_rate", "scale", "lexical_dense_scale"):
            if not float(getattr(self, name)) > 0:
                _bad(name, getattr(self, name), "use a number above 0")
        if not 0.0 <= self.label_smoothing < 1.0:
            _bad("label_smoothing", self.label_smoothing, "use a number in [0, 1)")
        if not self.c_grid or any(not c > 0 for c in self.c_grid):
            _bad("c_grid", self.c_grid, "give one or more positive values of C, e.g. (1, 10, 100)")
        if self.augment_variants < 0 or self.augment_below < 0:
            _bad("augment_variants", self.augment_variants, "use 0 (no variants) or more")
        if not 0.0 < self.augment_weight <= 1.0:
            _bad("augment_weight", self.augment_weight, "use a number in (0, 1]")
        if not 0.0 <= self.calibration_fraction <= 0.5:
            _bad("calibration_fraction", self.calibration_fraction, "use a number in [0, 0.5]")

    def tune_spec(self) -> TuneSpec:
        """The body-tuning subset of these options."""
        return TuneSpec(
            epochs=self.epochs,
            max_steps=self.max_steps,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            head_learning_rate=self.head_learning_rate,
            scale=self.scale,
            label_smoothing=self.label_smoothing,
            seed=self.seed,
        )


def _bad(name: str, value: object, hint: str) -> None:
    raise InvalidJobSpec(f"Classifier option {name}={value!r} is not valid.", hint=hint)


def train_classifier(
    body: Path,
    texts: Sequence[str],
    labels: Sequence[str] | Sequence[Sequence[str]],
    out_dir: Path,
    options: ClassifyOptions,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train a classifier on `body` and write its artifact into `out_dir`.

    Args:
        body: a sentence-transformers (or plain Hugging Face encoder) folder, L0 or L1.
        texts: training texts.
        labels: one label per text (multi-class) or a list of labels per text (multi-label).
        out_dir: where `body/`, `head.safetensors` and `head.json` are written.
        options: hyper-parameters.
        progress: called with (stage, fraction done) as training advances.

    Returns:
        JSON-ready training facts: counts, mode, chosen hyper-parameters, seconds.

    Raises:
        InvalidTrainingData: empty or mismatched data, fewer than 2 labels, empty texts.
    """
    started = time.perf_counter()
    report = progress or _silent
    examples = prepare_examples(texts, labels, options.label_names)
    torch.manual_seed(options.seed)
    model = load_body(body, options.max_length)
    tuned_steps = 0
    held = np.zeros(0, dtype=np.int64)
    if options.mode == "body":
        held = calibration_rows(examples, options.calibration_fraction, options.seed)
        tuned_steps = _tune(model, examples, held, options, report)
    augmented = augment(
        examples,
        options.augment_variants,
        options.augment_below,
        options.augment_weight,
        options.seed,
    )
    report("embed", 0.0)
    features = embed(model, augmented.texts)
    report("embed", 1.0)
    lexical = None
    if options.lexical != "off":
        lexical = LexicalFeatures.fit_or_none(augmented.texts)
    rows = _rows(features, augmented, lexical)
    head = fit_head(
        rows,
        options.c_grid,
        options.seed,
        dense_scale=options.lexical_dense_scale,
        lexical_only=options.lexical == "on",
    )
    if held.size:
        head = calibrate_on(rows, head, held, options.lexical_dense_scale)
    if head.lexical_weight is None:
        lexical = None  # cross-validation preferred the head without the lexical block
    report("fit head", 1.0)
    _write(out_dir, body, model, examples, head, options, lexical)
    report("write", 1.0)
    facts = _facts(examples, head, options, tuned_steps, time.perf_counter() - started)
    facts["augmented_examples"] = len(augmented.texts) - len(examples.texts)
    facts["calibration"] = f"{held.size} held-out examples" if held.size else "out of fold"
    facts["lexical_terms"] = lexical.size if lexical is not None else 0
    return facts


def _tune(
    model: Any,
    examples: Examples,
    held: NDArray[np.int64],
    options: ClassifyOptions,
    report: Progress,
) -> int:
    """Tune the body on every example but the `held` calibration rows; returns the steps run."""
    keep = np.ones(len(examples.texts), dtype=bool)
    keep[held] = False
    texts = [text for text, kept in zip(examples.texts, keep, strict=True) if kept]
    targets = examples.targets[keep]
    report("embed", 0.0)
    init = class_means(embed(model, texts), targets, len(examples.labels))
    return tune_body(model, texts, targets, init, options.tune_spec(), report)


def _rows(
    features: NDArray[np.float32], augmented: Augmented, lexical: LexicalFeatures | None
) -> Rows:
    """The head's training rows from embedded (augmented) examples."""
    base = augmented.base
    return Rows(
        features,
        augmented.targets,
        augmented.groups,
        augmented.weights,
        len(base.labels),
        base.multi_label,
        lexical.transform(augmented.texts) if lexical is not None else None,
    )


def _silent(stage: str, fraction: float) -> None:
    """The progress callback used when the caller gives none."""


def _write(
    out_dir: Path,
    body: Path,
    model: Any,
    examples: Examples,
    head: Head,
    options: ClassifyOptions,
    lexical: LexicalFeatures | None,
) -> None:
    """Write body/, head.safetensors, head.json (and lexical.json) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if options.mode == "body":
        save_tuned(model, out_dir / "body")
    else:
        link_folder(body, out_dir / "body")
    tensors = {"weight": np.ascontiguousarray(head.weight), "bias": np.ascontiguousarray(head.bias)}
    if lexical is not None and head.lexical_weight is not None:
        tensors["lexical_weight"] = np.ascontiguousarray(head.lexical_weight)
        lexical.save(out_dir)
    save_file(tensors, str(out_dir / "head.safetensors"))
    meta = {
        "format": ARTIFACT_FORMAT if lexical is None else LEXICAL_ARTIFACT_FORMAT,
        "lexical": lexical is not None,
        "labels": examples.labels,
        "multi_label": examples.multi_label,
        "normalize": True,
        "temperature": head.temperature,
        "threshold": head.threshold,
        "max_length": options.max_length,
    }
    (out_dir / "head.json").write_text(json.dumps(meta, indent=2) + "\n")


def _facts(
    examples: Examples,
    head: Head,
    options: ClassifyOptions,
    tuned_steps: int,
    seconds: float,
) -> dict[str, Any]:
    """The JSON-ready summary `train_classifier` returns."""
    chosen = asdict(options)
    chosen["c_grid"] = list(options.c_grid)
    return {
        "task": "multi_label" if examples.multi_label else "multi_class",
        "examples": examples.n_given,
        "label_name_examples": len(examples.texts) - examples.n_given,
        "labels": len(examples.labels),
        "mode": options.mode,
        "options": chosen,
        "head_c": head.c,
        "head_cv_accuracy": head.cv_accuracy,
        "temperature": head.temperature,
        "threshold": head.threshold,
        "body_steps": tuned_steps,
        "seconds": round(seconds, 2),
    }
