"""Draft a data spec from a sample: DuckDB's sniffed types, required where no nulls, PII tags."""

from __future__ import annotations

import duckdb

from strata.lake.connectors.base import Source, find_connector
from strata.lake.pii import scan_pii
from strata.lake.spec import ColumnSpec, ColumnType, DataSpec
from strata.lake.validate import ident

_TYPES = {
    "VARCHAR": ColumnType.STRING,
    "BOOLEAN": ColumnType.BOOLEAN,
    "DATE": ColumnType.DATE,
    "DOUBLE": ColumnType.FLOAT,
    "FLOAT": ColumnType.FLOAT,
    "REAL": ColumnType.FLOAT,
}


def column_type(duck_type: str) -> ColumnType:
    """The spec type for a DuckDB type name."""
    name = duck_type.upper()
    if name in _TYPES:
        return _TYPES[name]
    if name.startswith("TIMESTAMP"):
        return ColumnType.TIMESTAMP
    if name.startswith("DECIMAL"):
        return ColumnType.FLOAT
    if name.endswith("INT") or name in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}:
        return ColumnType.INTEGER
    return ColumnType.STRING


def infer_spec(
    con: duckdb.DuckDBPyConnection,
    relation: duckdb.DuckDBPyRelation,
    *,
    sample: int = 10_000,
    enum_max: int = 0,
) -> DataSpec:
    """A draft spec for the relation's columns (enums only when `enum_max` > 0)."""
    con.register("__infer", relation.limit(sample))
    names, types = relation.columns, [str(t) for t in relation.types]
    stats = ", ".join(f"count(*) - count({ident(c)}), count(DISTINCT {ident(c)})" for c in names)
    row = con.execute(f"SELECT {stats} FROM __infer").fetchall()[0] or ()
    texts = [c for c, t in zip(names, types, strict=True) if column_type(t) == ColumnType.STRING]
    pii = scan_pii(con, "__infer", texts, sample)
    columns: dict[str, ColumnSpec] = {}
    for i, (name, duck_type) in enumerate(zip(names, types, strict=True)):
        kind = column_type(duck_type)
        nulls, distinct = row[2 * i], row[2 * i + 1]
        columns[name] = ColumnSpec(type=kind, required=nulls == 0, pii=pii.get(name))
        if enum_max and kind == ColumnType.STRING and 0 < distinct <= enum_max:
            values = con.execute(
                f"SELECT DISTINCT {ident(name)} FROM __infer WHERE {ident(name)} IS NOT NULL "
                f"ORDER BY 1"
            ).fetchall()
            columns[name].enum = [v[0] for v in values]
    con.unregister("__infer")
    return DataSpec(columns=columns)


def draft_spec(source: Source, connector: str | None = None, enum_max: int = 20) -> DataSpec:
    """A draft spec for a source (what `strata lake spec infer` prints)."""
    scan = find_connector(source, connector).scan(source, {})
    con = duckdb.connect()
    try:
        return infer_spec(con, scan.relation(con, scan.parts, True), enum_max=enum_max)
    finally:
        con.close()
