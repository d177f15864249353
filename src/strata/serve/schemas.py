"""Request bodies of the gateway's routes (OpenAI's shapes; unknown fields pass through)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ModelName = Field(min_length=1, max_length=300, description="A model ref, alias or pool name.")


class EmbeddingsRequest(BaseModel):
    """POST /v1/embeddings."""

    model_config = ConfigDict(extra="allow")

    model: str = ModelName
    input: str | list[str] = Field(description="One text or a list of texts.")
    encoding_format: Literal["float", "base64"] = "float"


class ChatMessageIn(BaseModel):
    """One chat message; content is text or a list of parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """POST /v1/chat/completions."""

    model_config = ConfigDict(extra="allow")

    model: str = ModelName
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, gt=0, le=1_000_000)
    max_completion_tokens: int | None = Field(None, gt=0, le=1_000_000)
    temperature: float | None = Field(None, ge=0, le=2)


class ClassifyRequest(BaseModel):
    """POST /v1/classifications: Strata's own route for L2 classifiers."""

    model: str = ModelName
    input: str | list[str] = Field(description="One text or a list of texts.")
    top_k: int | None = Field(None, gt=0, le=1000, description="Labels per text; all when unset.")


def message_text(message: dict[str, Any]) -> str:
    """The text of a message (text parts joined), for filters and token estimates."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def estimate_tokens(texts: list[str]) -> int:
    """A quick token estimate (about 4 characters a token) used to reserve quota."""
    return sum(len(t) // 4 + 1 for t in texts)
