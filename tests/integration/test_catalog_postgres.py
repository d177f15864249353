"""The catalog on a real PostgreSQL server: migrations, then the model registry on top."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from fixtures.services import ensure_postgres
from strata.core.catalog import Catalog
from strata.models.layers import ModelKind
from strata.models.store import ModelStore

pytestmark = pytest.mark.postgres
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    why = ensure_postgres()
    if why:
        pytest.skip(why)
    name = f"strata_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_on_postgres(postgres_url: str) -> None:
    catalog = Catalog(postgres_url)
    assert catalog.current_revision() == catalog.head_revision()
    assert {"models", "model_files", "model_aliases"} <= set(
        inspect(catalog.engine).get_table_names()
    )
    assert catalog.upgrade() == (catalog.head_revision(), catalog.head_revision())
    catalog.dispose()


def test_registry_on_postgres(postgres_url: str, tiny_encoder: Path) -> None:
    catalog = Catalog(postgres_url)
    store = ModelStore(catalog)
    record, created = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="pg-encoder")
    assert created
    again, created_again = store.add_folder(tiny_encoder, kind=ModelKind.ENCODER, name="pg-encoder")
    assert not created_again and again.ref == record.ref
    assert store.resolve("l0/pg-encoder").files == record.files
    catalog.dispose()
