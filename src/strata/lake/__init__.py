"""The lake: connectors, data specs, versioned Delta tables, quarantine, lineage, SQL, quality."""

from strata.lake.connectors import CONNECTORS, Connector, Part, Scan, Source, find_connector
from strata.lake.errors import (
    ConnectorError,
    DatasetNotFound,
    IngestConflict,
    InvalidDatasetRef,
    InvalidSource,
    InvalidSpec,
    LakeQueryError,
    SpecMismatch,
)
from strata.lake.infer import infer_spec
from strata.lake.ingest import IngestOptions, IngestResult
from strata.lake.lake import DatasetInfo, Lake, VersionInfo
from strata.lake.names import DatasetRef, check_name, parse_ref
from strata.lake.spec import ColumnSpec, ColumnType, DataSpec, load_spec, parse_spec
from strata.lake.state import Counts

__all__ = [
    "CONNECTORS",
    "ColumnSpec",
    "ColumnType",
    "Connector",
    "ConnectorError",
    "Counts",
    "DataSpec",
    "DatasetInfo",
    "DatasetNotFound",
    "DatasetRef",
    "IngestConflict",
    "IngestOptions",
    "IngestResult",
    "InvalidDatasetRef",
    "InvalidSource",
    "InvalidSpec",
    "Lake",
    "LakeQueryError",
    "Part",
    "Scan",
    "Source",
    "SpecMismatch",
    "VersionInfo",
    "check_name",
    "find_connector",
    "infer_spec",
    "load_spec",
    "parse_ref",
    "parse_spec",
]
