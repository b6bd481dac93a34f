"""Week after week, incremental builds give exactly what one full build of the same loads gives.

A team loads a week's exports and builds, every week: the staging models read only the loads
newer than the last staged one and replace the versions those supersede. Here four weeks of a
small agency's exports, written as a team's tools write them and loaded with ingest, carry the
edits that make incrementality hard (dates filled in, corrected, blanked ahead and behind, a
tick pasted over a date and back, leads lost, declined, filled and reopened, a row deleted
and added back, a consultant re-spelt and renamed, duplicate rows, calls re-exported with
another outcome and without ids, a log of days with two calls to a lead on one day
re-exported and then with a call added above them, a week of calls only, a file loaded
twice). After each week's build every published mart and every staging table equals, row
for row, what `dbt run --full-refresh` of the same warehouse gives.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from ingest.loader import connect, load_files
from leadtrack.settings import marts_path
from tests.test_dbt_models import CATALOGUE_CSV, PROJECT_ROOT, query, run_dbt

TRACKER_HEADER = (
    "Ref,Date generated,Consultant,Client,Status,Lost reason,Date closed,"
    "CVs received,Interviews arranged,Interviews completed,Resignation,Start date\n"
)
CALLS_HEADER = "Call ID,Lead ID,Consultant,Date/Time,Outcome,Call back on,Notes\n"
# A consultant's own call log: the day of each call, no time, no id.
DAYS_HEADER = "Date,Lead ID,Consultant,Outcome,Notes\n"

# Each week: the day its exports were loaded and the build's as-of date, and its files in
# the order they are loaded (a name ending in "again" is the same file loaded a second time).
WEEKS: list[tuple[str, dict[str, str]]] = [
    (
        "2026-11-02",
        {
            "consultants.csv": "Name,Team,Manager\nAlice Hart,North,Mo Khan\n"
            "Bob Lane,South,Mo Khan\nCara Wood,South,Mo Khan\n",
            "tracker.csv": TRACKER_HEADER
            # L1's interviews are arranged ahead; L2 resigned, starts ahead
            + "L1,01/10/2026,Alice Hart,Acme,Open,,,20/10/2026,20/11/2026,,,\n"
            "L2,01/10/2026,Bob Lane,Birch,Open,,,15/10/2026,19/10/2026,22/10/2026,"
            "28/10/2026,12/11/2026\n"
            "L3,05/10/2026,Alice Hart,Cedar,Open,,,10/10/2026,,,,\n"
            "L4,05/10/2026,Bob Lane,Delta,Open,,,12/10/2026,,,,\n"
            "L5,06/10/2026,Alice Hart,Elm,Open,,,Y,,,,\n"
            "L6,07/10/2026,Bob Lane,Fir,Open,,,05/10/2026,,,,\n"
            "L7,08/10/2026,Cara Wood,Gale,Open,,,,,,,\n"
            "L8,08/09/2026,Cara Wood,Hazel,Lost,No budget,30/09/2026,,,,,\n",
            "calls.csv": CALLS_HEADER + "C1,L1,Alice Hart,30/10/2026 10:00,Connected,,\n"
            "C2,L2,Bob Lane,30/10/2026 11:00,No answer,04/11/2026,\n"
            "C3,L4,Bob Lane,30/10/2026 12:00,Connected,,\n",
        },
    ),
    (
        "2026-11-09",
        {
            "tracker.csv": TRACKER_HEADER
            # L1: the interviews ahead withdrawn (blank), its consultant re-spelt; L2: CVs
            # moved earlier, the start moved later, its row twice; L3: CVs (passed) blanked,
            # renamed to Bob; L4 lost; L5 deleted; L6's date pasted over with a tick; L7
            # declined, a first date filled in ahead; L9 new
            + "L1,01/10/2026,  alice HART ,Acme,Open,,,20/10/2026,,,,\n"
            "L2,01/10/2026,Bob Lane,Birch,Open,,,14/10/2026,19/10/2026,22/10/2026,"
            "28/10/2026,19/11/2026\n"
            "L2,01/10/2026,Bob Lane,Birch,Open,,,14/10/2026,19/10/2026,22/10/2026,"
            "28/10/2026,19/11/2026\n"
            "L3,05/10/2026,Bob Lane,Cedar,Open,,,,,,,\n"
            "L4,05/10/2026,Bob Lane,Delta,Lost,Filled internally,06/11/2026,12/10/2026,,,,\n"
            "L6,07/10/2026,Bob Lane,Fir,Open,,,Y,,,,\n"
            "L7,08/10/2026,Cara Wood,Gale,Declined,,,,12/11/2026,,,\n"
            "L8,08/09/2026,Cara Wood,Hazel,Lost,No budget,30/09/2026,,,,,\n"
            "L9,04/11/2026,Cara Wood,Ivy,Open,,,06/11/2026,,,,\n",
            # calls without ids, and C2 again with another outcome
            "calls.csv": "Lead ID,Consultant,Date/Time,Outcome,Call back on\n"
            "L1,Alice Hart,03/11/2026 09:00,Voicemail,\n"
            "L3,Alice Hart,04/11/2026 09:30,No answer,10/11/2026\n"
            "L9,Cara Wood,05/11/2026 15:00,Connected,\n",
            "calls_c2.csv": CALLS_HEADER + "C2,L2,Bob Lane,30/10/2026 11:00,Connected,,\n",
            # a log of days: two calls to L6 on 04/11
            "calls_by_day.csv": DAYS_HEADER + "04/11/2026,L6,Bob Lane,No answer,morning\n"
            "04/11/2026,L6,Bob Lane,Spoke - CVs on the way,afternoon\n",
        },
    ),
    (
        "2026-11-16",
        {
            # Only calls: last week's id-less calls exported again, the consultant in
            # capitals and one with another outcome; a new call with an id.
            "calls.csv": "Lead ID,Consultant,Date/Time,Outcome,Call back on\n"
            "L1,ALICE HART,03/11/2026 09:00,Connected,\n"
            "L3,alice hart,04/11/2026 09:30,No answer,10/11/2026\n"
            "L6,Bob Lane,12/11/2026 14:00,Connected,20/11/2026\n",
            "calls_ids.csv": CALLS_HEADER + "C4,L2,Bob Lane,13/11/2026 10:00,Voicemail,,\n",
            # L6's calls of 04/11 again, in capitals, the first with another outcome
            "calls_by_day.csv": DAYS_HEADER + "04/11/2026,L6,BOB LANE,Left message,morning\n"
            "04/11/2026,L6,bob lane,Spoke - CVs on the way,afternoon\n",
        },
    ),
    (
        "2026-11-23",
        {
            "tracker.csv": TRACKER_HEADER
            # L1's interviews written again, later; L2 filled; L3's CVs back, declined; L4
            # still lost; L5 back; L6's date back over the tick; L7 reopened, its
            # interviews (ahead when written) blank once passed; L8 reopened; L9 duplicated
            + "L1,01/10/2026,Alice Hart,Acme,Open,,,20/10/2026,25/11/2026,,,\n"
            "L2,01/10/2026,Bob Lane,Birch,Filled,,,14/10/2026,19/10/2026,22/10/2026,"
            "28/10/2026,19/11/2026\n"
            "L3,05/10/2026,Bob Lane,Cedar,Declined,,,11/10/2026,,,,\n"
            "L4,05/10/2026,Bob Lane,Delta,Lost,Filled internally,06/11/2026,12/10/2026,,,,\n"
            "L5,06/10/2026,alice hart,Elm,Open,,,Y,,,,\n"
            "L6,07/10/2026,Bob Lane,Fir,Open,,,05/10/2026,16/11/2026,,,\n"
            "L7,08/10/2026,Cara Wood,Gale,Open,,,,,,,\n"
            "L8,08/09/2026,Cara Wood,Hazel,Open,,,,,,,\n"
            "L9,04/11/2026,Cara Wood,Ivy,Open,,,06/11/2026,,,,\n"
            "L9,04/11/2026,Cara Wood,Ivy,Open,,,06/11/2026,,,,\n",
            "tracker.csv again": "",
            "calls.csv": CALLS_HEADER + "C5,L7,Cara Wood,20/11/2026 10:00,Connected,,\n",
            # and with a call of that day added above them
            "calls_by_day.csv": DAYS_HEADER + "04/11/2026,L6,Bob Lane,Busy,first thing\n"
            "04/11/2026,L6,Bob Lane,Left message,morning\n"
            "04/11/2026,L6,Bob Lane,Spoke - CVs on the way,afternoon\n",
        },
    ),
]


def _load_week(warehouse: Path, folder: Path, day: str, files: dict[str, str]) -> None:
    """Load the week's files with ingest, in order, as loaded on `day` (a minute apart)."""
    paths = []
    for name, text in files.items():
        if name.endswith(" again"):
            paths.append(paths[[path.name for path in paths].index(name.removesuffix(" again"))])
            continue
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    con = connect(warehouse)
    try:
        before = con.execute("select coalesce(max(load_id), 0) from raw.loads").fetchone()[0]
        results = load_files(con, paths, CATALOGUE_CSV)
        rejected = con.execute(
            "select reason from raw.rejected_rows where load_id > ?", [before]
        ).fetchall()
        # Only a row exactly like the one above it (the duplicates written in) is rejected.
        assert all(reason.startswith("the same as row") for (reason,) in rejected), rejected
        assert not any(result.rows_rejected for result in results if "calls" in result.path.name)
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.columns"
                " where table_schema = 'raw' and column_name = '_loaded_at'"
            ).fetchall()
        ]
        new_loads = con.execute(
            "select load_id from raw.loads where load_id > ? order by load_id", [before]
        ).fetchall()
        for minute, (load_id,) in enumerate(new_loads):
            loaded_at = f"{day} 09:{minute:02d}:00"
            for table in tables:
                con.execute(
                    f"update raw.{table} set _loaded_at = ?::timestamp where _load_id = ?",
                    [loaded_at, load_id],
                )
            con.execute(
                "update raw.loads set started_at = ?::timestamp, finished_at = ?::timestamp"
                " where load_id = ?",
                [loaded_at, loaded_at, load_id],
            )
    finally:
        con.close()


