"""Helpers for the reliability suite: run the real `leadtrack` command in a child process,
and check what a warehouse and its published marts hold after it ran, crashed or failed."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.contracts import CONTRACTS
from ingest.demo import DemoFiles, generate_demo
from leadtrack.settings import DEFAULT_CATALOGUE, marts_path

ROOT = Path(__file__).resolve().parents[2]
LEADTRACK = Path(sys.executable).parent / "leadtrack"
AS_OF = date(2026, 11, 23)
DEMO_LEADS = 250


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def environment(warehouse: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEADTRACK_WAREHOUSE": str(warehouse),
        "LEADTRACK_MILESTONES": str(DEFAULT_CATALOGUE),
        "COLUMNS": "200",
    }


def leadtrack(warehouse: Path, *arguments: str, timeout: float = 300, **popen) -> Run:
    """Run `leadtrack ARGUMENTS` against a warehouse to the end."""
    done = subprocess.run(
        [str(LEADTRACK), *arguments],
        env=environment(warehouse),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **popen,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def start(warehouse: Path, *arguments: str) -> subprocess.Popen:
    """Start `leadtrack ARGUMENTS` in a session of its own (so it can be killed whole)."""
    return subprocess.Popen(
        [str(LEADTRACK), *arguments],
        env=environment(warehouse),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def raw_counts(warehouse: Path) -> dict[str, int]:
    """Rows in every raw table: what "the warehouse holds" means for the damage checks."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
                " order by 1"
            ).fetchall()
        ]
        return {
            name: con.execute(f"select count(*) from raw.{name}").fetchall()[0][0]
            for name in tables
        }


def check_loads_consistent(warehouse: Path) -> list[tuple]:
    """Assert the warehouse opens (read-write, replaying any WAL) and holds exactly the loads
    it recorded: each `raw.loads` row's counts equal the rows carrying its load id, and no row
    carries a load id that `raw.loads` does not know. Returns the loads
    (load_id, file_name, kind, rows_loaded)."""
    con = duckdb.connect(str(warehouse))
    try:
        loads = con.execute(
            "select load_id, file_name, kind, rows_loaded, rows_rejected, status from raw.loads"
            " order by load_id"
        ).fetchall()
        known = {load_id for load_id, *_ in loads}
        tables = {"catalogue": "milestone_catalogue"} | {
            kind: contract.table for kind, contract in CONTRACTS.items()
        }
        per_table: dict[str, dict[int, int]] = {}
        for table in set(tables.values()):
            per_table[table] = dict(
                con.execute(f"select _load_id, count(*) from raw.{table} group by 1").fetchall()
            )
            strays = set(per_table[table]) - known
            assert not strays, f"raw.{table} holds rows of unrecorded loads {strays}"
        rejected = dict(
            con.execute("select load_id, count(*) from raw.rejected_rows group by 1").fetchall()
        )
        assert not set(rejected) - known, "raw.rejected_rows holds rows of unrecorded loads"
        for load_id, file_name, kind, rows_loaded, rows_rejected, status in loads:
            assert status == "loaded"
            table = tables[kind]
            assert per_table[table].get(load_id, 0) == rows_loaded, (load_id, file_name)
            assert rejected.get(load_id, 0) == rows_rejected, (load_id, file_name)
        return [(load_id, name, kind, loaded) for load_id, name, kind, loaded, _, _ in loads]
    finally:
        con.close()


def published_tables(warehouse: Path) -> dict[str, int]:
    """schema.table -> rows of the published marts file (which must open)."""
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables order by 1"
        ).fetchall()
        return {
            name: con.execute(f"select count(*) from {name}").fetchall()[0][0] for (name,) in names
        }


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """A small demo agency's exports (DEMO_LEADS leads), written once per module."""
    return generate_demo(tmp_path_factory.mktemp("exports"), leads=DEMO_LEADS, seed=5, as_of=AS_OF)


def demo_paths(files: DemoFiles) -> list[str]:
    return [str(path) for path in (files.consultants, files.tracker, files.events, files.calls)]
