"""`strata models add|ls|show`, `strata embed` and `strata generate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from strata.cli import model_ops, optimize
from strata.cli.output import console, print_json, print_table
from strata.cli.state import state
from strata.core.errors import InvalidInput
from strata.models.backends.base import ChatMessage
from strata.models.layers import Layer, ModelKind
from strata.models.records import ModelRecord

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def add(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="A Hugging Face model folder.")] = None,
    kind: Annotated[ModelKind, typer.Option(help="What the model does.")] = ModelKind.ENCODER,
    layer: Annotated[Layer, typer.Option(help="Model layer.")] = Layer.L0_FOUNDATION,
    name: Annotated[str | None, typer.Option(help="Model name (default: from the folder).")] = None,
    endpoint: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name the endpoint serves.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Variable holding the endpoint's API key (read per call).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a model folder (safetensors only) or an OpenAI-compatible endpoint."""
    store = state(ctx).store
    if (path is None) == (endpoint is None):
        raise InvalidInput(
            "Give either a model folder PATH or --endpoint URL (exactly one).",
            hint="strata models add ./my-model --kind encoder, or strata models add --kind "
            "generator --endpoint http://127.0.0.1:8000/v1 --model NAME",
        )
    if endpoint is not None:
        if kind != ModelKind.GENERATOR or not model:
            raise InvalidInput(
                f"An endpoint registers a generator with --model; got --kind {kind.value} "
                f"and --model {model!r}.",
                hint="Pass --kind generator --model NAME with --endpoint.",
            )
        record, created = store.add_endpoint(
            endpoint, model=model, name=name, api_key_env=api_key_env, layer=layer
        )
    else:
        assert path is not None
        record, created = store.add_folder(path, kind=kind, layer=layer, name=name)
    if as_json:
        print_json({**record.to_dict(), "created": created})
    else:
        verb = "Registered" if created else "Already registered, unchanged:"
        typer.echo(
            f"{verb} {record.ref} ({record.kind.value}, {record.source.value}: {record.uri})"
        )


def ls(
    ctx: typer.Context,
    prefix: Annotated[str | None, typer.Argument(help="Only refs starting with this.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List registered model versions."""
    records = [r for r in state(ctx).store.list() if not prefix or r.ref.startswith(prefix)]
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    print_table(
        "Models",
        ["ref", "kind", "source", "backend", "aliases", "created"],
        [
            (
                r.ref,
                r.kind.value,
                r.source.value,
                r.backend,
                ",".join(r.aliases),
                r.created_at.strftime("%Y-%m-%d %H:%M"),
            )
            for r in records
        ],
    )


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="A model reference, e.g. l0/minilm-l6@1.")],
    as_json: JsonOption = False,
) -> None:
    """Show one model version: where it lives, its files and sha256, details and metrics."""
    record = state(ctx).store.resolve(ref)
    if as_json:
        print_json(record.to_dict())
        return
    _print_record(record)


def _print_record(record: ModelRecord) -> None:
    out = console()
    data = record.to_dict()
    for key in (
        "ref",
        "layer",
        "kind",
        "source",
        "backend",
        "uri",
        "endpoint_model",
        "api_key_env",
        "aliases",
        "created_at",
    ):
        if data[key] not in (None, [], ""):
            out.print(f"{key:>15}: {data[key]}")
    for digest in record.files:
        out.print(f"{'file':>15}: {digest.path}  sha256 {digest.sha256[:16]}…  {digest.size} B")


def embed(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An encoder reference.")],
    texts: Annotated[list[str], typer.Argument(help="One or more texts.")],
    as_json: JsonOption = False,
) -> None:
    """Embed texts with an encoder; vectors are unit length."""
    record, encoder = state(ctx).runtime.encoder(ref)
    vectors = encoder.embed(texts)
    if as_json:
        print_json(
            {
                "model": record.ref,
                "dimension": int(vectors.shape[1]),
                "data": [
                    {"index": i, "text": t, "embedding": [float(x) for x in v]}
                    for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
                ],
            }
        )
        return
    for text, vector in zip(texts, vectors, strict=True):
        head = ", ".join(f"{x:+.4f}" for x in vector[:4])
        typer.echo(f"{record.ref} [{vector.shape[0]}] {text!r}: [{head}, …]")


def generate(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="A generator reference.")],
    prompt: Annotated[str, typer.Argument(help="The prompt.")],
    max_tokens: Annotated[
        int | None, typer.Option(min=1, max=8192, help="Tokens to generate.")
    ] = None,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0, help="0 means greedy.")] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Generate text from a local causal LM folder or an OpenAI-compatible endpoint."""
    app_state = state(ctx)
    if not prompt.strip():
        raise InvalidInput("The prompt is empty.", hint='Pass a prompt: strata generate REF "..."')
    record, generator = app_state.runtime.generator(ref)
    result = generator.generate(
        [ChatMessage("user", prompt)],
        max_new_tokens=max_tokens or app_state.settings.models.max_new_tokens,
        temperature=temperature,
    )
    if as_json:
        print_json(
            {
                "model": record.ref,
                "text": result.text,
                "finish_reason": result.finish_reason,
                "usage": {
                    "prompt_tokens": result.prompt_tokens,
                    "completion_tokens": result.completion_tokens,
                },
            }
        )
    else:
        typer.echo(result.text)


def register(app: typer.Typer) -> None:
    """Add `strata models`, `strata embed` and `strata generate`."""
    group = typer.Typer(help="Register, list and inspect models.", no_args_is_help=True)
    group.command("add")(add)
    group.command("ls")(ls)
    group.command("show")(show)
    group.command("lineage")(model_ops.lineage)
    group.command("promote")(model_ops.promote)
    group.command("card")(model_ops.card)
    group.command("predict")(model_ops.predict)
    group.command("optimize")(optimize.optimize)
    app.add_typer(group, name="models")
    app.command("embed")(embed)
    app.command("generate")(generate)
