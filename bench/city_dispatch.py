"""Bench: the government pack's city event dispatch, from install to tickets.

1. **Install** (or reuse: every step is idempotent) the government pack into `--home` with the
   `full` profile (`--profile quick` for a fast try; each profile gets its own default home under
   the system temp folder, so the two never mix versions).
2. **Routing accuracy** of `l2/city-events` through the routing table (`taxonomy.yaml`), scored by
   `strata.packs.government.evaluate`: event-type accuracy (top label), department accuracy (the
   top label's department) and triage rate (top score below the table's threshold), on
   - the pack's validation split (`holdout` in pack.yaml: seed 0, 20% of each event type, never
     seen by the L1 or the L2), and
   - `eval/heldout.csv` (240 reports written in styles the generated data never uses).
3. **Stream**: `stream_reports(N, seed)` sent one at a time through the published `event-dispatch`
   app in process (`Apps.run`, the runner behind `strata apps run` and `POST /v1/tickets`), real
   tickets written to a copy of the home's catalog whose tickets are cleared first, so reruns never
   merge into old tickets. Measured:
   - report-to-ticket latency: wall time of each `Apps.run` (redaction, classification, routing,
     the ticket write with its audit record, the stored run trace), p50/p95/p99, after a warm-up
     that loads the PII model and the classifier without writing anything;
   - tickets/s: reports turned into a ticket (opened or merged) per second of the stream;
   - duplicate merging, pairwise over the stream's reports: a pair is *merged* when both reports
     ended in the same ticket, *true* when both carry the same `group_id` (the same real event).
     precision = merged true pairs / merged pairs; recall = merged true pairs / true pairs.
     Triage reports never merge, so a duplicate sent to triage or to another event type counts
     against recall. Also shown: how many reports merged into a ticket of their hard negative,
     and (`oracle_merge_*`) the same ticket store and merge rule fed the true event types on a
     throwaway catalog, which separates what routing costs from what the rule and the stream's
     density cost (the stream keeps a stated rate of 10 reports an hour, see
     `strata.packs.government.generate`).

Goals: department accuracy >= 0.95 and event-type accuracy >= 0.90 on the held-out reports
(`eval/heldout.csv`; the validation split is shown against the same targets), merge precision >=
0.95, merge recall >= 0.8, p95 report-to-ticket <= 200 ms. Prints human lines, then one JSON line
whose last keys are the goal ratios (measured / goal, or goal / measured for latency: >= 1 passes).

    python bench/city_dispatch.py [--home PATH] [--profile full|quick] [--reports 10000]
                                  [--seed 0] [--threads 1]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

REF = "l2/city-events"
APP = "event-dispatch"
INPUT = ("text", "district", "street", "lat", "lon", "reported_at", "channel")
GOALS = {  # name: (goal, higher is better)
    "department_accuracy": (0.95, True),
    "event_type_accuracy": (0.90, True),
    "merge_precision": (0.95, True),
    "merge_recall": (0.80, True),
    "p95_ms": (200.0, False),
}


def default_home(profile: str) -> Path:
    """`<temp>/strata-bench-government/<profile>`."""
    return Path(tempfile.gettempdir()) / "strata-bench-government" / profile


def open_state(home: Path, catalog_url: str | None = None) -> Any:
    """The same handles a `strata` command opens, for `home` (and another catalog if given)."""
    from strata.cli.state import AppState

    overrides: dict[str, Any] = {"home": home}
    if catalog_url:
        overrides["catalog_url"] = catalog_url
    return AppState(overrides=overrides)


def install(home: Path, profile: str) -> dict[str, Any]:
    """Install (or find installed) the government pack, with a rich progress bar."""
    from strata.cli.packs import install_options, run_install

    state = open_state(home)
    options = install_options(profile, None, None, None, None)
    report = run_install(state, "government", options, show_progress=True)
    verb = "installed" if report.changed else "already installed, unchanged"
    print(f"pack government {verb} in {home} ({report.seconds:.1f} s)", flush=True)
    for step in report.steps:
        mark = "built" if step.created else "same "
        print(f"  {mark} {step.step:<8} {step.target}", flush=True)
    state.catalog.dispose()
    return report.to_dict()


def _validation_csv(state: Any, out: Path) -> Path:
    """The pack's fixed-seed validation rows, written in the held-out file's columns."""
    from strata.packs.base import get_pack
    from strata.train.split import stratified_split

    holdout = get_pack("government").manifest.holdout
    assert holdout is not None
    frame = state.lake.read(holdout.dataset).to_pandas()
    _, val = stratified_split(list(frame[holdout.label]), holdout.val_fraction, holdout.seed)
    rows = frame.iloc[val]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "event_type", "department", "style"])
        for row in rows.itertuples():
            writer.writerow([row.text, row.event_type, row.department, row.channel])
    return out


def accuracy(home: Path) -> dict[str, dict[str, Any]]:
    """Event-type and department accuracy and triage rate on the validation split and held-out."""
    from strata.packs.government.evaluate import heldout_accuracy

    state = open_state(home)
    with tempfile.TemporaryDirectory() as tmp:
        val_file = _validation_csv(state, Path(tmp) / "validation.csv")
        results = {
            "validation": heldout_accuracy(state.runtime, REF, val_file),
            "heldout": heldout_accuracy(state.runtime, REF),
        }
    state.catalog.dispose()
    for name, found in results.items():
        print(
            f"{name:<10} {found['cases']:>4} reports ({found['model']}): event type "
            f"{found['event_type_accuracy']:.4f}, department {found['department_accuracy']:.4f}, "
            f"triage rate {found['triage_rate']:.4f}, routed department "
            f"{found['routed_department_accuracy']:.4f}",
            flush=True,
        )
        for style, rates in found["per_style"].items():
            type_ok, dept_ok = rates["event_type_accuracy"], rates["department_accuracy"]
            print(
                f"    {style:<14} {rates['cases']:>4}  event type {type_ok:.4f}  "
                f"department {dept_ok:.4f}",
                flush=True,
            )
    return results


def fresh_catalog(home: Path) -> str:
    """A copy of the home's SQLite catalog with no tickets, for the stream; returns its URL."""
    from strata.core.settings import load_settings

    url = load_settings(home=home).catalog_url
    if not url.startswith("sqlite:///"):
        raise SystemExit(f"The stream copies a SQLite catalog; {home} uses {url}.")
    source, target = Path(url.removeprefix("sqlite:///")), home / "bench-stream.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM ticket_events")
        dst.execute("DELETE FROM tickets")
    return f"sqlite:///{target}"


