"""leadtrack's benchmarks, side by side with what a team would use instead (`make bench`).

    uv run python -m bench.run [--sizes 10000,100000,1000000]
        [--steps ingest,xlsx,build,week,floor,dashboard,postgres] [--reps 20]

Writes `bench/results.md` (the figures, the machine, the commands) and `bench/growth.png`.

Every measured step runs in a child process of its own (`python -m bench.run --child ...`), so
its peak memory is that process's `ru_maxrss` (read with `os.wait4`) and no step inherits
another's caches. A child reports the seconds of the work itself (after its imports); the
parent also records the child's wall time. The demo data lives in `bench/data/` (git-ignored)
and is generated once per size with seed 7 and as-of date 2026-11-23.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
SCRATCH = DATA / "scratch"
RESULTS = BENCH / "results.md"
PLOT = BENCH / "growth.png"
SEED = 7
AS_OF = date(2026, 11, 23)
SIZES = (10_000, 100_000, 1_000_000)
STEPS = ("ingest", "xlsx", "build", "week", "floor", "dashboard", "postgres")
PG_LEADS = 100_000  # the PostgreSQL step's size (issue 7)
XLSX_LEADS = 100_000
FLOOR_LEADS = 200  # dbt's fixed cost: a build, and one more week, with next to no data
REFERENCE_LEADS = 100_000  # the machine's speed: bare DuckDB's ingest of this call log
SPEED_WORKLOAD = (
    f"bare DuckDB's ingest of the {REFERENCE_LEADS:,}-lead call log, best of 3, the workload"
    " of the CSV ingest table's bare column at that size"
)
DBT_THREADS = 2  # profiles.yml
MARKER = "BENCH-RESULT "


# --- the children: one measured thing each ----------------------------------------------------


def child_bare_csv(csv: str, db: str) -> dict[str, Any]:
    from bench.ingest_csv import bare_load

    return {"seconds": bare_load(Path(csv), Path(db))}


def child_leadtrack_csv(csv: str, db: str, kind: str = "calls") -> dict[str, Any]:
    from ingest.loader import connect, load_files
    from leadtrack.settings import DEFAULT_CATALOGUE

    started = time.perf_counter()
    con = connect(Path(db))
    (result,) = load_files(con, [Path(csv)], DEFAULT_CATALOGUE, kind=kind)
    con.close()
    seconds = time.perf_counter() - started
    assert result.rows_loaded > 0, result
    return {"seconds": seconds, "rows_loaded": result.rows_loaded, "rejected": result.rows_rejected}


def child_pandas_sqlite(csv: str, db: str) -> dict[str, Any]:
    """What a team would write without leadtrack: pandas reads the call log in chunks and
    appends it to a SQLite table.

    Like leadtrack, it turns the UK day-first date columns into dates (`parse_dates` with
    `dayfirst=True`, the way a team would, not a hand-tuned format string), so both sides
    parse the same dates; every other column stays text, as in leadtrack. It does none of
    leadtrack's row checks (required values, plausible dates, duplicate ids, rejects with
    reasons), lineage or load record, so it still does less work than leadtrack.
    """
    import sqlite3

    import pandas as pd

    started = time.perf_counter()
    con = sqlite3.connect(db)
    rows = 0
    dates = ["Date/Time", "Call back on"]
    for chunk in pd.read_csv(csv, chunksize=1_000_000, parse_dates=dates, dayfirst=True):
        chunk.to_sql("calls", con, if_exists="append", index=False, chunksize=100_000)
        rows += len(chunk)
    con.commit()
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def child_openpyxl(xlsx: str) -> dict[str, Any]:
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(rows), "cells": sum(map(len, rows))}


def _dbt_build(
    settings: Any, as_of: str, target: str
) -> tuple[float, float, float, Any, Path | None]:
    """Sync the catalogue into the settings' warehouse and run what `leadtrack build` runs,
    with dbt's parse cache warm: every build but the first after installing or changing the
    models parses partially, so the full parse is timed apart (`parse_seconds`, not part of
    the build's time; `child_parse` measures both kinds). When the timed part started, the
    parse's and dbt build's seconds, dbt's result, and the file it built the marts into."""
    from ingest.loader import sync_catalogue
    from leadtrack.dbt import BUILD_COMMAND, run_dbt
    from leadtrack.publish import prepare_build
    from leadtrack.warehouse import open_raw_writer

    parse_started = time.perf_counter()
    parsed = run_dbt(settings, ["parse"], target_path=Path(target))
    assert parsed.error is None, parsed.error
    parse_seconds = time.perf_counter() - parse_started
    started = time.perf_counter()
    writer = open_raw_writer(settings)
    sync_catalogue(writer, settings.catalogue)
    writer.close()
    publishing = prepare_build(settings)
    dbt_started = time.perf_counter()
    result = run_dbt(
        settings,
        list(BUILD_COMMAND),
        as_of=date.fromisoformat(as_of),
        target_path=Path(target),
        publishing=publishing,
    )
    dbt_seconds = time.perf_counter() - dbt_started
    assert result.ok, (result.error, result.failures)
    return started, parse_seconds, dbt_seconds, result, publishing


Node = tuple[str, str, float]  # a dbt node's name, kind (model, test, seed, operation), seconds


def _nodes(result: Any) -> list[Node]:
    """The nodes of an in-process dbt run (`leadtrack.dbt.BuildResult`)."""
    return [
        (node.name, node.resource_type.split(".")[-1].lower(), node.seconds)
        for node in result.nodes
    ]


def _run_results_nodes(target: Path) -> tuple[list[Node], float]:
    """The nodes of the dbt run whose artifacts are in `target`, and dbt's command time, from
    its `run_results.json` (a `leadtrack build` run as a command)."""
    results = json.loads((target / "run_results.json").read_text())
    nodes = [
        (item["unique_id"].split(".")[2], item["unique_id"].split(".")[0], item["execution_time"])
        for item in results["results"]
    ]
    return nodes, results["elapsed_time"]


def _slowest(nodes: list[Node], *, models: bool, count: int = 5) -> list[tuple[str, float]]:
    """The `count` slowest models (or other nodes: tests) of a dbt run, slowest first."""
    return sorted(
        ((name, seconds) for name, kind, seconds in nodes if (kind == "model") == models),
        key=lambda item: -item[1],
    )[:count]


def node_figures(nodes: list[Node]) -> dict[str, Any]:
    """A dbt run's nodes for the report: the Σ of their seconds and their count per kind, the
    slowest models and tests, and each node's seconds."""
    seconds: dict[str, float] = {}
    counts: dict[str, int] = {}
    for _, kind, spent in nodes:
        seconds[kind] = seconds.get(kind, 0.0) + spent
        counts[kind] = counts.get(kind, 0) + 1
    return {
        "node_seconds": seconds,
        "node_counts": counts,
        "slowest_models": _slowest(nodes, models=True),
        "slowest_tests": _slowest(nodes, models=False),
        "node_times": {name: round(spent, 2) for name, _, spent in nodes},
    }


def child_build(warehouse: str, as_of: str, target: str) -> dict[str, Any]:
    """What `leadtrack build --as-of` does (sync the catalogue, `dbt build` with the marts
    built into a new file, publish that file), in-process with a private dbt target path, so
    that the benchmark never races another session's `target/`."""
    from leadtrack.publish import publish_build
    from leadtrack.settings import DEFAULT_CATALOGUE, Settings

    settings = Settings(warehouse=Path(warehouse), catalogue=DEFAULT_CATALOGUE)
    started, parse_seconds, dbt_seconds, result, publishing = _dbt_build(settings, as_of, target)
    publish_started = time.perf_counter()
    publish_build(settings, publishing)
    publish_seconds = time.perf_counter() - publish_started
    return {
        "seconds": time.perf_counter() - started,
        "parse_seconds": parse_seconds,
        "dbt_seconds": dbt_seconds,
        "publish_seconds": publish_seconds,
        **node_figures(_nodes(result)),
    }


def child_model_cpu(warehouse: str, target: str) -> dict[str, Any]:
    """Each model of the build in `target` run alone on the built `warehouse`, in the order
    dbt ran them: its compiled SQL written into a table of a scratch file (then checkpointed,
    so the compression of the write counts), with the process's CPU time and the wall time
    of each. In the build, dbt runs two models at once and their node times include waiting
    for the other's share of the 2 cores; alone, a model's CPU time is what it costs. The
    models' tables of the build are in place, so each reads what it read in the build."""
    import resource

    import duckdb

    from leadtrack.settings import marts_path

    compiled = Path(target) / "compiled" / "leadtrack" / "models"
    sql_of = {path.stem: path for path in compiled.glob("*/*.sql")}
    results = json.loads((Path(target) / "run_results.json").read_text())["results"]
    order = [
        result["unique_id"].split(".")[-1]
        for result in results
        if result["unique_id"].startswith("model.")
    ]
    scratch = fresh(Path(target) / "model-cpu.duckdb")
    con = duckdb.connect(warehouse)
    con.execute(f"attach '{marts_path(warehouse)}' as published (read_only)")
    con.execute(f"attach '{scratch}' as scratch")
    models = {}
    for name in order:
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        con.execute(f"create table scratch.{name} as {sql_of[name].read_text()}")
        con.execute("checkpoint scratch")
        after = resource.getrusage(resource.RUSAGE_SELF)
        models[name] = (
            after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
            time.perf_counter() - started,
        )
        con.execute(f"drop table scratch.{name}")
    con.close()
    scratch.unlink()
    return {"models": models}


def child_parse(target: str, warehouse: str | None = None) -> dict[str, Any]:
    """A full parse, then a partial one, into `target`, for `warehouse` (dbt parses the
    whole project again when the warehouse path in its profile changes)."""
    from leadtrack.dbt import run_dbt
    from leadtrack.settings import DEFAULT_CATALOGUE, Settings

    path = Path(warehouse) if warehouse else Path(target) / "parse.duckdb"
    settings = Settings(warehouse=path, catalogue=DEFAULT_CATALOGUE)
    started = time.perf_counter()
    result = run_dbt(settings, ["parse", "--no-partial-parse"], target_path=Path(target))
    full = time.perf_counter() - started
    started = time.perf_counter()
    result = run_dbt(settings, ["parse"], target_path=Path(target))
    partial = time.perf_counter() - started
    assert result.error is None, result.error
    return {"seconds": full, "partial_seconds": partial}


def child_dashboard(source: str, reps: int) -> dict[str, Any]:
    from bench.pages import page_calls
    from dashboards import queries

    begun = time.perf_counter()
    as_of = queries.as_of_date(source)
    out = []
    for page, label, call in page_calls(source, as_of):
        started = time.perf_counter()
        frame = call()  # warm-up: the first call, not counted
        first = time.perf_counter() - started
        times, cpu = [], []
        runs = reps if first < 2 else max(3, reps // 4)
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            call()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        rows = frame.height if hasattr(frame, "height") else 1
        out.append(
            {
                "page": page,
                "query": label,
                "rows": rows,
                "runs": runs,
                "p50_ms": statistics.median(times),
                "p95_ms": percentile(times, 0.95),
                "max_ms": max(times),
                "cpu_p50_ms": statistics.median(cpu),
            }
        )
    return {"as_of": as_of.isoformat(), "queries": out, "seconds": time.perf_counter() - begun}


def child_postgres_build(warehouse: str, as_of: str, target: str) -> dict[str, Any]:
    """What `leadtrack --target postgres build --as-of` does, timed step by step: sync the
    catalogue, `dbt build` on PostgreSQL (into marts__building), promote the build (one
    transaction), and copy the marts with the reader role into the local file the dashboard
    reads. The connections come from the environment (the parent sets them)."""
    from leadtrack.postgres import connect, promote_build, reader_role
    from leadtrack.publish import publish_from_postgres
    from leadtrack.settings import DEFAULT_CATALOGUE, Settings

    settings = Settings(warehouse=Path(warehouse), catalogue=DEFAULT_CATALOGUE, target="postgres")
    started, parse_seconds, dbt_seconds, result, _ = _dbt_build(settings, as_of, target)
    promote_started = time.perf_counter()
    with connect(autocommit=True) as pg:
        assert promote_build(pg, reader_role())
    promote_seconds = time.perf_counter() - promote_started
    publish_started = time.perf_counter()
    publish_from_postgres(settings.warehouse)
    publish_seconds = time.perf_counter() - publish_started
    return {
        "seconds": time.perf_counter() - started,
        "parse_seconds": parse_seconds,
        "dbt_seconds": dbt_seconds,
        "promote_seconds": promote_seconds,
        "publish_seconds": publish_seconds,
        "marts_mb": settings.marts.stat().st_size / 1e6,
        "slowest_models": _slowest(_nodes(result), models=True),
    }


def child_postgres_refresh(warehouse: str) -> dict[str, Any]:
    """A consultant's machine: `refresh_from_postgres` with no local copy (the first page
    view fetches the team's build), then again with nothing new (every later page view)."""
    import leadtrack.publish
    from leadtrack.publish import refresh_from_postgres
    from leadtrack.settings import Settings

    settings = Settings(warehouse=Path(warehouse), target="postgres")
    started = time.perf_counter()
    refresh_from_postgres(settings)
    first = time.perf_counter() - started
    leadtrack.publish.CHECK_EVERY_SECONDS = 0  # ask PostgreSQL on every call, as a page view
    checks = []
    for _ in range(20):
        check_started = time.perf_counter()
        refresh_from_postgres(settings)
        checks.append((time.perf_counter() - check_started) * 1000)
    return {
        "seconds": first,
        "check_p50_ms": statistics.median(checks),
        "check_max_ms": max(checks),
    }


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


# --- the parent: runs children, keeps the figures ---------------------------------------------


@dataclass
class Run:
    """One child process: what it measured, its wall time and peak memory."""

    label: str
    wall: float
    max_rss_mb: float
    load_before: float
    load_after: float
    result: dict[str, Any] = field(default_factory=dict)
    cpu: float | None = None  # user + system seconds of the process (all its threads)

    @property
    def seconds(self) -> float:
        return self.result.get("seconds", self.wall)


COMMANDS: list[str] = []


def spawn(
    label: str, argv: list[str], *, parse: bool = True, env: dict[str, str] | None = None
) -> Run:
    """Run one child process (with `env` added to the environment), reap it with `os.wait4`
    (its own `ru_maxrss`, kB on Linux) and return its figures."""
    COMMANDS.append(" ".join(argv))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=ROOT, stdout=out, stderr=err, text=True, env=os.environ | (env or {})
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{label} failed ({process.returncode}):\n{stderr[-4000:]}")
    result: dict[str, Any] = {}
    if parse:
        for line in stdout.splitlines():
            if line.startswith(MARKER):
                result = json.loads(line[len(MARKER) :])
    run = Run(
        label,
        wall,
        usage.ru_maxrss / 1024,
        load_before,
        os.getloadavg()[0],
        result,
        usage.ru_utime + usage.ru_stime,
    )
    print(
        f"  {label}: {run.seconds:.2f} s (wall {wall:.2f} s, CPU {run.cpu:.1f} s,"
        f" peak {run.max_rss_mb:,.0f} MB,"
        f" load {load_before:.2f}->{run.load_after:.2f})",
        flush=True,
    )
    return run


def python_child(label: str, name: str, **kwargs: Any) -> Run:
    argv = [sys.executable, "-m", "bench.run", "--child", name, "--args", json.dumps(kwargs)]
    return spawn(label, argv)


def leadtrack_cli(label: str, *arguments: str, env: dict[str, str] | None = None) -> Run:
    executable = str(Path(sys.executable).parent / "leadtrack")
    return spawn(label, [executable, *arguments], parse=False, env=env)


def fresh(path: Path) -> Path:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    marts = path.with_name(f"{path.stem}.marts{path.suffix}")
    marts.unlink(missing_ok=True)
    return path


def demo(leads: int, as_of: date = AS_OF) -> list[Path]:
    """The demo exports at `leads` leads as of `as_of`, generated (in a child process, so the
    parent stays small: Linux keeps a process's peak RSS across `exec`, so a large parent
    would inflate every child's figure) when missing."""
    folder = DATA / (f"demo-{leads}" if as_of == AS_OF else f"demo-{leads}-{as_of:%Y%m%d}")
    tracker = folder / ("tracker.xlsx" if leads <= XLSX_LEADS else "tracker.csv")
    files = [tracker, folder / "events.csv", folder / "calls.csv", folder / "consultants.csv"]
    if not all(path.exists() for path in files):
        python_child(
            f"generate {leads:,} leads as of {as_of}",
            "generate",
            folder=str(folder),
            leads=leads,
            as_of=str(as_of),
        )
    return files


def child_generate(folder: str, leads: int, as_of: str) -> dict[str, Any]:
    from ingest.demo import generate_demo

    started = time.perf_counter()
    generate_demo(Path(folder), leads=leads, seed=SEED, as_of=date.fromisoformat(as_of))
    return {"seconds": time.perf_counter() - started}


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def child_week_delta(leads: int) -> dict[str, Any]:
    """A week's exports at `leads` leads: the rows of the next week's export (same seed, as-of
    one week later) dated in that new week, with new leads and calls given ids of their own.

    The generator is deterministic per seed and as-of date, and its next-week export is the
    whole agency again, shifted by a week (every call id and lead id reappears): a full
    re-export, not a week's worth. So this keeps from it what a week adds: the calls made and
    the milestone events dated in the new week, the tracker rows of the leads created that
    week (renamed W<id>, so they are new leads) and of the older leads that reached a
    milestone or were closed that week (a later version of an existing lead, as a real
    re-export has)."""
    import polars as pl

    from ingest.demo import generate_demo

    new_as_of = AS_OF + timedelta(days=7)
    later = DATA / f"demo-{leads}-{new_as_of:%Y%m%d}"
    out = DATA / f"week-{leads}-{new_as_of:%Y%m%d}"
    if not (later / "calls.csv").exists():
        generate_demo(later, leads=leads, seed=SEED, as_of=new_as_of)
    suffix = "xlsx" if leads <= XLSX_LEADS else "csv"
    paths = [out / f"tracker.{suffix}", out / "events.csv", out / "calls.csv"]
    counts_file = out / "counts.json"
    if all(path.exists() for path in paths) and counts_file.exists():
        return {"paths": list(map(str, paths)), "counts": json.loads(counts_file.read_text())}
    out.mkdir(parents=True, exist_ok=True)

    def day(column: str) -> pl.Expr:
        text = pl.col(column).str.slice(0, 10)
        return pl.coalesce(
            text.str.to_date("%d/%m/%Y", strict=False), text.str.to_date("%Y-%m-%d", strict=False)
        )

    in_week = lambda column: day(column).is_between(  # noqa: E731
        AS_OF + timedelta(days=1), new_as_of
    )
    tracker = pl.read_csv(later / "tracker.csv", infer_schema_length=0) if suffix == "csv" else None
    assert tracker is not None, "week deltas are written for CSV trackers (above 100,000 leads)"
    new_leads = set(tracker.filter(in_week("Date generated"))["Ref"].to_list())
    rename = pl.when(pl.col("Lead ID").is_in(new_leads)).then("W" + pl.col("Lead ID"))
    events = pl.read_csv(later / "events.csv", infer_schema_length=0).filter(in_week("Date"))
    events = events.with_columns(rename.otherwise(pl.col("Lead ID")).alias("Lead ID"))
    calls = pl.read_csv(later / "calls.csv", infer_schema_length=0).filter(in_week("Date/Time"))
    calls = calls.with_columns(
        ("W" + pl.col("Call ID")).alias("Call ID"),
        rename.otherwise(pl.col("Lead ID")).alias("Lead ID"),
    )
    # The milestones' columns follow Notes; a lead lost or declined that week changed too.
    dated_columns = ["Date closed", *tracker.columns[tracker.columns.index("Notes") + 1 :]]
    changed = tracker.filter(pl.any_horizontal(*(in_week(column) for column in dated_columns)))
    rows = pl.concat(
        [
            tracker.filter(pl.col("Ref").is_in(new_leads)),
            changed.filter(~pl.col("Ref").is_in(new_leads)),
        ]
    ).with_columns(
        pl.when(pl.col("Ref").is_in(new_leads))
        .then("W" + pl.col("Ref"))
        .otherwise(pl.col("Ref"))
        .alias("Ref")
    )
    rows.write_csv(paths[0])
    events.write_csv(paths[1])
    calls.write_csv(paths[2])
    counts = {
        "new_leads": len(new_leads),
        "changed_leads": rows.height - len(new_leads),
        "events": events.height,
        "calls": calls.height,
    }
    counts_file.write_text(json.dumps(counts))
    return {"paths": list(map(str, paths)), "counts": counts}


# --- the steps --------------------------------------------------------------------------------


def bench_ingest(size: int, figures: dict[str, Any]) -> None:
    _, _, calls, _ = demo(size)
    rows = count_rows(calls)
    repeat = 2 if size >= 1_000_000 else 3
    runs: dict[str, list[Run]] = {"bare": [], "leadtrack": [], "pandas": []}
    for attempt in range(repeat):
        for method, child in (
            ("bare", "bare_csv"),
            ("leadtrack", "leadtrack_csv"),
            ("pandas", "pandas_sqlite"),
        ):
            suffix = "sqlite" if method == "pandas" else "duckdb"
            db = fresh(SCRATCH / f"ingest-{method}.{suffix}")
            runs[method].append(
                python_child(f"{size:,} {method} #{attempt + 1}", child, csv=str(calls), db=str(db))
            )
            db.unlink(missing_ok=True)
    figures.setdefault("ingest", {})[size] = {
        "rows": rows,
        "mb": calls.stat().st_size / 1e6,
        **{method: summarise(method_runs) for method, method_runs in runs.items()},
    }


def summarise(runs: list[Run]) -> dict[str, Any]:
    best = min(runs, key=lambda run: run.seconds)
    return {
        "best": best.seconds,
        "runs": [run.seconds for run in runs],
        "walls": [run.wall for run in runs],
        "max_rss_mb": max(run.max_rss_mb for run in runs),
        "load": [run.load_before for run in runs],
    }


def bench_xlsx(figures: dict[str, Any]) -> None:
    tracker = demo(XLSX_LEADS)[0]
    runs: dict[str, list[Run]] = {"leadtrack": [], "openpyxl": []}
    for attempt in range(2):
        db = fresh(SCRATCH / "xlsx.duckdb")
        runs["leadtrack"].append(
            python_child(
                f"xlsx leadtrack #{attempt + 1}",
                "leadtrack_csv",
                csv=str(tracker),
                db=str(db),
                kind="tracker",
            )
        )
        runs["openpyxl"].append(
            python_child(f"xlsx openpyxl #{attempt + 1}", "openpyxl", xlsx=str(tracker))
        )
    figures["xlsx"] = {
        "file": str(tracker.relative_to(ROOT)),
        "mb": tracker.stat().st_size / 1e6,
        "cells": runs["openpyxl"][0].result.get("cells"),
        **{method: summarise(method_runs) for method, method_runs in runs.items()},
    }


def machine_speed(label: str) -> dict[str, Any]:
    """How fast the machine is just before a step: bare DuckDB's ingest of the 100,000-lead
    call log, best of 3, a workload no leadtrack code takes part in (the CSV ingest table's
    bare column at that size is the same one). The machine's speed moves by half and more
    between hours, so a step's seconds are read beside it."""
    calls = demo(REFERENCE_LEADS)[2]
    runs = []
    for attempt in range(3):
        db = fresh(SCRATCH / "reference.duckdb")
        runs.append(
            python_child(
                f"machine speed before {label} #{attempt + 1}",
                "bare_csv",
                csv=str(calls),
                db=str(db),
            )
        )
        db.unlink(missing_ok=True)
    return summarise(runs)


def reference(row: dict[str, Any]) -> str:
    """The machine's speed a step was measured at, for the report."""
    speed = row.get("reference")
    return "not measured" if speed is None else f"{speed['best']:.2f} s"


def warehouse_for(size: int) -> Path:
    return SCRATCH / f"warehouse-{size}.duckdb"


def load_and_build(label: str, warehouse: Path, files: list[Path], target: Path) -> tuple[Run, Run]:
    """`leadtrack load` of the demo's files into a DuckDB warehouse, then its build (each in a
    process of its own); the two runs."""
    load = leadtrack_cli(
        f"{label} load (4 files)", "--warehouse", str(warehouse), "load", *map(str, files)
    )
    build = python_child(
        f"{label} build",
        "build",
        warehouse=str(warehouse),
        as_of=AS_OF.isoformat(),
        target=str(target),
    )
    return load, build


def bench_build(size: int, figures: dict[str, Any], *, profile: bool = False) -> None:
    """Load and build at `size` leads; with `profile`, each model's CPU time alone after."""
    files = demo(size)
    speed = machine_speed(f"the build at {size:,}")
    warehouse = fresh(warehouse_for(size))
    target = SCRATCH / f"target-{size}"
    load, build = load_and_build(f"{size:,} leadtrack", warehouse, files, target)
    model_cpu = (
        python_child(
            f"{size:,} each model alone", "model_cpu", warehouse=str(warehouse), target=str(target)
        ).result
        if profile
        else None
    )
    if size in figures.get("build", {}):
        figures.setdefault("build_history", []).append({"size": size, **figures["build"][size]})
    figures.setdefault("build", {})[size] = {
        "load": vars(load),
        "build": vars(build),
        "calls": count_rows(files[2]),
        "warehouse_mb": warehouse.stat().st_size / 1e6,
        "reference": speed,
        "model_cpu": model_cpu,
    }


def bench_fixed_overhead(figures: dict[str, Any]) -> None:
    parse = python_child("dbt parse (full, then partial)", "parse", target=str(SCRATCH / "parse"))
    files = demo(FLOOR_LEADS)
    warehouse = fresh(warehouse_for(FLOOR_LEADS))
    leadtrack_cli(
        f"{FLOOR_LEADS} leadtrack load", "--warehouse", str(warehouse), "load", *map(str, files)
    )
    target = SCRATCH / f"target-{FLOOR_LEADS}"
    shutil.rmtree(target, ignore_errors=True)
    builds = {}
    for key, label, as_of in (
        ("tiny_build", "200-lead build (fresh target: full parse)", AS_OF),
        ("tiny_build_again", "200-lead build again (same vars: partial parse)", AS_OF),
        ("tiny_build_next_day", "200-lead build, as-of a day later", AS_OF + timedelta(days=1)),
    ):
        builds[key] = vars(
            python_child(
                label,
                "build",
                warehouse=str(warehouse),
                as_of=as_of.isoformat(),
                target=str(target),
            )
        )
    log = target / "dbt.log"
    reparses = (
        log.read_text(errors="replace").count("Unable to do partial parsing")
        if log.exists()
        else None
    )
    figures["overhead"] = {"parse": vars(parse), **builds, "full_reparses_logged": reparses}


def week_on_copy(size: int, paths: list[Path]) -> dict[str, Any]:
    """The week's exports (`paths`) loaded into a copy of the built `size`-lead warehouse and
    its marts, then built as of a week later, each with `leadtrack` in a process of its own;
    the two runs and the machine's speed just before them.

    A team builds one warehouse week after week, so its dbt target holds the parse of that
    warehouse's profile; a copy under another name would cost the timed build a full parse,
    so dbt parses for the copy first (not timed)."""
    base = warehouse_for(size)
    warehouse = fresh(SCRATCH / f"week-{size}.duckdb")
    shutil.copyfile(base, warehouse)
    marts = base.with_name(f"{base.stem}.marts{base.suffix}")
    if marts.exists():
        shutil.copyfile(marts, warehouse.with_name(f"{warehouse.stem}.marts{warehouse.suffix}"))
    new_as_of = AS_OF + timedelta(days=7)
    target = SCRATCH / f"week-target-{size}"
    shutil.rmtree(target, ignore_errors=True)
    python_child(
        f"{size:,} week: parse (not timed)", "parse", target=str(target), warehouse=str(warehouse)
    )
    speed = machine_speed(f"the week at {size:,}")
    load = leadtrack_cli(
        f"{size:,} week: leadtrack load", "--warehouse", str(warehouse), "load", *map(str, paths)
    )
    # The command a team runs, timed whole (its imports, dbt's and the publish included), in a
    # dbt target of its own (dbt reads its paths from the environment when not given them).
    build = leadtrack_cli(
        f"{size:,} week: leadtrack build --as-of {new_as_of}",
        "--warehouse",
        str(warehouse),
        "build",
        "--as-of",
        new_as_of.isoformat(),
        env={"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)},
    )
    nodes, dbt_seconds = _run_results_nodes(target)
    build.result = {"dbt_seconds": dbt_seconds, **node_figures(nodes)}
    fresh(warehouse)
    return {"load": vars(load), "build": vars(build), "reference": speed}


def bench_week(size: int, figures: dict[str, Any]) -> None:
    if not warehouse_for(size).exists():
        bench_build(size, figures)
    delta = python_child(f"{size:,} cut a week's exports", "week_delta", leads=size).result
    week = week_on_copy(size, [Path(path) for path in delta["paths"]])
    if "week" in figures:
        figures.setdefault("week_history", []).append(figures["week"])
    figures["week"] = {"size": size, "counts": delta["counts"], **week}


def bench_week_floor(figures: dict[str, Any], reps: int = 3) -> None:
    """One more week at 200 leads, best of `reps`: what a week costs with next to no data
    (dbt's start-up and per-node work, the load's start-up), the floor under the week's
    target at any size. The week's exports are the 200-lead agency's whole export a week
    later (every lead, event and call again, with a week's more): more than a week's delta,
    so the floor is if anything overstated."""
    if not warehouse_for(FLOOR_LEADS).exists():
        bench_fixed_overhead(figures)
    # The week's 3 files, as the week at 1,000,000 loads (the consultants list is unchanged).
    paths = demo(FLOOR_LEADS, AS_OF + timedelta(days=7))[:3]
    figures["week_floor"] = {
        "size": FLOOR_LEADS,
        "calls": count_rows(paths[2]),
        "runs": [week_on_copy(FLOOR_LEADS, paths) for _ in range(reps)],
    }


def bench_dashboard(size: int, reps: int, figures: dict[str, Any]) -> None:
    base = warehouse_for(size)
    if not base.exists():
        bench_build(size, figures)
    marts = base.with_name(f"{base.stem}.marts{base.suffix}")
    source = marts if marts.exists() else base
    run = python_child(
        f"{size:,} dashboard queries x{reps}", "dashboard", source=str(source), reps=reps
    )
    if "dashboard" in figures:
        figures.setdefault("dashboard_history", []).append(figures["dashboard"])
    figures["dashboard"] = {"size": size, "source": source.name, **vars(run)}


def _server_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) the PostgreSQL server has used: its main process, the
    backends that ended (counted into it when reaped) and the ones still running."""
    if pid is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, utime, stime, cutime, cstime = (int(fields[i]) for i in (1, 11, 12, 13, 14))
        if int(stat.parent.name) == pid:
            total += (utime + stime + cutime + cstime) / tick
        elif ppid == pid:
            total += (utime + stime) / tick
    return total


def bench_postgres(size: int, figures: dict[str, Any]) -> None:
    """Issue 7: load the 4 demo files and build on PostgreSQL, beside the same on DuckDB in
    the same run. The server is LEADTRACK_POSTGRES_URL's (a role that may create databases
    and roles), else a throwaway one (as the tests start it); a database and a reader role
    of the benchmark's own, dropped after."""
    import secrets
    from contextlib import nullcontext

    import psycopg

    from leadtrack.throwaway_postgres import (
        create_database,
        database_urls,
        drop_database,
        throwaway_server,
    )

    files = demo(size)
    configured = os.environ.get("LEADTRACK_POSTGRES_URL")
    saved = {
        key: os.environ.get(key)
        for key in ("LEADTRACK_POSTGRES_URL", "LEADTRACK_POSTGRES_READER_URL")
    }
    with nullcontext(None) if configured else throwaway_server() as server:
        admin = configured or server.admin_url
        pid = server.postmaster_pid if server else None
        suffix = secrets.token_hex(4)
        name, reader, password = (
            f"lt_bench_{suffix}",
            f"lt_bench_reader_{suffix}",
            secrets.token_hex(10),
        )
        create_database(admin, name, reader, password)
        url, reader_url = database_urls(admin, name, reader, password)
        # The children find the connections where leadtrack looks: in the environment.
        os.environ["LEADTRACK_POSTGRES_URL"], os.environ["LEADTRACK_POSTGRES_READER_URL"] = (
            url,
            reader_url,
        )
        try:
            warehouse = fresh(SCRATCH / f"postgres-{size}.duckdb")
            target = SCRATCH / f"target-postgres-{size}"
            shutil.rmtree(target, ignore_errors=True)
            cpu = _server_cpu(pid)
            load = leadtrack_cli(
                f"{size:,} postgres: leadtrack load (4 files)",
                "--target",
                "postgres",
                "--warehouse",
                str(warehouse),
                "load",
                *map(str, files),
            )
            load_server_cpu = None if cpu is None else _server_cpu(pid) - cpu
            cpu = _server_cpu(pid)
            build = python_child(
                f"{size:,} postgres: leadtrack build",
                "postgres_build",
                warehouse=str(warehouse),
                as_of=AS_OF.isoformat(),
                target=str(target),
            )
            build_server_cpu = None if cpu is None else _server_cpu(pid) - cpu
            laptop = fresh(SCRATCH / f"postgres-{size}-laptop.duckdb")
            refresh = python_child(
                f"{size:,} postgres: a consultant's first refresh",
                "postgres_refresh",
                warehouse=str(laptop),
            )
            with psycopg.connect(url) as pg:
                raw_mb = (
                    pg.execute("select pg_database_size(current_database())").fetchone()[0] / 1e6
                )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            drop_database(admin, name, reader)
    # DuckDB beside it, in the same run (a target of its own, parsed before the timed build).
    duck = fresh(SCRATCH / f"postgres-beside-{size}.duckdb")
    duck_target = SCRATCH / f"target-postgres-beside-{size}"
    shutil.rmtree(duck_target, ignore_errors=True)
    duck_load, duck_build = load_and_build(f"{size:,} duckdb: leadtrack", duck, files, duck_target)
    if "postgres" in figures:
        figures.setdefault("postgres_history", []).append(figures["postgres"])
    figures["postgres"] = {
        "size": size,
        "server": "LEADTRACK_POSTGRES_URL" if configured else "throwaway (initdb, fsync off)",
        "postgres": {
            "load": vars(load),
            "build": vars(build),
            "refresh": vars(refresh),
            "load_server_cpu": load_server_cpu,
            "build_server_cpu": build_server_cpu,
            "database_mb": raw_mb,
        },
        "duckdb": {
            "load": vars(duck_load),
            "build": vars(duck_build),
            "warehouse_mb": duck.stat().st_size / 1e6,
        },
    }
    for path in (warehouse, laptop, duck):
        fresh(path)


# --- the report -------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    from importlib.metadata import version

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "DuckDB": version("duckdb"),
        "polars": version("polars"),
        "dbt-core": version("dbt-core"),
        "dbt-duckdb": version("dbt-duckdb"),
        "pandas": version("pandas"),
        "openpyxl": version("openpyxl"),
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "code": git_state(),
        "peak memory": "ru_maxrss of each step's own process (os.wait4); a Python process that"
        " imports duckdb and polars starts at ~150-200 MB",
    }


