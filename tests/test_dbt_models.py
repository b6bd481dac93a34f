"""The dbt project against a small hand-made warehouse whose answers were worked out by hand.

The helpers (`load_catalogue`, `insert_rows`, `run_dbt`, `query`) are public so the
end-to-end test on the demo exports can reuse them: fill raw, build, read the marts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.schema import create_raw_schema
from leadtrack.publish import discard_build, prepare_build, publish_build
from leadtrack.settings import Settings, marts_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_CSV = PROJECT_ROOT / "seeds" / "milestones.csv"
AS_OF = "2026-11-23"

D = dt.date.fromisoformat

# ---------------------------------------------------------------------------------------------
# helpers


def load_catalogue(
    con: duckdb.DuckDBPyConnection,
    catalogue: Path = CATALOGUE_CSV,
    load_id: int = 1,
    loaded_at: str = "2026-11-01 08:00:00",
) -> None:
    """Copy a milestone catalogue CSV into raw.milestone_catalogue as one load."""
    with catalogue.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))

    def as_int(value: str) -> int | None:
        return int(value) if value.strip() else None

    rows = [
        {
            "milestone_order": int(record["milestone_order"]),
            "milestone": record["milestone"],
            "label": record["label"],
            "is_decision_point": record["is_decision_point"].strip().lower() == "true",
            "aliases": record["aliases"] or None,
            "quiet_after_days": as_int(record["quiet_after_days"]),
            "needs_confirmation": record["needs_confirmation"].strip().lower() == "true",
            "is_filled": record["is_filled"].strip().lower() == "true",
            "call_on_day": record["call_on_day"] or None,
            "follow_up_call": record["follow_up_call"] or None,
            "follow_up_after_days": as_int(record["follow_up_after_days"]),
        }
        for record in records
    ]
    insert_rows(con, "milestone_catalogue", rows, load_id=load_id, loaded_at=loaded_at)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    load_id: int,
    loaded_at: str = "2026-11-01 08:00:00",
    source_file: str | None = None,
) -> None:
    """Append rows to raw.<table> as one load, with lineage columns filled in."""
    for source_row, row in enumerate(rows, start=1):
        record = {
            **row,
            "_load_id": load_id,
            "_source_file": source_file or f"{table}_{load_id}.csv",
            "_source_row": source_row,
            "_loaded_at": loaded_at,
        }
        columns = ", ".join(record)
        placeholders = ", ".join("?" for _ in record)
        con.execute(
            f"insert into raw.{table} ({columns}) values ({placeholders})", list(record.values())
        )


def run_dbt(
    args: Iterable[str],
    warehouse: Path,
    target_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    as_of: str = AS_OF,
    manifest: Any = None,
) -> Any:
    """Run dbt in-process against the warehouse, the marts built into a new file that is
    published when dbt succeeds, as `leadtrack build` does; returns the dbtRunnerResult.
    With `manifest` (a parse's, with the same vars), dbt does not parse the project again."""
    from dbt.cli.main import dbtRunner

    settings = Settings(warehouse=warehouse)
    publishing = prepare_build(settings)
    monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LEADTRACK_PUBLISHING", str(publishing))
    monkeypatch.delenv("LEADTRACK_TARGET", raising=False)
    command = [
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--vars",
        json.dumps({"as_of": as_of}),
    ]
    result = dbtRunner(manifest=manifest).invoke(command)
    if result.success:
        publish_build(settings, publishing)
    discard_build(publishing)
    return result


def query(warehouse: Path, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query on the warehouse, as dicts; a query of the marts reads the published
    marts.

    dbt-duckdb may keep its in-process connection to the warehouse open after a run, and
    DuckDB refuses a second connection with another configuration (read_only) in the same
    process, so this opens it the way dbt did.
    """
    with duckdb.connect(str(marts_path(warehouse) if "marts." in sql else warehouse)) as con:
        cursor = con.execute(sql, list(params))
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def run_models(warehouse: Path, target_path: Path, *options: str) -> None:
    """`dbt run` (the models, no tests) on the warehouse, as of AS_OF; the test fails when
    dbt does."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = run_dbt(["run", *options], warehouse, target_path, monkeypatch=monkeypatch)
    assert result.success, result.exception


def calls_of(warehouse: Path, lead_id: str) -> dict[str, Any]:
    """The lead's calls made and connected, as `marts.leads` counts them."""
    (lead,) = query(
        warehouse,
        "select calls_made, calls_connected from marts.leads where lead_id = ?",
        [lead_id],
    )
    return lead


def load_and_run(warehouse: Path, files: list[Path]) -> list[Any]:
    """Load `files` with ingest (none rejecting a row), then `run_models` into a target
    beside them; the load results."""
    from ingest.loader import connect, load_files

    con = connect(warehouse)
    try:
        results = load_files(con, files, CATALOGUE_CSV)
    finally:
        con.close()
    assert all(result.rows_rejected == 0 for result in results), results
    run_models(warehouse, files[0].parent / "target")
    return results


# ---------------------------------------------------------------------------------------------
# the hand-made dataset (as of Monday 23/11/2026)

CONSULTANTS = [
    {"consultant": "Alice Hart", "team": "North", "manager": "Mo Khan"},
    {"consultant": "Bob Lane", "team": "South", "manager": "Mo Khan"},
]


def _lead(lead_id: str, created: str, consultant: str, **fields: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "created_date": D(created),
        "consultant": consultant,
        "client": f"Client {lead_id}",
        "contact": f"Contact {lead_id}",
        "phone": f"0161 000 {lead_id[-3:]}",
        **fields,
    }


LEADS = [
    # open at interviews completed, touched 3 days ago: exactly on its threshold, not stale
    _lead("L001", "2026-10-05", "Alice Hart", salary=50000, fee_pct=20),
    # resigned, start date 16/11 passed without a connected call since: start unconfirmed
    _lead("L002", "2026-09-01", "Alice Hart", fee=8000),
    # started 01/10, confirmed by a connected call the next day; probation due 01/01/2027
    _lead("L003", "2026-08-03", "Bob Lane", salary=60000, fee_pct=25),
    # lost after the first decision point
    _lead(
        "L004",
        "2026-07-01",
        "Bob Lane",
        salary=40000,
        fee_pct=20,
        status="lost",
        lost_reason="Client hired direct",
    ),
    # "thanks but no thanks", last spoken to 12/08: revisit due 10/11 (90 days)
    _lead("L005", "2026-08-10", "Alice Hart", status="declined", lost_reason="No budget"),
    # created three weeks ago, never touched
    _lead("L006", "2026-11-02", "Bob Lane"),
    # CVs sent, quiet for weeks but a call-back is agreed for 30/11: paused
    _lead("L007", "2026-10-01", "Bob Lane"),
    # two candidates' CVs (the first on 14/10), interview scheduled for 26/11
    _lead("L008", "2026-10-12", "Alice Hart"),
    # created after the as-of date: not seen
    _lead("L009", "2026-11-25", "Alice Hart"),
    # ticked through to probation: completed
    _lead("L010", "2026-06-01", "Bob Lane", salary=30000, fee_pct=15),
    # re-exported with the interview columns cleared: never un-reached
    _lead("L011", "2026-10-01", "Alice Hart", client="Old Co"),
    # resigned today, start scheduled for 07/12
    _lead("L012", "2026-09-15", "Bob Lane"),
    # start on 09/11 confirmed by the consultant marking the lead filled
    _lead("L013", "2026-09-01", "Alice Hart", status="filled"),
]


def _event(lead_id: str, milestone: str, date: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "milestone": milestone,
        "event_date": D(date) if date else None,
        "is_date_unknown": date is None,
        **fields,
    }


EVENTS = [
    _event("L001", "cvs_received", "2026-10-08"),
    _event("L001", "interviews_arranged", "2026-10-15"),
    _event("L001", "interviews_completed", "2026-10-20"),
    _event("L002", "cvs_received", "2026-09-03"),
    _event("L002", "resigned", "2026-11-02"),
    _event("L002", "started", "2026-11-16"),
    _event("L003", "started", "2026-10-01"),
    _event("L003", "probation_completed", "2027-01-01"),
    _event("L004", "cvs_received", "2026-07-05"),
    _event("L004", "interviews_booked", "2026-07-10"),
    _event("L004", "contender_confirmed", "2026-07-20"),
    _event("L007", "cvs_received", "2026-10-05"),
    _event("L008", "cvs_received", "2026-10-20", candidate="Ann Ray"),
    _event("L008", "cvs_received", "2026-10-14", candidate="Sam Wood"),
    _event("L008", "interviews_arranged", "2026-11-26", candidate="Sam Wood"),
    _event("L010", "cvs_received", "2026-06-05"),
    _event("L010", "verbal_offer_accepted", None),
    _event("L010", "started", "2026-09-01"),
    _event("L011", "cvs_received", "2026-10-03"),
    _event("L011", "interviews_completed", "2026-10-10"),
    _event("L012", "cvs_received", "2026-09-20"),
    _event("L012", "verbal_offer_accepted", "2026-11-01"),
    _event("L012", "written_offer_accepted", "2026-11-10"),
    _event("L012", "resigned", "2026-11-23"),
    _event("L012", "started", "2026-12-07"),
    _event("L013", "started", "2026-11-09"),
]


def _call(
    call_id: str, lead_id: str | None, consultant: str, at: str, outcome: str, **fields: Any
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "lead_id": lead_id,
        "consultant": consultant,
        "called_at": dt.datetime.fromisoformat(at),
        "outcome": outcome,
        **fields,
    }


CALLS = [
    _call("C01", "L001", "Alice Hart", "2026-11-20 10:00", "Connected"),
    _call("C02", "L002", "Alice Hart", "2026-11-10 09:30", "Connected"),
    _call("C03", "L002", "Alice Hart", "2026-11-17 09:30", "No answer"),
    _call("C04", "L003", "Bob Lane", "2026-10-02 11:00", "Spoke to candidate"),
    _call("C05", "L005", "Alice Hart", "2026-08-12 14:00", "Connected"),
    _call("C06", "L006", "Bob Lane", "2026-11-24 09:00", "Connected"),  # after the as-of date
    _call(
        "C07", "L007", "Bob Lane", "2026-10-20 16:00", "Connected", callback_date=D("2026-11-30")
    ),
    _call("C08", "L011", "Alice Hart", "2026-11-22 12:00", "Left message"),
    _call("C09", None, "Bob Lane", "2026-11-18 15:00", "Voicemail"),
    _call("C10", "L012", "Bob Lane", "2026-11-23 08:00", "Busy"),
]

# Load 6: a later tracker export. L011's client changed and its interview cell was cleared
# (a row with neither date nor tick): the milestone stays reached.
LEADS_RELOADED = [_lead("L011", "2026-10-01", "Alice Hart", client="New Co")]
EVENTS_RELOADED = [
    _event("L011", "cvs_received", "2026-10-03"),
    {**_event("L011", "interviews_completed", None), "is_date_unknown": False},
]
# Load 7, after the as-of date: probation ticked on L010 (reached, on an unknown date).
EVENTS_TICKED = [_event("L010", "probation_completed", None)]


def build_fixture_warehouse(path: Path, later_loads: bool = True) -> Path:
    """Create a warehouse holding the hand-made raw dataset above (without loads 6 and 7
    when `later_loads` is false; add them with `add_later_loads`)."""
    with duckdb.connect(str(path)) as con:
        create_raw_schema(con)
        load_catalogue(con, load_id=1)
        insert_rows(con, "leads", LEADS, load_id=2)
        insert_rows(con, "milestone_events", EVENTS, load_id=3)
        insert_rows(con, "calls", CALLS, load_id=4)
        insert_rows(con, "consultants", CONSULTANTS, load_id=5)
        if later_loads:
            add_later_loads(con)
    return path


def add_later_loads(con: duckdb.DuckDBPyConnection) -> None:
    """Loads 6 (a re-export of L011) and 7 (L010's probation tick, loaded after the as-of)."""
    insert_rows(con, "leads", LEADS_RELOADED, load_id=6, loaded_at="2026-11-15 08:00:00")
    insert_rows(
        con, "milestone_events", EVENTS_RELOADED, load_id=6, loaded_at="2026-11-15 08:00:00"
    )
    insert_rows(con, "milestone_events", EVENTS_TICKED, load_id=7, loaded_at="2026-12-01 08:00:00")


# ---------------------------------------------------------------------------------------------
# tests


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture warehouse after `dbt build` (models, data and unit tests), built twice:
    before and after loads 6 and 7, so the incremental staging models take the later loads
    the way they will in use."""
    root = tmp_path_factory.mktemp("dbt")
    warehouse = build_fixture_warehouse(root / "leadtrack.duckdb", later_loads=False)
    for build in ("first", "incremental"):
        if build == "incremental":
            with duckdb.connect(str(warehouse)) as con:
                add_later_loads(con)
        with pytest.MonkeyPatch.context() as monkeypatch:
            result = run_dbt(["build"], warehouse, root / "target", monkeypatch=monkeypatch)
        failures = [
            f"{node.node.name}: {node.status} {node.message}"
            for node in (result.result or [])
            if str(node.status) not in {"success", "pass"}
        ]
        assert result.success, f"{build} dbt build failed: {result.exception} {failures}"
    return warehouse


def _by_lead(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["lead_id"]: row for row in rows}


def test_leads_have_their_status_and_money(built_warehouse: Path) -> None:
    leads = _by_lead(query(built_warehouse, "select * from marts.leads"))
    assert sorted(leads) == [f"L0{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13)]
    assert {lead_id: row["status"] for lead_id, row in leads.items()} == {
        "L001": "open",
        "L002": "open",
        "L003": "filled",
        "L004": "lost",
        "L005": "declined",
        "L006": "open",
        "L007": "open",
        "L008": "open",
        "L010": "completed",
        "L011": "open",
        "L012": "open",
        "L013": "filled",
    }
    assert leads["L001"]["expected_fee"] == 10000
    assert leads["L002"]["expected_fee"] == 8000
    assert leads["L004"]["fee_lost"] == 8000
    assert leads["L004"]["lost_at_milestone"] == "contender_confirmed"
    assert leads["L001"]["fee_lost"] is None
    assert leads["L011"]["client"] == "New Co"
    assert leads["L001"]["team"] == "North"


def test_furthest_milestones_follow_the_rules(built_warehouse: Path) -> None:
    leads = _by_lead(query(built_warehouse, "select * from marts.leads"))
    furthest = {lead_id: row["furthest_milestone"] for lead_id, row in leads.items()}
    assert furthest == {
        "L001": "interviews_completed",
        "L002": "resigned",  # start not confirmed
        "L003": "started",  # confirmed by a connected call
        "L004": "contender_confirmed",
        "L005": None,
        "L006": None,
        "L007": "cvs_received",
        "L008": "cvs_received",  # the interview is scheduled, not reached
        "L010": "probation_completed",
        "L011": "interviews_completed",  # a cleared cell never un-reaches
        "L012": "resigned",  # today counts as reached
        "L013": "started",  # confirmed by the filled status
    }
    assert leads["L002"]["unconfirmed_milestone"] == "started"
    assert leads["L002"]["unconfirmed_date"] == D("2026-11-16")
    assert leads["L008"]["next_scheduled_milestone"] == "interviews_arranged"
    assert leads["L008"]["next_scheduled_date"] == D("2026-11-26")


def test_lead_milestones_imply_earlier_ones(built_warehouse: Path) -> None:
    rows = query(built_warehouse, "select * from marts.lead_milestones")
    assert len(rows) == 74
    by_key = {(row["lead_id"], row["milestone"]): row for row in rows}
    booked = by_key[("L001", "interviews_booked")]
    assert booked["is_implied"] and booked["reached_date"] == D("2026-10-15")
    assert by_key[("L008", "cvs_received")]["reached_date"] == D("2026-10-14")
    assert by_key[("L008", "cvs_received")]["first_candidate"] == "Sam Wood"
    # a tick takes the date of the earliest later dated milestone ...
    verbal = by_key[("L010", "verbal_offer_accepted")]
    assert verbal["reached_date"] == D("2026-09-01")
    assert verbal["reached_date_source"] == "later_milestone"
    # ... or, with none, its load date capped at the as-of date
    probation = by_key[("L010", "probation_completed")]
    assert probation["reached_date"] == D(AS_OF)
    assert probation["reached_date_source"] == "load_date"
    assert by_key[("L001", "interviews_completed")]["days_since_previous"] == 5


def test_stale_leads_and_their_reasons(built_warehouse: Path) -> None:
    stale = _by_lead(query(built_warehouse, "select * from marts.stale_leads"))
    assert {lead_id: row["reason"] for lead_id, row in stale.items()} == {
        "L002": "Start date 16/11/2026 passed unconfirmed",
        "L006": "No touch for 21 days since the lead was created on 02/11/2026, no milestone"
        " yet (threshold 7)",
        "L008": "No touch for 40 days since reaching CVs received on 14/10/2026 (threshold 7)",
    }
    assert stale["L008"]["days_quiet"] == 40
    leads = _by_lead(query(built_warehouse, "select * from marts.leads"))
    assert leads["L007"]["is_paused"] and not leads["L007"]["is_stale"]
    assert leads["L006"]["calls_made"] == 0  # its call is after the as-of date


def test_calls_due_with_reasons(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select lead_id, due_date, reason_code, reason, is_overdue, phone from marts.calls_due",
    )
    got = {(row["lead_id"], row["due_date"].isoformat(), row["reason_code"]) for row in rows}
    assert got == {
        ("L002", "2026-11-16", "milestone_unconfirmed"),
        ("L003", "2027-01-01", "milestone_day"),
        ("L005", "2026-11-10", "declined_revisit"),
        ("L007", "2026-11-30", "callback"),
        ("L008", "2026-11-26", "milestone_day"),
        ("L008", "2026-11-27", "milestone_follow_up"),
        # gone quiet, with no other call due by today (L002's unconfirmed start is one)
        ("L006", "2026-11-23", "gone_quiet"),
        ("L008", "2026-11-23", "gone_quiet"),
        ("L012", "2026-11-23", "milestone_day"),
        ("L012", "2026-11-25", "milestone_follow_up"),
        ("L012", "2026-12-07", "milestone_day"),
    }
    reasons = {(row["lead_id"], row["due_date"].isoformat()): row for row in rows}
    assert reasons[("L012", "2026-12-07")]["reason"] == "Confirm the candidate started today"
    assert (
        reasons[("L007", "2026-11-30")]["reason"]
        == "Call back, as agreed on the call of 20/10/2026"
    )
    assert reasons[("L002", "2026-11-16")]["is_overdue"]
    assert reasons[("L005", "2026-11-10")]["is_overdue"]
    assert not reasons[("L012", "2026-11-23")]["is_overdue"]
    assert reasons[("L008", "2026-11-26")]["phone"] == "0161 000 008"
    leads = _by_lead(query(built_warehouse, "select * from marts.leads"))
    # Gone quiet: a call today, before its interview day's.
    assert leads["L008"]["next_due_date"] == D("2026-11-23")
    assert reasons[("L008", "2026-11-23")]["reason"] == (
        "Gone quiet: No touch for 40 days since reaching CVs received on 14/10/2026"
        " (threshold 7). Call to revive it"
    )


def test_funnel_and_cohorts(built_warehouse: Path) -> None:
    funnel = query(
        built_warehouse,
        "select milestone, sum(leads_reached) as reached from marts.funnel_cohort_weekly"
        " group by milestone",
    )
    reached = {row["milestone"]: row["reached"] for row in funnel}
    assert reached["cvs_received"] == 10
    assert reached["started"] == 3
    assert reached["probation_completed"] == 1
    cohorts = query(
        built_warehouse,
        "select * from marts.cohorts_monthly where created_month = date '2026-10-01'"
        " and consultant = 'Alice Hart'",
    )
    assert len(cohorts) == 1
    assert cohorts[0]["leads_created"] == 3
    assert cohorts[0]["leads_open"] == 3


def test_stage_durations(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select consultant, leads, median_days, p80_days from marts.stage_durations"
        " where milestone = 'cvs_received' order by consultant",
    )
    assert [
        (row["consultant"], row["leads"], float(row["median_days"]), float(row["p80_days"]))
        for row in rows
    ] == [
        ("Alice Hart", 4, 2.0, 2.4),
        ("All consultants", 8, 3.5, 4.0),
        ("Bob Lane", 4, 4.0, 4.4),
    ]


def test_consultant_weekly(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select * from marts.consultant_weekly where week = date '2026-11-16' order by consultant",
    )
    by_consultant = {row["consultant"]: row for row in rows}
    # Alice: C03 (Tue 17/11, no answer), C01 (Fri 20/11, connected), C08 (Sun 22/11, left
    # message); Bob: C09 (18/11, voicemail); C10 is Monday 23/11, the next week
    assert by_consultant["Alice Hart"]["calls_made"] == 3
    assert by_consultant["Alice Hart"]["calls_connected"] == 1
    assert by_consultant["Bob Lane"]["calls_made"] == 1
    assert by_consultant["Bob Lane"]["calls_connected"] == 0
    now = query(
        built_warehouse,
        "select consultant, open_leads, quiet_leads from marts.consultant_weekly"
        " where is_as_of_week order by consultant",
    )
    assert [(row["consultant"], row["open_leads"], row["quiet_leads"]) for row in now] == [
        ("Alice Hart", 4, 2),
        ("Bob Lane", 3, 1),
    ]


def test_earlier_as_of_date_replays_the_pipeline(built_warehouse: Path, tmp_path: Path) -> None:
    """On 01/11 the start of L013 (09/11) was still scheduled and L006 did not exist."""
    warehouse = tmp_path / "replay.duckdb"
    warehouse.write_bytes(built_warehouse.read_bytes())
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = run_dbt(
            ["run"],
            warehouse,
            tmp_path / "target",
            as_of="2026-11-01",
            monkeypatch=monkeypatch,
        )
    assert result.success, result.exception
    leads = _by_lead(query(warehouse, "select * from marts.leads"))
    assert "L006" not in leads
    assert leads["L013"]["next_scheduled_milestone"] == "started"
    assert leads["L012"]["furthest_milestone"] == "verbal_offer_accepted"


def test_a_new_as_of_date_keeps_partial_parsing(built_warehouse: Path, tmp_path: Path) -> None:
    """`leadtrack build` hands dbt the as-of date at run time (LEADTRACK_AS_OF), not as
    `--vars`, whose every change makes dbt parse the whole project again: a build a day later
    parses only what changed (here nothing), and still computes for the new date."""
    from leadtrack.dbt import run_dbt as run_leadtrack_dbt

    warehouse = tmp_path / "daily.duckdb"
    warehouse.write_bytes(built_warehouse.read_bytes())
    settings = Settings(warehouse=warehouse)
    target = tmp_path / "target"
    for day in (D("2026-11-23"), D("2026-11-24")):
        result = run_leadtrack_dbt(
            settings, ["run", "--select", "+int_leads_enriched"], as_of=day, target_path=target
        )
        assert result.ok, (result.error, result.failures)
        as_of_dates = query(
            warehouse, "select distinct as_of_date from intermediate.int_leads_enriched"
        )
        assert as_of_dates == [{"as_of_date": day}]
    full_parses = re.findall(
        r"Unable to do partial parsing because ([^\n]*)", (target / "dbt.log").read_text()
    )
    assert full_parses == ["saved manifest not found. Starting full parse."]


def test_a_consultant_is_one_person_however_the_exports_spell_the_name(tmp_path: Path) -> None:
    """Case and spacing do not count: " alice   HART" on the tracker and "ALICE HART" in
    the call log are the consultants list's Alice Hart, with her team. A name the list
    lacks takes the spelling most rows use, and is flagged once."""
    warehouse = tmp_path / "names.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", [CONSULTANTS[0]], load_id=2)
        insert_rows(
            con,
            "leads",
            [
                _lead("N1", "2026-11-16", " alice   HART"),
                _lead("N2", "2026-11-17", "Alice Hart"),
                _lead("N3", "2026-11-17", "sam  cole"),
                _lead("N4", "2026-11-18", "Sam Cole"),
                # a no-break space, as text pasted from a mail brings
                _lead("N5", "2026-11-18", "Alice\u00a0Hart"),
            ],
            load_id=3,
        )
        insert_rows(
            con,
            "calls",
            [
                _call("K1", "N1", "ALICE HART", "2026-11-17 10:00", "Connected"),
                _call("K2", "N3", "sam cole", "2026-11-18 10:00", "No answer"),
            ],
            load_id=4,
        )
    run_models(warehouse, tmp_path / "target")
    leads = _by_lead(query(warehouse, "select lead_id, consultant, team from marts.leads"))
    assert {lead_id: (row["consultant"], row["team"]) for lead_id, row in leads.items()} == {
        "N1": ("Alice Hart", "North"),
        "N2": ("Alice Hart", "North"),
        "N3": ("sam cole", None),
        "N4": ("sam cole", None),
        "N5": ("Alice Hart", "North"),
    }
    weekly = query(
        warehouse,
        "select consultant, sum(leads_created) as leads, sum(calls_made) as calls"
        " from marts.consultant_weekly group by consultant order by consultant",
    )
    assert weekly == [
        {"consultant": "Alice Hart", "leads": 3, "calls": 1},
        {"consultant": "sam cole", "leads": 2, "calls": 1},
    ]
    assert {row["consultant"] for row in query(warehouse, "select * from marts.calls")} == {
        "Alice Hart",
        "sam cole",
    }
    unknown = query(
        warehouse,
        "select consultant, source_name, rows_affected from marts.data_quality_issues"
        " where check_name = 'unknown_consultant' order by source_name",
    )
    assert unknown == [
        {"consultant": "sam cole", "source_name": "calls", "rows_affected": 1},
        {"consultant": "sam cole", "source_name": "leads", "rows_affected": 2},
    ]


def test_a_call_log_without_ids_re_exported_otherwise_counts_each_call_once(
    tmp_path: Path,
) -> None:
    """Without call ids a call is its consultant, time and lead: a later export writing the
    consultant "ALICE  hart" and the time in ISO form holds the same call, not a second one
    (an id hashed from the text as written counted it twice), whether the two logs are
    staged together or one build after the other."""

    (tmp_path / "leads.csv").write_text(
        "Ref,Date,Consultant,Client\nF36,01/09/2026,Alice Hart,Acme\n"
    )
    (tmp_path / "calls-1.csv").write_text(
        "Lead ID,Consultant,Date/Time,Outcome\n"
        "F36,Alice Hart,12/11/2026 10:00,Connected\n"
        "F36,Alice Hart,13/11/2026 11:00,No answer\n"
    )
    (tmp_path / "calls-2.csv").write_text(
        "Lead ID,Consultant,Date/Time,Outcome\n"
        "F36,ALICE  hart,2026-11-12 10:00:00,Connected\n"
        "F36,Alice Hart,13/11/2026 11:00,No answer\n"
        "F36 ,alice hart,14/11/2026 11:00,Left message\n"
    )
    for together in (True, False):
        warehouse = tmp_path / f"together-{together}.duckdb"
        batches = [["leads.csv", "calls-1.csv", "calls-2.csv"]]
        if not together:
            batches = [["leads.csv", "calls-1.csv"], ["calls-2.csv"]]
        for batch in batches:
            load_and_run(warehouse, [tmp_path / name for name in batch])
        assert calls_of(warehouse, "F36") == {"calls_made": 3, "calls_connected": 1}, together
        staged = query(
            warehouse,
            "select count(*) as calls, bool_and(is_call_id_derived) as derived"
            " from staging.stg_calls",
        )
        assert staged == [{"calls": 3, "derived": True}], together
    # Staged by an earlier leadtrack, whose derived ids hashed the text as written and which
    # had no is_call_id_derived: the next build stages every call again from an empty table,
    # not beside the old ids.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table staging.stg_calls drop column is_call_id_derived")
        con.execute("update staging.stg_calls set call_id = 'md5:earlier-' || call_id")
    run_models(warehouse, tmp_path / "target")
    (lead,) = query(warehouse, "select calls_made from marts.leads where lead_id = 'F36'")
    assert lead == {"calls_made": 3}
    assert query(warehouse, "select count(*) as calls from staging.stg_calls") == [{"calls": 3}]


def test_a_call_log_of_days_counts_each_call_to_a_lead_on_one_day(tmp_path: Path) -> None:
    """A call log with only the day: a lead's two calls of 02/11 (no answer in the morning,
    spoke in the afternoon) were one call, the connected one rejected as a correction of
    the first, so the lead read one call made of two and none connected that day. Both are
    calls now, and stay so through later exports: written again with the consultant in
    capitals and the first call's outcome corrected, they are the same two calls, the
    first's new version; a call added above them moves their numbers, but each is counted
    once; a call left out of a later export is not removed (as any call is not), and where
    it was not the day's last, the numbers after it take the next calls' versions."""
    (tmp_path / "leads.csv").write_text(
        "Ref,Date,Consultant,Client\nL1,01/11/2026,Alice Hart,Acme\n"
    )
    header = "Date,Lead ID,Consultant,Outcome,Notes\n"
    next_day = "03/11/2026,L1,Alice Hart,Voicemail,\n"
    exports = {
        "calls-1.csv": "02/11/2026,L1,Alice Hart,No answer,morning try\n"
        "02/11/2026,L1,Alice Hart,Spoke - CVs on the way,afternoon\n" + next_day,
        "calls-2.csv": "02/11/2026,L1,ALICE HART,Left message,morning try\n"
        "02/11/2026,L1,ALICE HART,Spoke - CVs on the way,afternoon\n" + next_day,
        "calls-3.csv": "02/11/2026,L1,Alice Hart,Busy,first thing\n"
        "02/11/2026,L1,Alice Hart,Left message,morning try\n"
        "02/11/2026,L1,Alice Hart,Spoke - CVs on the way,afternoon\n" + next_day,
    }
    for name, rows in exports.items():
        (tmp_path / name).write_text(header + rows)
    # The same calls again, as the second export wrote them, without the one added above.
    (tmp_path / "calls-4.csv").write_text(header + exports["calls-2.csv"] + "\n")
    warehouse = tmp_path / "warehouse.duckdb"

    def calls() -> list[tuple[str, str, bool]]:
        return sorted(
            (str(row["called_date"]), row["outcome"], row["is_connected"])
            for row in query(warehouse, "select * from marts.calls where lead_id = 'L1'")
        )

    load_and_run(warehouse, [tmp_path / "leads.csv", tmp_path / "calls-1.csv"])
    assert calls() == [
        ("2026-11-02", "No answer", False),
        ("2026-11-02", "Spoke - CVs on the way", True),
        ("2026-11-03", "Voicemail", False),
    ]
    assert calls_of(warehouse, "L1") == {"calls_made": 3, "calls_connected": 1}
    (lead,) = query(warehouse, "select last_connected_call_date from marts.leads")
    assert lead == {"last_connected_call_date": D("2026-11-02")}

    load_and_run(warehouse, [tmp_path / "calls-2.csv"])
    assert calls() == [
        ("2026-11-02", "Left message", False),
        ("2026-11-02", "Spoke - CVs on the way", True),
        ("2026-11-03", "Voicemail", False),
    ]

    load_and_run(warehouse, [tmp_path / "calls-3.csv"])
    assert calls() == [
        ("2026-11-02", "Busy", False),
        ("2026-11-02", "Left message", False),
        ("2026-11-02", "Spoke - CVs on the way", True),
        ("2026-11-03", "Voicemail", False),
    ]

    load_and_run(warehouse, [tmp_path / "calls-4.csv"])
    assert calls() == [
        ("2026-11-02", "Left message", False),
        ("2026-11-02", "Spoke - CVs on the way", True),
        ("2026-11-02", "Spoke - CVs on the way", True),
        ("2026-11-03", "Voicemail", False),
    ]


def test_a_call_back_agreed_for_the_same_day_is_kept_only_by_a_later_call(
    tmp_path: Path,
) -> None:
    """A promise is kept by a later call: a connected call at 17:00 agreeing "call back at
    7pm" today (G1) is on the call list today, though it is connected and on the due day
    (it counted as keeping its own promise, and the list had nothing). G2's second
    connected call that evening keeps it, and G3's promise for a later day is kept by a
    connected call that day, as before. An attempt that reached nobody keeps nothing (G4).
    The last connected call, which confirms milestones and keeps a lead from going quiet,
    is still the promising call's day."""
    (tmp_path / "leads.csv").write_text(
        "Ref,Date,Consultant,Client\n"
        + "".join(f"G{n},01/09/2026,Alice Hart,Acme\n" for n in range(1, 5))
    )
    (tmp_path / "calls.csv").write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome,Call back on\n"
        "C1,G1,Alice Hart,23/11/2026 17:00,Connected,23/11/2026\n"
        "C2,G2,Alice Hart,23/11/2026 17:00,Connected,23/11/2026\n"
        "C3,G2,Alice Hart,23/11/2026 19:05,Connected,\n"
        "C4,G3,Alice Hart,18/11/2026 10:00,Connected,23/11/2026\n"
        "C5,G3,Alice Hart,23/11/2026 09:30,Connected,\n"
        "C6,G4,Alice Hart,23/11/2026 17:00,Connected,23/11/2026\n"
        "C7,G4,Alice Hart,23/11/2026 19:00,No answer,\n"
    )
    warehouse = tmp_path / "promises.duckdb"
    load_and_run(warehouse, [tmp_path / "leads.csv", tmp_path / "calls.csv"])
    listed = query(
        warehouse,
        "select lead_id, due_date, reason_code, is_overdue from marts.calls_to_make"
        " order by lead_id",
    )
    assert listed == [
        {"lead_id": "G1", "due_date": D(AS_OF), "reason_code": "callback", "is_overdue": False},
        {"lead_id": "G4", "due_date": D(AS_OF), "reason_code": "callback", "is_overdue": False},
    ]
    leads = _by_lead(query(warehouse, "select * from marts.leads"))
    assert {lead_id: row["last_connected_call_date"] for lead_id, row in leads.items()} == {
        lead_id: D(AS_OF) for lead_id in ("G1", "G2", "G3", "G4")
    }


