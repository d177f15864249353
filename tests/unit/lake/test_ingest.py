"""Ingest into versioned Delta tables: specs, quarantine, exactly-once, merge, NAME@N."""

from __future__ import annotations

from pathlib import Path

import pytest

from strata.lake import ColumnSpec, ColumnType, DataSpec, Lake, Source, SpecMismatch
from strata.lake.errors import DatasetNotFound, InvalidDatasetRef

from .conftest import BANKING


def _broken_copy(tmp_path: Path) -> Path:
    lines = BANKING.read_text(encoding="utf-8").splitlines()
    broken = [
        ",card_arrival",
        '"   ",card_linking',
        ",",
        "hello,not_a_category",
        "hi,CARD_ARRIVAL",
        "hey,unknown",
        "yo,",
    ]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([lines[0], *broken, *lines[1:]]) + "\n", encoding="utf-8")
    return path


def test_banking77_ingest_is_versioned_and_idempotent(lake: Lake, banking_spec: DataSpec) -> None:
    first = lake.ingest(str(BANKING), "banking-requests", spec=banking_spec)
    assert (first.version, first.created, first.counts.accepted) == (1, True, 10003)
    again = lake.ingest(str(BANKING), "banking-requests", spec=banking_spec)
    assert (again.version, again.created, again.unchanged_parts) == (1, False, 1)
    assert lake.read("banking-requests").num_rows == 10003
    assert len(lake.dataset("banking-requests").versions) == 1


def test_broken_rows_go_to_quarantine_with_reasons(
    lake: Lake, banking_spec: DataSpec, tmp_path: Path
) -> None:
    result = lake.ingest(str(_broken_copy(tmp_path)), "banking-requests", spec=banking_spec)
    assert (result.counts.accepted, result.counts.quarantined) == (10003, 7)
    quarantine = lake.quarantine("banking-requests")
    assert quarantine is not None and quarantine.num_rows == 7
    rules = sorted(quarantine.column("rule").to_pylist())
    assert rules.count("required:text") == 3 and rules.count("enum:category") == 3
    assert "required:category" in rules
    reasons = quarantine.column("reason").to_pylist()
    assert any("got not_a_category" in r for r in reasons)
    assert set(quarantine.column("source").to_pylist()) == {str(tmp_path / "broken.csv")}
    show = lake.show("banking-requests")
    assert show["quality"]["violations_by_rule"]["enum:category"] == 3


def test_versions_are_readable_by_number(
    lake: Lake, banking_spec: DataSpec, tmp_path: Path
) -> None:
    lake.ingest(str(BANKING), "banking-requests", spec=banking_spec)
    lake.ingest(str(_broken_copy(tmp_path)), "banking-requests", spec=banking_spec)
    assert lake.read("banking-requests@1").num_rows == 10003
    assert lake.read("banking-requests@2").num_rows == 20006
    with pytest.raises(DatasetNotFound, match="known versions 1-2"):
        lake.read("banking-requests@3")
    with pytest.raises(InvalidDatasetRef):
        lake.read("Bad Name")


def test_inferred_spec_is_recorded_and_enforced(lake: Lake, tmp_path: Path) -> None:
    good = tmp_path / "a.csv"
    good.write_text("id,temp\n1,20.5\n2,21.0\n", encoding="utf-8")
    lake.ingest(str(good), "temps")
    spec = lake.dataset("temps").spec
    assert spec.columns["temp"].type == ColumnType.FLOAT
    later = tmp_path / "b.csv"
    later.write_text("id,temp\n3,hot\n4,19.0\n", encoding="utf-8")
    result = lake.ingest(str(later), "temps")
    assert (result.counts.accepted, result.counts.quarantined) == (1, 1)
    extra = tmp_path / "c.csv"
    extra.write_text("id,temp,extra\n5,1.0,x\n", encoding="utf-8")
    with pytest.raises(SpecMismatch, match="extra"):
        lake.ingest(str(extra), "temps")


def test_primary_key_rows_are_merged_never_duplicated(lake: Lake, tmp_path: Path) -> None:
    spec = DataSpec(
        columns={
            "id": ColumnSpec(type=ColumnType.INTEGER, required=True),
            "v": ColumnSpec(type=ColumnType.FLOAT, min=0, max=100),
        },
        primary_key=["id"],
    )
    first = tmp_path / "1.csv"
    first.write_text("id,v\n1,10\n2,20\n2,25\n3,500\n", encoding="utf-8")
    result = lake.ingest(str(first), "readings", spec=spec)
    assert (result.counts.accepted, result.counts.skipped, result.counts.quarantined) == (2, 1, 1)
    second = tmp_path / "2.csv"
    second.write_text("id,v\n2,30\n4,40\n", encoding="utf-8")
    merged = lake.ingest(str(second), "readings", spec=spec)
    assert merged.version == 2
    rows = {r["id"]: r["v"] for r in lake.read("readings").to_pylist()}
    assert rows == {1: 10.0, 2: 30.0, 4: 40.0}
    assert lake.dataset("readings").versions[-1].operation == "merge"


def test_skab_folder_lands_in_one_table_with_source_file(lake: Lake) -> None:
    from .conftest import SKAB

    if not SKAB.is_dir():
        pytest.skip(f"SKAB not found at {SKAB}")
    result = lake.ingest(Source(str(SKAB), {"source_column": "source_file"}), "skab")
    assert result.version == 1 and result.parts == 21
    files = lake.sql("SELECT DISTINCT source_file FROM skab").column(0).to_pylist()
    labelled = [f for f in files if f.startswith("valve")]
    assert len(labelled) == 20 and "anomaly-free/anomaly-free.csv" in files
    spec = lake.dataset("skab").spec
    assert spec.columns["datetime"].type == ColumnType.TIMESTAMP
    assert spec.columns["Pressure"].type == ColumnType.FLOAT
    counts = lake.sql("SELECT count(*), count(anomaly) FROM skab").to_pylist()[0]
    assert next(iter(counts.values())) == result.counts.accepted
    again = lake.ingest(Source(str(SKAB), {"source_column": "source_file"}), "skab")
    assert again.created is False
