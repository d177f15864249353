"""Checking a run's input against the app's input schema (types, required fields, defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strata.apps.errors import InvalidAppInput
from strata.apps.spec import AppSpec

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_ok(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def validate_input(spec: AppSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """The input with defaults filled in; raises InvalidAppInput naming the field."""
    if not isinstance(data, Mapping):
        raise InvalidAppInput(
            f'App "{spec.name}" input must be a JSON object, got {type(data).__name__}.',
            hint=f"Send fields: {', '.join(spec.input) or 'none'}.",
        )
    unknown = sorted(set(data) - set(spec.input))
    if unknown:
        raise InvalidAppInput(
            f'App "{spec.name}" input has unknown field(s): {", ".join(unknown)}.',
            hint=f"Declared fields: {', '.join(spec.input) or 'none'}.",
        )
    out: dict[str, Any] = {}
    for name, field in spec.input.items():
        value = data.get(name, field.default)
        if value is None:
            if field.required:
                raise InvalidAppInput(
                    f'App "{spec.name}" input field "{name}" is required.',
                    hint=f'Send {{"{name}": <{field.type}>}}; {field.description}'.rstrip("; "),
                )
        elif not _type_ok(field.type, value):
            raise InvalidAppInput(
                f'App "{spec.name}" input field "{name}" must be {field.type}, got {value!r}.',
                hint=f"Send a {field.type} value for {name}.",
            )
        out[name] = value
    return out
