"""Encode throughput: l0/minilm-l6 over 5,000 banking77 sentences.

Runs sentence-transformers `encode` in process, Strata's optimised model in process (`strata models
optimize`: by default the fastest export that agrees with torch, timed on this machine), and
Strata through the gateway with 32 concurrent clients (one sentence per request, micro-batched);
prints sentences/s and p50/p99 latency for each, the top-1 agreement of a banking-intent classifier
(a logistic-regression head on the torch embeddings) between torch and optimised embeddings, and
last a JSON line with the ratios.

    .venv/bin/python bench/encode_throughput.py [--n 5000] [--data PATH]
                                                [--precision auto|bf16|int8|fp32]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import tempfile
import time
from pathlib import Path

import httpx2
import numpy as np
from _upstream import percentile_ms, start_gateway, stop

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "train.csv"


def _rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [(r["text"], r["category"]) for r in csv.DictReader(handle)]


def _in_process(embed, texts: list[str], batch: int = 32) -> tuple[dict[str, float], np.ndarray]:
    latencies, out = [], []
    start_t = time.perf_counter()
    for i in range(0, len(texts), batch):
        t0 = time.perf_counter()
        out.append(embed(texts[i : i + batch]))
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start_t
    stats = {
        "sentences_per_s": len(texts) / elapsed,
        "p50_ms": percentile_ms(latencies, 0.5),
        "p99_ms": percentile_ms(latencies, 0.99),
        "unit": "batch of 32",
    }
    return stats, np.vstack(out)


async def _gateway(base: str, key: str, model: str, texts: list[str], clients: int) -> dict:
    queue = list(enumerate(texts))
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx2.Limits(max_connections=clients)
    async with httpx2.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def worker() -> None:
            while queue:
                _, text = queue.pop()
                t0 = time.perf_counter()
                reply = await http.post(
                    "/v1/embeddings", headers=headers, json={"model": model, "input": text}
                )
                reply.raise_for_status()
                latencies.append(time.perf_counter() - t0)

        start_t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start_t
    return {
        "sentences_per_s": len(texts) / elapsed,
        "p50_ms": percentile_ms(latencies, 0.5),
        "p99_ms": percentile_ms(latencies, 0.99),
        "unit": "request of 1 sentence",
    }


def _agreement(train_x, train_y, torch_x, onnx_x) -> float:
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(max_iter=300).fit(train_x, train_y)
    return float(np.mean(head.predict(torch_x) == head.predict(onnx_x)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--precision", default="auto", choices=["auto", "bf16", "int8", "fp32"], help="the export's"
    )
    args = parser.parse_args()
    rows = _rows(args.data)
    texts = [t for t, _ in rows[: args.n]]
    train = rows[args.n : 2 * args.n] or rows[: args.n]

    from sentence_transformers import SentenceTransformer

    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.models.builtin import builtin_encoder_folder
    from strata.models.optimize import OptimizeSpec, optimize
    from strata.models.runtime import ModelRuntime, open_store
    from strata.serve.auth import KeyStore, Limits

    home = Path(tempfile.mkdtemp(prefix="strata-encode-bench-"))
    settings = load_settings(home=home)
    catalog = Catalog(settings.catalog_url)
    runtime = ModelRuntime(open_store(catalog), settings.models)
    record = optimize(
        runtime, OptimizeSpec("l0/minilm-l6", precision=args.precision), home / "models"
    )
    details = record.details
    kept = f"{details['precision']} on {details.get('runtime')}"
    print(f"optimised: {record.ref} {kept}, candidates {details['tried']}")

    st = SentenceTransformer(str(builtin_encoder_folder()), device="cpu")
    st_stats, st_vecs = _in_process(
        lambda b: st.encode(b, batch_size=32, normalize_embeddings=True), texts
    )
    print("sentence-transformers in process:", st_stats)
    _, onnx = runtime.encoder(record.ref)
    onnx_stats, onnx_vecs = _in_process(lambda b: onnx.embed(b, batch_size=32), texts)
    print("strata optimised in process:", onnx_stats)

    key, _ = KeyStore(catalog).create("bench", ("inference",), Limits())
    server, base = start_gateway(str(home), {"batch_window_ms": 2.0, "batch_max_size": 64})
    try:
        asyncio.run(_gateway(base, key, record.ref, texts[:64], 8))  # warm
        gw_stats = asyncio.run(_gateway(base, key, record.ref, texts, 32))
    finally:
        stop(server)
    print("strata gateway, 32 clients:", gw_stats)

    train_x = st.encode([t for t, _ in train], batch_size=64, normalize_embeddings=True)
    agreement = _agreement(train_x, [c for _, c in train], st_vecs, onnx_vecs)
    cosines = np.sum(st_vecs * onnx_vecs, axis=1)
    print(
        f"intent top-1 agreement torch vs optimised: {agreement:.4f}; "
        f"cosine mean {cosines.mean():.4f} min {cosines.min():.4f}"
    )
    print(
        json.dumps(
            {
                "bench": "encode_throughput",
                "sentences": len(texts),
                "precision": record.details["precision"],
                "runtime": record.details.get("runtime", "onnxruntime"),
                "st_sentences_per_s": round(st_stats["sentences_per_s"], 1),
                "optimised_sentences_per_s": round(onnx_stats["sentences_per_s"], 1),
                "gateway_sentences_per_s": round(gw_stats["sentences_per_s"], 1),
                "optimised_vs_st": round(
                    onnx_stats["sentences_per_s"] / st_stats["sentences_per_s"], 2
                ),
                "gateway_vs_st": round(
                    gw_stats["sentences_per_s"] / st_stats["sentences_per_s"], 2
                ),
                "intent_top1_agreement": round(agreement, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
