"""How many legitimate requests a pack's injection detector flags.

The pack's held-out requests are all legitimate customer requests, so every one the detector
flags is a false alarm: a refusal where the gateway's filter runs, a warning in the finance app.
Scoring them takes seconds to a minute, so the count is kept in the pack folder and recomputed
only when the detector, its threshold or the dataset version changes: a re-install or `strata up`
on a built home stays fast. The detector's own test and hold-out figures are read from its record
each time, so a re-scored hold-out shows at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from strata.models.layers import Layer
from strata.packs import data as pack_data
from strata.packs.base import PackManifest
from strata.security.injection import THRESHOLD_METRIC
from strata.train.detector import prompt_scores
from strata.train.workspace import Workspace

GUARD_FILE = "guard.json"
GUARD_FORMAT = 3  # part of the key: a result written in another layout is measured again


def guard_evaluation(manifest: PackManifest, ws: Workspace, folder: Path) -> dict[str, Any] | None:
    """The detector's false-flag rate on the held-out requests (None without a detector)."""
    guard, holdout = manifest.guard, manifest.holdout
    if guard is None or holdout is None or not ws.store.exists(Layer.L2_TASK, guard.name):
        return None
    record = ws.store.resolve(f"l2/{guard.name}")
    threshold = float(record.metrics[THRESHOLD_METRIC])
    latest = ws.lake.dataset(holdout.dataset).latest
    key = {
        "format": GUARD_FORMAT,
        "model": record.ref,
        "threshold": threshold,
        "dataset": f"{holdout.dataset}@{latest.version if latest else 0}",
    }
    metrics = {k: v for k, v in record.metrics.items() if k.startswith(("test_", "holdout"))}
    path = folder / GUARD_FILE
    if path.is_file():
        kept: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("key") == key:
            return {**kept["result"], **metrics}
    texts = pack_data.heldout_texts(ws.lake.read(holdout.dataset).to_pandas(), holdout)
    flagged = sum(s >= threshold for s in prompt_scores(ws, record.ref, texts))
    result = {
        **key,
        "heldout_requests": len(texts),
        "flagged": flagged,
        "false_flag_rate": round(flagged / len(texts), 4) if texts else 0.0,
    }
    text = json.dumps({"key": key, "result": result}, indent=2, sort_keys=True) + "\n"
    pack_data.write_if_changed(path, text)
    return {**result, **metrics}
