"""The workflow runner: asyncio over the step DAG (graphlib), concurrent where steps are
independent, with per-step timeouts and retries, step events, and a trace stored per run."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from graphlib import TopologicalSorter
from typing import Any

from strata.apps.errors import McpNotAllowed, StepFailed
from strata.apps.inputs import validate_input
from strata.apps.records import AppRunRow
from strata.apps.refs import evaluate, resolve
from strata.apps.spec import StepSpec
from strata.apps.steps.base import STEPS, Services, StepContext
from strata.apps.store import AppStore, AppVersion
from strata.apps.trace import RunResult, StepTrace
from strata.core.errors import InvalidInput, PluginNotFound, StrataError

EventSink = Callable[[dict[str, Any]], Awaitable[None]]
_FINAL = (InvalidInput, McpNotAllowed, PluginNotFound)  # retrying cannot help these


async def no_events(_event: dict[str, Any]) -> None:
    return None


class Runner:
    """Runs published app versions; stores each run's trace when given a store."""

    def __init__(self, services: Services, store: AppStore | None = None) -> None:
        self.services = services
        self.store = store

    async def run(
        self,
        app: AppVersion,
        data: Mapping[str, Any],
        *,
        tenant: str = "default",
        source: str = "api",
        on_event: EventSink = no_events,
    ) -> RunResult:
        """Run one app version on one input; never raises for a failed step (see `status`)."""
        inputs = validate_input(app.spec, data)
        result = RunResult(uuid.uuid4().hex, app.name, app.version, dict(inputs))
        await on_event({"event": "run_started", "run_id": result.run_id, "app": app.ref})
        started = time.perf_counter()
        scope: dict[str, Any] = {"input": inputs, "steps": {}}
        await self._walk(app, scope, result, tenant, on_event)
        if result.status == "succeeded":
            result.output = resolve(app.spec.outputs, scope)
        result.latency_ms = (time.perf_counter() - started) * 1000
        if self.store is not None:
            await asyncio.to_thread(self.store.record_run, _row(result, source))
        await on_event({"event": "run_finished", **result.to_dict()})
        return result

    async def _walk(
        self,
        app: AppVersion,
        scope: dict[str, Any],
        result: RunResult,
        tenant: str,
        on_event: EventSink,
    ) -> None:
        sorter = TopologicalSorter({s.id: s.depends_on() for s in app.spec.steps})
        sorter.prepare()
        pending: dict[asyncio.Task[StepTrace], str] = {}
        try:
            while sorter.is_active():
                for step_id in sorter.get_ready():
                    await on_event({"event": "step_started", "step": step_id})
                    job = self._step(app.spec.step(step_id), scope, result.run_id, tenant)
                    pending[asyncio.create_task(job)] = step_id
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    step_id = pending.pop(task)
                    trace = task.result()
                    result.steps.append(trace)
                    await on_event({"event": "step_finished", **trace.to_dict()})
                    if trace.status == "failed":
                        result.status, result.error = "failed", trace.error
                        result.exception = trace.exception
                        return
                    scope["steps"][step_id] = trace.outputs
                    sorter.done(step_id)
        finally:
            for task in pending:
                task.cancel()

    async def _step(
        self, step: StepSpec, scope: dict[str, Any], run_id: str, tenant: str
    ) -> StepTrace:
        trace = StepTrace(step.id, step.uses)
        started = time.perf_counter()
        try:
            if step.when and not evaluate(step.when, scope):
                trace.status = "skipped"
                return trace
            trace.inputs = resolve(step.params, scope)
            await self._attempts(step, trace, run_id, tenant)
        except StrataError as exc:
            trace.fail(exc)
        finally:
            trace.latency_ms = (time.perf_counter() - started) * 1000
        return trace

    async def _attempts(self, step: StepSpec, trace: StepTrace, run_id: str, tenant: str) -> None:
        plugin = STEPS.get(step.uses)
        settings = self.services.settings
        timeout = step.timeout_s or settings.step_timeout_s
        retries = settings.step_retries if step.retries is None else step.retries
        for attempt in range(1, retries + 2):
            trace.attempts = attempt
            ctx = StepContext(run_id, step.id, self.services, tenant)
            try:
                trace.outputs = await asyncio.wait_for(plugin(dict(trace.inputs), ctx), timeout)
                trace.models, trace.verdicts = ctx.models, ctx.verdicts
                trace.status, trace.error = "succeeded", None
                return
            except _FINAL as exc:
                trace.verdicts = ctx.verdicts
                trace.fail(exc)
                return
            except TimeoutError:
                trace.fail(_timeout(step, timeout))
            except Exception as exc:  # any plugin failure is recorded, then retried
                trace.fail(_wrap(step, exc))
            if attempt <= retries:
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))


def _timeout(step: StepSpec, timeout: float) -> StepFailed:
    return StepFailed(
        f'Step "{step.id}" ({step.uses}) timed out after {timeout:g} s.',
        hint="Raise the step's `timeout_s`, or `apps.step_timeout_s` for every step.",
        step=step.id,
    )


def _wrap(step: StepSpec, exc: Exception) -> StrataError:
    if isinstance(exc, StrataError):
        return exc
    return StepFailed(
        f'Step "{step.id}" ({step.uses}) failed: {type(exc).__name__}: {exc}',
        hint="See the run's trace (strata apps trace RUN_ID); set `retries:` for flaky steps.",
        step=step.id,
    )


def _row(result: RunResult, source: str) -> AppRunRow:
    return AppRunRow(
        id=result.run_id, name=result.app, version=result.version, status=result.status,
        input=result.input, output=result.output, error=result.error,
        steps=[s.to_dict(compact=True) for s in result.steps], source=source,
        started_at=result.started_at, latency_ms=result.latency_ms,
    )  # fmt: skip
