"""PostgreSQL, the shared team warehouse: connections from the environment, never from files.

The builder (ingest and dbt) connects with `LEADTRACK_POSTGRES_URL`, else libpq's own `PG*`
variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`). Readers (the publish copy
that the dashboard and reports read) connect with `LEADTRACK_POSTGRES_READER_URL`, a role that
can only select the marts; without it they use the builder's connection.

No password is ever printed: every error that leaves this module goes through `scrub`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

BUILDER_URL = "LEADTRACK_POSTGRES_URL"
READER_URL = "LEADTRACK_POSTGRES_READER_URL"
# dbt scrubs the values of variables named DBT_ENV_SECRET_* from its logs and errors.
DBT_PASSWORD = "DBT_ENV_SECRET_LEADTRACK_PG_PASSWORD"
# The relations readers may use: every mart, and the catalogue that orders and labels them.
READER_SCHEMAS = ("marts", "staging")
READER_CATALOGUE = "staging.stg_milestone_catalogue"


class PostgresError(Exception):
    """PostgreSQL could not be reached or refused; the message holds no password."""


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
    """A connection (the builder's unless given); connection errors carry no password."""
    try:
        return psycopg.connect(
            builder_conninfo() if conninfo is None else conninfo,
            application_name="leadtrack",
            **options,
        )
    except psycopg.Error as error:
        raise PostgresError(
            f"could not connect to PostgreSQL: {scrub(str(error)).strip()}"
        ) from None


@contextmanager
def scrubbed() -> Iterator[None]:
    """Re-raise PostgreSQL errors as `PostgresError` without any password in them."""
    try:
        yield
    except psycopg.Error as error:
        raise PostgresError(scrub(str(error)).strip()) from None


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


def reader_role() -> str | None:
    """The role of the reader's connection, when one of its own is configured."""
    if not os.environ.get(READER_URL):
        return None
    return conninfo_to_dict(os.environ[READER_URL]).get("user") or None


def grant_reader(con: psycopg.Connection, role: str) -> None:
    """Let `role` select the marts and the milestone catalogue, and nothing else. Run after
    each build: dbt replaces the tables it builds, and with them their grants."""
    who = sql.Identifier(role)
    with con.transaction():
        for schema in READER_SCHEMAS:
            con.execute(
                sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), who)
            )
        con.execute(sql.SQL("grant select on all tables in schema marts to {}").format(who))
        con.execute(
            sql.SQL("grant select on {} to {}").format(
                sql.Identifier(*READER_CATALOGUE.split(".")), who
            )
        )


@contextmanager
def build_lock() -> Iterator[None]:
    """Hold the warehouse's build lock: one build (and its publish) at a time per database."""
    con = connect(autocommit=True)
    try:
        with scrubbed():
            con.execute("select pg_advisory_lock(hashtext('leadtrack build'))")
        yield
    finally:
        con.close()
