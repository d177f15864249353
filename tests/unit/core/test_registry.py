import pytest

from strata.core.errors import Conflict, PluginNotFound
from strata.core.registry import Registry, installed_plugins


def test_register_and_get_by_hand() -> None:
    registry: Registry[int] = Registry("strata.test.things")
    registry.register("one", 1)
    assert registry.get("one") == 1
    assert registry.names() == ["one"]


def test_duplicate_needs_replace() -> None:
    registry: Registry[int] = Registry("strata.test.things")
    registry.register("one", 1)
    with pytest.raises(Conflict):
        registry.register("one", 2)
    registry.register("one", 2, replace=True)
    assert registry.get("one") == 2


def test_unknown_name_lists_known_ones() -> None:
    registry: Registry[int] = Registry("strata.test.things")
    registry.register("alpha", 1)
    with pytest.raises(PluginNotFound, match="known: alpha") as info:
        registry.get("beta")
    assert "strata plugins ls" in (info.value.hint or "")


def test_builtins_load_from_entry_points() -> None:
    registry: Registry[object] = Registry("strata.models.backends")
    assert {"sentence-transformers", "openai-endpoint"} <= set(registry.names())
    assert callable(registry.get("openai-endpoint"))


def test_load_plugins_restricts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_LOAD_PLUGINS", "openai-endpoint")
    registry: Registry[object] = Registry("strata.models.backends")
    assert registry.names() == ["openai-endpoint"]
    with pytest.raises(PluginNotFound):
        registry.get("sentence-transformers")


def test_installed_plugins_name_their_distribution() -> None:
    plugins = installed_plugins()
    mine = [p for p in plugins if p.group == "strata.cli.commands" and p.name == "models"]
    assert mine and mine[0].distribution == "strata"
