"""Pack registry and manifest, and the data helpers: row limits, YAML records, held-out rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from strata.core.errors import PluginNotFound
from strata.lake.spec import load_spec
from strata.packs import (
    PACKS,
    FolderPack,
    InvalidPack,
    Pack,
    PackDataMissing,
    get_pack,
    load_manifest,
)
from strata.packs.base import DatasetEntry, HoldoutEntry
from strata.packs.data import (
    limited_copy,
    source_path,
    training_rows,
    write_if_changed,
    yaml_records,
)
from strata.packs.finance import ROOT
from strata.train.split import stratified_split


def test_finance_registers_like_a_plugin() -> None:
    assert "finance" in PACKS.names()
    pack = get_pack("finance")
    assert isinstance(pack, Pack)
    assert pack.manifest.l2 is not None and pack.manifest.l2.gates == ("accuracy>=0.93",)
    with pytest.raises(PluginNotFound, match="finance"):
        get_pack("mining")


def test_the_packs_read_their_manifest_from_their_folder() -> None:
    for name in ("finance", "government"):
        pack = get_pack(name)
        assert isinstance(pack, FolderPack)
        assert pack.manifest.name == name
        assert (pack.root / "pack.yaml").is_file()


def test_a_bad_manifest_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("name: x\n")
    with pytest.raises(InvalidPack, match=r"pack\.yaml"):
        load_manifest(tmp_path)
    with pytest.raises(InvalidPack, match="Cannot read"):
        load_manifest(tmp_path / "nowhere")


def test_sources_resolve_or_say_where_they_looked(tmp_path: Path) -> None:
    pack = get_pack("finance")
    assert source_path(pack, DatasetEntry(name="p", source="pack:policies"), tmp_path).is_dir()
    with pytest.raises(PackDataMissing, match="--data-dir"):
        source_path(pack, DatasetEntry(name="b", source="data:banking77/train.csv"), tmp_path)
    with pytest.raises(InvalidPack, match="pack: or data:"):
        source_path(pack, DatasetEntry(name="b", source="http://x"), tmp_path)


def test_limited_copy_keeps_n_per_label_in_order(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("text,category\na,x\nb,x\nc,y\nd,x\ne,y\nf,y\n")
    out = limited_copy(source, "category", 2, tmp_path / "out.csv")
    assert list(pd.read_csv(out)["text"]) == ["a", "b", "c", "e"]
    before = out.stat().st_mtime_ns
    limited_copy(source, "category", 2, out)
    assert out.stat().st_mtime_ns == before
    with pytest.raises(InvalidPack, match="no label column 'intent'"):
        limited_copy(source, "intent", 2, out)


def test_training_rows_exclude_the_tune_validation_split() -> None:
    frame = pd.DataFrame(
        {"text": [f"t{i}" for i in range(40)], "category": [f"c{i % 4}" for i in range(40)]}
    )
    holdout = HoldoutEntry(dataset="d", train_dataset="d-train", label="category")
    train = training_rows(frame, holdout)
    _, val = stratified_split(list(frame["category"]), 0.2, 0)
    assert len(train) == 40 - len(val)
    assert not set(train["text"]) & set(frame.iloc[val]["text"])


def test_yaml_records_flatten_to_the_spec(tmp_path: Path) -> None:
    spec = load_spec(ROOT / "specs" / "finance-workflows.yaml")
    out = yaml_records(ROOT / "workflows.yaml", "workflows", spec, tmp_path / "w.jsonl")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 77 and set(rows[0]) == set(spec.columns)
    assert "\n" in rows[0]["steps"]
    with pytest.raises(InvalidPack, match="no mapping under 'nope'"):
        yaml_records(ROOT / "workflows.yaml", "nope", spec, tmp_path / "x.jsonl")


def test_write_if_changed(tmp_path: Path) -> None:
    path = write_if_changed(tmp_path / "a" / "f.txt", "x")
    assert path.read_text() == "x"
