"""Quality of a dataset version: null rates, violations by rule, PII-tagged columns."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from strata.lake.pii import scan_pii
from strata.lake.spec import ColumnType, DataSpec


def null_rates(table: pa.Table) -> dict[str, float]:
    """Share of nulls per column."""
    rows = table.num_rows or 1
    return {name: round(table.column(name).null_count / rows, 6) for name in table.column_names}


def violations(quarantine: pa.Table | None) -> dict[str, int]:
    """Quarantined rows per first broken rule."""
    if quarantine is None or quarantine.num_rows == 0:
        return {}
    counts = pc.value_counts(quarantine.column("rule")).to_pylist()
    return {c["values"]: int(c["counts"]) for c in sorted(counts, key=lambda c: -c["counts"])}


def pii_columns(table: pa.Table, spec: DataSpec) -> dict[str, str]:
    """PII tags from the spec, plus what the recognisers find in untagged text columns."""
    tagged = {name: col.pii for name, col in spec.columns.items() if col.pii}
    texts = [
        n
        for n, c in spec.columns.items()
        if c.type == ColumnType.STRING and n not in tagged and n in table.column_names
    ]
    con = duckdb.connect()
    try:
        con.register("__t", table)
        found = scan_pii(con, "__t", texts)
    finally:
        con.close()
    return {**tagged, **found}


def quality(table: pa.Table, spec: DataSpec, quarantine: pa.Table | None) -> dict[str, Any]:
    """The quality section of `strata lake show`."""
    return {
        "rows": table.num_rows,
        "null_rates": null_rates(table),
        "quarantined": 0 if quarantine is None else quarantine.num_rows,
        "violations_by_rule": violations(quarantine),
        "pii_columns": pii_columns(table, spec),
    }
