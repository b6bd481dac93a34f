"""Shared fixtures: each test gets its own warehouse; the demo warehouse is built once per
test process (generate, load, dbt build) and shared read-only."""

from __future__ import annotations

import os
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from ingest.demo import DemoFiles, generate_demo
from ingest.loader import connect, load_files
from leadtrack.dbt import BuildResult
from leadtrack.publish import build_and_publish
from leadtrack.settings import DEFAULT_CATALOGUE, Settings, marts_path

# Debian's Chromium, driven by Playwright in the browser tests; the flags keep it off the
# network this machine does not have.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip the calling test module where Chromium is not installed, except on CI, where
    `.ci/run` installs it (there the tests run, and fail if it is missing)."""
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium chromium-driver)",
            allow_module_level=True,
        )


def wait_until_drawn(page) -> None:
    """Wait until Streamlit has run the page and drawn all of it: the run has ended, a
    title shows, and no widget is still a grey placeholder. The frontend fetches a widget's
    code (a select box's, say) the first time a page shows one and draws a placeholder until
    it arrives: on a busy machine, after the run has ended and the title shows (the browser
    tests saw the sidebar's Period as a placeholder, then drawn 3 s later)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')",
        timeout=60_000,
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000
    )


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
    build, _ = build_and_publish(settings, ["build"], as_of=DEMO_AS_OF, target_path=root / "target")
    assert build.ok, [(node.name, node.message) for node in build.failures] or build.error
    return DemoWarehouse(settings, files, DEMO_AS_OF, build)


def copy_warehouse(original: Path, folder: Path) -> Path:
    """A copy of a warehouse and its published marts in `folder`; its path. Tests read the
    copy: dbt, run in the test process, keeps the original open read-write, and DuckDB
    refuses a read-only connection beside that."""
    copy = folder / original.name
    for source, target in ((original, copy), (marts_path(original), marts_path(copy))):
        for suffix in ("", ".wal"):
            if source.with_name(source.name + suffix).exists():
                shutil.copy(
                    source.with_name(source.name + suffix), target.with_name(target.name + suffix)
                )
    return copy


@pytest.fixture(scope="session")
def demo_copy(demo_warehouse: DemoWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo warehouse and its published marts; its path (see
    `copy_warehouse`)."""
    return copy_warehouse(demo_warehouse.settings.warehouse, tmp_path_factory.mktemp("demo-copy"))


# A sales team's own checklist (engaged, demo booked, proposal sent, won), for the tests that
# no page or report of such a team speaks of CVs, interviews or starts.
SALES_CATALOGUE = Path(__file__).parent / "fixtures" / "sales_milestones.csv"
SALES_LEADS = 200


@pytest.fixture(scope="session")
def sales_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    """The demo generator's exports for a sales team with its own catalogue
    (`SALES_CATALOGUE`), loaded and built as of DEMO_AS_OF, and published; its settings name
    a copy, which the dashboard and the reports read (see `copy_warehouse`)."""
    root = tmp_path_factory.mktemp("sales")
    settings = Settings(warehouse=root / "sales.duckdb", catalogue=SALES_CATALOGUE)
    files = generate_demo(
        root / "exports",
        leads=SALES_LEADS,
        seed=DEMO_SEED,
        as_of=DEMO_AS_OF,
        catalogue=SALES_CATALOGUE,
    )
    con = connect(settings.warehouse)
    load_files(con, [files.consultants, files.tracker, files.calls], settings.catalogue)
    con.close()
    build, _ = build_and_publish(settings, ["build"], as_of=DEMO_AS_OF, target_path=root / "target")
    assert build.ok, [(node.name, node.message) for node in build.failures] or build.error
    copy = copy_warehouse(settings.warehouse, tmp_path_factory.mktemp("sales-copy"))
    return DemoWarehouse(replace(settings, warehouse=copy), files, DEMO_AS_OF, build)


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


def postgres_bin_or_skip() -> Path:
    """The PostgreSQL server binaries' folder; the test is skipped on a machine without them,
    and fails under CI=true, where .ci/run installs them."""
    from leadtrack.throwaway_postgres import postgres_bin

    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not found and LEADTRACK_POSTGRES_URL not set")
    return bin_dir


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    """A connection URL with the right to create databases and roles."""
    from leadtrack.throwaway_postgres import throwaway_server

    configured = os.environ.get("LEADTRACK_POSTGRES_URL")
    if configured:
        yield configured
        return
    with throwaway_server(postgres_bin_or_skip()) as server:
        yield server.admin_url


@pytest.fixture
def postgres_database(
    postgres_admin: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PostgresDatabase]:
    """A fresh database and reader role, set in the environment as the warehouse's
    connections (LEADTRACK_POSTGRES_URL, LEADTRACK_POSTGRES_READER_URL); dropped after."""
    import secrets

    from leadtrack.throwaway_postgres import create_database, database_urls, drop_database

    suffix = secrets.token_hex(4)
    name, reader, reader_password = f"lt_{suffix}", f"lt_reader_{suffix}", secrets.token_hex(10)
    create_database(postgres_admin, name, reader, reader_password)
    url, reader_url = database_urls(postgres_admin, name, reader, reader_password)
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", url)
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", reader_url)
    try:
        yield PostgresDatabase(url, reader_url, reader, reader_password, postgres_admin)
    finally:
        drop_database(postgres_admin, name, reader)


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
