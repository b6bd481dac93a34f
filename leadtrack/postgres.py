"""PostgreSQL, the shared team warehouse: connections from the environment, never from files.

The builder (ingest and dbt) connects with `LEADTRACK_POSTGRES_URL`, else libpq's own `PG*`
variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`). Readers (the publish copy
that the dashboard and reports read) connect with `LEADTRACK_POSTGRES_READER_URL`, a role that
can only select the marts; without it they use the builder's connection.

Whole builds only: dbt builds the marts into the schema `marts__building` (see
`macros/generate_schema_name.sql`); `promote_build` then adds the build's stamp and the
milestone catalogue to it and renames it to `marts` in one transaction, granting the reader.
A reader that reads the stamp before and after copying the marts knows it copied one build.

No password is ever printed: every error that leaves this module goes through `scrub`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

BUILDER_URL = "LEADTRACK_POSTGRES_URL"
READER_URL = "LEADTRACK_POSTGRES_READER_URL"
# dbt scrubs the values of variables named DBT_ENV_SECRET_* from its logs and errors.
DBT_PASSWORD = "DBT_ENV_SECRET_LEADTRACK_PG_PASSWORD"
MARTS = "marts"
BUILDING = "marts__building"  # where dbt builds the marts on PostgreSQL
PREVIOUS = "marts__previous"  # the build before, until its last reader is done
# Added to each build's marts when it is promoted: its stamp (one row), and the milestone
# catalogue the build used, so a reader needs the marts and nothing else.
STAMP = "build_stamp"
CATALOGUE = "milestone_catalogue"
CATALOGUE_SOURCE = ("staging", "stg_milestone_catalogue")
# The advisory lock a build holds for its whole run (exclusive), and each load's transaction
# takes shared: one build at a time, and no load commits rows while a build reads raw.
BUILD_LOCK = "hashtext('leadtrack build')"
# How long a connection may take to open before it is an error (dbt-postgres waits as long).
CONNECT_TIMEOUT_SECONDS = 10


class PostgresError(Exception):
    """PostgreSQL could not be reached or refused; the message holds no password."""


class LocalCopyFailed(PostgresError):
    """A build is PostgreSQL's marts now, but copying them into the local published file (as
    the reader role) failed: `reason` says why, without any password; `result` is the build's
    dbt result, where known."""

    def __init__(self, reason: str, result: object = None) -> None:
        super().__init__(
            "the build was published in PostgreSQL, but copying its marts here failed: " + reason
        )
        self.reason = reason
        self.result = result


def builder_conninfo() -> str:
    """The builder's connection string (empty: libpq reads the PG* variables)."""
    return os.environ.get(BUILDER_URL, "")


def reader_conninfo() -> str:
    """The read-only reader's connection string, else the builder's."""
    return os.environ.get(READER_URL) or builder_conninfo()


def _passwords() -> list[str]:
    found = [os.environ.get("PGPASSWORD", "")]
    for variable in (BUILDER_URL, READER_URL):
        value = os.environ.get(variable)
        if value:
            try:
                found.append(conninfo_to_dict(value).get("password") or "")
            except psycopg.Error:
                # Unparseable: hide everything between "://user:" and "@" by hand.
                if "://" in value and "@" in value:
                    credentials = value.split("://", 1)[1].rsplit("@", 1)[0]
                    found.append(credentials.partition(":")[2])
    return sorted({password for password in found if password}, key=len, reverse=True)


def scrub(text: str) -> str:
    """`text` with every configured password replaced by `***`."""
    for password in _passwords():
        text = text.replace(password, "***")
    return text


