"""Check and shape the training data of an L2 classifier: texts, labels, label-name examples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from strata.train.errors import InvalidTrainingData

# The fewest held-out examples a temperature or a threshold is fitted on, and the most: one
# number is well fitted on a few hundred, and every example held out is one the body never sees.
MIN_CALIBRATION = 20
MAX_CALIBRATION = 300


@dataclass(frozen=True)
class Examples:
    """Training texts (given ones first, then label names) and their targets.

    `targets` holds label indices (multi-class) or a 0/1 matrix, one column per label (multi-label).
    """

    texts: list[str]
    targets: NDArray[np.int64] | NDArray[np.float32]
    labels: list[str]
    multi_label: bool
    n_given: int


@dataclass(frozen=True)
class Augmented:
    """Examples plus word-level variants of few-shot ones, with source rows and weights."""

    base: Examples
    texts: list[str]
    targets: NDArray[np.int64] | NDArray[np.float32]
    groups: NDArray[np.int64]
    weights: NDArray[np.float32]


def label_text(label: str) -> str:
    """A label's name as a sentence: "card_arrival" -> "card arrival"."""
    return " ".join(label.replace("_", " ").replace("-", " ").split())


def prepare_examples(
    texts: Sequence[str],
    labels: Sequence[str] | Sequence[Sequence[str]],
    label_names: bool,
) -> Examples:
    """Validate the data and build the examples the trainer uses.

    Raises:
        InvalidTrainingData: empty data, a length mismatch, an empty text, fewer than 2 labels.
    """
    _check_shape(texts, labels)
    multi_label = not isinstance(labels[0], str)
    label_lists = [[str(x) for x in item] for item in labels] if multi_label else None
    flat = [x for item in label_lists for x in item] if label_lists else [str(x) for x in labels]
    names = sorted(set(flat))
    if len(names) < 2:
        raise InvalidTrainingData(
            f"A classifier needs at least 2 labels; the data has {len(names)}: {names}.",
            hint="Add examples of at least one more label, or check the label column.",
        )
    extra = [label_text(name) for name in names] if label_names else []
    index = {name: i for i, name in enumerate(names)}
    if label_lists is not None:
        matrix = np.zeros((len(texts) + len(extra), len(names)), dtype=np.float32)
        for row, item in enumerate(label_lists):
            matrix[row, [index[x] for x in item]] = 1.0
        if extra:
            matrix[len(texts) :, :] = np.eye(len(names), dtype=np.float32)
        targets: NDArray[np.int64] | NDArray[np.float32] = matrix
    else:
        given = [index[str(x)] for x in labels]
        targets = np.asarray(given + (list(range(len(names))) if extra else []), dtype=np.int64)
    return Examples([str(t) for t in texts] + extra, targets, names, multi_label, len(texts))


def _check_shape(texts: Sequence[str], labels: Sequence[str] | Sequence[Sequence[str]]) -> None:
    """Raise on empty data, a length mismatch, empty texts or mixed label kinds."""
    if len(texts) == 0:
        raise InvalidTrainingData(
            "No training examples: the texts are empty.",
            hint="Pass at least a few labelled texts per label.",
        )
    if len(texts) != len(labels):
        raise InvalidTrainingData(
            f"There are {len(texts)} texts but {len(labels)} labels.",
            hint="Give exactly one label (or one list of labels) per text.",
        )
    empty = [i for i, text in enumerate(texts) if not str(text).strip()]
    if empty:
        raise InvalidTrainingData(
            f"{len(empty)} text(s) are empty, first at row {empty[0]}.",
            hint="Drop empty rows before training.",
            rows=empty[:10],
        )
    kinds = Counter(isinstance(item, str) for item in labels)
    if len(kinds) > 1:
        raise InvalidTrainingData(
            "Labels mix single strings and lists.",
            hint="Use one string per text (multi-class) or one list per text (multi-label).",
        )
    if not isinstance(labels[0], str) and any(len(item) == 0 for item in labels):
        first = next(i for i, item in enumerate(labels) if len(item) == 0)
        raise InvalidTrainingData(
            f"Row {first} has an empty list of labels.",
            hint="Every multi-label example needs at least one label.",
        )


def augment(examples: Examples, variants: int, below: int, weight: float, seed: int) -> Augmented:
    """Add `variants` word-level edits of each example of a label with fewer than `below` examples.

    An edit deletes one word, swaps two neighbouring words, or deletes one or two words in a row; it
    teaches the head that a request keeps its intent when a word is missing or moved. The
    copies get `weight` and keep their source row, so cross-validation never splits them
    from it.
    """
    rng = np.random.default_rng(seed)
    counts = _label_counts(examples)
    texts, targets = list(examples.texts), [examples.targets]
    groups = list(range(len(texts)))
    rows: list[int] = []
    for row, text in enumerate(examples.texts):
        if variants and counts[row] < below and len(text.split()) >= 3:
            for variant in _variants(text, rng, variants):
                texts.append(variant)
                groups.append(row)
                rows.append(row)
    targets.append(examples.targets[np.asarray(rows, dtype=np.int64)])
    weights = np.ones(len(texts), dtype=np.float32)
    weights[len(examples.texts) :] = weight
    stacked = cast("NDArray[np.int64] | NDArray[np.float32]", np.concatenate(targets))
    return Augmented(examples, texts, stacked, np.asarray(groups, dtype=np.int64), weights)


def _label_counts(examples: Examples) -> NDArray[np.int64]:
    """For each example, how many examples its rarest label has."""
    targets = examples.targets
    if targets.ndim == 1:
        return np.bincount(targets.astype(np.int64), minlength=len(examples.labels))[targets]
    per_label = targets.sum(axis=0)
    return np.asarray([int(per_label[row > 0].min()) for row in targets], dtype=np.int64)


def _variants(text: str, rng: np.random.Generator, k: int) -> list[str]:
    """`k` random word-level edits of `text` (which has at least 3 words)."""
    words = text.split()
    out = []
    for _ in range(k):
        edited = list(words)
        operation = int(rng.integers(3))
        if operation == 0:
            del edited[int(rng.integers(len(edited)))]
        elif operation == 1:
            i = int(rng.integers(len(edited) - 1))
            edited[i], edited[i + 1] = edited[i + 1], edited[i]
        else:
            i = int(rng.integers(len(edited)))
            del edited[i : i + 1 + int(rng.integers(2))]
        out.append(" ".join(edited))
    return out


def calibration_rows(examples: Examples, fraction: float, seed: int) -> NDArray[np.int64]:
    """Given examples (no label names) kept out of body tuning to calibrate the head on.

    Multi-class: `round(fraction * n)` of each label's n examples, so a label with few examples
    keeps them all for tuning. Multi-label: that share of all given examples. Fewer than
    `MIN_CALIBRATION` in all is too few to fit a temperature on: none is held out then. More
    than `MAX_CALIBRATION` are cut to that many, drawn with the seed.
    """
    rng = np.random.default_rng(seed + 2)
    if examples.multi_label:
        chosen = rng.permutation(examples.n_given)[: round(fraction * examples.n_given)]
    else:
        given = examples.targets[: examples.n_given]
        chosen = np.concatenate(
            [
                rng.permutation(members)[: round(fraction * len(members))]
                for members in (np.flatnonzero(given == k) for k in range(len(examples.labels)))
            ]
        )
    if len(chosen) < MIN_CALIBRATION:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.permutation(chosen)[:MAX_CALIBRATION].astype(np.int64))
