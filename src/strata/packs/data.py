"""Where a pack's data comes from: the pack folder, or an external data folder such as
`shared/data` beside the repository; row-limited copies for quick installs; the held-out split."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import yaml

import strata
from strata.lake.spec import DataSpec
from strata.packs.base import DatasetEntry, HoldoutEntry, Pack, pack_file
from strata.packs.errors import InvalidPack, PackDataMissing
from strata.train.split import Index, stratified_split

DATA_ENV = "STRATA_PACKS_DATA"


def default_data_dir() -> Path:
    """`shared/data` beside the repository root (the folder holding `src/strata`)."""
    return Path(strata.__file__).resolve().parents[2].parent / "shared" / "data"


def source_path(pack: Pack, entry: DatasetEntry, data_dir: Path) -> Path:
    """The file or folder a dataset entry reads, or a clear error when it is absent."""
    kind, _, relative = entry.source.partition(":")
    if kind == "pack":
        return pack_file(pack, relative)
    if kind != "data":
        raise InvalidPack(
            f'Pack "{pack.manifest.name}", dataset "{entry.name}": source {entry.source!r} '
            "must start with pack: or data:.",
            hint="Fix the pack manifest (docs/packs.md).",
        )
    path = data_dir / relative
    if not path.exists():
        raise PackDataMissing(
            f'Pack "{pack.manifest.name}" needs {relative} for dataset "{entry.name}", '
            f"and it is not in the data folder {str(data_dir)!r}.",
            hint=f"Put the data there, or point to its folder with --data-dir or {DATA_ENV}=PATH.",
            path=str(path),
        )
    return path


def write_if_changed(path: Path, text: str) -> Path:
    """Write `text` unless the file already holds exactly it (keeps re-runs byte-identical)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buffer.getvalue()


def limited_copy(source: Path, label: str, per_label: int, out: Path) -> Path:
    """The first `per_label` rows of each label of a CSV, written to `out` (file order kept)."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    if label not in frame.columns:
        raise InvalidPack(
            f"{source} has no label column {label!r}; its columns are {', '.join(frame.columns)}.",
            hint="Fix `labels:` of the dataset in the pack manifest.",
        )
    seen: dict[str, int] = defaultdict(int)
    keep = []
    for value in frame[label]:
        seen[value] += 1
        keep.append(seen[value] <= per_label)
    return write_if_changed(out, _csv_text(frame[keep]))


def _split(frame: pd.DataFrame, holdout: HoldoutEntry) -> tuple[Index, Index]:
    """(training, validation) row positions: `stratified_split` with the holdout's fraction and
    seed over the rows in lake order, exactly the split `strata train tune` makes."""
    labels = [str(v) for v in frame[holdout.label]]
    return stratified_split(labels, holdout.val_fraction, holdout.seed)


def training_rows(frame: pd.DataFrame, holdout: HoldoutEntry) -> pd.DataFrame:
    """The rows of the labelled dataset outside its validation split, so the validation rows
    never train the L1."""
    train, _ = _split(frame, holdout)
    return frame.iloc[train][[holdout.text, holdout.label]].reset_index(drop=True)


def heldout_texts(frame: pd.DataFrame, holdout: HoldoutEntry) -> list[str]:
    """The texts of the labelled dataset's validation split (the complement of `training_rows`)."""
    _, held = _split(frame, holdout)
    return [str(t) for t in frame.iloc[held][holdout.text]]


def training_csv(frame: pd.DataFrame, holdout: HoldoutEntry, out: Path) -> Path:
    """`training_rows` written as CSV (unchanged bytes when the rows are unchanged)."""
    return write_if_changed(out, _csv_text(training_rows(frame, holdout)))


def yaml_records(source: Path, key: str, spec: DataSpec, out: Path) -> Path:
    """Rows from a YAML mapping `key: {ID: {field: value}}`, written as JSON lines to `out`.

    The ID fills the spec's first primary-key column; lists become one item per line; only the
    spec's columns are kept, so the pack file may hold more than the lake table does.
    """
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    items = data.get(key)
    if not isinstance(items, dict) or not spec.primary_key:
        raise InvalidPack(
            f"{source} has no mapping under {key!r}, or its spec has no primary key.",
            hint="Records come from `KEY: {ID: {...}}` with a spec that declares primary_key.",
        )
    id_column = spec.primary_key[0]
    lines = []
    for ident, fields in items.items():
        row = {id_column: ident, **fields}
        flat = {c: _flat(row.get(c)) for c in spec.columns}
        lines.append(json.dumps(flat, ensure_ascii=False, sort_keys=True))
    return write_if_changed(out, "\n".join(lines) + "\n")


def _flat(value: object) -> object:
    return "\n".join(str(v) for v in value) if isinstance(value, list) else value