def _build(warehouse: Path, target: Path, as_of: str, *options: str, manifest: Any = None) -> Any:
    """`dbt run` as of `as_of`, as `run_dbt` runs it; returns the manifest it ran with (a
    parse's with these vars, or `manifest` given: dbt does not parse the project again)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        if manifest is None:
            monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(warehouse))
            parsed = dbtRunner().invoke(
                [
                    "parse",
                    *("--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)),
                    *("--target-path", str(target), "--log-path", str(target / "logs")),
                    *("--vars", json.dumps({"as_of": as_of})),
                ]
            )
            assert parsed.success, parsed.exception
            manifest = parsed.result
        result = run_dbt(
            ["run", *options],
            warehouse,
            target,
            monkeypatch=monkeypatch,
            as_of=as_of,
            manifest=manifest,
        )
    assert result.success, result.exception
    return manifest


def _tables(warehouse: Path, schema: str) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every table of `schema` (marts: the published file), each as a bag of rows. Opened as
    `query` opens it: dbt may hold the warehouse open in this process."""
    with duckdb.connect(str(marts_path(warehouse) if schema == "marts" else warehouse)) as con:
        names = con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        return {
            f"{schema}.{name}": Counter(con.execute(f"select * from {schema}.{name}").fetchall())
            for (name,) in names
        }


