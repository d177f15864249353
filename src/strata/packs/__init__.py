"""Industry packs: manifests, the `strata.packs` registry, and the install pipeline."""

from strata.packs.base import (
    PACKS,
    AdaptEntry,
    DatasetEntry,
    FolderPack,
    HoldoutEntry,
    Pack,
    PackManifest,
    TuneEntry,
    available_packs,
    get_pack,
    load_manifest,
)
from strata.packs.errors import InvalidPack, PackDataMissing, PackNotInstalled

__all__ = [
    "PACKS",
    "AdaptEntry",
    "DatasetEntry",
    "FolderPack",
    "HoldoutEntry",
    "InvalidPack",
    "Pack",
    "PackDataMissing",
    "PackManifest",
    "PackNotInstalled",
    "TuneEntry",
    "available_packs",
    "get_pack",
    "load_manifest",
]
