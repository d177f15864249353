"""Spec validation as one vectorised DuckDB query: typed columns plus the rules each row breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strata.lake.spec import DUCKDB_TYPES, ColumnSpec, ColumnType, DataSpec

RULES = "__rules"
ROW = "__row"
NUMERIC = (ColumnType.INTEGER, ColumnType.FLOAT)


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A SQL literal for a spec value (string, number, boolean)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Check:
    """One rule on one column: its id (`enum:category`), SQL condition and message."""

    rule: str
    condition: str
    message: str


@dataclass
class Plan:
    """The validation query pieces for one spec against one source's columns."""

    select: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)


def _raw(index: int) -> str:
    return ident(f"__raw_{index}")


def _value(raw: str | None, col: ColumnSpec) -> str:
    target = DUCKDB_TYPES[col.type]
    if raw is None:
        return f"CAST(NULL AS {target})"
    if col.type == ColumnType.STRING:
        return f"CAST({raw} AS VARCHAR)"
    return f"TRY_CAST({raw} AS {target})"


def _checks(name: str, col: ColumnSpec, raw: str | None, key: bool) -> list[Check]:
    """Checks on the typed column `name`; `raw` is the source value (None: column missing)."""
    value = ident(name)
    checks: list[Check] = []
    if raw is not None and col.type != ColumnType.STRING:
        checks.append(
            Check(
                f"type:{name}",
                f"{raw} IS NOT NULL AND {value} IS NULL",
                f"{name} is not a valid {col.type.value}",
            )
        )
    if col.required or key:
        blank = f" OR trim({value}) = ''" if col.type == ColumnType.STRING else ""
        checks.append(Check(f"required:{name}", f"{value} IS NULL{blank}", f"{name} is required"))
    if col.enum:
        values = ", ".join(literal(v) for v in col.enum)
        checks.append(
            Check(
                f"enum:{name}",
                f"{value} NOT IN ({values})",
                f"{name} is not one of the {len(col.enum)} allowed values",
            )
        )
    if col.min is not None or col.max is not None:
        low = f"{value} < {col.min!r}" if col.min is not None else "FALSE"
        high = f"{value} > {col.max!r}" if col.max is not None else "FALSE"
        bounds = f"[{'' if col.min is None else col.min}, {'' if col.max is None else col.max}]"
        checks.append(Check(f"range:{name}", f"({low} OR {high})", f"{name} is outside {bounds}"))
    if col.regex is not None:
        pattern = literal(col.regex)
        checks.append(
            Check(
                f"regex:{name}",
                f"NOT regexp_full_match({value}, {pattern})",
                f"{name} does not match {col.regex}",
            )
        )
    return checks


def plan(spec: DataSpec, source_columns: Sequence[str]) -> Plan:
    """Typed select expressions (over raw aliases) and checks for every spec column."""
    raws = {name: _raw(i) for i, name in enumerate(source_columns)}
    result = Plan(raw=list(source_columns))
    for name, col in spec.columns.items():
        raw = raws.get(name)
        source = ident(name) if raw is not None else None
        result.select.append(f"{_value(source, col)} AS {ident(name)}")
        result.checks.extend(_checks(name, col, raw, name in spec.primary_key))
    return result


def validation_sql(spec: DataSpec, source_columns: Sequence[str], source: str) -> str:
    """SELECT typed columns, `__rules` (broken rule ids joined by `;`) and `__row` (raw JSON
    of failing rows only) FROM the relation named `source`. Each value is cast once, in an
    inner query; the checks run on the typed values."""
    p = plan(spec, source_columns)
    raws = ", ".join(f"{ident(c)} AS {_raw(i)}" for i, c in enumerate(source_columns))
    inner = f"SELECT {', '.join([*p.select, raws] if raws else p.select)} FROM {source}"
    cases = ", ".join(f"CASE WHEN {c.condition} THEN '{c.rule}' END" for c in p.checks) or "''"
    row = ", ".join(f"{literal(c)}, {_raw(i)}" for i, c in enumerate(source_columns))
    names = ", ".join(ident(n) for n in spec.columns)
    return (
        f"SELECT {names}, concat_ws(';', {cases}) AS {RULES}, "
        f"CASE WHEN {RULES} <> '' THEN CAST(to_json(json_object({row})) AS VARCHAR) END "
        f"AS {ROW} FROM ({inner})"
    )


def reason_sql(spec: DataSpec, source_columns: Sequence[str]) -> str:
    """A CASE expression turning the first broken rule id (`rule`) into a sentence."""
    p = plan(spec, source_columns)
    whens = " ".join(f"WHEN '{c.rule}' THEN {_message(c)}" for c in p.checks)
    return f"CASE rule {whens} ELSE rule END" if whens else "rule"


def _message(check: Check) -> str:
    """The check's message, plus the value received for rules other than `required`."""
    kind, _, column = check.rule.partition(":")
    if kind == "required":
        return literal(check.message)
    got = f"coalesce(json_extract_string(row, {literal('$.' + ident(column))}), 'null')"
    return f"{literal(check.message + ' (got ')} || {got} || ')'"
