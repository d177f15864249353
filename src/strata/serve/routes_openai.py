"""OpenAI-compatible routes: /v1/models, /v1/embeddings, /v1/chat/completions, and Strata's
/v1/classifications."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from strata.core.errors import InvalidInput
from strata.models.errors import WrongModelKind
from strata.models.layers import ModelKind
from strata.models.records import ModelRecord
from strata.security.filters import FilterContext
from strata.serve.chat import chat_completion
from strata.serve.gate import RequestState, request_state
from strata.serve.schemas import ChatRequest, ClassifyRequest, EmbeddingsRequest, estimate_tokens
from strata.serve.services import Services


def _texts(value: str | list[str], limit: int) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not texts or len(texts) > limit:
        raise InvalidInput(
            f"`input` holds {len(texts)} texts; send 1 to {limit}.",
            hint="Split large inputs over several requests.",
            param="input",
        )
    return texts


def _model(services: Services, state: RequestState, name: str, kind: ModelKind) -> ModelRecord:
    state.entry.model = name
    record = services.resolve(name, state.principal)
    state.entry.model = record.ref
    if record.kind != kind:
        raise WrongModelKind(
            f"Model {record.ref} is a {record.kind.value}, not an {kind.value}.",
            hint=f"Pick a {kind.value}: GET /v1/models lists each model's kind.",
            param="model",
        )
    return record


async def _filtered(services: Services, state: RequestState, texts: list[str]) -> list[str]:
    if not services.filters.active(state.principal.tenant):
        return texts
    context = FilterContext(state.principal.tenant, state.entry.request_id)
    return await asyncio.to_thread(
        services.filters.apply, "pre", texts, context, state.entry.verdicts
    )


async def _run_batched(
    services: Services, state: RequestState, record: ModelRecord, texts: list[str]
) -> list[Any]:
    price = float(record.details.get("price_per_1k_tokens", 0.0))
    tokens = estimate_tokens(texts)
    services.quotas.reserve(state.principal, tokens, tokens * price / 1000)
    state.entry.prompt_tokens = tokens
    services.metrics.prompt_tokens.inc(tokens)
    if state.principal.tenant in services.serve.log_prompts:
        state.entry.prompt = json.dumps(texts)[:20_000]
    model = await services.load_model(record)
    size = services.serve.batch_max_size
    if record.kind == ModelKind.ENCODER:
        batcher = services.batcher(record, lambda: lambda t: list(model.embed(t, batch_size=size)))
    else:
        batcher = services.batcher(record, lambda: model.classify)
    results: list[Any] = await batcher.submit(texts)
    return results


def _embedding(vector: Any, fmt: str) -> Any:
    if fmt == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return vector.tolist()


def router(services: Services) -> APIRouter:
    """The routes, bound to one app's services."""
    api = APIRouter(prefix="/v1", tags=["openai"])

    # Chat first: routes are matched in order, and it is the busiest route.
    @api.post("/chat/completions")
    async def chat(body: ChatRequest, request: Request) -> Response:
        """A chat completion from an alias's pool or a registered generator; SSE when streaming."""
        return await chat_completion(services, request_state(request.scope), body)

    @api.get("/models")
    async def list_models(request: Request) -> JSONResponse:
        """Models the caller's tenant may use: layer, parent, aliases; plus routing aliases."""
        who = request_state(request.scope).principal
        records = await asyncio.to_thread(services.store.list)
        refs = {r.id: r.ref for r in records}
        data = [_model_card(r, refs) for r in records if r.tenant in (None, who.tenant)]
        data += [_pool_card(name, services) for name in services.router.names() if "/" not in name]
        return JSONResponse({"object": "list", "data": data})

    @api.post("/embeddings")
    async def embeddings(body: EmbeddingsRequest, request: Request) -> JSONResponse:
        """Embed texts with an encoder (by ref or alias); OpenAI's response shape."""
        state = request_state(request.scope)
        record = _model(services, state, body.model, ModelKind.ENCODER)
        texts = await _filtered(services, state, _texts(body.input, services.serve.max_inputs))
        vectors = await _run_batched(services, state, record, texts)
        data = [
            {"object": "embedding", "index": i, "embedding": _embedding(v, body.encoding_format)}
            for i, v in enumerate(vectors)
        ]
        usage = {
            "prompt_tokens": state.entry.prompt_tokens,
            "total_tokens": state.entry.prompt_tokens,
        }
        return JSONResponse({"object": "list", "data": data, "model": record.ref, "usage": usage})

    @api.post("/classifications")
    async def classifications(body: ClassifyRequest, request: Request) -> JSONResponse:
        """Labels and scores for each text from a classifier (an L2 model)."""
        state = request_state(request.scope)
        record = _model(services, state, body.model, ModelKind.CLASSIFIER)
        texts = await _filtered(services, state, _texts(body.input, services.serve.max_inputs))
        results = await _run_batched(services, state, record, texts)
        data = [_classification(i, ranked, body.top_k) for i, ranked in enumerate(results)]
        usage = {
            "prompt_tokens": state.entry.prompt_tokens,
            "total_tokens": state.entry.prompt_tokens,
        }
        return JSONResponse({"object": "list", "data": data, "model": record.ref, "usage": usage})

    return api


def _classification(index: int, ranked: list[tuple[str, float]], top_k: int | None) -> Any:
    labels = [{"label": label, "score": float(score)} for label, score in ranked[:top_k]]
    return {
        "index": index,
        "label": labels[0]["label"],
        "score": labels[0]["score"],
        "labels": labels,
    }


def _model_card(record: ModelRecord, refs: dict[int, str]) -> dict[str, Any]:
    base = f"{record.layer.value}/{record.name}"
    return {
        "id": record.ref,
        "object": "model",
        "created": int(record.created_at.timestamp()),
        "owned_by": record.tenant or "strata",
        "kind": record.kind.value,
        "layer": record.layer.value,
        "parent": refs.get(record.parent_id) if record.parent_id else None,
        "aliases": [f"{base}:{a}" for a in record.aliases],
        "backend": record.backend,
    }


def _pool_card(name: str, services: Services) -> dict[str, Any]:
    return {
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": "strata",
        "kind": "generator",
        "layer": None,
        "parent": None,
        "aliases": [],
        "backend": "pool",
        "backends": len(services.router.pool(name).backends),
    }
