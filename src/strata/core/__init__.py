"""The shared kernel: settings, errors, plugin registry, catalog database, hashing."""

from strata.core.catalog import Base, Catalog, create_catalog_engine
from strata.core.errors import (
    ConfigError,
    Conflict,
    DependencyMissing,
    InvalidInput,
    NotFound,
    PluginNotFound,
    StrataError,
    UpstreamError,
    error_body,
)
from strata.core.hashing import sha256_file
from strata.core.registry import PluginInfo, Registry, installed_plugins
from strata.core.settings import Settings, SettingValue, describe, load_settings

__all__ = [
    "Base",
    "Catalog",
    "ConfigError",
    "Conflict",
    "DependencyMissing",
    "InvalidInput",
    "NotFound",
    "PluginInfo",
    "PluginNotFound",
    "Registry",
    "SettingValue",
    "Settings",
    "StrataError",
    "UpstreamError",
    "create_catalog_engine",
    "describe",
    "error_body",
    "installed_plugins",
    "load_settings",
    "sha256_file",
]
