"""How many legitimate requests the injection detector refuses, on data it was never built for.

Scores three sets of ordinary requests, none an attack, the way the gateway's `injection` filter
does (in windows, at the threshold stored on the model), and counts the ones it would block:

- banking77 `train.csv`, shuffled with seed 0: the first 2,000 requests (read while the
  detector's `service` templates were written, so a development set) and the other 8,003;
- the government pack's city reports (`reports.csv` and `eval/heldout.csv`, 3,840).

Usage (the detector must exist in STRATA_HOME: `strata security train-injection`):

    .venv/bin/python bench/guard_false_blocks.py [--model l2/injection-detector] [--data DIR]

Prints one JSON line; the last field is the false-block rate on the unread banking requests
over the 2% false-positive budget the detector is calibrated for (below 1 is within budget).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from pathlib import Path

from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.models.runtime import ModelRuntime, open_store
from strata.security.injection import THRESHOLD_METRIC, InjectionDetector

ROOT = Path(__file__).resolve().parents[1]
GOVERNMENT = ROOT / "src" / "strata" / "packs" / "government"
BUDGET = 0.02


def _texts(path: Path, column: str = "text") -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def request_sets(data: Path) -> dict[str, list[str]]:
    """The three sets of legitimate requests, in a fixed order."""
    banking = _texts(data / "banking77" / "train.csv")
    random.Random(0).shuffle(banking)
    city = _texts(GOVERNMENT / "data" / "reports.csv") + _texts(GOVERNMENT / "eval" / "heldout.csv")
    return {"banking_dev": banking[:2000], "banking_unread": banking[2000:], "city": city}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", default="l2/injection-detector")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    settings = load_settings()
    store = open_store(Catalog(settings.catalog_url))
    record = store.resolve(args.model)
    threshold = float(record.metrics[THRESHOLD_METRIC])
    _, classifier = ModelRuntime(store, settings.models).classifier(record.ref)
    detector = InjectionDetector(classifier, threshold)
    out: dict[str, object] = {"bench": "guard_false_blocks", "model": record.ref}
    out["threshold"] = round(threshold, 4)
    started = time.perf_counter()
    for name, texts in request_sets(args.data).items():
        blocked = sum(s >= threshold for s in detector.prompt_scores(texts))
        out[name] = {
            "requests": len(texts),
            "blocked": blocked,
            "rate": round(blocked / len(texts), 4),
        }
        print(f"{name}: {blocked} of {len(texts)} blocked", flush=True)
    out["seconds"] = round(time.perf_counter() - started, 1)
    unread = out["banking_unread"]
    assert isinstance(unread, dict)
    out["unread_rate_over_budget"] = round(unread["rate"] / BUDGET, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
