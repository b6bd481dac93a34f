"""The CRM and ATS presets, on real table shapes (tests/fixtures/crm, copied from
../shared/data) and on hand-written files in the same shapes with real stage names."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import duckdb
import pytest

from ingest.errors import IngestError
from ingest.loader import LoadResult, connect, load_files
from ingest.mapping import load_mapping, preset_names
from leadtrack.settings import Settings

CRM = Path(__file__).parent / "fixtures" / "crm"

# Each fixture copy and its original in ../shared/data.
SHARED_COPIES = {
    "hubspot/deal_stage_data.csv": "hubspot_seeds/deal_stage_data.csv",
    "salesforce/sf_opportunity_history_data.csv": (
        "salesforce_seeds/sf_opportunity_history_data.csv"
    ),
    "greenhouse/application_history.csv": "greenhouse_seeds/application_history.csv",
    "greenhouse/job_application.csv": "greenhouse_seeds/job_application.csv",
    "greenhouse/job_stage.csv": "greenhouse_seeds/job_stage.csv",
    "opencats/candidate_joborder_status_history.csv": (
        "opencats_demo_ats/candidate_joborder_status_history.csv"
    ),
    "opencats/candidate_joborder_status.csv": "opencats_demo_ats/candidate_joborder_status.csv",
}


def shared_data() -> Path:
    """../shared/data beside the checkout (CI), else /work/shared/data; skip when neither
    exists, except on CI, where it must."""
    for candidate in (
        Path(__file__).resolve().parents[2] / "shared" / "data",
        Path("/work/shared/data"),
    ):
        if candidate.is_dir():
            return candidate
    if os.environ.get("CI") == "true":
        pytest.fail("../shared/data is missing on CI: the preset samples cannot be checked")
    pytest.skip("../shared/data (the real CRM table shapes) is not on this machine")


def load(
    settings: Settings, path: Path, mapping: str
) -> tuple[LoadResult, duckdb.DuckDBPyConnection]:
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue, mapping=load_mapping(mapping))
    return result, con


def events(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select lead_id, milestone, cast(event_date as varchar), candidate"
        " from raw.milestone_events order by _source_row"
    ).fetchall()


def assert_counts_add_up(result: LoadResult, con: duckdb.DuckDBPyConnection) -> None:
    assert result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_skipped
    loaded, rejected = con.execute(
        "select (select count(*) from raw.milestone_events),"
        " (select count(*) from raw.rejected_rows)"
    ).fetchone()
    assert (loaded, rejected) == (result.rows_loaded, result.rows_rejected)
    recorded = con.execute(
        "select rows_read, rows_loaded, rows_rejected, rows_skipped, mapping from raw.loads"
        " where load_id = ?",
        [result.load_id],
    ).fetchone()
    assert recorded[:4] == (
        result.rows_read,
        result.rows_loaded,
        result.rows_rejected,
        result.rows_skipped,
    )


@pytest.mark.parametrize("copy", sorted(SHARED_COPIES))
def test_fixture_copies_match_the_shared_samples(copy: str) -> None:
    original = shared_data() / SHARED_COPIES[copy]
    assert filecmp.cmp(CRM / copy, original, shallow=False), f"{copy} differs from {original}"


def test_every_preset_loads_as_a_mapping() -> None:
    names = preset_names()
    assert {
        "hubspot_deal_stages",
        "hubspot_deals",
        "salesforce_opportunity_history",
        "greenhouse_application_history",
        "opencats_pipeline_history",
    } <= set(names)
    for name in names:
        mapping = load_mapping(name)
        assert mapping.kind in ("events", "tracker"), name
        assert mapping.description, f"{name} needs a description"


def test_an_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(IngestError, match=r"no such mapping file or preset; presets: .*hubspot"):
        load_mapping("pipedrive_deals")


# HubSpot deal stage history ---------------------------------------------------------------


def test_hubspot_deal_stages_on_the_sample(settings: Settings) -> None:
    result, con = load(settings, CRM / "hubspot" / "deal_stage_data.csv", "hubspot_deal_stages")
    assert result.kind == "events"
    assert result.rows_read == 14
    # The sample's stage ids are hashes of a custom pipeline: none is a default stage id.
    assert (result.rows_loaded, result.rows_rejected, result.rows_skipped) == (0, 0, 14)
    assert_counts_add_up(result, con)
    assert con.execute(
        "select mapping from raw.loads where load_id = ?", [result.load_id]
    ).fetchone() == ("hubspot_deal_stages",)


def test_hubspot_deal_stages_with_the_samples_own_stage_ids(
    settings: Settings, tmp_path: Path
) -> None:
    """A user adds their stage ids to a copy of the preset: the same sample then loads, with
    HubSpot's unpadded hours parsed and the 2050 open end dates ignored."""
    text = (
        Path(__file__).parents[1] / "ingest" / "presets" / "hubspot_deal_stages.yml"
    ).read_text()
    mine = tmp_path / "my_hubspot.yml"
    mine.write_text(
        text.replace(
            "    closedwon: started\n",
            "    closedwon: started\n"
            "    09a969da1d61b38bd3746f0f49c1475a: cvs_received\n"
            "    f66ca9bc5a02c2f1513ce83f0a0e117d: interviews_arranged\n",
        )
    )
    result, con = load(settings, CRM / "hubspot" / "deal_stage_data.csv", str(mine))
    assert (result.rows_read, result.rows_rejected) == (14, 0)
    assert result.rows_loaded == 13 and result.rows_skipped == 1
    assert_counts_add_up(result, con)
    loaded = events(con)
    # First row: 2021-01-07 6:49:18, stage f66ca9..., deal 3954699413.
    assert loaded[0] == ("3954699413", "interviews_arranged", "2021-01-07", None)
    assert ("3964747459", "cvs_received", "2021-01-09", None) in loaded


