"""SQL over every lake table with DuckDB in process: Delta -> Arrow dataset -> DuckDB view."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from strata.lake.errors import LakeQueryError
from strata.lake.names import sql_name


def register_tables(
    con: duckdb.DuckDBPyConnection, uris: Mapping[str, str], storage: dict[str, str] | None = None
) -> list[str]:
    """Expose each Delta table as a view (by its name, and with `_` for `-`); returns names."""
    names = []
    for name, uri in uris.items():
        dataset = DeltaTable(uri, storage_options=storage).to_pyarrow_dataset()
        for alias in {name, sql_name(name)}:
            con.register(alias, dataset)
        names.append(name)
    return names


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    """Run one query; DuckDB errors become LakeQueryError with the known tables as a hint."""
    try:
        return con.sql(query).to_arrow_table()
    except duckdb.Error as exc:
        known = [
            row[0]
            for row in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        ]
        raise LakeQueryError(
            f"Query failed: {exc}",
            hint=f"Tables: {', '.join(sorted(known)) or 'none yet'}. Quote names with '-' "
            'as "name", or use the underscore form. Try: strata lake ls',
            query=query,
        ) from exc
