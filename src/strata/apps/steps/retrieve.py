"""The `retrieve` step: hybrid search in a knowledge base, with citations."""

from __future__ import annotations

from typing import Any

from strata.apps.errors import InvalidAppSpec
from strata.apps.kb import embedded_with
from strata.apps.steps.base import StepContext, require


async def retrieve(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {kb, query, k?: 5, mode?: hybrid|bm25|dense, rerank?: MODEL}` ->
    `{results, context, citations}`; `rerank` names a cross-encoder that re-orders the hits.

    `context` joins the chunk texts (for a prompt); `citations` lists `path p.PAGE #CHUNK`.
    """
    kbs = ctx.services.kbs
    if kbs is None:
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}" needs knowledge bases, but this runner has none.',
            hint="Run apps through `strata apps run` or the gateway, which provide them.",
        )
    name = require(params, "kb", ctx, str)
    query = str(require(params, "query", ctx))
    mode = str(params.get("mode", "hybrid"))
    if mode not in ("hybrid", "bm25", "dense"):
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.mode": {mode!r} is not a search mode.',
            hint="Use hybrid, bm25 or dense.",
        )
    rerank = params.get("rerank")
    if rerank is not None and not isinstance(rerank, str):
        raise InvalidAppSpec(
            f'Step "{ctx.step_id}", field "with.rerank": {rerank!r} is not a model reference.',
            hint="Name a registered cross-encoder, e.g. rerank: l0/ms-marco-minilm.",
        )
    k = int(params.get("k", 5))
    hits = await ctx.in_thread(kbs.search, name, query, k=k, mode=mode, rerank=rerank)
    ctx.models.append(embedded_with(kbs.manifest(name)))
    if rerank:
        ctx.models.append(kbs.runtime.store.resolve(rerank).ref)
    return {
        "results": [h.to_dict() for h in hits],
        "context": "\n\n".join(h.text for h in hits),
        "citations": [h.citation for h in hits],
    }
