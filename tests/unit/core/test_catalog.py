from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from strata.core.catalog import Catalog
from strata.core.errors import ConfigError
from strata.core.settings import Settings


def test_first_use_applies_migrations_in_wal_mode(settings: Settings) -> None:
    catalog = Catalog(settings.catalog_url)
    assert catalog.current_revision() == catalog.head_revision()
    assert {"models", "model_files", "model_aliases"} <= set(
        inspect(catalog.engine).get_table_names()
    )
    with catalog.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    catalog.dispose()


def test_upgrade_is_idempotent(settings: Settings) -> None:
    catalog = Catalog(settings.catalog_url, upgrade=False)
    assert catalog.current_revision() is None
    before, after = catalog.upgrade()
    assert (before, after) == (None, catalog.head_revision())
    assert catalog.upgrade() == (after, after)
    catalog.dispose()


def test_bad_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nosuchdb"):
        Catalog("nosuchdb://x/y")
