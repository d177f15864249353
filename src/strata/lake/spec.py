"""Data specs: per-column type, unit, required, enum, range, regex, description and PII tag."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from strata.core.validation import first_problem
from strata.lake.errors import InvalidSpec


class ColumnType(StrEnum):
    """Column types a spec may declare; each maps to one DuckDB and one Arrow type."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    DATE = "date"


DUCKDB_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
    ColumnType.DATE: "DATE",
}
ARROW_TYPES = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.DATE: pa.date32(),
}


class ColumnSpec(BaseModel):
    """What one column must hold."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType = Field(ColumnType.STRING, description="Value type.")
    required: bool = Field(False, description="Null or blank values fail the `required` rule.")
    unit: str | None = Field(None, description="Unit of measure, e.g. `degC`, `bar`, `A`.")
    enum: list[str | int | float | bool] | None = Field(
        None, description="The only allowed values."
    )
    min: float | None = Field(None, description="Smallest allowed value (numbers, inclusive).")
    max: float | None = Field(None, description="Largest allowed value (numbers, inclusive).")
    regex: str | None = Field(None, description="A pattern the whole value must match.")
    description: str | None = Field(None, description="What the column means.")
    pii: str | None = Field(None, description="PII tag (email, phone, card, person ...).")

    @model_validator(mode="after")
    def _check(self) -> ColumnSpec:
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {self.regex!r} does not compile: {exc}") from exc
        numeric = self.type in (ColumnType.INTEGER, ColumnType.FLOAT)
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"min/max apply to integer or float columns, not {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class DataSpec(BaseModel):
    """A dataset's spec: its columns in order and an optional primary key."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, ColumnSpec] = Field(description="Columns by name, in table order.")
    primary_key: list[str] = Field(
        default_factory=list, description="Columns whose values identify a row (merge key)."
    )
    description: str | None = Field(None, description="What the dataset holds.")

    @model_validator(mode="after")
    def _check(self) -> DataSpec:
        if not self.columns:
            raise ValueError("a spec needs at least one column")
        unknown = [c for c in self.primary_key if c not in self.columns]
        if unknown:
            raise ValueError(f"primary_key names unknown columns: {', '.join(unknown)}")
        return self

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of accepted rows."""
        return pa.schema([(name, ARROW_TYPES[col.type]) for name, col in self.columns.items()])

    def to_dict(self) -> dict[str, Any]:
        """A plain dict without unset fields, as stored in the catalog and in YAML."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {
            "columns": {
                name: col.model_dump(mode="json", exclude_none=True)
                for name, col in self.columns.items()
            }
        }

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def parse_spec(data: Any, *, where: str = "spec") -> DataSpec:
    """A DataSpec from plain data; raises InvalidSpec naming the field that failed."""
    try:
        return DataSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidSpec(
            f"Spec {where} is invalid at {first_problem(exc).describe()}.",
            hint="See docs/lake.md (spec format), or draft one: strata lake spec infer FILE",
        ) from exc


def load_spec(path: Path) -> DataSpec:
    """Read a YAML spec file."""
    if not path.is_file():
        raise InvalidSpec(
            f"Spec file {str(path)!r} does not exist.",
            hint="Draft one with: strata lake spec infer DATA_FILE > spec.yaml",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidSpec(
            f"Spec file {str(path)!r} is not valid YAML: {exc}",
            hint="Fix the YAML syntax; docs/lake.md shows the format.",
        ) from exc
    return parse_spec(data, where=str(path))
