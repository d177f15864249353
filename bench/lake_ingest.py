"""Bench: Strata lake ingest (spec-validated, quarantine, Delta commit) vs raw DuckDB CSV->Parquet.

Generates a 1,000,000-row telemetry CSV shaped like SKAB (timestamp, machine id, 8 sensors,
`;`-separated) in a temp dir, then times both on the same file. Prints rows/s for each and, last,
one JSON line with the ratio (goal: strata / duckdb >= 0.5).

    .venv/bin/python bench/lake_ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.lake import ColumnSpec, ColumnType, DataSpec, Lake

SENSORS = [
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
]
UNITS = ["g", "g", "A", "bar", "degC", "degC", "V", "l/min"]


def generate(path: Path, rows: int) -> None:
    """A reproducible telemetry CSV (seed 0)."""
    rng = np.random.default_rng(0)
    start = np.datetime64("2026-01-01T00:00:00")
    columns = {
        "datetime": pa.array((start + np.arange(rows).astype("timedelta64[s]")).astype(str)),
        "machine_id": pa.array(np.char.add("m", rng.integers(0, 3000, rows).astype(str))),
    }
    for name in SENSORS:
        columns[name] = pa.array(np.round(rng.normal(10, 2, rows), 5))
    pacsv.write_csv(pa.table(columns), path, pacsv.WriteOptions(delimiter=";"))


def spec() -> DataSpec:
    """The spec the ingest validates every row against."""
    columns = {
        "datetime": ColumnSpec(type=ColumnType.TIMESTAMP, required=True),
        "machine_id": ColumnSpec(required=True, regex=r"m[0-9]+"),
    }
    for name, unit in zip(SENSORS, UNITS, strict=True):
        columns[name] = ColumnSpec(type=ColumnType.FLOAT, unit=unit, min=-1000, max=1000)
    return DataSpec(columns=columns)


def run_strata(csv: Path, home: Path) -> tuple[float, int]:
    settings = load_settings(Path("/nonexistent.yaml"), home=home)
    lake = Lake(Catalog(settings.catalog_url), settings.lake, settings.home)
    started = time.perf_counter()
    result = lake.ingest(str(csv), "telemetry", spec=spec())
    return time.perf_counter() - started, result.counts.accepted


def run_duckdb(csv: Path, out: Path) -> float:
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")
    con.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "telemetry.csv"
        generate(csv, args.rows)
        duck_s = run_duckdb(csv, folder / "raw.parquet")
        strata_s, accepted = run_strata(csv, folder / "home")
        assert accepted == args.rows, f"accepted {accepted} of {args.rows} rows"
    duck_rate, strata_rate = args.rows / duck_s, args.rows / strata_s
    print(f"duckdb  csv->parquet: {duck_s:6.2f} s  {duck_rate:12,.0f} rows/s")
    print(f"strata  lake ingest:  {strata_s:6.2f} s  {strata_rate:12,.0f} rows/s")
    print(
        json.dumps(
            {
                "bench": "lake_ingest",
                "rows": args.rows,
                "strata_rows_per_s": round(strata_rate),
                "duckdb_rows_per_s": round(duck_rate),
                "ratio": round(strata_rate / duck_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
