"""The dashboard on the demo warehouse: every page runs without an exception and shows the
marts' figures (queried here independently with duckdb); the start page on an empty
warehouse; the exports (formula neutralising, iCalendar)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import charts, exports, queries, ui
from ingest.loader import connect, load_files
from leadtrack.publish import build_and_publish
from leadtrack.settings import DEFAULT_CATALOGUE, marts_path

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
PAGES = [
    "this_week",
    "funnel",
    "consultants",
    "gone_quiet",
    "calls_due",
    "history",
    "lead",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(demo_copy) -> Path:
    """A copy of the demo warehouse and its published marts (see `demo_copy`)."""
    return demo_copy


def scalar(warehouse: Path, sql: str, params: list | None = None):
    """A value of a query on the warehouse's published marts."""
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of a query on the warehouse's published marts."""
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def number(text: str) -> int:
    return int(text.replace(",", "").replace("£", ""))


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def app(monkeypatch: pytest.MonkeyPatch, warehouse: Path, **params: str) -> AppTest:
    monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [exception.value for exception in at.exception]
    assert not at.error, [error.value for error in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(monkeypatch, warehouse, page):
    at = app(monkeypatch, warehouse)
    at.switch_page(f"views/{page}.py").run()
    assert_clean(at)
    assert at.title[0].value


def test_as_of_date_is_the_build_date(warehouse, demo_warehouse):
    assert queries.as_of_date(marts_path(warehouse)) == demo_warehouse.as_of


def test_a_shared_custom_period_ending_after_the_as_of_date_is_cut_there(
    monkeypatch, warehouse, demo_warehouse
):
    """The date picker raises on a day after its maximum, the as-of date: a link made on a
    later build, or ending at a month's end, showed a traceback instead of the page."""
    as_of = demo_warehouse.as_of
    start = as_of - timedelta(days=20)
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": start.isoformat(), "to": (as_of + timedelta(days=35)).isoformat()},
    )
    assert_clean(at)
    assert at.date_input(key="custom_range").value == (start, as_of)
    assert (at.query_params["from"], at.query_params["to"]) == (
        start.isoformat(),
        as_of.isoformat(),
    )
    assert [warning.value for warning in at.sidebar.warning] == [
        f"The dates {start:%d/%m/%Y} – {as_of + timedelta(days=35):%d/%m/%Y} run past the"
        f" as-of date, {as_of:%d/%m/%Y}: showing {start:%d/%m/%Y} – {as_of:%d/%m/%Y}."
    ]


def test_a_shared_custom_period_after_the_as_of_date_says_what_it_shows(
    monkeypatch, warehouse, demo_warehouse
):
    """Dates wholly after the as-of date became the as-of date alone, silently: the numbers
    were not the link's, and nothing said so. A range within it says nothing."""
    as_of = demo_warehouse.as_of
    at = app(monkeypatch, warehouse, period="custom", **{"from": "2027-01-01", "to": "2027-02-01"})
    assert_clean(at)
    assert at.date_input(key="custom_range").value == (as_of, as_of)
    assert [warning.value for warning in at.sidebar.warning] == [
        f"The dates 01/01/2027 – 01/02/2027 run past the as-of date, {as_of:%d/%m/%Y}:"
        f" showing {as_of:%d/%m/%Y} – {as_of:%d/%m/%Y}."
    ]
    start = as_of - timedelta(days=20)
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": start.isoformat(), "to": as_of.isoformat()},
    )
    assert_clean(at)
    assert not at.sidebar.warning


def test_this_week_counts_match_consultant_weekly(monkeypatch, warehouse, demo_warehouse):
    """The week's counts come from consultant_weekly, checked here against the day-level
    marts. The demo's as-of date is a Monday, so the page opens on the week just ended, whole
    against the whole week before; the week under way (one day) is set against the same
    weekdays of the week before."""
    at = app(monkeypatch, warehouse)
    assert_clean(at)
    as_of = demo_warehouse.as_of
    this_week = queries.week_start(as_of)
    measures = [
        ("Leads created", "leads_created", "select count(*) from marts.leads where created_date"),
        ("Calls made", "calls_made", "select count(*) from marts.calls where called_date"),
        (
            "Calls connected",
            "calls_connected",
            "select count(*) from marts.calls where is_connected and called_date",
        ),
        (
            "Milestones reached",
            "milestones_reached",
            "select count(*) from marts.lead_milestones where reached_date",
        ),
        (
            "Reached Start date",
            "starts",
            "select count(*) from marts.lead_milestones where is_filled and reached_date",
        ),
    ]
    for week, last_day in (
        (this_week - timedelta(days=7), as_of - timedelta(days=1)),
        (this_week, as_of),
    ):
        if week == this_week:
            at.selectbox(key="week").select(week).run()
            assert_clean(at)
        assert at.selectbox(key="week").value == week
        previous = week - timedelta(days=7)
        compared = [previous, previous + (last_day - week)]
        shown = {metric.label: metric for metric in at.metric}
        for label, column, by_day in measures:
            now = scalar(
                warehouse,
                f"select coalesce(sum({column}), 0) from marts.consultant_weekly where week = ?",
                [week],
            )
            assert now == scalar(warehouse, f"{by_day} between ? and ?", [week, last_day]), label
            before = scalar(warehouse, f"{by_day} between ? and ?", compared)
            assert number(shown[label].value) == now, label
            assert number(str(shown[label].delta)) == now - before, label
    # The week under way is compared like for like: fewer days of the week before than all.
    assert scalar(
        warehouse,
        "select sum(calls_made) from marts.consultant_weekly where week = ?",
        [this_week - timedelta(days=7)],
    ) > scalar(
        warehouse,
        "select count(*) from marts.calls where called_date = ?",
        [this_week - timedelta(days=7)],
    )
    open_now, quiet_now = rows(
        warehouse,
        "select sum(open_leads), sum(quiet_leads) from marts.consultant_weekly where is_as_of_week",
    )[0]
    assert number(shown["Open leads"].value) == open_now
    assert number(shown["Quiet leads"].value) == quiet_now

    at.selectbox(key="this-week-choice").select("Quiet now").run()
    assert_clean(at)
    assert f"{quiet_now:,} leads" in [caption.value for caption in at.caption]


def test_funnel_matches_the_cohort_marts(monkeypatch, warehouse, demo_warehouse):
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": "2020-01-01", "to": demo_warehouse.as_of.isoformat()},
    )
    at.switch_page("views/funnel.py").run()
    assert_clean(at)
    total = scalar(warehouse, "select count(*) from marts.leads")
    assert number(metrics(at)["Leads created in the period"]) == total
    funnel = at.dataframe[0].value
    expected = rows(
        warehouse,
        "select milestone, sum(leads_reached) from marts.funnel_cohort_weekly"
        " group by milestone order by any_value(milestone_order)",
    )
    assert funnel["leads_reached"].tolist() == [reached for _, reached in expected]
    gates = at.dataframe[1].value
    expected_gates = rows(
        warehouse,
        "select leads_at_gate, leads_passed, leads_failed, leads_pending from"
        " marts.decision_points where consultant = 'All consultants' order by milestone_order",
    )
    shown_gates = gates[["leads_at_gate", "leads_passed", "leads_failed", "leads_pending"]]
    assert [tuple(int(v) for v in row) for row in shown_gates.itertuples(index=False)] == [
        tuple(int(v) for v in row) for row in expected_gates
    ]
    by_stage = at.dataframe[2].value
    assert by_stage["leads"].sum() == scalar(warehouse, "select sum(leads) from marts.dropoff")
    assert by_stage["fee_lost"].sum() == pytest.approx(
        scalar(warehouse, "select sum(fee_lost) from marts.dropoff")
    )
    # Lost and declined leads' fees: headed apart from the leads' fee lost (lost ones only).
    columns = json.loads(at.dataframe[2].proto.columns)
    assert columns["fee_lost"]["label"] == "Fee dropped"
    # The stage a lead dropped after, not a decision it failed there; before the first
    # milestone, "Before CVs received", not "Dropped after reaching: Before CVs received".
    assert columns["stage"]["label"] == "Dropped"
    first_label = scalar(
        warehouse, "select label from staging.stg_milestone_catalogue order by milestone_order"
    )
    expected_stages = [
        f"Before {first_label}" if order == 0 else f"After {label}"
        for order, label in rows(
            warehouse,
            "select distinct coalesce(leads.furthest_milestone_order, 0), leads"
            ".furthest_milestone_label from marts.leads"
            " where status in ('lost', 'declined') order by 1",
        )
    ]
    assert by_stage["stage"].tolist() == expected_stages
    options = at.selectbox(key="funnel-choice").options
    assert any(option.startswith(f"Declined before {first_label}: ") for option in options)
    assert not any(" at Before " in option for option in options)
    # Milestones are headed so, not "Label".
    now_here = json.loads(at.dataframe[4].proto.columns)
    assert now_here["label"]["label"] == "Milestone"


def test_funnel_tables_show_an_empty_cell_as_a_dash(monkeypatch, warehouse):
    """A stage after one no lead reached has no "% of the stage before", a decision no lead
    came to no pass rate: they read a dash, as the metrics do, not Streamlit's "None"."""
    at = app(monkeypatch, warehouse, period="this_quarter")
    at.switch_page("views/funnel.py").run()
    assert_clean(at)
    funnel, gates = at.dataframe[0].value, at.dataframe[1].value
    for column in ("% of the stage before", "% of leads created"):
        assert funnel[column].notna().all(), column
    assert (funnel["leads_reached"] == 0).any()
    after_none = funnel["leads_reached"].shift(1) == 0
    assert (funnel.loc[after_none, "% of the stage before"] == "–").all()
    assert gates["pass rate %"].notna().all()
    no_decision = (gates["leads_passed"] + gates["leads_failed"]) == 0
    assert (gates.loc[no_decision, "pass rate %"] == "–").all()
    assert (gates.loc[~no_decision, "pass rate %"] != "–").all()


def test_a_drill_down_of_one_lead_says_1_lead(monkeypatch, warehouse, demo_warehouse):
    """The count above a list of leads read "1 leads"."""
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": "2020-01-01", "to": demo_warehouse.as_of.isoformat()},
    )
    at.switch_page("views/funnel.py").run()
    dropped = at.dataframe[3].value
    single = dropped[dropped["leads"] == 1].iloc[0]
    choice = at.selectbox(key="funnel-choice")
    (option,) = [
        option
        for option in choice.options
        if option.endswith(f": {single['lost_reason']}")
        and single["stage"].lower() in option.lower()
        and option.lower().startswith(single["status"])
    ]
    choice.select(option).run()
    assert_clean(at)
    captions = [caption.value for caption in at.caption]
    assert "1 lead" in captions
    assert "1 leads" not in captions


