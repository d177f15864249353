"""Endpoint generator backend: any OpenAI-compatible `/chat/completions` (vLLM, Ollama, a cloud)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import httpx2

from strata.core.errors import ConfigError
from strata.core.settings import ModelSettings
from strata.models.backends.base import ChatMessage, Generation
from strata.models.errors import EndpointError
from strata.models.records import ModelRecord


def bearer_from_env(variable: str | None, owner: str) -> dict[str, str]:
    """The Authorization header with the key read now from `variable` (none when no variable).

    Raises:
        ConfigError: the variable is named but not set.
    """
    if not variable:
        return {}
    key = os.environ.get(variable)
    if not key:
        raise ConfigError(
            f"{owner} reads its API key from ${variable}, which is not set.",
            hint=f"export {variable}=<your key>, then run the command again.",
            variable=variable,
        )
    return {"Authorization": f"Bearer {key}"}


class EndpointGenerator:
    """Calls an OpenAI-compatible endpoint; the API key is read from its variable on each call."""

    def __init__(self, record: ModelRecord, timeout_s: float) -> None:
        self.ref = record.ref
        self.url = f"{record.uri}/chat/completions"
        self.model = record.endpoint_model or record.name
        self.api_key_env = record.api_key_env
        self.timeout_s = timeout_s

    def _headers(self) -> dict[str, str]:
        return bearer_from_env(self.api_key_env, f"Model {self.ref}")

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = httpx2.post(
                self.url, json=body, headers=self._headers(), timeout=self.timeout_s
            )
        except httpx2.TransportError as exc:
            raise EndpointError(
                f"Endpoint of {self.ref} at {self.url} could not be reached: {exc}",
                hint="Check that the server is running and the URL is right "
                "(`strata models show` prints it).",
                url=self.url,
            ) from exc
        if response.status_code >= 400:
            raise EndpointError(
                f"Endpoint of {self.ref} answered HTTP {response.status_code}: "
                f"{response.text[:300]}",
                hint="Check the model name and the API key the endpoint expects.",
                url=self.url,
                status=response.status_code,
            )
        return _json(response, self.url)

    def generate(
        self, messages: Sequence[ChatMessage], *, max_new_tokens: int, temperature: float = 0.0
    ) -> Generation:
        """One chat completion, non-streaming."""
        body = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        data = self._post(body)
        try:
            choice = data["choices"][0]
            usage = data.get("usage") or {}
            return Generation(
                text=choice["message"]["content"] or "",
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                finish_reason=choice.get("finish_reason") or "stop",
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise EndpointError(
                f"Endpoint of {self.ref} sent a reply that is not an OpenAI chat completion: "
                f"{str(data)[:300]}",
                hint="Point the model at an OpenAI-compatible /v1 base URL.",
            ) from exc


def _json(response: httpx2.Response, url: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise EndpointError(
            f"Endpoint at {url} sent a reply that is not JSON: {response.text[:200]}",
            hint="Point the model at an OpenAI-compatible /v1 base URL.",
        ) from exc
    if not isinstance(data, dict):
        raise EndpointError(
            f"Endpoint at {url} sent JSON that is not an object: {str(data)[:200]}",
            hint="Point the model at an OpenAI-compatible /v1 base URL.",
        )
    return data


def load(record: ModelRecord, settings: ModelSettings) -> EndpointGenerator:
    """Entry point of `strata.models.backends: openai-endpoint`."""
    return EndpointGenerator(record, settings.endpoint_timeout_s)
