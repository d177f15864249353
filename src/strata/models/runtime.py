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
from strata.models.store import ONNX_BACKEND, ModelStore

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

    def use_threads(self, threads: int) -> None:
        """Limit model calls to `threads` CPU threads (0: the libraries' choice) for models
        loaded from now on; torch's count is process-wide."""
        self.settings = self.settings.model_copy(update={"threads": threads})

    def _apply_threads(self) -> None:
        if self.settings.threads:
            import torch  # every local backend imports it anyway

            torch.set_num_threads(self.settings.threads)

    def load(self, ref: str, kind: ModelKind) -> tuple[ModelRecord, Any]:
        """The record and the loaded model; refuses a kind mismatch or changed weights."""
        return self._load(self.store.resolve(ref), kind)

    def serving(self, ref: str, kind: ModelKind) -> tuple[ModelRecord, Any]:
        """What runs in place of `ref`: its newest ONNX export when `use_optimized` is on and
        one exists (`strata models optimize`), else the model itself; loaded like `load`."""
        record = self.store.resolve(ref)
        if self.settings.use_optimized and record.backend != ONNX_BACKEND:
            export = self.store.optimized(record)
            if export is not None and export.kind == kind:
                return self._load(export, kind)
        return self._load(record, kind)

    def _load(self, record: ModelRecord, kind: ModelKind) -> tuple[ModelRecord, Any]:
        if record.kind != kind:
            raise WrongModelKind(
                f"Model {record.ref} is a {record.kind.value}, not a {kind.value}.",
                hint=f"Pick a {kind.value}: strata models ls",
                ref=record.ref,
            )
        if record.id not in self._loaded:
            if record.source != Source.ENDPOINT:
                if self.settings.verify_weights:
                    artifacts.verify(Path(record.uri), record.files, record.ref)
                self._apply_threads()
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