# Hand-written, in the sample's shape, with HubSpot's default stage ids.
HUBSPOT_DEAL_STAGES = CRM / "hubspot" / "deal_stage_default_stages.csv"


def test_hubspot_deal_stages_maps_the_default_stage_ids(settings: Settings, tmp_path: Path) -> None:
    result, con = load(settings, HUBSPOT_DEAL_STAGES, "hubspot_deal_stages")
    # The inactive row is filtered by _fivetran_active; closedlost is not a milestone.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 5, 0)
    assert result.rows_skipped == 2
    assert_counts_add_up(result, con)
    assert events(con) == [
        ("101", "cvs_received", "2026-01-05", None),
        ("101", "interviews_arranged", "2026-01-09", None),
        ("102", "interviews_completed", "2026-01-06", None),
        ("103", "verbal_offer_accepted", "2026-01-12", None),
        ("103", "started", "2026-02-02", None),
    ]


# HubSpot deal export ("Date entered <stage>") ---------------------------------------------

HUBSPOT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,"
    '"Date entered ""Appointment Scheduled (Sales Pipeline)""",'
    "Date entered Qualified To Buy (Sales Pipeline),"
    "Date entered Presentation Scheduled (Sales Pipeline),"
    "Date entered Decision Maker Bought-In (Sales Pipeline),"
    "Date entered Contract Sent (Sales Pipeline),"
    "Date entered Closed Won (Sales Pipeline),"
    "Date entered Closed Lost (Sales Pipeline),Associated Company\n"
    "9001,Senior Accountant,Closed Won,2026-03-02,Priya Shah,9000,2026-01-05 09:12,"
    "2026-01-06 10:00,2026-01-12 11:30,2026-01-20 15:00,2026-02-01 09:00,"
    "2026-02-10 12:00,2026-03-02 08:30,,Acme Ltd\n"
    '9002,Payroll Officer,Qualified To Buy,,Tom Reid,"4,500",2026-02-11 14:02,'
    "2026-02-12 09:00,2026-02-20 10:00,,,,,,Brightwater plc\n"
    "9003,Office Manager,Closed Lost,2026-02-28,Tom Reid,,2026-02-14 08:00,"
    ",,,,,,2026-02-28 17:00,Calder & Co\n"
)


def test_hubspot_deals_export_loads_as_a_tracker(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "hubspot-crm-exports-all-deals-2026-03-05.csv"
    path.write_text(HUBSPOT_DEALS)
    result, con = load(settings, path, "hubspot_deals")
    assert result.kind == "tracker"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 3, 0)
    leads = con.execute(
        "select lead_id, cast(created_date as varchar), consultant, client, job_title,"
        " cast(fee as double), status from raw.leads order by lead_id"
    ).fetchall()
    assert leads == [
        ("9001", "2026-01-05", "Priya Shah", "Acme Ltd", "Senior Accountant", 9000.0, "filled"),
        ("9002", "2026-02-11", "Tom Reid", "Brightwater plc", "Payroll Officer", 4500.0, "open"),
        ("9003", "2026-02-14", "Tom Reid", "Calder & Co", "Office Manager", None, "lost"),
    ]
    reached = con.execute(
        "select lead_id, milestone, cast(event_date as varchar) from raw.milestone_events"
        " order by lead_id, event_date"
    ).fetchall()
    assert reached == [
        ("9001", "cvs_received", "2026-01-06"),
        ("9001", "interviews_arranged", "2026-01-12"),
        ("9001", "interviews_completed", "2026-01-20"),
        ("9001", "offer_contender_confirmed", "2026-02-01"),
        ("9001", "verbal_offer_accepted", "2026-02-10"),
        ("9001", "started", "2026-03-02"),
        ("9002", "cvs_received", "2026-02-12"),
        ("9002", "interviews_arranged", "2026-02-20"),
    ]


