"""The linear head of an L2 classifier: L2-regularised logistic regression on unit embeddings.

One fitter serves both tasks: softmax cross-entropy (multi-class) or independent sigmoids
(multi-label). The regularisation C is chosen by stratified k-fold cross-validation on the
training examples, and the out-of-fold logits calibrate a temperature (multi-class) or a
decision threshold (multi-label). Optional lexical features (a sparse TF-IDF block) join the
embeddings in the same objective: logits = x @ W.T + tfidf @ L.T + b.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from scipy import sparse

from strata.train.classify_linear import FloatArray, Linear, fit_linear

__all__ = ["Head", "Linear", "Rows", "calibrate_on", "fit_head", "fit_linear"]


@dataclass(frozen=True)
class Head:
    """A fitted head: logits = embeddings @ weight.T (+ tfidf @ lexical_weight.T) + bias.

    Multi-class logits are divided by the temperature.
    """

    weight: FloatArray
    bias: FloatArray
    c: float
    temperature: float = 1.0
    threshold: float = 0.5
    cv_accuracy: float | None = None
    lexical_weight: FloatArray | None = None


def _folds(
    targets: NDArray[np.int64] | FloatArray, n_folds: int, seed: int, multi_label: bool
) -> list[NDArray[np.int64]]:
    """Fold index arrays over `targets`; multi-class folds are stratified per class."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(targets), dtype=np.int64)
    if multi_label:
        fold_of[rng.permutation(len(targets))] = np.arange(len(targets)) % n_folds
    else:
        offset = 0
        for label in np.unique(targets):
            members = rng.permutation(np.flatnonzero(targets == label))
            fold_of[members] = (np.arange(len(members)) + offset) % n_folds
            offset += len(members)
    return [np.flatnonzero(fold_of == k) for k in range(n_folds)]


@dataclass(frozen=True)
class Rows:
    """Training rows for the head: features, targets, source rows (groups) and weights.

    Rows whose group is their own index are originals; the others are augmented copies,
    which always stay on the training side of a fold with their source.
    """

    x: FloatArray
    targets: NDArray[np.int64] | FloatArray
    groups: NDArray[np.int64]
    weights: FloatArray
    n_labels: int
    multi_label: bool
    lexical: sparse.csr_matrix | None = None

    def lexical_rows(
        self, index: NDArray[np.int64] | NDArray[np.bool_]
    ) -> sparse.csr_matrix | None:
        """The lexical features of the rows at `index` (None without lexical features)."""
        return None if self.lexical is None else self.lexical[index]

    @property
    def originals(self) -> NDArray[np.int64]:
        """Indices of the rows that are not augmented copies."""
        return np.flatnonzero(self.groups == np.arange(len(self.groups)))


def out_of_fold_logits(rows: Rows, c: float, folds: Sequence[NDArray[np.int64]]) -> FloatArray:
    """Logits of each original row from a head fitted without its fold (and its copies)."""
    originals = rows.originals
    logits = np.zeros((len(originals), rows.n_labels), dtype=np.float32)
    for held in folds:
        keep = ~np.isin(rows.groups, originals[held])
        linear = fit_linear(
            rows.x[keep],
            rows.targets[keep],
            rows.n_labels,
            c,
            rows.multi_label,
            rows.weights[keep],
            rows.lexical_rows(keep),
        )
        index = originals[held]
        logits[held] = linear.logits(rows.x[index], rows.lexical_rows(index))
    return logits


def _score(logits: FloatArray, targets: NDArray[np.int64] | FloatArray, multi_label: bool) -> float:
    """Accuracy (multi-class) or the share of right 0/1 label decisions (multi-label)."""
    if multi_label:
        truth = np.asarray(targets, dtype=np.float32) > 0.5
        return float(((logits > 0) == truth).mean())
    return float((logits.argmax(axis=1) == targets).mean())


