"""Gateway overhead: a mock OpenAI-compatible upstream (fixed 20 ms delay) on loopback, called
directly, through Strata's gateway (keys, rate limits and audit on), through LiteLLM's proxy
(installed into /tmp/litellm-venv and run offline with its master key and a per-deployment rpm
limit, no database: see `_litellm.py` for why) and through a bare pass-through (FastAPI + httpx2,
no keys, no limits). One worker each; 1 client and 16 concurrent clients. If LiteLLM cannot be
installed or started, the JSON line says why and the other targets still run.

The targets take turns: each client count runs `--rounds` rounds, and in each round every target
serves its share of the requests, in a rotated order, so that load from other jobs on a shared
machine falls on all of them alike. Prints added latency p50/p95/p99 (through - direct, over the
pooled rounds), requests/s and the server's CPU milliseconds per request; with `--soak N`, each
server's resident memory before and after N more requests at 16 clients (LiteLLM's proxy is known
for memory that grows until the process is killed); last a JSON line.

    .venv/bin/python bench/gateway_overhead.py [--requests 300] [--rounds 3] [--skip-litellm]
                                               [--soak 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import _litellm as litellm
import httpx2
from _upstream import (
    cpu_seconds,
    free_port,
    percentile_ms,
    rss_mb,
    start,
    start_gateway,
    start_mock,
    stop,
)

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

BODY = {"model": "mock", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}


@dataclass
class Target:
    """One way to reach the upstream: its URL, key, server process, and what it measured."""

    url: str
    key: str | None
    proc: subprocess.Popen[bytes] | None
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0

    def stats(self) -> dict[str, float]:
        """Pooled percentiles (ms), requests/s and server CPU ms per request."""
        out = {q: percentile_ms(self.latencies, v) for q, v in _QUANTILES.items()}
        out["rps"] = len(self.latencies) / self.seconds
        out["cpu_ms_per_req"] = self.cpu * 1000 / len(self.latencies)
        return out


_QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


async def _load(target: Target, clients: int, total: int, warm: int) -> None:
    headers = {"Authorization": f"Bearer {target.key}"} if target.key else {}
    left = [total]
    limits = httpx2.Limits(max_connections=clients)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:

        async def call() -> float:
            t0 = time.perf_counter()
            reply = await http.post(target.url, json=BODY, headers=headers)
            if reply.status_code != 200:
                raise RuntimeError(f"{target.url} answered {reply.status_code}: {reply.text[:200]}")
            return time.perf_counter() - t0

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                target.latencies.append(await call())

        await asyncio.gather(*(call() for _ in range(clients)))  # open the connections
        for _ in range(warm):  # warm up code paths
            await call()
        cpu0 = cpu_seconds(target.proc.pid) if target.proc else None
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        target.seconds += time.perf_counter() - t0
        cpu1 = cpu_seconds(target.proc.pid) if target.proc else None
        if cpu0 is not None and cpu1 is not None:
            target.cpu += cpu1 - cpu0


def _run(job: Any) -> None:
    """Run the load on uvloop when it is installed: a cheaper client leaves more of the
    machine to the servers under test."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(job)
    else:
        uvloop.run(job)