def _warm_up(state: Any) -> None:
    """Load the PII name model and the classifier (nothing is written)."""
    from strata.security.pii import detect

    detect("Caller Amara Okafor (07700 900123) reports a fallen tree.")
    state.runtime.classifier(REF)[1].classify(["a tree has fallen across the road"])


async def _send(apps: Any, rows: list[dict[str, Any]], update: Callable[[str, float], None]) -> Any:
    """Each report through the app, one at a time: (latencies ms, outputs, step ms, seconds)."""
    latencies, outputs = [], []
    steps: dict[str, list[float]] = {}
    started = time.perf_counter()
    for number, row in enumerate(rows, start=1):
        data = {key: row[key] for key in INPUT}
        begin = time.perf_counter()
        result = await apps.run(APP, data, source="bench")
        latencies.append(time.perf_counter() - begin)
        outputs.append(result.raise_for_status().output)
        for trace in result.steps:
            steps.setdefault(trace.step, []).append(trace.latency_ms)
        if number % 50 == 0 or number == len(rows):
            update("stream", number / len(rows))
    return np.array(latencies) * 1000, outputs, steps, time.perf_counter() - started


def _pairs(counts: Counter[Any]) -> int:
    return sum(comb(k, 2) for k in counts.values())


def pairwise(tickets: list[str], groups: list[str]) -> tuple[float, float, dict[str, int]]:
    """(precision, recall, counts) of merged report pairs against the true groups."""
    merged, true = _pairs(Counter(tickets)), _pairs(Counter(groups))
    correct = _pairs(Counter(zip(tickets, groups, strict=True)))
    counts = {"merged_pairs": merged, "true_pairs": true, "correct_pairs": correct}
    return correct / merged if merged else 1.0, correct / true if true else 1.0, counts


