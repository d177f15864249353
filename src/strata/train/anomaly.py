"""Tune an L2 anomaly detector: a normal-behaviour model per machine, calibrated on normal data.

Each machine (group) gets the centre and scale of rolling-window statistics of its features; its
threshold is a quantile of out-of-sample scores of its own rows: by default each contiguous block of
the training rows is scored by a model fitted on the other blocks (cross-fitting), so the threshold
sees the drift of the whole training span, not only of its last stretch.
Features whose variance is mostly slow wander (temperatures) are scored on their spread, not their
level, since their level leaves any short training range without a fault. See docs/train-anomaly.md.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from strata.core.errors import InvalidInput
from strata.models.backends.anomaly import (
    AGGREGATES,
    AnomalyModel,
    GroupModel,
    WindowSpec,
    raw_scores,
    save_model,
    window_stats,
)
from strata.train.anomaly_data import GroupSeries, prepare_groups
from strata.train.errors import InvalidJobSpec

FloatArray = NDArray[np.float64]
CALIBRATIONS = ("crossfit", "holdout")


@dataclass(frozen=True)
class AnomalyOptions:
    """Hyper-parameters of the anomaly detector (defaults argued in docs/train-anomaly.md).

    Args:
        window: rows per trailing window of the rolling mean and standard deviation.
        calibration: how out-of-sample scores for the threshold are obtained. `crossfit`: the
            time-ordered rows are cut into round(1 / calibration_fraction) contiguous blocks, each
            scored by centre and scale fitted on the other blocks; the model keeps centre and
            scale fitted on all rows. `holdout`: the tail (calibration_fraction) is scored by the
            head's fit, which is also the model's.
        calibration_fraction: share of each group's (time-ordered) rows per calibration block
            (`crossfit`) or in the held-out tail (`holdout`); the head before the tail also
            judges which features are slow.
        threshold_quantile: quantile of the calibration scores taken as threshold (1.0 = their
            maximum).
        threshold_margin: factor applied to that quantile (>1 trades misses for fewer alarms);
            the default was calibrated on a separate normal run (docs/train-anomaly.md).
        spread: also score each feature's rolling standard deviation.
        aggregate: how the z-scores of a row combine: `rms` (root mean square) or `max`.
        slow_cutoff: a feature whose share of variance in block means reaches this value is
            "slow" (drifting level) and not scored on its level; 1.0 keeps every level.
        slow_blocks: number of blocks the fit rows are cut into to measure that share.
        pool_slowness: judge slowness once for all groups (median share), as a sensor property.
        max_nan_fraction: largest share of missing values per feature and group that is filled
            from the previous reading; more is an error.
    """

    window: int = 10
    calibration: str = "crossfit"
    calibration_fraction: float = 0.3
    threshold_quantile: float = 1.0
    threshold_margin: float = 0.9
    spread: bool = True
    aggregate: str = "max"
    slow_cutoff: float = 0.5
    slow_blocks: int = 8
    pool_slowness: bool = True
    max_nan_fraction: float = 0.05

    def __post_init__(self) -> None:
        _require(2 <= self.window <= 10_000, "window", self.window, "an integer in [2, 10000]")
        _require(
            self.calibration in CALIBRATIONS,
            "calibration",
            self.calibration,
            f"one of {CALIBRATIONS}",
        )
        _require(
            0.05 <= self.calibration_fraction <= 0.5,
            "calibration_fraction",
            self.calibration_fraction,
            "a share in [0.05, 0.5]",
        )
        _require(
            0.5 <= self.threshold_quantile <= 1.0,
            "threshold_quantile",
            self.threshold_quantile,
            "a quantile in [0.5, 1.0]",
        )
        _require(
            0.5 <= self.threshold_margin <= 10.0,
            "threshold_margin",
            self.threshold_margin,
            "a factor in [0.5, 10]",
        )
        _require(self.aggregate in AGGREGATES, "aggregate", self.aggregate, f"one of {AGGREGATES}")
        _require(0.0 < self.slow_cutoff <= 1.0, "slow_cutoff", self.slow_cutoff, "in (0, 1]")
        _require(2 <= self.slow_blocks <= 100, "slow_blocks", self.slow_blocks, "in [2, 100]")
        _require(
            0.0 <= self.max_nan_fraction < 1.0,
            "max_nan_fraction",
            self.max_nan_fraction,
            "a share in [0, 1)",
        )

    def min_rows(self) -> int:
        """Fewest rows a group needs: full windows to fit on and a tail to calibrate on."""
        fit_rows = max(3 * self.window, 4 * self.slow_blocks)
        return int(np.ceil(fit_rows / (1.0 - self.calibration_fraction))) + self.window


def _require(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise InvalidJobSpec(
            f"Anomaly option {name}={value!r} is invalid; expected {expected}.",
            hint=f"Pass {name} as {expected}, or leave it at its default.",
            option=name,
            value=value,
        )


def train_anomaly(
    frame: pd.DataFrame,
    features: Sequence[str],
    out_dir: Path,
    options: AnomalyOptions,
    time_col: str | None = None,
    group_col: str | None = None,
) -> dict[str, Any]:
    """Fit one normal-behaviour model per group on normal rows and write it to `out_dir`.

    Args:
        frame: normal operation only; rows are ordered by `time_col` within each group.
        features: numeric sensor columns; no row number or time feature is derived from them.
        out_dir: folder for `model.json` and `weights.safetensors` (no pickle).
        options: hyper-parameters.
        time_col: column that orders rows in time (optional; else the frame order is kept).
        group_col: one model per value of this column (a machine); None for one model.

    Returns:
        JSON-ready training facts: rows, groups, thresholds, slow features, options, seconds.

    Raises:
        InvalidTrainingData: missing or non-numeric columns, too few rows, too many NaNs.
    """
    started = time.perf_counter()
    series = prepare_groups(frame, list(features), options, time_col, group_col)
    level = _level_mask(series, options)
    spec = WindowSpec(tuple(features), level, options.spread, options.window, options.aggregate)
    groups = {s.name: fit_group(s.values, spec, options) for s in series}
    model = AnomalyModel(spec, groups, group_col, time_col)
    facts = {
        "rows": int(sum(len(s.values) for s in series)),
        "groups": len(groups),
        "features": list(features),
        "slow_features": [f for f, k in zip(features, level, strict=True) if not k],
        "thresholds": model.thresholds,
        "calibration_rows": int(sum(_calibration_rows(len(s.values), options) for s in series)),
    }
    save_model(model, out_dir, {"options": asdict(options), "training": facts})
    return {**facts, "options": asdict(options), "seconds": round(time.perf_counter() - started, 3)}


def fit_group(values: FloatArray, spec: WindowSpec, options: AnomalyOptions) -> GroupModel:
    """Centre, scale and threshold of one group, calibrated as `options.calibration` says."""
    stats, counts = window_stats(values, spec)
    if options.calibration == "holdout":
        fit_end = len(values) - _split(len(values), options)
        center, scale = center_scale(stats[spec.window - 1 : fit_end])
        held = raw_scores(stats[fit_end:], counts[fit_end:], spec, center, scale)
    else:
        held = crossfit_scores(stats, counts, spec, _folds(options))
        center, scale = center_scale(stats[spec.window - 1 :])
    threshold = float(np.quantile(held, options.threshold_quantile)) * options.threshold_margin
    return GroupModel(center, scale, max(threshold, 1e-9))


def center_scale(stats: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean and standard deviation of each statistic (the scale floored above zero)."""
    center = stats.mean(axis=0)
    scale = np.maximum(stats.std(axis=0), 1e-6 * np.maximum(np.abs(center), 1e-3))
    return np.asarray(center, dtype=np.float64), np.asarray(scale, dtype=np.float64)


