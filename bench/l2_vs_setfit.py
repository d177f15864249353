"""Bench: Strata's default L2 tune vs SetFit vs a by-hand logistic regression, few-shot banking77.

Data: /work/shared/data/banking77/train.csv. Validation is a fixed, stratified 20% of the file
(split seed 0); the shots (K per intent, seed S) come from the other 80%. All three use the same
`l0/minilm-l6` body and the same shots, no other data.

- strata: `train_classifier(..., ClassifyOptions(seed=S))`, i.e. the defaults.
- by-hand: normalised frozen embeddings + scikit-learn LogisticRegressionCV (C in 1e-2..1e3,
  4-fold CV on the shots, fewer folds when there are fewer than 4 shots per intent).
- setfit: SetFit 1.2 `Trainer` with default `TrainingArguments` except `num_iterations`
  (see `--setfit-iterations`).

Prints accuracy and seconds of each, then one JSON line with the ratios last.

    python bench/l2_vs_setfit.py [--seeds 1] [--shots 8] [--skip-setfit]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

DATA = Path("/work/shared/data/banking77/train.csv")
SPLIT_SEED = 0


def load_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The banking77 train file as (pool, validation): a fixed stratified 80/20 split."""
    frame = pd.read_csv(DATA)
    pool, valid = train_test_split(
        frame, test_size=0.2, random_state=SPLIT_SEED, stratify=frame["category"]
    )
    return pool.reset_index(drop=True), valid.reset_index(drop=True)


def sample_shots(pool: pd.DataFrame, k: int, seed: int) -> pd.DataFrame:
    """K examples per intent from the pool, fixed by `seed`."""
    rng = np.random.default_rng(seed)
    parts = []
    for _, group in pool.groupby("category", sort=True):
        rows = np.sort(rng.choice(len(group), size=k, replace=False))
        parts.append(group.iloc[rows])
    return pd.concat(parts).reset_index(drop=True)


def run_strata(
    body: Path, shots: pd.DataFrame, valid: pd.DataFrame, seed: int
) -> tuple[float, float]:
    """Strata's default tune; returns (accuracy, training seconds)."""
    from strata.models.backends.head import HeadClassifier
    from strata.train.classify import ClassifyOptions, train_classifier

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train_classifier(
            body, list(shots.text), list(shots.category), Path(tmp), ClassifyOptions(seed=seed)
        )
        seconds = time.perf_counter() - started
        predicted = HeadClassifier(Path(tmp)).predict(list(valid.text))
    accuracy = float(np.mean([p[0] == c for p, c in zip(predicted, valid.category, strict=True)]))
    return accuracy, seconds


def run_byhand(body: Path, shots: pd.DataFrame, valid: pd.DataFrame) -> tuple[float, float]:
    """Normalised frozen embeddings + LogisticRegressionCV on the shots."""
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegressionCV

    started = time.perf_counter()
    model = SentenceTransformer(str(body), device="cpu", local_files_only=True)
    x = model.encode(list(shots.text), normalize_embeddings=True, show_progress_bar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folds = min(4, int(shots.category.value_counts().min()))  # stratified folds need >= 2
        head = LogisticRegressionCV(Cs=[0.01, 0.1, 1, 10, 100, 1000], cv=folds, max_iter=3000)
        head.fit(x, shots.category)
    seconds = time.perf_counter() - started
    v = model.encode(list(valid.text), normalize_embeddings=True, show_progress_bar=False)
    return float((head.predict(v) == valid.category).mean()), seconds


def run_setfit(
    body: Path, shots: pd.DataFrame, valid: pd.DataFrame, seed: int, iterations: int
) -> tuple[float, float]:
    """SetFit's Trainer with default arguments (but `num_iterations`, when above 0)."""
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    extra = {"num_iterations": iterations} if iterations > 0 else {}
    started = time.perf_counter()
    model = SetFitModel.from_pretrained(str(body), local_files_only=True)
    data = Dataset.from_dict({"text": list(shots.text), "label": list(shots.category)})
    with tempfile.TemporaryDirectory(prefix="setfit-") as out:  # its checkpoints, not in the cwd
        args = TrainingArguments(output_dir=out, seed=seed, **extra)
        Trainer(model=model, args=args, train_dataset=data).train()
    seconds = time.perf_counter() - started
    predicted = model.predict(list(valid.text), batch_size=64)
    accuracy = float(np.mean([str(p) == c for p, c in zip(predicted, valid.category, strict=True)]))
    return accuracy, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="shot seeds 0..N-1 (default 1)")
    parser.add_argument("--shots", type=int, default=8, help="examples per intent (default 8)")
    parser.add_argument("--skip-setfit", action="store_true", help="quick run without SetFit")
    parser.add_argument(
        "--setfit-iterations",
        type=int,
        default=20,
        help="SetFit num_iterations (default 20, SetFit's pre-1.0 default; 0 = SetFit 1.2's "
        "own default, oversampling every pair: hours on a CPU)",
    )
    args = parser.parse_args()
    if args.shots < 2:
        parser.error(f"--shots must be at least 2 (got {args.shots}): the peers cross-validate.")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(2)
    from strata.models.builtin import builtin_encoder_folder

    body = builtin_encoder_folder()
    pool, valid = load_split()
    rows: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        shots = sample_shots(pool, args.shots, seed)
        runs = {
            "strata": lambda s=shots, seed=seed: run_strata(body, s, valid, seed),
            "byhand": lambda s=shots: run_byhand(body, s, valid),
        }
        if not args.skip_setfit:
            runs["setfit"] = lambda s=shots, seed=seed: run_setfit(
                body, s, valid, seed, args.setfit_iterations
            )
        for name, run in runs.items():
            accuracy, seconds = run()
            print(
                f"seed {seed} {name:7s} accuracy {accuracy:.4f}  train {seconds:7.1f} s", flush=True
            )
            rows.setdefault(f"{name}_acc", []).append(accuracy)
            rows.setdefault(f"{name}_s", []).append(seconds)
    print(json.dumps(summary(rows, args)), flush=True)


def summary(rows: dict[str, list[float]], args: argparse.Namespace) -> dict[str, Any]:
    """Means over seeds, the setup, and the ratios last."""
    out: dict[str, Any] = {key: round(float(np.mean(v)), 4) for key, v in rows.items()}
    out.update(shots=args.shots, seeds=args.seeds, validation="20% of train.csv, seed 0")
    if not args.skip_setfit:
        out["setfit_iterations"] = args.setfit_iterations
    out["acc_gain_vs_byhand"] = round(100 * (out["strata_acc"] - out["byhand_acc"]), 2)
    if not args.skip_setfit:
        out["acc_gain_vs_setfit"] = round(100 * (out["strata_acc"] - out["setfit_acc"]), 2)
        out["time_ratio_vs_setfit"] = round(out["strata_s"] / out["setfit_s"], 4)
    return out


if __name__ == "__main__":
    sys.exit(main())
