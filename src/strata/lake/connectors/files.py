"""Files: CSV/TSV (delimiter sniffed), JSON and JSON lines, Parquet, Excel; a file or a folder."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from strata.core.hashing import sha256_file
from strata.lake.connectors.base import Part, Scan, Source
from strata.lake.errors import InvalidSource
from strata.lake.validate import ident, literal

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}


def _files(uri: str) -> tuple[Path, list[Path]]:
    path = Path(uri).expanduser()
    if path.is_file():
        return path.parent, [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
        return path, found
    matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
    return Path(glob.escape(str(path)).split("*")[0] or "."), [p for p in matches if p.is_file()]


def _excel(path: Path) -> pa.Table:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    if not rows:
        return pa.table({})
    header = [str(h) if h is not None else f"column_{i}" for i, h in enumerate(rows[0])]
    columns: dict[str, list[Any]] = {
        h: [r[i] if i < len(r) else None for r in rows[1:]] for i, h in enumerate(header)
    }
    arrays = {}
    for name, values in columns.items():
        kinds = {type(v) for v in values if v is not None}
        mixed = len(kinds) > 1 and kinds != {int, float}
        arrays[name] = pa.array(
            [None if v is None else str(v) for v in values] if mixed else values
        )
    return pa.table(arrays)


class FilesConnector:
    """Reads files by extension; `delimiter`, `source_column` and `format` are options."""

    def matches(self, source: Source) -> bool:
        """A file, folder or glob holding files of a known format."""
        return "://" not in source.uri and bool(_files(source.uri)[1])

    def scan(self, source: Source, state: dict[str, Any]) -> Scan:
        """Hash every file; the relation unions them by column name."""
        base, files = _files(source.uri)
        if not files:
            raise InvalidSource(
                f"No readable file at {source.uri!r}.",
                hint=f"Pass a file or folder with one of: {', '.join(sorted(FORMATS))}.",
            )
        names = {str(p.resolve()): p.relative_to(base).as_posix() for p in files}
        parts = [Part(names[str(p.resolve())], sha256_file(p)) for p in files]
        paths = {names[str(p.resolve())]: p.resolve() for p in files}

        def relation(
            con: duckdb.DuckDBPyConnection, todo: Sequence[Part], typed: bool = False
        ) -> duckdb.DuckDBPyRelation:
            selects = [self._select(con, paths[p.name], p.name, source, typed) for p in todo]
            return con.sql(" UNION ALL BY NAME ".join(selects))

        return Scan(
            parts=parts, relation=relation, lineage=str(Path(source.uri).resolve()), raw=True
        )

    def _select(
        self, con: duckdb.DuckDBPyConnection, path: Path, name: str, source: Source, typed: bool
    ) -> str:
        fmt = source.options.get("format") or FORMATS.get(path.suffix.lower(), "csv")
        reader = self._reader(con, path, fmt, source, typed)
        column = source.options.get("source_column")
        extra = f", {literal(name)} AS {ident(column)}" if column else ""
        return f"SELECT *{extra} FROM {reader}"

    @staticmethod
    def _reader(
        con: duckdb.DuckDBPyConnection, path: Path, fmt: str, source: Source, typed: bool
    ) -> str:
        where = literal(str(path))
        if fmt == "csv":
            delim = source.options.get("delimiter") or ("\t" if path.suffix == ".tsv" else None)
            opts = "" if typed else ", all_varchar = true"
            opts += f", delim = {literal(delim)}" if delim else ""
            return f"read_csv({where}{opts})"
        if fmt == "json":
            return f"read_json_auto({where})"
        if fmt == "parquet":
            return f"read_parquet({where})"
        if fmt == "excel":
            view = f"__excel_{abs(hash(str(path)))}"
            con.register(view, _excel(path))
            return ident(view)
        raise InvalidSource(
            f"Unknown file format {fmt!r} for {str(path)!r}.",
            hint="Use --format csv, json, parquet or excel.",
        )
