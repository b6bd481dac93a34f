"""CSV ingest against DuckDB's bare `create table ... as select * from read_csv(...)`.

    uv run python -m bench.ingest_csv --leads 1000000 [--repeat 3]

Generates the demo agency (about 10 calls a lead, so 1,000,000 leads give a ~10,000,000-row
call log), then loads calls.csv into fresh warehouses both ways, alternating, and prints the
best time of each (and the CPU time of every run: the machine may be shared) and their ratio.
The target: leadtrack at most 1.5 times the bare load.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from ingest.demo import generate_demo
from ingest.loader import connect, load_files
from leadtrack.settings import DEFAULT_CATALOGUE


def bare_load(csv: Path, warehouse: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create table calls as select * from read_csv('{csv}')")
    return time.perf_counter() - started


def leadtrack_load(csv: Path, warehouse: Path) -> float:
    started = time.perf_counter()
    con = connect(warehouse)
    (result,) = load_files(con, [csv], DEFAULT_CATALOGUE, kind="calls")
    con.close()
    assert result.rows_loaded > 0, result
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("bench/data"))
    args = parser.parse_args()
    folder = args.data / f"demo-{args.leads}"
    calls = folder / "calls.csv"
    if not calls.exists():
        generate_demo(folder, leads=args.leads, seed=7, as_of=date(2026, 11, 23))
    rows = sum(1 for _ in calls.open("rb")) - 1
    bare, ours = [], []
    bare_cpu, ours_cpu = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for attempt in range(args.repeat):
            for load, times, cpus, name in (
                (bare_load, bare, bare_cpu, "bare"),
                (leadtrack_load, ours, ours_cpu, "leadtrack"),
            ):
                before = cpu_seconds()
                times.append(load(calls, Path(scratch) / f"{name}{attempt}.duckdb"))
                cpus.append(cpu_seconds() - before)
    print(f"call log: {rows:,} rows, {calls.stat().st_size / 1e6:,.0f} MB")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    for label, times, cpus in (
        ("bare DuckDB read_csv", bare, bare_cpu),
        ("leadtrack load", ours, ours_cpu),
    ):
        runs = ", ".join(f"{seconds:.2f}" for seconds in times)
        cpu = ", ".join(f"{seconds:.1f}" for seconds in cpus)
        print(f"{label:22} best {min(times):.2f} s  (runs: {runs}; CPU s: {cpu})")
    print(f"ratio: {min(ours) / min(bare):.2f} (target at most 1.5)")
    print(f"CPU ratio: {min(ours_cpu) / min(bare_cpu):.2f}")


def cpu_seconds() -> float:
    """User and system time of this process, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