def test_a_start_ticked_beside_its_date_is_confirmed(tmp_path: Path) -> None:
    """A start counts once confirmed, and a tick is the consultant confirming it: a
    Started column ticked beside the Start date (F28), or the date pasted over with a tick
    in a later export (F27: the date stays). Both were dropped, leaving the start
    unconfirmed and on the call list. A start with no tick stays unconfirmed (F29); one
    ticked ahead of its date is still scheduled (F30)."""
    from ingest.loader import connect, load_files

    header = "Ref,Date generated,Consultant,Client,CVs received,Resignation"
    (tmp_path / "tracker-1.csv").write_text(
        f"{header},Start date\n"
        "F27,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,16/11/2026\n"
        "F29,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,16/11/2026\n"
    )
    (tmp_path / "tracker-2.csv").write_text(
        f"{header},Start date\n"
        "F27,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,Y\n"
        "F29,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,16/11/2026\n"
    )
    (tmp_path / "tracker-3.csv").write_text(
        f"{header},Started,Start date\n"
        "F28,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,Y,16/11/2026\n"
        "F30,01/09/2026,Alice Hart,Acme,10/09/2026,20/10/2026,Y,07/12/2026\n"
    )
    warehouse = tmp_path / "ticked.duckdb"
    con = connect(warehouse)
    try:
        for name in ("tracker-1.csv", "tracker-2.csv", "tracker-3.csv"):
            (result,) = load_files(con, [tmp_path / name], CATALOGUE_CSV)
            assert (result.kind, result.rows_rejected) == ("tracker", 0), name
        raw = con.execute(
            "select lead_id, event_date, is_date_unknown, is_ticked from raw.milestone_events"
            " where milestone = 'started' and lead_id = 'F28'"
        ).fetchall()
    finally:
        con.close()
    assert raw == [("F28", dt.date(2026, 11, 16), False, True)]
    run_models(warehouse, tmp_path / "target")
    leads = _by_lead(query(warehouse, "select * from marts.leads"))
    assert {
        lead_id: (row["furthest_milestone"], row["status"], row["unconfirmed_milestone"])
        for lead_id, row in leads.items()
    } == {
        "F27": ("started", "filled", None),
        "F28": ("started", "filled", None),
        "F29": ("resigned", "open", "started"),
        "F30": ("resigned", "open", None),
    }
    assert leads["F27"]["furthest_milestone_date"] == D("2026-11-16")
    assert leads["F30"]["next_scheduled_milestone"] == "started"
    unconfirmed = query(
        warehouse,
        "select lead_id from marts.calls_due where reason_code = 'milestone_unconfirmed'",
    )
    assert unconfirmed == [{"lead_id": "F29"}]


