"""The SQL connector: a table or query, incremental on a cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from strata.lake import Lake, Source
from strata.lake.errors import InvalidSource

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _incremental(lake: Lake, url: str, table: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text(f"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')"))
    source = Source(url, {"table": table, "cursor": "id"})
    try:
        assert lake.ingest(source, "orders").counts.accepted == 2
        assert lake.ingest(source, "orders").created is False
        with engine.begin() as conn:
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (3, 'c')"))
        third = lake.ingest(source, "orders")
        assert (third.version, third.counts.accepted) == (2, 1)
        assert sorted(lake.read("orders").column("id").to_pylist()) == [1, 2, 3]
        query = Source(url, {"query": f"SELECT id, name FROM {table} WHERE id > 1"})
        assert lake.ingest(query, "orders-query").counts.accepted == 2
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()


def test_sqlite_incremental(lake: Lake, tmp_path: Path) -> None:
    _incremental(lake, f"sqlite:///{tmp_path / 'src.db'}", "orders")


@pytest.mark.postgres
def test_postgres_incremental(lake: Lake) -> None:
    engine = sa.create_engine(POSTGRES)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES}: {exc.orig}")
    finally:
        engine.dispose()
    _incremental(lake, POSTGRES, f"orders_{uuid.uuid4().hex[:8]}")


def test_table_or_query_is_required(lake: Lake, tmp_path: Path) -> None:
    with pytest.raises(InvalidSource, match="exactly one of --table or --query"):
        lake.ingest(Source(f"sqlite:///{tmp_path / 'x.db'}"), "orders")
