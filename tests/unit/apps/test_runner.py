"""The runner: concurrency, timeouts, retries, conditions, filters, sandboxing, egress, MCP."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from strata.apps import FUNCTIONS, InvalidAppInput, Runner, Services, parse_app
from strata.apps.store import AppVersion
from strata.core.settings import AppsSettings
from strata.models.runtime import ModelRuntime
from strata.security.filters import FILTERS, FilterContext, Verdict


def _app(data: dict[str, Any]) -> AppVersion:
    spec = parse_app({"name": "t", **data})
    return AppVersion("t", 1, spec, "0" * 64, None, datetime.now(UTC))


def _run(app: AppVersion, data: dict[str, Any], services: Services | None = None) -> Any:
    runner = Runner(services or Services())
    return asyncio.run(runner.run(app, data))


@pytest.fixture
def functions() -> Iterator[dict[str, Any]]:
    """Test functions registered for the `python` step; unregistered afterwards."""
    state: dict[str, Any] = {"calls": 0, "started": set()}
    both = asyncio.Event

    async def meet(name: str) -> dict[str, Any]:
        state["started"].add(name)
        state.setdefault("event", both())
        if len(state["started"]) == 2:
            state["event"].set()
        await asyncio.wait_for(state["event"].wait(), 5)  # only returns if both ran at once
        return {"name": name}

    def flaky() -> str:
        state["calls"] += 1
        if state["calls"] == 1:
            raise RuntimeError("first call fails")
        return "ok"

    async def slow() -> str:
        await asyncio.sleep(5)
        return "late"

    added = {"meet": meet, "flaky": flaky, "slow": slow}
    for name, fn in added.items():
        FUNCTIONS.register(name, fn, replace=True)
    yield state
    for name in added:
        FUNCTIONS._items.pop(name, None)


def _py(step_id: str, function: str, **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "uses": "python", "with": {"function": function, **extra}}


def test_independent_steps_run_concurrently(functions: dict[str, Any]) -> None:
    app = _app(
        {
            "steps": [
                _py("a", "meet", args={"name": "a"}),
                _py("b", "meet", args={"name": "b"}),
                {
                    "id": "c",
                    "uses": "template",
                    "with": {
                        "template": "{{ x }}+{{ y }}",
                        "x": "${steps.a.name}",
                        "y": "${steps.b.name}",
                    },
                },
            ],
            "outputs": {"joined": "${steps.c.text}"},
        }
    )
    result = _run(app, {})
    assert result.status == "succeeded", result.error
    assert result.output == {"joined": "a+b"}


def test_retries_and_timeouts(functions: dict[str, Any]) -> None:
    app = _app(
        {"steps": [{**_py("f", "flaky"), "retries": 1}], "outputs": {"r": "${steps.f.result}"}}
    )
    result = _run(app, {})
    assert result.output == {"r": "ok"} and result.steps[0].attempts == 2
    slow = _app({"steps": [{**_py("s", "slow"), "timeout_s": 0.05, "retries": 1}]})
    failed = _run(slow, {})
    assert failed.status == "failed" and failed.steps[0].attempts == 2
    assert (
        failed.error["code"] == "step_failed"
        and "timed out after 0.05 s" in failed.error["message"]
    )


def test_input_is_checked_against_the_schema() -> None:
    app = _app(
        {
            "input": {"n": {"type": "integer"}, "tag": {"required": False, "default": "x"}},
            "steps": [
                {
                    "id": "a",
                    "uses": "template",
                    "with": {"template": "{{ n }}{{ t }}", "n": "${input.n}", "t": "${input.tag}"},
                }
            ],
            "outputs": {"o": "${steps.a.text}"},
        }
    )
    assert _run(app, {"n": 3}).output == {"o": "3x"}
    with pytest.raises(InvalidAppInput, match='"n" must be integer'):
        _run(app, {"n": "3"})
    with pytest.raises(InvalidAppInput, match='"n" is required'):
        _run(app, {})


def test_template_is_sandboxed() -> None:
    app = _app(
        {
            "steps": [
                {
                    "id": "a",
                    "uses": "template",
                    "with": {"template": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
                }
            ]
        }
    )
    result = _run(app, {})
    assert result.status == "failed" and "unsafe" in result.error["message"].lower()


class _Deny:
    name, phase = "no-secrets", "pre"

    def check(self, text: str, context: FilterContext) -> Verdict:
        if "secret" in text:
            return Verdict(self.name, False, "mentions a secret")
        return Verdict(self.name, True, text=text.replace("card", "[item]"))


def test_redact_and_check_record_verdicts(runtime: ModelRuntime) -> None:
    FILTERS.register("no-secrets", lambda options, rt: _Deny(), replace=True)
    app = _app(
        {
            "input": {"text": {}},
            "steps": [
                {
                    "id": "clean",
                    "uses": "redact",
                    "with": {"text": "${input.text}", "filters": ["no-secrets"]},
                },
                {
                    "id": "gate",
                    "uses": "check",
                    "with": {"text": "${steps.clean.text}", "filters": ["no-secrets"]},
                },
            ],
            "outputs": {"text": "${steps.clean.text}"},
        }
    )
    services = Services(runtime=runtime)
    ok = _run(app, {"text": "my card"}, services)
    assert ok.output == {"text": "my [item]"}
    assert (
        ok.steps[0].verdicts[0]["filter"] == "no-secrets" and ok.steps[0].verdicts[0]["rewritten"]
    )
    refused = _run(app, {"text": "a secret"}, services)
    assert refused.status == "failed" and refused.error["code"] == "step_rejected"
    assert "no-secrets" in refused.error["message"]
    assert refused.steps[-1].verdicts[0]["allowed"] is False


def test_http_goes_through_the_egress_guard() -> None:
    app = _app({"steps": [{"id": "call", "uses": "http", "with": {"url": "http://127.0.0.1:9/x"}}]})
    result = _run(app, {})
    assert result.status == "failed" and result.steps[0].attempts == 1
    assert result.error["code"] == "egress_blocked", result.error


SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("echo")

@server.tool()
def shout(text: str) -> str:
    return text.upper()

server.run("stdio")
"""


def test_mcp_tool_needs_the_allow_list(tmp_path: Path) -> None:
    script = tmp_path / "echo_server.py"
    script.write_text(SERVER)
    step = {
        "id": "t",
        "uses": "mcp_tool",
        "with": {
            "server": {"command": sys.executable, "args": [str(script)]},
            "tool": "shout",
            "arguments": {"text": "hi"},
        },
    }
    app = _app({"steps": [step], "outputs": {"o": "${steps.t.text}"}})
    refused = _run(app, {})
    assert refused.status == "failed" and refused.error["code"] == "mcp_not_allowed"
    allowed = Services(settings=AppsSettings(mcp_allowed_commands=[sys.executable]))
    assert _run(app, {}, allowed).output == {"o": "HI"}


def test_mcp_tool_urls_pass_the_egress_guard() -> None:
    step = {
        "id": "t",
        "uses": "mcp_tool",
        "with": {"server": {"url": "http://169.254.169.254/mcp"}, "tool": "x"},
    }
    result = _run(_app({"steps": [step]}), {})
    assert result.status == "failed" and result.error["code"] == "egress_blocked"