def _differences(incremental: Path, full: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Per table, the rows one build has and the other does not, over every published mart
    and every staging table (rows compared as bags, every column)."""
    differences = {}
    for schema in ("marts", "staging"):
        ours, theirs = _tables(incremental, schema), _tables(full, schema)
        assert ours.keys() == theirs.keys()
        assert ours, f"no {schema} tables"
        for name, rows in ours.items():
            if rows != theirs[name]:
                differences[name] = {
                    "incremental only": sorted((rows - theirs[name]).elements(), key=repr),
                    "full only": sorted((theirs[name] - rows).elements(), key=repr),
                }
    return differences


def test_weekly_incremental_builds_equal_a_full_build(tmp_path: Path) -> None:
    incremental = tmp_path / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    for week, (day, files) in enumerate(WEEKS, start=1):
        folder = tmp_path / f"week{week}"
        folder.mkdir()
        _load_week(incremental, folder, day, files)
        # Both builds of the week read one parse of the project (as of the same day): dbt
        # would parse it again for each, as the warehouse's path differs.
        manifest = _build(incremental, tmp_path / "target", day)
        if week == 1:
            continue  # the first build is a full one
        full = tmp_path / f"full{week}" / "warehouse.duckdb"
        full.parent.mkdir()
        # dbt may hold the warehouse open in this process: its last writes into the file first
        query(incremental, "checkpoint")
        shutil.copy(incremental, full)
        _build(full, tmp_path / "target", day, "--full-refresh", manifest=manifest)
        assert _differences(incremental, full) == {}, f"week {week} ({day})"
        if week == 2:
            # The builds agree on the edits, not on nothing: L1's interviews are withdrawn,
            # L4 lost, L7 declined.
            withdrawn = query(
                incremental,
                "select lead_id, milestone from staging.stg_milestone_events where is_withdrawn",
            )
            assert withdrawn == [{"lead_id": "L1", "milestone": "interviews_arranged"}]
            statuses = query(incremental, "select lead_id, status from marts.leads order by 1")
            assert {row["lead_id"]: row["status"] for row in statuses} == {
                "L1": "open",
                "L2": "open",
                "L3": "open",
                "L4": "lost",
                "L5": "open",
                "L6": "open",
                "L7": "declined",
                "L8": "lost",
                "L9": "open",
            }
    # L1's interviews are written again; L7's, blanked once passed, stay reached.
    withdrawn = query(
        incremental, "select lead_id from staging.stg_milestone_events where is_withdrawn"
    )
    assert withdrawn == []
    reached = query(
        incremental,
        "select lead_id, reached_date from marts.lead_milestones"
        " where milestone = 'interviews_arranged' order by lead_id",
    )
    assert [(row["lead_id"], str(row["reached_date"])) for row in reached] == [
        ("L2", "2026-10-19"),
        ("L6", "2026-11-16"),
        ("L7", "2026-11-12"),
    ]
    calls = query(incremental, "select lead_id, outcome from staging.stg_calls order by called_at")
    assert len(calls) == 12  # the re-exported calls are one call each
    # L6's three calls of 04/11, each once, the second with its corrected outcome
    days = query(
        incremental,
        "select outcome, is_connected from staging.stg_calls"
        " where lead_id = 'L6' and called_at = '2026-11-04' order by outcome",
    )
    assert days == [
        {"outcome": "Busy", "is_connected": False},
        {"outcome": "Left message", "is_connected": False},
        {"outcome": "Spoke - CVs on the way", "is_connected": True},
    ]
    loads = query(
        incremental, "select count(*) as tracker_loads from raw.loads where kind = 'tracker'"
    )
    assert loads == [{"tracker_loads": 3}]  # the file loaded twice is loaded once
