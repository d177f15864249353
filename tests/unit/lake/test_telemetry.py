"""`POST /v1/lake/{dataset}/records` over real HTTP (TestClient) into a real lake."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from strata.lake import Lake
from strata.lake.connectors.telemetry import lake_router


def _client(lake: Lake) -> TestClient:
    app = FastAPI()
    app.include_router(lake_router(lake))
    return TestClient(app)


def test_json_lines_are_committed_once(lake: Lake) -> None:
    body = "\n".join(json.dumps({"machine_id": "m1", "seq": i, "temp": 20 + i}) for i in range(50))
    client = _client(lake)
    headers = {"Idempotency-Key": "batch-1", "Content-Type": "application/x-ndjson"}
    first = client.post("/v1/lake/pump-telemetry/records", content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 50 and first.json()["versions"] == [1]
    retry = client.post("/v1/lake/pump-telemetry/records", content=body, headers=headers)
    assert retry.json()["versions"] == []
    assert lake.read("pump-telemetry").num_rows == 50


def test_bad_input_is_a_4xx_with_the_error_envelope(lake: Lake) -> None:
    client = _client(lake)
    bad = client.post("/v1/lake/pumps/records", content='{"a": 1}\n{oops\n')
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert "line 2" in error["message"] and error["hint"]
    assert client.post("/v1/lake/Bad Name/records", content='{"a": 1}').status_code == 400
    assert client.post("/v1/lake/pumps/records", content="").status_code == 400
