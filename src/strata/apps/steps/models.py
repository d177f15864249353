"""Model steps: `classify`, `embed` and `generate`, through the model runtime (sha256-checked)."""

from __future__ import annotations

from typing import Any

from strata.apps.steps.base import StepContext, require
from strata.apps.steps.text import render
from strata.models.backends.base import ChatMessage
from strata.models.layers import ModelKind


async def classify(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {model, text}` -> `{label, score, labels: [{label, score}, ...]}`."""
    ref = require(params, "model", ctx, str)
    text = str(require(params, "text", ctx))
    record, model = ctx.need_runtime().serving(ref, ModelKind.CLASSIFIER)
    ctx.models.append(record.ref)
    ranked = (await ctx.in_thread(model.classify, [text]))[0]
    top = int(params.get("top", 5))
    return {
        "label": ranked[0][0],
        "score": float(ranked[0][1]),
        "labels": [{"label": label, "score": float(score)} for label, score in ranked[:top]],
    }


async def embed(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {text | texts, model?}` -> `{vector | vectors, dimension}`."""
    runtime = ctx.need_runtime()
    ref = str(params.get("model") or runtime.settings.default_encoder)
    record, model = runtime.serving(ref, ModelKind.ENCODER)
    ctx.models.append(record.ref)
    if params.get("texts") is not None:
        texts = [str(t) for t in require(params, "texts", ctx, list)]
        vectors = await ctx.in_thread(model.embed, texts)
        return {"vectors": vectors.tolist(), "dimension": model.dimension}
    text = str(require(params, "text", ctx))
    vector = (await ctx.in_thread(model.embed, [text]))[0]
    return {"vector": vector.tolist(), "dimension": model.dimension}


def _messages(params: dict[str, Any], ctx: StepContext) -> list[ChatMessage]:
    variables = dict(params.get("vars") or {})
    messages = []
    if params.get("system"):
        messages.append(ChatMessage("system", render(str(params["system"]), variables)))
    prompt = render(str(require(params, "prompt", ctx)), variables)
    return [*messages, ChatMessage("user", prompt)]


async def generate(params: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    """`with: {model, prompt, system?, vars?, max_new_tokens?, temperature?}` -> `{text, ...}`.

    `prompt` and `system` are sandboxed Jinja2 templates over `vars`.
    """
    runtime = ctx.need_runtime()
    record, model = runtime.generator(require(params, "model", ctx, str))
    ctx.models.append(record.ref)
    answer = await ctx.in_thread(
        model.generate,
        _messages(params, ctx),
        max_new_tokens=int(params.get("max_new_tokens") or runtime.settings.max_new_tokens),
        temperature=float(params.get("temperature", 0.0)),
    )
    return {
        "text": answer.text,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "finish_reason": answer.finish_reason,
    }
