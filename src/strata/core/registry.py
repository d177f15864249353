"""A small plugin registry over entry points: built-ins register exactly like third parties."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, distributions, entry_points
from typing import Generic, TypeVar

from strata.core.errors import Conflict, PluginNotFound

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as `strata plugins ls` shows it."""

    group: str
    name: str
    value: str
    distribution: str
    version: str


def _allowed(name: str) -> bool:
    """`STRATA_LOAD_PLUGINS=a,b` restricts which entry points load (read at lookup time)."""
    only = os.environ.get("STRATA_LOAD_PLUGINS", "").strip()
    return not only or name in {n.strip() for n in only.split(",")}


def _entry_points(group: str) -> list[EntryPoint]:
    return [ep for ep in entry_points(group=group) if _allowed(ep.name)]


class Registry(Generic[T]):
    """Plugins of one kind, looked up by name; entry points load lazily on first lookup."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T, *, replace: bool = False) -> None:
        """Add a plugin by hand (tests, pack loaders); a duplicate is an error unless `replace`."""
        if name in self._items and not replace:
            raise Conflict(
                f'Plugin "{name}" is already registered in {self.group}.',
                hint="Pass replace=True to override it, or pick another name.",
            )
        self._items[name] = item

    def get(self, name: str) -> T:
        """The plugin called `name`; raises PluginNotFound listing the known names."""
        if name in self._items:
            return self._items[name]
        for ep in _entry_points(self.group):
            if ep.name == name:
                item: T = ep.load()
                if os.environ.get("STRATA_TRACE_PLUGINS"):
                    log.info("loaded plugin %s:%s from %s", self.group, name, ep.value)
                self._items[name] = item
                return item
        raise PluginNotFound(
            f'No plugin "{name}" in {self.group}; known: {", ".join(self.names()) or "none"}.',
            hint="Run `strata plugins ls` to see installed plugins, or install the package "
            "that provides it.",
        )

    def names(self) -> list[str]:
        """Every plugin name available, registered by hand or by entry point."""
        return sorted(set(self._items) | {ep.name for ep in _entry_points(self.group)})

    def items(self) -> Iterator[tuple[str, T]]:
        """Each (name, plugin), loading entry points as needed."""
        for name in self.names():
            yield name, self.get(name)


def installed_plugins(prefix: str = "strata.") -> list[PluginInfo]:
    """Every entry point in a `strata.*` group, for `strata plugins ls`."""
    found = {
        PluginInfo(ep.group, ep.name, ep.value, dist.metadata["Name"], dist.version)
        for dist in distributions()
        for ep in dist.entry_points
        if ep.group.startswith(prefix)
    }
    return sorted(found, key=lambda p: (p.group, p.name))