def git_state() -> str:
    """The commit measured, and the files changed on top of it (others edit the working tree
    while the benchmark runs)."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip()

    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if not line[3:].startswith("bench/")
    ]
    head = git("rev-parse", "--short", "HEAD")
    if not changed:
        return f"git {head}"
    return f"git {head} + uncommitted changes to {len(changed)} files: {', '.join(changed)}"


def build_wall(run: dict[str, Any]) -> float:
    """A build process's wall time without the untimed warm-up parse (see `_dbt_build`)."""
    return run["wall"] - (run.get("result") or {}).get("parse_seconds", 0.0)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "–"


def growth(values: dict[int, float]) -> str:
    """Ratio per tenfold step of leads: 10k->100k, 100k->1M."""
    sizes = sorted(values)
    steps = [
        f"×{values[big] / values[small]:.1f}"
        for small, big in itertools.pairwise(sizes)
        if values[small]
    ]
    return " / ".join(steps) or "–"


def report(figures: dict[str, Any], output: Path = RESULTS) -> str:
    lines = ["# Benchmarks", ""]
    lines += [
        "Written by `make bench` (`uv run python -m bench.run`); re-run it to refresh. Every"
        " figure is a measurement on this machine by one of the runs listed under Commands"
        " (a run with `--merge` replaces the steps it re-ran and keeps the others, and the"
        " figures it replaced are shown as earlier runs). Other engineers used the machine"
        " at the same time (their tests and builds): the load average shown per step is the"
        " 1-minute load average when the step started, which includes the benchmark's own"
        " previous step. 2 cores, so a load above 2 means the benchmark shared its CPUs.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in figures["machine"].items()]
    lines += [""]

    if "ingest" in figures:
        lines += [
            "## CSV ingest: the same call log, three ways",
            "",
            "Best of N runs (N = 2 at 1,000,000 leads, 3 below), each in a fresh process into"
            " a fresh file. *leadtrack load*: `ingest.loader.load_files(kind='calls')`, what"
            " `leadtrack load calls.csv` runs (sniffing, validation of every row, rejects,"
            " lineage columns, the load record). *bare DuckDB*: `create table calls as select"
            " * from read_csv(...)`. *pandas + SQLite*: `pandas.read_csv(chunksize=1_000_000)`"
            " and `DataFrame.to_sql(chunksize=100_000)` into a SQLite file.",
            "",
            "| leads | call rows | CSV MB | bare DuckDB s | leadtrack s | pandas+SQLite s |"
            " leadtrack / bare | pandas / leadtrack | peak MB (bare / leadtrack / pandas) |"
            " load avg |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for size, row in sorted(figures["ingest"].items()):
            bare, ours, pandas = row["bare"], row["leadtrack"], row["pandas"]
            loads = ", ".join(f"{value:.1f}" for value in ours["load"] + pandas["load"])
            lines.append(
                f"| {size:,} | {row['rows']:,} | {row['mb']:,.0f} | {bare['best']:.2f} |"
                f" {ours['best']:.2f} | {pandas['best']:.2f} |"
                f" {ratio(ours['best'], bare['best'])} | {ratio(pandas['best'], ours['best'])} |"
                f" {bare['max_rss_mb']:,.0f} / {ours['max_rss_mb']:,.0f} /"
                f" {pandas['max_rss_mb']:,.0f} | {loads} |"
            )
        lines.append("")
        lines.append(
            "All runs (s): "
            + "; ".join(
                f"{size:,}: bare {fmt(row['bare']['runs'])}, leadtrack"
                f" {fmt(row['leadtrack']['runs'])}, pandas {fmt(row['pandas']['runs'])}"
                for size, row in sorted(figures["ingest"].items())
            )
        )
        lines.append("")

    if "xlsx" in figures:
        x = figures["xlsx"]
        ours, theirs = x["leadtrack"], x["openpyxl"]
        lines += [
            "## XLSX ingest: the 100,000-lead tracker",
            "",
            f"`{x['file']}` ({x['mb']:.1f} MB, {x['cells'] or 0:,} cells). *leadtrack load*:"
            " `load_files(kind='tracker')` (fastexcel/calamine read, header matching, the"
            " row checks, the insert). *openpyxl*: `load_workbook(read_only=True)` and every"
            " row's values into a list (reading only: no validation, no database). Best of 2.",
            "",
            "| | best s | runs s | peak MB | load avg |",
            "|---|---:|---|---:|---|",
            f"| leadtrack load | {ours['best']:.2f} | {fmt(ours['runs'])} |"
            f" {ours['max_rss_mb']:,.0f} | {fmt(ours['load'], 1)} |",
            f"| openpyxl read | {theirs['best']:.2f} | {fmt(theirs['runs'])} |"
            f" {theirs['max_rss_mb']:,.0f} | {fmt(theirs['load'], 1)} |",
            "",
            f"leadtrack is **{ratio(theirs['best'], ours['best'])}×** faster than openpyxl"
            " (target ≥ 5×).",
            "",
        ]

    if "build" in figures:
        lines += [
            "## Load and build",
            "",
            "*load*: `leadtrack --warehouse W load tracker events calls consultants` (the"
            " command line, in its own process: wall time including start-up). *build*: what"
            " `leadtrack --warehouse W build --as-of 2026-11-23` runs (sync the catalogue,"
            " `dbt build` = seeds + models + tests, with the marts built into a new file, then"
            " publish that file: a rename since the code of 2026-11-27, a copy of the marts"
            " before), in its own process with a private dbt `--target-path`;"
            " the time is measured inside the process (dbt's import, ~2 s, excluded; it is in"
            " the wall column). dbt's parse cache is warm, as for every build but the first"
            " after installing or changing the models: the process first runs `dbt parse`,"
            " which is left out of both columns (the full parse, once, is under *dbt's fixed"
            " overhead* below). *models Σ*: the sum of the models' own execution times as dbt"
            " reports them; *tests Σ* likewise. *dbt overhead* = dbt's wall time − (Σ of all"
            f" node times) / {DBT_THREADS} threads: the time dbt spends outside nodes (parsing,"
            " the DAG, connections, adapter metadata queries, writing artifacts), assuming"
            " the two threads stay busy while nodes run (they do not always, so it is an upper"
            " bound of the true fixed cost).",
            "",
            "| leads | calls | load s (wall) | load peak MB | build s | build wall s |"
            " models Σ s | tests Σ s | publish s | dbt overhead s | build peak MB |"
            " load + build s | warehouse MB | load avg (load / build) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for size, row in sorted(figures["build"].items()):
            load, build = row["load"], row["build"]
            result = build["result"]
            nodes = result["node_seconds"]
            models = sum(v for k, v in nodes.items() if "model" in k)
            tests = sum(v for k, v in nodes.items() if "test" in k)
            overhead = result["dbt_seconds"] - sum(nodes.values()) / DBT_THREADS
            publish = result.get("publish_seconds")
            lines.append(
                f"| {size:,} | {row['calls']:,} | {load['wall']:.1f} | {load['max_rss_mb']:,.0f}"
                f" | {result['seconds']:.1f} | {build_wall(build):.1f} | {models:.1f}"
                f" | {tests:.1f} | {'–' if publish is None else f'{publish:.1f}'} |"
                f" {overhead:.1f} | {build['max_rss_mb']:,.0f} |"
                f" {load['wall'] + build_wall(build):.1f} |"
                f" {row['warehouse_mb']:,.0f} | {load['load_before']:.1f} /"
                f" {build['load_before']:.1f} |"
            )
        lines.append("")
        cpu_rows = [
            f"{size:,}: load {row['load']['cpu']:.0f} s, build {row['build']['cpu']:.0f} s"
            for size, row in sorted(figures["build"].items())
            if row["load"].get("cpu") is not None
        ]
        if cpu_rows:
            lines.append(
                "CPU time of those processes (user + system, both cores; what the work costs"
                " whatever else runs on the machine; the build's includes its warm-up parse): "
                + "; ".join(cpu_rows)
                + "."
            )
            lines.append("")
        lines += [
            f"The machine's speed just before each load and build: {SPEED_WORKLOAD}: "
            + "; ".join(
                f"{size:,}: {reference(row)}" for size, row in sorted(figures["build"].items())
            )
            + ". The slower the machine, the longer this takes; leadtrack's code takes no part"
            " in it, so two runs' seconds compare in its proportion.",
            "",
        ]
        for old in figures.get("build_history", []):
            lines.append(
                f"An earlier run at {old['size']:,} leads: load {old['load']['wall']:.1f} s +"
                f" build {old['build']['wall']:.1f} s = "
                f"{old['load']['wall'] + old['build']['wall']:.1f} s, peak"
                f" {max(old['load']['max_rss_mb'], old['build']['max_rss_mb']):,.0f} MB (load"
                f" average {old['load']['load_before']:.1f} / {old['build']['load_before']:.1f};"
                f" machine speed {reference(old)})."
            )
            lines.append("")
        biggest = max(figures["build"])
        slow = figures["build"][biggest]["build"]["result"]["slowest_models"]
        lines.append(
            f"Slowest models at {biggest:,} leads: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slow)
            + "."
        )
        lines.append("")
        lines += model_cpu_section(biggest, figures["build"][biggest])
    if "overhead" in figures:
        parse = figures["overhead"]["parse"]["result"]
        # The build again with the same checkout: dbt's parse cache warm, as every day's.
        tiny_run = figures["overhead"]["tiny_build_again"]
        tiny = tiny_run["result"]
        lines += [
            "dbt's fixed overhead, measured directly: `dbt parse --no-partial-parse`"
            f" {parse['seconds']:.1f} s, `dbt parse` (partial parse) {parse['partial_seconds']:.1f}"
            f" s; a whole build of a 200-lead warehouse {tiny_run['wall']:.1f} s from the"
            f" process's start to its end, {tiny['seconds']:.1f} s of it building (its"
            f" {tiny['node_counts']} nodes took {sum(tiny['node_seconds'].values()):.1f} s of"
            f" dbt's {DBT_THREADS} threads). The 200-lead build is the floor every build pays"
            " whatever the data.",
            "",
        ]

    if "week" in figures:
        w = figures["week"]
        c = w["counts"]
        load, build = w["load"], w["build"]
        total = week_total(w)
        lines += [
            f"## One more week at {w['size']:,} leads",
            "",
            "The demo generator is deterministic per seed and as-of date, and its export one"
            " week later is the whole agency again, shifted by a week (the same lead and call"
            " ids, other dates): a full re-export. So the week's exports are cut from it"
            " (`bench.run.child_week_delta`): the calls and milestone events dated in the new week,"
            " the tracker rows of the leads created that week (renamed so they are new leads)"
            " and of older leads that reached a milestone or were closed that week:"
            f" {c['new_leads']:,} new leads, {c['changed_leads']:,} changed leads,"
            f" {c['events']:,} events, {c['calls']:,} calls. Loaded into a copy of the built"
            f" {w['size']:,}-lead warehouse, then built as of"
            f" {AS_OF + timedelta(days=7)}. Before the timed steps, dbt parses the project"
            " for the copy (not timed): a team builds one warehouse week after week, so its"
            " dbt target already holds the parse for that warehouse, and dbt parses the whole"
            " project again (about 4 s) for a warehouse path it has not parsed for. Both steps"
            " are the commands a team runs (`leadtrack load`, `leadtrack build --as-of`), each"
            " timed from its process's start to its end.",
            "",
            "| | s (wall) | of it dbt's command s | peak MB | load avg |",
            "|---|---:|---:|---:|---:|",
            f"| load the week's 3 files | {load['wall']:.1f} | – | {load['max_rss_mb']:,.0f} |"
            f" {load['load_before']:.1f} |",
            f"| build --as-of | {build_wall(build):.1f} | {build['result']['dbt_seconds']:.1f} |"
            f" {build['max_rss_mb']:,.0f} | {build['load_before']:.1f} |",
            f"| **total** | **{total:.1f}** | | | |",
            "",
        ]
        if build.get("cpu") is not None:
            node_seconds = build["result"]["node_seconds"].items()
            models = sum(seconds for kind, seconds in node_seconds if "model" in kind)
            tests = sum(seconds for kind, seconds in node_seconds if "test" in kind)
            lines += [
                f"CPU time: load {load['cpu']:.1f} s, build {build['cpu']:.1f} s. Build nodes:"
                f" models Σ {models:.1f} s, tests Σ {tests:.1f} s;"
                " slowest models "
                + ", ".join(f"{n} {t:.1f} s" for n, t in build["result"]["slowest_models"])
                + ".",
                "",
            ]
        lines += [
            f"The machine's speed just before the week's load ({SPEED_WORKLOAD}): {reference(w)}.",
            "",
        ]
        for old in figures.get("week_history", []):
            lines += [
                "An earlier run"
                + (
                    ", timed in-process without the build's start-up (dbt's import and a warm"
                    " parse)"
                    if "parse_seconds" in old["build"]["result"]
                    else ""
                )
                + f": load {old['load']['wall']:.1f} s + build {build_wall(old['build']):.1f} s"
                f" (load average {old['load']['load_before']:.1f};"
                f" machine speed {reference(old)}).",
                "",
            ]

    lines += week_floor_section(figures)

    if "dashboard" in figures:
        d = figures["dashboard"]
        queries = d["result"]["queries"]
        lines += [
            f"## Dashboard queries at {d['size']:,} leads",
            "",
            f"Each query behind each page, through the path source as the app calls it (every"
            f" call opens a read-only connection to `{d['source']}`, runs, closes), with the"
            " parameters a first visit uses (the default period, last 4 weeks; no team or"
            " consultant, then one of each where the page takes them). One warm-up call, then"
            " 20 timed calls (5 when a call takes over 2 s). The app caches answers for 5"
            " minutes, so these are the figures of the first visitor after a build. Streamlit"
            " runs an expander's body even when it is closed, so the drill-down lists run on"
            f" every page view and are listed too. Peak memory of the process:"
            f" {d['max_rss_mb']:,.0f} MB; 1-minute load average {d['load_before']:.1f} at the"
            f" start, {d['load_after']:.1f} at the end. *CPU p50*: the process's CPU time per"
            " call (all its threads; DuckDB uses both cores), which other people's work on the"
            " machine does not inflate the way it inflates wall time.",
            "",
        ]
        history = figures.get("dashboard_history", [])
        earlier = {q["query"]: q for q in (history[-1]["result"]["queries"] if history else [])}
        head = "| page | query | rows | p50 ms | p95 ms | max ms | CPU p50 ms | < 100 ms p95 |"
        rule = "|---|---|---:|---:|---:|---:|---:|---|"
        if earlier:
            previous = history[-1]
            head += (
                f" earlier run p50 / p95 ms (load {previous['load_before']:.1f} →"
                f" {previous.get('load_after', float('nan')):.1f}) |"
            )
            rule += "---|"
        lines += [head, rule]
        for q in queries:
            ok = "yes" if q["p95_ms"] < 100 else f"**no** ({q['p95_ms'] / 100:.1f}×)"
            cpu = q.get("cpu_p50_ms")
            line = (
                f"| {q['page']} | `{q['query']}` | {q['rows']:,} | {q['p50_ms']:.0f} |"
                f" {q['p95_ms']:.0f} | {q['max_ms']:.0f} |"
                f" {'–' if cpu is None else f'{cpu:.0f}'} | {ok} |"
            )
            if earlier:
                old = earlier.get(q["query"])
                line += f" {old['p50_ms']:.0f} / {old['p95_ms']:.0f} |" if old else " – |"
            lines.append(line)
        lines.append("")

    lines += postgres_section(figures)
    lines += growth_section(figures)
    lines += targets_section(figures)
    lines += kept_analysis(output)
    lines += ["## Commands", "", "```"]
    for invocation, wall, *code in figures["runs"]:
        lines.append(f"{invocation}   # bench wall time {wall}")
        if code:
            lines.append(f"#   code: {code[0]}")
    lines += [
        "# Each step, in its own process (S = leads; N runs where stated):",
        'python -m bench.run --child generate --args \'{"folder": "bench/data/demo-S",'
        ' "leads": S, "as_of": "2026-11-23"}\'   # only when the data is missing',
        'python -m bench.run --child bare_csv --args \'{"csv": "bench/data/demo-S/calls.csv",'
        ' "db": "bench/data/scratch/ingest-bare.duckdb"}\'   # xN',
        'python -m bench.run --child leadtrack_csv --args \'{"csv": ..., "db": ...}\'   # xN',
        'python -m bench.run --child pandas_sqlite --args \'{"csv": ..., "db":'
        ' "bench/data/scratch/ingest-pandas.sqlite"}\'   # xN',
        'python -m bench.run --child leadtrack_csv --args \'{"csv":'
        ' "bench/data/demo-100000/tracker.xlsx", "db": ..., "kind": "tracker"}\'   # x2',
        'python -m bench.run --child openpyxl --args \'{"xlsx":'
        ' "bench/data/demo-100000/tracker.xlsx"}\'   # x2',
        'python -m bench.run --child bare_csv --args \'{"csv": "bench/data/demo-100000/calls.csv",'
        ' "db": "bench/data/scratch/reference.duckdb"}\'   # x3: the machine\'s speed, before'
        " each load and build and before the week's load",
        'python -m bench.run --child parse --args \'{"target": "bench/data/scratch/parse"}\'',
        "leadtrack --warehouse bench/data/scratch/warehouse-S.duckdb load"
        " bench/data/demo-S/{tracker.xlsx or tracker.csv,events.csv,calls.csv,consultants.csv}",
        'python -m bench.run --child build --args \'{"warehouse":'
        ' "bench/data/scratch/warehouse-S.duckdb", "as_of": "2026-11-23", "target":'
        ' "bench/data/scratch/target-S"}\'',
        'python -m bench.run --child dashboard --args \'{"source":'
        ' "bench/data/scratch/warehouse-1000000.marts.duckdb", "reps": 20}\'',
        "# The week (W = 1000000) and its floor (W = 200, x3):",
        "python -m bench.run --child week_delta --args '{\"leads\": 1000000}'",
        'python -m bench.run --child generate --args \'{"folder": "bench/data/demo-200-20261130",'
        ' "leads": 200, "as_of": "2026-11-30"}\'   # the floor\'s week: only when missing',
        "cp warehouse-W.duckdb (and .marts.duckdb) week-W.duckdb  # not timed",
        'python -m bench.run --child parse --args \'{"target":'
        ' "bench/data/scratch/week-target-W", "warehouse":'
        ' "bench/data/scratch/week-W.duckdb"}\'  # not timed',
        "leadtrack --warehouse bench/data/scratch/week-W.duckdb load"
        " bench/data/week-1000000-20261130/{tracker.csv,events.csv,calls.csv}"
        " (W = 200: bench/data/demo-200-20261130/{tracker.xlsx,events.csv,calls.csv})",
        "DBT_TARGET_PATH=bench/data/scratch/week-target-W DBT_LOG_PATH=(the same) leadtrack"
        " --warehouse bench/data/scratch/week-W.duckdb build --as-of 2026-11-30",
        "# The postgres step (S = 100000; connections in LEADTRACK_POSTGRES_URL and"
        " LEADTRACK_POSTGRES_READER_URL, never in a command):",
        "leadtrack --target postgres --warehouse bench/data/scratch/postgres-S.duckdb load"
        " bench/data/demo-S/{tracker.xlsx,events.csv,calls.csv,consultants.csv}",
        'python -m bench.run --child postgres_build --args \'{"warehouse":'
        ' "bench/data/scratch/postgres-S.duckdb", "as_of": "2026-11-23", "target":'
        ' "bench/data/scratch/target-postgres-S"}\'',
        'python -m bench.run --child postgres_refresh --args \'{"warehouse":'
        ' "bench/data/scratch/postgres-S-laptop.duckdb"}\'',
        "leadtrack --warehouse bench/data/scratch/postgres-beside-S.duckdb load (the same 4 files)",
        'python -m bench.run --child build --args \'{"warehouse":'
        ' "bench/data/scratch/postgres-beside-S.duckdb", "as_of": "2026-11-23", "target":'
        ' "bench/data/scratch/target-postgres-beside-S"}\'',
    ]
    lines += ["```", ""]
    return "\n".join(lines)


def week_total(week: dict[str, Any]) -> float:
    """A week's wall time: its load, and its build without the untimed warm-up parse."""
    return week["load"]["wall"] + build_wall(week["build"])


def week_floor_section(figures: dict[str, Any]) -> list[str]:
    """One more week at 200 leads (`bench_week_floor`): what any week costs on this machine."""
    if "week_floor" not in figures:
        return []
    floor = figures["week_floor"]
    runs = floor["runs"]
    nodes = runs[0]["build"]["result"]["node_counts"]
    lines = [
        f"## One more week at {floor['size']} leads: the floor",
        "",
        f"The week's steps above, at {floor['size']} leads, {len(runs)} times: the"
        f" {floor['size']}-lead agency's whole export a week later ({floor['calls']:,} calls;"
        " every lead, event and call again, with the week's new ones: more than a week's"
        f" delta) loaded into a copy of the built {floor['size']}-lead warehouse, then built as"
        f" of {AS_OF + timedelta(days=7)} (`leadtrack load`, `leadtrack build --as-of`, each"
        " timed from its process's start to its end), dbt's parse warm. With"
        " next to no data, this is what a week costs whatever the warehouse holds: the"
        f" processes' start-up (Python, the readers, dbt's import), dbt's parse from cache, its"
        f" {sum(nodes.values())} nodes ("
        + ", ".join(f"{count} {kind}s" for kind, count in nodes.items())
        + "), the artifacts it writes and the publish.",
        "",
        "| run | load s (wall) | build s (wall) | of it dbt's command s | total s | CPU s"
        " (load + build) | machine speed |",
        "|---:|---:|---:|---:|---:|---|---|",
    ]
    for number, run in enumerate(runs, 1):
        load, build = run["load"], run["build"]
        lines.append(
            f"| {number} | {load['wall']:.1f} | {build_wall(build):.1f} |"
            f" {build['result']['dbt_seconds']:.1f} | {week_total(run):.1f} |"
            f" {load['cpu']:.1f} + {build['cpu']:.1f} | {reference(run)} |"
        )
    best = min(week_total(run) for run in runs)
    return [
        *lines,
        "",
        f"The fastest week at {floor['size']} leads took **{best:.1f} s**: the target of 10 s"
        " for one more week at 1,000,000 leads is below what a week costs here before any"
        " work that grows with the leads.",
        "",
    ]


def model_cpu_section(size: int, row: dict[str, Any]) -> list[str]:
    """Where the build's CPU goes: each model alone (`child_model_cpu`), beside the build's."""
    model_cpu = row.get("model_cpu")
    if not model_cpu:
        return []
    models = sorted(model_cpu["models"].items(), key=lambda item: -item[1][0])
    total = sum(cpu for cpu, _ in model_cpu["models"].values())
    build = row["build"]
    lines = [
        f"Where the build's CPU goes at {size:,} leads: each model's compiled SQL run alone on"
        " the built warehouse, in a process of its own after the build, written into a"
        " scratch file and checkpointed (`bench.run.child_model_cpu`). In the build, dbt runs"
        " two models at once, so a node's time above includes the other's share of the 2"
        f" cores; alone, a model's CPU time is its cost. The {len(models)} models take"
        f" {total:.1f} s of CPU alone"
        + (
            f", of the build process's {build['cpu']:.0f} s (the rest: the tests, dbt's own"
            " Python and the warm-up parse)"
            if build.get("cpu") is not None
            else ""
        )
        + ".",
        "",
        "| model | CPU s | wall s | share of the models' CPU |",
        "|---|---:|---:|---:|",
    ]
    shown = [item for item in models if item[1][0] >= 0.5]
    for name, (cpu, wall) in shown:
        lines.append(f"| {name} | {cpu:.1f} | {wall:.1f} | {cpu / total:.0%} |")
    rest = models[len(shown) :]
    if rest:
        lines.append(
            f"| the other {len(rest)} | {sum(cpu for _, (cpu, _) in rest):.1f}"
            f" | {sum(wall for _, (_, wall) in rest):.1f}"
            f" | {sum(cpu for _, (cpu, _) in rest) / total:.0%} |"
        )
    return [*lines, ""]


def postgres_section(figures: dict[str, Any]) -> list[str]:
    """Issue 7: the shared warehouse on PostgreSQL beside DuckDB, at the same size."""
    if "postgres" not in figures:
        return []
    f = figures["postgres"]
    pg, duck = f["postgres"], f["duckdb"]

    def cell(value: float | None, digits: int = 1) -> str:
        return "–" if value is None else f"{value:,.{digits}f}"

    def row(label: str, run: dict[str, Any], server: float | None) -> str:
        return (
            f"| {label} | {build_wall(run):.1f} | {cell(run.get('cpu'))} | {cell(server)} |"
            f" {run['max_rss_mb']:,.0f} | {run['load_before']:.1f} |"
        )

    pb, db = pg["build"]["result"], duck["build"]["result"]
    refresh = pg["refresh"]["result"]
    return [
        f"## PostgreSQL beside DuckDB at {f['size']:,} leads",
        "",
        "The 4 demo files loaded (`leadtrack [--target postgres] load`) and built"
        " (`leadtrack build`'s steps, in one process) on each engine, in the same run, each"
        f" step in a fresh process. PostgreSQL: {f['server']}, on this machine (loopback)."
        " *CPU*: user + system seconds of our process; *server CPU*: of the PostgreSQL server"
        " (its main process and every backend) during the step, measured from /proc (–: a"
        " configured server, not measured). Peak memory is our process's; a dbt target of"
        " its own for each engine, parsed first, as for the DuckDB builds above (the wall"
        " time leaves that parse out; the CPU time includes it).",
        "",
        "| step | wall s | CPU s | server CPU s | peak MB | load avg |",
        "|---|---:|---:|---:|---:|---:|",
        row("DuckDB: load", duck["load"], None),
        row("PostgreSQL: load (COPY)", pg["load"], pg["load_server_cpu"]),
        row("DuckDB: build", duck["build"], None),
        row("PostgreSQL: build", pg["build"], pg["build_server_cpu"]),
        row("PostgreSQL: a consultant's first refresh", pg["refresh"], None),
        "",
        f"Inside the builds: dbt {db['dbt_seconds']:.1f} s on DuckDB, {pb['dbt_seconds']:.1f} s"
        f" on PostgreSQL. Publishing the dashboard's snapshot: {cell(db.get('publish_seconds'), 2)}"
        f" s on DuckDB (the file dbt built the marts into renamed over the published file);"
        " on PostgreSQL"
        f" {pb['promote_seconds']:.2f} s to promote the build (views made tables, then stamp,"
        " catalogue, schema renames and grants in one transaction) and"
        f" {pb['publish_seconds']:.2f} s to copy the marts"
        f" with the reader role into the local file ({pb['marts_mb']:.0f} MB). A consultant's"
        f" machine without a copy fetches it in {refresh['seconds']:.2f} s on the first page"
        f" view; each later page view asks for the build stamp ({refresh['check_p50_ms']:.1f}"
        f" ms p50, {refresh['check_max_ms']:.1f} ms max, over 20). Slowest models on PostgreSQL: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in pb["slowest_models"])
        + f". Sizes: the PostgreSQL database {pg['database_mb']:,.0f} MB, the DuckDB warehouse"
        f" {duck['warehouse_mb']:,.0f} MB.",
        "",
    ]


def targets_section(figures: dict[str, Any]) -> list[str]:
    """Issue 6's targets against this run's figures."""
    rows = []
    ingest = figures.get("ingest", {}).get(max(figures.get("ingest", {0: None})), None)
    if ingest:
        bare, ours, pandas = (ingest[key]["best"] for key in ("bare", "leadtrack", "pandas"))
        rows.append(
            (
                f"CSV ingest ≤ 1.5× bare DuckDB ({ingest['rows']:,} rows)",
                f"{ours / bare:.2f}×",
                ours / bare <= 1.5,
            )
        )
        rows.append(
            (
                "CSV ingest ≥ 6× faster than pandas + SQLite",
                f"{pandas / ours:.2f}×",
                pandas / ours >= 6,
            )
        )
    if "xlsx" in figures:
        x = figures["xlsx"]["openpyxl"]["best"] / figures["xlsx"]["leadtrack"]["best"]
        rows.append(("XLSX ingest ≥ 5× faster than openpyxl", f"{x:.2f}×", x >= 5))
    build = figures.get("build", {}).get(1_000_000)
    if build:
        total = build["load"]["wall"] + build_wall(build["build"])
        peak = max(build["load"]["max_rss_mb"], build["build"]["max_rss_mb"])
        rows.append(
            (
                "load + build at 1,000,000 leads ≤ 60 s",
                f"{total:.0f} s (machine speed {reference(build)})",
                total <= 60,
            )
        )
        rows.append(("… peak memory ≤ 4 GB", f"{peak / 1024:.1f} GB", peak <= 4096))
    if "week" in figures:
        week = week_total(figures["week"])
        floor = figures.get("week_floor")
        at_floor = (
            f"; at {floor['size']} leads {min(week_total(run) for run in floor['runs']):.1f} s"
            if floor
            else ""
        )
        rows.append(
            (
                "one more week loaded and rebuilt ≤ 10 s",
                f"{week:.0f} s (machine speed {reference(figures['week'])}){at_floor}",
                week <= 10,
            )
        )
    if "dashboard" in figures:
        queries = figures["dashboard"]["result"]["queries"]
        missed = [q for q in queries if q["p95_ms"] >= 100]
        worst = max(queries, key=lambda q: q["p95_ms"])
        rows.append(
            (
                "every page's queries < 100 ms p95",
                f"{len(missed)} of {len(queries)} miss; worst {worst['query']}"
                f" {worst['p95_ms']:.0f} ms",
                not missed,
            )
        )
    for name, values in series(figures).items():
        sizes = sorted(values)
        if len(sizes) > 1 and sizes[0] > 0 and values[sizes[0]] > 0:
            exponent = math.log(values[sizes[-1]] / values[sizes[0]]) / math.log(
                sizes[-1] / sizes[0]
            )
            rows.append(
                (
                    f"near-linear growth: {name}",
                    f"time ∝ leads^{exponent:.2f}",
                    exponent <= 1.1,
                )
            )
    if not rows:
        return []
    lines = [
        "## Targets (issue 6)",
        "",
        "Growth exponent: log(cost at the largest size / cost at the smallest) / log(size"
        " ratio); 1 is linear, below 1 means fixed costs still dominate the small sizes.",
        "",
        "| target | this run | met |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    lines.append("")
    return lines


def kept_analysis(path: Path) -> list[str]:
    """The hand-written `## Analysis` section of the previous results, kept across runs."""
    if not path.exists():
        return []
    text = path.read_text()
    start = text.find("\n## Analysis")
    if start < 0:
        return []
    end = text.find("\n## ", start + 1)
    return [*text[start + 1 : end if end >= 0 else len(text)].rstrip().splitlines(), ""]


def fmt(values: list[float], digits: int = 2) -> str:
    return ", ".join(f"{value:.{digits}f}" for value in values)


def shorten(command: str) -> str:
    bin_dir = str(Path(sys.executable).parent) + "/"
    command = command.replace(sys.executable, "python").replace(bin_dir, "")
    return command.replace(str(ROOT) + "/", "")


def series(figures: dict[str, Any]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for size, row in figures.get("ingest", {}).items():
        for method, name in (
            ("bare", "CSV ingest: bare DuckDB"),
            ("leadtrack", "CSV ingest: leadtrack load"),
            ("pandas", "CSV ingest: pandas + SQLite"),
        ):
            out.setdefault(name, {})[size] = row[method]["best"]
    for size, row in figures.get("build", {}).items():
        out.setdefault("leadtrack load (4 files, wall)", {})[size] = row["load"]["wall"]
        out.setdefault("leadtrack build (in-process)", {})[size] = row["build"]["result"]["seconds"]
        out.setdefault("build: models Σ", {})[size] = sum(
            v for k, v in row["build"]["result"]["node_seconds"].items() if "model" in k
        )
    return out


def memory_series(figures: dict[str, Any]) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for size, row in figures.get("ingest", {}).items():
        for method in ("bare", "leadtrack", "pandas"):
            out.setdefault(f"CSV ingest: {method}", {})[size] = row[method]["max_rss_mb"]
    for size, row in figures.get("build", {}).items():
        out.setdefault("load", {})[size] = row["load"]["max_rss_mb"]
        out.setdefault("build", {})[size] = row["build"]["max_rss_mb"]
    return out


def growth_section(figures: dict[str, Any]) -> list[str]:
    time_series, memory = series(figures), memory_series(figures)
    if not any(len(values) > 1 for values in time_series.values()):
        return []
    lines = [
        "## Growth from 10,000 to 1,000,000 leads",
        "",
        "Cost ratio per tenfold step of leads (10k → 100k / 100k → 1M); linear growth is ×10"
        " per step, and fixed costs (process start, dbt's parse and DAG) make the first step"
        f" smaller. Plot: `{PLOT.relative_to(ROOT)}` (log-log).",
        "",
        "| cost | seconds (per size) | time growth per 10× | peak MB growth per 10× |",
        "|---|---|---|---|",
    ]
    memory_names = {
        "CSV ingest: bare DuckDB": "CSV ingest: bare",
        "CSV ingest: leadtrack load": "CSV ingest: leadtrack",
        "CSV ingest: pandas + SQLite": "CSV ingest: pandas",
        "leadtrack load (4 files, wall)": "load",
        "leadtrack build (in-process)": "build",
    }
    for name, values in time_series.items():
        seconds = " / ".join(f"{values[size]:.2f}" for size in sorted(values))
        mem = memory.get(memory_names.get(name, ""), {})
        lines.append(f"| {name} | {seconds} | {growth(values)} | {growth(mem) if mem else '–'} |")
    lines.append("")
    return lines


def plot(figures: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    time_series = series(figures)
    if not any(len(values) > 1 for values in time_series.values()):
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for name, values in time_series.items():
        sizes = sorted(values)
        left.plot(sizes, [values[size] for size in sizes], marker="o", label=name)
    reference = time_series.get("CSV ingest: bare DuckDB") or next(iter(time_series.values()))
    smallest = min(reference)
    sizes = sorted({size for values in time_series.values() for size in values})
    left.plot(
        sizes,
        [reference[smallest] * size / smallest for size in sizes],
        linestyle="--",
        color="grey",
        label="linear (slope 1)",
    )
    left.set(
        xscale="log", yscale="log", xlabel="leads", ylabel="seconds", title="Time against size"
    )
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7)
    for name, values in memory_series(figures).items():
        sizes = sorted(values)
        right.plot(sizes, [values[size] for size in sizes], marker="o", label=name)
    right.set(
        xscale="log",
        yscale="log",
        xlabel="leads",
        ylabel="peak RSS (MB)",
        title="Peak memory against size",
    )
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=7)
    figure.suptitle(f"leadtrack benchmarks ({figures['machine']['date']})")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


# --- entry point ------------------------------------------------------------------------------


CHILDREN = {
    "bare_csv": child_bare_csv,
    "leadtrack_csv": child_leadtrack_csv,
    "pandas_sqlite": child_pandas_sqlite,
    "openpyxl": child_openpyxl,
    "build": child_build,
    "parse": child_parse,
    "model_cpu": child_model_cpu,
    "dashboard": child_dashboard,
    "generate": child_generate,
    "week_delta": child_week_delta,
    "postgres_build": child_postgres_build,
    "postgres_refresh": child_postgres_refresh,
}


def _int_keys(mapping: dict[str, Any]) -> dict[Any, Any]:
    """JSON keeps the sizes as text; make them numbers again."""
    return {int(key) if key.isdigit() else key: value for key, value in mapping.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--reps", type=int, default=20, help="timed calls per dashboard query")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the figures of the previous run (bench/data/scratch/figures.json) for the"
        " steps not run now",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite results.md and the plot from the saved figures, measuring nothing",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--args", default="{}")
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](**json.loads(args.args))
        print(MARKER + json.dumps(result, default=str), flush=True)
        return

    sizes = sorted(int(size) for size in args.sizes.split(","))
    steps = [step for step in args.steps.split(",") if step]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {STEPS}")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    saved = SCRATCH / "figures.json"
    if (args.merge or args.report_only) and saved.exists():
        figures = json.loads(saved.read_text(), object_hook=_int_keys)
    if args.report_only:
        figures["machine"] = machine() | figures.get("machine", {})
        if "runs" not in figures:
            wall = figures["machine"].pop("bench wall time", "?")
            figures["runs"] = [("uv run python -m bench.run", wall)]
        args.output.write_text(report(figures, args.output))
        plot(figures)
        print(f"wrote {args.output} and {PLOT}", flush=True)
        return
    figures["machine"] = machine()
    started = time.perf_counter()
    biggest = max(sizes)
    if "ingest" in steps:
        for size in sizes:
            print(f"CSV ingest at {size:,} leads", flush=True)
            bench_ingest(size, figures)
    if "xlsx" in steps:
        print("XLSX ingest", flush=True)
        bench_xlsx(figures)
    if "build" in steps:
        if "overhead" not in figures or not args.merge:
            print("dbt fixed overhead", flush=True)
            bench_fixed_overhead(figures)
        for size in sizes:
            print(f"load and build at {size:,} leads", flush=True)
            bench_build(size, figures, profile=size == biggest)
    if "dashboard" in steps:
        print(f"dashboard at {biggest:,} leads", flush=True)
        bench_dashboard(biggest, args.reps, figures)
    if "week" in steps:
        print(f"one more week at {biggest:,} leads", flush=True)
        bench_week(biggest, figures)
    if "floor" in steps:
        print(f"one more week at {FLOOR_LEADS} leads: the floor", flush=True)
        bench_week_floor(figures)
    if "postgres" in steps:
        print(f"PostgreSQL beside DuckDB at {PG_LEADS:,} leads", flush=True)
        bench_postgres(PG_LEADS, figures)
    invocation = " ".join(["uv run python -m bench.run", *sys.argv[1:]])
    figures.setdefault("runs", []).append(
        (invocation, f"{time.perf_counter() - started:.0f} s", figures["machine"]["code"])
    )
    (SCRATCH / "figures.json").write_text(json.dumps(figures, default=str, indent=1))
    args.output.write_text(report(figures, args.output))
    plot(figures)
    print(f"wrote {args.output} and {PLOT}", flush=True)


if __name__ == "__main__":
    main()