# Salesforce opportunity history -----------------------------------------------------------


def test_salesforce_opportunity_history_on_the_sample(settings: Settings) -> None:
    result, con = load(
        settings,
        CRM / "salesforce" / "sf_opportunity_history_data.csv",
        "salesforce_opportunity_history",
    )
    assert result.kind == "events"
    # Stage names are hashed in the sample, so none is a default Salesforce stage.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 0, 0)
    assert result.rows_skipped == 10
    assert_counts_add_up(result, con)


def test_salesforce_opportunity_history_maps_default_stages(
    settings: Settings, tmp_path: Path
) -> None:
    header = (CRM / "salesforce" / "sf_opportunity_history_data.csv").read_text().splitlines()[0]
    columns = header.split(",")

    def row(active: str, start: str, opportunity: str, stage: str) -> str:
        values = dict.fromkeys(columns, "")
        values.update(
            {
                "_fivetran_active": active,
                "_fivetran_start": start,
                "_fivetran_end": "9999-12-31 23:59:59",
                "id": opportunity,
                "stage_name": stage,
                "created_date": "2026-01-02 09:00:00",
                "amount": "12000",
            }
        )
        return ",".join(values[column] for column in columns)

    path = tmp_path / "opportunity_history.csv"
    path.write_text(
        "\n".join(
            [
                header,
                row("false", "2026-01-02 09:00:00", "006A", "Prospecting"),
                row("false", "2026-01-05 10:30:00", "006A", "Qualification"),
                row("false", "2026-01-19 16:00:00", "006A", "Negotiation/Review"),
                row("true", "2026-02-03 9:15:00", "006A", "Closed Won"),
                row("true", "2026-01-08 11:00:00", "006B", "Needs Analysis"),
                row("true", "2026-01-09 11:00:00", "006C", "Closed Lost"),
            ]
        )
        + "\n"
    )
    result, con = load(settings, path, "salesforce_opportunity_history")
    assert (result.rows_read, result.rows_loaded, result.rows_skipped) == (6, 4, 2)
    assert_counts_add_up(result, con)
    assert events(con) == [
        ("006A", "cvs_received", "2026-01-05", None),
        ("006A", "verbal_offer_accepted", "2026-01-19", None),
        ("006A", "started", "2026-02-03", None),
        ("006B", "interviews_arranged", "2026-01-08", None),
    ]


# Greenhouse application history, rolled up to the job ------------------------------------


def test_greenhouse_application_history_on_the_sample(settings: Settings) -> None:
    """The sample's two rows are status-only changes (no stage): read and skipped."""
    result, con = load(
        settings, CRM / "greenhouse" / "application_history.csv", "greenhouse_application_history"
    )
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 0, 0)
    assert result.rows_skipped == 2
    assert_counts_add_up(result, con)


def write_greenhouse(folder: Path) -> Path:
    folder.mkdir()
    (folder / "job_application.csv").write_text(
        "application_id,job_id,_fivetran_synced\n"
        "501,7001,2026-01-01 00:00:00.000\n"
        "502,7001,2026-01-01 00:00:00.000\n"
        "503,7002,2026-01-01 00:00:00.000\n"
    )
    (folder / "job_stage.csv").write_text(
        "id,_fivetran_deleted,_fivetran_synced,created_at,job_id,name,updated_at\n"
        "11,false,2026-01-01 00:00:00.000 ,2026-01-01 00:00:00.000 ,7001,Application Review,"
        "2026-01-01 00:00:00.000 \n"
        "12,false,2026-01-01 00:00:00.000 ,2026-01-01 00:00:00.000 ,7001,Face to Face,"
        "2026-01-01 00:00:00.000 \n"
        "13,false,2026-01-01 00:00:00.000 ,2026-01-01 00:00:00.000 ,7001,Offer,"
        "2026-01-01 00:00:00.000 \n"
        "21,false,2026-01-01 00:00:00.000 ,2026-01-01 00:00:00.000 ,7002,Phone Interview,"
        "2026-01-01 00:00:00.000 \n"
        "22,false,2026-01-01 00:00:00.000 ,2026-01-01 00:00:00.000 ,7002,Take-home test,"
        "2026-01-01 00:00:00.000 \n"
    )
    history = folder / "application_history.csv"
    history.write_text(
        "application_id,updated_at,_fivetran_synced,new_stage_id,new_status\n"
        "501,2026-01-05 09:00:00,2026-01-05 10:00:00.000,11,\n"
        "502,2026-01-06 09:00:00,2026-01-06 10:00:00.000,11,\n"
        "502,2026-01-14 15:30:00,2026-01-14 16:00:00.000,12,\n"
        "502,2026-01-28 11:00:00,2026-01-28 12:00:00.000,13,\n"
        "502,2026-02-02 11:00:00,2026-02-02 12:00:00.000,,hired\n"
        "503,2026-01-20 10:00:00,2026-01-20 11:00:00.000,21,\n"
        "503,2026-01-22 10:00:00,2026-01-22 11:00:00.000,22,\n"
        "599,2026-01-23 10:00:00,2026-01-23 11:00:00.000,21,\n"
    )
    return history


