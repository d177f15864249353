"""The shared pack evaluation: citation hit rate over a question file."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from strata.packs.evaluation import score_citations


class _Kbs:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, int]] = []

    def search(self, name: str, question: str, k: int) -> list[Any]:
        self.calls.append((name, question, k))
        return [SimpleNamespace(path=p) for p in self.answers[question]]


def test_a_question_hits_when_any_expected_document_is_cited(tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        "k: 2\ncases:\n  - {question: a, expect: [x.md, y.md]}\n  - {question: b, expect: [z.md]}\n"
    )
    kbs = _Kbs({"a": ["y.md", "w.md"], "b": ["w.md"]})
    report = score_citations(kbs, "rules", questions)
    assert report == {
        "cases": 2,
        "k": 2,
        "hit_rate": 0.5,
        "misses": [{"question": "b", "cited": ["w.md"]}],
    }
    assert kbs.calls == [("rules", "a", 2), ("rules", "b", 2)]
