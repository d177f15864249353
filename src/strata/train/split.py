"""Validation splits and few-shot samples, made from the training data with a fixed seed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from strata.train.errors import InvalidTrainingData

Index = NDArray[np.int64]


def _key(label: Any) -> str:
    return label if isinstance(label, str) else "|".join(label)


def _groups(labels: Sequence[Any]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[_key(label)].append(i)
    return dict(sorted(groups.items()))


def stratified_split(labels: Sequence[Any], fraction: float, seed: int) -> tuple[Index, Index]:
    """(train, validation) indices: `fraction` of each label in validation, at least one kept."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    val: list[int] = []
    for key, members in _groups(labels).items():
        if len(members) < 2:
            raise InvalidTrainingData(
                f"Label {key!r} has a single example; it cannot be both trained and validated.",
                hint="Add examples of that label (2 or more), or remove its row.",
                label=key,
            )
        order = rng.permutation(members)
        n_val = max(1, round(len(members) * fraction)) if len(members) > 2 else 1
        val.extend(int(i) for i in order[:n_val])
        train.extend(int(i) for i in order[n_val:])
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(val), dtype=np.int64)


def few_shots(train: Index, labels: Sequence[Any], shots: int, seed: int) -> Index:
    """Up to `shots` training examples per label, chosen with the seed."""
    rng = np.random.default_rng(seed + 1)
    chosen: list[int] = []
    for members in _groups([labels[i] for i in train]).values():
        picked = rng.permutation(members)[:shots]
        chosen.extend(int(train[i]) for i in picked)
    return np.array(sorted(chosen), dtype=np.int64)