def test_a_start_ticked_ahead_of_its_day_is_not_confirmed_and_a_cleared_tick_stays(
    tmp_path: Path,
) -> None:
    """A tick confirms a start when the consultant put it there on or after the day: U1's
    Started was ticked a fortnight ahead (and re-exported since), so the start waits for
    its call. U2's was ticked after the day: confirmed, and a later export that clears the
    tick does not take that back. Incremental builds agree with a full one."""
    warehouse = tmp_path / "ticks.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
        leads = [_lead(lead_id, "2026-09-01", "Alice Hart") for lead_id in ("U1", "U2")]
        insert_rows(con, "leads", leads, load_id=3, loaded_at="2026-11-01 08:00:00")

    def export(load_id: int, day: str, ticked: dict[str, bool]) -> None:
        events = [
            _event(lead_id, "started", "2026-11-16", is_ticked=is_ticked)
            for lead_id, is_ticked in ticked.items()
        ]
        with duckdb.connect(str(warehouse)) as con:
            insert_rows(con, "milestone_events", events, load_id, f"{day} 08:00:00")
        run_models(warehouse, tmp_path / "target")

    export(4, "2026-11-01", {"U1": True, "U2": False})
    export(5, "2026-11-20", {"U1": True, "U2": True})
    export(6, "2026-11-22", {"U1": True, "U2": False})

    def starts() -> dict[str, tuple[str, str | None]]:
        leads = query(warehouse, "select * from marts.leads")
        return {row["lead_id"]: (row["status"], row["unconfirmed_milestone"]) for row in leads}

    assert starts() == {"U1": ("open", "started"), "U2": ("filled", None)}
    run_models(warehouse, tmp_path / "target", "--full-refresh")
    assert starts() == {"U1": ("open", "started"), "U2": ("filled", None)}


