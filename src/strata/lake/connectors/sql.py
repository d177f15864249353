"""SQL databases: any SQLAlchemy URL, a table or a query, incremental on a cursor column."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from strata.lake.connectors.base import Part, Scan, Source
from strata.lake.errors import ConnectorError, InvalidSource

_URL = re.compile(r"^[a-z][a-z0-9]*(\+[a-z0-9_]+)?://")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _encode(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime | date):
        return {"type": type(value).__name__, "value": value.isoformat()}
    return {"type": "plain", "value": value}


def _decode(data: dict[str, Any]) -> Any:
    if data["type"] == "datetime":
        return datetime.fromisoformat(data["value"])
    if data["type"] == "date":
        return date.fromisoformat(data["value"])
    return data["value"]


def _check_ident(name: str, what: str) -> str:
    if not _IDENT.match(name):
        raise InvalidSource(
            f"{what} {name!r} is not a plain SQL name.",
            hint="Use letters, digits, '_' and '.', or pass --query for anything else.",
        )
    return name


def _statement(options: dict[str, Any], last: Any) -> tuple[str, dict[str, Any]]:
    table, query, cursor = options.get("table"), options.get("query"), options.get("cursor")
    if bool(table) == bool(query):
        raise InvalidSource(
            f"A SQL source needs exactly one of --table or --query (got table={table!r}, "
            f"query={query!r}).",
            hint="strata lake ingest URL --dataset NAME --table TABLE [--cursor COLUMN]",
        )
    base = (
        f"SELECT * FROM {_check_ident(table, 'Table')}" if table else f"SELECT * FROM ({query}) q"
    )
    if not cursor:
        return base, {}
    column = _check_ident(cursor, "Cursor column")
    where = f" WHERE {column} > :last" if last is not None else ""
    return f"{base}{where} ORDER BY {column}", {"last": last} if last is not None else {}


def _fetch(url: str, sql: str, params: dict[str, Any]) -> pa.Table:
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise InvalidSource(
            f"SQL URL {url!r} is not usable: {exc}",
            hint="Pass a SQLAlchemy URL such as sqlite:///data.db",
        ) from exc
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            names = list(result.keys())
            rows = result.fetchall()
    except SQLAlchemyError as exc:
        raise ConnectorError(
            f"Reading {make_url(url).render_as_string()} failed: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}",
            hint="Check the URL, that the server runs, and the table or query.",
        ) from exc
    finally:
        engine.dispose()
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


class SqlConnector:
    """Options: `table` or `query`, and `cursor` for incremental reads."""

    def matches(self, source: Source) -> bool:
        """A SQLAlchemy URL (dialect[+driver]://...) other than object storage."""
        return bool(_URL.match(source.uri)) and not source.uri.startswith(
            ("s3://", "mqtt://", "http://", "https://", "file://")
        )

    def scan(self, source: Source, state: dict[str, Any]) -> Scan:
        """Fetch the rows past the last cursor value; the batch's content hash is its part."""
        identity = (
            f"{make_url(source.uri).render_as_string()}|{source.options.get('table')}|"
            f"{source.options.get('query')}|{source.options.get('cursor')}"
        )
        last = (
            _decode(state["cursor"])
            if state.get("sql_source") == identity and state.get("cursor")
            else None
        )
        data = _fetch(source.uri, *_statement(source.options, last))
        cursor = source.options.get("cursor")
        details: dict[str, Any] = dict(state) if last is not None else {}
        parts = []
        if data.num_rows:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, data.schema) as writer:
                writer.write_table(data)
            digest = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
            parts = [Part(f"{source.options.get('table') or 'query'}:{data.num_rows} rows", digest)]
            if cursor:
                details = {
                    "sql_source": identity,
                    "cursor": _encode(data.column(cursor)[-1].as_py()),
                }

        def relation(
            con: duckdb.DuckDBPyConnection, todo: Sequence[Part], typed: bool = False
        ) -> duckdb.DuckDBPyRelation:
            return con.from_arrow(data)

        lineage = make_url(source.uri).render_as_string()
        return Scan(parts=parts, relation=relation, lineage=lineage, details=details)