def test_greenhouse_application_history_rolls_applications_up_to_the_job(
    settings: Settings, tmp_path: Path
) -> None:
    history = write_greenhouse(tmp_path / "greenhouse")
    result, con = load(settings, history, "greenhouse_application_history")
    # The "hired" status row has no stage, and "Take-home test" is not mapped: skipped.
    # Application 599 is not in job_application.csv: rejected, naming the missing job.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 5, 1)
    assert result.rows_skipped == 2
    assert_counts_add_up(result, con)
    assert events(con) == [
        ("7001", "cvs_received", "2026-01-05", "501"),
        ("7001", "cvs_received", "2026-01-06", "502"),
        ("7001", "second_interview_arranged", "2026-01-14", "502"),
        ("7001", "verbal_offer_accepted", "2026-01-28", "502"),
        ("7002", "interviews_arranged", "2026-01-20", "503"),
    ]
    ((row, reason),) = con.execute("select source_row, reason from raw.rejected_rows").fetchall()
    assert row == 9
    assert "job_id is empty" in reason


def test_greenhouse_lookups_load_twice_in_one_session(settings: Settings, tmp_path: Path) -> None:
    """A second export with lookups in the same connection (the CLI loads a folder so)."""
    first = write_greenhouse(tmp_path / "week1")
    second = write_greenhouse(tmp_path / "week2")
    second.write_text(second.read_text() + "501,2026-02-09 10:00:00,2026-02-09 11:00:00.000,12,\n")
    con = connect(settings.warehouse)
    results = load_files(
        con,
        [first, second],
        settings.catalogue,
        mapping=load_mapping("greenhouse_application_history"),
    )
    assert [result.rows_loaded for result in results] == [5, 6]


def test_greenhouse_without_its_lookup_file_names_it(settings: Settings, tmp_path: Path) -> None:
    history = write_greenhouse(tmp_path / "greenhouse")
    (history.parent / "job_stage.csv").unlink()
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match=r"job_stage\.csv does not exist: put it beside"):
        load_files(
            con,
            [history],
            settings.catalogue,
            mapping=load_mapping("greenhouse_application_history"),
        )
    assert con.execute("select count(*) from raw.loads where kind <> 'catalogue'").fetchone() == (
        0,
    )


# OpenCATS pipeline history ----------------------------------------------------------------


def test_opencats_pipeline_history_on_the_sample(settings: Settings) -> None:
    result, con = load(
        settings,
        CRM / "opencats" / "candidate_joborder_status_history.csv",
        "opencats_pipeline_history",
    )
    # 200 Contacted (twice) and 300 Negotiating are before the CV goes to the client.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 5, 0)
    assert result.rows_skipped == 3
    assert_counts_add_up(result, con)
    assert events(con) == [
        ("3", "interviews_arranged", "2007-01-16", "20"),
        ("3", "interviews_arranged", "2007-01-17", "52"),
        ("3", "offer_contender_confirmed", "2007-01-17", "37"),
        ("1", "cvs_received", "2007-01-16", "35"),
        ("2", "cvs_received", "2007-01-17", "56"),
    ]


def test_opencats_preset_covers_every_status_of_the_pipeline() -> None:
    """Every status code of candidate_joborder_status is either mapped or deliberately
    skipped, and the comment in the preset names each one with its label."""
    preset = Path(__file__).parents[1] / "ingest" / "presets" / "opencats_pipeline_history.yml"
    text = preset.read_text()
    statuses = (CRM / "opencats" / "candidate_joborder_status.csv").read_text().splitlines()[1:]
    for line in statuses:
        code, label = line.split(",")[:2]
        assert f"{code} {label}" in text, f"the preset does not mention {code} {label}"
    mapped = load_mapping("opencats_pipeline_history").values["milestone"]
    assert mapped == {
        "400": "cvs_received",
        "500": "interviews_arranged",
        "600": "offer_contender_confirmed",
        "800": "started",
    }
