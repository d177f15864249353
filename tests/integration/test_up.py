"""`strata up`: installs the finance pack, creates the admin key once, serves the gateway."""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from fixtures.cli import (
    one_thread,  # noqa: F401 (autouse: one torch thread for this module)
    run_cli,
)
from strata.cli.state import AppState
from strata.cli.up import EXAMPLE, gateway

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
QUICK = ["--profile", "quick", "--encoder", "l0/tiny-encoder", "--rows-per-label", "4"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, _tiny_models: dict[str, Path]) -> Path:
    """A home after one `strata up --no-serve` (its output kept in first-up.txt)."""
    if not (DATA / "banking77" / "train.csv").is_file():
        pytest.skip(f"banking77 not found under {DATA}")
    folder = tmp_path_factory.mktemp("up") / "home"
    run_cli(folder, "models", "add", str(_tiny_models["encoder"]), "--kind", "encoder")
    (folder / "first-up.txt").write_text(run_cli(folder, "up", "--no-serve", *QUICK))
    return folder


def test_up_prints_the_journey_banner(home: Path) -> None:
    out = (home / "first-up.txt").read_text()
    key = (home / "admin.key").read_text().strip()
    assert key.startswith("sk-strata-") and key in out
    assert stat.S_IMODE((home / "admin.key").stat().st_mode) == 0o600
    for line in (
        "Strata is up.",
        "  API        http://127.0.0.1:8700/v1        (OpenAI-compatible)",
        "  API docs   http://127.0.0.1:8700/docs",
        "curl -s http://127.0.0.1:8700/v1/apps/counter-assistant/runs",
        EXAMPLE,
        "intent accuracy",
    ):
        assert line in out


def test_a_second_up_keeps_the_key_and_shows_it_no_more(home: Path) -> None:
    key = (home / "admin.key").read_text().strip()
    out = run_cli(home, "up", "--no-serve", *QUICK)
    assert (home / "admin.key").read_text().strip() == key
    assert key not in out and "saved in" in out and "unchanged" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The gateway `strata up` starts, on a free loopback port in a background thread."""
    monkeypatch.setenv("STRATA_HOME", str(home))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(gateway(AppState()), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def test_the_printed_curl_example_answers(home: Path, served: str) -> None:
    key = (home / "admin.key").read_text().strip()
    url = f"{served}/v1/apps/counter-assistant/runs"
    body = {"input": {"text": EXAMPLE, "date": "2026-11-28"}}
    assert httpx.post(url, json=body, timeout=60).status_code == 401
    reply = httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=120)
    assert reply.status_code == 200, reply.text
    output = reply.json()["output"]
    assert len(output["top"]) == 3 and all(0 <= t["score"] <= 1 for t in output["top"])
    assert output["slots"]["card"] == "****4242" and output["slots"]["date"] == "2026-11-27"
    assert output["flagged"] == []  # no detector in a quick install: the check fails open
    if output["status"] == "ready":
        assert output["workflow"]["steps"] and output["citations"]
    else:
        assert output["question"] and "Ask the customer" in output["guide"]
    openapi = httpx.get(f"{served}/openapi.json", headers={"Authorization": f"Bearer {key}"})
    assert openapi.status_code == 200
