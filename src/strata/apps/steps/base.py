"""What a step plugin is, what it is handed, and the registries that find steps and functions.

A step is an async callable `step(params, ctx) -> dict` registered in the entry-point group
`strata.apps.steps`; built-ins register exactly like third-party steps. `params` are the step's
`with:` values with every reference resolved; the returned mapping is the step's output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from strata.apps.errors import InvalidAppSpec
from strata.core.registry import Registry
from strata.core.settings import AppsSettings, SecuritySettings, TicketsSettings

if TYPE_CHECKING:
    from strata.apps.kb import KnowledgeBases
    from strata.core.catalog import Catalog
    from strata.models.runtime import ModelRuntime

T = TypeVar("T")


@dataclass
class Services:
    """What steps may use; built once per process and shared by every run."""

    settings: AppsSettings = field(default_factory=AppsSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    runtime: ModelRuntime | None = None
    kbs: KnowledgeBases | None = None
    catalog: Catalog | None = None
    tickets: TicketsSettings = field(default_factory=TicketsSettings)
    # Eval runs at publish time: steps with side effects (the ticket step) only pretend.
    dry_run: bool = False


@dataclass
class StepContext:
    """One step of one run: its ids, shared services, and what it adds to the trace."""

    run_id: str
    step_id: str
    services: Services
    tenant: str = "default"
    models: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)

    def need_runtime(self) -> ModelRuntime:
        """The model runtime, or a clear error when this process has none."""
        if self.services.runtime is None:
            raise InvalidAppSpec(
                f'Step "{self.step_id}" needs models, but this runner has no model runtime.',
                hint="Run apps through `strata apps run` or the gateway, which provide one.",
            )
        return self.services.runtime

    def need_catalog(self) -> Catalog:
        """The catalog, or a clear error when this process has none."""
        if self.services.catalog is None:
            raise InvalidAppSpec(
                f'Step "{self.step_id}" needs the catalog, but this runner has none.',
                hint="Run apps through `strata apps run` or the gateway, which provide one.",
            )
        return self.services.catalog

    async def in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (model calls, index reads) off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)


class Step(Protocol):
    """One step plugin."""

    def __call__(self, params: dict[str, Any], ctx: StepContext) -> Awaitable[dict[str, Any]]: ...


STEPS: Registry[Step] = Registry("strata.apps.steps")
FUNCTIONS: Registry[Callable[..., Any]] = Registry("strata.apps.functions")


def require(
    params: Mapping[str, Any], name: str, ctx: StepContext, kind: type | None = None
) -> Any:
    """A required parameter, or InvalidAppSpec naming the step and the field."""
    value = params.get(name)
    if value is None or (kind is not None and not isinstance(value, kind)):
        expected = f" ({kind.__name__})" if kind is not None else ""
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.{name}": a value{expected} is required, '
            f"got {value!r}.",
            hint=f"Set `{name}:` under the step's `with:` (a reference resolving to None counts "
            "as missing).",
        )
    return value
