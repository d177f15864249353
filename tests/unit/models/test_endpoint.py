"""The endpoint generator against a real OpenAI-compatible server on loopback."""

import pytest

from fixtures.openai_server import free_port, serve
from strata.core.errors import ConfigError
from strata.models.backends.base import ChatMessage
from strata.models.errors import EndpointError
from strata.models.runtime import ModelRuntime
from strata.models.store import ModelStore

HELLO = [ChatMessage("user", "hello")]


def test_generates_through_the_endpoint_with_key_from_env(
    store: ModelStore, runtime: ModelRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(api_key="sk-test-123") as (url, seen):
        store.add_endpoint(url, model="echo-model", name="echo", api_key_env="ECHO_KEY")
        monkeypatch.setenv("ECHO_KEY", "sk-test-123")
        _, generator = runtime.generator("l0/echo")
        result = generator.generate(HELLO, max_new_tokens=8)
    assert result.text == "echo: hello"
    assert (result.prompt_tokens, result.completion_tokens) == (3, 2)
    assert seen.authorizations == ["Bearer sk-test-123"]
    assert seen.requests[0]["model"] == "echo-model"
    assert seen.requests[0]["max_tokens"] == 8
    assert "sk-test-123" not in repr(store.resolve("l0/echo").to_dict())


def test_missing_key_variable_is_a_clear_error(store: ModelStore, runtime: ModelRuntime) -> None:
    store.add_endpoint("http://127.0.0.1:9/v1", model="m", api_key_env="ABSENT_KEY")
    _, generator = runtime.generator("l0/m")
    with pytest.raises(ConfigError, match=r"\$ABSENT_KEY") as info:
        generator.generate(HELLO, max_new_tokens=4)
    assert "export ABSENT_KEY" in (info.value.hint or "")


def test_unreachable_endpoint_is_a_clear_error(store: ModelStore, runtime: ModelRuntime) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    store.add_endpoint(url, model="m")
    _, generator = runtime.generator("l0/m")
    with pytest.raises(EndpointError, match="could not be reached") as info:
        generator.generate(HELLO, max_new_tokens=4)
    assert url in info.value.message


def test_rejected_key_reports_the_status(
    store: ModelStore, runtime: ModelRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(api_key="right") as (url, _):
        store.add_endpoint(url, model="m", api_key_env="WRONG_KEY")
        monkeypatch.setenv("WRONG_KEY", "wrong")
        _, generator = runtime.generator("l0/m")
        with pytest.raises(EndpointError, match="HTTP 401"):
            generator.generate(HELLO, max_new_tokens=4)