# The decision points table's numbers (its columns), and how its drill-down names each.
GATE_NUMBERS = {
    "leads_at_gate": "at the decision",
    "leads_passed": "passed",
    "leads_failed": "failed",
    "leads_pending": "pending",
}


def every_lead(as_of: date) -> dict[str, str]:
    """A link's period that holds every lead of the demo."""
    return {"period": "custom", "from": "2020-01-01", "to": as_of.isoformat()}


def gates_from_the_mart(warehouse: Path, team: str | None) -> dict[str, dict[str, int]]:
    """Each decision point's numbers as `marts.decision_points` counts them over every lead:
    its 'All consultants' row, or the rows of a team's consultants summed."""
    sums = ", ".join(
        f"cast(coalesce(sum(points.{column}), 0) as bigint)" for column in GATE_NUMBERS
    )
    found = rows(
        warehouse,
        f"""
        select gates.milestone_label, {sums}
        from marts.decision_points as gates
        left join marts.decision_points as points
            on points.milestone = gates.milestone
            and case when ? is null then points.consultant = 'All consultants'
                else points.consultant in (
                    select consultant from marts.consultants where team = ?
                ) end
        where gates.consultant = 'All consultants'
        group by gates.milestone_label, gates.milestone_order
        order by gates.milestone_order
        """,
        [team, team],
    )
    return {label: dict(zip(GATE_NUMBERS, numbers, strict=True)) for label, *numbers in found}


@pytest.mark.parametrize("whole_agency", [True, False], ids=["agency", "team"])
def test_every_decision_point_number_lists_the_leads_behind_it(
    monkeypatch, warehouse, demo_warehouse, whole_agency
):
    """The decision points (at the decision, passed, failed, pending) were the one table on
    the Funnel page without the leads behind its numbers. Each lists as many leads as it
    shows, which is what marts.decision_points counts, for the agency and for a team (opened
    from a link), in the lists every drill-down shows (first rows, the count, downloads)."""
    monkeypatch.setattr(ui, "LIST_ROWS", 5)
    source = marts_path(warehouse)
    team = None if whole_agency else queries.teams(source)[0]
    at = app(
        monkeypatch,
        warehouse,
        **every_lead(demo_warehouse.as_of),
        **({"team": team} if team else {}),
    )
    at.switch_page("views/funnel.py").run()
    assert_clean(at)
    expected = gates_from_the_mart(warehouse, team)
    assert len(expected) == 2 and all(numbers["leads_failed"] > 5 for numbers in expected.values())
    shown = {
        row["decision"]: {column: int(row[column]) for column in GATE_NUMBERS}
        for _, row in at.dataframe[1].value.iterrows()
    }
    assert shown == expected
    choice = at.selectbox(key="decision-points-choice")
    assert choice.value is None  # nothing listed (or read) until a number is chosen
    assert len(choice.options) == len(expected) * len(GATE_NUMBERS)
    columns = queries.lead_list(source, queries.LeadCriteria(), limit=0).columns
    for label, numbers in expected.items():
        for column, outcome in GATE_NUMBERS.items():
            at.selectbox(key="decision-points-choice").select(f"{label} – {outcome}").run()
            assert_clean(at)
            count = numbers[column]
            captions = [caption.value for caption in at.caption]
            if count > 5:
                said = f"{count:,} leads; the first 5 shown, all of them in the downloads"
            else:
                said = f"{count:,} lead{'s' * (count != 1)}"
            assert said in captions, (label, outcome)
            (listed,) = [frame.value for frame in at.dataframe if "lead_id" in frame.value.columns]
            assert len(listed) == min(count, 5), (label, outcome)
            assert list(listed.columns) == columns


def test_lead_lists_leave_a_closed_lead_s_days_quiet_blank(monkeypatch, warehouse, demo_warehouse):
    """Going quiet is for open leads, as the Lead page and Gone quiet show it: the lists of
    leads behind the numbers gave a lost, filled or completed lead its days since its last
    touch (a lead completed a year ago read 300 days quiet). Blank there: a dash in the table;
    an empty cell in the CSV and XLSX downloads, so the column stays numbers to sort by."""
    at = app(monkeypatch, warehouse, **every_lead(demo_warehouse.as_of))
    at.switch_page("views/funnel.py").run()
    first, label = rows(
        warehouse,
        "select milestone, label from staging.stg_milestone_catalogue order by milestone_order",
    )[0]
    at.selectbox(key="funnel-choice").select(f"Reached {label}").run()
    assert_clean(at)
    (listed,) = [frame for frame in at.dataframe if "lead_id" in frame.value.columns]
    leads = listed.value
    quiet = dict(rows(warehouse, "select lead_id, days_quiet from marts.leads"))
    closed = leads[leads["status"] != "open"]
    assert {"lost", "filled", "completed"} <= set(closed["status"])
    assert closed["days_quiet"].isna().all()
    still_open = leads[leads["status"] == "open"]
    assert len(still_open)
    assert [int(days) for days in still_open["days_quiet"]] == [
        quiet[lead_id] for lead_id in still_open["lead_id"]
    ]
    # Streamlit writes "None" in an empty number cell; the lists write a dash.
    assert listed.proto.placeholder == "–"

    # The downloads hold what the lists do: the CSV an empty cell, the XLSX an empty cell.
    source = marts_path(warehouse)
    everything = queries.lead_list(source, queries.LeadCriteria(reached_milestone=first))
    for frame in (
        pl.read_csv(exports.to_csv(everything), infer_schema_length=None),
        pl.read_excel(exports.to_xlsx(everything)),
    ):
        assert frame.filter(pl.col("status") != "open")["days_quiet"].null_count() == len(closed)
        assert frame.filter(pl.col("status") == "open")["days_quiet"].null_count() == 0
    written = list(csv.DictReader(io.StringIO(exports.to_csv(everything).decode("utf-8-sig"))))
    assert {row["days_quiet"] for row in written if row["status"] != "open"} == {""}
    # History's lists of a stage on a past date are lists of leads as well.
    on = demo_warehouse.as_of - timedelta(days=90)
    for stage in queries.pipeline_on(source, on, None, None)["milestone_order"]:
        staged = queries.pipeline_leads(source, on, stage, None, None)
        closed = staged.filter(pl.col("status") != "open")
        assert closed["days_quiet"].null_count() == closed.height


def test_funnel_for_last_quarter(monkeypatch, warehouse):
    at = app(monkeypatch, warehouse, period="last_quarter")
    at.switch_page("views/funnel.py").run()
    assert_clean(at)
    created = scalar(
        warehouse,
        "select count(*) from marts.leads where created_date between ? and ?",
        [date(2026, 7, 1), date(2026, 9, 30)],
    )
    assert number(metrics(at)["Leads created in the period"]) == created
    first_stage = at.dataframe[0].value["leads_reached"].iloc[0]
    assert first_stage == scalar(
        warehouse,
        "select count(*) from marts.lead_milestones join marts.leads using (lead_id)"
        " where lead_milestones.milestone_order = 1"
        " and leads.created_date between ? and ?",
        [date(2026, 7, 1), date(2026, 9, 30)],
    )


def test_consultants_league_table(monkeypatch, warehouse, demo_warehouse):
    at = app(monkeypatch, warehouse, period="this_quarter")
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    league = at.dataframe[0].value.set_index("consultant")
    expected = dict(
        rows(
            warehouse,
            "select consultant, count(*) filter (where created_date >= ?) from marts.leads"
            " group by consultant",
            [date(2026, 10, 1)],
        )
    )
    assert league["leads_created"].to_dict() == expected
    # Calls on the days of the period: the quarter began on a Thursday, and the days of its
    # first week before that (in September) once counted too.
    calls = dict(
        rows(
            warehouse,
            "select consultant, count(*) from marts.calls where called_date between ? and ?"
            " group by consultant",
            [date(2026, 10, 1), demo_warehouse.as_of],
        )
    )
    assert {name: made for name, made in league["calls_made"].to_dict().items() if made} == calls
    # No lead created this quarter is filled yet: the page says why conversion is 0% ...
    assert league["leads_filled"].sum() == 0
    assert "Choose Last quarter" in at.info[0].value
    quiet = dict(rows(warehouse, "select consultant, count(*) from marts.stale_leads group by 1"))
    assert {name: q for name, q in league["quiet_leads"].to_dict().items() if q} == quiet
    durations = at.dataframe[1].value
    chosen = at.selectbox(key="drill_consultant").value
    mart = dict(
        rows(
            warehouse,
            "select milestone_label, median_days from marts.stage_durations where consultant = ?",
            [chosen],
        )
    )
    for label, median in zip(durations["label"], durations["median_days"], strict=True):
        if label in mart:
            assert median == pytest.approx(mart[label]), label
    # ... and says nothing once some are.
    at = app(monkeypatch, warehouse, period="last_quarter")
    at.switch_page("views/consultants.py").run()
    assert at.dataframe[0].value["leads_filled"].sum() > 0
    assert not at.info


def test_a_consultant_s_filled_leads_are_those_their_conversion_counts(
    monkeypatch, warehouse, demo_warehouse
):
    """The "Filled from the period's leads" list held the leads whose status is filled, leaving out
    those that have since completed (a start whose probation is done), so over a long period
    it listed fewer leads than the conversion beside it counted filled."""
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": "2020-01-01", "to": demo_warehouse.as_of.isoformat()},
    )
    at.switch_page("views/consultants.py").run()
    chosen = at.selectbox(key="drill_consultant").value
    league = at.dataframe[0].value.set_index("consultant")
    filled = {
        lead: status
        for lead, status in rows(
            warehouse,
            "select lead_id, status from marts.leads"
            " where consultant = ? and status in ('filled', 'completed')",
            [chosen],
        )
    }
    assert "completed" in filled.values()
    assert league.loc[chosen, "leads_filled"] == len(filled)
    choice = at.selectbox(key="consultant-choice")
    assert "Completed from the period's leads" in choice.options
    choice.select("Filled from the period's leads").run()
    assert_clean(at)
    assert f"{len(filled):,} leads" in [caption.value for caption in at.caption]
    (listed,) = [frame.value for frame in at.dataframe if "lead_id" in frame.value.columns]
    assert set(listed["lead_id"]) == set(filled)


