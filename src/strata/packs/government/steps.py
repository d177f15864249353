"""The government pack's app step `city_route`, registered in `strata.apps.steps` like any plugin:
the classifier's ranked event types in, department (or triage), priority, SLA and webhook out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from strata.apps import InvalidAppSpec, StepContext
from strata.apps.steps import require
from strata.packs.government.routing import Ranked, route_event
from strata.packs.government.taxonomy import load_taxonomy


def _bad(ctx: StepContext, name: str, problem: str, value: Any, hint: str) -> InvalidAppSpec:
    return InvalidAppSpec(
        f'Step "{ctx.step_id}", field "with.{name}": {problem}, got {value!r}.', hint=hint
    )


def _ranked(params: Mapping[str, Any], ctx: StepContext) -> list[Ranked]:
    labels = require(params, "labels", ctx, list)
    hint = "Pass the classify step's ranked labels: labels: ${steps.classify.labels}."
    if not labels:
        raise _bad(ctx, "labels", "at least one {label, score} is required", labels, hint)
    ranked = []
    for item in labels:
        label = item.get("label") if isinstance(item, Mapping) else None
        score = item.get("score") if isinstance(item, Mapping) else None
        if not isinstance(label, str) or isinstance(score, bool):
            raise _bad(ctx, "labels", "each item needs a text `label`", item, hint)
        if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
            raise _bad(ctx, "labels", "each `score` is a number from 0 to 1", item, hint)
        ranked.append(Ranked(label, float(score)))
    return ranked


def _moment(value: Any, ctx: StepContext) -> datetime:
    if value is None or value == "":
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        hint = "Pass an ISO time such as 2026-05-04T23:15:00+00:00, or leave it empty for now."
        raise _bad(ctx, "reported_at", "not an ISO date-time", value, hint) from exc


def _threshold(value: Any, ctx: StepContext) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        hint = "Use a confidence between 0 and 1, or leave it unset for the routing table's."
        raise _bad(ctx, "threshold", "a number from 0 to 1 is required", value, hint)
    return float(value)


async def route(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {labels, text, reported_at?, threshold?, taxonomy?}` -> the routing.

    `labels` are the classify step's ranked `{label, score}`; `taxonomy` is the path of a routing
    table to use instead of the pack's own `taxonomy.yaml`. Returns `{event_type, department,
    score, top, triage, priority, priority_reasons, sla_hours, webhook}`; below the threshold
    `department` is the triage queue and `triage` is true.
    """
    ranked = _ranked(params, ctx)
    text = require(params, "text", ctx, str)
    moment = _moment(params.get("reported_at"), ctx)
    threshold = _threshold(params.get("threshold"), ctx)
    table = load_taxonomy(params.get("taxonomy") or None)
    return route_event(ranked, text, moment, table, threshold).to_dict()
