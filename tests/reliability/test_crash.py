"""Crash safety: `kill -9` of `leadtrack load` and of `leadtrack build` at random moments.

After every kill the warehouse opens, holds exactly the loads that finished (counts agree with
the rows carrying each load id, no rows of an unrecorded load), the published marts file, if
any, opens and is one whole build, and the next run succeeds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from ingest.demo import DemoFiles
from leadtrack.settings import marts_path
from tests.reliability.conftest import (
    AS_OF,
    check_loads_consistent,
    demo_paths,
    leadtrack,
    published_tables,
    start,
)

TRIALS = 20  # kills that landed while the command ran
MAX_ATTEMPTS = 40
BIG_CALLS = 300_000
SEED = 20261123

pytestmark = pytest.mark.slow


def _kill_after(process, delay: float) -> bool:
    """SIGKILL the command's whole session after `delay` seconds; whether it was still
    running (False: it finished first)."""
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return True


def _write_round(folder: Path, trial: int, calls: Path) -> dict[Path, int]:
    """This trial's files (contents no earlier trial loaded): a small tracker, a big call log
    and another small tracker; each with its number of data rows."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[Path, int] = {}
    for part in ("a", "b"):
        path = folder / f"t{trial:02d}{part}-tracker.csv"
        rows = [
            f"T{trial}{part}-{number},0{1 + number % 9}/10/2026,Priya Shah,Client {number},"
            for number in range(40)
        ]
        path.write_text("Ref,Date generated,Consultant,Client,CVs received\n" + "\n".join(rows))
        files[path] = len(rows)
    big = folder / f"t{trial:02d}m-calls.csv"
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select 'T{trial}-' || cast(copy.n as varchar) || '-' || calls."Call ID"
                           as "Call ID",
                       calls.* exclude ("Call ID")
                from read_csv('{calls}', all_varchar = true) as calls,
                     (select range as n from range({BIG_CALLS} // 3000 + 1)) as copy
                limit {BIG_CALLS}
            ) to '{big}' (header)"""
        )
    files[big] = BIG_CALLS
    return dict(sorted(files.items()))


def test_kill_load_at_random_moments(demo_exports: DemoFiles, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    first = leadtrack(warehouse, "load", *demo_paths(demo_exports))
    assert first.returncode == 0, first.stderr
    rng = random.Random(SEED)
    expected_rows: dict[str, int] = {}
    # The typical duration: one whole load of a round's files.
    files = _write_round(tmp_path / "rounds", 0, demo_exports.calls)
    expected_rows |= {str(path): rows for path, rows in files.items()}
    began = time.monotonic()
    assert leadtrack(warehouse, "load", *map(str, files)).returncode == 0
    typical = time.monotonic() - began
    outcomes = {"killed": 0, "finished first": 0}
    trial = 0
    while outcomes["killed"] < TRIALS and trial < MAX_ATTEMPTS:
        trial += 1
        files = _write_round(tmp_path / "rounds", trial, demo_exports.calls)
        expected_rows |= {str(path): rows for path, rows in files.items()}
        began = time.monotonic()
        process = start(warehouse, "load", *map(str, files))
        killed = _kill_after(process, rng.uniform(0.05, 0.95) * typical)
        outcomes["killed" if killed else "finished first"] += 1
        if not killed:
            typical = time.monotonic() - began  # the machine got faster: aim within it
        loads = check_loads_consistent(warehouse)
        # No partial file: a recorded load of one of our files holds all of its rows.
        for _, name, _, rows_loaded in loads:
            if name in expected_rows:
                assert rows_loaded == expected_rows[name], name
        assert len({name for _, name, _, _ in loads}) == len(loads), "a file loaded twice"
    # The next run succeeds and loads what the killed runs did not finish, once each.
    rest = leadtrack(warehouse, "load", *sorted(expected_rows))
    assert rest.returncode == 0, rest.stderr
    loads = check_loads_consistent(warehouse)
    assert {name for _, name, _, _ in loads} >= set(expected_rows)
    print(f"\nload kill trials: {trial}, typical load {typical:.1f} s, outcomes {outcomes}")
    assert outcomes["killed"] == TRIALS


def test_kill_build_at_random_moments(demo_exports: DemoFiles, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    assert leadtrack(warehouse, "load", *demo_paths(demo_exports)).returncode == 0
    # The typical duration: a whole build (the first; later ones are a little faster, and a
    # build that outruns its kill becomes the new estimate).
    began = time.monotonic()
    built = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
    typical = time.monotonic() - began
    assert built.returncode == 0, built.stderr
    reference = published_tables(warehouse)
    assert "marts.leads" in reference and reference["marts.leads"] > 0
    rng = random.Random(SEED + 1)
    outcomes = {"killed": 0, "finished first": 0}
    leftovers = 0
    trial = 0
    while outcomes["killed"] < TRIALS and trial < MAX_ATTEMPTS:
        trial += 1
        began = time.monotonic()
        process = start(warehouse, "build", "--as-of", AS_OF.isoformat())
        killed = _kill_after(process, rng.uniform(0.05, 0.95) * typical)
        outcomes["killed" if killed else "finished first"] += 1
        if not killed:
            typical = time.monotonic() - began
        check_loads_consistent(warehouse)
        # The published file is the last whole build (the data did not change, so every
        # table has the reference's rows), never a half-written temporary file.
        assert published_tables(warehouse) == reference
        leftovers += len(list(warehouse.parent.glob(".*.tmp*")))
    # One more kill aimed at the file the build writes the marts into: as soon as it
    # appears (dbt has just attached it). The last build stays published, and the next
    # build clears the abandoned temporary file.
    process = start(warehouse, "build", "--as-of", AS_OF.isoformat())
    while process.poll() is None and not list(warehouse.parent.glob(".*.tmp")):
        time.sleep(0.002)
    publish_killed = _kill_after(process, 0.01)
    abandoned = len(list(warehouse.parent.glob(".*.tmp*")))
    assert published_tables(warehouse) == reference
    check_loads_consistent(warehouse)
    rebuilt = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert published_tables(warehouse) == reference
    assert not list(warehouse.parent.glob(".*.tmp*")), "a build left a temporary file"
    assert leadtrack(warehouse, "load", *demo_paths(demo_exports)).returncode == 0
    assert marts_path(warehouse).exists()
    print(
        f"\nbuild kill trials: {trial}, typical build {typical:.1f} s, outcomes {outcomes},"
        f" temporary marts files seen after kills: {leftovers}, killed with its marts file"
        f" just made: {publish_killed} (temporary files it left: {abandoned}, cleared by the"
        " next build)"
    )
    assert outcomes["killed"] == TRIALS
