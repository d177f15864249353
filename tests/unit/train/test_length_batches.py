"""Body tuning batches texts of similar lengths together, each text once per epoch."""

from __future__ import annotations

import numpy as np

from strata.train.classify_body import length_batches


def test_every_text_once_per_epoch_in_full_batches() -> None:
    lengths = list(np.random.default_rng(1).integers(5, 2000, size=1003))
    batches = length_batches(lengths, 32, np.random.default_rng(0))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(1003))
    assert len(batches) == -(-1003 // 32)
    assert sum(len(b) < 32 for b in batches) <= 1


def test_batches_hold_similar_lengths() -> None:
    rng = np.random.default_rng(2)
    lengths = list(rng.integers(5, 2000, size=3200))
    grouped = length_batches(lengths, 32, np.random.default_rng(0), group=100)
    spread = np.median([np.ptp([lengths[i] for i in b]) for b in grouped])
    shuffled = np.array_split(rng.permutation(3200), 100)
    random_spread = np.median([np.ptp([lengths[i] for i in b]) for b in shuffled])
    assert spread < random_spread / 10


def test_the_order_depends_on_the_seed_only() -> None:
    lengths = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    first = length_batches(lengths, 4, np.random.default_rng(7))
    again = length_batches(lengths, 4, np.random.default_rng(7))
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
