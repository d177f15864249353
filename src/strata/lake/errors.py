"""Errors of the lake: datasets, specs, sources, connectors and SQL."""

from __future__ import annotations

from strata.core.errors import Conflict, InvalidInput, NotFound, UpstreamError


class DatasetNotFound(NotFound):
    """No dataset (or no version of it) answers to a reference."""

    code = "dataset_not_found"


class InvalidDatasetRef(InvalidInput):
    """A dataset name or `NAME@N` reference that does not parse."""

    code = "invalid_dataset_ref"


class InvalidSpec(InvalidInput):
    """A data spec that is not valid YAML or breaks the spec format."""

    code = "invalid_spec"


class InvalidSource(InvalidInput):
    """A source that no connector can read: missing file, unknown format, bad URL."""

    code = "invalid_source"


class SpecMismatch(InvalidInput):
    """Source columns that the dataset's spec does not declare."""

    code = "spec_mismatch"


class IngestConflict(Conflict):
    """Another ingest of the same source into the same dataset is in progress."""

    code = "ingest_conflict"


class LakeQueryError(InvalidInput):
    """A SQL query over the lake that DuckDB rejected."""

    code = "lake_query_error"


class ConnectorError(UpstreamError):
    """A source system (database, broker) failed or could not be reached."""

    code = "connector_error"
