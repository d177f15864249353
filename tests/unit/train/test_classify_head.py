"""fit_head's cross-validated choice between the plain head and the one with lexical features."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import sparse

from strata.train.classify_head import Rows, calibrate_on, fit_head


def _rows(signal_in_embedding: bool, seed: int = 0) -> Rows:
    """60 rows of 3 labels; the label shows in the embedding or in the terms, never both."""
    rng = np.random.default_rng(seed)
    targets = np.repeat(np.arange(3), 20)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    terms = rng.random((60, 30)) < 0.1
    if signal_in_embedding:
        x[np.arange(60), targets] += 4.0
    else:
        terms[np.arange(60), targets] = True
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    lexical = sparse.csr_matrix(terms.astype(np.float32))
    n = len(targets)
    return Rows(x, targets, np.arange(n), np.ones(n, np.float32), 3, False, lexical)


def test_cv_keeps_the_lexical_block_when_the_terms_carry_the_label() -> None:
    head = fit_head(_rows(signal_in_embedding=False), (1.0, 10.0), seed=0, dense_scale=2.0)
    assert head.lexical_weight is not None and head.lexical_weight.shape == (3, 30)
    assert head.cv_accuracy is not None and head.cv_accuracy > 0.9


def test_cv_drops_the_lexical_block_when_it_adds_nothing() -> None:
    head = fit_head(_rows(signal_in_embedding=True), (1.0, 10.0), seed=0, dense_scale=2.0)
    assert head.lexical_weight is None
    assert head.cv_accuracy is not None and head.cv_accuracy > 0.9


def test_lexical_only_keeps_the_block_and_folds_the_scale_back() -> None:
    rows = _rows(signal_in_embedding=True)
    head = fit_head(rows, (1.0,), seed=0, dense_scale=2.0, lexical_only=True)
    assert head.lexical_weight is not None
    logits = rows.x @ head.weight.T + head.bias + rows.lexical @ head.lexical_weight.T
    assert (np.asarray(logits).argmax(axis=1) == rows.targets).mean() > 0.9


def test_held_out_calibration_softens_an_over_confident_head() -> None:
    """Rows a tuned body has seen separate cleanly; rows it has not are noisier. The
    temperature fitted on the unseen ones is higher, and the weights do not move."""
    rows = _rows(signal_in_embedding=True)
    held = np.arange(0, 60, 4)  # 15 rows, 5 of each label
    noisy = rows.x.copy()
    rng = np.random.default_rng(1)
    noisy[held] = rng.normal(size=(len(held), 8)).astype(np.float32)
    noisy[held, rows.targets[held]] += 1.0
    noisy[held] /= np.linalg.norm(noisy[held], axis=1, keepdims=True)
    rows = replace(rows, x=noisy, lexical=None)
    head = fit_head(rows, (10.0,), seed=0)
    calibrated = calibrate_on(rows, head, held, dense_scale=2.0)
    assert calibrated.temperature > head.temperature
    np.testing.assert_array_equal(calibrated.weight, head.weight)
    assert calibrated.c == head.c and calibrated.lexical_weight is None
