"""Telemetry over HTTP: `POST /v1/lake/{dataset}/records` with JSON lines, as a FastAPI router.

The gateway mounts this router (and puts its key check in front of it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from strata.core.errors import InvalidInput, StrataError, error_body
from strata.lake.connectors.records import records_source

if TYPE_CHECKING:
    from strata.lake.lake import Lake


class PayloadTooLarge(InvalidInput):
    """More records in one request than `lake.max_request_records` allows."""

    code = "payload_too_large"
    status = 413


def parse_lines(payload: bytes, where: str) -> list[dict[str, Any]]:
    """JSON objects from JSON lines (or one JSON array); a bad line raises InvalidInput."""
    text = payload.decode("utf-8", errors="replace").strip()
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{where}: body is not valid JSON: {exc.msg}.",
                hint="Send one JSON object per line.",
            ) from exc
        lines: list[Any] = data
    else:
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"{where}: line {number} is not valid JSON ({exc.msg}): {line[:80]!r}.",
                    hint="Send one JSON object per line (application/x-ndjson).",
                    line=number,
                ) from exc
    bad = next((i for i, r in enumerate(lines, start=1) if not isinstance(r, dict)), None)
    if bad is not None:
        raise InvalidInput(
            f"{where}: record {bad} is not a JSON object.",
            hint='Each line must be an object such as {"sensor": 1.5}.',
        )
    return lines


def ingest_records(
    lake: Lake, dataset: str, records: list[dict[str, Any]], label: str, key: str | None = None
) -> dict[str, Any]:
    """Commit records in batches of `lake.batch_records`; one version per batch."""
    size = lake.settings.batch_records
    totals = {"accepted": 0, "quarantined": 0, "skipped": 0}
    versions = []
    for start in range(0, len(records), size):
        batch_key = f"{key}:{start}" if key else None
        result = lake.ingest(
            records_source(label, records[start : start + size], batch_key), dataset
        )
        for name in totals:
            totals[name] += getattr(result.counts, name)
        if result.created:
            versions.append(result.version)
    return {"ok": True, "dataset": dataset, "records": len(records), "versions": versions, **totals}


def lake_router(lake: Lake | Callable[[], Lake]) -> APIRouter:
    """Routes under /v1/lake; `lake` may be a factory so the app builds it lazily."""
    router = APIRouter(prefix="/v1/lake", tags=["lake"])

    def current() -> Lake:
        return lake() if callable(lake) else lake

    @router.post("/{dataset}/records")
    async def post_records(dataset: str, request: Request) -> JSONResponse:
        """Append JSON-lines records to a dataset (validated, quarantined, versioned)."""
        try:
            target = current()
            records = parse_lines(await request.body(), f"POST /v1/lake/{dataset}/records")
            limit = target.settings.max_request_records
            if len(records) > limit:
                raise PayloadTooLarge(
                    f"{len(records)} records in one request; the limit is {limit}.",
                    hint="Split the upload into smaller requests.",
                )
            if not records:
                raise InvalidInput(
                    "The request holds no records.", hint="Send one JSON object per line."
                )
            key = request.headers.get("idempotency-key")
            body = await run_in_threadpool(
                ingest_records, target, dataset, records, f"http:/v1/lake/{dataset}/records", key
            )
        except StrataError as exc:
            return JSONResponse(error_body(exc), status_code=exc.status)
        return JSONResponse(body)

    return router
