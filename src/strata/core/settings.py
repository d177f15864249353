"""Settings: one pydantic-settings model with a section per domain; env beats file beats default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from strata.core.errors import ConfigError

ENV_PREFIX = "STRATA_"
ENV_DELIMITER = "__"
CONFIG_ENV = "STRATA_CONFIG"
DEFAULT_CONFIG_FILE = "strata.yaml"


class ModelSettings(BaseModel):
    """How models are found, checked and run."""

    default_encoder: str = Field(
        "l0/minilm-l6", description="Encoder used when a command needs one and none is named."
    )
    verify_weights: bool = Field(
        True, description="Check every weight file against its recorded sha256 on each load."
    )
    endpoint_timeout_s: float = Field(
        60.0, gt=0, description="Seconds to wait for an OpenAI-compatible endpoint to answer."
    )
    max_new_tokens: int = Field(
        128, gt=0, le=8192, description="Default generation length for local generators."
    )


class DoctorSettings(BaseModel):
    """Thresholds `strata doctor` checks against."""

    min_free_disk_gb: float = Field(
        2.0, ge=0, description="Free space under STRATA_HOME below which doctor warns."
    )


class LakeSettings(BaseModel):
    """Where the lake lives and how ingests batch."""

    root: str = Field(
        "",
        description="Folder or object-store URI (s3://bucket/prefix) of the lake tables; empty "
        "means STRATA_HOME/lake. Object-store credentials come from the environment "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL).",
    )
    batch_records: int = Field(
        10_000, gt=0, description="Telemetry records (HTTP or MQTT) per commit at most."
    )
    flush_interval_s: float = Field(
        5.0, gt=0, description="Seconds after which buffered telemetry is committed anyway."
    )
    max_request_records: int = Field(
        100_000, gt=0, description="Largest number of JSON lines one HTTP request may post."
    )
    chunk_chars: int = Field(
        1_000, ge=100, description="Target size of document chunks, in characters."
    )
    pause_before_commit_s: float = Field(
        0.0,
        ge=0,
        description="Test hook: seconds to wait between staging and committing "
        "an ingest (crash-recovery tests kill the process in this window). Keep 0.",
    )


class ComputeSettings(BaseModel):
    """Where jobs run."""

    engine: str = Field(
        "local", description="Compute engine for training jobs: `local` (in process) or a plugin."
    )


class Settings(BaseSettings):
    """Every Strata setting. Env vars: STRATA_<KEY> and STRATA_<SECTION>__<KEY>."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        case_sensitive=False,
    )

    home: Path = Field(
        Path(".strata"), description="Folder for the catalog, the lake, models and keys."
    )
    catalog_url: str = Field(
        "",
        description="SQLAlchemy URL of the catalog; empty means a SQLite file in the home.",
    )
    models: ModelSettings = Field(default_factory=ModelSettings, description="Models section.")
    doctor: DoctorSettings = Field(default_factory=DoctorSettings, description="Doctor section.")
    lake: LakeSettings = Field(default_factory=LakeSettings, description="Lake section.")
    compute: ComputeSettings = Field(
        default_factory=ComputeSettings, description="Compute section."
    )

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        self.home = self.home.expanduser().resolve()
        if not self.catalog_url:
            self.catalog_url = f"sqlite:///{self.home / 'catalog.db'}"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The config file arrives as init values; the environment overrides it.
        return (env_settings, init_settings)


@dataclass(frozen=True)
class SettingValue:
    """One effective setting, for `strata settings show`."""

    key: str
    value: Any
    source: str
    env: str
    description: str


def config_path(explicit: Path | None = None) -> Path:
    """The YAML config file in use: explicit, then $STRATA_CONFIG, then ./strata.yaml."""
    return explicit or Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"Config file {path} is not valid YAML: {exc}",
            hint="Fix the YAML syntax, or point STRATA_CONFIG at another file.",
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"Config file {path} must hold a mapping of settings, got {type(data).__name__}.",
            hint="Write settings as `key: value` lines, e.g. `home: ./.strata`.",
        )
    return data


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings once: environment, then the YAML file, then defaults."""
    data = {**_read_file(config_path(config_file)), **overrides}
    try:
        return Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"Setting {where!r} is invalid: {first['msg']} (got {first.get('input')!r}).",
            hint=f"Fix it in {config_path(config_file)} or in the environment "
            f"({ENV_PREFIX}{where.upper().replace('.', ENV_DELIMITER)}).",
        ) from exc


def _field_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_field_rows(annotation, f"{prefix}{name}."))
        else:
            rows.append((f"{prefix}{name}", field.description or ""))
    return rows


def _lookup(data: dict[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def describe(settings: Settings, config_file: Path | None = None) -> list[SettingValue]:
    """Each setting's effective value and where it came from: env, file or default."""
    path = config_path(config_file)
    file_data = _read_file(path)
    environ = {k.upper() for k in os.environ}
    rows = []
    for key, description in _field_rows(Settings):
        env = ENV_PREFIX + key.upper().replace(".", ENV_DELIMITER)
        value: Any = settings
        for part in key.split("."):
            value = getattr(value, part)
        if env in environ:
            source = "env"
        elif _lookup(file_data, key):
            source = f"file ({path})"
        else:
            source = "default"
        rows.append(SettingValue(key, value, source, env, description))
    return rows
