"""A throwaway PostgreSQL server, for the tests and the benchmark when none is configured.

`initdb` in a temporary folder and `pg_ctl` on a free loopback port (as the `postgres` user
when run as root, which initdb refuses to be); password authentication over TCP with a
random password, which lives only in the returned URL. Stopped and deleted on leaving.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on the PATH, else Debian's newest version."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ThrowawayServer:
    """A running server: its superuser's URL (`lt_admin`, database `postgres`) and data folder."""

    admin_url: str
    data: Path
    bin_dir: Path
    as_user: tuple[str, ...]

    @property
    def postmaster_pid(self) -> int | None:
        """The server's main process (its CPU time includes that of its ended backends)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pg_ctl(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), *arguments],
            check=False,
            capture_output=True,
        )


@contextmanager
def throwaway_server(bin_dir: Path | None = None) -> Iterator[ThrowawayServer]:
    """Start a throwaway server; stop it and delete its files on leaving."""
    bin_dir = bin_dir or postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        as_user = ("runuser", "-u", "postgres", "--")
    root = Path(tempfile.mkdtemp(prefix="leadtrack-pg-"))
    password = secrets.token_hex(12)
    (root / "pw").write_text(password)
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    data, port = root / "data", _free_port()
    server = ThrowawayServer(
        f"postgresql://lt_admin:{password}@127.0.0.1:{port}/postgres", data, bin_dir, as_user
    )
    try:
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "lt_admin",
                f"--pwfile={root / 'pw'}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
        )
        (root / "pw").unlink()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = server.pg_ctl("-l", str(root / "log"), "-o", options, "-w", "start")
        if started.returncode != 0:
            raise RuntimeError(
                "the throwaway PostgreSQL did not start: "
                + started.stderr.decode(errors="replace").strip()
            )
        yield server
    finally:
        server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


# A UTF-8 LC_CTYPE, as leadtrack needs (`leadtrack.postgres.check_letter_case`): the first
# of these the server's system has.
UTF8_LOCALES = ("C.UTF-8", "C.utf8", "en_US.UTF-8", "en_GB.UTF-8")


def create_database(
    admin_url: str, name: str, reader: str, reader_password: str, locale: str | None = None
) -> None:
    """A database `name` (in a UTF-8 locale, unless `locale` names another) and a login role
    `reader` that may connect to it (and, until a build grants it the marts, nothing more)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as admin:
        for candidate in (locale,) if locale else UTF8_LOCALES:
            try:
                admin.execute(
                    sql.SQL(
                        "create database {} template template0 encoding 'UTF8'"
                        " lc_collate {} lc_ctype {}"
                    ).format(sql.Identifier(name), sql.Literal(candidate), sql.Literal(candidate))
                )
                break
            except psycopg.errors.InvalidParameterValue:
                if locale or candidate == UTF8_LOCALES[-1]:
                    raise
        admin.execute(
            sql.SQL("create role {} login password {}").format(
                sql.Identifier(reader), sql.Literal(reader_password)
            )
        )
        admin.execute(
            sql.SQL("grant connect on database {} to {}").format(
                sql.Identifier(name), sql.Identifier(reader)
            )
        )


def drop_database(admin_url: str, name: str, reader: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(reader)))


def database_urls(admin_url: str, name: str, reader: str, reader_password: str) -> tuple[str, str]:
    """The builder's URL (the admin, on database `name`) and the reader's."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(admin_url)
    url = make_conninfo(admin_url, dbname=name)
    reader_url = make_conninfo(
        "",
        host=params.get("host"),
        port=params.get("port"),
        dbname=name,
        user=reader,
        password=reader_password,
    )
    return url, reader_url
