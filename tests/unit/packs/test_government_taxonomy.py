"""The government pack's routing table: every event type maps as published; broken tables fail
with the field and the value named."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from strata.packs import InvalidPack
from strata.packs.government.taxonomy import (
    TAXONOMY_FILE,
    hazard_pattern,
    load_taxonomy,
    parse_taxonomy,
)

ROUTES = {
    "fallen_tree": "landscaping",
    "damaged_greenery": "landscaping",
    "shared_bicycle": "urban_administration",
    "street_vending": "urban_administration",
    "illegal_advertising": "urban_administration",
    "exposed_garbage": "sanitation",
    "waterlogging": "sanitation",
    "road_damage": "roads",
    "manhole_cover": "utilities",
    "streetlight_outage": "utilities",
    "illegal_parking": "traffic_police",
    "noise": "environment",
}


def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    return data


def test_every_event_type_routes_to_its_department() -> None:
    table = load_taxonomy()
    assert {name: entry.department for name, entry in table.event_types.items()} == ROUTES
    assert table.triage.queue == "triage" and table.triage.threshold == 0.5
    assert all(d.webhook == "" for d in table.departments.values())
    assert {"injured", "blocking", "live wire", "child", "flood", "fire"} <= set(table.hazards)
    assert set(table.priority_sla_hours) == {"P1", "P2", "P3", "P4"}
    assert table.department_of("noise") == "environment" and table.department_of("x") is None


def test_night_hours_wrap_past_midnight() -> None:
    night = load_taxonomy().night
    assert night.covers(23 * 60) and night.covers(5 * 60 + 59)
    assert not night.covers(6 * 60) and not night.covers(12 * 60)


def test_hazard_words_accept_simple_endings() -> None:
    assert hazard_pattern("flood").search("the street is Flooded")
    assert hazard_pattern("child").search("children crossing")
    assert hazard_pattern("live wire").search("live wires hanging")
    assert not hazard_pattern("fire").search("firefighters")


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (("event_types", "fallen_tree", "department"), "event_types.fallen_tree.department", "x"),
        (("event_types", "noise", "priority"), "event_types.noise.priority", "P9"),
        (("departments", "roads", "webhook"), "departments.roads.webhook", "ftp://x"),
        (("triage", "threshold"), "triage.threshold", 1.5),
        (("night", "start"), "night.start", "10pm"),
        (("triage", "queue"), "triage.queue", "roads"),
    ],
)
def test_a_broken_table_names_the_field_and_value(
    change: tuple[str, ...], field: str, value: Any
) -> None:
    data = _data()
    node = data
    for key in change[:-1]:
        node = node[key]
    node[change[-1]] = value
    with pytest.raises(InvalidPack, match=rf'field "{field}".*{value!r}'.replace("[", r"\[")):
        parse_taxonomy(data)


def test_a_missing_priority_sla_and_an_unknown_field_fail() -> None:
    data = _data()
    del data["priority_sla_hours"]["P4"]
    with pytest.raises(InvalidPack, match="priority_sla_hours"):
        parse_taxonomy(data)
    with pytest.raises(InvalidPack, match="colour"):
        parse_taxonomy({**_data(), "colour": "blue"})
    with pytest.raises(InvalidPack, match="must be a mapping"):
        parse_taxonomy(["not", "a", "table"])


def test_a_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    data = _data()
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_taxonomy(path).triage.threshold == 0.5
    data["triage"]["threshold"] = 0.7
    path.write_text(yaml.safe_dump(data) + "\n", encoding="utf-8")
    os.utime(path, ns=(1, 2))
    assert load_taxonomy(path).triage.threshold == 0.7
    path.write_text("departments: [", encoding="utf-8")
    with pytest.raises(InvalidPack, match="not valid YAML"):
        load_taxonomy(path)
    with pytest.raises(InvalidPack, match="Cannot read taxonomy"):
        load_taxonomy(tmp_path / "nowhere.yaml")
