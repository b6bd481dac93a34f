"""Publish a build: copy the marts into a file of their own and swap it in atomically.

DuckDB lets one process write a file, and a writer shuts readers out. So the dashboard and
the reports never read the warehouse itself: after each successful build, the marts (and the
milestone catalogue they are labelled with) are copied into a new file beside the warehouse,
which then replaces the published file in one `rename`. A reader that opened the old file
keeps reading it whole; the next one opens the new build. No reader waits for a load or a
build, and none sees half of one.

On PostgreSQL the same file is published: the marts are read in one repeatable-read snapshot
by the reader role (`LEADTRACK_POSTGRES_READER_URL`, which can select the marts and nothing
else), so every reader, wherever the warehouse lives, is unchanged and sees whole builds.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from leadtrack.settings import Settings, marts_path

# The relations readers may use: every mart, and the catalogue that orders and labels them.
PUBLISHED = """
    select table_schema, table_name
    from information_schema.tables
    where table_catalog = current_database()
      and (table_schema = 'marts'
           or (table_schema = 'staging' and table_name = 'stg_milestone_catalogue'))
    order by table_schema, table_name
"""


def publish(warehouse: Path) -> Path:
    """Copy the warehouse's marts into the published file; its path."""

    def fill(scratch: Path) -> None:
        with duckdb.connect(str(warehouse)) as con:
            relations = con.execute(PUBLISHED).fetchall()
            if not relations:
                raise RuntimeError(f"{warehouse} has no marts to publish: run leadtrack build")
            con.execute(f"attach '{scratch}' as published")
            for schema in sorted({schema for schema, _ in relations}):
                con.execute(f"create schema published.{schema}")
            for schema, name in relations:
                con.execute(
                    f"create table published.{schema}.{name} as select * from {schema}.{name}"
                )
            con.execute("detach published")

    return _swap_in(marts_path(warehouse), fill)


def publish_build(settings: Settings) -> Path:
    """Publish the build of the settings' target; the published file's path."""
    if settings.target == "postgres":
        from leadtrack.postgres import connect, grant_reader, reader_role, scrubbed

        if role := reader_role():
            with scrubbed(), connect() as pg:
                grant_reader(pg, role)
        return publish_from_postgres(settings.warehouse)
    return publish(settings.warehouse)


def _swap_in(target: Path, fill: Callable[[Path], None]) -> Path:
    """Write a new published file under a temporary name, then rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    scratch.unlink(missing_ok=True)
    _remove_abandoned_scratch(target)
    try:
        fill(scratch)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    os.replace(scratch, target)
    return target


def _remove_abandoned_scratch(target: Path) -> None:
    """Delete the temporary files of publishes whose process died (killed mid-publish), so
    they do not pile up beside the published file."""
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        pid = leftover.name.removeprefix(f".{target.name}.").split(".")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, another user's


# PostgreSQL column types as DuckDB spells them; anything else travels as text.
_DUCKDB_TYPES = {
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "real": "float",
    "double precision": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "interval": "interval",
}


def _duckdb_type(data_type: str, precision: int | None, scale: int | None) -> str:
    if data_type == "numeric":
        if precision is not None and precision <= 38:
            return f"decimal({precision}, {scale or 0})"
        return "double"  # an unconstrained numeric (an average, a percentile)
    return _DUCKDB_TYPES.get(data_type, "varchar")


def publish_from_postgres(warehouse: Path) -> Path:
    """Copy PostgreSQL's marts (read with the reader role, in one snapshot) into the published
    file beside `warehouse`; its path."""
    from psycopg import IsolationLevel, sql

    from leadtrack.postgres import READER_CATALOGUE, connect, reader_conninfo, scrubbed

    def fill(scratch: Path) -> None:
        pg = connect(reader_conninfo())
        pg.isolation_level = IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        with (
            scrubbed(),
            pg,
            pg.transaction(),
            duckdb.connect(str(scratch)) as out,
            tempfile.TemporaryDirectory(prefix="leadtrack-publish-") as folder,
        ):
            columns = pg.execute(
                "select table_schema, table_name, column_name, data_type, numeric_precision,"
                " numeric_scale from information_schema.columns"
                " where table_schema = 'marts' or table_schema || '.' || table_name = %s"
                " order by table_schema, table_name, ordinal_position",
                [READER_CATALOGUE],
            ).fetchall()
            relations: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for schema, name, column, data_type, precision, scale in columns:
                relations.setdefault((schema, name), []).append(
                    (column, _duckdb_type(data_type, precision, scale))
                )
            if not any(schema == "marts" for schema, _ in relations):
                raise RuntimeError("PostgreSQL has no marts to publish: run leadtrack build")
            for schema in sorted({schema for schema, _ in relations}):
                out.execute(f'create schema "{schema}"')
            csv = Path(folder) / "relation.csv"
            for (schema, name), typed in relations.items():
                names = [column for column, _ in typed]
                statement = sql.SQL("copy (select {} from {}) to stdout (format csv)").format(
                    sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(schema, name)
                )
                with pg.cursor() as cursor, cursor.copy(statement) as copy, csv.open("wb") as f:
                    for chunk in copy:
                        f.write(chunk)
                spec = ", ".join(f"'{column}': '{kind}'" for column, kind in typed)
                out.execute(
                    f'create table "{schema}"."{name}" as select * from read_csv('
                    f"'{csv}', header = false, auto_detect = false, columns = {{{spec}}},"
                    " allow_quoted_nulls = false)"
                )

    return _swap_in(marts_path(warehouse), fill)