def test_calls_and_milestones_of_a_lead_no_export_holds_are_flagged(tmp_path: Path) -> None:
    """A call log writing a lead's id otherwise (`l-7 `) links its calls to no lead, so the
    lead can look quiet: data_quality_issues names the lead it likely is (both, when two
    leads read alike). An id matching no lead asks for the lead, a placeholder for an empty
    id; every call counts, one dated after the as-of date too. Each finding names the
    latest export holding the id and its first row there. The calls of a known lead, and
    calls with no lead (business development), are no finding."""
    warehouse = tmp_path / "unknown.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
        leads = [_lead(lead_id, "2026-11-02", "Alice Hart") for lead_id in ("L-7", "M-1", "M1")]
        insert_rows(con, "leads", leads, load_id=3)
        calls = [
            ("l-7 ", "2026-11-17 10:00"),
            ("l-7", "2026-11-18 10:00"),
            ("L-7", "2026-11-18 11:00"),
            ("m 1", "2026-11-18 11:30"),
            ("Z9", "2026-11-18 12:00"),
            ("N/A", "2026-11-18 12:30"),
            (None, "2026-11-18 13:00"),
        ]
        insert_rows(
            con,
            "calls",
            [
                _call(f"K{number}", lead_id, "Bob Lane", at, "Connected")
                for number, (lead_id, at) in enumerate(calls)
            ],
            load_id=4,
        )
        # A later call log holding Z9 too: the finding points at it, the latest export.
        insert_rows(
            con,
            "calls",
            [_call("K9", "Z9", "Bob Lane", "2026-11-30 12:00", "Connected")],
            load_id=6,
        )
        insert_rows(
            con,
            "milestone_events",
            [_event("L 7", "cvs_received", "2026-11-05"), _event("L 7", "started", "2026-12-01")],
            load_id=5,
        )
    run_models(warehouse, tmp_path / "target")
    found = query(
        warehouse,
        "select check_label, source_name, lead_id, rows_affected, detail, source_file, source_row"
        " from marts.data_quality_issues where check_name = 'unknown_lead'"
        " order by source_name, lead_id",
    )
    assert {row["check_label"] for row in found} == {"Unknown leads"}
    assert [(row["lead_id"], row["source_file"], row["source_row"]) for row in found] == [
        ("N/A", "calls_4.csv", 6),
        ("Z9", "calls_6.csv", 1),
        ("l-7", "calls_4.csv", 1),
        ("m 1", "calls_4.csv", 4),
        ("L 7", "milestone_events_5.csv", 1),
    ]
    otherwise = ", written otherwise; correct the id in the {} so that they count for that lead"
    assert [
        (row["source_name"], row["lead_id"], row["rows_affected"], row["detail"]) for row in found
    ] == [
        (
            "calls",
            "N/A",
            1,
            "N/A is on 1 call(s), but no lead has this id: a placeholder, not a lead id:"
            " leave it empty for no lead",
        ),
        (
            "calls",
            "Z9",
            2,
            "Z9 is on 2 call(s), but no lead has this id: load the lead (a row of it that a"
            " load rejected is under rejected rows)",
        ),
        (
            "calls",
            "l-7",
            2,
            "l-7 is on 2 call(s), but no lead has this id: probably lead L-7"
            + otherwise.format("call log"),
        ),
        (
            "calls",
            "m 1",
            1,
            "m 1 is on 1 call(s), but no lead has this id: probably one of leads M-1, M1"
            + otherwise.format("call log"),
        ),
        (
            "milestone_events",
            "L 7",
            2,
            "L 7 is on 2 milestone(s), but no lead has this id: probably lead L-7"
            + otherwise.format("milestone export"),
        ),
    ]
    (lead,) = query(warehouse, "select last_touch_date from marts.leads where lead_id = 'L-7'")
    assert lead == {"last_touch_date": D("2026-11-18")}


