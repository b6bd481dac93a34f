"""Publish a build: the marts in a file of their own, swapped in atomically.

DuckDB lets one process write a file, and a writer shuts readers out. So the dashboard and
the reports never read the warehouse itself. dbt builds the marts (and the milestone
catalogue they are labelled with) into a new file beside the warehouse, attached to its
connection as `published` (profiles.yml, dbt_project.yml); once every test has passed, that
file replaces the published file in one `rename`. A failed build's file is deleted. A reader
that opened the old file keeps reading it whole; the next one opens the new build. No
reader waits for a load or a build, and none sees half of one. The file holds the marts and
nothing else of the warehouse (no raw rows, no earlier versions), and nothing is copied.

On PostgreSQL the same file is published: the marts are read in one repeatable-read snapshot
by the reader role (`LEADTRACK_POSTGRES_READER_URL`, which can select the marts and nothing
else), so every reader, wherever the warehouse lives, is unchanged and sees whole builds. A
build replaces all of PostgreSQL's marts at once (`leadtrack.postgres.promote_build`) and
stamps them; the copy reads the stamp before and after, and starts again if a build landed in
between. Any machine (a consultant's laptop with only the reader's URL) keeps its own copy
up to date with `refresh_from_postgres`, which the dashboard and the reports call first.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from leadtrack.settings import Settings, marts_path

if TYPE_CHECKING:
    from leadtrack.dbt import BuildResult

log = logging.getLogger(__name__)
_scratch_numbers = itertools.count()


def prepare_build(settings: Settings) -> Path | None:
    """Before dbt builds. On DuckDB: the new file dbt builds the marts into (pass it to
    `run_dbt` as `publishing`), under a temporary name beside the published file. On
    PostgreSQL: start the marts from an empty `marts__building`
    (`leadtrack.postgres.discard_unfinished_build`); None."""
    if settings.target == "postgres":
        from leadtrack.postgres import (
            check_letter_case,
            connect,
            discard_unfinished_build,
            scrubbed,
        )

        with scrubbed(builder=True), connect(autocommit=True) as pg:
            check_letter_case(pg)
            discard_unfinished_build(pg)
        return None
    target = marts_path(settings.warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_scratch(target)
    scratch = _scratch(target)
    discard_build(scratch)
    # Made here, so that a disk or folder that cannot take it fails with DuckDB's error in
    # this process (`leadtrack build` names the problem), not inside dbt.
    try:
        duckdb.connect(str(scratch)).close()
    except BaseException:
        discard_build(scratch)
        raise
    return scratch


def publish_build(settings: Settings, publishing: Path | None) -> Path:
    """Publish the build dbt just finished and tested; the published file's path. On DuckDB,
    the file it built the marts into (`publishing`) replaces the published file in one
    rename. On PostgreSQL, make the build the marts (all of them at once), then copy them:
    raises `LocalCopyFailed` when the build is PostgreSQL's marts but the copy failed."""
    if settings.target == "postgres":
        from leadtrack.postgres import (
            LocalCopyFailed,
            PostgresError,
            connect,
            promote_build,
            reader_role,
            scrubbed,
        )

        with scrubbed(builder=True), connect(autocommit=True) as pg:
            promote_build(pg, reader_role())
        try:
            return publish_from_postgres(settings.warehouse)
        except PostgresError as error:
            raise LocalCopyFailed(str(error)) from None
    if publishing is None or not _holds_marts(publishing):
        raise RuntimeError(f"{settings.warehouse} has no marts to publish: run leadtrack build")
    target = marts_path(settings.warehouse)
    os.replace(publishing, target)
    return target


def _holds_marts(path: Path) -> bool:
    """Whether `path` is a DuckDB file with the marts and the catalogue in it."""
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        (schemas,) = con.execute(
            "select count(distinct table_schema) from information_schema.tables"
            " where table_schema = 'marts'"
            " or (table_schema = 'staging' and table_name = 'stg_milestone_catalogue')"
        ).fetchone()
    return schemas == 2


def discard_build(publishing: Path | None) -> None:
    """Delete the marts of a build that is not published (it failed, or it was replaced)."""
    if publishing is not None:
        for path in (publishing, publishing.with_name(publishing.name + ".wal")):
            path.unlink(missing_ok=True)


def build_and_publish(
    settings: Settings, command: Sequence[str], **options: Any
) -> tuple[BuildResult, Path | None]:
    """Run a dbt build (`run_dbt` with `options`) and publish it if it passed; dbt's result,
    and the published file's path (None when the build failed and nothing was published).
    On PostgreSQL, a build published there whose local copy failed raises `LocalCopyFailed`
    holding dbt's result."""
    from leadtrack.dbt import run_dbt
    from leadtrack.postgres import LocalCopyFailed

    publishing = prepare_build(settings)
    try:
        result = run_dbt(settings, list(command), publishing=publishing, **options)
        if not result.ok:
            return result, None
        try:
            return result, publish_build(settings, publishing)
        except LocalCopyFailed as failed:
            failed.result = result
            raise
    finally:
        discard_build(publishing)


