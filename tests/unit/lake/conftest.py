"""Fixtures for lake tests: a real lake (Delta tables, SQLite catalog) in tmp_path, real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.lake import ColumnSpec, DataSpec, Lake

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
BANKING = DATA / "banking77" / "train.csv"
SKAB = DATA / "skab"


def make_lake(home: Path, **lake: object) -> Lake:
    """A lake with its catalog under `home`."""
    settings: Settings = load_settings(Path("/nonexistent.yaml"), home=home, lake=lake)
    return Lake(Catalog(settings.catalog_url), settings.lake, settings.home)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """A fresh lake in tmp_path."""
    return make_lake(tmp_path / "home")


@pytest.fixture
def banking_spec() -> DataSpec:
    """text required, category one of categories.json."""
    if not BANKING.is_file():
        pytest.skip(f"banking77 data not found at {BANKING}")
    categories = json.loads((BANKING.parent / "categories.json").read_text())
    return DataSpec(
        columns={
            "text": ColumnSpec(required=True, description="Customer request"),
            "category": ColumnSpec(required=True, enum=categories),
        }
    )
