"""The MQTT URL parser: the topic keeps its `#` and `+` wildcards."""

from __future__ import annotations

import pytest

from strata.core.errors import InvalidInput
from strata.lake.connectors.mqtt import parse_url


def test_parse_url_keeps_the_multi_level_wildcard() -> None:
    assert parse_url("mqtt://127.0.0.1:1883/plant/pumps/#") == ("127.0.0.1", 1883, "plant/pumps/#")


def test_parse_url_keeps_the_single_level_wildcard_and_default_port() -> None:
    assert parse_url("mqtt://broker/plant/+/temperature") == ("broker", 1883, "plant/+/temperature")


@pytest.mark.parametrize("bad", ["http://broker/x", "mqtt://broker", "mqtt://broker/"])
def test_parse_url_rejects_a_url_without_a_topic(bad: str) -> None:
    with pytest.raises(InvalidInput, match="mqtt://HOST:PORT/TOPIC"):
        parse_url(bad)
