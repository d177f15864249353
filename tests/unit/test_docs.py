"""The docs stay complete: every plugin group and built-in plugin appears in docs/plugins.md."""

from pathlib import Path

from strata.core.registry import installed_plugins

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_builtin_plugin_is_documented() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    builtins = [p for p in installed_plugins() if p.distribution == "strata"]
    assert builtins
    missing = [
        f"{p.group}:{p.name}"
        for p in builtins
        if f"`{p.group}`" not in text or f"`{p.name}`" not in text or f"`{p.value}`" not in text
    ]
    assert not missing, f"document these in docs/plugins.md: {missing}"


def test_every_setting_is_documented() -> None:
    from strata.core.settings import describe, load_settings

    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [row.key for row in describe(load_settings()) if f"`{row.key}`" not in text]
    assert not missing, f"document these in docs/settings.md: {missing}"
