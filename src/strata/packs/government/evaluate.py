"""The government pack's own evaluation: event-type and department accuracy of the installed L2 on
held-out reports written in styles the pack's data does not use, and the citation hit rate of
answers about the city's regulations (retrieval from the `city-rules` KB)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from strata.packs.evaluation import score_citations
from strata.packs.government.taxonomy import Taxonomy, load_taxonomy

EVAL = Path(__file__).resolve().parent / "eval"
HELDOUT_FILE = EVAL / "heldout.csv"
KB_NAME = "city-rules"
TARGETS = {"department_accuracy": 0.95, "event_type_accuracy": 0.90}
_BATCH = 64


def read_heldout(path: Path = HELDOUT_FILE) -> list[dict[str, str]]:
    """The held-out reports: `text`, `event_type`, `department`, `style`."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rates(counts: Counter[str]) -> dict[str, Any]:
    n = counts["n"]
    return {"cases": n, "event_type_accuracy": counts["type"] / n,
            "department_accuracy": counts["dept"] / n}  # fmt: skip


def score_predictions(
    rows: list[dict[str, str]], ranked: list[list[tuple[str, float]]], table: Taxonomy
) -> dict[str, Any]:
    """Accuracy of the top label (event type) and of its department, overall and per style,
    plus what routing with the triage threshold would do, the commonest confusions and misses."""
    total: Counter[str] = Counter()
    per_style: dict[str, Counter[str]] = {}
    confusions: Counter[tuple[str, str]] = Counter()
    misses = []
    for row, candidates in zip(rows, ranked, strict=True):
        label, score = candidates[0]
        type_ok = label == row["event_type"]
        dept_ok = table.department_of(label) == row["department"]
        routed = score >= table.triage.threshold
        step = {"n": 1, "type": type_ok, "dept": dept_ok, "routed": routed,
                "routed_dept": routed and dept_ok}  # fmt: skip
        total.update(step)
        per_style.setdefault(row.get("style", ""), Counter()).update(step)
        if not type_ok:
            confusions[(row["event_type"], label)] += 1
            misses.append({"text": row["text"], "expected": row["event_type"], "got": label,
                           "score": round(score, 3)})  # fmt: skip
    overall = _rates(total)
    passed = all(overall[k] >= v for k, v in TARGETS.items())
    return {
        **overall,
        "targets": TARGETS,
        "passed": passed,
        "triage_rate": 1 - total["routed"] / total["n"],
        "routed_department_accuracy": total["routed_dept"] / max(total["routed"], 1),
        "per_style": {s: _rates(c) for s, c in sorted(per_style.items())},
        "confusions": [
            {"expected": e, "got": g, "count": c} for (e, g), c in confusions.most_common(10)
        ],
        "misses": misses[:10],
    }


def heldout_accuracy(runtime: Any, ref: str, path: Path = HELDOUT_FILE) -> dict[str, Any]:
    """Classify the held-out reports with the model `ref` and score them (`score_predictions`)."""
    rows = read_heldout(path)
    record, model = runtime.classifier(ref)
    texts = [r["text"] for r in rows]
    ranked: list[list[tuple[str, float]]] = []
    for start in range(0, len(texts), _BATCH):
        ranked.extend(model.classify(texts[start : start + _BATCH]))
    return {"model": record.ref, **score_predictions(rows, ranked, load_taxonomy())}


def citation_hit_rate(kbs: Any, path: str = "questions.yaml") -> dict[str, Any]:
    """Share of questions whose top-k passages cite at least one expected document."""
    return score_citations(kbs, KB_NAME, EVAL / path)


def evaluate(pack: Any, context: Any) -> dict[str, Any]:
    """The pack-specific part of the eval report: held-out routing accuracy and citations."""
    l2 = pack.manifest.l2
    report: dict[str, Any] = {"citations": citation_hit_rate(context.kbs)}
    if l2 is not None:
        report["heldout"] = heldout_accuracy(context.ws.runtime, f"l2/{l2.name}")
    return report


__all__ = [
    "HELDOUT_FILE",
    "KB_NAME",
    "TARGETS",
    "citation_hit_rate",
    "evaluate",
    "heldout_accuracy",
    "read_heldout",
    "score_predictions",
]
