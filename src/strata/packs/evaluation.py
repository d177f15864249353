"""Evaluation parts every pack shares: the citation hit rate of answers grounded in a KB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def score_citations(kbs: Any, kb_name: str, questions: Path) -> dict[str, Any]:
    """Share of questions whose top-k passages in the KB `kb_name` cite an expected document.

    Args:
        kbs: the knowledge bases to search (anything with `search(name, question, k=...)`).
        questions: a YAML file with `k` (default 3) and `cases`, each a `question` and the
            document paths it `expect`s.
    """
    data: dict[str, Any] = yaml.safe_load(questions.read_text(encoding="utf-8"))
    k = int(data.get("k", 3))
    hits, misses = 0, []
    for case in data["cases"]:
        found = [h.path for h in kbs.search(kb_name, case["question"], k=k)]
        if set(found) & set(case["expect"]):
            hits += 1
        else:
            misses.append({"question": case["question"], "cited": found})
    return {"cases": len(data["cases"]), "k": k, "hit_rate": hits / len(data["cases"]),
            "misses": misses[:10]}  # fmt: skip


__all__ = ["score_citations"]
