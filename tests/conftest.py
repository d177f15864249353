"""Shared fixtures: a Strata home and catalog in tmp_path, tiny real models, no network."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.tiny_models import build_tiny_causal_lm, build_tiny_classifier, build_tiny_encoder
from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No STRATA_* from the caller's shell, no hub access, and a clean working directory."""
    for name in list(os.environ):
        if name.startswith("STRATA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose home (and SQLite catalog) live in tmp_path."""
    return load_settings(home=tmp_path / "home")


@pytest.fixture
def catalog(settings: Settings) -> Iterator[Catalog]:
    """A migrated SQLite catalog."""
    catalog = Catalog(settings.catalog_url)
    yield catalog
    catalog.dispose()


@pytest.fixture
def store(catalog: Catalog) -> ModelStore:
    """An empty model registry (no built-in registered)."""
    return ModelStore(catalog)


@pytest.fixture
def runtime(store: ModelStore, settings: Settings) -> ModelRuntime:
    """Loads models from the test registry."""
    return ModelRuntime(store, settings.models)


@pytest.fixture(scope="session")
def _tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "encoder": build_tiny_encoder(root / "tiny-encoder"),
        "generator": build_tiny_causal_lm(root / "tiny-lm"),
        "classifier": build_tiny_classifier(root / "tiny-classifier"),
    }


def _copy(source: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(source, tmp_path / "models" / source.name))


@pytest.fixture
def tiny_encoder(_tiny_models: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of a tiny BERT encoder folder (safe to tamper with)."""
    return _copy(_tiny_models["encoder"], tmp_path)


@pytest.fixture
def tiny_generator(_tiny_models: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of a tiny GPT-2 causal LM folder."""
    return _copy(_tiny_models["generator"], tmp_path)


@pytest.fixture
def tiny_classifier(_tiny_models: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of a tiny BERT classifier folder."""
    return _copy(_tiny_models["classifier"], tmp_path)
