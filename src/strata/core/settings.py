"""Settings: one pydantic-settings model with a section per domain; env beats file beats default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from strata.core.errors import ConfigError
from strata.core.validation import first_problem

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
    threads: int = Field(
        0,
        ge=0,
        le=256,
        description="CPU threads one model call may use (torch's intra-op threads and each ONNX "
        "Runtime session); 0 lets the libraries pick (every core).",
    )
    use_optimized: bool = Field(
        True,
        description="Run a model's ONNX export (`strata models optimize`) in its place wherever "
        "the model is pinned by version (knowledge-base encoders, app steps).",
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


class UpstreamSettings(BaseModel):
    """One OpenAI-compatible backend in a gateway pool."""

    url: str = Field(description="Base URL ending in /v1, e.g. http://127.0.0.1:8000/v1.")
    model: str = Field("", description="Model name the upstream serves; empty means the alias.")
    api_key_env: str | None = Field(
        None, description="Variable holding the upstream's API key (read per call), or none."
    )
    price_per_1k_tokens: float = Field(
        0.0, ge=0, description="Cost charged to budgets per 1,000 tokens through this backend."
    )


class ServeSettings(BaseModel):
    """The gateway: where it listens, caps, batching, quotas, routing pools and fallbacks."""

    host: str = Field(
        "127.0.0.1", description="Address `strata serve` binds (loopback by default)."
    )
    port: int = Field(8700, gt=0, lt=65536, description="Port `strata serve` listens on.")
    max_body_bytes: int = Field(
        2_000_000, gt=0, description="Largest request body accepted; larger gets 413."
    )
    max_inputs: int = Field(
        2048, gt=0, description="Most texts one embeddings or classifications request may hold."
    )
    model_threads: int = Field(
        1,
        ge=0,
        le=256,
        description="`models.threads` inside the gateway: 1 lets concurrent requests and filters "
        "share the cores instead of each model call claiming all of them; 0 keeps "
        "`models.threads`.",
    )
    batch_window_ms: float = Field(
        2.0, ge=0, description="Milliseconds an encoder/classifier batch waits for more requests."
    )
    batch_max_size: int = Field(64, gt=0, description="Most texts one micro-batch runs at once.")
    pools: dict[str, list[UpstreamSettings]] = Field(
        default_factory=dict,
        description="Aliases over pools of OpenAI-compatible backends: alias -> list of upstreams.",
    )
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Alias or model ref -> other aliases/refs tried when all its backends fail.",
    )
    retries: int = Field(2, ge=0, le=10, description="Extra attempts on other backends of a pool.")
    retry_backoff_s: float = Field(
        0.05, ge=0, description="First retry delay in seconds; doubles on each retry."
    )
    breaker_failures: int = Field(
        3, gt=0, description="Consecutive failures after which a backend is ejected."
    )
    breaker_window_s: float = Field(
        5.0, gt=0, description="A backend failing for this many seconds is ejected."
    )
    breaker_cooldown_s: float = Field(
        5.0, gt=0, description="Seconds an ejected backend waits before one probe request."
    )
    connect_timeout_s: float = Field(
        1.0, gt=0, description="Seconds to connect to an upstream before trying another."
    )
    upstream_timeout_s: float = Field(
        60.0, gt=0, description="Seconds to wait for upstream bytes (also between stream chunks)."
    )
    default_max_tokens: int = Field(
        256, gt=0, description="Tokens reserved for a chat request that names no max_tokens."
    )
    key_cache_s: float = Field(
        2.0, ge=0, description="Seconds a key lookup is cached; a revocation applies within it."
    )
    flush_interval_s: float = Field(
        0.2, gt=0, description="Seconds between writes of audit records and quota counters."
    )
    tenant_filters: dict[str, dict[str, dict[str, Any]]] = Field(
        default_factory=dict,
        description="Tenant -> security filter name -> options; only these filters run for it.",
    )
    log_prompts: list[str] = Field(
        default_factory=list,
        description="Tenants that opt in to raw prompts in their audit records.",
    )


class AppsSettings(BaseModel):
    """How apps run, where knowledge bases live, and which MCP servers an app may start."""

    step_timeout_s: float = Field(
        60.0, gt=0, description="Seconds one attempt of an app step may take, unless it sets one."
    )
    step_retries: int = Field(
        0, ge=0, le=10, description="Extra attempts for a failed app step unless it sets its own."
    )
    kb_root: str = Field(
        "", description="Folder of knowledge-base indexes; empty means STRATA_HOME/kb."
    )
    kb_fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="How hybrid knowledge-base search merges BM25 and dense results: `convex` "
        "(both scores of every candidate, each scaled by the query's best, weighted) or `rrf` "
        "(reciprocal rank fusion).",
    )
    kb_bm25_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Weight of BM25 in `convex` fusion (dense gets the rest); 0.3 was chosen on "
        "development queries (docs/benchmarks.md).",
    )
    mcp_allowed_commands: list[str] = Field(
        default_factory=list,
        description="Admin allow-list of executables (names or absolute paths) an `mcp_tool` step "
        "may start as a stdio MCP server; any other command is refused. Empty: none.",
    )


class TicketsSettings(BaseModel):
    """City event tickets: duplicate merging, defaults, department webhooks, the report app."""

    merge_distance_m: float = Field(
        250.0,
        ge=0,
        description="A report this many metres (haversine) or less from an open ticket of the "
        "same event type and department merges into it.",
    )
    merge_window_minutes: float = Field(
        120.0,
        ge=0,
        description="A report merges into an open ticket only when reported this many minutes "
        "or less from the ticket's latest report.",
    )
    default_priority: str = Field(
        "normal", description="Priority of a report whose routing gave none (low ... critical)."
    )
    default_sla_hours: float = Field(
        72.0, gt=0, description="SLA in hours of a report whose routing gave none."
    )
    webhooks: dict[str, str] = Field(
        default_factory=dict,
        description="Department -> URL a new ticket is POSTed to through the egress guard; a "
        "`ticket` step's `webhook` wins. Empty: no notification.",
    )
    app: str = Field(
        "event-dispatch",
        description="App that `POST /v1/tickets` and `strata tickets listen` run on each report.",
    )


class SecuritySettings(BaseModel):
    """The egress guard (outbound HTTP) and where security policies live."""

    egress_enabled: bool = Field(
        True,
        description="Refuse outbound requests to loopback, private, link-local and metadata "
        "addresses. Turn off only on an isolated test network.",
    )
    egress_allow_hosts: list[str] = Field(
        default_factory=list,
        description="Host names outbound requests may reach even when they resolve to an internal "
        "address (`api.internal` exact, `*.corp.example` a subdomain).",
    )
    egress_allow_cidrs: list[str] = Field(
        default_factory=list,
        description="Internal networks outbound requests may reach, e.g. 10.20.0.0/16.",
    )
    egress_schemes: list[str] = Field(
        default_factory=lambda: ["http", "https"],
        description="URL schemes outbound requests may use.",
    )
    egress_timeout_s: float = Field(
        10.0, gt=0, description="Seconds one outbound request may take in all, redirects included."
    )
    egress_max_bytes: int = Field(
        10_000_000, gt=0, description="Largest outbound response body read, in bytes."
    )
    egress_max_redirects: int = Field(
        5, ge=0, le=20, description="Redirects followed; each target is checked again."
    )
    policy_file: str = Field(
        "",
        description="YAML file of per-tenant and per-app security policies; empty: none "
        "(the built-in default policy applies).",
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
    security: SecuritySettings = Field(
        default_factory=SecuritySettings, description="Security section."
    )
    apps: AppsSettings = Field(default_factory=AppsSettings, description="Apps section.")
    tickets: TicketsSettings = Field(
        default_factory=TicketsSettings, description="Tickets section."
    )
    serve: ServeSettings = Field(default_factory=ServeSettings, description="Gateway section.")

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
        problem = first_problem(exc)
        where = problem.where
        raise ConfigError(
            f"Setting {where!r} is invalid: {problem.message} (got {problem.value!r}).",
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
