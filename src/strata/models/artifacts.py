"""Model folders on disk: what they hold, pickle refusal, and sha256 checks on every load."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from strata.core.hashing import sha256_file
from strata.models.errors import InvalidModelFolder, UnsafeWeights, WeightsTampered
from strata.models.records import FileDigest

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib"})
SKIPPED_NAMES = frozenset({".gitattributes", "README.md"})


def model_files(folder: Path) -> list[Path]:
    """Every file of a model folder, recursively, in a stable order (hidden files skipped)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name not in SKIPPED_NAMES and not p.name.startswith(".")
    )


def check_folder(folder: Path) -> dict[str, Any]:
    """Validate a Hugging Face model folder; returns its config.json.

    Raises:
        InvalidModelFolder: missing folder, missing config.json, or no safetensors weights.
        UnsafeWeights: any pickle weight file (`.bin`, `.pt`, ...) in the folder.
    """
    if not folder.is_dir():
        raise InvalidModelFolder(
            f"Model folder {str(folder)!r} does not exist or is not a folder.",
            hint="Pass the path of a Hugging Face model folder (with config.json and "
            "*.safetensors), e.g. one written by save_pretrained().",
            value=str(folder),
        )
    files = model_files(folder)
    pickles = [p.relative_to(folder).as_posix() for p in files if p.suffix in PICKLE_SUFFIXES]
    if pickles:
        raise UnsafeWeights(
            f"Model folder {str(folder)!r} holds pickle files ({', '.join(pickles)}); Strata "
            "loads weights only from safetensors, since pickle can run code when loaded.",
            hint="Convert them: model.save_pretrained(out_dir, safe_serialization=True), then "
            "remove the pickle files and register the new folder.",
            files=pickles,
        )
    if not any(p.suffix == ".safetensors" for p in files):
        raise InvalidModelFolder(
            f"Model folder {str(folder)!r} has no *.safetensors weights.",
            hint="Save the model with save_pretrained(..., safe_serialization=True).",
        )
    return _read_config(folder)


def _read_config(folder: Path) -> dict[str, Any]:
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise InvalidModelFolder(
            f"Model folder {str(folder)!r} has no config.json.",
            hint="Register the folder that save_pretrained() wrote, which holds config.json.",
        )
    try:
        config: dict[str, Any] = json.loads(config_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidModelFolder(
            f"{config_file} is not valid JSON: {exc}",
            hint="Restore config.json from the model's original files.",
        ) from exc
    return config


def digest_folder(folder: Path) -> list[FileDigest]:
    """The sha256 and size of every file in the folder."""
    return [
        FileDigest(p.relative_to(folder).as_posix(), sha256_file(p), p.stat().st_size)
        for p in model_files(folder)
    ]


def verify(folder: Path, expected: Iterable[FileDigest], ref: str) -> None:
    """Refuse to load when any recorded file is missing or its sha256 has changed."""
    for digest in expected:
        path = folder / digest.path
        if not path.is_file():
            raise WeightsTampered(
                f"Model {ref}: file {digest.path} is missing from {folder}.",
                hint="Restore the file, or register the folder again as a new version with "
                "`strata models add`.",
                path=str(path),
            )
        actual = sha256_file(path)
        if actual != digest.sha256:
            raise WeightsTampered(
                f"Model {ref}: {digest.path} has sha256 {actual[:12]}…, but "
                f"{digest.sha256[:12]}… was recorded at registration; refusing to load.",
                hint="The file changed on disk. Restore the original, or if the change is "
                "intended register the folder again with `strata models add`.",
                path=str(path),
                expected=digest.sha256,
                actual=actual,
            )
