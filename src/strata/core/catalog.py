"""The catalog database: SQLAlchemy 2 engine and sessions; Alembic migrations run on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from strata.core.errors import ConfigError, UpstreamError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the default of every timestamp column)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base for every catalog table; each domain declares its own tables on it."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives a crash of
    # the process (it is in the OS's cache) and the file is never corrupted; only a power loss may
    # roll back the last commits. SQLite recommends it for WAL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_catalog_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL mode (synchronous NORMAL), foreign keys
    and a busy timeout."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(
            f"Catalog URL {url!r} is not usable: {exc}",
            hint="Set STRATA_CATALOG_URL to a SQLAlchemy URL such as sqlite:///path/catalog.db "
            "or postgresql+psycopg://user@host/db (install the `postgres` extra).",
        ) from exc
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class Catalog:
    """The catalog: one engine, a session factory, and the migrations that shape it."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine = create_catalog_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade and self.current_revision() != self.head_revision():
            self.upgrade()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def head_revision(self) -> str | None:
        """The newest migration shipped with this version of Strata."""
        return ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def current_revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise UpstreamError(
                f"Cannot open the catalog at {self.engine.url.render_as_string()}: {exc.orig}",
                hint="Check STRATA_CATALOG_URL and that the database server is running "
                "(`strata doctor` checks it).",
            ) from exc

    def upgrade(self, revision: str = "head") -> tuple[str | None, str | None]:
        """Apply migrations up to `revision`; returns (before, after)."""
        before = self.current_revision()
        with self.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
        return before, self.current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
