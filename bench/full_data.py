"""Bench: the banking77 intent classifier on full data (train file minus a fixed 20% validation).

Same split as bench/l2_vs_setfit.py (stratified, seed 0). Compares Strata's default tune
(`ClassifyOptions()`), optionally `--body` (body tuning), with a by-hand frozen MiniLM +
scikit-learn LogisticRegression at the default C and at C=10. Prints accuracy and seconds of
each, then one JSON line with the ratios last.

    python bench/full_data.py [--body]
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
import torch

sys.path.insert(0, str(Path(__file__).parent))
from l2_vs_setfit import load_split


def run_strata(body: Path, mode: str, pool: Any, valid: Any) -> tuple[float, float]:
    """Strata's tune with default options (but `mode`); returns (accuracy, training seconds)."""
    from strata.models.backends.head import HeadClassifier
    from strata.train.classify import ClassifyOptions, train_classifier

    options = ClassifyOptions() if mode == "default" else ClassifyOptions(mode="body")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train_classifier(body, list(pool.text), list(pool.category), Path(tmp), options)
        seconds = time.perf_counter() - started
        predicted = HeadClassifier(Path(tmp)).predict(list(valid.text))
    accuracy = float(np.mean([p[0] == c for p, c in zip(predicted, valid.category, strict=True)]))
    return accuracy, seconds


def run_byhand(body: Path, pool: Any, valid: Any) -> dict[str, tuple[float, float]]:
    """Frozen normalised embeddings + LogisticRegression at C=1 (default) and C=10."""
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    model = SentenceTransformer(str(body), device="cpu", local_files_only=True)
    x = model.encode(list(pool.text), normalize_embeddings=True, show_progress_bar=False)
    embed_s = time.perf_counter() - started
    v = model.encode(list(valid.text), normalize_embeddings=True, show_progress_bar=False)
    out = {}
    for name, c in (("byhand_c1", 1.0), ("byhand_c10", 10.0)):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head = LogisticRegression(C=c, max_iter=3000).fit(x, pool.category)
        seconds = embed_s + time.perf_counter() - started
        out[name] = (float((head.predict(v) == valid.category).mean()), seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body", action="store_true", help="also run mode='body' (slow on CPU)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(2)
    from strata.models.builtin import builtin_encoder_folder

    body = builtin_encoder_folder()
    pool, valid = load_split()
    results = {"strata": run_strata(body, "default", pool, valid)}
    if args.body:
        results["strata_body"] = run_strata(body, "body", pool, valid)
    results.update(run_byhand(body, pool, valid))
    for name, (accuracy, seconds) in results.items():
        print(f"{name:12s} accuracy {accuracy:.4f}  train {seconds:7.1f} s", flush=True)
    out: dict[str, Any] = {"examples": len(pool), "validation": len(valid)}
    for name, (accuracy, seconds) in results.items():
        out[f"{name}_acc"] = round(accuracy, 4)
        out[f"{name}_s"] = round(seconds, 1)
    out["goal_acc"] = 0.94
    out["acc_gain_vs_byhand_c10"] = round(100 * (out["strata_acc"] - out["byhand_c10_acc"]), 2)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
