"""The government pack's data: the committed reports equal the generator's output and cover
every type in four voices with some PII; the held-out set is separate; the bench stream has
known duplicate groups and hard negatives."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest
import yaml

from strata.lake.spec import load_spec
from strata.packs import PACKS, Pack, get_pack
from strata.packs.government import ROOT
from strata.packs.government.evaluate import read_heldout
from strata.packs.government.generate import (
    COLUMNS,
    DATA_FILE,
    DUPLICATE_RADIUS_M,
    DUPLICATE_SPREAD_MINUTES,
    generate_reports,
    stream_reports,
    to_csv,
)
from strata.packs.government.places import BOUNDS, distance_m
from strata.packs.government.taxonomy import load_taxonomy

EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
PHONE = re.compile(r"(07700 900|020 7946 0|\+44 20 7946 0)\d{3}")


@pytest.fixture(scope="module")
def reports() -> list[dict[str, str]]:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_pack_registers_like_a_plugin() -> None:
    assert "government" in PACKS.names()
    pack = get_pack("government")
    assert isinstance(pack, Pack)
    manifest = pack.manifest
    assert manifest.l2 is not None and manifest.l2.name == "city-events"
    assert manifest.holdout is not None and manifest.holdout.seed == 0
    assert manifest.kb == {"city-rules": "city-rules"}
    spec = load_spec(ROOT / "specs" / "city-reports.yaml")
    assert tuple(spec.columns) == COLUMNS
    assert set(spec.columns["event_type"].enum or []) == set(load_taxonomy().event_types)


def test_committed_reports_cover_every_type_in_every_voice(reports: list[dict[str, str]]) -> None:
    table = load_taxonomy()
    per_type = Counter(r["event_type"] for r in reports)
    assert set(per_type) == set(table.event_types)
    assert min(per_type.values()) >= 250
    assert {r["channel"] for r in reports} == {"hotline", "app", "inspector", "sensor"}
    assert all(r["department"] == table.department_of(r["event_type"]) for r in reports)
    assert len({r["text"] for r in reports}) == len(reports)
    assert sum(bool(EMAIL.search(r["text"])) for r in reports) >= 20
    assert sum(bool(PHONE.search(r["text"])) for r in reports) >= 100
    lats = [float(r["lat"]) for r in reports]
    lons = [float(r["lon"]) for r in reports]
    assert BOUNDS["lat"][0] <= min(lats) and max(lats) <= BOUNDS["lat"][1]
    assert BOUNDS["lon"][0] <= min(lons) and max(lons) <= BOUNDS["lon"][1]
    assert datetime.fromisoformat(reports[0]["reported_at"]).tzinfo is not None


def test_the_committed_csv_is_what_the_generator_writes() -> None:
    assert to_csv(generate_reports()) == DATA_FILE.read_text(encoding="utf-8")


def test_the_generator_is_deterministic() -> None:
    first, again = generate_reports(per_type=3, seed=7), generate_reports(per_type=3, seed=7)
    assert first == again and len(first) == 3 * 12
    assert [r["text"] for r in generate_reports(per_type=3, seed=8)] != [r["text"] for r in first]


def test_heldout_covers_every_type_and_shares_no_text(reports: list[dict[str, str]]) -> None:
    heldout = read_heldout()
    table = load_taxonomy()
    per_type = Counter(r["event_type"] for r in heldout)
    assert set(per_type) == set(table.event_types) and min(per_type.values()) >= 15
    assert all(r["department"] == table.department_of(r["event_type"]) for r in heldout)
    assert {r["style"] for r in heldout} == {"social", "email", "radio", "rambling"}
    training = {r["text"].strip().lower() for r in reports}
    assert not [r["text"] for r in heldout if r["text"].strip().lower() in training]


def test_questions_cite_regulations_that_exist() -> None:
    names = {p.name for p in (ROOT / "regulations").glob("*.md")}
    assert 8 <= len(names) <= 14
    for path in (ROOT / "regulations").glob("*.md"):
        assert path.read_text(encoding="utf-8").startswith("# Harbourview (fictional)")
    data: dict[str, Any] = yaml.safe_load((ROOT / "eval" / "questions.yaml").read_text())
    assert len(data["cases"]) >= 15
    assert all(set(case["expect"]) <= names for case in data["cases"])


def test_the_stream_has_duplicate_groups_and_hard_negatives() -> None:
    rows = stream_reports(300, seed=3)
    assert len(rows) == 300 and rows == stream_reports(300, seed=3)
    assert [r["reported_at"] for r in rows] == sorted(r["reported_at"] for r in rows)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["group_id"]].append(row)
    assert any(len(g) >= 3 for g in groups.values())
    for members in groups.values():
        assert len({m["event_type"] for m in members}) == 1
        for a in members:
            for b in members:
                assert distance_m(_point(a), _point(b)) <= 2 * DUPLICATE_RADIUS_M
                assert _minutes(a, b) < DUPLICATE_SPREAD_MINUTES
    negatives = [r for r in rows if r["hard_negative_of"]]
    assert negatives
    for row in negatives:
        for other in groups.get(row["hard_negative_of"], []):
            assert row["event_type"] == other["event_type"]
            assert distance_m(_point(row), _point(other)) > 250 or _minutes(row, other) > 120


def _point(row: dict[str, Any]) -> tuple[float, float]:
    return float(row["lat"]), float(row["lon"])


def _minutes(a: dict[str, Any], b: dict[str, Any]) -> float:
    gap = datetime.fromisoformat(a["reported_at"]) - datetime.fromisoformat(b["reported_at"])
    return abs(gap.total_seconds()) / 60
