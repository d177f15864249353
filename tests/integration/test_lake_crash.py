"""kill -9 between writing and committing an ingest: nothing partial is visible, the next run
completes the work, and nothing is duplicated (a real subprocess, a real SIGKILL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from strata.core.catalog import Catalog
from strata.core.settings import load_settings
from strata.lake import Lake

BANKING = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.csv"


def _strata(home: Path, *args: str, pause: float = 0.0) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STRATA_HOME": str(home), "STRATA_LAKE__PAUSE_BEFORE_COMMIT_S": str(pause)}
    code = "from strata.cli.main import run; run()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _state(home: Path) -> str | None:
    db = home / "catalog.db"
    if not db.exists():
        return None
    try:
        with sqlite3.connect(db, timeout=5) as con:
            row = con.execute("SELECT state FROM lake_ingests").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def _wait_for(home: Path, state: str, proc: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while _state(home) != state:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, f"ingest never reached {state!r}"
        time.sleep(0.1)


def test_kill_9_between_write_and_commit_then_rerun(tmp_path: Path) -> None:
    if not BANKING.is_file():
        pytest.skip(f"banking77 not found at {BANKING}")
    home = tmp_path / "home"
    args = ("lake", "ingest", str(BANKING), "--dataset", "banking-requests")
    proc = _strata(home, *args, pause=120)
    _wait_for(home, "staged", proc)
    table = home / "lake" / "banking-requests"
    # "staged" is marked just before the data files are written: wait for them (the commit
    # itself waits 120 s after writing, so the kill lands between the write and the commit).
    deadline = time.monotonic() + 60
    while not list(table.glob("_staging-*/*.parquet")):
        assert proc.poll() is None and time.monotonic() < deadline, "no data files were staged"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    settings = load_settings(Path("/nonexistent.yaml"), home=home)
    lake = Lake(Catalog(settings.catalog_url), settings.lake, settings.home)
    assert lake.dataset("banking-requests").versions == []
    assert not (table / "_delta_log").exists(), "no version may be visible after the crash"

    rerun = _strata(home, *args)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    assert b"banking-requests@1" in out
    assert lake.read("banking-requests").num_rows == 10003
    assert [v.version for v in lake.dataset("banking-requests").versions] == [1]
    distinct = lake.sql('SELECT count(*) AS n FROM (SELECT DISTINCT * FROM "banking-requests")')
    assert (
        distinct.column("n")[0].as_py()
        == lake.sql(
            "SELECT count(DISTINCT (text, category)) AS n FROM read_csv('" + str(BANKING) + "')"
        )
        .column("n")[0]
        .as_py()
    )
    again = _strata(home, *args)
    out, _ = again.communicate(timeout=120)
    assert b"No change" in out
