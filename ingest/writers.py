"""Where checked rows go: the raw schema of a DuckDB file, or of a PostgreSQL database.

Every file is read and checked in DuckDB (`checks`, the connection the loader works in); a
writer only receives the results as DuckDB queries over that connection and writes them into
`raw.*` in one transaction per file. Both writers keep the same promises: load ids increase,
a file whose content was loaded (read the same way) is not loaded again, and a failure writes
nothing.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from ingest.schema import create_raw_schema
from ingest.source import sql_literal

if TYPE_CHECKING:
    import psycopg

COPY_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class LoadOptions:
    """How a file was asked to be read: the same content read another way (another sheet,
    kind, mapping or date order) is another load."""

    sheet: str | None = None
    # The kind asked for; None: detected, and any kind loaded before matches.
    kind: str | None = None
    mapping: str | None = None
    dayfirst: bool = True


def _previous_load(sha: str, options: LoadOptions, placeholder: str) -> tuple[str, list]:
    """The query for `RawWriter.previous_load` and its parameters. A load made before the
    date order was recorded counts as day first, the default."""
    p = placeholder
    query = (
        f"select load_id, kind from raw.loads where file_sha256 = {p} and status = 'loaded'"
        f" and sheet is not distinct from {p} and mapping is not distinct from {p}"
        f" and coalesce(dayfirst, true) = {p} and (cast({p} as varchar) is null or kind = {p})"
        " order by load_id limit 1"
    )
    return query, [
        sha,
        options.sheet,
        options.mapping,
        options.dayfirst,
        options.kind,
        options.kind,
    ]


class RawWriter(Protocol):
    """The raw schema ingest writes to."""

    checks: duckdb.DuckDBPyConnection

    def previous_load(self, sha: str, options: LoadOptions) -> tuple[int, str] | None:
        """The load id and kind of a successful load of this content read this way, if any."""

    def latest_catalogue_sha(self) -> str | None:
        """The content hash of the milestone catalogue loaded last."""

    def fetch(self, query: str) -> list[tuple]:
        """The rows of a query on `raw` (SQL both engines run, without parameters)."""

    def transaction(self) -> AbstractContextManager[int]:
        """One transaction, yielding the new load's id; commits on a clean exit."""

    def insert(self, table: str, select: str, params: Sequence[Any] = ()) -> int:
        """Append the rows of a query on `checks` (named like the table's columns) to
        `raw.<table>`, inside the current transaction; how many rows."""

    def close(self) -> None: ...


