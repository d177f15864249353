"""The one-screen guide for the counter employee: a deterministic template, or a prompt that asks
a generator to write it in prose grounded only in the retrieved policy passages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_QUOTE = 220


def citation(hit: dict[str, Any]) -> str:
    """`path p.PAGE #CHUNK`, as the knowledge base cites a passage."""
    return f"{hit.get('path')} p.{hit.get('page')} #{hit.get('chunk')}"


def grounded(passages: Sequence[dict[str, Any]], policies: Sequence[str]) -> list[dict[str, Any]]:
    """Passages from the workflow's own policies first, then the rest, in retrieval order."""
    own = [p for p in passages if p.get("path") in policies]
    return own + [p for p in passages if p.get("path") not in policies]


def _quote(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_QUOTE else flat[: MAX_QUOTE - 1].rsplit(" ", 1)[0] + "…"


def _facts(workflow: dict[str, Any]) -> str:
    slots = workflow.get("slots") or {}
    known = [f"{k} {v}" for k, v in slots.items() if v is not None]
    missing = workflow.get("missing") or []
    parts = ["; ".join(known) if known else "none stated"]
    if missing:
        parts.append("ask for: " + ", ".join(missing))
    return " | ".join(parts)


def template_guide(workflow: dict[str, Any], passages: Sequence[dict[str, Any]]) -> str:
    """The guide as plain text that fits one screen."""
    lines = [
        f"{workflow['title']}  [{workflow['intent']}]  SLA {workflow['sla_hours']} h",
        f"Facts: {_facts(workflow)}",
    ]
    if workflow.get("documents"):
        lines.append("Bring: " + "; ".join(workflow["documents"]))
    lines.append("Steps:")
    lines += [f"  {n}. {step}" for n, step in enumerate(workflow["steps"], start=1)]
    lines.append("Check: " + "; ".join(workflow.get("checks") or ["none"]))
    lines.append(f"Escalate: {workflow['escalation']}")
    for hit in passages[:2]:
        lines.append(f'Policy: "{_quote(hit.get("text", ""))}" [{citation(hit)}]')
    return "\n".join(lines)


def flag_warning(reasons: Sequence[str]) -> str:
    """The line a flagged request's guide opens with."""
    return (
        f"CHECK BEFORE ACTING: the injection check flagged this request ({'; '.join(reasons)}). "
        "No generator has read it; confirm with the customer what they need."
    )


def clarify_guide(question: str, top: Sequence[dict[str, Any]]) -> str:
    """The guide when the intent is unclear: the question to ask, and the candidates."""
    options = ", ".join(f"{t['label']} ({float(t['score']):.0%})" for t in top)
    return f"Ask the customer: {question}\nCandidates: {options}"


def prompt(workflow: dict[str, Any], passages: Sequence[dict[str, Any]], request: str) -> str:
    """The generator's prompt: the workflow and the passages, with the citations to use."""
    sources = "\n".join(f"[{citation(p)}] {_quote(p.get('text', ''))}" for p in passages[:3])
    steps = "\n".join(f"- {s}" for s in workflow["steps"])
    return (
        "You help a bank counter employee. Write a short guide (at most 8 lines) for the request "
        "below, using only the workflow and the policy passages, and cite passages as [path].\n"
        f"Request: {request}\nIntent: {workflow['title']}\nFacts: {_facts(workflow)}\n"
        f"Workflow steps:\n{steps}\nEscalation: {workflow['escalation']}\n"
        f"Policy passages:\n{sources}\nGuide:"
    )
