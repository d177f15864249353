"""Gateway overhead: a mock OpenAI-compatible upstream (fixed 20 ms delay) on loopback, called
directly, through Strata's gateway (keys, rate limits and audit on), through LiteLLM's proxy
(virtual keys with limits, its database on the PostgreSQL at 127.0.0.1; installed into
/tmp/litellm-venv) and through a bare pass-through (FastAPI + httpx2, no keys, no limits). One
worker each; 1 client and 16 concurrent clients; added latency p50/p95/p99 (through - direct) and
requests/s; last a JSON line with the ratios.

    .venv/bin/python bench/gateway_overhead.py [--requests 300] [--skip-litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

LITELLM_VENV = Path("/tmp/litellm-venv")
PG = "postgresql://postgres@127.0.0.1:5432/litellm_bench"

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
    await asyncio.sleep(0.02)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""

BARE = """
import httpx2, uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
app = FastAPI()
client = None
@app.post("/v1/chat/completions")
async def chat(request: Request) -> Response:
    global client
    client = client or httpx2.AsyncClient(timeout=60)
    reply = await client.post("UPSTREAM/chat/completions", content=await request.body(),
                              headers={"content-type": "application/json"})
    return Response(reply.content, reply.status_code, media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""

STRATA = """
import uvicorn
from strata.core.settings import load_settings
from strata.serve.app import create_app
s = load_settings(home=HOME, serve={"pools": {"mock": [{"url": "UPSTREAM", "model": "m"}]}})
uvicorn.run(create_app(s), host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
"""

BODY = {"model": "mock", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}


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


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _load(url: str, key: str | None, clients: int, total: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    latencies: list[float] = []
    left = [total]
    async with httpx2.AsyncClient(
        timeout=60, limits=httpx2.Limits(max_connections=clients)
    ) as http:

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                t0 = time.perf_counter()
                reply = await http.post(url, json=BODY, headers=headers)
                if reply.status_code != 200:
                    raise RuntimeError(f"{url} answered {reply.status_code}: {reply.text[:200]}")
                latencies.append(time.perf_counter() - t0)

        for _ in range(min(20, total)):  # warm up connections and code paths
            await http.post(url, json=BODY, headers=headers)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    return {
        "p50": _pct(latencies, 0.5),
        "p95": _pct(latencies, 0.95),
        "p99": _pct(latencies, 0.99),
        "rps": total / elapsed,
    }


def _strata(upstream: str) -> tuple[subprocess.Popen[bytes], str, str]:
    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.serve.auth import KeyStore, Limits

    home = tempfile.mkdtemp(prefix="strata-overhead-")
    catalog = Catalog(load_settings(home=home).catalog_url)
    key, _ = KeyStore(catalog).create("bench", ("inference",), Limits(rpm=1_000_000, tpm=10**9))
    catalog.dispose()
    port = free_port()
    code = STRATA.replace("HOME", repr(home)).replace("UPSTREAM", upstream)
    return start(code.replace("PORT", str(port)), port), f"http://127.0.0.1:{port}", key


def _litellm(upstream: str) -> tuple[subprocess.Popen[bytes] | None, str, str]:
    """Install and start LiteLLM's proxy with a virtual key; returns (proc, base, key or reason)."""
    python = LITELLM_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "litellm[proxy]"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if install.returncode != 0:
        return None, "", f"pip install litellm[proxy] failed: {install.stderr.strip()[-300:]}"
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", "CREATE DATABASE litellm_bench"],
        capture_output=True,
        check=False,
    )
    config = Path(tempfile.mkdtemp()) / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: mock\n    litellm_params:\n      model: openai/m\n"
        f"      api_base: {upstream}\n      api_key: none\n"
        "general_settings:\n  master_key: sk-master\n  database_url: " + PG + "\n"
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            str(LITELLM_VENV / "bin" / "litellm"),
            "--config",
            str(config),
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": f"{LITELLM_VENV}/bin:/usr/bin:/bin", "DATABASE_URL": PG, "HOME": "/tmp"},
    )
    if not wait_port(port, 240):
        proc.kill()
        err = proc.stderr.read().decode(errors="replace")[-400:] if proc.stderr else ""
        return None, "", f"litellm proxy did not start offline: {err}"
    base = f"http://127.0.0.1:{port}"
    made = httpx2.post(
        f"{base}/key/generate",
        headers={"Authorization": "Bearer sk-master"},
        json={"rpm_limit": 1_000_000, "tpm_limit": 10**9},
        timeout=60,
    )
    if made.status_code != 200:
        stop(proc)
        return None, "", f"litellm /key/generate answered {made.status_code}: {made.text[:200]}"
    return proc, base, str(made.json()["key"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--skip-litellm", action="store_true")
    args = parser.parse_args()
    port = free_port()
    mock = start(MOCK.replace("PORT", str(port)), port)
    upstream = f"http://127.0.0.1:{port}/v1"
    procs, targets, notes = [mock], {"direct": (f"{upstream}/chat/completions", None)}, {}
    try:
        proc, base, key = _strata(upstream)
        procs.append(proc)
        targets["strata"] = (f"{base}/v1/chat/completions", key)
        bare_port = free_port()
        procs.append(
            start(BARE.replace("UPSTREAM", upstream).replace("PORT", str(bare_port)), bare_port)
        )
        targets["bare"] = (f"http://127.0.0.1:{bare_port}/v1/chat/completions", None)
        if args.skip_litellm:
            notes["litellm"] = "skipped (--skip-litellm)"
        else:
            lproc, lbase, lkey = _litellm(upstream)
            if lproc is None:
                notes["litellm"] = lkey
            else:
                procs.append(lproc)
                targets["litellm"] = (f"{lbase}/v1/chat/completions", lkey)
        results = {}
        for clients, total in ((1, args.requests), (16, args.requests * 4)):
            for name, (url, key) in targets.items():
                results[(name, clients)] = asyncio.run(_load(url, key, clients, total))
                print(name, clients, {k: round(v, 2) for k, v in results[(name, clients)].items()})
    finally:
        for proc in procs:
            stop(proc)
    summary = _summary(results, notes)
    for line in summary.pop("table"):
        print(line)
    print(json.dumps(summary))


def _summary(results: dict, notes: dict) -> dict:
    table, out = [], {"bench": "gateway_overhead", **notes}
    for clients in (1, 16):
        direct = results[("direct", clients)]
        for name in ("strata", "bare", "litellm"):
            if (name, clients) not in results:
                continue
            r = results[(name, clients)]
            added = {q: round(r[q] - direct[q], 2) for q in ("p50", "p95", "p99")}
            out[f"{name}_c{clients}_added_ms"] = added
            out[f"{name}_c{clients}_rps"] = round(r["rps"], 1)
            table.append(
                f"c={clients:<2} {name:<8} added p50/p95/p99 ms {added} rps {r['rps']:.1f}"
            )
    for clients in (1, 16):
        if ("bare", clients) in results:
            s, b = out[f"strata_c{clients}_added_ms"], out[f"bare_c{clients}_added_ms"]
            out[f"strata_vs_bare_added_p50_c{clients}"] = round(s["p50"] / max(b["p50"], 1e-3), 2)
    if ("litellm", 16) in results:
        out["strata_vs_litellm_rps_c16"] = round(out["strata_c16_rps"] / out["litellm_c16_rps"], 2)
    out["table"] = table
    return out


if __name__ == "__main__":
    main()