@contextmanager
def published_copy(settings: Settings) -> Iterator[Path]:
    """A temporary copy of the published file (an empty name when nothing is published yet),
    deleted on exit, for a dbt command that reads the marts without building them (`dbt docs
    generate`): dbt attaches its file for writing, which would shut the dashboard out of the
    published one."""
    target = marts_path(settings.warehouse)
    copy = _scratch(target)
    try:
        if target.exists():
            shutil.copyfile(target, copy)
        yield copy
    finally:
        discard_build(copy)


def _scratch(target: Path) -> Path:
    """A new temporary name beside `target`, this process's own (its id first, for
    `_remove_abandoned_scratch`)."""
    unique = f"{os.getpid()}.{threading.get_ident()}.{next(_scratch_numbers)}"
    return target.with_name(f".{target.name}.{unique}.tmp")


def _swap_in(target: Path, fill: Callable[[Path], None]) -> Path:
    """Write a new published file under a temporary name, then rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = _scratch(target)
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
    """Delete the temporary files of builds and publishes whose process died (killed), so
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


# A copy that a build overtook is started again, this many times at most.
SNAPSHOT_ATTEMPTS = 5


class _Overtaken(Exception):
    """A build was promoted while the marts were being copied."""


def publish_from_postgres(warehouse: Path) -> Path:
    """Copy PostgreSQL's marts (read with the reader role, in one snapshot) into the published
    file beside `warehouse`; its path. The copy is one whole build: it reads the build stamp
    in the snapshot and again after copying, and copies again if a build was promoted
    meanwhile (a copy that mixed two builds is never published)."""
    from leadtrack.postgres import PostgresError, connect, current_build, reader_conninfo, scrubbed

    target = marts_path(warehouse)
    copied: list[str | None] = []

    def fill(scratch: Path) -> None:
        build = _copy_marts(scratch)
        with scrubbed(), connect(reader_conninfo(), autocommit=True) as pg:
            if build is None or build != current_build(pg):
                raise _Overtaken
        copied.append(build)

    for _ in range(SNAPSHOT_ATTEMPTS):
        try:
            _swap_in(target, fill)
        except _Overtaken:
            continue
        _remember_build(target, copied[-1])
        return target
    raise PostgresError(
        f"the marts changed during each of {SNAPSHOT_ATTEMPTS} copies (builds back to back):"
        " run the command again once the builds are done"
    )


# The marts whose rows a DuckDB build writes in an order its readers' filters skip by (each
# model's final `order by`): the Lead page reads one lead's calls from a row group or two,
# and the lead search and the pipeline's lists likewise. PostgreSQL's tables keep no order,
# so the copy writes them in it again.
COPY_ORDER = {
    "calls": "lead_id",
    "lead_search": "client_lower, contact_lower, lead_id",
    "lead_stage_history": "milestone_order asc, created_date desc, lead_id asc",
}


def _copy_marts(scratch: Path) -> str | None:
    """Copy the marts, as one repeatable-read snapshot sees them, into the DuckDB file
    `scratch` (the catalogue as `staging.stg_milestone_catalogue`, where every reader looks for
    it); the build stamp that snapshot saw."""
    from psycopg import IsolationLevel, sql

    from leadtrack.postgres import CATALOGUE, MARTS, STAMP, connect, reader_conninfo, scrubbed

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
        # The first statement fixes the snapshot; the stamp says which build it holds.
        columns = pg.execute(
            "select table_name, column_name, data_type, numeric_precision, numeric_scale"
            " from information_schema.columns where table_schema = %s"
            " order by table_name, ordinal_position",
            [MARTS],
        ).fetchall()
        relations: dict[str, list[tuple[str, str]]] = {}
        for name, column, data_type, precision, scale in columns:
            relations.setdefault(name, []).append(
                (column, _duckdb_type(data_type, precision, scale))
            )
        if STAMP not in relations:
            raise RuntimeError("PostgreSQL has no marts to publish: run leadtrack build")
        stamp = pg.execute(sql.SQL("select build_id from {}").format(sql.Identifier(MARTS, STAMP)))
        build = (stamp.fetchone() or [None])[0]
        out.execute("create schema marts")
        out.execute("create schema staging")
        csv = Path(folder) / "relation.csv"
        for name, typed in relations.items():
            names = [column for column, _ in typed]
            statement = sql.SQL("copy (select {} from {}) to stdout (format csv)").format(
                sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(MARTS, name)
            )
            with pg.cursor() as cursor, cursor.copy(statement) as copy, csv.open("wb") as f:
                for chunk in copy:
                    f.write(chunk)
            local = (
                '"staging"."stg_milestone_catalogue"' if name == CATALOGUE else f'"marts"."{name}"'
            )
            spec = ", ".join(f"'{column}': '{kind}'" for column, kind in typed)
            out.execute(
                f"create table {local} as select * from read_csv("
                f"'{csv}', header = false, auto_detect = false, columns = {{{spec}}},"
                " allow_quoted_nulls = false)"
                + (f" order by {COPY_ORDER[name]}" if name in COPY_ORDER else "")
            )
    return build