def test_consultants_in_a_period_without_leads_do_not_claim_a_conversion_of_0(
    monkeypatch, warehouse, demo_warehouse
):
    """A weekend creates no leads: no conversion to speak of, not "every conversion is 0%"."""
    saturday = queries.week_start(demo_warehouse.as_of) - timedelta(days=2)
    sunday = saturday + timedelta(days=1)
    created = scalar(
        warehouse,
        "select count(*) from marts.leads where created_date between ? and ?",
        [saturday, sunday],
    )
    assert created == 0
    at = app(
        monkeypatch,
        warehouse,
        period="custom",
        **{"from": saturday.isoformat(), "to": sunday.isoformat()},
    )
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    assert metrics(at)["Conversion"] == "–"
    said = " ".join(info.value for info in at.info)
    assert "0%" not in said
    assert "No leads were created in this period" in said


def test_a_consultant_without_leads_in_the_period_has_no_blank_funnel(
    monkeypatch, warehouse, demo_warehouse
):
    """A consultant who created no lead in the period got a blank funnel chart (its axis
    from -1 to 1): the page says there is none instead."""
    as_of = demo_warehouse.as_of
    consultant = scalar(
        warehouse,
        "select min(consultant) from marts.consultants where consultant not in"
        " (select consultant from marts.leads where created_date = ?)",
        [as_of],
    )
    assert consultant
    at = app(monkeypatch, warehouse, period="this_week", who=consultant)
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    assert at.header[0].value == consultant
    assert (
        f"{consultant} created no leads in the period, so there is no cohort funnel to show."
        " Choose a longer period in the sidebar."
    ) in [info.value for info in at.info]
    charts_drawn = at.get("plotly_chart")
    assert len(charts_drawn) == 2  # the weekly trend and the stage durations
    at = app(monkeypatch, warehouse, period="this_quarter", who=consultant)
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 3


def test_a_warehouse_named_like_a_database_it_holds_is_refused_on_the_page(monkeypatch, tmp_path):
    """`leadtrack dashboard` refuses raw.duckdb with its reason; the app run by hand
    (`streamlit run dashboards/app.py`) raised a Python error instead."""
    at = app(monkeypatch, tmp_path / "raw.duckdb")
    assert not at.exception, [exception.value for exception in at.exception]
    assert "cannot be named raw.duckdb: DuckDB names the database" in at.error[0].value


def test_gone_quiet_lists_the_stale_leads(monkeypatch, warehouse):
    at = app(monkeypatch, warehouse, team="Technology")
    at.switch_page("views/gone_quiet.py").run()
    assert_clean(at)
    expected = scalar(warehouse, "select count(*) from marts.stale_leads where team = 'Technology'")
    assert number(metrics(at)["Leads gone quiet"]) == expected
    assert len(at.dataframe[0].value) == expected
    assert at.query_params["team"] in ("Technology", ["Technology"])


def test_a_shared_link_s_filters_that_do_not_match_say_so(monkeypatch, warehouse):
    """A team typed in another case is that team; one that does not exist falls back to
    all teams, and the sidebar says so (the numbers are not the link's)."""
    at = app(monkeypatch, warehouse, team="technology")
    assert_clean(at)
    assert at.sidebar.selectbox(key="team").value == "Technology"
    assert not at.sidebar.warning
    at = app(monkeypatch, warehouse, team="Technology", consultant="Nobody Here")
    assert_clean(at)
    assert at.sidebar.selectbox(key="consultant").value == "All"
    assert [warning.value for warning in at.sidebar.warning] == [
        "There is no consultant in Technology named 'Nobody Here': showing all."
    ]


def test_a_shared_link_opens_the_week_and_the_consultant_picked_on_the_page(
    monkeypatch, warehouse, demo_warehouse
):
    """A manager shares the week picked on This week and the consultant picked on
    Consultants: the link opens them. The page's own default stays out of the link, so a
    bookmarked This week moves on to the next week under review."""
    review = queries.week_to_review(demo_warehouse.as_of)
    earlier = review - timedelta(weeks=3)
    at = app(monkeypatch, warehouse, week=earlier.isoformat())
    assert_clean(at)
    assert at.selectbox(key="week").value == earlier
    assert at.query_params["week"] in (earlier.isoformat(), [earlier.isoformat()])
    at.selectbox(key="week").set_value(review).run()
    assert "week" not in at.query_params
    at = app(monkeypatch, warehouse, week="2019-01-07")
    assert at.selectbox(key="week").value == review
    assert [warning.value for warning in at.warning] == [
        f"The link's week '2019-01-07' is not one to choose here: showing {review.isoformat()}."
    ]

    at = app(monkeypatch, warehouse)
    at.switch_page("views/consultants.py").run()
    names = at.selectbox(key="drill_consultant").options
    assert "who" not in at.query_params
    at.selectbox(key="drill_consultant").set_value(names[-1]).run()
    assert at.query_params["who"] in (names[-1], [names[-1]])
    at = app(monkeypatch, warehouse, who=names[-1].upper())
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    assert at.selectbox(key="drill_consultant").value == names[-1]
    assert at.header[0].value == names[-1]


def test_calls_due_today_and_a_week(monkeypatch, warehouse, demo_warehouse):
    at = app(monkeypatch, warehouse)
    at.switch_page("views/calls_due.py").run()
    assert_clean(at)
    # Calls, not reasons: a lead with two reasons on one day is one call.
    today = scalar(
        warehouse,
        "select count(distinct (lead_id, due_date)) from marts.calls_due"
        " where due_date = ? or is_overdue",
        [demo_warehouse.as_of],
    )
    assert number(metrics(at)["Calls due"]) == today
    overdue = scalar(
        warehouse,
        "select count(distinct (lead_id, due_date)) from marts.calls_due where is_overdue",
    )
    assert 0 < number(metrics(at)["Of them overdue"]) == overdue < today
    at.segmented_control(key="calls_when").set_value("A week").run()
    at.checkbox(key="overdue").uncheck().run()
    assert_clean(at)
    week = queries.week_start(demo_warehouse.as_of)
    in_week = scalar(
        warehouse,
        "select count(distinct (lead_id, due_date)) from marts.calls_due"
        " where due_date between ? and ? + 6",
        [week, week],
    )
    assert number(metrics(at)["Calls due"]) == in_week
    assert "Of them overdue" not in metrics(at)


def test_calls_due_list_a_lead_s_reasons_on_one_day_as_one_call(
    monkeypatch, warehouse, demo_warehouse
):
    """An agreed call-back and a declined revisit due on one lead the same day are one call:
    "Calls due" said 72 for 71 calls, and the list had the lead twice."""
    day = scalar(
        warehouse,
        "select min(due_date) from (select lead_id, due_date from marts.calls_due"
        " where due_date >= ? group by all having count(*) > 1)",
        [demo_warehouse.as_of],
    )
    assert day is not None
    week = queries.week_start(day)
    in_week = "due_date between ? and ? + 6"
    together = rows(
        warehouse,
        "select lead_id, due_date, string_agg(reason, '; ' order by reason_code, reason)"
        f" from marts.calls_due where {in_week} group by all having count(*) > 1",
        [week, week],
    )
    reasons, calls = rows(
        warehouse,
        "select count(*), count(distinct (lead_id, due_date)) from marts.calls_due"
        f" where {in_week}",
        [week, week],
    )[0]
    assert reasons == calls + len(together)
    at = app(monkeypatch, warehouse)
    at.switch_page("views/calls_due.py").run()
    at.segmented_control(key="calls_when").set_value("A week").run()
    at.date_input(key="calls_week").set_value(day).run()
    assert_clean(at)
    assert not at.checkbox(key="overdue").value
    assert number(metrics(at)["Calls due"]) == calls
    listed = pl.concat(
        [
            pl.from_pandas(frame.value).select("lead_id", "due_date", "reason")
            for frame in at.dataframe
            if "reason" in frame.value.columns
        ]
    )
    assert listed.height == calls
    for lead_id, due_date, reason in together:
        row = listed.filter(pl.col("lead_id") == lead_id, pl.col("due_date").dt.date() == due_date)
        assert row["reason"].to_list() == [reason]


def test_calls_due_include_overdue_follows_when_until_changed_by_hand(monkeypatch, warehouse):
    """Overdue calls are in Today's list, not in a day's or a week's by default: the
    checkbox kept Today's tick when "When" changed to A week. A tick changed by hand holds
    until "When" changes."""
    at = app(monkeypatch, warehouse)
    at.switch_page("views/calls_due.py").run()
    assert at.checkbox(key="overdue").value
    at.segmented_control(key="calls_when").set_value("A week").run()
    assert_clean(at)
    assert not at.checkbox(key="overdue").value
    assert "Of them overdue" not in metrics(at)
    at.checkbox(key="overdue").check().run()
    at.date_input(key="calls_week").set_value(at.date_input(key="calls_week").value).run()
    assert at.checkbox(key="overdue").value
    at.segmented_control(key="calls_when").set_value("Today").run()
    assert at.checkbox(key="overdue").value
    at.checkbox(key="overdue").uncheck().run()
    at.segmented_control(key="calls_when").set_value("A day").run()
    assert not at.checkbox(key="overdue").value
    at.segmented_control(key="calls_when").set_value("Today").run()
    assert_clean(at)
    assert at.checkbox(key="overdue").value
    # Another page, and back: Today's default again.
    at.checkbox(key="overdue").uncheck().run()
    at.switch_page("views/gone_quiet.py").run()
    at.switch_page("views/calls_due.py").run()
    assert_clean(at)
    assert at.checkbox(key="overdue").value


def test_calls_due_a_week_begun_before_today_counts_and_calendars_its_overdue_calls(
    monkeypatch, warehouse, demo_warehouse
):
    """Last week's calls not yet made are overdue: counted so, and on today's calendar."""
    listed_from = []
    real = exports.calls_to_ics

    def spy(calls, stamp=None, first=None):
        listed_from.append(first)
        return real(calls, stamp=stamp, first=first)

    monkeypatch.setattr(exports, "calls_to_ics", spy)
    at = app(monkeypatch, warehouse)
    at.switch_page("views/calls_due.py").run()
    at.segmented_control(key="calls_when").set_value("A week").run()
    at.date_input(key="calls_week").set_value(demo_warehouse.as_of - timedelta(days=5)).run()
    if not at.checkbox(key="overdue").value:
        at.checkbox(key="overdue").check().run()
    assert_clean(at)
    last_week = queries.week_start(demo_warehouse.as_of) - timedelta(weeks=1)
    in_week = scalar(
        warehouse,
        "select count(*) from marts.calls_due where is_overdue and due_date >= ?",
        [last_week],
    )
    overdue = scalar(warehouse, "select count(*) from marts.calls_due where is_overdue")
    assert in_week > 0
    assert number(metrics(at)["Of them overdue"]) == overdue
    assert listed_from[-1] == demo_warehouse.as_of


