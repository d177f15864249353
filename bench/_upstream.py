"""Loopback servers for the benches: each server runs in its own interpreter on 127.0.0.1 (the
mock OpenAI-compatible upstream, Strata's gateway over a home folder, or any snippet of code);
plus the percentile and process-CPU helpers the benches report with."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

MOCK = """
import asyncio, json, uvicorn
BODY = json.dumps({"id": "c", "object": "chat.completion", "model": "m", "choices": [{"index": 0,
  "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()
async def app(scope, receive, send):
    if scope["type"] != "http": return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await asyncio.sleep(DELAY)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""

GATEWAY = """
import uvicorn
from strata.core.settings import load_settings
from strata.serve.app import create_app
s = load_settings(home=HOME, serve=SERVE)
uvicorn.run(create_app(s), host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, seconds: float = 120) -> bool:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def start(code: str, port: int, python: str = sys.executable) -> subprocess.Popen[bytes]:
    """Run `code` in a new interpreter; returns once its port accepts connections."""
    proc = subprocess.Popen([python, "-c", code], stdout=subprocess.DEVNULL)
    if not wait_port(port):
        proc.kill()
        raise RuntimeError(f"server on port {port} did not start")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process started by `start`."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_mock(delay_s: float = 0.02) -> tuple[subprocess.Popen[bytes], str]:
    """The mock upstream (pure ASGI, answers one fixed completion after `delay_s`); returns the
    process and its base URL (`http://127.0.0.1:PORT/v1`)."""
    port = free_port()
    code = MOCK.replace("DELAY", repr(delay_s)).replace("PORT", str(port))
    return start(code, port), f"http://127.0.0.1:{port}/v1"


def start_gateway(home: str, serve: dict[str, Any]) -> tuple[subprocess.Popen[bytes], str]:
    """Strata's gateway over `home` with `serve` settings; returns the process and its base URL."""
    port = free_port()
    code = GATEWAY.replace("HOME", repr(home)).replace("SERVE", repr(serve))
    return start(code.replace("PORT", str(port)), port), f"http://127.0.0.1:{port}"


def percentile_ms(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of durations in seconds, in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