# --- keeping a machine's copy up to date ------------------------------------------------------

# How often one process asks PostgreSQL whether a newer build exists (each page view asks;
# views within this many seconds of each other share one answer).
CHECK_EVERY_SECONDS = 1.0
_checks = threading.Lock()
_last_check: dict[Path, tuple[float, str | None]] = {}
_stamp_connection: list = []


def _stamp_file(target: Path) -> Path:
    return target.with_name(f".{target.name}.build")


def _remember_build(target: Path, build: str | None) -> None:
    """Note which build the published file holds, tied to that very file (its inode and
    modification time): a file replaced since is not mistaken for this build."""
    status = target.stat()
    note = {"build_id": build, "inode": status.st_ino, "mtime_ns": status.st_mtime_ns}
    scratch = _stamp_file(target).with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    scratch.write_text(json.dumps(note))
    os.replace(scratch, _stamp_file(target))


def local_build(target: Path) -> str | None:
    """The build id the published file holds, when it is a copy from PostgreSQL; else None."""
    try:
        note = json.loads(_stamp_file(target).read_text())
        status = target.stat()
    except (OSError, ValueError):
        return None
    if (note.get("inode"), note.get("mtime_ns")) != (status.st_ino, status.st_mtime_ns):
        return None
    return note.get("build_id")


def _remote_build() -> str | None:
    """The build id PostgreSQL's marts hold now, over one reader connection kept per process."""
    from leadtrack.postgres import connect, current_build, reader_conninfo, scrubbed

    with _checks:
        for attempt in range(2):
            if not _stamp_connection:
                _stamp_connection.append(connect(reader_conninfo(), autocommit=True))
            try:
                with scrubbed():
                    return current_build(_stamp_connection[0])
            except Exception:
                _stamp_connection.pop().close()
                if attempt:
                    raise
    return None  # not reached


@dataclass(frozen=True)
class Refreshed:
    """What `refresh_copy` did: the published file's path, and why it could not be brought up
    to date (None: it holds PostgreSQL's latest build, or another process is fetching it)."""

    path: Path
    problem: str | None = None


def refresh_from_postgres(settings: Settings) -> Path:
    """The published marts of `settings`, first refreshed from PostgreSQL when its marts hold
    a newer build than the local copy (on DuckDB: just the path). Cheap when nothing changed
    (one one-row query, at most once a second per process): call it on every page view.

    Never waits for another refresh when a copy exists (it keeps serving the build it has) and
    never fails when a copy exists (an unreachable server leaves the last build in place,
    logged); raises `PostgresError` only when there is no copy to show and none can be made.
    """
    refreshed = refresh_copy(settings)
    if refreshed.problem:
        log.warning("kept the marts of the last build: %s", refreshed.problem)
    return refreshed.path


def refresh_copy(settings: Settings) -> Refreshed:
    """`refresh_from_postgres`, saying rather than logging why a copy it kept could not be
    brought up to date (it may then be out of date: see `copy_built_at`)."""
    target = settings.marts
    if settings.target != "postgres":
        return Refreshed(target)
    from leadtrack.postgres import PostgresError

    have = target.exists()
    now = time.monotonic()
    last = _last_check.get(target)
    if have and last and now - last[0] < CHECK_EVERY_SECONDS and last[1] == local_build(target):
        return Refreshed(target)
    try:
        remote = _remote_build()
        _last_check[target] = (now, remote)
        if remote is None:
            if have:
                return Refreshed(target)
            raise PostgresError(
                "the shared warehouse has no built marts yet: load exports and run"
                " leadtrack --target postgres build"
            )
        if remote == local_build(target):
            return Refreshed(target)
        with _refresh_lock(target, wait=not have) as mine:
            if mine and remote != local_build(target):
                publish_from_postgres(settings.warehouse)
                log.info("refreshed %s from PostgreSQL (build %s)", target, local_build(target))
    except (PostgresError, RuntimeError) as error:
        if not have:
            raise PostgresError(str(error)) from None
        return Refreshed(target, str(error))
    return Refreshed(target)


def copy_built_at(target: Path) -> datetime | None:
    """When the build a published file holds was built (this machine's local time), from
    its build stamp; None for a file without one (a DuckDB build) or that cannot be read."""
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            row = con.execute(
                "select cast(max(built_at) as timestamp) from marts.build_stamp"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


class _refresh_lock:
    """An exclusive lock on refreshing one published file, across threads and processes;
    `wait=False` gives up at once when another holds it (entering yields False)."""

    def __init__(self, target: Path, wait: bool) -> None:
        self.path = target.with_name(f".{target.name}.lock")
        self.wait = wait

    def __enter__(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.file.close()
            self.file = None
            return False
        return True

    def __exit__(self, *exc) -> None:
        if self.file is not None:
            self.file.close()  # releases the lock
