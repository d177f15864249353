"""fit_head's cross-validated choice between the plain head and the one with lexical features."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from strata.train.classify_head import Rows, fit_head


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
