"""Industry packs: a manifest (datasets, L1, L2, knowledge base, app, gates) and a registry.

Packs register in the entry-point group `strata.packs`, built-ins exactly like third-party ones:
the entry point names a zero-argument callable that returns a `Pack`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from strata.core.registry import Registry
from strata.packs.errors import InvalidPack

MANIFEST_FILE = "pack.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DatasetEntry(_Strict):
    """One dataset a pack ingests: from the pack's own files or from external data."""

    name: str = Field(description="Dataset name in the lake.")
    source: str = Field(
        description="`pack:PATH` (inside the pack) or `data:PATH` (under the data folder)."
    )
    spec: str | None = Field(None, description="Pack-relative path of a YAML data spec.")
    connector: Literal["documents"] | None = Field(None, description="Connector to force.")
    labels: str | None = Field(
        None, description="The label column: row limits keep N rows per label of it."
    )
    records: str | None = Field(
        None, description="For a YAML source: the top-level key holding `ID: {fields}` records."
    )


class HoldoutEntry(_Strict):
    """A fixed-seed validation split kept away from every training step (L1 included)."""

    dataset: str = Field(description="The labelled dataset the L2 is tuned and validated on.")
    train_dataset: str = Field(description="Where the training rows alone are written.")
    text: str = "text"
    label: str = "label"
    val_fraction: float = Field(0.2, gt=0, lt=0.5)
    seed: int = 0


class AdaptEntry(_Strict):
    """The L1 industry model."""

    name: str
    corpus: str | None = None
    labels: str | None = None
    epochs: int = 1
    batch_size: int = 32
    max_pairs: int = 8000


class TuneEntry(_Strict):
    """The L2 scenario model and its gates."""

    name: str
    data: str
    gates: tuple[str, ...] = ()
    mode: Literal["fast", "body"] | None = None


class GuardEntry(_Strict):
    """The injection detector the pack's app checks requests with, built by the model factory."""

    name: str = Field("injection-detector", description="Name of the L2 detector.")
    source: str = Field(
        "data:jailbreak/train.csv", description="The jailbreak CSV (`data:PATH` or `pack:PATH`)."
    )
    mode: Literal["fast", "body"] = Field(
        "fast", description="`fast` (head only, about a minute) or `body` (tunes the encoder)."
    )
    templated: int = Field(600, ge=0, description="Templated training prompts per label.")


class PackManifest(_Strict):
    """What `strata packs install NAME` builds, in order."""

    name: str
    title: str
    version: str = "1"
    description: str = ""
    datasets: tuple[DatasetEntry, ...] = ()
    holdout: HoldoutEntry | None = None
    l1: AdaptEntry | None = None
    l2: TuneEntry | None = None
    guard: GuardEntry | None = None
    kb: dict[str, str] = Field(
        default_factory=dict, description="Knowledge bases: name -> documents dataset."
    )
    app: str | None = Field(None, description="Pack-relative path of the app spec.")
    alias: str = Field("production", description="Alias given to what passes its gates.")


@runtime_checkable
class Pack(Protocol):
    """One industry pack: its manifest, its folder, and its own evaluation."""

    @property
    def manifest(self) -> PackManifest: ...

    @property
    def root(self) -> Path: ...

    def evaluate(self, context: Any) -> dict[str, Any]:
        """Pack-specific metrics (for example slot filling), given an `install.PackContext`."""
        ...


def load_manifest(root: Path) -> PackManifest:
    """Read and validate `pack.yaml` in a pack folder."""
    path = root / MANIFEST_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PackManifest.model_validate(data)
    except OSError as exc:
        raise InvalidPack(
            f"Cannot read pack manifest {str(path)!r}: {exc.strerror}.",
            hint="A pack folder needs a pack.yaml; reinstall the package that provides it.",
        ) from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidPack(
            f"Pack manifest {str(path)!r} is not valid: {exc}",
            hint="See docs/packs.md for the manifest format.",
        ) from exc


class FolderPack:
    """A pack whose manifest and data live in one folder; subclasses add their own `evaluate`."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._manifest = load_manifest(root)

    @property
    def manifest(self) -> PackManifest:
        """The parsed `pack.yaml`."""
        return self._manifest

    @property
    def root(self) -> Path:
        """The pack folder (package data)."""
        return self._root


def pack_file(pack: Pack, relative: str) -> Path:
    """A file inside the pack folder, or InvalidPack naming it."""
    path = pack.root / relative
    if not path.exists():
        raise InvalidPack(
            f'Pack "{pack.manifest.name}" has no file {relative!r} (looked in {pack.root}).',
            hint="Reinstall the package that provides the pack.",
        )
    return path


PackFactory = Callable[[], Pack]
PACKS: Registry[PackFactory] = Registry("strata.packs")


def get_pack(name: str) -> Pack:
    """The pack called `name`; raises PluginNotFound listing the installed packs."""
    return PACKS.get(name)()


def available_packs() -> list[Pack]:
    """Every pack the registry knows, by name."""
    return [factory() for _, factory in PACKS.items()]
