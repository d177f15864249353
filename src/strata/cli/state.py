"""What every command shares: settings built once, the catalog and models opened lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from strata.core.catalog import Catalog
from strata.core.settings import Settings, load_settings
from strata.models.runtime import ModelRuntime, open_store
from strata.models.store import ModelStore

if TYPE_CHECKING:
    from strata.apps.service import Apps
    from strata.lake.lake import Lake
    from strata.train.workspace import Workspace


@dataclass
class AppState:
    """Per-invocation state, kept on the Click context (no module globals)."""

    debug: bool = False
    config_file: Path | None = None
    overrides: dict[str, object] = field(default_factory=dict)

    @cached_property
    def settings(self) -> Settings:
        """The settings, loaded on first use."""
        return load_settings(self.config_file, **self.overrides)

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog, migrated on first use."""
        return Catalog(self.settings.catalog_url)

    @cached_property
    def lake(self) -> Lake:
        """The data lake (imported on first use: it loads DuckDB and Delta)."""
        from strata.lake.lake import Lake

        return Lake(self.catalog, self.settings.lake, self.settings.home)

    @cached_property
    def workspace(self) -> Workspace:
        """Handles for training jobs (imported on first use: it loads torch)."""
        from strata.compute.base import engine
        from strata.train.workspace import Workspace

        return Workspace(
            store=self.store,
            runtime=self.runtime,
            lake=self.lake,
            root=self.settings.home / "models",
            engine=engine(self.settings.compute.engine),
        )

    @cached_property
    def apps(self) -> Apps:
        """Apps and knowledge bases (imported on first use: they load search indexes)."""
        from strata.apps.service import open_apps

        return open_apps(self.settings, self.catalog, self.runtime, self.lake)

    @cached_property
    def store(self) -> ModelStore:
        """The model registry, with the built-in L0 registered."""
        return open_store(self.catalog)

    @cached_property
    def runtime(self) -> ModelRuntime:
        """Loads and runs models."""
        return ModelRuntime(self.store, self.settings.models)


def state(ctx: typer.Context) -> AppState:
    """The AppState of this invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
