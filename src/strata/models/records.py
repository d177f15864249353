"""Catalog tables of the model registry and the plain record the rest of Strata reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strata.core.catalog import Base, utcnow
from strata.models.layers import Layer, ModelKind, Source


class ModelRow(Base):
    """One registered model version."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    layer: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    backend: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    uri: Mapped[str] = mapped_column(Text)
    endpoint_model: Mapped[str | None] = mapped_column(String(200))
    api_key_env: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("models.id"))
    tenant: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    files: Mapped[list[FileRow]] = relationship(
        back_populates="model", cascade="all, delete-orphan", order_by="FileRow.path"
    )


class FileRow(Base):
    """One file of a model version with the sha256 recorded at registration."""

    __tablename__ = "model_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[ModelRow] = relationship(back_populates="files")


class AliasRow(Base):
    """A movable name (`production`, `canary`) pointing at one version of a model."""

    __tablename__ = "model_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    layer: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    alias: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class FileDigest:
    """A file path relative to the model folder, its sha256 and size."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelRecord:
    """A registered model version, detached from the database."""

    id: int
    layer: Layer
    name: str
    version: int
    kind: ModelKind
    backend: str
    source: Source
    uri: str
    created_at: datetime
    endpoint_model: str | None = None
    api_key_env: str | None = None
    parent_id: int | None = None
    tenant: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    files: tuple[FileDigest, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """The full reference, `layer/name@version`."""
        return f"{self.layer.value}/{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (never holds a secret: only the name of the key's variable)."""
        return {
            "ref": self.ref,
            "layer": self.layer.value,
            "name": self.name,
            "version": self.version,
            "kind": self.kind.value,
            "backend": self.backend,
            "source": self.source.value,
            "uri": self.uri,
            "endpoint_model": self.endpoint_model,
            "api_key_env": self.api_key_env,
            "parent_id": self.parent_id,
            "tenant": self.tenant,
            "aliases": list(self.aliases),
            "details": self.details,
            "metrics": self.metrics,
            "created_at": self.created_at.isoformat(),
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
        }


def to_record(row: ModelRow, aliases: tuple[str, ...] = ()) -> ModelRecord:
    """Detach a row (and its files) into a ModelRecord."""
    return ModelRecord(
        id=row.id,
        layer=Layer(row.layer),
        name=row.name,
        version=row.version,
        kind=ModelKind(row.kind),
        backend=row.backend,
        source=Source(row.source),
        uri=row.uri,
        created_at=row.created_at,
        endpoint_model=row.endpoint_model,
        api_key_env=row.api_key_env,
        parent_id=row.parent_id,
        tenant=row.tenant,
        details=dict(row.details or {}),
        metrics=dict(row.metrics or {}),
        files=tuple(FileDigest(f.path, f.sha256, f.size) for f in row.files),
        aliases=aliases,
    )
