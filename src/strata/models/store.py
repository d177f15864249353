"""The model registry: register folders and endpoints as versions, resolve references, list."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strata.core.catalog import Catalog
from strata.core.errors import InvalidInput
from strata.models import artifacts
from strata.models.errors import GateFailed, InvalidModelFolder, ModelNotFound
from strata.models.gates import failing, parse_gate
from strata.models.layers import Layer, ModelKind, Source
from strata.models.records import AliasRow, FileDigest, FileRow, ModelRecord, ModelRow, to_record
from strata.models.refs import ModelRef, check_alias, check_name, parse_ref

DEFAULT_BACKENDS = {
    ModelKind.ENCODER: "sentence-transformers",
    ModelKind.GENERATOR: "transformers-causal-lm",
    ModelKind.CLASSIFIER: "transformers-classifier",
}
TRAINED_BACKENDS = {
    ModelKind.ENCODER: "sentence-transformers",
    ModelKind.CLASSIFIER: "strata-head",
    ModelKind.ANOMALY: "strata-anomaly",
}
ENDPOINT_BACKEND = "openai-endpoint"
ONNX_BACKEND = "onnx"
_ARCH_HINTS = {
    ModelKind.GENERATOR: ("CausalLM", "LMHeadModel", "ForConditionalGeneration"),
    ModelKind.CLASSIFIER: ("SequenceClassification",),
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class NewModel:
    """What registering a model version needs."""

    layer: Layer
    name: str
    kind: ModelKind
    backend: str
    source: Source
    uri: str
    files: list[FileDigest] = field(default_factory=list)
    endpoint_model: str | None = None
    api_key_env: str | None = None
    parent_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def slugify(text: str) -> str:
    """A valid model name from free text (a folder or endpoint model name)."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return check_name(slug[:100] or "model")


def _check_kind(config: dict[str, Any], kind: ModelKind, folder: Path) -> None:
    markers = _ARCH_HINTS.get(kind, ())
    archs = config.get("architectures") or []
    if markers and archs and not any(m in a for m in markers for a in archs):
        raise InvalidModelFolder(
            f"Model folder {str(folder)!r} holds {', '.join(archs)}, which is not a {kind.value} "
            f"(expected an architecture with {' or '.join(markers)} in its name).",
            hint="Pass the --kind that matches the model: encoder, generator or classifier.",
        )


def _check_endpoint(url: str, api_key_env: str | None) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(
            f"Endpoint URL {url!r} is not an http(s) URL with a host.",
            hint="Pass the API base URL, e.g. http://127.0.0.1:8000/v1 or https://api.openai.com/v1.",
            value=url,
        )
    if api_key_env is not None and not _ENV_NAME.match(api_key_env):
        raise InvalidInput(
            f"--api-key-env {api_key_env!r} is not an environment variable name.",
            hint="Pass the NAME of the variable holding the key (e.g. OPENAI_API_KEY), "
            "never the key itself.",
        )
    return url.rstrip("/")


