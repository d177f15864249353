from pathlib import Path

import pytest

from strata.core.errors import ConfigError
from strata.core.settings import describe, load_settings


def _sources(settings_file: Path | None = None) -> dict[str, str]:
    settings = load_settings(settings_file)
    return {row.key: row.source for row in describe(settings, settings_file)}


def test_defaults_put_catalog_in_home(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.home == (tmp_path / ".strata").resolve()
    assert settings.catalog_url == f"sqlite:///{settings.home / 'catalog.db'}"
    assert _sources()["home"] == "default"


def test_env_beats_file_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "strata.yaml"
    config.write_text("home: ./from-file\nmodels:\n  max_new_tokens: 64\n")
    monkeypatch.setenv("STRATA_CATALOG_URL", "sqlite:///x.db")
    monkeypatch.setenv("STRATA_MODELS__ENDPOINT_TIMEOUT_S", "5")
    settings = load_settings()
    assert settings.home == (tmp_path / "from-file").resolve()
    assert settings.catalog_url == "sqlite:///x.db"
    assert settings.models.max_new_tokens == 64
    assert settings.models.endpoint_timeout_s == 5
    sources = _sources()
    assert sources["home"].startswith("file")
    assert sources["catalog_url"] == "env"
    assert sources["models.endpoint_timeout_s"] == "env"
    assert sources["models.default_encoder"] == "default"


def test_every_setting_is_described() -> None:
    rows = describe(load_settings())
    assert rows and all(row.description for row in rows)
    assert {"home", "catalog_url"} <= {row.key for row in rows}


def test_bad_value_names_setting_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_MODELS__MAX_NEW_TOKENS", "-3")
    with pytest.raises(ConfigError, match=r"models\.max_new_tokens") as info:
        load_settings()
    assert "STRATA_MODELS__MAX_NEW_TOKENS" in (info.value.hint or "")


def test_broken_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "strata.yaml").write_text("home: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings()


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "strata.yaml").write_text("hoem: ./typo\n")
    with pytest.raises(ConfigError, match="hoem"):
        load_settings()
