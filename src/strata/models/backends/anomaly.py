"""Anomaly backend: per-machine normal-behaviour models over rolling windows of telemetry.

The artifact is a folder with `model.json` (settings, groups, thresholds) and `weights.safetensors`
(each group's centre and scale vectors); nothing is pickled. Training lives in
`strata.train.anomaly`; this module owns the file format and the scoring both sides share.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from safetensors.numpy import load_file, save_file

from strata.core.errors import InvalidInput
from strata.core.settings import ModelSettings
from strata.models.errors import InvalidModelFolder
from strata.models.records import ModelRecord

FORMAT = "strata-anomaly"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
AGGREGATES = ("rms", "max")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class WindowSpec:
    """Which rolling statistics a model computes over its raw features.

    Args:
        features: raw feature columns, in order.
        level: per feature, whether its rolling mean is scored (slow, drifting features are not).
        spread: whether every feature's rolling standard deviation is scored too.
        window: rows per trailing window.
        aggregate: how per-statistic z-scores combine into one score, `rms` or `max`.
    """

    features: tuple[str, ...]
    level: tuple[bool, ...]
    spread: bool
    window: int
    aggregate: str

    def names(self) -> list[str]:
        """Names of the derived statistics, in the order of centre and scale vectors."""
        means = [f"mean:{f}" for f, keep in zip(self.features, self.level, strict=True) if keep]
        spreads = [f"std:{f}" for f in self.features] if self.spread else []
        return means + spreads


@dataclass(frozen=True)
class GroupModel:
    """One machine's normal behaviour: centre and scale of each statistic, and its threshold."""

    center: FloatArray
    scale: FloatArray
    threshold: float


def window_stats(values: FloatArray, spec: WindowSpec) -> tuple[FloatArray, FloatArray]:
    """Trailing rolling statistics of consecutive rows, and how many rows each window holds."""
    frame = pd.DataFrame(values)
    rolling = frame.rolling(spec.window, min_periods=1)
    parts = [rolling.mean().to_numpy(dtype=np.float64)[:, np.asarray(spec.level, dtype=bool)]]
    if spec.spread:
        parts.append(rolling.std().to_numpy(dtype=np.float64))
    counts = np.minimum(np.arange(1, len(values) + 1, dtype=np.float64), spec.window)
    return np.hstack(parts), counts


def raw_scores(
    stats: FloatArray, counts: FloatArray, spec: WindowSpec, center: FloatArray, scale: FloatArray
) -> FloatArray:
    """Combine each row's z-scores into one score (not yet divided by the threshold).

    Rows whose window is not yet full (the first `window - 1` rows of a series) are not judged:
    their score is 0. Callers that stream should send the previous `window - 1` rows as context.
    """
    z = (stats - center) / scale
    z = np.where(np.isnan(z) | (counts < spec.window)[:, None], 0.0, z)
    if z.shape[1] == 0:
        return np.zeros(len(z))
    if spec.aggregate == "max":
        return np.asarray(np.abs(z).max(axis=1), dtype=np.float64)
    return np.asarray(np.sqrt((z**2).mean(axis=1)), dtype=np.float64)


def fill_gaps(values: FloatArray, features: Sequence[str]) -> FloatArray:
    """Carry the last reading forward (then the first one back) over missing values."""
    frame = pd.DataFrame(values).ffill().bfill()
    empty = [f for f, bad in zip(features, frame.isna().all().to_numpy(), strict=True) if bad]
    if empty:
        raise InvalidInput(
            f"Feature columns {empty} hold no value at all in these rows.",
            hint="Send rows where every feature column has at least one reading.",
            features=empty,
        )
    return np.asarray(frame.to_numpy(dtype=np.float64), dtype=np.float64)


class AnomalyModel:
    """Rows of telemetry to anomaly scores and flags; satisfies `AnomalyDetector`.

    `score` returns each row's score divided by its machine's threshold, so scores compare across
    machines and a row is flagged when its score exceeds 1. A group value not seen at training
    raises `InvalidInput`: thresholds are calibrated per machine, so no pooled fallback is guessed.
    """

    def __init__(
        self,
        spec: WindowSpec,
        groups: dict[str, GroupModel],
        group_col: str | None = None,
        time_col: str | None = None,
    ) -> None:
        self.spec = spec
        self.features = list(spec.features)
        self.groups = groups
        self.group_col = group_col
        self.time_col = time_col

    @property
    def thresholds(self) -> dict[str, float]:
        """Each group's threshold on the raw score."""
        return {name: g.threshold for name, g in self.groups.items()}

    def score(self, rows: pd.DataFrame) -> FloatArray:
        """One score per row, in order: raw score / threshold (above 1 is anomalous)."""
        self._check_columns(rows)
        out = np.zeros(len(rows), dtype=np.float64)
        for name, positions in self._group_positions(rows):
            out[positions] = self._score_group(rows.iloc[positions], self.groups[name])
        return out

    def detect(self, rows: pd.DataFrame) -> NDArray[np.bool_]:
        """One flag per row, in order: True where the score exceeds the machine's threshold."""
        return np.asarray(self.score(rows) > 1.0, dtype=np.bool_)

    def _score_group(self, rows: pd.DataFrame, group: GroupModel) -> FloatArray:
        values = fill_gaps(_numeric(rows, self.features), self.features)
        stats, counts = window_stats(values, self.spec)
        return raw_scores(stats, counts, self.spec, group.center, group.scale) / group.threshold

    def _check_columns(self, rows: pd.DataFrame) -> None:
        needed = [*self.features, *([self.group_col] if self.group_col else [])]
        missing = [c for c in needed if c not in rows.columns]
        if missing:
            raise InvalidInput(
                f"Rows lack the model's columns {missing}; columns present: {list(rows.columns)}.",
                hint="Send the feature columns the model was trained on"
                + (f" and the group column {self.group_col!r}." if self.group_col else "."),
                missing=missing,
            )

    def _group_positions(self, rows: pd.DataFrame) -> list[tuple[str, NDArray[np.intp]]]:
        """Row positions of each group, in time order when the time column is present."""
        order = np.arange(len(rows))
        if self.time_col and self.time_col in rows.columns:
            order = np.argsort(rows[self.time_col].to_numpy(), kind="stable")
        if self.group_col is None:
            return [(next(iter(self.groups)), order)]
        keys = rows[self.group_col].astype(str).to_numpy()[order]
        unknown = sorted(set(keys) - set(self.groups))
        if unknown:
            raise InvalidInput(
                f"Group values {unknown[:5]} of column {self.group_col!r} were not seen at "
                f"training; known groups: {sorted(self.groups)[:20]}.",
                hint="Train a model that includes these machines (thresholds are per machine).",
                unknown=unknown,
            )
        return [(name, order[keys == name]) for name in dict.fromkeys(keys)]