def test_calls_due_say_which_candidate_a_call_is_about(monkeypatch, warehouse, demo_warehouse):
    """An interview-day or feedback call names the candidate: a lead may have several."""
    at = app(monkeypatch, warehouse)
    at.switch_page("views/calls_due.py").run()
    at.segmented_control(key="calls_when").set_value("A week").run()
    assert_clean(at)
    week = queries.week_start(demo_warehouse.as_of)
    expected = set(
        rows(
            warehouse,
            "select lead_id, due_date, candidate from marts.calls_due"
            " where candidate is not null and (due_date between ? and ? + 6 or is_overdue)",
            [week, week],
        )
    )
    assert expected
    shown = set()
    for frame in at.dataframe:
        if "candidate" in frame.value.columns:
            listed = frame.value[frame.value["candidate"] != ""]
            shown |= {
                (row.lead_id, row.due_date.date(), row.candidate) for row in listed.itertuples()
            }
    assert shown == expected
    ics = exports.calls_to_ics(
        queries.calls_due(str(marts_path(warehouse)), week, week + timedelta(days=6), None, None)
    ).decode()
    assert "Candidate: " in ics.replace("\r\n ", "")


def test_history_last_quarter_is_one_click(monkeypatch, warehouse):
    at = app(monkeypatch, warehouse)
    at.switch_page("views/history.py").run()
    assert_clean(at)
    months = scalar(warehouse, "select count(distinct created_month) from marts.cohorts_monthly")
    assert len(at.dataframe[0].value) == months
    at.button(key="last_quarter").click().run()
    assert_clean(at)
    expected = rows(
        warehouse,
        "select sum(leads_created), sum(leads_filled), sum(leads_lost), sum(leads_open)"
        " from marts.cohorts_monthly where created_month between ? and ?",
        [date(2026, 7, 1), date(2026, 9, 1)],
    )[0]
    shown = metrics(at)
    assert [number(shown[label]) for label in ("Leads created", "Filled", "Lost", "Open")] == [
        int(value) for value in expected
    ]
    on = at.date_input(key="pipeline_on").value
    assert number(shown["Leads created by then"]) == scalar(
        warehouse, "select count(*) from marts.leads where created_date <= ?", [on]
    )


@pytest.mark.parametrize(
    ("period", "cohort", "months"),
    [("last_4_weeks", date(2026, 11, 1), 1), ("last_quarter", date(2026, 7, 1), 3)],
)
def test_history_cohort_starts_where_the_period_ends(
    monkeypatch, warehouse, period, cohort, months
):
    """The picked cohort is the month the sidebar's period ends in, or its quarter for a
    quarter (the quarter's last month alone read as the quarter), with its figures."""
    at = app(monkeypatch, warehouse, period=period)
    at.switch_page("views/history.py").run()
    assert_clean(at)
    assert at.radio(key="grain").value == ("quarter" if months == 3 else "month")
    assert at.selectbox(key="cohort").value == cohort
    created, lost = rows(
        warehouse,
        "select sum(leads_created), sum(leads_lost) from marts.cohorts_monthly"
        " where created_month between ? and ?",
        [cohort, date(cohort.year, cohort.month + months - 1, 1)],
    )[0]
    shown = metrics(at)
    assert (number(shown["Leads created"]), number(shown["Lost"])) == (created, lost)


def test_tables_read_as_a_recruiter_reads_them(monkeypatch, warehouse):
    """UK dates, pounds with thousands separators and plain headers, on every page's tables
    (the data underneath, and so the downloads, keep the marts' values and names)."""
    at = app(monkeypatch, warehouse)
    at.switch_page("views/history.py").run()
    assert_clean(at)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["cohort"]["type_config"]["format"] == "MMM YYYY"
    assert columns["fee_lost"]["type_config"]["format"] == "£%,.0f"
    assert columns["leads_created"] == {"label": "Leads created"}
    at.switch_page("views/consultants.py").run()
    assert_clean(at)
    durations = json.loads(at.dataframe[1].proto.columns)
    assert durations["label"]["label"] == "Milestone"
    at.switch_page("views/gone_quiet.py").run()
    assert_clean(at)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["last_touch_date"]["type_config"]["format"] == "DD/MM/YYYY"
    assert columns["lead_id"] == {"label": "Lead"}
    assert "days_quiet" in at.dataframe[0].value.columns


def test_history_pipeline_lists_a_stage_on_demand(monkeypatch, warehouse):
    at = app(monkeypatch, warehouse)
    at.switch_page("views/history.py").run()
    assert_clean(at)
    on = at.date_input(key="pipeline_on").value
    stage = at.selectbox(key="pipeline_stage")
    assert stage.value is None  # nothing listed (or read) until a stage is chosen
    expected = dict(
        rows(
            warehouse,
            # The pipeline computed the long way: each lead's furthest milestone by then.
            "select stage, count(*) from (select leads.lead_id,"
            " coalesce(max(lead_milestones.milestone_order), 0) as stage"
            " from marts.leads left join marts.lead_milestones"
            " on leads.lead_id = lead_milestones.lead_id and lead_milestones.reached_date <= ?"
            " where leads.created_date <= ? group by leads.lead_id) group by stage",
            [on, on],
        )
    )
    busiest = max(expected, key=expected.get)
    stage.select(busiest).run()
    assert_clean(at)
    captions = [caption.value for caption in at.caption]
    assert any(caption.startswith(f"{expected[busiest]:,} leads") for caption in captions)
    assert len(at.dataframe[-1].value) == min(expected[busiest], ui.LIST_ROWS)


def test_drill_down_shows_the_first_rows_and_the_count(monkeypatch, warehouse):
    monkeypatch.setattr(ui, "LIST_ROWS", 5)
    at = app(monkeypatch, warehouse)
    assert_clean(at)
    assert at.selectbox(key="this-week-choice").value is None
    at.selectbox(key="this-week-choice").select("Open now").run()
    assert_clean(at)
    open_now = scalar(warehouse, "select count(*) from marts.leads where status = 'open'")
    assert open_now > 5
    assert f"{open_now:,} leads; the first 5 shown, all of them in the downloads" in [
        caption.value for caption in at.caption
    ]
    listed = [frame.value for frame in at.dataframe if "lead_id" in frame.value.columns]
    assert [len(frame) for frame in listed] == [5]


def test_dashboard_queries_match_the_marts_computed_another_way(warehouse, demo_warehouse):
    """The queries that read the dashboard's own marts (lead_stage_history,
    stage_duration_medians, lead_search) against the same figures computed from
    marts.leads and marts.lead_milestones directly."""
    source = marts_path(warehouse)
    as_of = demo_warehouse.as_of
    long_way = """
        select stage, count(*) from (
            select leads.lead_id, coalesce(max(lead_milestones.milestone_order), 0) as stage
            from marts.leads as leads
            left join marts.lead_milestones as lead_milestones
                on leads.lead_id = lead_milestones.lead_id and lead_milestones.reached_date <= ?
            where leads.created_date <= ? and (? is null or leads.team = ?)
            group by leads.lead_id
        ) group by stage
    """
    team = queries.teams(source)[0]
    for days in (0, 1, 30, 90, 200, 5000):
        on = as_of - timedelta(days=days)
        for scope_team in (None, team):
            pipeline = queries.pipeline_on(source, on, scope_team, None)
            shown = {
                order: leads
                for order, leads in zip(pipeline["milestone_order"], pipeline["leads"], strict=True)
                if leads
            }
            assert shown == dict(rows(warehouse, long_way, [on, on, scope_team, scope_team]))
            for stage, leads in shown.items():
                listed = queries.pipeline_leads(source, on, stage, scope_team, None)
                assert listed.height == leads
                first = queries.pipeline_leads(source, on, stage, scope_team, None, limit=3)
                assert first.equals(listed.head(3))

    scope = queries.Scope(date(2026, 1, 1), as_of)
    league = queries.league_table(source, scope)
    medians = dict(
        rows(
            warehouse,
            "select consultant, median(days_since_previous) from marts.lead_milestones"
            " where is_duration_measured group by consultant",
        )
    )
    team_medians = dict(
        rows(
            warehouse,
            "select leads.team, median(lead_milestones.days_since_previous)"
            " from marts.lead_milestones join marts.leads using (lead_id)"
            " where lead_milestones.is_duration_measured group by leads.team",
        )
    )
    for row in league.iter_rows(named=True):
        assert row["median_days_per_stage"] == medians.get(row["consultant"])
        assert row["team_median_days_per_stage"] == team_medians.get(row["team"])

    for consultant in queries.consultants(source):
        durations = queries.stage_durations_against_team(source, consultant)
        own = {
            milestone: (leads, median)
            for milestone, leads, median in rows(
                warehouse,
                "select milestone, count(*), round(median(days_since_previous), 1)"
                " from marts.lead_milestones where is_duration_measured and consultant = ?"
                " group by milestone",
                [consultant],
            )
        }
        for row in durations.iter_rows(named=True):
            assert (row["leads"], row["median_days"]) == own.get(row["milestone"], (0, None))

    for text in ("L000", "l0001", "ltd", "A", "100%_", queries.teams(source)[0][:3]):
        found = queries.find_leads(source, text)
        expected = [
            lead_id
            for (lead_id,) in rows(
                warehouse,
                "select lead_id from marts.leads where contains(lower(lead_id), lower(?))"
                " or contains(lower(client), lower(?)) or contains(lower(contact), lower(?))"
                " order by lower(lead_id) = lower(?) desc, lead_id = ? desc, created_date desc,"
                " lead_id limit 50",
                [text, text, text, text, text],
            )
        ]
        assert found["lead_id"].to_list() == expected, text

    # A decision point's numbers in a period, as its drill-down lists them.
    for gate_scope in (scope, queries.Scope(scope.start, as_of, team)):
        for gate in queries.decision_gates(source, gate_scope).iter_rows(named=True):
            for number in queries.DECISION_NUMBERS:
                at_gate = queries.LeadCriteria.at_decision(
                    gate_scope, gate["milestone_order"], number
                )
                assert queries.lead_count(source, at_gate) == gate[number], (gate, number)
                assert queries.lead_list(source, at_gate).height == gate[number]

    criteria = queries.LeadCriteria.created_in(scope, reached_milestone="cvs_received")
    everything = queries.lead_list(source, criteria)
    assert queries.lead_count(source, criteria) == everything.height > 3
    assert queries.lead_list(source, criteria, limit=3).equals(everything.head(3))
    # The leads that reached each milestone (the list reads leads' furthest milestone) are
    # those lead_milestones holds it for.
    for milestone in queries.catalogue(source)["milestone"]:
        for reached_scope in (scope, queries.Scope(scope.start, as_of, team)):
            listed = queries.lead_list(
                source, queries.LeadCriteria.created_in(reached_scope, reached_milestone=milestone)
            )
            expected = rows(
                warehouse,
                "select leads.lead_id from marts.leads as leads"
                " inner join marts.lead_milestones as reached using (lead_id)"
                " where reached.milestone = ? and leads.created_date between ? and ?"
                " and (? is null or leads.team = ?)",
                [milestone, reached_scope.start, reached_scope.end, *[reached_scope.team] * 2],
            )
            assert sorted(listed["lead_id"]) == sorted(lead for (lead,) in expected), milestone


