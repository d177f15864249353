"""Knowledge-base search over 100,000 generated chunks: BM25 only, dense only, and hybrid.

The corpus is maintenance tickets built from five fields (equipment, fault, location, time of day,
shift) plus a unique ticket code, so every chunk is distinct and every query has one known answer.
Three kinds of query, 100 each; the test split (the reported figures) uses seed 0:

- `code`: "ticket TK-12345 status" (an identifier: lexical search should find it);
- `paraphrase`: every field said with a synonym (semantic search should find it);
- `mixed`: two fields verbatim, two as synonyms, plus the shift (both signals are partial).

A development split (seed 1, answers disjoint from the test split's) is where fusion settings
are chosen: `--split dev` measures it and `--sweep` prints hybrid quality on it for each BM25 weight
of the convex fusion and for RRF. The test split is never used to choose anything.

It first optimises l0/minilm-l6 (`strata models optimize`: ONNX Runtime, int8; skipped when an
export exists, or with `--torch-encoder`), then builds a real knowledge base (lake dataset ->
`KnowledgeBases.build` with the torch l0/minilm-l6 version pinned, so chunks and queries are
embedded by its export while `models.use_optimized` is on) under /tmp/strata-kb-bench (kept: a
rerun reuses the embeddings when the embedding model is the same; `--chunks N` builds a smaller
corpus in its own folder, for quick iterations), then prints per-mode nDCG@10, recall@10 and
p50/p99 query latency (query encoding included), hybrid with the fusion the settings
`apps.kb_fusion` and `apps.kb_bm25_weight` give, and last a JSON line with ratios.
Goal: hybrid >= the better single mode + 3 points (nDCG@10); hybrid p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

HOME = Path("/tmp/strata-kb-bench")
N_CHUNKS = 100_000
PER_KIND = 100
TEST_SEED, DEV_SEED = 0, 1
ENCODER = "l0/minilm-l6"
SWEEP_WEIGHTS = [round(0.1 * i, 1) for i in range(11)]

# (word in the chunk, synonym used by paraphrasing queries)
EQUIPMENT = [
    ("pump", "impeller unit"),
    ("conveyor", "belt line"),
    ("crusher", "rock breaker"),
    ("compressor", "air blower"),
    ("boiler", "steam heater"),
    ("turbine", "rotor drive"),
    ("forklift", "pallet truck"),
    ("generator", "power unit"),
    ("elevator", "lift car"),
    ("furnace", "kiln oven"),
    ("valve", "stopcock"),
    ("drill", "borer"),
    ("mixer", "blender drum"),
    ("crane", "hoist"),
    ("fan", "ventilator"),
    ("transformer", "voltage converter"),
]
FAULTS = [
    ("leaks oil", "drips lubricant"),
    ("overheats", "runs too hot"),
    ("vibrates", "shakes violently"),
    ("stalls", "stops unexpectedly"),
    ("smokes", "emits fumes"),
    ("rattles", "makes knocking noises"),
    ("trips the breaker", "cuts the power"),
    ("loses pressure", "drops its pressure"),
    ("jams", "gets stuck"),
    ("corrodes", "rusts through"),
    ("sparks", "throws flashes"),
    ("squeals", "screeches loudly"),
    ("floods", "fills with water"),
    ("freezes", "ices over"),
    ("cracks", "splits open"),
    ("misaligns", "drifts off axis"),
]
LOCATIONS = [
    ("north gate", "northern entrance"),
    ("loading dock", "shipping bay"),
    ("basement", "cellar"),
    ("rooftop", "roof deck"),
    ("warehouse", "storage hall"),
    ("kitchen", "canteen"),
    ("laboratory", "test lab"),
    ("tunnel", "underground passage"),
    ("quarry", "open pit"),
    ("harbour", "port quay"),
    ("workshop", "repair shop"),
    ("parking lot", "car park"),
    ("office", "admin block"),
    ("mine shaft", "pit shaft"),
    ("control room", "operations centre"),
    ("substation", "power yard"),
]
TIMES = [
    ("morning", "early hours"),
    ("evening", "dusk"),
    ("night", "small hours"),
    ("weekend", "saturday and sunday"),
    ("holiday", "public break"),
    ("midday", "lunchtime"),
    ("afternoon", "post lunch period"),
    ("dawn", "sunrise"),
    ("startup", "initial power on"),
    ("shutdown", "power down"),
    ("inspection", "audit visit"),
    ("storm", "heavy weather"),
    ("heatwave", "hot spell"),
    ("cold snap", "freezing spell"),
]
SHIFTS = ["first", "second"]


def corpus(rng: random.Random, n_chunks: int = N_CHUNKS) -> list[dict[str, Any]]:
    """Unique tickets: every field combination at most once, each with a unique code."""
    combos = [
        (e, f, loc, t, s)
        for e in range(len(EQUIPMENT))
        for f in range(len(FAULTS))
        for loc in range(len(LOCATIONS))
        for t in range(len(TIMES))
        for s in range(2)
    ]
    rng.shuffle(combos)
    codes = rng.sample(range(100_000, 999_999), n_chunks)
    rows = []
    for i, (e, f, loc, t, s) in enumerate(combos[:n_chunks]):
        text = (
            f"Ticket TK-{codes[i]}: the {EQUIPMENT[e][0]} {FAULTS[f][0]} at the "
            f"{LOCATIONS[loc][0]} during the {TIMES[t][0]} {SHIFTS[s]} shift."
        )
        rows.append(
            {
                "chunk_id": f"c{i:06d}",
                "doc_id": f"d{i // 10:05d}",
                "path": f"tickets/{i // 10:05d}.txt",
                "page": 1,
                "chunk": i % 10,
                "text": text,
                "fields": (e, f, loc, t, s),
                "code": codes[i],
            }
        )
    return rows


def queries(
    rng: random.Random, rows: list[dict[str, Any]], exclude: frozenset[str] = frozenset()
) -> list[tuple[str, str, str]]:
    """(kind, query, relevant chunk id); no answer is one of the `exclude` chunk ids."""
    out = []
    pool = [r for r in rows if r["chunk_id"] not in exclude] if exclude else rows
    for kind in ("code", "paraphrase", "mixed"):
        for row in rng.sample(pool, PER_KIND):
            e, f, loc, t, s = row["fields"]
            if kind == "code":
                q = f"ticket TK-{row['code']} status"
            elif kind == "paraphrase":
                q = (
                    f"{EQUIPMENT[e][1]} {FAULTS[f][1]} near the {LOCATIONS[loc][1]} in the "
                    f"{TIMES[t][1]} {SHIFTS[s]} shift"
                )
            else:
                q = (
                    f"{EQUIPMENT[e][0]} {FAULTS[f][1]} at the {LOCATIONS[loc][0]} in the "
                    f"{TIMES[t][1]}, {SHIFTS[s]} shift"
                )
            out.append((kind, q, row["chunk_id"]))
    return out


def ndcg_recall(ranked: list[str], relevant: str, k: int = 10) -> tuple[float, float]:
    """Binary relevance with one relevant chunk."""
    for rank, chunk_id in enumerate(ranked[:k], start=1):
        if chunk_id == relevant:
            return 1.0 / math.log2(rank + 1), 1.0
    return 0.0, 0.0


def splits(n_chunks: int) -> tuple[list[dict[str, Any]], dict[str, list[tuple[str, str, str]]]]:
    """The corpus and its two query splits: `test` (seed 0, as before) and `dev` (seed 1)."""
    rng = random.Random(TEST_SEED)
    rows = corpus(rng, n_chunks)
    test = queries(rng, rows)
    dev = queries(random.Random(DEV_SEED), rows, frozenset(q[2] for q in test))
    return rows, {"test": test, "dev": dev}


def torch_encoder(runtime: Any, home: Path, optimise: bool, fp32: bool = False) -> str:
    """The torch version of l0/minilm-l6, pinned; optimised first (once) when `optimise`."""
    from strata.models.optimize import OptimizeSpec, optimize

    store = runtime.store
    record = store.resolve(ENCODER)
    if record.backend == "onnx":  # the latest version is an export: pin the torch one it came from
        assert record.parent_id is not None
        record = store.get(record.parent_id)
    if optimise and store.optimized(record) is None:
        started = time.perf_counter()
        spec = OptimizeSpec(record.ref, precision="fp32" if fp32 else "auto")
        export = optimize(runtime, spec, home / "models")
        print(
            f"optimize: {record.ref} -> {export.ref} ({export.details['precision']}, agreement "
            f"{export.details['agreement']}) in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return str(record.ref)


def build(
    rows: list[dict[str, Any]],
    home: Path,
    optimise: bool = True,
    threads: int = 1,
    fp32: bool = False,
) -> Any:
    """The knowledge base `tickets` (reused when already built with the same data and model)."""
    from strata.apps import open_apps
    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.lake.lake import Lake
    from strata.models.runtime import ModelRuntime, open_store

    settings = load_settings(Path("/nonexistent.yaml"), home=home)
    models = settings.models.model_copy(update={"use_optimized": optimise, "threads": threads})
    catalog = Catalog(settings.catalog_url)
    runtime = ModelRuntime(open_store(catalog), models)
    encoder = torch_encoder(runtime, home, optimise, fp32)
    lake = Lake(catalog, settings.lake, settings.home)
    source = home / "tickets.parquet"
    table = pa.Table.from_pylist(
        [{k: r[k] for k in ("chunk_id", "doc_id", "path", "page", "chunk", "text")} for r in rows]
    )
    pq.write_table(table, source)
    lake.ingest(str(source), "tickets")
    apps = open_apps(settings, catalog, runtime, lake)
    assert apps.services.kbs is not None
    started = time.perf_counter()
    result = apps.services.kbs.build("tickets", "tickets", encoder)
    print(f"build: {result.to_dict()} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return apps.services.kbs


def measure(kbs: Any, qs: list[tuple[str, str, str]], mode: str) -> dict[str, Any]:
    """nDCG@10 and recall@10 (overall and per query kind) and latency for one mode."""
    per_kind: dict[str, list[tuple[float, float]]] = {}
    latencies = []
    for kind, q, relevant in qs:
        started = time.perf_counter()
        hits = kbs.search("tickets", q, k=10, mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        per_kind.setdefault(kind, []).append(ndcg_recall([h.chunk_id for h in hits], relevant))
    scores = [s for v in per_kind.values() for s in v]
    latencies.sort()
    return {
        "ndcg@10": sum(s[0] for s in scores) / len(scores),
        "recall@10": sum(s[1] for s in scores) / len(scores),
        "by_kind_ndcg@10": {
            k: round(sum(s[0] for s in v) / len(v), 4) for k, v in per_kind.items()
        },
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def sweep(kbs: Any, qs: list[tuple[str, str, str]]) -> None:
    """Hybrid nDCG@10 / recall@10 on the dev split for each convex BM25 weight and for RRF."""
    from strata.apps.kb_index import Fusion

    index = kbs.open("tickets")
    _, encoder = kbs.query_encoder("tickets")
    vectors = encoder.embed([q for _, q, _ in qs])
    fusions = [Fusion("convex", w) for w in SWEEP_WEIGHTS] + [Fusion("rrf")]
    for fusion in fusions:
        scores = [
            ndcg_recall([h.chunk_id for h in index.search(q, v, k=10, fusion=fusion)], relevant)
            for (_, q, relevant), v in zip(qs, vectors, strict=True)
        ]
        print(
            json.dumps(
                {
                    "split": "dev",
                    "fusion": fusion.method,
                    "bm25_weight": fusion.bm25_weight if fusion.method == "convex" else None,
                    "ndcg10": round(sum(s[0] for s in scores) / len(scores), 4),
                    "recall10": round(sum(s[1] for s in scores) / len(scores), 4),
                }
            )
        )


def search_latency(kbs: Any, qs: list[tuple[str, str, str]], split: str) -> None:
    """p50/p99 of search alone (query vectors embedded beforehand) and of embedding one query."""
    from strata.apps.kb_index import Fusion

    index = kbs.open("tickets")
    _, encoder = kbs.query_encoder("tickets")
    vectors = encoder.embed([q for _, q, _ in qs])
    runs: dict[str, Any] = {
        "bm25": lambda q, v: index.search(q, v, k=10, mode="bm25"),
        "dense": lambda q, v: index.search(q, v, k=10, mode="dense"),
        "hybrid_rrf": lambda q, v: index.search(q, v, k=10, fusion=Fusion("rrf")),
        "hybrid": lambda q, v: index.search(q, v, k=10, fusion=kbs.fusion),
        "embed_query": lambda q, v: encoder.embed([q]),
    }
    for name, run in runs.items():
        latencies = []
        for (_, q, _), v in zip(qs, vectors, strict=True):
            started = time.perf_counter()
            run(q, v)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(
            json.dumps(
                {"split": split, "step": name, "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
            )
        )


def main() -> None:
    """Build (or reuse) the index, query it three ways, print the figures and the ratio line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=N_CHUNKS, help="corpus size (default 100k)")
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--sweep", action="store_true", help="fusion weights on the dev split")
    parser.add_argument(
        "--search-only", action="store_true", help="latency of search and of query embedding apart"
    )
    parser.add_argument(
        "--torch-encoder",
        action="store_true",
        help="embed with torch l0/minilm-l6, not its ONNX export (re-embeds the corpus)",
    )
    parser.add_argument(
        "--fp32",
        action="store_true",
        help="export the encoder at full precision (`models optimize --fp32`), own folder",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per model call (default 1, as the gateway runs models: "
        "serve.model_threads); 0 lets the libraries pick",
    )
    args = parser.parse_args()
    home = HOME if args.chunks == N_CHUNKS else Path(f"{HOME}-{args.chunks}")
    if args.fp32:
        home = Path(f"{home}-fp32")
    home.mkdir(parents=True, exist_ok=True)
    rows, qs = splits(args.chunks)
    kbs = build(rows, home, not args.torch_encoder, args.threads, args.fp32)
    kbs.search("tickets", "warm up", k=10)  # load the index and the encoder once
    embedder, _ = kbs.query_encoder("tickets")
    print(
        f"encoder: {kbs.manifest('tickets')['encoder']}; chunks and queries embedded with "
        f"{embedder.ref} (backend {embedder.backend}"
        + (f", {embedder.details['precision']})" if "precision" in embedder.details else ")")
    )
    if args.sweep:
        sweep(kbs, qs["dev"])
        return
    if args.search_only:
        search_latency(kbs, qs[args.split], args.split)
        return
    from strata.apps.kb_index import DEFAULT_BM25_WEIGHT

    fusion = kbs.fusion
    print(
        f"split: {args.split} ({len(qs[args.split])} queries, seed "
        f"{TEST_SEED if args.split == 'test' else DEV_SEED}); fusion {fusion.method}, "
        f"bm25_weight {fusion.bm25_weight} (the default {DEFAULT_BM25_WEIGHT} was chosen on the "
        f"dev split, seed {DEV_SEED})"
    )
    results = {mode: measure(kbs, qs[args.split], mode) for mode in ("bm25", "dense", "hybrid")}
    for mode, r in results.items():
        print(
            f"{mode:>7}: nDCG@10 {r['ndcg@10']:.4f} recall@10 {r['recall@10']:.4f} "
            f"p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms by kind {r['by_kind_ndcg@10']}"
        )
    best = max(results["bm25"]["ndcg@10"], results["dense"]["ndcg@10"])
    hybrid = results["hybrid"]
    print(
        json.dumps(
            {
                "bench": "kb_search",
                "chunks": args.chunks,
                "embedded_with": embedder.ref,
                "embedder_backend": embedder.backend,
                "threads": args.threads,
                "queries": len(qs[args.split]),
                "split": args.split,
                "fusion": {"method": fusion.method, "bm25_weight": fusion.bm25_weight},
                "ndcg10": {m: round(r["ndcg@10"], 4) for m, r in results.items()},
                "recall10": {m: round(r["recall@10"], 4) for m, r in results.items()},
                "hybrid_minus_best_points": round((hybrid["ndcg@10"] - best) * 100, 2),
                "hybrid_over_best": round(hybrid["ndcg@10"] / best, 3) if best else None,
                "hybrid_p50_ms": round(hybrid["p50_ms"], 2),
                "hybrid_p99_ms": round(hybrid["p99_ms"], 2),
                "goal_met": bool(hybrid["ndcg@10"] - best >= 0.03 and hybrid["p99_ms"] <= 50),
            }
        )
    )


if __name__ == "__main__":
    main()
