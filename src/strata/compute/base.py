"""Where work runs: jobs declare the resources they need; an engine (local, Ray) runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from strata.core.errors import InvalidInput
from strata.core.registry import Registry

T = TypeVar("T")


@dataclass(frozen=True)
class Resources:
    """What a job needs; engines schedule on it (Ray) or check it (local)."""

    cpus: float = 1.0
    gpus: float = 0.0
    memory_gb: float | None = None

    def __post_init__(self) -> None:
        if self.cpus <= 0 or self.gpus < 0:
            raise InvalidInput(
                f"Job resources need cpus > 0 and gpus >= 0; got cpus={self.cpus}, "
                f"gpus={self.gpus}.",
                hint="Declare e.g. Resources(cpus=2, gpus=0).",
            )


@dataclass(frozen=True)
class Job(Generic[T]):
    """A named unit of work: a function, its arguments and the resources it needs."""

    name: str
    fn: Callable[..., T]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)


class ComputeEngine(Protocol):
    """Runs jobs somewhere and says which device a job should use."""

    name: str

    def run(self, job: Job[T]) -> T: ...

    def device(self) -> str: ...


EngineFactory = Callable[[], ComputeEngine]
ENGINES: Registry[EngineFactory] = Registry("strata.compute.backends")


def engine(name: str) -> ComputeEngine:
    """The engine called `name` (`local` is built in)."""
    return ENGINES.get(name)()