# The History page's pipeline on a past day, against a tracker exported week after week ---


def _weekly_exports() -> list[tuple[int, str, list[dict], list[dict]]]:
    """A team's tracker exported and loaded every Monday from 03/08/2026 to 16/11/2026, as
    (load id, loaded at, lead rows, milestone rows), its leads' statuses moving between
    exports: some already lost or declined in the first (a team's first import of its
    history), some lost, reopened and lost again, some with a Date closed of the export's own
    (some of those before the lead's creation or after the export: not used), some left out
    of an export. A lead's milestones are in every export from the first dated on or after
    them."""
    import random

    rng = random.Random(20261123)
    with duckdb.connect() as con:
        milestones = dict(
            con.sql(
                "select milestone_order, milestone from read_csv(?)",
                params=[str(DEFAULT_CATALOGUE)],
            ).fetchall()
        )
    leads = []
    for number in range(60):
        created = date(2026, 6, 1) + timedelta(days=rng.randrange(160))
        reached, day = [], created
        # Orders 1-11: none needs confirming (a start does), so each counts on its date.
        for order in sorted(rng.sample(range(1, 12), rng.randrange(5))):
            day += timedelta(days=rng.randrange(1, 15))
            reached.append((milestones[order], day))
        leads.append((f"H{number:02}", created, reached))
    exports, status, closed_on = [], {}, {}
    for week in range(16):
        monday = date(2026, 8, 3) + timedelta(weeks=week)
        rows, events = [], []
        for lead_id, created, reached in leads:
            if created > monday or (week and rng.random() < 0.1):
                continue  # not created yet, or left out of this export
            before = status.get(lead_id)
            if before in (None, "open"):
                closing = rng.random() < (0.45 if before is None else 0.12)
                now = rng.choice(["lost", "declined"]) if closing else "open"
            else:
                now = "open" if rng.random() < 0.15 else before
            if now == "open":
                closed_on.pop(lead_id, None)
            elif before in (None, "open") and rng.random() < 0.5:
                # Written when it closes, and kept while it stays closed.
                closed_on[lead_id] = monday - timedelta(days=rng.randrange(-3, 20))
            status[lead_id] = now
            rows.append(
                {
                    "lead_id": lead_id,
                    "created_date": created,
                    "consultant": "Alice Hart" if lead_id < "H30" else "Bob Lane",
                    "status": now,
                    "closed_date": closed_on.get(lead_id),
                }
            )
            events += [
                {"lead_id": lead_id, "milestone": code, "event_date": day, "is_date_unknown": False}
                for code, day in reached
                if day <= monday
            ]
        exports.append((week + 3, f"{monday} 08:00:00", rows, events))
    return exports


def _load_exports(warehouse: Path, exports: list[tuple[int, str, list[dict], list[dict]]]) -> None:
    """Write `_weekly_exports` to raw as ingest does: rows with their lineage, a raw.loads row
    per export."""
    from tests.test_dbt_models import insert_rows

    with duckdb.connect(str(warehouse)) as con:
        for load_id, loaded_at, rows, events in exports:
            con.execute(
                "insert into raw.loads (load_id, file_name, file_sha256, kind, rows_read,"
                " rows_loaded, rows_rejected, rows_skipped, started_at, finished_at, status)"
                " values (?, 'tracker.csv', ?, 'tracker', 0, 0, 0, 0, ?, ?, 'loaded')",
                [load_id, str(load_id), loaded_at, loaded_at],
            )
            insert_rows(con, "leads", rows, load_id=load_id, loaded_at=loaded_at)
            insert_rows(con, "milestone_events", events, load_id=load_id, loaded_at=loaded_at)


@pytest.fixture(scope="module")
def weekly_warehouse(tmp_path_factory) -> Path:
    """`_weekly_exports` loaded and built as of 23/11/2026: after its first 8 exports, then
    (incrementally) after the other 8."""
    from ingest.schema import create_raw_schema
    from tests.test_dbt_models import CONSULTANTS, insert_rows, load_catalogue, run_models

    root = tmp_path_factory.mktemp("weekly")
    warehouse = root / "leadtrack.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_schema(con)
        load_catalogue(con)
        insert_rows(con, "consultants", CONSULTANTS, load_id=2)
    exports = _weekly_exports()
    for part in (exports[:8], exports[8:]):
        _load_exports(warehouse, part)
        run_models(warehouse, root / "target")
    return warehouse


def _pipeline_from_raw(warehouse: Path, on: date, team: str | None) -> dict[int, dict[str, int]]:
    """The pipeline on `on` worked out from raw in polars: per stage (the furthest milestone
    dated by then; 0: none), the leads live then, lost and declined by then, and the live
    ones closed by the day they were first loaded. A lead's versions are ordered by load and
    dated by raw.loads.started_at; it died on the Date closed of its latest version when that
    falls between its creation and the first load of its latest run of lost or declined
    versions, else on that load's day."""
    # Not read-only: dbt, run in this process, may keep its connection to the file open, and
    # DuckDB refuses a second one configured otherwise.
    with duckdb.connect(str(warehouse)) as con:
        versions = con.sql(
            "select leads.lead_id, leads.created_date, leads.consultant, leads.status,"
            " leads.closed_date, loads.started_at"
            " from raw.leads as leads join raw.loads as loads on leads._load_id = loads.load_id"
            " order by leads._load_id, leads._source_row"
        ).pl()
        events = con.sql(
            "select events.lead_id, catalogue.milestone_order, events.event_date"
            " from raw.milestone_events as events"
            " join raw.milestone_catalogue as catalogue using (milestone)"
        ).pl()
    stages = dict(
        events.filter(pl.col("event_date") <= on)
        .group_by("lead_id")
        .agg(pl.col("milestone_order").max())
        .iter_rows()
    )
    teams = {"Alice Hart": "North", "Bob Lane": "South"}
    pipeline: dict[int, dict[str, int]] = {}
    for (lead_id,), lead in versions.group_by("lead_id", maintain_order=True):
        latest = lead.row(-1, named=True)
        if latest["created_date"] > on or team not in (None, teams[latest["consultant"]]):
            continue
        closed = [status in ("lost", "declined") for status in lead["status"]]
        bucket, first_load = "live", False
        if closed[-1]:
            run_start = len(closed) - 1
            while run_start > 0 and closed[run_start - 1]:
                run_start -= 1
            loaded_on = lead["started_at"][run_start].date()
            recorded = latest["closed_date"]
            usable = recorded is not None and latest["created_date"] <= recorded <= loaded_on
            if (recorded if usable else loaded_on) <= on:
                bucket = latest["status"]
            first_load = loaded_on == lead["started_at"][0].date() and not usable
        counts = pipeline.setdefault(
            stages.get(lead_id, 0),
            {"live": 0, "lost": 0, "declined": 0, "closed_when_first_loaded": 0},
        )
        counts[bucket] += 1
        counts["closed_when_first_loaded"] += bucket == "live" and first_load
    return pipeline


@pytest.mark.parametrize("team", [None, "South"])
def test_the_pipeline_on_a_past_day_counts_the_leads_dead_by_then_apart(weekly_warehouse, team):
    """On each day, the History page's pipeline (pipeline_on, pipeline_leads) holds the leads
    created by then at their stage then: live, or lost or declined by then, as worked out
    from raw and its loads another way (`_pipeline_from_raw`); a lead lost before the day no
    longer counts as live."""
    source = marts_path(weekly_warehouse)
    dead_before_the_end = 0
    for on in (
        date(2026, 7, 1),
        date(2026, 8, 2),
        date(2026, 8, 3),
        date(2026, 9, 16),
        date(2026, 10, 12),
        date(2026, 11, 23),
    ):
        expected = _pipeline_from_raw(weekly_warehouse, on, team)
        pipeline = queries.pipeline_on(source, on, team, None)
        shown = {
            row["milestone_order"]: {
                name: row[name] for name in ("live", "lost", "declined", "closed_when_first_loaded")
            }
            for row in pipeline.iter_rows(named=True)
            if row["leads"]
        }
        assert shown == expected, on
        assert (pipeline["live"] + pipeline["lost"] + pipeline["declined"]).to_list() == pipeline[
            "leads"
        ].to_list()
        for stage, counts in shown.items():
            listed = queries.pipeline_leads(source, on, stage, team, None)
            assert listed["on_the_day"].value_counts().sort("on_the_day").rows() == sorted(
                (bucket, counts[bucket])
                for bucket in ("live", "lost", "declined")
                if counts[bucket]
            )
        dead_before_the_end += sum(counts["lost"] + counts["declined"] for counts in shown.values())
    # The agency has every kind of lead the rule tells apart.
    closed = dict(
        rows(
            weekly_warehouse,
            "select closed_date_source, count(*) from marts.leads group by all",
        )
    )
    assert all(closed.get(source, 0) > 2 for source in ("recorded", "load_date", "first_load"))
    assert dead_before_the_end


def test_history_shows_the_leads_dead_by_then_apart(monkeypatch, weekly_warehouse):
    """The page's figures: leads created by then, live then, lost and declined by then (the
    three add up to the first), and how many of the live were closed when first loaded: on
    the eve of the first export, those it held closed but with no Date closed."""
    on = date(2026, 8, 2)
    expected = _pipeline_from_raw(weekly_warehouse, on, None)
    totals = {
        name: sum(counts[name] for counts in expected.values())
        for name in ("live", "lost", "declined", "closed_when_first_loaded")
    }
    at = app(monkeypatch, weekly_warehouse)
    at.switch_page("views/history.py").run()
    at.date_input(key="pipeline_on").set_value(on).run()
    assert_clean(at)
    shown = {label: number(value) for label, value in metrics(at).items()}
    assert shown["Leads created by then"] == totals["live"] + totals["lost"] + totals["declined"]
    assert (shown["Live then"], shown["Lost by then"], shown["Declined by then"]) == (
        totals["live"],
        totals["lost"],
        totals["declined"],
    )
    assert totals["lost"] + totals["declined"] and totals["closed_when_first_loaded"]
    assert (
        f"Of the {totals['live']:,} live then, {totals['closed_when_first_loaded']:,} were"
        " already lost or declined on the day they were first loaded"
    ) in " ".join(caption.value for caption in at.caption)


