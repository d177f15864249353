"""Connectors: plugins in entry-point group `strata.lake.connectors` that read sources."""

from strata.lake.connectors.base import CONNECTORS, Connector, Part, Scan, Source, find_connector

__all__ = ["CONNECTORS", "Connector", "Part", "Scan", "Source", "find_connector"]
