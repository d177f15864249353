"""Every command through Typer's runner, including its error output for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures.openai_server import free_port, serve
from strata.core.errors import StrataError

from .conftest import Invoke, json_out


def test_models_ls_lists_the_builtin_on_first_use(cli: Invoke, tmp_path: Path) -> None:
    models = json_out(cli("models", "ls", "--json"))
    assert [m["ref"] for m in models] == ["l0/minilm-l6@1"]
    assert (tmp_path / "home" / "catalog.db").is_file()


def test_embed_json_is_a_384_unit_vector(cli: Invoke) -> None:
    data = json_out(cli("embed", "l0/minilm-l6", "my card has not arrived", "--json"))
    assert data["model"] == "l0/minilm-l6@1" and data["dimension"] == 384
    vector = np.array(data["data"][0]["embedding"])
    assert vector.shape == (384,) and abs(np.linalg.norm(vector) - 1) < 1e-5


def test_add_show_and_generate_with_a_local_folder(cli: Invoke, tiny_generator: Path) -> None:
    added = json_out(cli("models", "add", str(tiny_generator), "--kind", "generator", "--json"))
    assert added["ref"] == "l0/tiny-lm@1" and added["created"] is True
    again = json_out(cli("models", "add", str(tiny_generator), "--kind", "generator", "--json"))
    assert again["created"] is False
    shown = json_out(cli("models", "show", "l0/tiny-lm@1", "--json"))
    assert shown["kind"] == "generator" and shown["files"]
    text = cli("models", "show", "l0/tiny-lm")
    assert "model.safetensors" in text.stdout
    out = json_out(cli("generate", "l0/tiny-lm", "hello world", "--max-tokens", "3", "--json"))
    assert out["usage"]["completion_tokens"] == 3 and out["text"]


def test_generate_through_an_endpoint(cli: Invoke) -> None:
    with serve(api_key="sk-cli") as (url, _):
        added = cli(
            "models",
            "add",
            "--kind",
            "generator",
            "--endpoint",
            url,
            "--model",
            "echo",
            "--api-key-env",
            "CLI_KEY",
        )
        assert added.exit_code == 0, added.output
        out = json_out(cli("generate", "l0/echo", "hi there", "--json", env={"CLI_KEY": "sk-cli"}))
    assert out["text"] == "echo: hi there"


def _fails(result: object, *needles: str) -> None:
    exit_code = result.exit_code
    stderr = result.stderr
    assert exit_code == 1, result.output
    assert stderr.startswith("error: ")
    assert "\nhint: " in stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr


def test_unknown_ref(cli: Invoke) -> None:
    _fails(cli("models", "show", "l1/steel-defects@7"), 'Model "l1/steel-defects@7" not found')
    _fails(cli("embed", "nonsense", "x"), "'nonsense' is not valid")


def test_missing_folder(cli: Invoke, tmp_path: Path) -> None:
    _fails(cli("models", "add", str(tmp_path / "absent"), "--kind", "encoder"), "absent")


def test_pickle_folder(cli: Invoke, tiny_encoder: Path) -> None:
    (tiny_encoder / "model.pt").write_bytes(b"pickle")
    _fails(cli("models", "add", str(tiny_encoder)), "model.pt", "safetensors")


def test_unreachable_endpoint(cli: Invoke) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    assert (
        cli("models", "add", "--kind", "generator", "--endpoint", url, "--model", "m").exit_code
        == 0
    )
    _fails(cli("generate", "l0/m", "hi"), "could not be reached", url)


def test_missing_env_var(cli: Invoke) -> None:
    cli(
        "models",
        "add",
        "--kind",
        "generator",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "--api-key-env",
        "NOT_SET_ANYWHERE",
    )
    _fails(cli("generate", "l0/m", "hi"), "$NOT_SET_ANYWHERE")


def test_endpoint_needs_generator_kind_and_model(cli: Invoke) -> None:
    _fails(cli("models", "add", "--endpoint", "http://127.0.0.1:9/v1"), "--model")
    _fails(cli("models", "add"), "exactly one")


def test_usage_errors_exit_2(cli: Invoke) -> None:
    assert cli("models", "add", "--kind", "painter").exit_code == 2
    assert cli("no-such-command").exit_code == 2


def test_debug_shows_the_exception(cli: Invoke) -> None:
    result = cli("--debug", "models", "show", "l0/ghost")
    assert result.exit_code == 1
    assert isinstance(result.exception, StrataError)


def test_settings_show_reports_sources(cli: Invoke, tmp_path: Path) -> None:
    rows = {r["key"]: r for r in json_out(cli("settings", "show", "--json"))}
    assert rows["home"]["source"] == "env"
    assert rows["home"]["value"] == str(tmp_path / "home")
    assert rows["catalog_url"]["source"] == "default"
    assert "settings" in cli("settings", "show").stdout.lower()


def test_bad_setting_is_reported(cli: Invoke) -> None:
    _fails(
        cli("settings", "show", env={"STRATA_MODELS__MAX_NEW_TOKENS": "lots"}),
        "models.max_new_tokens",
    )


def test_plugins_ls(cli: Invoke) -> None:
    plugins = json_out(cli("plugins", "ls", "--json"))
    assert {"group": "strata.models.backends", "name": "openai-endpoint"}.items() <= plugins[
        [p["name"] for p in plugins].index("openai-endpoint")
    ].items()
    assert "strata.models.backends" in cli("plugins", "ls").stdout


def test_db_upgrade_and_current(cli: Invoke) -> None:
    first = json_out(cli("db", "upgrade", "--json"))
    assert first["from"] is None and first["to"]
    assert json_out(cli("db", "upgrade", "--json"))["from"] == first["to"]
    assert json_out(cli("db", "current", "--json"))["current"] == first["to"]


@pytest.mark.parametrize("url", ["nosuchdb://x", "postgresql+psycopg://nobody@127.0.0.1:1/x"])
def test_bad_catalog_url(cli: Invoke, url: str) -> None:
    _fails(cli("db", "current", env={"STRATA_CATALOG_URL": url}), "atalog")


def test_doctor_json(cli: Invoke) -> None:
    checks = {c["name"]: c for c in json_out(cli("doctor", "--json"))}
    assert {"python", "torch", "catalog", "disk", "default-encoder"} <= set(checks)
    assert checks["default-encoder"]["level"] == "ok"


def test_doctor_fails_on_a_tampered_default(cli: Invoke, tiny_encoder: Path) -> None:
    cli("models", "add", str(tiny_encoder), "--name", "mine")
    (tiny_encoder / "model.safetensors").write_bytes(b"tampered")
    result = cli("doctor", env={"STRATA_MODELS__DEFAULT_ENCODER": "l0/mine"})
    assert result.exit_code == 1
    assert "fix:" in result.stdout and "sha256" in result.stdout
