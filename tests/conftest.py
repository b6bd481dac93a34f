"""Shared fixtures: each test gets its own warehouse; the demo warehouse is built once per
test process (generate, load, dbt build) and shared read-only."""

from __future__ import annotations

import shutil
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