def test_a_consultant_who_only_makes_calls_is_in_the_team_views(tmp_path: Path) -> None:
    """Bob owns no lead, but makes calls: his team's filter, its consultants and the league
    table take him from the consultants (marts.consultants), not from the leads' owners."""
    from dashboards import queries

    warehouse = tmp_path / "caller.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
        insert_rows(con, "leads", [_lead("N1", "2026-11-16", "Alice Hart")], load_id=3)
        insert_rows(
            con,
            "calls",
            [
                _call("K1", "N1", "Alice Hart", "2026-11-17 10:00", "Connected"),
                _call("K2", "N1", "bob  LANE", "2026-11-18 10:00", "No answer"),
                _call("K3", "N1", "Bob Lane", "2026-11-19 10:00", "Connected"),
            ],
            load_id=4,
        )
    run_models(warehouse, tmp_path / "target")
    week = D("2026-11-16")
    with duckdb.connect(str(marts_path(warehouse))) as con:
        assert queries.teams(con) == ["North", "South"]
        assert queries.consultants(con, "South") == ["Bob Lane"]
        league = queries.league_table(con, queries.Scope(week, D(AS_OF), "South"))
        calls = queries.calls_by_consultant(con, week, "South", None)
    assert league.select("consultant", "leads_created", "calls_made", "calls_connected").rows() == [
        ("Bob Lane", 0, 2, 1)
    ]
    assert calls.rows() == [("Bob Lane", 2, 1)]


