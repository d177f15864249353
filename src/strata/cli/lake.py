"""`strata lake ingest|spec infer|sql|ls|show|history|subscribe`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from strata.cli.output import console, print_json, print_table
from strata.cli.state import state
from strata.core.errors import InvalidInput

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _source_options(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def ingest(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="File, folder, glob, or SQLAlchemy URL.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")],
    spec: Annotated[Path | None, typer.Option(help="YAML data spec to validate against.")] = None,
    connector: Annotated[str | None, typer.Option(help="Connector (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv|json|parquet|excel.")
    ] = None,
    source_column: Annotated[
        str | None, typer.Option(help="Add a column naming each row's source file.")
    ] = None,
    table: Annotated[str | None, typer.Option(help="SQL source: table to read.")] = None,
    query: Annotated[str | None, typer.Option(help="SQL source: query to read.")] = None,
    cursor: Annotated[
        str | None, typer.Option(help="SQL source: incremental cursor column.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest a source into a dataset as one new version; the same content again is a no-op."""
    from strata.lake import Source, load_spec

    lake = state(ctx).lake
    options = _source_options(
        delimiter=delimiter,
        format=file_format,
        source_column=source_column,
        table=table,
        query=query,
        cursor=cursor,
    )
    data_spec = load_spec(spec) if spec else None
    with _progress(not as_json) as report:
        result = lake.ingest(
            Source(path, options), dataset, spec=data_spec, connector=connector, progress=report
        )
    if as_json:
        print_json(result.to_dict())
        return
    c = result.counts
    if result.created:
        typer.echo(
            f"{result.dataset}@{result.version}: accepted {c.accepted}, quarantined "
            f"{c.quarantined}, skipped {c.skipped} ({result.parts} new part(s)"
            f"{', recovered an interrupted ingest' if result.recovered else ''})"
        )
        if c.quarantined:
            typer.echo(
                f'see: strata lake sql "SELECT rule, reason, row FROM '
                f'{result.dataset.replace("-", "_")}__quarantine"'
            )
    else:
        typer.echo(
            f"No change: {result.dataset}@{result.version} already holds this source "
            f"({result.unchanged_parts} part(s) ingested before)."
        )


class _progress:
    """A rich progress bar fed by the ingest's progress callback (0..1)."""

    def __init__(self, enabled: bool) -> None:
        self.bar = Progress(
            TextColumn("ingest"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task("ingest", total=1.0)

    def __enter__(self) -> Any:
        self.bar.start()
        return lambda fraction: self.bar.update(self.task, completed=fraction)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def spec_infer(
    path: Annotated[str, typer.Argument(help="A data file, folder or SQLAlchemy URL.")],
    enum_max: Annotated[
        int,
        typer.Option(
            help="Propose an enum for text columns with at most "
            "this many distinct values (0: never)."
        ),
    ] = 20,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed).")] = None,
    table: Annotated[str | None, typer.Option(help="SQL source: table to read.")] = None,
) -> None:
    """Draft a YAML data spec from a sample of the source."""
    from strata.lake import Source
    from strata.lake.infer import draft_spec

    spec = draft_spec(
        Source(path, _source_options(delimiter=delimiter, table=table)), enum_max=enum_max
    )
    typer.echo(spec.to_yaml(), nl=False)


def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='DuckDB SQL, e.g. "SELECT count(*) FROM skab".')],
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Query every lake table (latest versions) with DuckDB in process."""
    if as_json and as_csv:
        raise InvalidInput("Pass --json or --csv, not both.", hint="Pick one output format.")
    result = state(ctx).lake.sql(query)
    rows = result.to_pylist()
    if as_json:
        print_json(rows)
    elif as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.column_names)
        writer.writerows([r[c] for c in result.column_names] for r in rows)
        typer.echo(buffer.getvalue(), nl=False)
    else:
        print_table(
            f"{len(rows)} row(s)",
            result.column_names,
            [[r[c] for c in result.column_names] for r in rows],
        )


def ls(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List datasets with their latest version and row counts."""
    infos = state(ctx).lake.datasets()
    data: list[dict[str, Any]] = [
        {
            "name": d.name,
            "version": d.latest.version if d.latest else None,
            "versions": len(d.versions),
            "columns": len(d.spec.columns),
            "primary_key": d.spec.primary_key,
            "spec": d.spec_source,
            "uri": d.uri,
        }
        for d in infos
    ]
    if as_json:
        print_json(data)
        return
    print_table(
        "Datasets",
        ["name", "version", "columns", "primary key", "spec", "uri"],
        [
            (d["name"], d["version"], d["columns"], ",".join(d["primary_key"]), d["spec"], d["uri"])
            for d in data
        ],
    )


