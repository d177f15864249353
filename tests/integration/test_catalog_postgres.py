"""The catalog on a real PostgreSQL server: migrations, then the model registry on top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from fixtures.services import postgres_database
from strata.core.catalog import Catalog
from strata.models.layers import ModelKind
from strata.models.store import ModelStore

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_database("strata_test") as url:
        yield url


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