def test_the_demo_s_history_dates_its_closed_leads(warehouse, demo_warehouse):
    """The demo's tracker gives every lost or declined lead its Date closed, so its History
    counts them dead from that day: before, all were closed when first loaded (the demo is
    one load) and so live on every past day."""
    sources = dict(
        rows(
            warehouse,
            "select closed_date_source, count(*) from marts.leads"
            " where status in ('lost', 'declined') group by all",
        )
    )
    assert set(sources) == {"recorded"}
    on = demo_warehouse.as_of - timedelta(days=90)
    pipeline = queries.pipeline_on(str(marts_path(warehouse)), on, None, None)
    assert pipeline["closed_when_first_loaded"].sum() == 0
    assert pipeline["lost"].sum() > 0 and pipeline["declined"].sum() > 0


@pytest.fixture(scope="module")
def replayed_demo(demo_warehouse, tmp_path_factory) -> Path:
    """The demo warehouse rebuilt as of 8 weeks before its as-of date (`leadtrack build
    --as-of` replaying a past day: the exports were loaded later); its published marts."""
    from dataclasses import replace

    from tests.conftest import copy_warehouse

    root = tmp_path_factory.mktemp("replay")
    copy = copy_warehouse(demo_warehouse.settings.warehouse, root)
    as_of = demo_warehouse.as_of - timedelta(weeks=8)
    settings = replace(demo_warehouse.settings, warehouse=copy)
    build, _ = build_and_publish(settings, ["build"], as_of=as_of, target_path=root / "target")
    assert build.ok, [(node.name, node.message) for node in build.failures] or build.error
    return marts_path(copy)


def test_a_past_day_replayed_counts_a_lead_closed_after_it_as_live(demo_warehouse, replayed_demo):
    """Computed another way, from the demo's tracker file: on the day replayed, the leads
    lost or declined are those whose export's Date closed is on or before it; a lead the
    tracker dates closed later was live then. The build counted every lead lost or declined
    in the latest export as closed (on the as-of date), so on a replay of 28/09/2026 the
    History page's live pipeline, the Funnel's where-now and drop-off, the cohorts' open
    leads and the gone-quiet list all missed the leads that closed in the weeks after."""
    source = str(replayed_demo)
    on = queries.as_of_date(source)
    tracker = pl.read_excel(
        demo_warehouse.files.tracker, engine="calamine", infer_schema_length=0
    ).filter(pl.col("Ref").is_not_null() & pl.col("Consultant").is_not_null())
    day = lambda column: pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)  # noqa: E731
    leads = (
        tracker.unique("Ref", keep="first", maintain_order=True)
        .with_columns(
            created=day("Date generated"),
            closed=day("Date closed"),
            status=pl.col("Status").str.to_lowercase(),
        )
        .filter(pl.col("created") <= on)
    )
    closed_by_then = leads.filter(
        pl.col("status").is_in(["lost", "declined"]) & (pl.col("closed") <= on)
    )
    closed_later = leads.filter(
        pl.col("status").is_in(["lost", "declined"]) & (pl.col("closed") > on)
    )
    assert closed_later.height > 5  # the replay has leads that closed after the day
    with duckdb.connect(source, read_only=True) as con:
        marts = dict(con.execute("select lead_id, status from marts.leads").fetchall())
    assert len(marts) == leads.height
    assert sorted(lead for lead, status in marts.items() if status in ("lost", "declined")) == (
        sorted(closed_by_then["Ref"])
    )
    for lead, status in closed_by_then.select("Ref", "status").iter_rows():
        assert marts[lead] == status
    # A lead the tracker says is filled or completed was so on the day only once its start
    # (its probation's end) was by then: one ahead was a promise.
    placed = leads.filter(pl.col("status").is_in(["filled", "completed"])).select(
        "Ref", "status", day("Start date"), day("Probation completed")
    )
    for lead, status, start, end in placed.iter_rows():
        if (end is not None and end <= on) or (status == "completed" and end is None):
            assert marts[lead] == "completed", lead
        else:
            assert marts[lead] == ("filled" if start is None or start <= on else "open"), lead
    assert placed.filter(pl.col("Start date") > on).height > 3
    # The History page's pipeline on the day replayed, and the day before.
    for day_of in (on, on - timedelta(days=1)):
        dead = leads.filter(
            pl.col("status").is_in(["lost", "declined"]) & (pl.col("closed") <= day_of)
        )
        pipeline = queries.pipeline_on(source, day_of, None, None)
        counts = {column: int(pipeline[column].sum()) for column in ("live", "lost", "declined")}
        assert counts == {
            "live": leads.filter(pl.col("created") <= day_of).height - dead.height,
            "lost": dead.filter(pl.col("status") == "lost").height,
            "declined": dead.filter(pl.col("status") == "declined").height,
        }, day_of
    # The Funnel's where-now and the cohorts' outcomes, for the whole of the leads.
    everything = queries.Scope(date(2000, 1, 1), on)
    now = queries.where_now(source, everything).group_by("status").agg(pl.col("leads").sum())
    assert {
        status: leads for status, leads in now.iter_rows() if status in ("lost", "declined")
    } == dict(closed_by_then.group_by("status").len().iter_rows())
    cohorts = queries.cohort_outcomes(source, "month", None, None)
    assert int(cohorts["lost"].sum()) + int(cohorts["declined"].sum()) == closed_by_then.height


def test_lead_page_says_when_a_closed_lead_closed(monkeypatch, warehouse):
    lead_id, closed = rows(
        warehouse,
        "select lead_id, closed_date from marts.leads where status = 'lost' order by lead_id"
        " limit 1",
    )[0]
    at = app(monkeypatch, warehouse, lead=lead_id)
    at.switch_page("views/lead.py").run()
    assert_clean(at)
    assert f"**Lost on** {closed:%d %b %Y} (the export's Date closed)" in [
        markdown.value for markdown in at.markdown
    ]


def test_lead_page_finds_a_lead(monkeypatch, warehouse):
    # The lead with the most calls, so the call log has rows to compare.
    lead_id, status, client = rows(
        warehouse,
        "select lead_id, status, client from marts.leads order by calls_made desc, lead_id limit 1",
    )[0]
    at = app(monkeypatch, warehouse)
    at.switch_page("views/lead.py").run()
    at.text_input(key="lead_search").input(lead_id).run()
    assert_clean(at)
    assert metrics(at)["Status"] == status
    timeline = at.dataframe[0].value
    reached = scalar(
        warehouse, "select count(*) from marts.lead_milestones where lead_id = ?", [lead_id]
    )
    # A milestone not reached reads a dash, not Streamlit's "None".
    assert timeline["reached_date"].notna().all()
    assert (timeline["reached_date"] != "–").sum() == reached
    assert (timeline["days_since_previous"] == "–").sum() >= len(timeline) - reached
    sources = set(timeline["reached_date_source"].dropna())
    assert sources and sources <= set(ui.DATE_SOURCES.values())
    calls = at.dataframe[1].value
    logged = rows(
        warehouse,
        "select count(*), count(*) filter (is_connected) from marts.calls where lead_id = ?",
        [lead_id],
    )[0]
    assert (len(calls), int(calls["is_connected"].sum())) == logged
    assert logged[0] > 0
    # A call without notes shows an empty cell, not Streamlit's "None".
    without_notes = scalar(
        warehouse, "select count(*) - count(notes) from marts.calls where lead_id = ?", [lead_id]
    )
    assert without_notes > 0
    assert (calls["notes"] == "").sum() == without_notes
    assert calls["notes"].notna().all()
    at.text_input(key="lead_search").input(client[:6]).run()
    assert_clean(at)
    matches = scalar(
        warehouse,
        "select count(*) from marts.lead_search where contains(lead_id_lower, lower(?))"
        " or contains(client_lower, lower(?)) or contains(contact_lower, lower(?))",
        [client[:6]] * 3,
    )
    assert 0 < matches <= 50
    assert f"{matches} match{'es' if matches != 1 else ''}" in [c.value for c in at.caption]
    # Every lead id starts so: more than are listed, and the page says so.
    at.text_input(key="lead_search").input(lead_id[:2]).run()
    assert_clean(at)
    assert len(at.selectbox(key="lead_choice").options) == 50
    assert any(c.value.startswith("More than 50 leads match") for c in at.caption)


def built_from_tracker(settings, tmp_path: Path, tracker: str) -> Path:
    """A warehouse of its own holding one tracker export (its text), loaded without a
    rejected row and built as of 23/11/2026; its path."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "leads.csv").write_text(tracker)
    con = connect(settings.warehouse)
    try:
        (result,) = load_files(con, [exports / "leads.csv"], settings.catalogue)
    finally:
        con.close()
    assert (result.rows_loaded, result.rows_rejected) == (len(tracker.splitlines()) - 1, 0)
    build, _ = build_and_publish(
        settings, ["run"], as_of=date(2026, 11, 23), target_path=tmp_path / "target"
    )
    assert build.ok, build.failures
    return settings.warehouse


def test_lead_search_puts_the_lead_whose_id_is_typed_first_in_any_case(settings, tmp_path):
    """Typing l1 where ids run L1, L10, L100...: L1 is listed first, as written. The id
    matched first only in its own case, so l1 listed the 50 newest of the 71 leads holding
    it, and L1, the oldest, was not among them. A lead whose id is typed in its own case
    comes before one that differs only in case (l10 beside L10)."""
    others = [f"L1{n}" for n in range(10)] + [f"L1{n:02d}" for n in range(60)] + ["l10"]
    marts = marts_path(
        built_from_tracker(
            settings,
            tmp_path,
            "Ref,Date,Consultant,Client\nL1,05/01/2026,Alice Hart,Acme\n"
            + "".join(f"{lead_id},01/06/2026,Alice Hart,Acme\n" for lead_id in others),
        )
    )
    for text in ("l1", "L1", " l1 "):
        found = queries.find_leads(marts, text)
        assert found.height == 50, text
        assert found["lead_id"][0] == "L1", text
    assert queries.find_leads(marts, "L10")["lead_id"].head(2).to_list() == ["L10", "l10"]
    assert queries.find_leads(marts, "l10")["lead_id"].head(2).to_list() == ["l10", "L10"]


def test_lead_page_says_a_lost_lead_s_scheduled_start_will_not_happen(
    monkeypatch, settings, tmp_path
):
    """A lost lead whose tracker still holds its start date ahead (the candidate withdrew):
    the page read "Scheduled: Start date on 21 Dec 2026", as for a live lead, under "Lost
    on". It says the date was set before the lead was lost; an open lead's reads as before."""
    warehouse = built_from_tracker(
        settings,
        tmp_path,
        "Ref,Date,Consultant,Client,Status,Lost reason,Date closed,Start date\n"
        "S1,01/09/2026,Alice Hart,Acme,Lost,Candidate withdrew,20/11/2026,21/12/2026\n"
        "S2,01/09/2026,Alice Hart,Acme,Open,,,21/12/2026\n",
    )
    written = {}
    for lead_id in ("S1", "S2"):
        at = app(monkeypatch, warehouse, lead=lead_id)
        at.switch_page("views/lead.py").run()
        assert_clean(at)
        written[lead_id] = [markdown.value for markdown in at.markdown]
    assert "Scheduled before the lead was lost: Start date on 21 Dec 2026" in written["S1"]
    assert not any(text.startswith("Scheduled:") for text in written["S1"])
    assert "Scheduled: Start date on 21 Dec 2026" in written["S2"]


