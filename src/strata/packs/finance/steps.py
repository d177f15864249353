"""App steps of the finance pack, registered in `strata.apps.steps` like any plugin:
`finance_workflow` (intent -> filled service workflow, or a clarifying question) and
`finance_guide` (the one-screen guide, from a template or a generator)."""

from __future__ import annotations

from datetime import date
from typing import Any

from strata.apps import InvalidAppSpec, StepContext
from strata.models import ChatMessage
from strata.packs.finance.guide import (
    citation,
    clarify_guide,
    flag_warning,
    grounded,
    prompt,
    template_guide,
)
from strata.packs.finance.slots import extract
from strata.packs.finance.workflows import catalogue, fill

DEFAULT_THRESHOLD = 0.5


def _reference(value: Any, ctx: StepContext) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.date": {value!r} is not a date (YYYY-MM-DD).',
            hint="Pass the date the request was made, e.g. 2026-11-28, or leave it empty.",
        ) from exc


def _question(top: list[dict[str, Any]]) -> str:
    titles = [catalogue()[t["label"]].title.lower() for t in top if t["label"] in catalogue()]
    if not titles:
        return "Could you tell me a little more about what you need?"
    listed = ", ".join(titles[:-1]) + f" or {titles[-1]}" if len(titles) > 1 else titles[0]
    return f"To help you quickly: is this about {listed}?"


async def workflow(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {text, labels, threshold?, date?}` -> the filled workflow, or a clarifying question.

    `labels` are the classify step's ranked `{label, score}`; below `threshold` the step asks.
    """
    text = str(params.get("text") or "")
    top = list(params.get("labels") or [])[:3]
    slots = extract(text, _reference(params.get("date"), ctx))
    threshold = float(params.get("threshold", DEFAULT_THRESHOLD))
    best: dict[str, Any] = top[0] if top else {"label": None, "score": 0.0}
    score = float(best["score"])
    result: dict[str, Any] = {
        "intent": best["label"],
        "score": score,
        "top": top,
        "slots": slots.to_dict(),
    }
    if best["label"] not in catalogue() or score < threshold:
        return {**result, "status": "clarify", "question": _question(top), "workflow": None,
                "query": text}  # fmt: skip
    filled = fill(str(best["label"]), slots)
    return {**result, "status": "ready", "question": None, "workflow": filled,
            "query": filled["query"]}  # fmt: skip


async def guide(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {workflow, passages, text, top?, question?, generator?, flagged?}` ->
    `{guide, citations, written_by, flagged}`.

    With `generator` (a model reference) the guide is written in prose from the passages;
    without one a deterministic template writes it. `flagged` holds the reasons the injection
    check gave: a flagged request never reaches the generator, and its guide opens with a warning
    for the employee, so a false alarm costs a second look, not the customer's answer.
    """
    found = params.get("workflow")
    hits = list(params.get("passages") or [])
    flagged = [str(reason) for reason in params.get("flagged") or []]
    warning = [flag_warning(flagged)] if flagged else []
    if not found:
        question = str(params.get("question") or "")
        text = clarify_guide(question, list(params.get("top") or []))
        return {"guide": "\n".join([*warning, text]), "citations": [], "written_by": "template",
                "flagged": flagged}  # fmt: skip
    passages = grounded(hits, found.get("policies") or [])
    citations = [citation(p) for p in passages[:3]]
    generator = params.get("generator")
    if generator and not flagged:
        text = await _generate(str(generator), found, passages, str(params.get("text")), ctx)
        return {"guide": text, "citations": citations, "written_by": str(generator),
                "flagged": flagged}  # fmt: skip
    text = "\n".join([*warning, template_guide(found, passages)])
    return {"guide": text, "citations": citations, "written_by": "template", "flagged": flagged}


async def _generate(
    ref: str, found: dict[str, Any], passages: list[dict[str, Any]], text: str, ctx: StepContext
) -> str:
    runtime = ctx.need_runtime()
    record, model = runtime.generator(ref)
    ctx.models.append(record.ref)
    messages = [ChatMessage("user", prompt(found, passages, text))]
    answer = await ctx.in_thread(
        model.generate, messages, max_new_tokens=runtime.settings.max_new_tokens, temperature=0.0
    )
    return str(answer.text).strip()