def test_a_listed_consultant_with_no_lead_and_no_call_is_in_the_team_views(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zoe, a new hire, is on the consultants list and has neither a lead nor a call yet:
    she is in marts.consultants, the consultant filter (a link naming her opens her, not
    "There is no consultant named 'Zoe Newman'") and the league table with zeros. Nothing
    else counts her: no data-quality finding, no lead or call moves."""
    from streamlit.testing.v1 import AppTest

    from dashboards import queries

    warehouse = tmp_path / "new-hire.duckdb"
    zoe = {"consultant": "Zoe Newman", "team": "South", "manager": "Mo Khan"}
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", [*CONSULTANTS, zoe], load_id=2)
        insert_rows(con, "leads", [_lead("N1", "2026-11-16", "Alice Hart")], load_id=3)
        insert_rows(
            con,
            "calls",
            [_call("K1", "N1", "Bob Lane", "2026-11-19 10:00", "Connected")],
            load_id=4,
        )
    run_models(warehouse, tmp_path / "target")
    assert query(warehouse, "select * from marts.consultants order by consultant") == [
        {"consultant": "Alice Hart", "team": "North", "manager": "Mo Khan", "is_listed": True},
        {"consultant": "Bob Lane", "team": "South", "manager": "Mo Khan", "is_listed": True},
        {"consultant": "Zoe Newman", "team": "South", "manager": "Mo Khan", "is_listed": True},
    ]
    assert query(
        warehouse,
        "select count(*) as issues from marts.data_quality_issues"
        " where consultant = 'Zoe Newman' or check_name = 'unknown_consultant'",
    ) == [{"issues": 0}]
    assert query(warehouse, "select lead_id, consultant, team from marts.leads") == [
        {"lead_id": "N1", "consultant": "Alice Hart", "team": "North"}
    ]
    week = D("2026-11-16")
    with duckdb.connect(str(marts_path(warehouse))) as con:
        assert queries.consultants(con, "South") == ["Bob Lane", "Zoe Newman"]
        league = queries.league_table(con, queries.Scope(week, D(AS_OF)))
        durations = queries.stage_durations_against_team(con, "Zoe Newman")
    assert league.select(
        "consultant", "team", "leads_created", "calls_made", "open_leads", "quiet_leads"
    ).rows() == [
        ("Alice Hart", "North", 1, 0, 1, 0),
        ("Bob Lane", "South", 0, 1, 0, 0),
        ("Zoe Newman", "South", 0, 0, 0, 0),
    ]
    assert durations["leads"].sum() == 0

    monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(warehouse))
    app = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=120)
    at.query_params["consultant"] = "Zoe Newman"
    at.run()
    assert not at.exception, [exception.value for exception in at.exception]
    assert not at.sidebar.warning, [warning.value for warning in at.sidebar.warning]
    assert at.sidebar.selectbox(key="consultant").value == "Zoe Newman"
    at.switch_page("views/consultants.py").run()
    assert not at.exception, [exception.value for exception in at.exception]
    assert not at.error, [error.value for error in at.error]
    assert at.header[0].value == "Zoe Newman"


def test_a_staged_table_of_an_earlier_leadtrack_is_staged_again(tmp_path: Path) -> None:
    """The staging models are incremental. One staged by an earlier leadtrack lacks the
    columns added since (first_loaded_date): the next build adds them and stages every row
    again to fill them, rather than failing or leaving them empty."""
    warehouse = build_fixture_warehouse(tmp_path / "upgraded.duckdb")
    lead_milestones = "select * from marts.lead_milestones order by lead_id, milestone"
    for upgrade in (False, True):
        if upgrade:
            before = query(warehouse, lead_milestones)
            with duckdb.connect(str(warehouse)) as con:
                for table in ("stg_leads", "stg_milestone_events"):
                    con.execute(f"alter table staging.{table} drop column first_loaded_date")
        run_models(warehouse, tmp_path / "target")
    for table in ("stg_leads", "stg_milestone_events"):
        assert query(
            warehouse, f"select count(*) - count(first_loaded_date) as empty from staging.{table}"
        ) == [{"empty": 0}]
    assert query(warehouse, lead_milestones) == before


def test_a_tick_keeps_the_day_it_first_appeared_through_weekly_re_exports(
    tmp_path: Path,
) -> None:
    """The tracker is exported again every week, ticks and all. A tick that was on the lead
    from its first export (a backfilled tracker) was reached on a day nobody knows: dated at
    the earliest it can have been, so it is neither this week's activity nor a touch that
    keeps the lead from going quiet. A tick that appears in a later export was reached by the
    day that export was loaded, and keeps that day however many exports repeat it (staging
    keeps only the latest version of each row). A tick pasted over a date keeps the date. The
    incremental builds agree with a full one."""
    warehouse = tmp_path / "weekly.duckdb"
    leads = [
        _lead("T1", "2026-09-01", "Alice Hart"),
        _lead("T2", "2026-09-01", "Bob Lane"),
        _lead("T3", "2026-09-01", "Bob Lane"),
    ]
    first = [
        _event("T1", "cvs_received", "2026-09-10"),
        _event("T1", "interviews_booked", None),
        _event("T2", "cvs_received", "2026-09-15"),
        _event("T3", "cvs_received", "2026-09-20"),
    ]
    # T3's date is pasted over with a tick from the second export on: its date stays.
    later = [
        *first[:3],
        _event("T2", "interviews_booked", None),
        _event("T3", "cvs_received", None),
    ]
    exports = [("2026-10-01", first), ("2026-11-10", later), ("2026-11-20", later)]
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)

    def reached() -> dict[tuple[str, str], tuple[dt.date, str]]:
        rows = query(
            warehouse,
            "select lead_id, milestone, reached_date, reached_date_source"
            " from marts.lead_milestones",
        )
        return {
            (row["lead_id"], row["milestone"]): (row["reached_date"], row["reached_date_source"])
            for row in rows
        }

    load_id = 3
    for loaded_at, events in exports:
        with duckdb.connect(str(warehouse)) as con:
            insert_rows(con, "leads", leads, load_id=load_id, loaded_at=f"{loaded_at} 08:00:00")
            insert_rows(
                con,
                "milestone_events",
                events,
                load_id=load_id + 1,
                loaded_at=f"{loaded_at} 08:00:00",
            )
        load_id += 2
        run_models(warehouse, tmp_path / "target")
    incremental = reached()
    assert incremental[("T1", "interviews_booked")] == (D("2026-09-10"), "earliest_possible")
    assert incremental[("T2", "interviews_booked")] == (D("2026-11-10"), "load_date")
    assert incremental[("T3", "cvs_received")] == (D("2026-09-20"), "recorded")
    leads_now = _by_lead(query(warehouse, "select * from marts.leads"))
    assert leads_now["T1"]["last_touch_date"] == D("2026-09-10")
    assert leads_now["T1"]["is_stale"]
    assert leads_now["T2"]["last_touch_date"] == D("2026-11-10")
    weekly = query(
        warehouse,
        "select sum(milestones_reached) as reached from marts.activity_weekly"
        " where week = date '2026-11-16'",
    )
    assert weekly == [{"reached": None}]  # nothing was reached in the week of the last export
    run_models(warehouse, tmp_path / "target", "--full-refresh")
    assert reached() == incremental


def _tracker_load(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    loaded_on: str,
    leads: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    kind: str = "tracker",
) -> None:
    """One export as ingest writes it: its rows in raw.leads and raw.milestone_events (only
    the cells with a date or a tick) under one load id, and the load's row in raw.loads."""
    loaded_at = f"{loaded_on} 08:00:00"
    con.execute(
        "insert into raw.loads (load_id, file_name, file_sha256, kind, rows_read, rows_loaded,"
        " rows_rejected, rows_skipped, started_at, finished_at, status)"
        " values (?, ?, ?, ?, 0, 0, 0, 0, ?, ?, 'loaded')",
        [load_id, f"{kind}_{load_id}.csv", str(load_id), kind, loaded_at, loaded_at],
    )
    if leads:
        insert_rows(con, "leads", leads, load_id=load_id, loaded_at=loaded_at)
    insert_rows(con, "milestone_events", events, load_id=load_id, loaded_at=loaded_at)


def test_a_scheduled_date_a_later_tracker_leaves_blank_is_withdrawn(tmp_path: Path) -> None:
    """A date still ahead when a later export of the tracker leaves its cell blank is a
    promise taken back (an interview cancelled, a start postponed): it neither counts as
    reached when its day passes nor asks for a call. A date already passed when cleared stays
    (moves backwards never un-reach), and so does a date from a milestone history, which a
    tracker's blank cell says nothing about. Written again later, the date counts again.

    The same loads date each lead's closing: W6, open, then lost, reopened and lost again
    (and again), closed by the load that said lost the second time; W7, lost in every load,
    closed by its first; W8 declined with a Date closed that is used. Incremental builds,
    one per load, agree with a full one."""
    warehouse = tmp_path / "withdrawn.duckdb"
    # W6's status in each load of the tracker, by load id; W7 is lost and W8 open in all.
    w6_statuses = {3: "open", 5: "lost", 6: "open", 7: "lost", 8: "lost"}

    def leads(load_id: int, w8: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [
            *(_lead(f"W{number}", "2026-09-01", "Alice Hart") for number in range(1, 6)),
            _lead("W6", "2026-09-01", "Alice Hart", status=w6_statuses[load_id]),
            _lead("W7", "2026-09-01", "Bob Lane", status="lost"),
            _lead("W8", "2026-09-01", "Bob Lane", **(w8 or {"status": "open"})),
        ]

    # W5 started long ago: every export of the tracker has a Start date column.
    w5_started = _event("W5", "started", "2026-10-01")
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
        # The first tracker: W1's start on 01/12 and W2's interview on 20/11 still ahead,
        # W3's CVs already in; a milestone history has W4's start on 03/12.
        _tracker_load(
            con,
            3,
            "2026-11-01",
            leads(3),
            [
                _event("W1", "started", "2026-12-01"),
                _event("W2", "interviews_completed", "2026-11-20"),
                _event("W3", "cvs_received", "2026-10-20"),
                _event("W3", "interviews_completed", "2026-10-25"),
                w5_started,
            ],
        )
        _tracker_load(con, 4, "2026-11-01", [], [_event("W4", "started", "2026-12-03")], "events")
    run_models(warehouse, tmp_path / "target")
    with duckdb.connect(str(warehouse)) as con:
        # A week later every cell of W1, W2 and W3 above is blank; the columns are there
        # (W3's interview and W5's start are filled).
        _tracker_load(
            con,
            5,
            "2026-11-10",
            leads(5),
            [_event("W3", "interviews_completed", "2026-10-25"), w5_started],
        )
    run_models(warehouse, tmp_path / "target")

    def state() -> tuple[list[Any], ...]:
        staged = query(
            warehouse,
            "select lead_id, milestone, event_date, is_withdrawn from staging.stg_milestone_events"
            " order by all",
        )
        reached = query(
            warehouse, "select lead_id, milestone from marts.lead_milestones order by all"
        )
        due = query(
            warehouse,
            "select lead_id, due_date from marts.calls_due"
            " where lead_id = 'W1' and reason_code like 'milestone%'",
        )
        closed = query(
            warehouse,
            "select lead_id, status, closed_date, closed_date_source from marts.leads"
            " where lead_id in ('W6', 'W7', 'W8') order by lead_id",
        )
        staged_leads = query(
            warehouse,
            "select lead_id, status, recorded_closed_date, closed_loaded_date,"
            " first_loaded_date from staging.stg_leads order by all",
        )
        return staged, reached, due, closed, staged_leads

    staged, reached, due, closed, staged_leads = state()
    withdrawn = {(row["lead_id"], row["milestone"]) for row in staged if row["is_withdrawn"]}
    assert withdrawn == {("W1", "started"), ("W2", "interviews_completed")}
    assert {(row["lead_id"], row["milestone"]) for row in reached} >= {
        ("W3", "cvs_received"),
        ("W3", "interviews_completed"),
    }
    assert not [row for row in reached if row["lead_id"] == "W2"], reached
    assert due == []
    assert [row["event_date"] for row in staged if row["lead_id"] == "W4"] == [D("2026-12-03")]
    assert [tuple(row.values()) for row in closed] == [
        ("W6", "lost", D("2026-11-10"), "load_date"),
        ("W7", "lost", D("2026-11-01"), "first_load"),
        ("W8", "open", None, None),
    ]
    run_models(warehouse, tmp_path / "target", "--full-refresh")
    assert state() == (staged, reached, due, closed, staged_leads)
    # W1's start is written again, a week later than first promised: it counts again. W6 is
    # reopened.
    with duckdb.connect(str(warehouse)) as con:
        _tracker_load(
            con,
            6,
            "2026-11-15",
            leads(6),
            [
                _event("W1", "started", "2026-12-08"),
                _event("W3", "interviews_completed", "2026-10-25"),
                w5_started,
            ],
        )
    run_models(warehouse, tmp_path / "target")
    staged, reached, due, closed, staged_leads = state()
    assert ("W1", "started", D("2026-12-08"), False) in [tuple(row.values()) for row in staged]
    assert [row["due_date"] for row in due] == [D("2026-12-08")]
    assert closed[0] == {
        "lead_id": "W6",
        "status": "open",
        "closed_date": None,
        "closed_date_source": None,
    }
    run_models(warehouse, tmp_path / "target", "--full-refresh")
    assert state() == (staged, reached, due, closed, staged_leads)
    # W6 is lost again (20/11), and still lost in the next export (22/11): closed by the
    # first of the two. W8 is declined on 21/11 with its Date closed, 18/11.
    for load_id, loaded_on, w8 in (
        (7, "2026-11-20", None),
        (8, "2026-11-22", {"status": "declined", "closed_date": D("2026-11-18")}),
    ):
        with duckdb.connect(str(warehouse)) as con:
            _tracker_load(con, load_id, loaded_on, leads(load_id, w8), [w5_started])
        run_models(warehouse, tmp_path / "target")
    staged, reached, due, closed, staged_leads = state()
    assert [tuple(row.values()) for row in closed] == [
        ("W6", "lost", D("2026-11-20"), "load_date"),
        ("W7", "lost", D("2026-11-01"), "first_load"),
        ("W8", "declined", D("2026-11-18"), "recorded"),
    ]
    run_models(warehouse, tmp_path / "target", "--full-refresh")
    assert state() == (staged, reached, due, closed, staged_leads)


def test_a_tick_loaded_the_day_the_lead_was_first_loaded_counts_as_from_its_first_export(
    tmp_path: Path,
) -> None:
    """Ticks are dated by the day their export was loaded: a second export loaded the day
    the lead first was (a folder of past exports loaded at once) is part of the backfill,
    so its tick is dated at the earliest it can have been, not on the day of loading."""
    warehouse = tmp_path / "same-day.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
        for load_id, at in ((3, "2026-11-20 08:00:00"), (5, "2026-11-20 17:00:00")):
            insert_rows(con, "leads", [_lead("T4", "2026-09-01", "Alice Hart")], load_id, at)
        insert_rows(
            con,
            "milestone_events",
            [_event("T4", "cvs_received", "2026-09-10")],
            load_id=4,
            loaded_at="2026-11-20 08:00:00",
        )
        insert_rows(
            con,
            "milestone_events",
            [_event("T4", "cvs_received", "2026-09-10"), _event("T4", "interviews_booked", None)],
            load_id=6,
            loaded_at="2026-11-20 17:00:00",
        )
    run_models(warehouse, tmp_path / "target")
    (booked,) = query(
        warehouse,
        "select reached_date, reached_date_source from marts.lead_milestones"
        " where lead_id = 'T4' and milestone = 'interviews_booked'",
    )
    assert booked == {"reached_date": D("2026-09-10"), "reached_date_source": "earliest_possible"}


def test_rejected_rows_read_the_lead_id_under_the_headers_ingest_reads() -> None:
    """dbt finds a rejected row's lead id under the headers ingest reads as the lead id:
    the macro's list is the lead_id field's names, normalised as ingest matches them."""
    from ingest.contracts import LEAD_ID

    macro = (PROJECT_ROOT / "macros" / "rejected_rows.sql").read_text(encoding="utf-8")
    body = macro.split("macro lead_id_header_names()")[1].split("endmacro")[0]
    assert set(re.findall(r"'([a-z0-9]+)'", body)) == LEAD_ID.header_names()


def test_a_rejected_row_shows_once_at_its_latest_load_and_not_once_fixed(tmp_path: Path) -> None:
    """A team exports its whole tracker every week, bad rows and all: each of them is listed
    once, in the latest export that rejected it, not once per load. A lead's row is the
    same row however its cells change (R3's client was corrected, its date was not); a row
    a later load took is fixed (R1) and no longer listed. A row without a lead id, and a
    call log's row, are the same row when every cell is; a row no later export repeats
    stays (a call log holds only new calls, so its absence proves nothing)."""
    from ingest.loader import connect, load_files

    header = "Ref,Date generated,Consultant,Client,CVs received"
    r1_bad = "R1,31/02/2026,Alice Hart,Acme,10/09/2026"
    r1_fixed = "R1,28/02/2026,Alice Hart,Acme,10/09/2026"
    weekly: list[Path] = []
    for week in range(1, 6):
        rows = [
            r1_bad if week < 4 else r1_fixed,
            "R2,01/09/2026,,Acme,10/09/2026",
            f"R3,01/09/2026,Alice Hart,{'Acme' if week < 3 else 'Acme Ltd'},soon",
            ",01/09/2026,Alice Hart,Acme,10/09/2026",
            *(f"G{number},0{number}/09/2026,Alice Hart,Acme," for number in range(1, week + 1)),
        ]
        weekly.append(tmp_path / f"tracker-{week}.csv")
        weekly[-1].write_text("\n".join([header, *rows]) + "\n")
    calls_header = "Call ID,Lead ID,Consultant,Called at,Outcome"
    calls = [tmp_path / "calls-1.csv", tmp_path / "calls-2.csv"]
    calls[0].write_text(
        f"{calls_header}\nK1,G1,Alice Hart,02/11/2026 10:00,Connected\n"
        "K2,G1,Alice Hart,yesterday,Connected\n"
    )
    calls[1].write_text(
        f"{calls_header}\nK2,G1,Alice Hart,yesterday,Connected\n"
        "K3,G1,Alice Hart,09/11/2026 10:00,Connected\n"
    )
    only_once = tmp_path / "tracker-old.csv"
    only_once.write_text(f"{header}\nR9,01/09/2026,Alice Hart,Acme,never\n")
    warehouse = tmp_path / "weekly-rejects.duckdb"
    con = connect(warehouse)
    try:
        load_files(con, [only_once, *weekly, *calls], CATALOGUE_CSV)
        assert con.execute("select count(*) from raw.rejected_rows").fetchall() == [(21,)]
    finally:
        con.close()
    run_models(warehouse, tmp_path / "target")
    found = query(
        warehouse,
        "select source_name, source_file, source_row, lead_id, detail"
        " from marts.data_quality_issues where check_name = 'rejected_row'"
        " order by source_file, source_row",
    )
    assert [
        (row["source_name"], Path(row["source_file"]).name, row["source_row"], row["lead_id"])
        for row in found
    ] == [
        ("calls", "calls-2.csv", 2, "G1"),
        ("tracker", "tracker-5.csv", 3, "R2"),
        ("tracker", "tracker-5.csv", 4, "R3"),
        ("tracker", "tracker-5.csv", 5, None),
        ("tracker", "tracker-old.csv", 2, "R9"),
    ]
    assert found[1]["detail"] == "Consultant is empty: fill it in (every row needs one)"


# ---------------------------------------------------------------------------------------------
# end to end: the demo agency's exports, loaded by ingest, built by dbt, checked with polars

DEMO_AS_OF = dt.date(2026, 11, 23)


def _parse_cell_date(column: str) -> Any:
    import polars as pl

    return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The 2,000-lead demo agency loaded by ingest and built by dbt; (warehouse, DemoFiles)."""
    from ingest.demo import generate_demo
    from ingest.loader import connect, load_files

    root = tmp_path_factory.mktemp("demo")
    files = generate_demo(root / "exports", leads=2000, as_of=DEMO_AS_OF)
    warehouse = root / "leadtrack.duckdb"
    con = connect(warehouse)
    try:
        load_files(
            con, [files.consultants, files.tracker, files.events, files.calls], CATALOGUE_CSV
        )
    finally:
        con.close()
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = run_dbt(
            ["build"],
            warehouse,
            root / "target",
            as_of=DEMO_AS_OF.isoformat(),
            monkeypatch=monkeypatch,
        )
    assert result.success, f"dbt build on the demo failed: {result.exception}"
    return warehouse, files


def _demo_leads(files: Any) -> Any:
    """The tracker's leads as ingest should keep them: one per Ref, bad rows left out."""
    import polars as pl

    rejected = {row.ref for row in files.bad_rows if row.kind != "duplicate" and row.ref}
    tracker = pl.read_excel(files.tracker, infer_schema_length=0)
    return (
        tracker.filter(pl.col("Ref").is_not_null() & ~pl.col("Ref").is_in(sorted(rejected)))
        .unique(subset="Ref", keep="last", maintain_order=True)
        .with_columns(
            created_date=_parse_cell_date("Date generated"),
            status=pl.col("Status").str.to_lowercase(),
        )
        .filter(pl.col("created_date") <= DEMO_AS_OF)
    )


def _demo_calls(files: Any) -> Any:
    import polars as pl

    return (
        pl.read_csv(files.calls, infer_schema_length=0)
        .with_columns(
            called_date=pl.col("Date/Time").str.to_datetime("%d/%m/%Y %H:%M").dt.date(),
            callback_date=pl.col("Call back on").str.to_date("%d/%m/%Y", strict=False),
        )
        .filter(pl.col("called_date") <= DEMO_AS_OF)
    )


@pytest.mark.slow
def test_demo_statuses_and_cohorts_match_the_tracker(demo_warehouse: tuple[Path, Any]) -> None:
    import polars as pl

    warehouse, files = demo_warehouse
    leads = _demo_leads(files)
    expected_status = dict(leads.group_by("status").len().iter_rows())
    got_status = {
        row["status"]: row["n"]
        for row in query(warehouse, "select status, count(*) as n from marts.leads group by 1")
    }
    assert got_status == expected_status

    expected_cohorts = {
        (month, consultant): count
        for month, consultant, count in leads.group_by(
            pl.col("created_date").dt.truncate("1mo").alias("month"), "Consultant"
        )
        .len()
        .iter_rows()
    }
    got_cohorts = {
        (row["created_month"], row["consultant"]): row["leads_created"]
        for row in query(warehouse, "select * from marts.cohorts_monthly")
    }
    assert got_cohorts == expected_cohorts


@pytest.mark.slow
def test_demo_counts_are_whole_numbers_and_no_fee_total_is_missing(
    demo_warehouse: tuple[Path, Any],
) -> None:
    """Counts are 64-bit integers: DuckDB sums integers to a 128-bit one, which the
    dashboard and reports showed as 21,125.0. A cohort with no lead won has won £0, not an
    unknown amount."""
    warehouse, _ = demo_warehouse
    for path in (warehouse, marts_path(warehouse)):
        with duckdb.connect(str(path)) as con:
            wide = con.execute(
                "select table_name, column_name, data_type from information_schema.columns"
                " where table_schema in ('intermediate', 'marts')"
                " and (data_type = 'HUGEINT' or data_type like 'DECIMAL(38,0)%')"
            ).fetchall()
        assert wide == [], path
    (nothing_won,) = query(
        warehouse,
        "select count(*) as cohorts, min(fee_won) as fee_won, count(fee_won) as known"
        " from marts.cohorts_monthly where leads_filled + leads_completed = 0",
    )
    assert nothing_won["cohorts"] > 0
    assert nothing_won == {
        "cohorts": nothing_won["cohorts"],
        "fee_won": 0,
        "known": nothing_won["cohorts"],
    }


@pytest.mark.slow
def test_demo_calls_per_week_match_the_call_log(demo_warehouse: tuple[Path, Any]) -> None:
    import polars as pl

    warehouse, files = demo_warehouse
    calls = _demo_calls(files)
    expected = {
        (week, consultant): (made, connected)
        for week, consultant, made, connected in calls.group_by(
            pl.col("called_date").dt.truncate("1w").alias("week"), "Consultant"
        )
        .agg(pl.len(), (pl.col("Outcome") == "Connected").sum())
        .iter_rows()
    }
    got = {
        (row["week"], row["consultant"]): (row["calls_made"], row["calls_connected"])
        for row in query(
            warehouse,
            "select week, consultant, calls_made, calls_connected"
            " from marts.consultant_weekly where calls_made > 0",
        )
    }
    assert got == expected


@pytest.mark.slow
def test_demo_funnel_matches_the_exports(demo_warehouse: tuple[Path, Any]) -> None:
    """Leads reaching each milestone, worked out from the tracker, events and call log: a
    date on or before the as-of date or a tick reaches a milestone and every earlier one; a
    start needs a connected call on or after it, a later milestone or a filled status."""
    import polars as pl

    warehouse, files = demo_warehouse
    catalogue = pl.read_csv(CATALOGUE_CSV)
    leads = _demo_leads(files)
    label_to_code = dict(zip(catalogue["label"], catalogue["milestone"], strict=True))
    order = dict(zip(catalogue["milestone"], catalogue["milestone_order"], strict=True))
    needs_confirmation = set(catalogue.filter(pl.col("needs_confirmation"))["milestone"].to_list())

    tracker_cells = (
        leads.unpivot(
            index=["Ref", "status"],
            on=list(label_to_code),
            variable_name="label",
            value_name="cell",
        )
        .filter(pl.col("cell").is_not_null() & (pl.col("cell").str.strip_chars() != ""))
        .select(
            lead_id=pl.col("Ref"),
            milestone=pl.col("label").replace_strict(label_to_code),
            event_date=_parse_cell_date("cell"),
        )
    )
    events = pl.read_csv(files.events, infer_schema_length=0).select(
        lead_id=pl.col("Lead ID"),
        milestone=pl.col("Stage").replace_strict(label_to_code),
        event_date=pl.col("Date").str.to_date("%Y-%m-%d"),
    )
    evidence = (
        pl.concat([tracker_cells, events])
        .join(leads.select(lead_id=pl.col("Ref"), status="status"), on="lead_id")
        .filter(pl.col("event_date").is_null() | (pl.col("event_date") <= DEMO_AS_OF))
        .with_columns(milestone_order=pl.col("milestone").replace_strict(order))
        .group_by("lead_id", "milestone", "milestone_order", "status")
        .agg(
            is_tick=pl.col("event_date").is_null().any(),
            event_date=pl.col("event_date").min(),
        )
    )
    self_evident = (
        evidence.filter(~pl.col("milestone").is_in(needs_confirmation) | pl.col("is_tick"))
        .group_by("lead_id")
        .agg(max_self_evident=pl.col("milestone_order").max())
    )
    connected = (
        _demo_calls(files)
        .filter(pl.col("Outcome") == "Connected")
        .group_by(lead_id=pl.col("Lead ID"))
        .agg(last_connected=pl.col("called_date").max())
    )
    reached = (
        evidence.join(self_evident, on="lead_id", how="left")
        .join(connected, on="lead_id", how="left")
        .filter(
            ~pl.col("milestone").is_in(needs_confirmation)
            | pl.col("is_tick")
            | pl.col("status").is_in(["filled", "completed"])
            | (pl.col("last_connected") >= pl.col("event_date")).fill_null(False)
            | (pl.col("max_self_evident") > pl.col("milestone_order")).fill_null(False)
        )
    )
    furthest = reached.group_by("lead_id").agg(furthest=pl.col("milestone_order").max())
    expected = {
        code: furthest.filter(pl.col("furthest") >= position).height
        for code, position in order.items()
    }
    got = {
        row["milestone"]: row["reached"]
        for row in query(
            warehouse,
            "select milestone, sum(leads_reached) as reached from marts.funnel_cohort_weekly"
            " group by 1",
        )
    }
    assert got == expected
    lead_milestones = query(warehouse, "select count(*) as n from marts.lead_milestones")
    assert lead_milestones[0]["n"] == int(furthest["furthest"].sum())


@pytest.mark.slow
def test_demo_callbacks_are_on_the_call_list(demo_warehouse: tuple[Path, Any]) -> None:
    import polars as pl

    warehouse, files = demo_warehouse
    lead_ids = _demo_leads(files)["Ref"].to_list()
    calls = _demo_calls(files).filter(pl.col("Lead ID").is_in(lead_ids))
    calls = calls.with_columns(called_at=pl.col("Date/Time").str.to_datetime("%d/%m/%Y %H:%M"))
    # A lead's call-back is the one its latest call agreed (a later promise replaces an
    # earlier one); one due on the as-of date is done once a connected call after the one
    # that agreed it was made that day.
    promised = (
        calls.filter(pl.col("callback_date").is_not_null())
        .sort("called_at", "Call ID")
        .group_by("Lead ID")
        .agg(pl.col("callback_date").last(), promised_at=pl.col("called_at").last())
    )
    kept = (
        promised.join(calls.filter(pl.col("Outcome") == "Connected"), on="Lead ID")
        .filter(
            (pl.col("called_at") > pl.col("promised_at"))
            & (pl.col("called_date") >= pl.col("callback_date"))
        )["Lead ID"]
        .unique()
        .to_list()
    )
    expected = set(
        promised.filter(
            (pl.col("callback_date") > DEMO_AS_OF)
            | ((pl.col("callback_date") == DEMO_AS_OF) & ~pl.col("Lead ID").is_in(kept))
        )
        .select("Lead ID", "callback_date")
        .iter_rows()
    )
    got = {
        (row["lead_id"], row["due_date"])
        for row in query(
            warehouse,
            "select lead_id, due_date from marts.calls_due"
            " where reason_code = 'callback' and not is_overdue",
        )
    }
    assert got == expected
    assert got, "the demo promises call-backs on and after the as-of date"