def connect(conninfo: str | None = None, **options) -> psycopg.Connection:
    """A connection (the builder's unless given); connection errors carry no password. It
    gives up after CONNECT_TIMEOUT_SECONDS unless the URL or PGCONNECT_TIMEOUT says
    otherwise: libpq's own default is to wait for ever on a server that accepted the
    connection and never answers, and the dashboard's refresh would never be retried."""
    try:
        url = builder_conninfo() if conninfo is None else conninfo
        if "connect_timeout" not in conninfo_to_dict(url) and not os.environ.get(
            "PGCONNECT_TIMEOUT"
        ):
            options.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        return psycopg.connect(url, application_name="leadtrack", **options)
    except psycopg.Error as error:
        detail = scrub(str(error)).strip()
        if conninfo is None and not os.environ.get(BUILDER_URL) and os.environ.get(READER_URL):
            first = detail.splitlines()[0] if detail else type(error).__name__
            raise PostgresError(
                f"{BUILDER_URL} is not set, only the reader's {READER_URL}: this command"
                f" (load, build, status, rejects) needs the builder's connection, so set"
                f" {BUILDER_URL}; with the reader's connection, use leadtrack dashboard and"
                f" leadtrack report (without it, libpq's defaults were tried: {first})"
            ) from None
        raise PostgresError(f"could not connect to PostgreSQL: {detail}") from None


@contextmanager
def scrubbed(builder: bool = False) -> Iterator[None]:
    """Re-raise PostgreSQL errors as `PostgresError` without any password in them. `builder`:
    the builder's connection, whose permission errors say which role it is (the reader's,
    usually, which cannot load or build)."""
    try:
        yield
    except psycopg.Error as error:
        message = scrub(str(error)).strip()
        hint = builder_role_hint(error) if builder else ""
        if hint:  # the error's first line (no "LINE 1: select ..." under it), then the hint
            message = message.splitlines()[0] + hint
        raise PostgresError(message) from None


def builder_role_hint(error: BaseException) -> str:
    """For a permission error on the builder's connection: which role it connected as and
    that loads and builds need the builder's role (else an empty string)."""
    if not isinstance(error, psycopg.errors.InsufficientPrivilege):
        return ""
    params = conninfo_to_dict(builder_conninfo())
    role = params.get("user") or os.environ.get("PGUSER") or os.environ.get("USER", "postgres")
    if role == reader_role():
        who = f"{BUILDER_URL} connects as {role}, the reader role ({READER_URL}'s)"
    else:
        who = f"{BUILDER_URL} connects as {role}: is it the reader role? That role"
    return (
        f": {who}, which can read the marts only and cannot load or build. Set {BUILDER_URL}"
        " to the builder's role, which owns raw and the models; with the reader's connection,"
        " use leadtrack dashboard and leadtrack report"
    )


def dbt_environment() -> dict[str, str]:
    """The variables `profiles.yml`'s postgres output reads, from the builder's connection."""
    params = conninfo_to_dict(builder_conninfo())
    env = os.environ

    def pick(key: str, variable: str, default: str) -> str:
        return str(params.get(key) or env.get(variable) or default)

    return {
        "LEADTRACK_PG_HOST": pick("host", "PGHOST", "localhost"),
        "LEADTRACK_PG_PORT": pick("port", "PGPORT", "5432"),
        "LEADTRACK_PG_USER": pick("user", "PGUSER", env.get("USER", "postgres")),
        "LEADTRACK_PG_DATABASE": pick("dbname", "PGDATABASE", "leadtrack"),
        DBT_PASSWORD: pick("password", "PGPASSWORD", ""),
    }


def describe(conninfo: str | None = None) -> str:
    """Which database a connection string (the builder's unless given) names, without any
    password: for titles and messages."""
    params = conninfo_to_dict(builder_conninfo() if conninfo is None else conninfo)
    env = os.environ
    host = params.get("host") or env.get("PGHOST") or "localhost"
    port = params.get("port") or env.get("PGPORT") or "5432"
    database = params.get("dbname") or env.get("PGDATABASE") or "leadtrack"
    return f"PostgreSQL database {database} on {host}:{port}"


def reader_address() -> tuple[str, str, str, str]:
    """The host, port, database and role of the reader's connection (with libpq's
    defaults), for messages."""
    params = conninfo_to_dict(reader_conninfo())
    env = os.environ
    return (
        str(params.get("host") or env.get("PGHOST") or "localhost"),
        str(params.get("port") or env.get("PGPORT") or "5432"),
        str(params.get("dbname") or env.get("PGDATABASE") or "leadtrack"),
        str(params.get("user") or env.get("PGUSER") or env.get("USER", "postgres")),
    )


