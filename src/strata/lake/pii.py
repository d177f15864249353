"""Simple PII recognisers (e-mail, phone, payment card) run as vectorised regexes in DuckDB.

The security package upgrades these later; the lake only needs a first tag per column.
"""

from __future__ import annotations

import duckdb

from strata.lake.validate import ident, literal

RECOGNISERS = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone": r"\+?[0-9][0-9 ()./-]{7,}[0-9]",
    "card": r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,4}",
}
MIN_SHARE = 0.05


def scan_pii(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], sample: int = 10_000
) -> dict[str, str]:
    """Column -> PII tag, for text columns where a recogniser finds values in >= 5% of rows."""
    if not columns:
        return {}
    hits = [
        f"avg(CASE WHEN regexp_matches(CAST({ident(c)} AS VARCHAR), {literal(rx)}) "
        f"THEN 1.0 ELSE 0.0 END)"
        for c in columns
        for rx in RECOGNISERS.values()
    ]
    row = con.execute(
        f"SELECT {', '.join(hits)} FROM (SELECT * FROM {relation} LIMIT {sample})"
    ).fetchall()[0]
    found: dict[str, str] = {}
    if row is None:
        return found
    values = iter(row)
    for column in columns:
        for tag in RECOGNISERS:
            share = next(values)
            if share is not None and share >= MIN_SHARE and column not in found:
                found[column] = tag
    return found
