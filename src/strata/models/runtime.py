"""Loading registered models to run them: sha256 checked on every load, loaded once per process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strata.core.catalog import Catalog
from strata.core.settings import ModelSettings
from strata.models import artifacts
from strata.models.backends.base import (
    BACKENDS,
    AnomalyDetector,
    Classifier,
    Encoder,
    Generator,
)
from strata.models.builtin import ensure_builtin
from strata.models.errors import WrongModelKind
from strata.models.layers import ModelKind, Source
from strata.models.records import ModelRecord
from strata.models.store import ModelStore

_PROTOCOLS: dict[ModelKind, type] = {
    ModelKind.ENCODER: Encoder,
    ModelKind.GENERATOR: Generator,
    ModelKind.CLASSIFIER: Classifier,
    ModelKind.ANOMALY: AnomalyDetector,
}


def open_store(catalog: Catalog) -> ModelStore:
    """The model registry on a catalog, with the built-in L0 encoder registered."""
    store = ModelStore(catalog)
    ensure_builtin(store)
    return store


class ModelRuntime:
    """Loads models by reference through their backend plugin and keeps them for reuse."""

    def __init__(self, store: ModelStore, settings: ModelSettings) -> None:
        self.store = store
        self.settings = settings
        self._loaded: dict[int, Any] = {}

    def load(self, ref: str, kind: ModelKind) -> tuple[ModelRecord, Any]:
        """The record and the loaded model; refuses a kind mismatch or changed weights."""
        record = self.store.resolve(ref)
        if record.kind != kind:
            raise WrongModelKind(
                f"Model {record.ref} is a {record.kind.value}, not a {kind.value}.",
                hint=f"Pick a {kind.value}: strata models ls",
                ref=record.ref,
            )
        if record.id not in self._loaded:
            if record.source != Source.ENDPOINT and self.settings.verify_weights:
                artifacts.verify(Path(record.uri), record.files, record.ref)
            model = BACKENDS.get(record.backend)(record, self.settings)
            if not isinstance(model, _PROTOCOLS[kind]):
                raise WrongModelKind(
                    f"Backend {record.backend!r} did not return a {kind.value} for {record.ref}.",
                    hint="Check the plugin that provides this backend (`strata plugins ls`).",
                )
            self._loaded[record.id] = model
        return record, self._loaded[record.id]

    def encoder(self, ref: str) -> tuple[ModelRecord, Encoder]:
        """A loaded encoder."""
        record, model = self.load(ref, ModelKind.ENCODER)
        return record, model

    def generator(self, ref: str) -> tuple[ModelRecord, Generator]:
        """A loaded generator (local folder or endpoint)."""
        record, model = self.load(ref, ModelKind.GENERATOR)
        return record, model

    def classifier(self, ref: str) -> tuple[ModelRecord, Classifier]:
        """A loaded classifier."""
        record, model = self.load(ref, ModelKind.CLASSIFIER)
        return record, model

    def detector(self, ref: str) -> tuple[ModelRecord, AnomalyDetector]:
        """A loaded anomaly detector."""
        record, model = self.load(ref, ModelKind.ANOMALY)
        return record, model