def fit_temperature(logits: FloatArray, targets: NDArray[np.int64]) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T)."""
    lt = torch.from_numpy(logits).double()
    yt = torch.from_numpy(np.asarray(targets)).long()
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(lt / log_t.exp(), yt)
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def fit_threshold(logits: FloatArray, targets: FloatArray) -> float:
    """The sigmoid threshold (on a 0.05 grid) with the best micro-F1 out of fold."""
    probs = 1.0 / (1.0 + np.exp(-logits))
    truth = targets > 0.5
    best, best_f1 = 0.5, -1.0
    for threshold in np.arange(0.1, 0.91, 0.05):
        chosen = probs >= threshold
        tp = float((chosen & truth).sum())
        f1 = 2 * tp / max(float(chosen.sum() + truth.sum()), 1.0)
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(threshold, 2)), f1
    return best


def fit_head(
    rows: Rows,
    grid: Sequence[float],
    seed: int,
    dense_scale: float = 1.0,
    lexical_only: bool = False,
) -> Head:
    """Choose the head by k-fold CV, calibrate on the out-of-fold logits, refit on all.

    The candidates are every C of `grid`, each without and (when `rows` has lexical features)
    with the lexical block. Folds split the original rows; augmented copies follow their source.
    Ties go to the simpler head: no lexical block, then the smaller C. With too few examples
    per label for 2 folds, the first candidate is fitted (no lexical block unless
    `lexical_only`), C is the last of the grid and no calibration happens (temperature 1,
    threshold 0.5). `dense_scale` multiplies the embeddings while fitting with the lexical block
    (a weaker penalty on their weights than on the term weights); it is folded back into the
    returned weight, so the head applies to plain unit embeddings. `lexical_only` drops the
    candidates without the lexical block.
    """
    variants = [(replace(rows, lexical=None), 1.0)]
    if rows.lexical is not None:
        with_terms = (replace(rows, x=rows.x * np.float32(dense_scale)), dense_scale)
        variants = [with_terms] if lexical_only else [*variants, with_terms]
    with _one_thread():
        return _fit_head(variants, grid, seed)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread: L-BFGS makes many small steps, which threads only slow down.

    Measured on a busy 2-core machine: 0.1 s on one thread against 13 s on two for a tiny head,
    5 s against 45 s for 77 labels x 3,500 rows.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit_head(variants: list[tuple[Rows, float]], grid: Sequence[float], seed: int) -> Head:
    """The body of `fit_head`: `variants` are (rows, dense scale), the simplest first."""
    first, first_scale = variants[0]
    truth = first.targets[first.originals]
    n_folds = _n_folds(truth, first.multi_label)
    if n_folds < 2:
        return _final(first, first_scale, grid[-1])
    folds = _folds(truth, n_folds, seed, first.multi_label)
    candidates = [(rows, scale, c) for rows, scale in variants for c in grid]
    results = []
    for rows, _, c in candidates:
        logits = out_of_fold_logits(rows, c, folds)
        results.append((_score(logits, truth, rows.multi_label), logits))
    top = max(score for score, _ in results)
    # Ties go to the simpler head: candidates run from the plainest, most regularised one.
    index = next(i for i, (score, _) in enumerate(results) if score >= top - 1e-9)
    (rows, scale, c), (score, logits) = candidates[index], results[index]
    head = replace(_final(rows, scale, c), cv_accuracy=score)
    if rows.multi_label:
        return replace(head, threshold=fit_threshold(logits, np.asarray(truth, dtype=np.float32)))
    return replace(head, temperature=fit_temperature(logits, np.asarray(truth, dtype=np.int64)))


def calibrate_on(rows: Rows, head: Head, held: NDArray[np.int64], dense_scale: float) -> Head:
    """Refit `head`'s temperature (or threshold) on the original rows `held`.

    Their logits come from the same kind of head (its C, with or without the lexical block)
    fitted on every other row, the held rows' variants left out too. The weights stay.
    """
    if head.lexical_weight is None:
        chosen = replace(rows, lexical=None)
    else:
        chosen = replace(rows, x=rows.x * np.float32(dense_scale))
    with _one_thread():
        logits = out_of_fold_logits(chosen, head.c, [held])[held]
    truth = rows.targets[held]
    if rows.multi_label:
        return replace(head, threshold=fit_threshold(logits, np.asarray(truth, dtype=np.float32)))
    return replace(head, temperature=fit_temperature(logits, np.asarray(truth, dtype=np.int64)))


def _final(rows: Rows, scale: float, c: float) -> Head:
    """The head fitted on every row, its dense weight rescaled to plain unit embeddings."""
    linear = _fit_all(rows, c)
    weight = linear.weight * np.float32(scale)
    return Head(weight, linear.bias, c=c, lexical_weight=linear.lexical)


def _fit_all(rows: Rows, c: float) -> Linear:
    """The head fitted on every row."""
    return fit_linear(
        rows.x, rows.targets, rows.n_labels, c, rows.multi_label, rows.weights, rows.lexical
    )


def _n_folds(targets: NDArray[np.int64] | FloatArray, multi_label: bool) -> int:
    """Up to 4 folds, no more than the rarest class has examples (multi-class)."""
    if multi_label:
        return min(4, len(targets) // 2)
    smallest = int(np.bincount(np.asarray(targets, dtype=np.int64)).min())
    return min(4, smallest)
