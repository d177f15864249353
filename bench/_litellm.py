"""LiteLLM's proxy as a peer for the gateway benches, run offline on loopback.

It is installed with `pip install litellm[proxy]` into its own virtualenv (`/tmp/litellm-venv`) and
started with one worker in front of the mock upstream. Offline it runs with its bundled model cost
map (`LITELLM_LOCAL_MODEL_COST_MAP`), telemetry off and log level WARNING (no access log, like the
other servers in the bench).

Mode: master key plus a per-deployment rpm limit, enforced by its router's pre-call checks. Its
virtual keys need its database layer, Prisma, whose query and schema engines are native binaries
downloaded at run time from Prisma's own server, which this machine cannot reach (no PyPI, npm
or Debian package found ships them). So the proxy runs without a database: the master key is the
only key it accepts, and a request with any other key is refused.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from _upstream import free_port, stop

VENV = Path("/tmp/litellm-venv")
MASTER_KEY = "sk-master"
MODE = (
    "master key + per-deployment rpm limit (router pre-call checks), no database: virtual keys "
    "need Prisma's query and schema engines, which download at run time from Prisma's server"
)

CONFIG = """model_list:
  - model_name: mock
    litellm_params:
      model: openai/m
      api_base: UPSTREAM
      api_key: none
      rpm: 1000000
router_settings:
  enable_pre_call_checks: true
general_settings:
  master_key: MASTER
litellm_settings:
  telemetry: false
"""

ENV = {
    "PATH": f"{VENV}/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOG": "WARNING",
}


def install() -> str | None:
    """Create the virtualenv and install `litellm[proxy]` once; returns why it failed, or None."""
    python = VENV / "bin" / "python"
    if (VENV / "bin" / "litellm").exists():
        return None
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "litellm[proxy]"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        return f"pip install litellm[proxy] failed: {done.stderr.strip()[-300:]}"
    return None


def version() -> str:
    """The installed LiteLLM version."""
    code = "import importlib.metadata as m; print(m.version('litellm'))"
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", code], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def start(upstream: str, seconds: float = 240) -> tuple[subprocess.Popen[bytes] | None, str, str]:
    """Start the proxy over `upstream` and check that it takes the master key and refuses others;
    returns (proc, base URL, "") or (None, "", why not)."""
    work = Path(tempfile.mkdtemp(prefix="litellm-bench-"))
    config = work / "litellm.yaml"
    config.write_text(CONFIG.replace("UPSTREAM", upstream).replace("MASTER", MASTER_KEY))
    log = work / "proxy.log"
    port = free_port()
    command = [str(VENV / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--num_workers", "1", "--telemetry", "False"]
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=ENV)
    base = f"http://127.0.0.1:{port}"
    if not _healthy(proc, base, seconds):
        stop(proc)
        tail = log.read_text(errors="replace")[-400:]
        return None, "", f"litellm proxy did not start offline within {seconds:.0f} s: {tail}"
    if _answers(base, "sk-not-a-key") or not _answers(base, MASTER_KEY):
        stop(proc)
        return None, "", "litellm proxy took an unknown key or refused its master key"
    return proc, base, ""


def _healthy(proc: subprocess.Popen[bytes], base: str, seconds: float) -> bool:
    """Wait until the proxy's liveliness route answers 200; False if it exits or times out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx2.get(f"{base}/health/liveliness", timeout=5).status_code == 200:
                return True
        except httpx2.TransportError:
            pass
        time.sleep(0.5)
    return False


def _answers(base: str, key: str) -> bool:
    """Whether the proxy answers a chat completion with `key` (200)."""
    body = {"model": "mock", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    headers = {"Authorization": f"Bearer {key}"}
    try:
        reply = httpx2.post(f"{base}/v1/chat/completions", headers=headers, json=body, timeout=60)
    except httpx2.HTTPError:
        return False
    return reply.status_code == 200
