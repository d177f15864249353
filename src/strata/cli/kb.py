"""`strata kb build|search|ls`."""

from __future__ import annotations

from typing import Annotated

import typer

from strata.cli.output import print_json, print_table
from strata.cli.state import state

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def build(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Knowledge-base name.")],
    dataset: Annotated[
        str, typer.Option("--from", help="Documents or chunks dataset (NAME or NAME@VERSION).")
    ],
    encoder: Annotated[
        str | None, typer.Option(help="Encoder model (default: the previous build's, or l0).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build or refresh a knowledge base: BM25 plus dense vectors; only new chunks are embedded."""
    kbs = state(ctx).apps.services.kbs
    assert kbs is not None  # open_apps always wires knowledge bases
    result = kbs.build(name, dataset, encoder)
    if as_json:
        print_json(result.to_dict())
    elif result.unchanged:
        typer.echo(f"No change: {name} already indexes {result.dataset}@{result.version}.")
    else:
        typer.echo(
            f"{name}: {result.chunks} chunks from {result.dataset}@{result.version} "
            f"({result.embedded} embedded, {result.reused} reused) with {result.encoder}"
        )


def search(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Knowledge-base name.")],
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
    rerank: Annotated[
        str | None,
        typer.Option(help="A cross-encoder model (a registered classifier) to re-order the hits."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Search a knowledge base; each hit cites its document, page and chunk."""
    from strata.apps.errors import InvalidAppInput

    if mode not in ("hybrid", "bm25", "dense"):
        raise InvalidAppInput(
            f"--mode {mode!r} is not a search mode.", hint="Use hybrid, bm25 or dense."
        )
    kbs = state(ctx).apps.services.kbs
    assert kbs is not None
    hits = kbs.search(name, query, k=k, mode=mode, rerank=rerank)  # type: ignore[arg-type]
    if as_json:
        print_json([h.to_dict() for h in hits])
        return
    print_table(
        f"{name}: {query}",
        ["#", "score", "citation", "title", "text"],
        [[i, f"{h.score:.4f}", h.citation, h.title, h.text[:120]] for i, h in enumerate(hits, 1)],
    )


def ls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every knowledge base with its dataset, version and encoder."""
    kbs = state(ctx).apps.services.kbs
    assert kbs is not None
    rows = [kbs.manifest(n) for n in kbs.names()]
    if as_json:
        print_json(rows)
        return
    print_table(
        "knowledge bases",
        ["name", "dataset", "version", "chunks", "encoder", "built"],
        [[r["name"], r["dataset"], r["version"], r["chunks"], r["encoder"], r["built_at"][:19]]
         for r in rows],
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add `strata kb`."""
    group = typer.Typer(help="Knowledge bases: hybrid search with citations.", no_args_is_help=True)
    for name, command in (("build", build), ("search", search), ("ls", ls)):
        group.command(name)(command)
    app.add_typer(group, name="kb")