def _measure(targets: dict[str, Target], clients: int, total: int, rounds: int) -> None:
    """Run `total` requests per target in `rounds` interleaved rounds."""
    names = list(targets)
    share = max(1, total // rounds)
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            _run(_load(targets[name], clients, share, warm=20 if turn == 0 else 0))


def _strata(upstream: str) -> tuple[subprocess.Popen[bytes], str, str]:
    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.serve.auth import KeyStore, Limits

    home = tempfile.mkdtemp(prefix="strata-overhead-")
    catalog = Catalog(load_settings(home=home).catalog_url)
    key, _ = KeyStore(catalog).create("bench", ("inference",), Limits(rpm=1_000_000, tpm=10**9))
    catalog.dispose()
    proc, base = start_gateway(home, {"pools": {"mock": [{"url": upstream, "model": "m"}]}})
    return proc, base, key


def _litellm(upstream: str) -> tuple[subprocess.Popen[bytes] | None, str, str]:
    """Install and start LiteLLM's proxy (see `_litellm.MODE`); returns (proc, base, key) or
    (None, "", why it could not run)."""
    try:
        failed = litellm.install()
        if failed:
            return None, "", failed
        proc, base, failed = litellm.start(upstream)
    except (OSError, subprocess.SubprocessError) as error:
        return None, "", f"litellm could not run: {error!r}"
    return (proc, base, litellm.MASTER_KEY) if proc is not None else (None, "", failed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="at 1 client; 4x at 16")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target")
    parser.add_argument("--skip-litellm", action="store_true")
    parser.add_argument(
        "--soak", type=int, default=0, help="then N more requests at 16 clients, RSS before/after"
    )
    args = parser.parse_args()
    mock, upstream = start_mock(0.02)
    procs, notes = [mock], {}
    try:
        proc, base, key = _strata(upstream)
        procs.append(proc)
        bare_port = free_port()
        bare = start(BARE.replace("UPSTREAM", upstream).replace("PORT", str(bare_port)), bare_port)
        procs.append(bare)
        urls = {
            "direct": (f"{upstream}/chat/completions", None, None),
            "strata": (f"{base}/v1/chat/completions", key, proc),
            "bare": (f"http://127.0.0.1:{bare_port}/v1/chat/completions", None, bare),
        }
        if args.skip_litellm:
            notes["litellm"] = "skipped (--skip-litellm)"
        else:
            lproc, lbase, lkey = _litellm(upstream)
            if lproc is None:
                notes["litellm"] = lkey
            else:
                notes["litellm_mode"] = litellm.MODE
                notes["litellm_version"] = litellm.version()
                procs.append(lproc)
                urls["litellm"] = (f"{lbase}/v1/chat/completions", lkey, lproc)
        results = {}
        for clients, total in ((1, args.requests), (16, args.requests * 4)):
            targets = {name: Target(url, k, p) for name, (url, k, p) in urls.items()}
            _measure(targets, clients, total, args.rounds)
            for name, target in targets.items():
                results[(name, clients)] = target.stats()
                print(name, clients, {k: round(v, 2) for k, v in results[(name, clients)].items()})
        if args.soak:
            notes.update(_soak(urls, args.soak))
    finally:
        for proc in procs:
            stop(proc)
    summary = _summary(results, notes)
    for line in summary.pop("table"):
        print(line)
    print(json.dumps(summary))


def _soak(urls: dict[str, tuple[str, str | None, Any]], requests: int) -> dict[str, Any]:
    """Each server's resident memory (MiB) before and after `requests` more at 16 clients."""
    out: dict[str, Any] = {}
    for name, (url, key, proc) in urls.items():
        if proc is None:
            continue
        before = rss_mb(proc.pid)
        asyncio.run(_load(Target(url, key, proc), 16, requests, warm=0))
        after = rss_mb(proc.pid)
        out[f"{name}_rss_mb"] = {
            "before": round(before or 0, 1),
            "after": round(after or 0, 1),
            "soak_requests": requests,
        }
        print(f"soak {name}: RSS {before} -> {after} MiB over {requests} requests", flush=True)
    return out


def _summary(results: dict, notes: dict) -> dict:
    table, out = [], {"bench": "gateway_overhead", **notes}
    for clients in (1, 16):
        direct = results[("direct", clients)]
        for name in ("strata", "bare", "litellm"):
            if (name, clients) not in results:
                continue
            r = results[(name, clients)]
            added = {q: round(r[q] - direct[q], 2) for q in _QUANTILES}
            out[f"{name}_c{clients}_added_ms"] = added
            out[f"{name}_c{clients}_rps"] = round(r["rps"], 1)
            out[f"{name}_c{clients}_cpu_ms_per_req"] = round(r["cpu_ms_per_req"], 2)
            table.append(
                f"c={clients:<2} {name:<8} added p50/p95/p99 ms {added} rps {r['rps']:.1f} "
                f"cpu/req {r['cpu_ms_per_req']:.2f} ms"
            )
    for clients in (1, 16):
        if ("bare", clients) in results:
            s, b = out[f"strata_c{clients}_added_ms"], out[f"bare_c{clients}_added_ms"]
            # A difference, not a ratio: added latency can be ~0 or below 0 when the load
            # generator, not the server, is the limit.
            out[f"strata_minus_bare_added_p50_ms_c{clients}"] = round(s["p50"] - b["p50"], 2)
            cpu = out[f"strata_c{clients}_cpu_ms_per_req"] / out[f"bare_c{clients}_cpu_ms_per_req"]
            out[f"strata_vs_bare_cpu_per_req_c{clients}"] = round(cpu, 2)
            rps = out[f"strata_c{clients}_rps"] / out[f"bare_c{clients}_rps"]
            out[f"strata_vs_bare_rps_c{clients}"] = round(rps, 2)
    if ("bare", 16) in results:
        # At (or near) the direct rate, the servers are not the limit: the load generator or
        # the upstream's fixed delay sets the pace, and added latencies are close to 0.
        bound = results[("bare", 16)]["rps"] >= 0.95 * results[("direct", 16)]["rps"]
        out["c16_at_direct_rate"] = bound
    if ("litellm", 16) in results:
        out["strata_vs_litellm_rps_c16"] = round(out["strata_c16_rps"] / out["litellm_c16_rps"], 2)
    out["table"] = table
    return out


if __name__ == "__main__":
    main()
