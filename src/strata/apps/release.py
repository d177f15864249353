"""Release: an app's eval set run at publish time, and the gate an alias demands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strata.apps.errors import GateFailed
from strata.apps.runner import Runner
from strata.apps.spec import AppSpec
from strata.apps.store import AppVersion, spec_sha256


def _matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, float) and isinstance(got, int | float):
        return abs(expected - got) < 1e-6
    return bool(expected == got)


async def evaluate(runner: Runner, spec: AppSpec) -> dict[str, Any] | None:
    """Run every eval case; None when the spec has no eval set."""
    if spec.eval is None:
        return None
    draft = AppVersion(spec.name, 0, spec, spec_sha256(spec), None, datetime.now(UTC))
    failures = []
    for number, case in enumerate(spec.eval.cases, start=1):
        result = await runner.run(draft, case.input, source="eval")
        got = result.output or {}
        wrong = {k: got.get(k) for k, v in case.expect.items() if not _matches(v, got.get(k))}
        if result.status != "succeeded" or wrong:
            failures.append(
                {"case": number, "expected": case.expect, "got": wrong, "error": result.error}
            )
    total = len(spec.eval.cases)
    rate = (total - len(failures)) / total
    return {
        "cases": total,
        "passed": total - len(failures),
        "pass_rate": rate,
        "min_pass_rate": spec.eval.gate.min_pass_rate,
        "gate_passed": rate >= spec.eval.gate.min_pass_rate,
        "failures": failures[:20],
    }


def check_gate(app: AppVersion, alias: str, current: int | None) -> None:
    """Raise GateFailed unless `app` passed its eval gate (no eval set never passes)."""
    stays = f"{alias} stays at version {current}" if current else f"{alias} stays unset"
    evaluation = app.evaluation
    if evaluation is None:
        raise GateFailed(
            f"App {app.ref} has no eval set, so it cannot take the alias {alias!r}; {stays}.",
            hint="Add `eval:` with cases and a gate to the spec, then publish again.",
            app=app.ref,
        )
    if not evaluation["gate_passed"]:
        raise GateFailed(
            f"App {app.ref} passed {evaluation['passed']}/{evaluation['cases']} eval cases "
            f"({evaluation['pass_rate']:.0%}), below its gate of "
            f"{evaluation['min_pass_rate']:.0%}; it cannot take {alias!r} and {stays}.",
            hint=f"See the failing cases: strata apps versions {app.name} --json",
            app=app.ref,
        )
