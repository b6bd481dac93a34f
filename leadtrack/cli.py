"""The `leadtrack` command: every stage of the pipeline, against one warehouse."""

from __future__ import annotations

import io
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from leadtrack.settings import PROJECT_ROOT, Settings, load_settings

if TYPE_CHECKING:
    from ingest.loader import LoadResult
    from leadtrack.dbt import BuildResult

app = typer.Typer(
    help="Track every recruitment lead to completion.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)


class Kind(StrEnum):
    tracker = "tracker"
    leads = "leads"
    events = "events"
    calls = "calls"
    consultants = "consultants"


class Target(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"


@app.callback()
def main(
    ctx: typer.Context,
    warehouse: Annotated[
        Path | None,
        typer.Option(envvar="LEADTRACK_WAREHOUSE", help="The DuckDB warehouse file."),
    ] = None,
    milestones: Annotated[
        Path | None,
        typer.Option(envvar="LEADTRACK_MILESTONES", help="The milestone catalogue (CSV)."),
    ] = None,
    target: Annotated[
        Target | None,
        typer.Option(
            envvar="LEADTRACK_TARGET",
            help="Where the warehouse lives: a DuckDB file, or PostgreSQL (connection from"
            " LEADTRACK_POSTGRES_URL or the PG* variables).",
        ),
    ] = None,
) -> None:
    """Settings shared by every command."""
    try:
        ctx.obj = load_settings(
            warehouse=warehouse, catalogue=milestones, target=target.value if target else None
        )
    except ValueError as error:
        raise _fail(str(error)) from None


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r} is not a date: write it as yyyy-mm-dd") from None


def _clear_errors(command):
    """Turn an operating-system or DuckDB I/O error (a full disk, a folder that cannot be
    written) into a clear message naming the warehouse, and a milestone catalogue that cannot
    be used into its own message, instead of a traceback."""
    import functools

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        import duckdb

        from ingest.catalogue import CatalogueError

        try:
            return command(*args, **kwargs)
        except CatalogueError as error:
            raise _fail(str(error)) from None
        except (OSError, duckdb.IOException, duckdb.PermissionException) as error:
            settings: Settings = kwargs["ctx"].obj
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise _fail(
                f"could not write the warehouse {settings.warehouse}: {first_line}. The step"
                " that failed left it as it was; free some disk space or fix the folder's"
                " permissions, then run the command again."
            ) from None

    return wrapper


@app.command()
@_clear_errors
def load(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of exports.")],
    kind: Annotated[
        Kind | None, typer.Option(help="What the files hold (default: detect).")
    ] = None,
    mapping: Annotated[
        str | None, typer.Option(help="A mapping file (YAML) or the name of a preset.")
    ] = None,
    dayfirst: Annotated[
        bool, typer.Option("--dayfirst/--monthfirst", help="How to read 03/11/2026.")
    ] = True,
    sheet: Annotated[str | None, typer.Option(help="The workbook sheet (default: first).")] = None,
) -> None:
    """Load exports (CSV, XLSX) into the warehouse's raw schema."""
    from ingest.errors import IngestError
    from ingest.loader import expand_paths, load_file, read_catalogue, sync_catalogue
    from ingest.mapping import load_mapping
    from leadtrack.postgres import PostgresError
    from leadtrack.warehouse import open_raw_writer

    settings: Settings = ctx.obj
    try:
        chosen = load_mapping(mapping) if mapping else None
        files = expand_paths(
            paths,
            on_skip=lambda path, why: console.print(
                f"[yellow]•[/] {escape(f'{path}: {why}')}", highlight=False
            ),
        )
        if not files:
            raise _fail("no CSV or XLSX files in " + ", ".join(map(str, paths)))
        con = open_raw_writer(
            settings,
            on_wait=lambda: console.print(
                "[yellow]•[/] a build of this warehouse is running: the load waits for it to"
                " finish (a build reads what is loaded in many steps)",
                highlight=False,
            ),
        )
        sync_catalogue(con, settings.catalogue)
        milestones = read_catalogue(settings.catalogue)
    except (IngestError, PostgresError) as error:
        raise _fail(str(error)) from None
    except Exception as error:
        if _is_postgres_error(error):
            raise _fail(_postgres_load_failure(None, error)) from None
        raise
    failed = 0
    stopped: str | None = None
    with _progress() as progress:
        task = progress.add_task("Loading", total=len(files))
        for path in files:
            progress.update(task, description=f"Loading {path.name}")
            try:
                result = load_file(
                    con,
                    path,
                    milestones,
                    kind=kind.value if kind else None,
                    mapping=chosen,
                    dayfirst=dayfirst,
                    sheet=sheet,
                )
            except IngestError as error:
                failed += 1
                progress.console.print(f"[red]✗[/] {escape(str(error))}", highlight=False)
            except Exception as error:
                if not _is_postgres_error(error):
                    raise
                # The connection is gone (or the server refused the file): this file's
                # transaction rolled back; the files before it stay loaded.
                stopped = _postgres_load_failure(path, error)
                break
            else:
                if result.already_loaded:
                    progress.console.print(
                        f"[yellow]•[/] {escape(str(path))}: already loaded (load"
                        f" {result.load_id}: same content, sheet, kind, mapping and date order);"
                        " skipped",
                        highlight=False,
                    )
                else:
                    progress.console.print(
                        f"[green]✓[/] {escape(str(path))}: {result.kind},"
                        f" {result.rows_read:,} rows read, {result.rows_loaded:,} loaded,"
                        f" {result.rows_rejected:,} rejected"
                        + _skipped(result)
                        + (
                            f"  (see them: leadtrack rejects --load {result.load_id})"
                            if result.rows_rejected
                            else ""
                        ),
                        highlight=False,
                    )
                    for hint in _load_hints(result, mapped=chosen is not None):
                        progress.console.print(hint, highlight=False)
            progress.advance(task)
    try:
        con.close()
    except Exception as error:
        if not _is_postgres_error(error):
            raise
    if stopped:
        errors.print(f"[bold red]error:[/] {escape(stopped)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)
    if failed:
        raise _fail(
            f"{failed} of {len(files)} file(s) could not be loaded; nothing of those was written"
        )


def _skipped(result: LoadResult) -> str:
    """The rows a load skipped, as its output adds them: by the mapping, and totals rows."""
    by_mapping = result.rows_skipped - result.totals_skipped
    return (f", {by_mapping:,} skipped by the mapping" if by_mapping else "") + (
        f", {result.totals_skipped:,} totals row{'s' * (result.totals_skipped != 1)} skipped"
        if result.totals_skipped
        else ""
    )


def _load_hints(result: LoadResult, *, mapped: bool) -> list[str]:
    """What a load left out that its output names: columns no field took, columns the
    mapping renames to no field, a workbook's other sheets that hold exports."""
    from ingest.contracts import CONTRACTS

    why = (
        "a milestone under another name: add it to the catalogue's aliases, or map it"
        if result.kind == "tracker" and not mapped
        else "one to read: map it"
    )
    sheets = [f"{name!r} ({CONTRACTS[kind].called})" for name, kind in result.other_sheets]
    return [
        f"  [yellow]{label}:[/] {escape(', '.join(items))} ({advice})"
        for label, items, advice in (
            ("columns not used", result.unused_columns, f"{why}: docs/mappings.md"),
            (
                "columns the mapping renames to no field, so not loaded",
                result.hidden_columns,
                "a typo? the fields are in docs/mappings.md",
            ),
            (
                "other sheets not loaded",
                sheets,
                "only the first sheet is read: load each with --sheet NAME",
            ),
        )
        if items
    ]


def _is_postgres_error(error: BaseException) -> bool:
    """Whether an error came from PostgreSQL (psycopg is loaded only for that target)."""
    import sys

    psycopg = sys.modules.get("psycopg")
    from leadtrack.postgres import PostgresError

    return isinstance(error, PostgresError) or (
        psycopg is not None and isinstance(error, psycopg.Error)
    )


def _postgres_load_failure(path: Path | None, error: BaseException) -> str:
    """One line for a load that PostgreSQL broke off: which file, that nothing of it was
    written, and what to do. No password (scrubbed), no traceback."""
    import sys

    from leadtrack.postgres import builder_role_hint, scrub

    detail = scrub(str(error)).strip().splitlines()
    psycopg = sys.modules.get("psycopg")
    lost = psycopg is not None and isinstance(error, psycopg.OperationalError)
    what = "lost the connection to PostgreSQL" if lost else "PostgreSQL refused the load"
    where = f"{path}: {what} while loading it" if path else f"{what} before loading any file"
    hint = builder_role_hint(error)
    if hint:
        return f"{where} ({detail[0] if detail else type(error).__name__}){hint}."
    return (
        f"{where} ({detail[0] if detail else type(error).__name__})."
        + (
            " Nothing of this file was written (its transaction rolled back); the files before it"
            " are kept."
            if path
            else ""
        )
        + " Check that the server is running and reachable (LEADTRACK_POSTGRES_URL or the PG*"
        " variables), then run the same leadtrack load again: files already loaded are skipped."
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command()
def status(ctx: typer.Context) -> None:
    """What is loaded: files, kinds, rows, rejects, and the last load."""
    from leadtrack.warehouse import load_summary

    settings: Settings = ctx.obj
    if settings.target == "postgres":
        from leadtrack import postgres

        try:
            summary = postgres.load_summary()
        except postgres.PostgresError as error:
            raise _fail(str(error)) from None
        where = postgres.describe()
    else:
        if not settings.warehouse.exists():
            raise _fail(
                f"no warehouse at {settings.warehouse}: load some exports first"
                " (leadtrack load PATH, or leadtrack demo)"
            )
        summary = load_summary(settings.warehouse)
        where = str(settings.warehouse)
    table = Table(title=f"Loads in {where}")
    for column in ("load", "file", "read as", "kind", "read", "loaded", "rejected", "finished"):
        table.add_column(
            column,
            justify="right" if column in ("load", "read", "loaded", "rejected") else "left",
            # A narrow terminal wraps a file's path rather than cutting it to "/tmp/exp…".
            overflow="fold" if column in ("file", "read as") else "ellipsis",
        )
    for row in summary.loads:
        table.add_row(
            str(row["load_id"]),
            Text(row["file_name"]),
            Text(_read_as(row)),
            row["kind"],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_rejected']:,}",
            f"{row['finished_at']:%d/%m/%Y %H:%M}",
        )
    console.print(table)
    totals = Table(title="Rows in raw")
    totals.add_column("table")
    totals.add_column("rows", justify="right")
    for name, rows in summary.table_rows.items():
        totals.add_row(name, f"{rows:,}")
    console.print(totals)
    if summary.loads:
        last = summary.loads[-1]
        console.print(
            f"Last load: {escape(last['file_name'])} at {last['finished_at']:%d/%m/%Y %H:%M}."
            f" Rejected rows in all: {summary.rejected:,}"
            + (" (leadtrack rejects)" if summary.rejected else ""),
            soft_wrap=True,  # a long path stays whole, to copy
        )


def _read_as(load: dict) -> str:
    """How a load's file was read, where not as by default (a load of the same content
    another way is another load)."""
    return ", ".join(
        [
            *([f"sheet {load['sheet']}"] if load.get("sheet") else []),
            *([f"mapping {load['mapping']}"] if load.get("mapping") else []),
            *(["month first"] if load.get("dayfirst") is False else []),
        ]
    )


@app.command()
def rejects(
    ctx: typer.Context,
    load: Annotated[int | None, typer.Option("--load", help="Only this load's rejects.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
) -> None:
    """Rejected rows and the reason for each."""
    from leadtrack.warehouse import rejected_rows

    settings: Settings = ctx.obj
    if settings.target == "postgres":
        from leadtrack import postgres

        try:
            rows = postgres.rejected_rows(load, limit)
        except postgres.PostgresError as error:
            raise _fail(str(error)) from None
    else:
        if not settings.warehouse.exists():
            raise _fail(f"no warehouse at {settings.warehouse}")
        rows = rejected_rows(settings.warehouse, load, limit)
    if not rows:
        console.print("No rejected rows" + (f" in load {load}." if load else "."))
        return
    table = Table(title="Rejected rows", show_lines=True)
    for column in ("load", "file", "row", "reason", "record"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["load_id"]),
            Text(Path(row["file_name"]).name),
            str(row["source_row"]),
            Text(row["reason"]),
            Text(row["record"]),
        )
    console.print(table)


@app.command()
@_clear_errors
def template(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).")],
) -> None:
    """An empty tracker workbook for the current milestone catalogue."""
    from ingest.catalogue import read_catalogue
    from ingest.template import write_template

    settings: Settings = ctx.obj
    if path.suffix.lower() != ".xlsx":
        raise _fail(f"{path}: the template is a workbook; name it .xlsx")
    write_template(path, read_catalogue(settings.catalogue))
    console.print(escape(f"Wrote {path}: fill it in, then  leadtrack load {path}"))


@app.command()
@_clear_errors
def build(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option(help="Report as of this date (yyyy-mm-dd); default today.")
    ] = None,
) -> None:
    """Build the models (dbt) from what is loaded, and run their tests."""
    settings: Settings = ctx.obj
    if not _build(settings, _parse_date(as_of, "--as-of")):
        raise typer.Exit(code=1)


def _build(settings: Settings, as_of: date | None) -> bool:
    from contextlib import nullcontext

    from leadtrack.postgres import PostgresError, build_lock

    def waiting(holder: str) -> None:
        console.print(
            "[yellow]•[/] another build of this warehouse is running: waiting for it to finish"
            if holder == "build"
            else "[yellow]•[/] a load into this warehouse is under way: the build waits for it"
            " to finish (a build reads what is loaded in many steps)",
            highlight=False,
        )

    try:
        with build_lock(waiting) if settings.target == "postgres" else nullcontext():
            return _build_and_publish(settings, as_of)
    except PostgresError as error:
        raise _fail(str(error)) from None


def _build_and_publish(settings: Settings, as_of: date | None) -> bool:
    """Build as of `as_of`, else today, fixed here: the models read this one date, not the
    database's current date at each statement, so a build that runs over midnight computes
    every column for the same day."""
    from ingest.loader import sync_catalogue
    from leadtrack.dbt import BUILD_COMMAND
    from leadtrack.postgres import LocalCopyFailed
    from leadtrack.publish import build_and_publish
    from leadtrack.warehouse import open_raw_writer

    as_of = as_of or date.today()
    con = open_raw_writer(settings, building=True)
    sync_catalogue(con, settings.catalogue)
    con.close()
    with _progress() as progress:
        task = progress.add_task("Building models and running tests", total=None)

        def on_node(name: str, status: str) -> None:
            progress.update(task, description=f"{name}: {status}")
            progress.advance(task)

        copy_failed: LocalCopyFailed | None = None
        dbt_console = io.StringIO()
        try:
            result, published = build_and_publish(
                settings, BUILD_COMMAND, as_of=as_of, on_node=on_node, console=dbt_console
            )
        except LocalCopyFailed as failed:
            copy_failed, result, published = failed, failed.result, None
    lost = None if result.ok else _lost_connection(settings, result)
    if lost:
        # dbt's wall of "Database Error" for every node after the loss says nothing more.
        errors.print(f"[bold red]error:[/] {escape(lost)}", highlight=False, soft_wrap=True)
        return False
    # dbt's console output (its errors), where it printed it before: on stdout.
    sys.stdout.write(dbt_console.getvalue())
    sys.stdout.flush()
    if result.ok:
        models = sum(node.resource_type == "model" for node in result.nodes)
        tests = sum(node.resource_type in ("test", "unit_test") for node in result.nodes)
        seconds = sum(node.seconds for node in result.nodes)
        console.print(
            f"[green]✓[/] built {models} models and passed {tests} tests"
            f" ({seconds:.1f} s in dbt nodes), as of {as_of}"
        )
        if copy_failed:
            from leadtrack.postgres import describe

            console.print(f"[green]✓[/] published the marts in {describe()}")
            errors.print(
                f"[bold red]error:[/] {escape(_local_copy_failure(settings, copy_failed))}",
                highlight=False,
                soft_wrap=True,
            )
            return False
        console.print(f"[green]✓[/] published the marts to {escape(str(published))}")
        for line in _unmatched(published, as_of):
            console.print(escape(line), highlight=False)
        return True
    errors.print("[bold red]The build failed; the dashboard keeps showing the last good one.[/]")
    for node in result.failures:
        errors.print(
            f"  [red]✗[/] {node.resource_type} {node.name}: {node.status}"
            + (f" — {escape(node.message)}" if node.message else ""),
            highlight=False,
        )
    if result.error:
        errors.print(f"  {escape(result.error)}", highlight=False)
    return False


# How many of a build's lead ids that no lead export holds (and of its consultants that the
# consultants list does not name) its output names, the most used first.
UNMATCHED_NAMED = 3


def _unmatched(published: Path, as_of: date) -> list[str]:
    """What the build says of what its marts leave out or could not match, so it counts
    nowhere or not where it belongs: leads created after the as-of date (a year typed
    ahead, a US date read day first), calls and milestones whose lead id no loaded lead
    export holds (a call log writing T-1 as t-1, a lead not loaded yet), and, once a
    consultants list is loaded, consultants it does not name ("Shah, Priya" for Priya
    Shah), whose leads are in no team. Only the quality report listed them, and not the
    first. Nothing when all is matched."""
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        leads = con.execute(
            "select source_name, detail, source_file, source_row, rows_affected"
            " from marts.data_quality_issues where check_name = 'unknown_lead'"
            " order by rows_affected desc, source_name, lead_id"
        ).fetchall()
        future = con.execute(
            "select lead_id, issue_date, source_file, source_row"
            " from marts.data_quality_issues where check_name = 'lead_created_after_as_of'"
            " order by issue_date, lead_id"
        ).fetchall()
        ((listed,),) = con.execute(
            "select count(*) from marts.consultants where is_listed"
        ).fetchall()
        consultants = con.execute(
            "select consultant, source_name, rows_affected"
            " from marts.data_quality_issues where check_name = 'unknown_consultant'"
            " order by rows_affected desc, consultant, source_name"
        ).fetchall()
    return (
        _created_after(future, as_of)
        + _unknown_leads(leads)
        + (_unlisted_consultants(consultants) if listed else [])
    )


def _created_after(found: list[tuple], as_of: date) -> list[str]:
    if not found:
        return []
    one = len(found) == 1
    named = ", ".join(
        f"{lead_id} (created {created:%d/%m/%Y}; {source_file}, row {source_row})"
        for lead_id, created, source_file, source_row in found[:UNMATCHED_NAMED]
    )
    more = len(found) - UNMATCHED_NAMED
    return [
        f"• {len(found):,} lead{'' if one else 's'} {'is' if one else 'are'} created after"
        f" {as_of:%d/%m/%Y}, the day this build is as of, and {'is' if one else 'are'} in no"
        f" count until then: {named}{f' and {more:,} more' if more > 0 else ''}. If"
        f" {'its date is a typo' if one else 'their dates are typos'} (the year, or a date"
        " written month first), correct it"
    ]


def _unknown_leads(found: list[tuple]) -> list[str]:
    if not found:
        return []
    counted = {"calls": ("call", "calls"), "milestone_events": ("milestone", "milestones")}
    totals = [
        (sum(rows for name, *_, rows in found if name == source), *counted[source])
        for source in counted
    ]
    what = " and ".join(
        f"{total:,} {one if total == 1 else many}" for total, one, many in totals if total
    )
    verb = "names" if sum(total for total, *_ in totals) == 1 else "name"
    return [
        f"• {what} {verb} a lead that no loaded lead export holds, so they count for no lead"
        " (on no call list, in no funnel):",
        *(
            f"  {detail} ({source_file}, row {source_row})"
            for _, detail, source_file, source_row, _ in found[:UNMATCHED_NAMED]
        ),
        "  leadtrack report quality lists them all, with the file and row of each",
    ]


def _unlisted_consultants(found: list[tuple]) -> list[str]:
    if not found:
        return []
    names = list(dict.fromkeys(consultant for consultant, *_ in found))
    named = ", ".join(
        f"{name} ("
        + ", ".join(
            f"{rows:,} {source.rstrip('s') if rows == 1 else source}"
            for consultant, source, rows in found
            if consultant == name
        )
        + ")"
        for name in names[:UNMATCHED_NAMED]
    )
    more = len(names) - UNMATCHED_NAMED
    one = len(names) == 1
    return [
        f"• {len(names):,} consultant{'' if one else 's'} on leads or calls"
        f" {'is' if one else 'are'} not on the consultants list, so their leads and calls are"
        f" in no team: {named}{f' and {more:,} more' if more > 0 else ''}. Write the name as"
        " the list does, or add it to the list (leadtrack report quality lists them all)"
    ]


# What psycopg and libpq say when the connection to the server is lost or refused.
_CONNECTION_LOST = (
    "server closed the connection",
    "terminating connection due to administrator command",
    "the database system is shutting down",
    "the database system is starting up",
    "connection already closed",
    "the connection is lost",
    "no connection to the server",
    "consuming input failed",
    "ssl syscall error",
    "connection refused",
    "could not connect",
    "connection to server at",
    "connection to server on socket",
)


def _lost_connection(settings: Settings, result: BuildResult) -> str | None:
    """For a failed build on PostgreSQL that lost its connection (the server stopped or
    restarted, the network dropped): one line saying so and what to do; else None."""
    if settings.target != "postgres":
        return None
    from leadtrack.postgres import PostgresError, connect

    messages = [node.message or "" for node in result.failures] + [result.error or ""]
    lines = [line.strip() for message in messages for line in message.splitlines()]
    said = [line for line in lines if any(mark in line.lower() for mark in _CONNECTION_LOST)]
    if not said:
        try:
            connect().close()
            return None
        except PostgresError as error:
            said = [str(error).splitlines()[0]]
    return (
        f"lost the connection to PostgreSQL during the build ({said[0]}): start it (or check"
        " that it is reachable: LEADTRACK_POSTGRES_URL) and build again; nothing was published,"
        " so the dashboard keeps the last good build (dbt's errors are in"
        f" {result.log_file})"
    )


def _local_copy_failure(settings: Settings, failed: BaseException) -> str:
    """One line for a build published in PostgreSQL whose copy into the local published file
    failed: that only the copy failed, why (no password), and how to fix it. A reader role
    given the builder's password (one PGPASSWORD for both) fails so."""
    import os

    from psycopg.conninfo import conninfo_to_dict

    from leadtrack.postgres import READER_URL, reader_address, reader_conninfo, reader_role

    reason = " ".join(str(getattr(failed, "reason", failed)).split())
    role = reader_role()
    if role is None:
        fix = (
            f"{READER_URL} is not set, so the copy connected as the builder: check that connection"
        )
    elif "password" in reason and conninfo_to_dict(reader_conninfo()).get("password"):
        # libpq reads no ~/.pgpass for a connection whose URL holds a password.
        fix = f"the password in {READER_URL} was refused: put the reader role {role}'s own there"
    elif "password" in reason:
        host, port, database, _ = reader_address()
        # libpq gives a connection without a password of its own PGPASSWORD, before ~/.pgpass.
        pgpass = f"a ~/.pgpass line for the reader ({host}:{port}:{database}:{role}:PASSWORD)"
        fix = (
            f"the copy connects as the reader role {role} ({READER_URL}), which needs its own"
            f" password, not the builder's: put it in that URL"
            f" (postgresql://{role}:PASSWORD@{host}:{port}/{database}) or in "
            + (
                f"{pgpass}, with PGPASSWORD unset (it would be used first; give the builder a"
                " line of its own too)"
                if os.environ.get("PGPASSWORD")
                else pgpass
            )
        )
    else:
        fix = f"the copy connects as the reader role {role}: check {READER_URL}"
    return (
        "the build was published in PostgreSQL (the team's dashboards get it), but copying"
        f" its marts to {settings.marts} failed, so this machine's dashboard and reports do"
        f" not have it yet: {reason}. To fix: {fix}; then run leadtrack dashboard or"
        " leadtrack report, which fetch the new build (no need to build again)."
    )


@app.command()
@_clear_errors
def docs(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to serve the docs on.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve them after generating.")] = True,
) -> None:
    """Generate dbt's documentation (models, columns, lineage) and serve it."""
    from leadtrack.dbt import run_dbt
    from leadtrack.publish import published_copy

    settings: Settings = ctx.obj
    with published_copy(settings) as marts:
        result = run_dbt(settings, ["docs", "generate"], publishing=marts)
    if not result.ok:
        raise _fail(f"dbt docs generate failed: {result.error}")
    console.print("Generated the docs in target/ (index.html, catalog.json, manifest.json).")
    if serve:
        run_dbt(settings, ["docs", "serve", "--port", str(port), "--host", "127.0.0.1"])


@app.command()
@_clear_errors
def demo(
    ctx: typer.Context,
    leads: Annotated[int, typer.Option(help="How many leads the demo agency has.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same agency.")] = 7,
    as_of: Annotated[str | None, typer.Option(help="The demo's today (yyyy-mm-dd).")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the exports.")] = Path("demo/exports"),
    serve: Annotated[bool, typer.Option(help="Serve the dashboard at the end.")] = True,
) -> None:
    """Generate a demo agency's exports, load them, build the models, serve the dashboard."""
    from ingest.catalogue import read_catalogue
    from ingest.demo import generate_demo

    settings: Settings = ctx.obj
    day = _parse_date(as_of, "--as-of")
    read_catalogue(settings.catalogue)  # one the load would refuse stops the demo here
    with console.status(f"Writing the demo agency's exports ({leads:,} leads) to {out}"):
        files = generate_demo(out, leads=leads, seed=seed, as_of=day, catalogue=settings.catalogue)
    console.print(
        escape(f"Wrote {files.tracker}, {files.events}, {files.calls}, {files.consultants}")
    )
    ctx.invoke(load, ctx=ctx, paths=[files.consultants, files.tracker, files.events, files.calls])
    if not _build(settings, day):
        raise typer.Exit(code=1)
    if serve:
        _serve(settings, port=8501, host="127.0.0.1")


@app.command()
def dashboard(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to listen on; it shows phone numbers, so loopback.")
    ] = "127.0.0.1",
) -> None:
    """Serve the dashboard (Streamlit). On PostgreSQL, first fetch the team's latest build of
    the marts (with the reader's role) into the local copy the dashboard reads."""
    settings: Settings = ctx.obj
    if settings.target == "postgres":
        from leadtrack.postgres import PostgresError
        from leadtrack.publish import refresh_copy

        try:
            with console.status("Fetching the team's latest build of the marts from PostgreSQL"):
                refreshed = refresh_copy(settings)
        except PostgresError as error:
            raise _fail(str(error)) from None
        if refreshed.problem:
            errors.print(
                f"[yellow]warning:[/] {escape(_stale_copy(refreshed.path, refreshed.problem))}",
                highlight=False,
                soft_wrap=True,
            )
        else:
            console.print(
                "[green]✓[/] the marts of the team's latest build are in"
                f" {escape(str(refreshed.path))}"
            )
    _serve(settings, port=port, host=host)


def _stale_copy(path: Path, problem: str) -> str:
    """One line for a local copy of the marts that PostgreSQL could not bring up to date:
    which build it holds, that it may be out of date, and why."""
    from leadtrack.publish import copy_built_at

    built = copy_built_at(path)
    which = f"the build of {built:%d/%m/%Y %H:%M}" if built else "an earlier build"
    return (
        f"could not fetch the team's latest build, so this shows the local copy in {path},"
        f" {which}, which may be out of date ({' '.join(problem.split())}); check that"
        " PostgreSQL is running and LEADTRACK_POSTGRES_READER_URL is right: the dashboard"
        " fetches the latest build on its next page view once it can"
    )


def _serve(settings: Settings, port: int, host: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    app_path = PROJECT_ROOT / "dashboards" / "app.py"
    console.print(f"Serving the dashboard on http://{host}:{port}  (Ctrl+C stops it)")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    server = subprocess.Popen(command, env={**os.environ, **settings.environment()})
    # A SIGTERM (a service manager, `kill`) stops the server too: without this it outlived
    # this process and kept the port. (Ctrl+C reaches both: they share the terminal.)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        server.wait()
    except KeyboardInterrupt:
        server.wait()
        console.print("Stopped.")


class ReportName(StrEnum):
    weekly = "weekly"
    consultant = "consultant"
    quarterly = "quarterly"
    quality = "quality"


@app.command()
def report(
    ctx: typer.Context,
    name: Annotated[ReportName, typer.Argument(help="Which report.")],
    out: Annotated[Path, typer.Option(help="The folder to write the HTML file to.")] = Path(
        "reports"
    ),
    week: Annotated[
        str | None,
        typer.Option(
            help="weekly: the week's Monday (yyyy-mm-dd); default the week under way, on a"
            " Monday the week just ended."
        ),
    ] = None,
    team: Annotated[str | None, typer.Option(help="weekly, quarterly: one team.")] = None,
    consultant: Annotated[
        str | None, typer.Option(help="weekly: one consultant; consultant: required.")
    ] = None,
    quarter: Annotated[
        str | None, typer.Option(help="quarterly: the quarter (yyyy-Qn, e.g. 2026-Q3).")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="consultant: the period's first day (yyyy-mm-dd).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="consultant: the period's last day (yyyy-mm-dd).")
    ] = None,
) -> None:
    """Render a reporting notebook to one self-contained HTML file and print its path."""
    from leadtrack.report import ReportError, render_report

    settings: Settings = ctx.obj
    given = {
        "week": week,
        "team": team,
        "consultant": consultant,
        "quarter": quarter,
        "start": start,
        "end": end,
    }
    parameters = {key: value for key, value in given.items() if value is not None}
    try:
        with console.status(f"Running the {name.value} report"):
            path = render_report(
                name.value,
                parameters,
                out,
                settings,
                on_stale=lambda why: errors.print(
                    f"[yellow]warning:[/] {escape(why)}", highlight=False, soft_wrap=True
                ),
            )
    except ReportError as error:
        raise _fail(str(error)) from None
    console.print(str(path), highlight=False, soft_wrap=True)


@app.command()
@_clear_errors
def forget(
    ctx: typer.Context,
    contact: Annotated[
        str, typer.Option(help="The person's email address or phone number.", show_default=False)
    ],
    as_of: Annotated[
        str | None,
        typer.Option(help="Rebuild as of this date (yyyy-mm-dd); default today."),
    ] = None,
) -> None:
    """Remove a client contact's name, phone and email from every version of the raw data,
    rebuild and republish the marts without them, and log that it was done (not who)."""
    import duckdb

    from leadtrack.forget import (
        ForgetError,
        compact,
        forget_contact,
        parse_identifier,
        scrub_logs,
    )

    settings: Settings = ctx.obj
    day = _parse_date(as_of, "--as-of")
    try:
        identifier = parse_identifier(contact)
    except ForgetError as error:
        raise _fail(str(error)) from None
    if getattr(settings, "target", "duckdb") != "duckdb":
        raise _fail(
            "leadtrack forget works on a DuckDB warehouse only, so nothing was removed: the"
            " person's details stay in PostgreSQL's raw (every version of the leads, calls and"
            " rejected rows), staging and marts, and in every consultant's local copy of the"
            " marts. To forget them, delete them in PostgreSQL by hand, then run leadtrack"
            " build and have each consultant run leadtrack dashboard or leadtrack report,"
            ' which replace their copy with that build (README "Forgetting a contact on'
            ' PostgreSQL")'
        )
    if not settings.warehouse.exists():
        raise _fail(f"no warehouse at {settings.warehouse}: nothing to forget")
    con = duckdb.connect(str(settings.warehouse))
    forgotten = forget_contact(con, identifier)
    con.close()
    console.print(
        f"[green]✓[/] removed the {identifier.kind}'s details from {forgotten.lead_rows:,} lead"
        f" row(s), {forgotten.call_rows:,} call row(s) and {forgotten.rejected_rows:,} rejected"
        " row(s) (logged in raw.forget_log, without the details)"
    )
    built = _build(settings, day)
    compact(settings.warehouse)
    scrub_logs([PROJECT_ROOT / "logs", PROJECT_ROOT / "target"], identifier)
    console.print(
        f"[green]✓[/] rewrote {escape(str(settings.warehouse))} so no old copy of the details"
        " is kept"
    )
    if not built:
        raise _fail(
            "the rebuild failed, so the published marts may still hold the person's details:"
            " fix the build and run leadtrack build (or leadtrack forget again)"
        )
