"""The files connector: TSV, JSON lines, JSON arrays, Parquet and Excel."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from strata.lake import Lake
from strata.lake.connectors.base import Source
from strata.lake.infer import draft_spec
from strata.lake.spec import ColumnType


def test_every_format_ingests(lake: Lake, tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("id\tname\n1\tx\n2\ty\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": 3, "name": "z"}\n{"id": 4, "name": "w"}\n')
    (tmp_path / "c.json").write_text(json.dumps([{"id": 5, "name": "v"}]))
    pq.write_table(pa.table({"id": [6], "name": ["u"]}), tmp_path / "d.parquet")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name"])
    sheet.append([7, "t"])
    book.save(tmp_path / "e.xlsx")
    for name in ("a.tsv", "b.jsonl", "c.json", "d.parquet", "e.xlsx"):
        result = lake.ingest(str(tmp_path / name), f"fmt-{name.split('.')[0]}")
        assert result.counts.accepted >= 1, name
    assert lake.read("fmt-e").to_pylist() == [{"id": 7, "name": "t"}]
    assert lake.read("fmt-a").column("name").to_pylist() == ["x", "y"]


def test_spec_infer_sniffs_semicolons_and_pii(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    rows = [f"{i};user{i}@example.com;+44 20 7946 0{i:03d};{i * 1.5}" for i in range(30)]
    path.write_text("id;email;phone;score\n" + "\n".join(rows) + "\n", encoding="utf-8")
    spec = draft_spec(Source(str(path)))
    assert list(spec.columns) == ["id", "email", "phone", "score"]
    assert spec.columns["score"].type == ColumnType.FLOAT
    assert spec.columns["email"].pii == "email"
    assert spec.columns["phone"].pii == "phone"
