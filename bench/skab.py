"""SKAB bench: Strata's anomaly detector beside Conv-AE (published) and Hotelling T² (same run).

Protocol (SKAB's outlier-detection setting): valve1 + valve2, each labelled file is one machine;
its first 400 rows train, the rest test; point-wise F1, false-alarm rate (FAR), missed-alarm rate
(MAR) pooled over files; BA = 1 - (FAR + MAR) / 2. The same figures are computed on copies whose
starts are cropped by a random offset (fixed seed), so a detector keyed to row position would show.
`anomaly-free/` is not used. `--select` runs the training-only validation that checks the defaults.

    .venv/bin/python bench/skab.py [--data ../shared/data/skab] [--seed 0] [--select]

Prints a table, then one JSON line with the ratios last.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

from strata.core.settings import ModelSettings
from strata.models.backends.anomaly import load
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import ModelRecord
from strata.train.anomaly import AnomalyOptions, anomaly_metrics, train_anomaly

TRAIN_ROWS = 400
CONV_AE = {"f1": 0.78, "far": 0.136, "mar": 0.28, "ba": 0.79}  # SKAB leaderboard, published
FEATURES = [
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
]
GOAL = {"f1": 0.80, "far": 0.12, "ba": 0.82}


@dataclass(frozen=True)
class Machine:
    """One labelled SKAB file: its name and its train and test rows."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame


def read_files(root: Path) -> list[tuple[str, pd.DataFrame]]:
    """Every labelled valve1/valve2 file, named `valveN/K`, in a fixed order."""
    files = sorted(root.glob("valve[12]/*.csv"), key=lambda p: (p.parent.name, int(p.stem)))
    if not files:
        raise SystemExit(f"error: no SKAB files under {root}/valve1 or /valve2")
    return [(f"{p.parent.name}/{p.stem}", pd.read_csv(p, sep=";")) for p in files]


def split(files: list[tuple[str, pd.DataFrame]], offsets: list[int]) -> list[Machine]:
    """Crop each file's start by its offset, then cut at TRAIN_ROWS."""
    out = []
    for (name, frame), k in zip(files, offsets, strict=True):
        cropped = frame.iloc[k:].reset_index(drop=True).assign(file=name)
        if cropped["anomaly"].iloc[:TRAIN_ROWS].any():
            raise SystemExit(f"error: crop {k} of {name} puts anomalies into the training rows")
        out.append(Machine(name, cropped.iloc[:TRAIN_ROWS], cropped.iloc[TRAIN_ROWS:]))
    return out


def crop_offsets(files: list[tuple[str, pd.DataFrame]], seed: int) -> list[int]:
    """A random start offset per file, small enough to keep anomalies out of the training rows."""
    rng = np.random.default_rng(seed)
    offsets = []
    for _, frame in files:
        first = int(np.flatnonzero(frame["anomaly"].to_numpy() > 0)[0])
        offsets.append(int(rng.integers(0, max(1, first - TRAIN_ROWS - 10))))
    return offsets


def run_strata(machines: list[Machine], options: AnomalyOptions, folder: Path) -> dict[str, Any]:
    """Train one model per file through the public API, load it through the backend, detect."""
    train = pd.concat([m.train for m in machines], ignore_index=True)
    facts = train_anomaly(train, FEATURES, folder, options, time_col="datetime", group_col="file")
    detector = load(_record(folder), ModelSettings())
    flags = [detector.detect(m.test) for m in machines]
    truth = [m.test["anomaly"].to_numpy() > 0 for m in machines]
    return {**anomaly_metrics(np.concatenate(truth), np.concatenate(flags)), "facts": facts}


def _record(folder: Path) -> ModelRecord:
    return ModelRecord(
        id=0,
        layer=Layer.L2_TASK,
        name="skab-bench",
        version=1,
        kind=ModelKind.ANOMALY,
        backend="strata-anomaly",
        source=Source.TRAINED,
        uri=str(folder),
        created_at=datetime.now(UTC),
    )


def hotelling_flags(train: np.ndarray, test: np.ndarray, p_value: float = 0.999) -> np.ndarray:
    """Hotelling T² with its F-distribution control limit (as SKAB's T² baseline)."""
    n, m = train.shape
    center = train.mean(axis=0)
    inverse = np.linalg.pinv(np.cov(train, rowvar=False))
    ucl = m * (n - 1) * (n + 1) / (n * (n - m)) * stats.f.ppf(p_value, m, n - m)
    d = test - center
    return np.asarray(np.einsum("ij,jk,ik->i", d, inverse, d) > ucl)


def rolling(values: np.ndarray, window: int) -> np.ndarray:
    """10-row rolling means and standard deviations (first full window onwards kept as NaN)."""
    frame = pd.DataFrame(values).rolling(window)
    return np.hstack([frame.mean().to_numpy(), frame.std().to_numpy()])


def run_hotelling(machines: list[Machine], window: int | None) -> dict[str, Any]:
    """T² per file on raw features, or on rolling means and deviations over `window` rows."""
    flags, truth = [], []
    for m in machines:
        train, test = m.train[FEATURES].to_numpy(float), m.test[FEATURES].to_numpy(float)
        if window:
            both = rolling(np.vstack([train, test]), window)  # test windows may reach back
            train, test = both[window - 1 : TRAIN_ROWS], both[TRAIN_ROWS:]
        flags.append(hotelling_flags(train, test))
        truth.append(m.test["anomaly"].to_numpy() > 0)
    return anomaly_metrics(np.concatenate(truth), np.concatenate(flags))