def crossfit_scores(
    stats: FloatArray, counts: FloatArray, spec: WindowSpec, folds: int
) -> FloatArray:
    """Out-of-sample score of every row: each contiguous block scored by a fit on the others.

    A block's rows are scored with centre and scale fitted on the full windows that share no row
    with the block, so no scored window ever contributed to its own normal-behaviour estimate.
    """
    n, position = len(stats), np.arange(len(stats))
    full = position >= spec.window - 1
    edges = np.linspace(0, n, folds + 1).astype(int)
    scores = []
    for start, end in itertools.pairwise(edges):
        outside = full & ((position < start) | (position - spec.window + 1 >= end))
        center, scale = center_scale(stats[outside])
        scores.append(raw_scores(stats[start:end], counts[start:end], spec, center, scale))
    return np.concatenate(scores)


def _folds(options: AnomalyOptions) -> int:
    """Number of cross-fitting blocks: one per calibration_fraction of the rows (0.3: 3)."""
    return max(2, round(1.0 / options.calibration_fraction))


def _calibration_rows(n_rows: int, options: AnomalyOptions) -> int:
    """Rows whose scores set the threshold: the tail (`holdout`) or every row (`crossfit`)."""
    return _split(n_rows, options) if options.calibration == "holdout" else n_rows


def _split(n_rows: int, options: AnomalyOptions) -> int:
    """Number of calibration rows at the tail of a group of `n_rows` rows."""
    return max(options.window, round(n_rows * options.calibration_fraction))


def slow_share(values: FloatArray, blocks: int) -> FloatArray:
    """Per feature, the share of its variance carried by block means (~1/block size if white).

    A drifting level (temperature) puts nearly all of its variance in the block means.
    """
    size = len(values) // blocks
    block_means = values[: size * blocks].reshape(blocks, size, -1).mean(axis=1)
    total = values.var(axis=0)
    share = np.divide(block_means.var(axis=0), total, out=np.zeros_like(total), where=total > 0)
    return np.asarray(share, dtype=np.float64)


def _level_mask(series: list[GroupSeries], options: AnomalyOptions) -> tuple[bool, ...]:
    """Features scored on their level: those not slow (pooled over groups unless told not to)."""
    shares = np.array(
        [
            slow_share(
                s.values[: len(s.values) - _split(len(s.values), options)], options.slow_blocks
            )
            for s in series
        ]
    )
    share = np.median(shares, axis=0) if options.pool_slowness else shares.min(axis=0)
    return tuple(bool(x) for x in share < options.slow_cutoff)


def anomaly_metrics(truth: ArrayLike, flags: ArrayLike) -> dict[str, float]:
    """Point-wise F1, false-alarm rate, missed-alarm rate and balanced accuracy, with counts.

    FAR = FP / (FP + TN), MAR = FN / (FN + TP), BA = 1 - (FAR + MAR) / 2 (SKAB's definitions).
    """
    t = np.asarray(truth).astype(bool).ravel()
    f = np.asarray(flags).astype(bool).ravel()
    if t.shape != f.shape:
        raise InvalidInput(
            f"truth has {t.size} points but flags has {f.size}.",
            hint="Pass one truth value and one flag per row, in the same order.",
        )
    tp, fp = int((t & f).sum()), int((~t & f).sum())
    fn, tn = int((t & ~f).sum()), int((~t & ~f).sum())
    far = fp / (fp + tn) if fp + tn else 0.0
    mar = fn / (fn + tp) if fn + tp else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {
        "f1": f1,
        "far": far,
        "mar": mar,
        "ba": 1.0 - (far + mar) / 2.0,
        "tp": float(tp),
        "fp": float(fp),
        "fn": float(fn),
        "tn": float(tn),
    }
