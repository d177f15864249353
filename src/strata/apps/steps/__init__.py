"""Step plugins: the protocol, the registries, and the built-in steps (entry points)."""

from strata.apps.steps.base import FUNCTIONS, STEPS, Services, Step, StepContext, require

__all__ = ["FUNCTIONS", "STEPS", "Services", "Step", "StepContext", "require"]