def test_lead_page_shows_days_quiet_for_open_leads_only(monkeypatch, warehouse):
    """Going quiet is for open leads: a declined or completed lead's days since its last
    touch (91, 332) read as a lead left too long."""
    at = app(monkeypatch, warehouse)
    at.switch_page("views/lead.py").run()
    for status in ("open", "declined", "completed"):
        lead_id, days_quiet = rows(
            warehouse,
            "select lead_id, days_quiet from marts.leads where status = ?"
            " order by days_quiet desc, lead_id limit 1",
            [status],
        )[0]
        at.text_input(key="lead_search").input(lead_id).run()
        assert_clean(at)
        assert metrics(at)["Status"] == status
        shown = metrics(at)["Days quiet"]
        assert shown == (str(days_quiet) if status == "open" else "–"), status


def test_a_warehouse_without_calls_or_consultants_says_so(
    monkeypatch, warehouse, demo_warehouse, settings
):
    """With only a tracker loaded, calls show 0 and no consultant has a team: the sidebar
    says what is missing and how to load it; the demo, which has both, says nothing."""
    at = app(monkeypatch, warehouse)
    assert_clean(at)
    assert not at.sidebar.warning
    con = connect(settings.warehouse)
    load_files(con, [demo_warehouse.files.tracker], settings.catalogue)
    con.close()
    build, _ = build_and_publish(
        settings,
        ["build"],
        as_of=demo_warehouse.as_of,
        target_path=settings.warehouse.parent / "target",
    )
    assert build.ok, build.failures
    at = app(monkeypatch, settings.warehouse)
    assert_clean(at)
    warnings = [warning.value for warning in at.sidebar.warning]
    assert len(warnings) == 2
    assert warnings[0].startswith("No call log is loaded")
    assert warnings[1].startswith("No consultants list is loaded")


def test_empty_warehouse_shows_the_start_page(monkeypatch, tmp_path):
    at = app(monkeypatch, tmp_path / "nothing.duckdb")
    assert_clean(at)
    assert any("leadtrack demo" in code.value for code in at.code)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    at = app(monkeypatch, empty)
    assert_clean(at)
    assert any("leadtrack demo" in code.value for code in at.code)


def older_build(warehouse: Path, tmp_path: Path, *statements: str) -> Path:
    """A warehouse whose published marts stand for an older leadtrack's build: a copy of
    `warehouse`'s marts with `statements` run on it (a mart or a column dropped)."""
    old = tmp_path / "older" / "leadtrack.duckdb"
    old.parent.mkdir()
    shutil.copy(marts_path(warehouse), marts_path(old))
    with duckdb.connect(str(marts_path(old))) as con:
        for statement in statements:
            con.execute(statement)
    return old


def test_a_missing_mart_is_a_catalogue_error_not_a_python_object(warehouse, tmp_path):
    """DuckDB's Python client reads a missing table as the Python variable of that name in
    the calling code: without `marts.consultants`, `queries.teams` met the function
    `queries.consultants` ("not suitable for replacement scans"). Readers turn that off."""
    old = marts_path(older_build(warehouse, tmp_path, "drop table marts.consultants"))
    with pytest.raises(queries.WarehouseUnavailable) as raised:
        queries.teams(old)
    assert "consultants does not exist" in str(raised.value)
    assert "replacement" not in str(raised.value)
    with (
        queries.read_only(old) as con,
        queries.cursor(con) as cursor,
        pytest.raises(queries.WarehouseUnavailable) as raised,
    ):
        queries.teams(cursor)
    assert "replacement" not in str(raised.value)
    # A process that has the file open read-write already (a notebook that built it) shares
    # that database, and the dashboard reads through cursors of the connection.
    with duckdb.connect(str(old)), queries.read_only(old) as shared:
        for source in (old, shared, queries.cursor(shared)):
            with pytest.raises(queries.WarehouseUnavailable) as raised:
                queries.teams(source)
            assert "replacement" not in str(raised.value)


@pytest.mark.parametrize(
    "change",
    ["drop table marts.consultants", "alter table marts.leads drop column next_due_date"],
)
def test_marts_of_an_older_build_say_to_build_again(monkeypatch, warehouse, tmp_path, change):
    """A warehouse built by an older leadtrack, before a mart or a column was added: every
    page, and the reports, say so in one line and what to run, never a traceback."""
    old = older_build(warehouse, tmp_path, change)
    missing = "marts.consultants" if "consultants" in change else "marts.leads.next_due_date"
    message = (
        f"The published marts come from a build by an older leadtrack (they have no {missing}):"
        " run leadtrack build to build them anew (on a shared PostgreSQL warehouse, whoever"
        " builds it)."
    )
    at = app(monkeypatch, old)
    assert_clean(at)
    assert [warning.value for warning in at.warning] == [message]
    assert [code.value for code in at.code] == ["leadtrack build"]
    assert not at.metric and not at.sidebar.selectbox
    # A page open when such a file is published (a copy of the team's marts, built by a
    # teammate's older leadtrack) says the same at its next run.
    current = tmp_path / "current" / "leadtrack.duckdb"
    current.parent.mkdir()
    for page in ("views/this_week.py", "views/consultants.py"):
        shutil.copy(marts_path(warehouse), marts_path(current))
        at = app(monkeypatch, current)
        at.switch_page(page).run()
        assert_clean(at)
        assert at.metric
        # Published as a build is: a new file renamed over the one the page reads.
        shutil.copy(marts_path(old), current.parent / "publishing.tmp")
        os.replace(current.parent / "publishing.tmp", marts_path(current))
        at.run()
        assert_clean(at)
        assert [warning.value for warning in at.warning] == [message]
        assert not at.metric
    with pytest.raises(queries.MartsOutdated, match=re.escape(message)):
        queries.marts_ready(marts_path(old))


def test_the_documented_marts_are_what_a_build_publishes(warehouse):
    """`queries.missing_from_build` reads what a build publishes from the models' YAML: every
    mart and column documented there is built, and none is built undocumented."""
    assert queries.missing_from_build(marts_path(warehouse)) == []
    built = {
        f"{schema}.{table}.{column}"
        for schema, table, column in rows(
            warehouse,
            "select table_schema, table_name, column_name from information_schema.columns",
        )
    }
    documented = {
        f"{relation}.{column}"
        for relation, columns in queries.built_relations().items()
        for column in columns
    }
    assert built == documented