def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="NAME or NAME@N.")],
    as_json: JsonOption = False,
) -> None:
    """Schema, spec, rows, versions, quality, PII columns and lineage of a dataset."""
    data = state(ctx).lake.show(ref)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(f"[bold]{data['name']}@{data['version']}[/bold]  {data['rows']} rows  {data['uri']}")
    quality = data["quality"]
    print_table(
        "Columns",
        ["column", "type", "spec", "null rate", "pii"],
        [
            (
                f["name"],
                f["type"],
                json.dumps(data["spec"]["columns"].get(f["name"], {})),
                quality["null_rates"].get(f["name"]),
                quality["pii_columns"].get(f["name"], ""),
            )
            for f in data["schema"]
        ],
    )
    print_table("Violations by rule", ["rule", "rows"], list(quality["violations_by_rule"].items()))
    print_table(
        "Lineage", ["version", "source"], [(v["version"], v["source"]) for v in data["lineage"]]
    )


def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    as_json: JsonOption = False,
) -> None:
    """Every version of a dataset: operation, source and counts."""
    versions = [v.to_dict() for v in state(ctx).lake.dataset(name).versions]
    if as_json:
        print_json(versions)
        return
    print_table(
        f"History of {name}",
        ["version", "operation", "accepted", "quarantined", "skipped", "source", "created"],
        [
            (
                v["version"],
                v["operation"],
                v["accepted"],
                v["quarantined"],
                v["skipped"],
                v["source"],
                v["created_at"][:19],
            )
            for v in versions
        ],
    )


def subscribe(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="mqtt://HOST:PORT/TOPIC (wildcards allowed).")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")],
    spec: Annotated[Path | None, typer.Option(help="YAML data spec to validate against.")] = None,
    batch_records: Annotated[int | None, typer.Option(min=1, help="Records per commit.")] = None,
    flush_s: Annotated[
        float | None, typer.Option(help="Commit buffered records after this.")
    ] = None,
    max_messages: Annotated[int | None, typer.Option(min=1, help="Stop after N messages.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Stop after N seconds.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Subscribe to an MQTT topic and commit JSON-lines payloads by batch size or time."""
    from strata.lake import load_spec
    from strata.lake.connectors.mqtt import SubscribeOptions, subscribe_mqtt

    app = state(ctx)
    options = SubscribeOptions(
        batch_records=batch_records or app.settings.lake.batch_records,
        flush_s=flush_s or app.settings.lake.flush_interval_s,
        max_messages=max_messages,
        timeout_s=timeout,
        spec=load_spec(spec) if spec else None,
    )
    report = subscribe_mqtt(
        app.lake,
        url,
        dataset,
        options,
        on_commit=None
        if as_json
        else lambda r: typer.echo(
            f"{r.dataset}@{r.version}: accepted {r.counts.accepted}, "
            f"quarantined {r.counts.quarantined}"
        ),
        on_ready=lambda: typer.echo(f"Subscribed to {url}", err=True),
    )
    if as_json:
        print_json(report.to_dict())
    else:
        typer.echo(
            f"Stopped after {report.messages} message(s), {report.records} record(s), "
            f"{len(report.versions)} commit(s)."
        )


def register(app: typer.Typer) -> None:
    """Add `strata lake`."""
    group = typer.Typer(help="Ingest, validate, version and query data.", no_args_is_help=True)
    spec_group = typer.Typer(help="Data specs.", no_args_is_help=True)
    spec_group.command("infer")(spec_infer)
    for name, command in (
        ("ingest", ingest),
        ("sql", sql),
        ("ls", ls),
        ("show", show),
        ("history", history),
        ("subscribe", subscribe),
    ):
        group.command(name)(command)
    group.add_typer(spec_group, name="spec")
    app.add_typer(group, name="lake")
