"""Shared fixtures: each test gets its own warehouse; the demo warehouse is built once per
test process (generate, load, dbt build) and shared read-only."""

from __future__ import annotations

import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ingest.demo import DemoFiles, generate_demo
from ingest.loader import connect, load_files
from leadtrack.dbt import BuildResult, run_dbt
from leadtrack.publish import publish
from leadtrack.settings import DEFAULT_CATALOGUE, Settings, marts_path

DEMO_AS_OF = date(2026, 11, 23)
DEMO_LEADS = 600
DEMO_SEED = 11


@dataclass(frozen=True)
class DemoWarehouse:
    """A warehouse built from the demo agency's exports, and the exports themselves."""

    settings: Settings
    files: DemoFiles
    as_of: date
    build: BuildResult


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh, empty warehouse of this test's own."""
    return Settings(
        warehouse=tmp_path / "warehouse" / "leadtrack.duckdb", catalogue=DEFAULT_CATALOGUE
    )


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    """The demo agency loaded, built with dbt as of DEMO_AS_OF, and published (the dashboard
    and reports read `settings.marts`)."""
    root = tmp_path_factory.mktemp("demo")
    settings = Settings(warehouse=root / "leadtrack.duckdb", catalogue=DEFAULT_CATALOGUE)
    files = generate_demo(root / "exports", leads=DEMO_LEADS, seed=DEMO_SEED, as_of=DEMO_AS_OF)
    con = connect(settings.warehouse)
    load_files(
        con, [files.consultants, files.tracker, files.events, files.calls], settings.catalogue
    )
    con.close()
    build = run_dbt(settings, ["build"], as_of=DEMO_AS_OF, target_path=root / "target")
    assert build.ok, [(node.name, node.message) for node in build.failures] or build.error
    publish(settings.warehouse)
    return DemoWarehouse(settings, files, DEMO_AS_OF, build)


@pytest.fixture(scope="session")
def demo_copy(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo warehouse and its published marts; its path. Tests read the copy:
    dbt, run in the test process, keeps the original open read-write, and DuckDB refuses a
    read-only connection beside that."""
    original = demo_warehouse.settings.warehouse
    copy = tmp_path_factory.mktemp("demo-copy") / original.name
    for source, target in ((original, copy), (marts_path(original), marts_path(copy))):
        for suffix in ("", ".wal"):
            if source.with_name(source.name + suffix).exists():
                shutil.copy(
                    source.with_name(source.name + suffix), target.with_name(target.name + suffix)
                )
    return copy


# --- PostgreSQL -----------------------------------------------------------------------------
# Tests that need PostgreSQL use the server in LEADTRACK_POSTGRES_URL (CI: a role that may
# create databases and roles), else start a throwaway one (initdb in a temporary folder and
# pg_ctl, on a free loopback port, as the `postgres` user when the tests run as root). They
# skip only when the binaries are missing and CI is not "true".


@dataclass(frozen=True)
class PostgresDatabase:
    """A database of one test's own: the builder's URL (owner) and a read-only reader's."""

    url: str
    reader_url: str
    reader_role: str
    reader_password: str
    admin_url: str


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """A connection URL with the right to create databases and roles."""
    import os
    import secrets
    import subprocess
    import tempfile

    configured = os.environ.get("LEADTRACK_POSTGRES_URL")
    if configured:
        yield configured
        return
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not found and LEADTRACK_POSTGRES_URL not set")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="leadtrack-pg-"))
    password = secrets.token_hex(12)
    (root / "pw").write_text(password)
    if as_user:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    data, port = root / "data", _free_port()
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
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            options,
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://lt_admin:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_database(
    postgres_admin: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PostgresDatabase]:
    """A fresh database and reader role, set in the environment as the warehouse's
    connections (LEADTRACK_POSTGRES_URL, LEADTRACK_POSTGRES_READER_URL); dropped after."""
    import secrets

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    suffix = secrets.token_hex(4)
    name, reader, reader_password = f"lt_{suffix}", f"lt_reader_{suffix}", secrets.token_hex(10)
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f"create database {name}")
        admin.execute(f"create role {reader} login password '{reader_password}'")
        admin.execute(f"grant connect on database {name} to {reader}")
    params = conninfo_to_dict(postgres_admin)
    url = make_conninfo(postgres_admin, dbname=name)
    reader_url = make_conninfo(
        "",
        host=params.get("host"),
        port=params.get("port"),
        dbname=name,
        user=reader,
        password=reader_password,
    )
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", url)
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", reader_url)
    try:
        yield PostgresDatabase(url, reader_url, reader, reader_password, postgres_admin)
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")
            admin.execute(f"drop role if exists {reader}")


@pytest.fixture
def pg_settings(tmp_path: Path, postgres_database: PostgresDatabase) -> Settings:
    """Settings for this test's own PostgreSQL warehouse (published marts under tmp_path)."""
    return Settings(
        warehouse=tmp_path / "warehouse" / "leadtrack.duckdb",
        catalogue=DEFAULT_CATALOGUE,
        target="postgres",
    )


@pytest.fixture(scope="session")
def wait_for_dashboard() -> Callable[[str], bool]:
    """A function that waits (up to 60 s) for a dashboard server at a URL to report healthy;
    whether it did."""

    def wait(url: str) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.5)
        return False

    return wait