def test_a_build_in_progress_shows_a_message(monkeypatch, warehouse, tmp_path):
    # The dashboard reads the published marts; a process holding them for writing (as a
    # publish in another process would for a moment) must become a message.
    copy = tmp_path / "busy.duckdb"
    shutil.copy(marts_path(warehouse), marts_path(copy))
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]);"
            " print('locked', flush=True); time.sleep(60)",
            str(marts_path(copy)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        monkeypatch.setattr(queries, "LOCK_ATTEMPTS", 2)
        started = time.monotonic()
        with pytest.raises(queries.WarehouseBusy):
            queries.stale_leads(marts_path(copy), None, None)
        assert time.monotonic() - started < 5
        at = app(monkeypatch, copy)
        assert not at.exception
        assert any("being rebuilt" in warning.value for warning in at.warning)
    finally:
        writer.kill()
        writer.wait()


def test_the_funnel_chart_gives_each_stage_its_share_of_the_leads_created():
    """As the funnel's table does (the chart once gave shares of its first bar instead)."""
    frame = pl.DataFrame(
        {
            "label": ["CVs received", "Interviews booked", "Start date"],
            "leads_reached": [49, 24, 0],
            "cumulative_conversion": [0.434, 0.212, 0.0],
        }
    )
    assert list(charts.funnel(frame, "Cohort funnel").data[0].text) == [
        "49 (43% of created)",
        "24 (21% of created)",
        "0 (0% of created)",
    ]


def test_charts_say_what_their_bars_count():
    stages = pl.DataFrame({"label": ["CVs received"], "milestones_reached": [15]})
    bars = charts.bars(stages, "label", "milestones_reached", "Milestones reached")
    assert bars.layout.yaxis.title.text == "milestones reached"
    cohorts = pl.DataFrame({"cohort": [date(2026, 10, 1)], "open": [3], "lost": [2]})
    by_quarter = charts.cohort_outcomes(cohorts, "Cohorts", quarters=True)
    assert by_quarter.layout.yaxis.title.text == "leads"
    assert list(by_quarter.data[0].x) == ["Q4 2026"]
    assert list(charts.cohort_outcomes(cohorts, "Cohorts").data[0].x) == ["Oct 2026"]


def test_weekly_trend_ticks_fall_on_the_mondays_that_name_the_weeks():
    """Plotly's own weekly ticks fall on Sundays, a day before each week's point."""
    mondays = [date(2026, 9, 7) + timedelta(weeks=week) for week in range(12)]
    frame = pl.DataFrame({"week": mondays, "calls_made": range(12)})
    axis = charts.weekly_trend(frame, ["calls_made"], "Weekly", date(2026, 12, 6)).layout.xaxis
    assert date.fromisoformat(axis.tick0).weekday() == 0
    assert axis.dtick == 2 * charts.WEEK_MS  # twelve weeks: a tick every other Monday
    assert axis.title.text == "week starting"
    five = charts.weekly_trend(frame.head(5), ["calls_made"], "Weekly", date(2026, 12, 6))
    assert five.layout.xaxis.dtick == (charts.WEEK_MS)


def test_weekly_trend_gives_a_week_without_activity_as_zeros(warehouse):
    """A week in which a consultant did nothing has no row in consultant_weekly; the trend
    gave no point for it either, so its line ran straight across the gap."""
    source = marts_path(warehouse)
    gaps = rows(
        warehouse,
        "with mondays as (select cast(unnest(generate_series(date '2025-01-06', date"
        " '2026-11-16', interval 7 day)) as date) as week), names as (select distinct"
        " consultant from marts.consultant_weekly) select names.consultant, mondays.week"
        " from names cross join mondays anti join marts.consultant_weekly as weekly"
        " on weekly.consultant = names.consultant and weekly.week = mondays.week"
        " order by 1, 2",
    )
    assert gaps, "the demo should have a consultant week without activity"
    consultant, gap = gaps[0]
    first, last = gap - timedelta(weeks=2), gap + timedelta(weeks=2, days=3)
    trend = queries.weekly_trend(source, consultant, first, last)
    assert trend["week"].to_list() == [first + timedelta(weeks=week) for week in range(5)]
    weekly = dict(
        rows(
            warehouse,
            "select week, calls_made from marts.consultant_weekly where consultant = ?",
            [consultant],
        )
    )
    calls = dict(zip(trend["week"], trend["calls_made"], strict=True))
    assert calls == {week: weekly.get(week, 0) for week in calls}
    assert calls[gap] == 0


def test_weekly_trend_shows_the_week_under_way_as_so_far():
    """The as-of week counts the days up to the as-of date only: drawn like a whole week, a
    Monday's two calls looked like a collapse from the 24 of the week before."""
    mondays = [date(2026, 11, 2) + timedelta(weeks=week) for week in range(4)]
    frame = pl.DataFrame({"week": mondays, "calls_made": [20, 22, 24, 2]})
    figure = charts.weekly_trend(frame, ["calls_made"], "Weekly", date(2026, 11, 23))
    whole, so_far = figure.data
    assert list(whole.x) == mondays[:3] and list(whole.y) == [20, 22, 24]
    assert list(so_far.x) == mondays[2:] and list(so_far.y) == [24, 2]
    assert so_far.line.dash == "dot" and so_far.line.color == whole.line.color
    assert list(so_far.marker.symbol) == ["circle", "circle-open"]
    assert not so_far.showlegend
    assert "week of 23/11 so far, to Mon 23/11" in figure.layout.title.text
    # A week that ended (on its Sunday, or before the as-of week) is drawn whole.
    for as_of in (date(2026, 11, 29), date(2026, 12, 2)):
        figure = charts.weekly_trend(frame, ["calls_made"], "Weekly", as_of)
        assert len(figure.data) == 1 and list(figure.data[0].y) == [20, 22, 24, 2]
        assert figure.layout.title.text == "Weekly"


def test_gone_quiet_reason_filter_lists_a_lead_with_both_reasons_under_each(
    monkeypatch, warehouse, tmp_path
):
    """A lead both quiet too long and past a scheduled date is written with the date first,
    and the filter read the text: 'No touch for too long' left it out."""
    copy = tmp_path / warehouse.name
    shutil.copy(warehouse, copy)
    shutil.copy(marts_path(warehouse), marts_path(copy))
    with duckdb.connect(str(marts_path(copy))) as con:
        both = con.execute(
            "update marts.stale_leads set is_scheduled_date_passed = true,"
            " reason = 'Start date 20/11 passed unconfirmed; ' || reason"
            " where lead_id = (select min(lead_id) from marts.stale_leads"
            " where is_quiet_too_long and not is_scheduled_date_passed) returning lead_id"
        ).fetchone()[0]
    at = app(monkeypatch, copy)
    at.switch_page("views/gone_quiet.py").run()
    for kind, flag in queries.STALE_REASONS.items():
        at.multiselect[1].set_value([kind]).run()
        assert_clean(at)
        listed = at.dataframe[0].value["lead_id"].to_list()
        assert both in listed, kind
        assert len(listed) == scalar(copy, f"select count(*) from marts.stale_leads where {flag}")


def test_the_last_4_weeks_on_a_monday_are_the_four_whole_weeks_just_ended():
    """Monday's week is a day old: the last 4 weeks were three weeks and a day."""
    monday, wednesday = date(2026, 11, 23), date(2026, 11, 25)
    assert queries.period_dates("last_4_weeks", monday) == (date(2026, 10, 26), monday)
    assert queries.period_dates("last_4_weeks", wednesday) == (date(2026, 11, 2), wednesday)
    assert queries.period_dates("this_week", monday) == (monday, monday)


def test_neutralise_prefixes_formula_cells():
    frame = pl.DataFrame(
        {
            "text": ["=SUM(A1)", "+44 20 7946", "-1", "@cmd", "plain", None, "a=b"],
            "number": [-1, 2, 3, 4, 5, 6, 7],
        }
    )
    safe = exports.neutralise(frame)
    assert safe["text"].to_list() == [
        "'=SUM(A1)",
        "'+44 20 7946",
        "'-1",
        "'@cmd",
        "plain",
        None,
        "a=b",
    ]
    assert safe["number"].to_list() == frame["number"].to_list()
    assert b"'=SUM(A1)" in exports.to_csv(frame)
    workbook = pl.read_excel(exports.to_xlsx(frame))
    assert workbook["text"][0] == "'=SUM(A1)"


def test_calls_to_ics_is_valid_icalendar():
    calls = pl.DataFrame(
        {
            "due_date": [date(2026, 11, 23), date(2026, 11, 24)],
            "lead_id": ["L1", "L2"],
            "reason": ["Call back; as agreed, on 13/11", "Confirm the start\nand the salary " * 4],
            "contact": ["Ann Lee", None],
            "client": ["Acme, Ltd", "Beta"],
            "phone": ["020 7946 0001", None],
            "consultant": ["Zoe", "Zoe"],
        }
    )
    text = exports.calls_to_ics(calls, stamp=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)).decode()
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    unfolded = text.replace("\r\n ", "").split("\r\n")[:-1]
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in unfolded and any(line.startswith("PRODID:") for line in unfolded)
    assert unfolded.count("BEGIN:VEVENT") == 2 == unfolded.count("END:VEVENT")
    assert "DTSTART;VALUE=DATE:20261123" in unfolded
    assert "DTSTART;VALUE=DATE:20261124" in unfolded
    assert unfolded.count("DTSTAMP:20261123T080000Z") == 2
    uids = [line for line in unfolded if line.startswith("UID:")]
    assert len(set(uids)) == 2
    assert "SUMMARY:Call Ann Lee at Acme\\, Ltd (L1)" in unfolded
    description = next(line for line in unfolded if line.startswith("DESCRIPTION:Call back"))
    assert "Call back\\; as agreed\\, on 13/11\\nPhone: 020 7946 0001" in description
    again = exports.calls_to_ics(calls, stamp=datetime(2026, 11, 24, tzinfo=UTC)).decode()
    assert [
        line for line in again.replace("\r\n ", "").split("\r\n") if line.startswith("UID")
    ] == uids
    # Listed from the 24th, the call due on the 23rd is overdue: on the 24th, saying so.
    later = exports.calls_to_ics(calls, first=date(2026, 11, 24)).decode()
    later = later.replace("\r\n ", "").split("\r\n")
    assert later.count("DTSTART;VALUE=DATE:20261124") == 2
    assert "SUMMARY:Call Ann Lee at Acme\\, Ltd (L1)\\, overdue since 23/11/2026" in later


def test_query_functions_run_without_streamlit(warehouse, demo_warehouse):
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        scope = queries.Scope(date(2026, 10, 1), demo_warehouse.as_of)
        frame = queries.cohort_funnel(con, scope)
    assert frame["leads_created"][0] == scalar(
        warehouse, "select count(*) from marts.leads where created_date >= ?", [date(2026, 10, 1)]
    )
    found = queries.find_leads(marts_path(warehouse), "100%_")
    assert found.height == 0


# --- a team with its own catalogue -----------------------------------------------------------

# What the default (recruitment) catalogue's words would look like on a page of a team with
# another checklist. "Started" was the drill-down's name for the leads reaching the filled
# milestone, "Starts" its count.
RECRUITMENT_WORDS = re.compile(
    r"\b(CVs?|starts?|started|interviews?|placements?|placed|probation)\b", re.IGNORECASE
)


def shown(at: AppTest) -> str:
    """Everything a page put on screen, as its elements' protobuf text: titles, captions,
    metrics and their help, options, table headers, charts' specs (not a table's data)."""
    texts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            if getattr(node, "type", None) == "dataframe":
                # The headers it shows, not the Arrow bytes (or the columns' own names).
                texts.extend(
                    str(config.get("label", "")) for config in json.loads(proto.columns).values()
                )
            else:
                texts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(texts)


@pytest.mark.parametrize("page", PAGES)
def test_a_sales_teams_pages_speak_of_its_own_milestones(monkeypatch, sales_warehouse, page):
    """A team whose catalogue is engaged, demo booked, proposal sent, won: This week counted
    "Starts" and offered "Started this week", Consultants "Starts in the period" ("Candidates
    who started in the period"), a league column and a trend line "starts", all of them leads
    reaching Won. They are named after the milestone that fills a lead."""
    warehouse = sales_warehouse.settings.warehouse
    won = scalar(warehouse, "select min(lead_id) from marts.lead_milestones where is_filled")
    at = app(monkeypatch, warehouse, period="this_quarter", lead=won)
    at.switch_page(f"views/{page}.py").run()
    assert_clean(at)
    text = shown(at)
    found = [
        text[max(match.start() - 60, 0) : match.end() + 60]
        for match in RECRUITMENT_WORDS.finditer(text)
    ]
    assert not found, found
    if page == "this_week":
        # The demo's as-of date is a Monday: the page opens on the week just ended.
        week = queries.week_start(sales_warehouse.as_of) - timedelta(days=7)
        won_in_week = scalar(
            warehouse,
            "select count(*) from marts.lead_milestones"
            " where is_filled and reached_date between ? and ?",
            [week, week + timedelta(days=6)],
        )
        assert number(metrics(at)["Reached Won"]) == won_in_week
        assert "Reached Won last week" in at.selectbox(key="this-week-choice").options
    if page == "consultants":
        assert "Reached Won in the period" in metrics(at)
        # Won is its last milestone: every filled lead is complete, one list says so.
        options = at.selectbox(key="consultant-choice").options
        assert "Filled from the period's leads" in options
        assert "Completed from the period's leads" not in options
