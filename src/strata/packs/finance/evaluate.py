"""The finance pack's own evaluation: slot filling on the authored set, and the citation hit rate
of policy answers on the authored question set (retrieval from the `finance-policies` KB)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from strata.packs.evaluation import score_citations
from strata.packs.finance.slots import Slots, extract

EVAL = Path(__file__).resolve().parent / "eval"
KB_NAME = "finance-policies"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))
    return data


def slot_accuracy(path: str = "slots.yaml") -> dict[str, Any]:
    """Field accuracy (every slot of every case, empty ones included), exact-match rate, and
    per-slot precision/recall over the slots the cases state."""
    data = _load(path)
    reference = date.fromisoformat(str(data["reference"]))
    names = list(Slots().to_dict())
    right = exact = 0
    per: dict[str, dict[str, int]] = {n: {"tp": 0, "fp": 0, "fn": 0} for n in names}
    misses = []
    for case in data["cases"]:
        got = extract(case["text"], reference).to_dict()
        want = {n: (case.get("slots") or {}).get(n) for n in names}
        right += sum(got[n] == want[n] for n in names)
        exact += got == want
        for n in names:
            _count(per[n], got[n], want[n])
        if got != want:
            misses.append({"text": case["text"], "got": got, "expected": want})
    fields = len(data["cases"]) * len(names)
    return {
        "cases": len(data["cases"]),
        "accuracy": right / fields,
        "exact_match": exact / len(data["cases"]),
        "per_slot": {n: _prf(c) for n, c in per.items()},
        "misses": misses[:10],
    }


def _count(counts: dict[str, int], got: Any, want: Any) -> None:
    if got is not None and got == want:
        counts["tp"] += 1
    else:
        counts["fp"] += got is not None
        counts["fn"] += want is not None


def _prf(counts: dict[str, int]) -> dict[str, float]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def citation_hit_rate(kbs: Any, path: str = "questions.yaml") -> dict[str, Any]:
    """Share of questions whose top-k passages cite at least one expected document."""
    return score_citations(kbs, KB_NAME, EVAL / path)


def evaluate(pack: Any, context: Any) -> dict[str, Any]:
    """The pack-specific part of the eval report."""
    return {"slots": slot_accuracy(), "citations": citation_hit_rate(context.kbs)}
