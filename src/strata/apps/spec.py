"""App specs in YAML: an input schema, steps forming a DAG, outputs, an eval set and its gate.

Validated when built; errors name the step and the field, the value received and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from strata.apps.errors import InvalidAppSpec
from strata.apps.refs import check_condition, references, step_names

APP_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
STEP_ID = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
FieldType = Literal["string", "integer", "number", "boolean", "object", "array"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class InputField(_Strict):
    """One field of the app's input."""

    type: FieldType = "string"
    required: bool = True
    default: Any = None
    description: str = ""


class StepSpec(_Strict):
    """One step: a plugin (`uses`), its parameters (`with`), an optional condition (`when`)."""

    id: str = Field(description="Unique step id: lower case, digits and '_'.")
    uses: str = Field(description="Step plugin name in `strata.apps.steps`.")
    params: dict[str, Any] = Field(default_factory=dict, alias="with")
    when: str | None = Field(None, description="Jinja2 expression over `input` and `steps`.")
    timeout_s: float | None = Field(None, gt=0, description="Seconds per attempt.")
    retries: int | None = Field(None, ge=0, le=10, description="Extra attempts on failure.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not STEP_ID.match(value):
            raise ValueError("use lower-case letters, digits and '_', starting with a letter")
        return value

    def depends_on(self) -> set[str]:
        """The ids of the steps this step reads from."""
        return step_names(self.params, self.when)


class EvalCase(_Strict):
    """An input and the outputs it must produce."""

    input: dict[str, Any]
    expect: dict[str, Any]


class Gate(_Strict):
    """Thresholds an app version's eval set must meet before it takes an alias."""

    min_pass_rate: float = Field(1.0, ge=0, le=1, description="Fraction of cases that pass.")


class EvalSpec(_Strict):
    """The eval set run at publish time, and its gate."""

    cases: list[EvalCase] = Field(min_length=1)
    gate: Gate = Field(default_factory=Gate)


class AppSpec(_Strict):
    """A whole app."""

    name: str
    description: str = ""
    input: dict[str, InputField] = Field(default_factory=dict)
    steps: list[StepSpec] = Field(min_length=1)
    outputs: dict[str, Any] = Field(default_factory=dict)
    eval: EvalSpec | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not APP_NAME.match(value):
            raise ValueError("use lower-case letters, digits, '.', '_' or '-'")
        return value

    def step(self, step_id: str) -> StepSpec:
        """The step with that id."""
        return next(s for s in self.steps if s.id == step_id)


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """`step "intent", field "with.model"` from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") if isinstance(data, dict) else None
        raw = steps[loc[1]] if isinstance(steps, list) and loc[1] < len(steps) else {}
        step_id = raw.get("id", f"#{loc[1] + 1}") if isinstance(raw, dict) else f"#{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:]) or "(the step)"
        return f'step "{step_id}", field "{field}"'
    return f'field "{".".join(str(p) for p in loc)}"'


def _check_graph(spec: AppSpec, known_steps: set[str] | None) -> None:
    seen: set[str] = set()
    for step in spec.steps:
        where = f'App "{spec.name}", step "{step.id}"'
        if step.id in seen:
            raise InvalidAppSpec(
                f"{where}: the id is used twice.", hint="Give each step its own id."
            )
        if known_steps is not None and step.uses not in known_steps:
            raise InvalidAppSpec(
                f'{where}, field "uses": no step plugin {step.uses!r}; known: '
                f"{', '.join(sorted(known_steps))}.",
                hint="Pick a built-in step or install the package that provides it "
                "(`strata plugins ls`).",
            )
        for ref in step.depends_on() - seen:
            raise InvalidAppSpec(
                f'{where}: refers to step "{ref}", which is not an earlier step.',
                hint="Steps may read only the outputs of steps listed before them.",
            )
        if step.when and (problem := check_condition(step.when)):
            raise InvalidAppSpec(
                f'{where}, field "when": {step.when!r} is not a valid expression: {problem}.',
                hint="Write a Jinja2 expression such as steps.branch.route == 'faq'.",
            )
        _check_inputs(spec, step.params, f'{where}, field "with"')
        seen.add(step.id)
    for name, value in spec.outputs.items():
        for ref in references(value):
            if ref.startswith("steps.") and ref.split(".")[1] not in seen:
                raise InvalidAppSpec(
                    f'App "{spec.name}", output "{name}": refers to unknown step in ${{{ref}}}.',
                    hint=f"Known steps: {', '.join(seen)}.",
                )
        _check_inputs(spec, value, f'App "{spec.name}", output "{name}"')


def _check_inputs(spec: AppSpec, value: Any, where: str) -> None:
    for ref in references(value):
        parts = ref.split(".")
        if parts[0] == "input" and len(parts) > 1 and parts[1] not in spec.input:
            raise InvalidAppSpec(
                f"{where}: ${{{ref}}} names an input field that is not declared.",
                hint=f"Declare it under `input:`; declared: {', '.join(spec.input) or 'none'}.",
            )


def parse_app(data: Any, *, known_steps: set[str] | None = None) -> AppSpec:
    """Validate a spec given as a mapping; raises InvalidAppSpec naming the step and field."""
    if not isinstance(data, dict):
        raise InvalidAppSpec(
            f"An app spec must be a mapping, got {type(data).__name__}.",
            hint="Start the file with `name:`, `input:`, `steps:` and `outputs:`.",
        )
    try:
        spec = AppSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidAppSpec(
            f"App spec {data.get('name', '?')!r}, {_where(first['loc'], data)}: {first['msg']} "
            f"(got {first.get('input')!r}).",
            hint="See docs/apps.md for the spec format.",
        ) from exc
    _check_graph(spec, known_steps)
    return spec


def load_app(path: Path | str, *, known_steps: set[str] | None = None) -> AppSpec:
    """Read and validate an app spec from a YAML file."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidAppSpec(
            f"Cannot read app spec {str(file)!r}: {exc.strerror}.", hint="Check the path."
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidAppSpec(
            f"App spec {str(file)!r} is not valid YAML: {exc}.", hint="Fix the YAML syntax."
        ) from exc
    return parse_app(data, known_steps=known_steps)
