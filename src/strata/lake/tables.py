"""Delta tables: where they live (local folder or s3:// URI), atomic commits, versions, merge."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import TableNotFoundError
from deltalake.schema import Schema
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

APP_PREFIX = "strata-ingest:"
STAGING_PREFIX = "_staging-"
QUARANTINE_SUFFIX = "__quarantine"


def is_remote(uri: str) -> bool:
    """Whether a table URI points at object storage (s3://, gs://, az://)."""
    return "://" in uri and not uri.startswith("file://")


def table_uri(root: str, name: str) -> str:
    """The URI of table `name` under the lake root."""
    return f"{root.rstrip('/')}/{name}" if is_remote(root) else str(Path(root) / name)


def open_table(uri: str, version: int | None = None) -> DeltaTable | None:
    """The Delta table at `uri` (at `version`), or None when none exists yet."""
    try:
        return DeltaTable(uri, version=version)
    except TableNotFoundError:
        return None


def committed(uri: str, ingest_id: str) -> int | None:
    """The Delta version that committed `ingest_id`, or None: Delta app transactions make
    this check atomic with the data (a crashed run's files are never referenced)."""
    table = open_table(uri)
    if table is None or table.transaction_version(APP_PREFIX + ingest_id) is None:
        return None
    for entry in table.history():
        if entry.get("strata.ingest_id") == ingest_id:
            return int(entry["version"])
    return None


def _commit_properties(ingest_id: str, metadata: dict[str, str]) -> CommitProperties:
    return CommitProperties(
        custom_metadata={"strata.ingest_id": ingest_id, **metadata},
        app_transactions=[Transaction(APP_PREFIX + ingest_id, 1)],
    )


def staging_dir(uri: str, ingest_id: str) -> Path:
    """Where a local ingest writes its Parquet files before the commit references them."""
    return Path(uri) / f"{STAGING_PREFIX}{ingest_id}"


def clear_staging(uri: str, ingest_id: str) -> None:
    """Remove files a crashed run wrote but never committed (they were never visible)."""
    if not is_remote(uri):
        shutil.rmtree(staging_dir(uri, ingest_id), ignore_errors=True)


def _add_actions(uri: str, files: Sequence[Path]) -> list[AddAction]:
    actions: list[AddAction] = []
    for path in files:
        stat = path.stat()
        rows = pq.read_metadata(path).num_rows
        actions.append(
            AddAction(
                os.path.relpath(path, uri),
                stat.st_size,
                {},
                int(stat.st_mtime * 1000),
                True,
                f'{{"numRecords": {rows}}}',
            )
        )
    return actions


def commit_files(
    uri: str, schema: pa.Schema, files: Sequence[Path], ingest_id: str, metadata: dict[str, str]
) -> int:
    """Commit Parquet files already written under the table folder as one new version."""
    props = _commit_properties(ingest_id, metadata)
    actions = _add_actions(uri, files)
    table = open_table(uri)
    if table is None:
        create_table_with_add_actions(
            uri, Schema.from_arrow(schema), actions, mode="append", commit_properties=props
        )
    else:
        table.create_write_transaction(
            list[AddAction | RemoveAction](actions),
            mode="append",
            schema=Schema.from_arrow(schema),
            commit_properties=props,
        )
    return _version(uri)


def write(
    uri: str,
    data: pa.Table | pa.RecordBatchReader,
    ingest_id: str,
    metadata: dict[str, str],
    storage: dict[str, str] | None = None,
) -> int:
    """Append Arrow data as one new version (remote tables, quarantine, small batches)."""
    write_deltalake(
        uri,
        data,
        mode="append",
        schema_mode="merge",
        storage_options=storage,
        commit_properties=_commit_properties(ingest_id, metadata),
    )
    return _version(uri, storage)


def merge(
    uri: str,
    data: pa.Table,
    keys: Sequence[str],
    ingest_id: str,
    metadata: dict[str, str],
    storage: dict[str, str] | None = None,
) -> int:
    """Upsert rows by primary key as one new version: matched rows update, new rows insert."""
    table = DeltaTable(uri, storage_options=storage)
    predicate = " AND ".join(f'target."{k}" = source."{k}"' for k in keys)
    (
        table.merge(
            data,
            predicate,
            source_alias="source",
            target_alias="target",
            commit_properties=_commit_properties(ingest_id, metadata),
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return _version(uri, storage)


def _version(uri: str, storage: dict[str, str] | None = None) -> int:
    return int(DeltaTable(uri, storage_options=storage).version())


def read(uri: str, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
    """The table's rows at `version` (latest when None) as Arrow."""
    table = DeltaTable(uri, version=version)
    return table.to_pyarrow_table(columns=columns)


def history(uri: str) -> list[dict[str, Any]]:
    """Delta commit entries, newest first."""
    table = open_table(uri)
    return [] if table is None else list(table.history())