def merge_quality(rows: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pairwise merge precision and recall of the tickets against the true `group_id`s.

    `merge_recall_routed` counts only the true pairs whose two reports both got the right event
    type and a department (not triage): what the merge rule does when routing is right.
    """
    tickets = [o["ticket_id"] for o in outputs]
    groups = [r["group_id"] for r in rows]
    precision, recall, counts = pairwise(tickets, groups)
    right = [
        not o["triage"] and o["event_type"] == r["event_type"]
        for o, r in zip(outputs, rows, strict=True)
    ]
    kept = [(t, g) for t, g, ok in zip(tickets, groups, right, strict=True) if ok]
    _, routed_recall, _ = pairwise([t for t, _ in kept], [g for _, g in kept])
    tickets_of: dict[str, set[str]] = {}
    for group, ticket in zip(groups, tickets, strict=True):
        tickets_of.setdefault(group, set()).add(ticket)
    hard = sum(
        1 for row, ticket in zip(rows, tickets, strict=True)
        if row["hard_negative_of"] and ticket in tickets_of.get(row["hard_negative_of"], set())
    )  # fmt: skip
    return {
        **counts, "merge_precision": precision, "merge_recall": recall,
        "merge_recall_routed": routed_recall, "events": len(tickets_of),
        "tickets": len(set(tickets)), "hard_negative_merges": hard,
    }  # fmt: skip


def _true_report(row: dict[str, Any]) -> Any:
    """A stream row as a ticket report with its true event type and department."""
    from datetime import datetime

    from strata.tickets import Report

    moment = datetime.fromisoformat(row["reported_at"])
    return Report(
        text=row["text"], event_type=row["event_type"], department=row["department"],
        priority="P3", sla_hours=24.0, reported_at=moment, district=row["district"],
        street=row["street"], lat=row["lat"], lon=row["lon"], key=row["report_id"],
    )  # fmt: skip


def oracle_merge(home: Path, rows: list[dict[str, Any]]) -> dict[str, float]:
    """The same ticket store and merge rule fed each report's true event type and department
    (routing perfect), on a throwaway catalog: what the rule alone makes of the stream."""
    from strata.core.catalog import Catalog
    from strata.core.settings import load_settings
    from strata.tickets import Actor, TicketStore
    from strata.tickets.store import rule_from

    rule = rule_from(load_settings(home=home).tickets)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(f"sqlite:///{Path(tmp) / 'oracle.db'}")
        store = TicketStore(catalog, rule)
        tickets = [store.open(_true_report(row), Actor()).ticket.ticket_id for row in rows]
        catalog.dispose()
    precision, recall, _ = pairwise(tickets, [r["group_id"] for r in rows])
    return {"oracle_merge_precision": precision, "oracle_merge_recall": recall}


def _share(outputs: list[dict[str, Any]], rows: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([o[key] == r[key] for o, r in zip(outputs, rows, strict=True)]))


def stream(home: Path, n: int, seed: int) -> dict[str, Any]:
    """Send `n` generated reports through the app; latency, throughput and merge quality."""
    from strata.cli.progress import progress_bar
    from strata.packs.government.generate import stream_reports

    rows = stream_reports(n, seed)
    state = open_state(home, fresh_catalog(home))
    _warm_up(state)
    with progress_bar() as update:
        ms, outputs, steps, seconds = asyncio.run(_send(state.apps, rows, update))
    state.catalog.dispose()
    found = {
        "reports": n, "seed": seed, "seconds": round(seconds, 1),
        "tickets_per_s": round(n / seconds, 2),
        "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max()),
        "step_p95_ms": {k: round(float(np.percentile(v, 95)), 1) for k, v in steps.items()},
        "triage_rate": float(np.mean([o["triage"] for o in outputs])),
        "stream_event_type_accuracy": _share(outputs, rows, "event_type"),
        "stream_department_accuracy": _share(outputs, rows, "department"),
        **merge_quality(rows, outputs),
        **oracle_merge(home, rows),
    }  # fmt: skip
    _print_stream(found)
    return found


def _print_stream(found: dict[str, Any]) -> None:
    lines = [
        f"stream     {found['reports']} reports (seed {found['seed']}) in {found['seconds']:.1f} "
        f"s: {found['tickets_per_s']:.1f} tickets/s; report-to-ticket p50 {found['p50_ms']:.1f} "
        f"ms, p95 {found['p95_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms, max "
        f"{found['max_ms']:.1f} ms",
        "           step p95: "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in found["step_p95_ms"].items()),
        f"           {found['events']} true events -> {found['tickets']} tickets; triage rate "
        f"{found['triage_rate']:.4f}; event type {found['stream_event_type_accuracy']:.4f}, "
        f"department (triage counts wrong) {found['stream_department_accuracy']:.4f}",
        f"           merge precision {found['merge_precision']:.4f} ({found['correct_pairs']}/"
        f"{found['merged_pairs']} merged pairs), recall {found['merge_recall']:.4f} "
        f"({found['correct_pairs']}/{found['true_pairs']} true pairs; "
        f"{found['merge_recall_routed']:.4f} of the pairs routed right); "
        f"{found['hard_negative_merges']} reports merged into their hard negative",
        f"           the same merge rule given the true event types: precision "
        f"{found['oracle_merge_precision']:.4f}, recall {found['oracle_merge_recall']:.4f}",
    ]
    for line in lines:
        print(line, flush=True)


def goals(measured: dict[str, float]) -> dict[str, float]:
    """Print each goal with pass/fail; returns the ratios (>= 1 passes)."""
    ratios = {}
    for name, (goal, higher) in GOALS.items():
        value = measured[name]
        ratio = value / goal if higher else goal / max(value, 1e-9)
        sign = ">=" if higher else "<="
        verdict = "pass" if ratio >= 1 else "FAIL"
        print(f"goal {name:<20} {value:10.4f} {sign} {goal:<8g} {verdict}", flush=True)
        ratios[f"{name}_ratio"] = round(ratio, 4)
    return ratios


def _brief(found: dict[str, Any]) -> dict[str, Any]:
    keys = ("cases", "event_type_accuracy", "department_accuracy", "triage_rate",
            "routed_department_accuracy")  # fmt: skip
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in found.items() if k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--home", type=Path, help="STRATA_HOME of the install")
    parser.add_argument("--profile", choices=("full", "quick"), default="full")
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the stream")
    parser.add_argument("--seed", type=int, default=0, help="seed of the stream")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (shared machine)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.threads)
    home = (args.home or default_home(args.profile)).resolve()
    report = install(home, args.profile)
    routing = accuracy(home)
    found = stream(home, args.reports, args.seed)
    heldout = routing["heldout"]
    measured = {**{k: heldout[k] for k in ("department_accuracy", "event_type_accuracy")}, **found}
    for name in ("department_accuracy", "event_type_accuracy"):
        value = routing["validation"][name]
        print(f"(validation split {name} {value:.4f}, same target {GOALS[name][0]:g})", flush=True)
    ratios = goals(measured)
    out = {
        "profile": args.profile, "home": str(home), "install_s": report["seconds"],
        "validation": _brief(routing["validation"]), "heldout": _brief(heldout),
        "stream": {k: round(v, 4) if isinstance(v, float) else v for k, v in found.items()},
        "goals_met": sum(r >= 1 for r in ratios.values()), "goals": len(ratios), **ratios,
    }  # fmt: skip
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
