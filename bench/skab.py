"""SKAB bench: Strata's anomaly detector beside Conv-AE (published) and Hotelling T² (same run).

Protocol (SKAB's outlier-detection setting): valve1 + valve2, each labelled file is one machine;
its first 400 rows train, the rest test; point-wise F1, false-alarm rate (FAR), missed-alarm rate
(MAR) pooled over files; BA = 1 - (FAR + MAR) / 2. The same figures are computed on copies whose
starts are cropped by a random offset (fixed seed), so a detector keyed to row position would show.
`anomaly-free/` (a separate normal run of the rig) is never a test: it gives the false-alarm rate
of the defaults on normal data, and `--calibrate` solves the threshold margin that meets the
false-alarm budget there. `--select` runs the training-only validation that checks the defaults.

    .venv/bin/python bench/skab.py [--data ../shared/data/skab] [--seed 0] [--select] [--calibrate]

Prints a table, then one JSON line with the ratios last.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

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
FREE_FILE = Path("anomaly-free") / "anomaly-free.csv"
FREE_SEGMENT = 1140  # rows of a typical valve file: TRAIN_ROWS to train, the rest to score
FREE_OFFSETS = (0, 285, 570, 855)  # four cuts of the run into segments, a quarter segment apart


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


def validation_sets(machines: list[Machine], seed: int) -> tuple[list[pd.DataFrame], ...]:
    """Per file: fit rows 0-279; rows 280-399 as they are, and with a 3-sigma level shift.

    The shift hits one randomly chosen feature per file (fixed seed). No test row is read.
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
    return inner, clean, faulty


def validate(
    sets: tuple[list[pd.DataFrame], ...], options: AnomalyOptions, folder: Path
) -> dict[str, float]:
    """Training-only FAR (clean validation rows), MAR (shifted ones) and BA of `options`."""
    inner, clean, faulty = sets
    train_anomaly(pd.concat(inner), FEATURES, folder, options, "datetime", "file")
    detector = load(_record(folder), ModelSettings())
    flags = [detector.detect(f) for f in clean] + [detector.detect(f) for f in faulty]
    truth = [np.zeros(len(f), bool) for f in clean] + [np.ones(len(f), bool) for f in faulty]
    score = anomaly_metrics(np.concatenate(truth), np.concatenate(flags))
    return {k: score[k] for k in ("far", "mar", "ba")}


def select(machines: list[Machine], folder: Path, seed: int) -> list[dict[str, Any]]:
    """Training-only validation of a grid of options (see `validation_sets`), best BA first."""
    sets = validation_sets(machines, seed)
    grid = itertools.product([5, 10, 20, 30], ["rms", "max"], [True, False], [0.99, 1.0])
    results = []
    for window, aggregate, spread, quantile in grid:
        options = AnomalyOptions(
            window=window, aggregate=aggregate, spread=spread, threshold_quantile=quantile
        )
        results.append({"options": options, **validate(sets, options, folder)})
    return sorted(results, key=lambda r: -r["ba"])


def free_segments(free: pd.DataFrame, offset: int) -> list[Machine]:
    """The anomaly-free run cut into FREE_SEGMENT-row machines from `offset`, split as files."""
    out = []
    for i, start in enumerate(range(offset, len(free) - FREE_SEGMENT + 1, FREE_SEGMENT)):
        part = free.iloc[start : start + FREE_SEGMENT].reset_index(drop=True)
        part = part.assign(file=f"free/{i}", anomaly=0)
        out.append(Machine(f"free/{i}", part.iloc[:TRAIN_ROWS], part.iloc[TRAIN_ROWS:]))
    return out


def free_far(free: pd.DataFrame, options: AnomalyOptions, folder: Path) -> float:
    """False-alarm rate of `options` on the anomaly-free run, pooled over FREE_OFFSETS cuts."""
    alarms, rows = 0.0, 0.0
    for offset in FREE_OFFSETS:
        r = run_strata(free_segments(free, offset), options, folder / str(offset))
        alarms, rows = alarms + r["fp"], rows + r["fp"] + r["tn"]
    return alarms / rows


def calibrate_margin(
    free: pd.DataFrame, options: AnomalyOptions, folder: Path, budget: float = GOAL["far"]
) -> float:
    """Smallest threshold_margin (bisection, 1e-4) whose anomaly-free FAR is within `budget`."""
    low, high = 0.5, 3.0
    while high - low > 1e-4:
        mid = (low + high) / 2
        over = free_far(free, replace(options, threshold_margin=mid), folder) > budget
        low, high = (mid, high) if over else (low, mid)
    return high


def calibrate(free_file: Path, machines: list[Machine], folder: Path, seed: int) -> None:
    """Print, per calibration, the margin meeting the FAR budget and its training-only figures."""
    if not free_file.is_file():
        raise SystemExit(f"error: --calibrate needs the anomaly-free run at {free_file}")
    free = pd.read_csv(free_file, sep=";")
    sets = validation_sets(machines, seed)
    for calibration in ("crossfit", "holdout"):
        options = replace(AnomalyOptions(), calibration=calibration)
        margin = calibrate_margin(free, options, folder)
        options = replace(options, threshold_margin=margin)
        v = validate(sets, options, folder / "select")
        print(
            f"calibrate {calibration}: margin {margin:.4f} anomaly-free FAR "
            f"{free_far(free, options, folder):.2%}; training-only FAR {v['far']:.1%} "
            f"MAR {v['mar']:.1%} BA {v['ba']:.3f}"
        )


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
    parser.add_argument(
        "--calibrate", action="store_true", help="solve the threshold margin on anomaly-free/"
    )
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
        if args.calibrate:
            calibrate(args.data / FREE_FILE, variants["original"], Path(tmp) / "calib", args.seed)
        for variant, machines in variants.items():
            results[variant] = run_strata(machines, options, Path(tmp) / variant)
            rows[f"Strata anomaly ({variant})"] = results[variant]
            rows[f"Hotelling T2 raw ({variant})"] = run_hotelling(machines, None)
            rows[f"Hotelling T2 rolling-10 ({variant})"] = run_hotelling(machines, 10)
        free = args.data / FREE_FILE
        free_rate = (
            free_far(pd.read_csv(free, sep=";"), options, Path(tmp) / "free")
            if free.is_file()
            else None
        )
    print(table(rows))
    if free_rate is not None:
        print(f"Strata anomaly FAR on anomaly-free/ (normal run, not a test): {free_rate:.1%}")
    out = summary(rows, results, options, time.perf_counter() - started)
    print(
        json.dumps({**out, "anomaly_free_far": None if free_rate is None else round(free_rate, 4)})
    )


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