def reader_role() -> str | None:
    """The role of the reader's connection, when one of its own is configured."""
    if not os.environ.get(READER_URL):
        return None
    return conninfo_to_dict(os.environ[READER_URL]).get("user") or None


def grant_reader(con: psycopg.Connection, role: str, schema: str = MARTS) -> None:
    """Let `role` select the tables of `schema` (the marts), and nothing else."""
    who, where = sql.Identifier(role), sql.Identifier(schema)
    con.execute(sql.SQL("grant usage on schema {} to {}").format(where, who))
    con.execute(sql.SQL("grant select on all tables in schema {} to {}").format(where, who))


def _schema_exists(con: psycopg.Connection, name: str) -> bool:
    return (
        con.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone() is not None
    )


def check_letter_case(con: psycopg.Connection) -> None:
    """Refuse a database whose LC_CTYPE lower-cases only ASCII letters (C, POSIX): the models
    match consultants by their lower-cased names, so `ZOË ELLIS` and `Zoë Ellis` would be two
    consultants there and one on DuckDB, and the marts would be wrong without a word."""
    sample = "ZOË SIOBHÁN ŁUKASZ"
    (lowered, ctype, database) = con.execute(
        "select lower(%s), datctype, current_database() from pg_database"
        " where datname = current_database()",
        [sample],
    ).fetchone()
    if lowered != sample.lower():
        raise PostgresError(
            f"the PostgreSQL database {database} was created with LC_CTYPE {ctype}, whose"
            " lower() leaves letters such as Ë, Á and Ł as they are, so a consultant written"
            " ZOË ELLIS in one export and Zoë Ellis in another would count as two: have it"
            f" created again with a UTF-8 one (create database {database} owner ... template"
            " template0 encoding 'UTF8' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'), load the"
            " exports into it and build; nothing was built"
        )


def discard_unfinished_build(con: psycopg.Connection) -> None:
    """Drop what a failed build left in `marts__building`, before the next build starts: dbt
    only replaces the relations it builds, so a table of a model since removed would
    otherwise be promoted with the next build's marts."""
    with con.transaction():
        con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(BUILDING)))


def promote_build(con: psycopg.Connection, reader: str | None) -> str | None:
    """Make the marts dbt just built (in `marts__building`) the marts, in one transaction:
    stamp them, add the milestone catalogue, grant `reader`, rename the schemas (its views
    are first made tables: see `_freeze_views`). Returns the new build's id, or None when
    there is no new build (the marts stay as they are).

    A reader mid-copy keeps the tables it has opened; the old build is dropped once it is
    done (the drop waits for it, new readers do not)."""
    from uuid import uuid4

    build_id = uuid4().hex
    building = sql.Identifier(BUILDING)
    if not _schema_exists(con, BUILDING):
        return None
    _freeze_views(con)
    with con.transaction():
        for name, query in (
            (CATALOGUE, sql.SQL("select * from {}").format(sql.Identifier(*CATALOGUE_SOURCE))),
            (
                STAMP,
                sql.SQL("select {}::text as build_id, now() as built_at").format(
                    sql.Literal(build_id)
                ),
            ),
        ):
            table = sql.Identifier(BUILDING, name)
            con.execute(sql.SQL("drop table if exists {}").format(table))
            con.execute(sql.SQL("create table {} as {}").format(table, query))
        con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
        if _schema_exists(con, MARTS):
            con.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(MARTS), sql.Identifier(PREVIOUS)
                )
            )
        con.execute(sql.SQL("alter schema {} rename to {}").format(building, sql.Identifier(MARTS)))
        if reader:
            grant_reader(con, reader)
    with con.transaction():
        con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
    return build_id


