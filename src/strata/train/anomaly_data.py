"""Checks the training frame of an anomaly detector and cuts it into one series per group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from strata.train.errors import InvalidTrainingData

if TYPE_CHECKING:
    from strata.train.anomaly import AnomalyOptions


@dataclass(frozen=True)
class GroupSeries:
    """One machine's training rows: its group name (as text) and feature values in time order."""

    name: str
    values: NDArray[np.float64]


def prepare_groups(
    frame: pd.DataFrame,
    features: list[str],
    options: AnomalyOptions,
    time_col: str | None,
    group_col: str | None,
) -> list[GroupSeries]:
    """Validate the frame and split it into time-ordered, gap-filled series, one per group."""
    _check_columns(frame, features, time_col, group_col)
    _check_numeric(frame, features)
    if time_col is not None:
        frame = frame.sort_values(time_col, kind="stable")
    if group_col is None:
        parts: list[tuple[str, pd.DataFrame]] = [("all", frame)]
    else:
        parts = [(str(k), g) for k, g in frame.groupby(group_col, sort=True, dropna=False)]
    return [_series(name, part, features, options, group_col) for name, part in parts]


def _check_columns(
    frame: pd.DataFrame, features: Sequence[str], time_col: str | None, group_col: str | None
) -> None:
    if not features:
        raise InvalidTrainingData(
            "No feature columns were given for the anomaly detector.",
            hint=f"Name numeric sensor columns among {list(frame.columns)}.",
        )
    named = [*features, *(c for c in (time_col, group_col) if c is not None)]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise InvalidTrainingData(
            f"Columns {missing} are not in the training data; columns present: "
            f"{list(frame.columns)}.",
            hint="Check the spelling of --features, --time-col and --group-col.",
            missing=missing,
        )
    clash = [c for c in (time_col, group_col) if c is not None and c in features]
    if clash:
        raise InvalidTrainingData(
            f"Columns {clash} are both features and the time or group column.",
            hint="Leave time and group columns out of --features: the detector uses no position.",
        )


def _check_numeric(frame: pd.DataFrame, features: Sequence[str]) -> None:
    bad = {f: str(frame[f].dtype) for f in features if not pd.api.types.is_numeric_dtype(frame[f])}
    if bad:
        raise InvalidTrainingData(
            f"Feature columns must be numeric; got dtypes {bad}.",
            hint="Parse these columns as numbers, or drop them from --features.",
            columns=sorted(bad),
        )


def _series(
    name: str,
    part: pd.DataFrame,
    features: list[str],
    options: AnomalyOptions,
    group_col: str | None,
) -> GroupSeries:
    where = f"group {group_col}={name!r}" if group_col else "the training data"
    if len(part) < options.min_rows():
        raise InvalidTrainingData(
            f"{where} has {len(part)} rows; window={options.window} needs at least "
            f"{options.min_rows()} normal rows per group.",
            hint="Collect more normal rows for this machine, or lower the window option.",
            group=name,
            rows=len(part),
        )
    values = part[features].to_numpy(dtype=np.float64)
    nan_share = np.isnan(values).mean(axis=0)
    worst = int(np.argmax(nan_share))
    if nan_share[worst] > options.max_nan_fraction:
        raise InvalidTrainingData(
            f"Feature {features[worst]!r} in {where} is missing in {nan_share[worst]:.0%} of rows; "
            f"at most {options.max_nan_fraction:.0%} is filled from the previous reading.",
            hint="Clean the column upstream, drop the feature, or raise max_nan_fraction.",
            feature=features[worst],
            group=name,
        )
    filled = pd.DataFrame(values).ffill().bfill().to_numpy(dtype=np.float64)
    return GroupSeries(name, filled)