class ModelStore:
    """Model versions in the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def add_folder(
        self,
        folder: Path,
        *,
        kind: ModelKind,
        layer: Layer = Layer.L0_FOUNDATION,
        name: str | None = None,
        source: Source = Source.FOLDER,
    ) -> tuple[ModelRecord, bool]:
        """Register a Hugging Face folder (safetensors only); returns (record, created)."""
        folder = folder.expanduser().resolve()
        config = artifacts.check_folder(folder)
        _check_kind(config, kind, folder)
        details = {
            "architectures": config.get("architectures", []),
            "model_type": config.get("model_type"),
        }
        new = NewModel(
            layer=layer,
            name=check_name(name) if name else slugify(folder.name),
            kind=kind,
            backend=DEFAULT_BACKENDS[kind],
            source=source,
            uri=str(folder),
            files=artifacts.digest_folder(folder),
            details=details,
        )
        return self.add(new)

    def add_endpoint(
        self,
        url: str,
        *,
        model: str,
        name: str | None = None,
        api_key_env: str | None = None,
        layer: Layer = Layer.L0_FOUNDATION,
    ) -> tuple[ModelRecord, bool]:
        """Register an OpenAI-compatible generator endpoint; the key stays in its env var."""
        if not model.strip():
            raise InvalidInput("--model is empty.", hint="Pass the model name the endpoint serves.")
        new = NewModel(
            layer=layer,
            name=check_name(name) if name else slugify(model),
            kind=ModelKind.GENERATOR,
            backend=ENDPOINT_BACKEND,
            source=Source.ENDPOINT,
            uri=_check_endpoint(url, api_key_env),
            endpoint_model=model,
            api_key_env=api_key_env,
        )
        return self.add(new)

    def add(self, new: NewModel) -> tuple[ModelRecord, bool]:
        """Store a new version, or return the latest one when nothing changed (idempotent)."""
        with self.catalog.session() as session:
            latest = self._latest_row(session, new.layer, new.name)
            if latest is not None and _same(latest, new):
                return to_record(latest, self._aliases(session, latest)), False
            version = (latest.version if latest else 0) + 1
            row = ModelRow(
                layer=new.layer.value,
                name=new.name,
                version=version,
                kind=new.kind.value,
                backend=new.backend,
                source=new.source.value,
                uri=new.uri,
                endpoint_model=new.endpoint_model,
                api_key_env=new.api_key_env,
                parent_id=new.parent_id,
                details=new.details,
                metrics={},
                files=[FileRow(path=f.path, sha256=f.sha256, size=f.size) for f in new.files],
            )
            session.add(row)
            session.flush()
            return to_record(row), True

    def add_trained(self, new: NewModel, built: Path, root: Path) -> ModelRecord:
        """Register a trained artifact folder, moving it to ROOT/LAYER/NAME/VERSION atomically.

        The version is allocated and the row written in one transaction; the folder moves into
        place inside it, so a failure leaves neither a row without files nor files without a row.
        """
        new.files = artifacts.digest_folder(built)
        with self.catalog.session() as session:
            latest = self._latest_row(session, new.layer, new.name)
            version = (latest.version if latest else 0) + 1
            final = root / new.layer.value / new.name / str(version)
            if final.exists():
                shutil.rmtree(final)  # left by a crash before its row committed: never registered
            final.parent.mkdir(parents=True, exist_ok=True)
            row = ModelRow(
                layer=new.layer.value,
                name=new.name,
                version=version,
                kind=new.kind.value,
                backend=new.backend,
                source=new.source.value,
                uri=str(final),
                parent_id=new.parent_id,
                details=new.details,
                metrics=new.metrics,
                files=[FileRow(path=f.path, sha256=f.sha256, size=f.size) for f in new.files],
            )
            session.add(row)
            session.flush()
            built.rename(final)
            return to_record(row)

    def find_job(self, layer: Layer, name: str, job_key: str) -> ModelRecord | None:
        """The latest version of layer/name when it was made by the same job (same key).

        Exports made by `strata models optimize` count as the version they were made from, so
        optimising a model does not make its training job run again.
        """
        with self.catalog.session() as session:
            row = self._latest_row(session, layer, name)
            while row is not None and (row.details or {}).get("optimized_from"):
                row = session.get(ModelRow, row.parent_id) if row.parent_id else None
            if row is None or (row.details or {}).get("job_key") != job_key:
                return None
            return to_record(row, self._aliases(session, row))

    def get(self, model_id: int) -> ModelRecord:
        """A model version by its id (parents are linked by id)."""
        with self.catalog.session() as session:
            row = session.get(ModelRow, model_id)
            if row is None:
                raise ModelNotFound(f"No model with id {model_id}.", hint="strata models ls")
            return to_record(row, self._aliases(session, row))

    def optimized(self, record: ModelRecord) -> ModelRecord | None:
        """The newest ONNX export of `record` (`strata models optimize`), or None."""
        query = (
            select(ModelRow)
            .where(ModelRow.parent_id == record.id, ModelRow.backend == ONNX_BACKEND)
            .order_by(ModelRow.id.desc())
            .limit(1)
        )
        with self.catalog.session() as session:
            row = session.scalars(query).first()
            return to_record(row, self._aliases(session, row)) if row is not None else None

    def set_metrics(
        self, ref: str, metrics: dict[str, Any], evaluation: dict[str, Any]
    ) -> ModelRecord:
        """Store evaluation results on a model version (metrics merged, report kept in details)."""
        record = self.resolve(ref)
        with self.catalog.session() as session:
            row = session.get(ModelRow, record.id)
            assert row is not None
            row.metrics = {**(row.metrics or {}), **metrics}
            row.details = {**(row.details or {}), "evaluation": evaluation}
            session.flush()
            return to_record(row, self._aliases(session, row))

    def promote(self, ref: str, alias: str) -> ModelRecord:
        """Point `alias` at a version, only when its metrics pass every declared gate."""
        check_alias(alias)
        record = self.resolve(ref)
        gates = [parse_gate(g) for g in record.details.get("gates", [])]
        failures = failing(gates, record.metrics)
        if failures:
            raise GateFailed(
                f"Model {record.ref} does not pass its gates for {alias!r}: {'; '.join(failures)}.",
                hint=f"Train a better version, or re-evaluate: strata train eval {record.ref}",
                failures=failures,
            )
        with self.catalog.session() as session:
            row = session.scalars(
                select(AliasRow).where(
                    AliasRow.layer == record.layer.value,
                    AliasRow.name == record.name,
                    AliasRow.alias == alias,
                )
            ).first()
            if row is None:
                session.add(
                    AliasRow(
                        layer=record.layer.value, name=record.name, alias=alias, model_id=record.id
                    )
                )
            else:
                row.model_id = record.id
        return self.resolve(record.ref)

    def resolve(self, ref: str | ModelRef) -> ModelRecord:
        """The model version a reference names (latest when it names no version)."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        with self.catalog.session() as session:
            row = self._find(session, parsed)
            if row is None:
                raise self._not_found(session, parsed)
            return to_record(row, self._aliases(session, row))

    def list(self, layer: Layer | None = None) -> list[ModelRecord]:
        """Every model version, ordered by layer, name and version."""
        query = select(ModelRow).order_by(ModelRow.layer, ModelRow.name, ModelRow.version)
        if layer is not None:
            query = query.where(ModelRow.layer == layer.value)
        with self.catalog.session() as session:
            rows = session.scalars(query).all()
            return [to_record(r, self._aliases(session, r)) for r in rows]

    def exists(self, layer: Layer, name: str) -> bool:
        """Whether any version of layer/name is registered."""
        with self.catalog.session() as session:
            return self._latest_row(session, layer, name) is not None

    @staticmethod
    def _latest_row(session: Session, layer: Layer, name: str) -> ModelRow | None:
        query = (
            select(ModelRow)
            .where(ModelRow.layer == layer.value, ModelRow.name == name)
            .order_by(ModelRow.version.desc())
            .limit(1)
        )
        return session.scalars(query).first()

    def _find(self, session: Session, ref: ModelRef) -> ModelRow | None:
        if ref.alias:
            alias = session.scalars(
                select(AliasRow).where(
                    AliasRow.layer == ref.layer.value,
                    AliasRow.name == ref.name,
                    AliasRow.alias == ref.alias,
                )
            ).first()
            return session.get(ModelRow, alias.model_id) if alias else None
        if ref.version is None:
            return self._latest_row(session, ref.layer, ref.name)
        return session.scalars(
            select(ModelRow).where(
                ModelRow.layer == ref.layer.value,
                ModelRow.name == ref.name,
                ModelRow.version == ref.version,
            )
        ).first()

    @staticmethod
    def _aliases(session: Session, row: ModelRow) -> tuple[str, ...]:
        names = session.scalars(
            select(AliasRow.alias).where(AliasRow.model_id == row.id).order_by(AliasRow.alias)
        ).all()
        return tuple(names)

    @staticmethod
    def _not_found(session: Session, ref: ModelRef) -> ModelNotFound:
        low, high, count = session.execute(
            select(func.min(ModelRow.version), func.max(ModelRow.version), func.count()).where(
                ModelRow.layer == ref.layer.value, ModelRow.name == ref.name
            )
        ).one()
        base = f"{ref.layer.value}/{ref.name}"
        if not count:
            return ModelNotFound(
                f'Model "{ref}" not found; no model named {base} is registered.',
                hint="Try: strata models ls (or register one with `strata models add`).",
                ref=str(ref),
            )
        known = f"known versions {low}-{high}" if low != high else f"known version {low}"
        return ModelNotFound(
            f'Model "{ref}" not found; {known}.', hint=f"Try: strata models ls {base}", ref=str(ref)
        )


def _same(row: ModelRow, new: NewModel) -> bool:
    files = {(f.path, f.sha256) for f in row.files}
    return (
        row.kind == new.kind.value
        and row.uri == new.uri
        and row.backend == new.backend
        and row.endpoint_model == new.endpoint_model
        and row.api_key_env == new.api_key_env
        and files == {(f.path, f.sha256) for f in new.files}
    )