def _freeze_views(con: psycopg.Connection) -> None:
    """Turn the marts that dbt made views (over staging tables that the next build updates in
    place) into tables of their rows now, which the build's tests checked: a build's marts
    must not change under a reader while the next build runs."""
    with con.transaction():
        views = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.views where table_schema = %s",
                [BUILDING],
            )
        ]
        for name in views:
            con.execute(
                sql.SQL("create table {} as select * from {}").format(
                    sql.Identifier(BUILDING, f"{name}__frozen"), sql.Identifier(BUILDING, name)
                )
            )
        for name in views:
            con.execute(
                sql.SQL("drop view if exists {} cascade").format(sql.Identifier(BUILDING, name))
            )
            con.execute(
                sql.SQL("alter table {} rename to {}").format(
                    sql.Identifier(BUILDING, f"{name}__frozen"), sql.Identifier(name)
                )
            )


def current_build(con: psycopg.Connection) -> str | None:
    """The id of the build the marts hold now (None: no marts yet). One row of one table:
    cheap enough to ask on every page view."""
    try:
        row = con.execute(
            sql.SQL("select build_id from {}").format(sql.Identifier(MARTS, STAMP))
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        if not con.autocommit:
            con.rollback()
        return None
    return row[0] if row else None


@contextmanager
def build_lock(on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse's build lock: one build (and its publish) at a time per database.
    When the lock is not free at once, `on_wait` is called with what holds it ("build": another
    build; "load": loads under way, which hold it shared) before waiting for it."""
    con = connect(autocommit=True)
    try:
        with scrubbed():
            (free,) = con.execute(f"select pg_try_advisory_lock({BUILD_LOCK})").fetchone()
            if not free:
                if on_wait:
                    on_wait(_build_lock_holder(con))
                con.execute(f"select pg_advisory_lock({BUILD_LOCK})")
        yield
    finally:
        con.close()


def _build_lock_holder(con: psycopg.Connection) -> str:
    """ "build" when another session holds the build lock exclusively (a build), else "load"
    (loads take it shared for their transactions, and then a shared try succeeds)."""
    (shared,) = con.execute(f"select pg_try_advisory_lock_shared({BUILD_LOCK})").fetchone()
    if shared:
        con.execute(f"select pg_advisory_unlock_shared({BUILD_LOCK})")
        return "load"
    return "build"


def load_summary():
    """`leadtrack.warehouse.load_summary` for the builder's PostgreSQL warehouse."""
    from leadtrack.warehouse import RAW_DATA_TABLES, LoadSummary

    with scrubbed(builder=True), connect(autocommit=True) as con:
        if not _schema_exists(con, "raw"):
            raise PostgresError(
                "the PostgreSQL warehouse has no raw schema yet: load some exports first"
                " (leadtrack --target postgres load PATH)"
            )
        loads = _dicts(con, "select * from raw.loads where kind <> 'catalogue' order by load_id")
        table_rows = {
            table: con.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier("raw", table))
            ).fetchone()[0]
            for table in RAW_DATA_TABLES
        }
        rejected = con.execute("select count(*) from raw.rejected_rows").fetchone()[0]
    return LoadSummary(loads, table_rows, rejected)


def rejected_rows(load_id: int | None, limit: int) -> list[dict]:
    """`leadtrack.warehouse.rejected_rows` for the builder's PostgreSQL warehouse."""
    with scrubbed(builder=True), connect(autocommit=True) as con:
        if not _schema_exists(con, "raw"):
            return []
        return _dicts(
            con,
            "select rejected.load_id, loads.file_name, rejected.source_row, rejected.reason,"
            " rejected.record from raw.rejected_rows as rejected"
            " join raw.loads as loads on loads.load_id = rejected.load_id"
            " where %(load)s::bigint is null or rejected.load_id = %(load)s"
            " order by rejected.load_id desc, rejected.source_row limit %(limit)s",
            {"load": load_id, "limit": limit},
        )


def _dicts(con: psycopg.Connection, query: str, params: dict | None = None) -> list[dict]:
    cursor = con.execute(query, params)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
