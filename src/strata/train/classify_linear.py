"""The linear fit under an L2 head: L-BFGS on scikit-learn's logistic-regression objective.

Softmax cross-entropy (multi-class) or independent sigmoids (multi-label), per-example weights,
and an optional sparse lexical block fitted in the same objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float32]
# L-BFGS memory: scipy's default. torch's 100 costs more per step than the loss itself once
# the lexical block brings a million weights.
HISTORY = 10


@dataclass(frozen=True)
class Linear:
    """Fitted linear weights: dense, bias, and the lexical block when there is one."""

    weight: FloatArray
    bias: FloatArray
    lexical: FloatArray | None = None

    def logits(self, x: FloatArray, lexical: sparse.csr_matrix | None) -> FloatArray:
        """x @ weight.T + bias (+ lexical @ self.lexical.T)."""
        out = x @ self.weight.T + self.bias
        if self.lexical is not None and lexical is not None:
            out = out + np.asarray(lexical @ self.lexical.T)
        return np.asarray(out, dtype=np.float32)


@dataclass(frozen=True)
class _Bags:
    """A CSR matrix as `embedding_bag` inputs: rows are bags of weighted term indices."""

    indices: torch.Tensor
    offsets: torch.Tensor
    values: torch.Tensor

    @classmethod
    def of(cls, matrix: sparse.csr_matrix) -> _Bags:
        return cls(
            torch.from_numpy(matrix.indices.astype(np.int64)),
            torch.from_numpy(matrix.indptr[:-1].astype(np.int64)),
            torch.from_numpy(matrix.data.astype(np.float32)),
        )

    def times(self, table: torch.Tensor) -> torch.Tensor:
        """matrix @ table: one weighted sum of `table` rows per matrix row (fast backward)."""
        return F.embedding_bag(
            self.indices, table, self.offsets, mode="sum", per_sample_weights=self.values
        )


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
    lexical: sparse.csr_matrix | None = None,
) -> Linear:
    """Minimise C * sum(w * loss) + (||W||^2 + ||L||^2) / 2 with L-BFGS (scikit-learn's objective).

    The bias is not penalised.

    Args:
        x: (n, d) embeddings.
        targets: class indices (n,) for multi-class, a 0/1 matrix (n, n_labels) for multi-label.
        n_labels: number of labels.
        c: inverse regularisation strength.
        multi_label: sigmoid per label instead of one softmax.
        weights: per-example weights (1 when omitted).
        lexical: (n, v) sparse features fitted jointly with `x` (their weights L).
    """
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(targets))
    yt = yt.float() if multi_label else yt.long()
    wt = torch.ones(len(xt))
    if weights is not None:
        wt = torch.from_numpy(np.asarray(weights, dtype=np.float32))
    weight = torch.zeros(n_labels, xt.shape[1], requires_grad=True)
    bias = torch.zeros(n_labels, requires_grad=True)
    params = [weight, bias]
    bags = lex = None
    if lexical is not None:
        bags = _Bags.of(lexical)
        lex = torch.zeros(lexical.shape[1], n_labels, requires_grad=True)  # transposed
        params.append(lex)
    optimizer = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=200,
        history_size=HISTORY,
        tolerance_grad=1e-4,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = xt @ weight.T + bias
        penalty = weight.pow(2).sum()
        if bags is not None and lex is not None:
            logits = logits + bags.times(lex)
            penalty = penalty + lex.pow(2).sum()
        objective = c * _loss(logits, yt, wt, multi_label) + 0.5 * penalty
        objective.backward()  # type: ignore[no-untyped-call]
        return objective

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return Linear(
        weight.detach().numpy(),
        bias.detach().numpy(),
        np.ascontiguousarray(lex.detach().numpy().T) if lex is not None else None,
    )