def _numeric(rows: pd.DataFrame, features: Sequence[str]) -> FloatArray:
    """The feature columns as floats, or a clear error naming the non-numeric ones."""
    bad = [f for f in features if not pd.api.types.is_numeric_dtype(rows[f])]
    if bad:
        raise InvalidInput(
            f"Feature columns {bad} are not numeric (dtypes {[str(rows[f].dtype) for f in bad]}).",
            hint="Send numbers in the feature columns (parse or drop text values first).",
            features=bad,
        )
    return np.asarray(rows[list(features)].to_numpy(dtype=np.float64), dtype=np.float64)


def save_model(model: AnomalyModel, folder: Path, extra: dict[str, Any] | None = None) -> None:
    """Write `model.json` and `weights.safetensors` into `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(model.groups)
    tensors: dict[str, NDArray[Any]] = {}
    for i, name in enumerate(names):
        tensors[f"group{i}.center"] = model.groups[name].center
        tensors[f"group{i}.scale"] = model.groups[name].scale
    save_file(tensors, str(folder / WEIGHTS_FILE))
    spec = model.spec
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "features": list(spec.features),
        "level_features": [f for f, k in zip(spec.features, spec.level, strict=True) if k],
        "spread": spec.spread,
        "window": spec.window,
        "aggregate": spec.aggregate,
        "statistics": spec.names(),
        "group_col": model.group_col,
        "time_col": model.time_col,
        "groups": [
            {"name": n, "tensor": f"group{i}", "threshold": model.groups[n].threshold}
            for i, n in enumerate(names)
        ],
        **(extra or {}),
    }
    (folder / MODEL_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def read_model(folder: Path) -> AnomalyModel:
    """Load an artifact folder written by `save_model`, checking its format and shapes."""
    meta = _read_meta(folder)
    tensors = load_file(str(folder / WEIGHTS_FILE))
    features = tuple(str(f) for f in meta["features"])
    levels = set(meta["level_features"])
    spec = WindowSpec(
        features=features,
        level=tuple(f in levels for f in features),
        spread=bool(meta["spread"]),
        window=int(meta["window"]),
        aggregate=str(meta["aggregate"]),
    )
    groups = {str(g["name"]): _group(tensors, g, len(spec.names()), folder) for g in meta["groups"]}
    return AnomalyModel(spec, groups, meta.get("group_col"), meta.get("time_col"))


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / MODEL_FILE
    if not path.is_file() or not (folder / WEIGHTS_FILE).is_file():
        raise InvalidModelFolder(
            f"{folder} is not an anomaly model folder: it needs {MODEL_FILE} and {WEIGHTS_FILE}.",
            hint="Point the record at the folder `strata train tune --task anomaly` wrote.",
        )
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise InvalidModelFolder(
            f"{path} has format {meta.get('format')!r} version {meta.get('format_version')!r}; "
            f"this Strata reads {FORMAT!r} version {FORMAT_VERSION}.",
            hint="Retrain the model with this version of Strata.",
        )
    if meta.get("aggregate") not in AGGREGATES or not meta.get("groups"):
        raise InvalidModelFolder(
            f"{path} names aggregate {meta.get('aggregate')!r} and {len(meta.get('groups', []))} "
            f"groups; expected one of {AGGREGATES} and at least one group.",
            hint="Retrain the model; the file may have been edited by hand.",
        )
    return meta


def _group(
    tensors: dict[str, NDArray[Any]], entry: dict[str, Any], width: int, folder: Path
) -> GroupModel:
    key = str(entry["tensor"])
    center = tensors.get(f"{key}.center")
    scale = tensors.get(f"{key}.scale")
    threshold = float(entry["threshold"])
    if center is None or scale is None or center.shape != (width,) or scale.shape != (width,):
        raise InvalidModelFolder(
            f"{folder / WEIGHTS_FILE} lacks {key}.center/{key}.scale of length {width}.",
            hint="Retrain the model; the weights do not match model.json.",
        )
    if not math.isfinite(threshold) or threshold <= 0:
        raise InvalidModelFolder(
            f"{folder / MODEL_FILE} holds threshold {threshold} for group {entry['name']!r}.",
            hint="Retrain the model; thresholds must be positive numbers.",
        )
    return GroupModel(center.astype(np.float64), scale.astype(np.float64), threshold)


def load(record: ModelRecord, settings: ModelSettings) -> AnomalyModel:
    """Entry point of `strata.models.backends: strata-anomaly`."""
    return read_model(Path(record.uri))
