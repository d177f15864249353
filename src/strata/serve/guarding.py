"""Runs the security filters a tenant's policy enables: `pre` on input, `post` on output.

Filters come from the `strata.serve.filters` registry; with none configured for a tenant, none
run. A rejection raises FilterRejected (a 400 whose code names the filter); every verdict is kept
for the audit record, in the policy's order.

Input filters that only judge (`rewrites = False`, such as `injection`) run on the text as
received, in a small thread pool, while the rewriting ones (such as `pii`) run one after another
in the caller's thread: model-backed checks release the GIL, so on a multi-core machine a request
pays about the slowest filter instead of their sum. Output filters all run in order (a deny list
must see restored pseudonyms). A filter without the attribute counts as rewriting.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from strata.models.runtime import ModelRuntime
from strata.security.filters import FILTERS, FilterContext, Phase, SecurityFilter, Verdict
from strata.serve.errors import FilterRejected


class FilterPolicy:
    """Builds each tenant's filters once and applies them to texts."""

    def __init__(self, policies: dict[str, dict[str, dict[str, Any]]], runtime: ModelRuntime):
        self.policies = policies
        self.runtime = runtime
        self._built: dict[str, list[SecurityFilter]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def filters(self, tenant: str, phase: Phase) -> list[SecurityFilter]:
        """The tenant's filters of one phase (built on first use)."""
        if tenant not in self._built:
            options = self.policies.get(tenant, {})
            self._built[tenant] = [
                FILTERS.get(name)(opts, self.runtime) for name, opts in options.items()
            ]
        return [f for f in self._built[tenant] if f.phase == phase]

    def active(self, tenant: str) -> bool:
        """Whether any filter is configured for the tenant."""
        return bool(self.policies.get(tenant))

    def apply(
        self, phase: Phase, texts: list[str], context: FilterContext, verdicts: list[dict[str, Any]]
    ) -> list[str]:
        """Run the phase's filters over each text; returns the (possibly rewritten) texts."""
        filters = self.filters(context.tenant, phase)
        judges = {
            i: [self._threads().submit(f.check, text, context) for text in texts]
            for i, f in enumerate(filters)
            if phase == "pre" and not getattr(f, "rewrites", True)
        }
        out = list(texts)
        try:
            for i, flt in enumerate(filters):
                for index, text in enumerate(out):
                    verdict = judges[i][index].result() if i in judges else flt.check(text, context)
                    verdicts.append({**verdict.to_dict(), "phase": phase})
                    if not verdict.allowed:
                        raise _rejected(flt.name, phase, verdict)
                    if verdict.text is not None:
                        out[index] = verdict.text
        finally:
            _cancel(judges)
        return out

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="strata-filter")
        return self._pool

    def close(self) -> None:
        """Stop the filter threads (at server shutdown; they start again on next use)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _cancel(judges: dict[int, list[Future[Verdict]]]) -> None:
    for futures in judges.values():
        for future in futures:
            future.cancel()


def _rejected(name: str, phase: Phase, verdict: Verdict) -> FilterRejected:
    where = "input" if phase == "pre" else "output"
    return FilterRejected(
        f"The {where} was rejected by the security filter {name!r}: "
        f"{verdict.reason or 'no reason given'}.",
        filter_name=name,
        hint="Rephrase the request, or ask the tenant's administrator about its filter policy.",
    )
