"""The `strata` command: root options, error handling, and commands registered by entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from strata import __version__
from strata.cli.output import print_error
from strata.cli.state import AppState
from strata.core.errors import StrataError
from strata.core.registry import Registry

COMMANDS: Registry[Any] = Registry("strata.cli.commands")


class StrataGroup(TyperGroup):
    """Turns Strata errors into `error:`/`hint:` lines and exit 1; tracebacks only with --debug."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except StrataError as exc:
            if _debug(ctx):
                raise
            print_error(exc.message, exc.hint)
            raise typer.Exit(1) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            print_error(
                f"unexpected {type(exc).__name__}: {exc}", "Re-run with --debug for the traceback."
            )
            raise typer.Exit(1) from None


def _debug(ctx: typer.Context) -> bool:
    obj = ctx.find_root().obj
    return isinstance(obj, AppState) and obj.debug


def _version(value: bool) -> None:
    if value:
        typer.echo(f"strata {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The root Typer app with every command group from `strata.cli.commands`."""
    app = typer.Typer(
        cls=StrataGroup,
        name="strata",
        help="Strata: L0 foundation -> L1 industry -> L2 scenario models, on your own data.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=False,
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
        config: Annotated[
            Path | None,
            typer.Option("--config", envvar="STRATA_CONFIG", help="YAML settings file."),
        ] = None,
        version: Annotated[
            bool,
            typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
        ] = False,
    ) -> None:
        ctx.obj = AppState(debug=debug, config_file=config)

    for _name, register in COMMANDS.items():
        register(app)
    return app


def run() -> None:
    """Console entry point."""
    build_app()()
