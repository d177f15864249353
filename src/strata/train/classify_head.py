"""The linear head of an L2 classifier: L2-regularised logistic regression on unit embeddings.

One fitter serves both tasks: softmax cross-entropy (multi-class) or independent sigmoids
(multi-label). The regularisation C is chosen by stratified k-fold cross-validation on the
training examples, and the out-of-fold logits calibrate a temperature (multi-class) or a
decision threshold (multi-label).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]


@dataclass(frozen=True)
class Head:
    """A fitted head: logits = embeddings @ weight.T + bias, divided by the temperature."""

    weight: FloatArray
    bias: FloatArray
    c: float
    temperature: float = 1.0
    threshold: float = 0.5
    cv_accuracy: float | None = None


def _loss(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor, multi_label: bool
) -> torch.Tensor:
    if multi_label:
        per_row = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(1)
    else:
        per_row = F.cross_entropy(logits, targets, reduction="none")
    return (per_row * weights).sum()


def fit_linear(
    x: FloatArray,
    targets: NDArray[np.int64] | FloatArray,
    n_labels: int,
    c: float,
    multi_label: bool,
    weights: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Minimise C * sum(w * loss) + ||W||^2 / 2 with L-BFGS (scikit-learn's objective).

    The bias is not penalised.

    Args:
        x: (n, d) embeddings.
        targets: class indices (n,) for multi-class, a 0/1 matrix (n, n_labels) for multi-label.
        n_labels: number of labels.
        c: inverse regularisation strength.
        multi_label: sigmoid per label instead of one softmax.
        weights: per-example weights (1 when omitted).
    """
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(targets))
    yt = yt.float() if multi_label else yt.long()
    wt = torch.ones(len(xt))
    if weights is not None:
        wt = torch.from_numpy(np.asarray(weights, dtype=np.float32))
    weight = torch.zeros(n_labels, xt.shape[1], requires_grad=True)
    bias = torch.zeros(n_labels, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1.0, max_iter=200, tolerance_grad=1e-4, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        objective = c * _loss(xt @ weight.T + bias, yt, wt, multi_label) + 0.5 * weight.pow(2).sum()
        objective.backward()  # type: ignore[no-untyped-call]
        return objective

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return weight.detach().numpy(), bias.detach().numpy()


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
        weight, bias = fit_linear(
            rows.x[keep], rows.targets[keep], rows.n_labels, c, rows.multi_label, rows.weights[keep]
        )
        logits[held] = rows.x[originals[held]] @ weight.T + bias
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


def fit_head(rows: Rows, grid: Sequence[float], seed: int) -> Head:
    """Choose C from `grid` by k-fold CV, calibrate on the out-of-fold logits, refit on all.

    Folds split the original rows; augmented copies follow their source. With too few
    examples per label for 2 folds, C is the last of the grid and no calibration happens
    (temperature 1, threshold 0.5).
    """
    with _one_thread():
        return _fit_head(rows, grid, seed)


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


def _fit_head(rows: Rows, grid: Sequence[float], seed: int) -> Head:
    """The body of `fit_head`."""
    truth = rows.targets[rows.originals]
    n_folds = _n_folds(truth, rows.multi_label)
    if n_folds < 2:
        weight, bias = _fit_all(rows, grid[-1])
        return Head(weight, bias, c=grid[-1])
    folds = _folds(truth, n_folds, seed, rows.multi_label)
    scored = []
    for c in grid:
        logits = out_of_fold_logits(rows, c, folds)
        scored.append((_score(logits, truth, rows.multi_label), c, logits))
    best_score = max(score for score, _, _ in scored)
    # Ties go to the strongest regularisation: the smoother head generalises better.
    _, c, logits = next(item for item in scored if item[0] >= best_score - 1e-9)
    weight, bias = _fit_all(rows, c)
    if rows.multi_label:
        threshold = fit_threshold(logits, np.asarray(truth, dtype=np.float32))
        return Head(weight, bias, c=c, threshold=threshold, cv_accuracy=best_score)
    temperature = fit_temperature(logits, np.asarray(truth, dtype=np.int64))
    return Head(weight, bias, c=c, temperature=temperature, cv_accuracy=best_score)


def _fit_all(rows: Rows, c: float) -> tuple[FloatArray, FloatArray]:
    """The head fitted on every row."""
    return fit_linear(rows.x, rows.targets, rows.n_labels, c, rows.multi_label, rows.weights)


def _n_folds(targets: NDArray[np.int64] | FloatArray, multi_label: bool) -> int:
    """Up to 4 folds, no more than the rarest class has examples (multi-class)."""
    if multi_label:
        return min(4, len(targets) // 2)
    smallest = int(np.bincount(np.asarray(targets, dtype=np.int64)).min())
    return min(4, smallest)
