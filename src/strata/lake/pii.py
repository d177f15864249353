"""PII tags for lake columns, from the security package's recognisers (checksums included).

A column gets the structured kind (email, phone, card, iban, cn_id, ssn, ip) found in at least
5% of its sampled values; names and places are left to `strata.security.pii` on demand.
"""

from __future__ import annotations

import duckdb

from strata.lake.validate import ident
from strata.security.pii import column_tag

MIN_SHARE = 0.05
SCAN_ROWS = 1_000  # values checked per column; the Python recognisers are slower than SQL


def scan_pii(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], sample: int = 10_000
) -> dict[str, str]:
    """Column -> PII tag, for text columns where a recogniser finds values in >= 5% of rows."""
    if not columns:
        return {}
    selected = ", ".join(f"CAST({ident(c)} AS VARCHAR)" for c in columns)
    rows = con.execute(
        f"SELECT {selected} FROM {relation} LIMIT {min(sample, SCAN_ROWS)}"
    ).fetchall()
    found: dict[str, str] = {}
    for index, column in enumerate(columns):
        tag = column_tag((row[index] for row in rows), MIN_SHARE)
        if tag is not None:
            found[column] = tag
    return found