def select(machines: list[Machine], folder: Path, seed: int) -> list[dict[str, Any]]:
    """Training-only validation: per file, fit on rows 0-279, validate on rows 280-399.

    The validation rows score once as they are (false alarms) and once with a level shift of
    3 standard deviations in one randomly chosen feature (misses); fixed seed. No test row is read.
    """
    rng = np.random.default_rng(seed)
    shifts = [(int(rng.integers(len(FEATURES))), float(rng.choice([-3.0, 3.0]))) for _ in machines]
    inner, clean, faulty = [], [], []
    for m, (j, k) in zip(machines, shifts, strict=True):
        head, tail = m.train.iloc[:280], m.train.iloc[280:]
        shifted = tail.copy()
        shifted[FEATURES[j]] += k * head[FEATURES[j]].std()
        inner.append(head)
        clean.append(tail)
        faulty.append(shifted)
    grid = itertools.product([5, 10, 20, 30], ["rms", "max"], [True, False], [0.99, 1.0])
    results = []
    for window, aggregate, spread, quantile in grid:
        options = AnomalyOptions(
            window=window, aggregate=aggregate, spread=spread, threshold_quantile=quantile
        )
        train_anomaly(pd.concat(inner), FEATURES, folder, options, "datetime", "file")
        detector = load(_record(folder), ModelSettings())
        flags = [detector.detect(f) for f in clean] + [detector.detect(f) for f in faulty]
        truth = [np.zeros(len(f), bool) for f in clean] + [np.ones(len(f), bool) for f in faulty]
        score = anomaly_metrics(np.concatenate(truth), np.concatenate(flags))
        results.append({"options": options, **{k: score[k] for k in ("far", "mar", "ba")}})
    return sorted(results, key=lambda r: -r["ba"])


def table(rows: dict[str, dict[str, Any]]) -> str:
    """A fixed-width table of F1, FAR, MAR, BA per method and variant."""
    lines = [f"{'method':<44}{'F1':>7}{'FAR':>8}{'MAR':>8}{'BA':>7}"]
    for name, r in rows.items():
        lines.append(f"{name:<44}{r['f1']:>7.3f}{r['far']:>7.1%} {r['mar']:>7.1%}{r['ba']:>7.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "skab"
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--seed", type=int, default=0, help="seed of the crop offsets")
    parser.add_argument("--select", action="store_true", help="run the training-only validation")
    args = parser.parse_args()
    files = read_files(args.data)
    variants = {
        "original": split(files, [0] * len(files)),
        "cropped": split(files, crop_offsets(files, args.seed)),
    }
    options = AnomalyOptions()
    started = time.perf_counter()
    rows: dict[str, dict[str, Any]] = {"Conv-AE (SKAB, published)": CONV_AE}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.select:
            for r in select(variants["original"], Path(tmp) / "select", args.seed)[:8]:
                o = r["options"]
                print(
                    f"select w={o.window} agg={o.aggregate} spread={o.spread} "
                    f"q={o.threshold_quantile}: FAR {r['far']:.1%} MAR {r['mar']:.1%} "
                    f"BA {r['ba']:.3f}"
                )
        for variant, machines in variants.items():
            results[variant] = run_strata(machines, options, Path(tmp) / variant)
            rows[f"Strata anomaly ({variant})"] = results[variant]
            rows[f"Hotelling T2 raw ({variant})"] = run_hotelling(machines, None)
            rows[f"Hotelling T2 rolling-10 ({variant})"] = run_hotelling(machines, 10)
    print(table(rows))
    print(json.dumps(summary(rows, results, options, time.perf_counter() - started)))


def summary(
    rows: dict[str, dict[str, Any]],
    results: dict[str, dict[str, Any]],
    options: AnomalyOptions,
    seconds: float,
) -> dict[str, Any]:
    """The final JSON line: figures per method and variant, goal check, ratios last."""
    out: dict[str, Any] = {"bench": "skab", "files": 20, "seconds": round(seconds, 1)}
    out["options"] = asdict(options)
    for name, r in rows.items():
        key = name.lower().replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
        out[key] = {k: round(float(r[k]), 4) for k in ("f1", "far", "mar", "ba")}
    out["slow_features"] = results["original"]["facts"]["slow_features"]
    out["goal_met"] = all(
        r["f1"] >= GOAL["f1"] and r["far"] <= GOAL["far"] and r["ba"] >= GOAL["ba"]
        for r in results.values()
    )
    for variant, r in results.items():
        out[f"f1_ratio_vs_convae_{variant}"] = round(r["f1"] / CONV_AE["f1"], 4)
        out[f"ba_ratio_vs_convae_{variant}"] = round(r["ba"] / CONV_AE["ba"], 4)
    out["f1_ratio_vs_convae"] = out["f1_ratio_vs_convae_original"]
    out["ba_ratio_vs_convae"] = out["ba_ratio_vs_convae_original"]
    return out


if __name__ == "__main__":
    main()
