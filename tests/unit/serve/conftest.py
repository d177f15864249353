"""Gateway fixtures: an app over a SQLite catalog in tmp_path, keys, and loopback upstreams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.serve.app import create_app
from strata.serve.auth import KeyStore, Limits

MakeKey = Callable[..., str]


def make_settings(tmp_path: Path, **serve: Any) -> Settings:
    """Settings with the home in tmp_path, no batching wait, quick flushes."""
    options = {"batch_window_ms": 0.0, "flush_interval_s": 0.05, **serve}
    return load_settings(home=tmp_path / "home", serve=options)


@pytest.fixture
def gw_settings(tmp_path: Path) -> Settings:
    """Gateway test settings."""
    return make_settings(tmp_path)


@pytest.fixture
def gw_catalog(gw_settings: Settings) -> Iterator[Catalog]:
    """The gateway's catalog (SQLite in tmp_path)."""
    catalog = Catalog(gw_settings.catalog_url)
    yield catalog
    catalog.dispose()


@pytest.fixture
def make_key(gw_catalog: Catalog) -> MakeKey:
    """`make_key("acme", rpm=5)` creates a key and returns it."""

    def make(tenant: str = "acme", scopes: tuple[str, ...] = ("inference", "lake"), **lim: Any):
        key, _ = KeyStore(gw_catalog).create(tenant, scopes, Limits(**lim))
        return key

    return make


@pytest.fixture
def client(gw_settings: Settings, gw_catalog: Catalog) -> Iterator[TestClient]:
    """A TestClient over create_app(settings), started and stopped around the test."""
    with TestClient(create_app(gw_settings, catalog=gw_catalog)) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
