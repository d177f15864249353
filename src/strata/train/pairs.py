"""Training pairs for adapting an encoder, batched so in-batch negatives are true negatives."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Pair:
    """Two texts that should embed close; pairs of one `group` never share a batch."""

    anchor: str
    positive: str
    group: str


def self_pairs(texts: Sequence[str], cap: int, rng: np.random.Generator) -> list[Pair]:
    """Unlabelled text paired with itself: dropout makes the two views differ (SimCSE)."""
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    chosen = rng.permutation(len(unique))[:cap]
    return [Pair(unique[i], unique[i], f"text:{i}") for i in chosen]


def label_pairs(
    texts: Sequence[str], labels: Sequence[str], cap: int, rng: np.random.Generator
) -> list[Pair]:
    """Each text with another text of the same label (supervised contrastive pairs)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(texts, labels, strict=True):
        by_label[label].append(text)
    pairs = []
    for label, members in sorted(by_label.items()):
        if len(members) < 2:
            continue
        partners = rng.permutation(len(members))
        for i, j in enumerate(partners):
            if i == j:
                j = (j + 1) % len(members)
            pairs.append(Pair(members[i], members[j], f"label:{label}"))
    order = rng.permutation(len(pairs))[:cap]
    return [pairs[i] for i in order]


def given_pairs(
    a: Sequence[str], b: Sequence[str], cap: int, rng: np.random.Generator
) -> list[Pair]:
    """Pairs the data states directly (a question and its answer, a title and its text)."""
    order = rng.permutation(len(a))[:cap]
    return [Pair(a[i], b[i], f"pair:{i}") for i in order]


def batches(pairs: list[Pair], size: int, rng: np.random.Generator) -> Iterator[list[Pair]]:
    """Shuffled batches in which no two pairs share a group (so no false negatives)."""
    pending = [pairs[i] for i in rng.permutation(len(pairs))]
    while pending:
        batch: list[Pair] = []
        groups: set[str] = set()
        rest: list[Pair] = []
        for pair in pending:
            if len(batch) < size and pair.group not in groups:
                batch.append(pair)
                groups.add(pair.group)
            else:
                rest.append(pair)
        if len(batch) < 2:
            return
        yield batch
        pending = rest
