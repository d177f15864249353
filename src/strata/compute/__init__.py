"""Compute: where jobs run. `local` now; a Ray engine registers in the same group."""

from strata.compute.base import ENGINES, ComputeEngine, Job, Resources, engine

__all__ = ["ENGINES", "ComputeEngine", "Job", "Resources", "engine"]