class DuckDBWriter:
    """The raw schema of the DuckDB warehouse file, which is also where the checks run."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.checks = con

    def previous_load(self, sha: str, options: LoadOptions) -> tuple[int, str] | None:
        rows = self.checks.execute(*_previous_load(sha, options, "?")).fetchall()
        return rows[0] if rows else None

    def latest_catalogue_sha(self) -> str | None:
        rows = self.checks.execute(
            "select file_sha256 from raw.loads where kind = 'catalogue'"
            " order by load_id desc limit 1"
        ).fetchall()
        return rows[0][0] if rows else None

    def fetch(self, query: str) -> list[tuple]:
        return self.checks.execute(query).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[int]:
        self.checks.begin()
        try:
            (load_id,) = self.checks.execute(
                "select coalesce(max(load_id), 0) + 1 from raw.loads"
            ).fetchone()
            yield load_id
            self.checks.commit()
        except BaseException:
            self.checks.rollback()
            raise

    def insert(self, table: str, select: str, params: Sequence[Any] = ()) -> int:
        ((rows,),) = self.checks.execute(
            f"insert into raw.{table} by name {select}", list(params)
        ).fetchall()
        return rows

    def close(self) -> None:
        self.checks.close()


class PostgresWriter:
    """The raw schema of a PostgreSQL database; checks run in an in-memory DuckDB.

    Rows travel by COPY: DuckDB writes each result as CSV, PostgreSQL reads it from STDIN.
    A file's load takes `raw.loads` in exclusive mode for its transaction, so concurrent
    loads get distinct ids and the same content is never loaded twice.

    `build_lock`, when given, is the key (SQL) of the advisory lock a build holds for its
    whole run: each file's transaction first takes it shared, so a load waits for a running
    build (whose models read raw in many statements: rows committed between them would give
    a build mixing two states of raw) and a build waits for the loads under way. `on_wait` is
    called when a file's load has to wait. The build's own writer passes none: it holds the
    lock itself.
    """

    def __init__(
        self,
        pg: psycopg.Connection,
        build_lock: str | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        # Autocommit between files, so each `transaction()` is a real BEGIN ... COMMIT rather
        # than a savepoint inside an implicit transaction that nobody commits.
        pg.autocommit = True
        self.pg = pg
        self.build_lock = build_lock
        self.on_wait = on_wait
        self.checks = duckdb.connect()
        self._scratch = tempfile.TemporaryDirectory(prefix="leadtrack-copy-")
        with pg.transaction():
            create_raw_schema(pg)

    def previous_load(self, sha: str, options: LoadOptions) -> tuple[int, str] | None:
        row = self.pg.execute(*_previous_load(sha, options, "%s")).fetchone()
        return (row[0], row[1]) if row else None

    def latest_catalogue_sha(self) -> str | None:
        row = self.pg.execute(
            "select file_sha256 from raw.loads where kind = 'catalogue'"
            " order by load_id desc limit 1"
        ).fetchone()
        return row[0] if row else None

    def fetch(self, query: str) -> list[tuple]:
        return self.pg.execute(query).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[int]:
        with self.pg.transaction():
            if self.build_lock:
                self._wait_for_builds()
            self.pg.execute("lock table raw.loads in exclusive mode")
            (load_id,) = self.pg.execute(
                "select coalesce(max(load_id), 0) + 1 from raw.loads"
            ).fetchone()
            yield load_id

    def _wait_for_builds(self) -> None:
        """Take the build lock shared for this transaction, waiting for a build under way."""
        (free,) = self.pg.execute(
            f"select pg_try_advisory_xact_lock_shared({self.build_lock})"
        ).fetchone()
        if not free:
            if self.on_wait:
                self.on_wait()
            self.pg.execute(f"select pg_advisory_xact_lock_shared({self.build_lock})")

    def insert(self, table: str, select: str, params: Sequence[Any] = ()) -> int:
        from psycopg import sql

        names = [
            column[0]
            for column in self.checks.execute(
                f"select * from ({select}) limit 0", list(params)
            ).description
        ]
        csv = Path(self._scratch.name) / f"{table}.csv"
        ((written,),) = self.checks.execute(
            f"copy ({select}) to {sql_literal(str(csv))} (format csv, header false)",
            list(params),
        ).fetchall()
        statement = sql.SQL("copy raw.{} ({}) from stdin (format csv)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        try:
            with (
                _without_copy_cleanup_warning(),
                self.pg.cursor() as cursor,
                cursor.copy(statement) as copy,
                csv.open("rb") as rows,
            ):
                while chunk := rows.read(COPY_CHUNK_BYTES):
                    copy.write(chunk)
        finally:
            csv.unlink(missing_ok=True)
        return written

    def close(self) -> None:
        self.checks.close()
        self.pg.close()
        self._scratch.cleanup()


class _CopyCleanupWarning(logging.Filter):
    """psycopg's warning that ending a COPY failed too ("error ignored terminating
    <psycopg.Copy [BAD] ...>: the connection is lost"), which it logs only while the error
    that broke the COPY off is being raised. The loader reports that error in one line; with
    no logging configured, Python printed the warning to stderr above it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored terminating")


@contextmanager
def _without_copy_cleanup_warning() -> Iterator[None]:
    psycopg_log = logging.getLogger("psycopg")
    quiet = _CopyCleanupWarning()
    psycopg_log.addFilter(quiet)
    try:
        yield
    finally:
        psycopg_log.removeFilter(quiet)


def as_writer(con: duckdb.DuckDBPyConnection | RawWriter) -> RawWriter:
    """A DuckDB warehouse connection as a writer; a writer as itself."""
    return DuckDBWriter(con) if isinstance(con, duckdb.DuckDBPyConnection) else con
