"""The demo agency generator: deterministic, believable, messy where promised, and scalable."""

from __future__ import annotations

import hashlib
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from ingest.demo import (
    BAD_ROW_KINDS,
    CALLS_COLUMNS,
    CONSULTANTS_COLUMNS,
    DEFAULT_CATALOGUE,
    EVENTS_COLUMNS,
    IMPOSSIBLE_DATE_TEXT,
    STATUS_LABELS,
    TICKS,
    TRACKER_FIELDS,
    DemoFiles,
    generate_demo,
)

AS_OF = date(2026, 3, 11)
LEADS = 500
LABELS = pl.read_csv(DEFAULT_CATALOGUE).sort("milestone_order")["label"].to_list()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hashes(files: DemoFiles) -> dict[str, str]:
    paths = (files.tracker, files.events, files.calls, files.consultants)
    return {path.name: _sha256(path) for path in paths}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo"), leads=LEADS, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def tracker(demo: DemoFiles) -> pl.DataFrame:
    """The tracker as written, every cell as text (dates as ISO text, ticks as written)."""
    return pl.read_excel(
        demo.tracker, engine="calamine", infer_schema_length=0, drop_empty_rows=False
    )


@pytest.fixture(scope="module")
def calls(demo: DemoFiles) -> pl.DataFrame:
    return pl.read_csv(demo.calls, infer_schema_length=0).with_columns(
        called_at=pl.col("Date/Time").str.to_datetime("%d/%m/%Y %H:%M"),
        callback_date=pl.col("Call back on").str.to_date("%d/%m/%Y"),
    )


def _leads(tracker: pl.DataFrame) -> pl.DataFrame:
    """One row per lead: without the blank row and the duplicate."""
    return tracker.filter(pl.col("Ref").is_not_null()).unique("Ref", keep="first")


def _milestone_dates(tracker: pl.DataFrame) -> pl.DataFrame:
    """Milestone cells parsed as dates (ticks and text become null)."""
    return _leads(tracker).select(
        "Ref",
        "Status",
        *(pl.col(label).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False) for label in LABELS),
    )


def test_writes_the_four_files_with_the_promised_headers(
    demo: DemoFiles, tracker: pl.DataFrame
) -> None:
    assert demo.tracker.name == "tracker.xlsx"
    assert tracker.columns == [*TRACKER_FIELDS, *LABELS]
    assert pl.read_csv(demo.events).columns == list(EVENTS_COLUMNS)
    assert pl.read_csv(demo.calls).columns == list(CALLS_COLUMNS)
    assert pl.read_csv(demo.consultants).columns == list(CONSULTANTS_COLUMNS)
    assert _leads(tracker).height == LEADS


def test_same_arguments_give_identical_files_and_another_seed_does_not(
    demo: DemoFiles, tmp_path: Path
) -> None:
    again = generate_demo(tmp_path / "again", leads=LEADS, seed=7, as_of=AS_OF)
    other = generate_demo(tmp_path / "other", leads=LEADS, seed=8, as_of=AS_OF)
    assert _hashes(again) == _hashes(demo)
    assert again.bad_rows == demo.bad_rows
    changed = {name for name, digest in _hashes(other).items() if digest != _hashes(demo)[name]}
    assert changed == {"tracker.xlsx", "events.csv", "calls.csv", "consultants.csv"}


def test_tracker_reads_back_with_polars_default_engine(demo: DemoFiles) -> None:
    frame = pl.read_excel(demo.tracker)
    assert frame.height == LEADS + 1  # polars drops the blank row, keeps the duplicate
    assert frame.schema["Probation completed"] == pl.Date
    assert frame["Ref"].drop_nulls().str.contains(r"^L\d{6}$").all()
    assert set(frame["Status"].drop_nulls()) <= set(STATUS_LABELS)


def test_reached_counts_never_rise_along_the_catalogue(tracker: pl.DataFrame) -> None:
    leads = _leads(tracker)
    has_cell = [leads[label].is_not_null() for label in LABELS]
    reached = []
    for index in range(len(LABELS)):
        later = has_cell[index]
        for cell in has_cell[index + 1 :]:
            later = later | cell
        reached.append(int(later.sum()))
    assert reached == sorted(reached, reverse=True)
    assert reached[-1] < reached[0]
    assert reached[-1] > 0


def test_most_leads_are_declined_or_die_early(tracker: pl.DataFrame) -> None:
    leads = _leads(tracker)
    counts = dict(leads.group_by("Status").len().iter_rows())
    assert counts["Declined"] + counts["Lost"] > LEADS / 2
    assert counts["Completed"] + counts.get("Filled", 0) < LEADS / 10
    assert counts["Open"] > 0
    # Declined leads carry the reason and no milestones; lost ones a reason; others none.
    declined = leads.filter(pl.col("Status") == "Declined")
    assert (declined["Lost reason"] == "Declined our help").all()
    assert declined.select(pl.all_horizontal(pl.col(LABELS).is_null())).to_series().all()
    lost = leads.filter(pl.col("Status") == "Lost")
    assert lost["Lost reason"].is_not_null().all()
    others = leads.filter(pl.col("Status").is_in(["Open", "Filled", "Completed"]))
    assert others["Lost reason"].is_null().all()


def test_lost_and_declined_leads_say_when_they_closed(tracker: pl.DataFrame) -> None:
    """The History page counts a lead dead from its Date closed; without one, a demo lead
    closed in the only load counted as live on every day before it."""
    leads = _leads(tracker).with_columns(
        # The messy rows' impossible dates read null.
        pl.col("Date generated", "Date closed")
        .str.slice(0, 10)
        .str.to_date("%Y-%m-%d", strict=False)
    )
    closed = leads.filter(pl.col("Status").is_in(["Lost", "Declined"]))
    assert closed["Date closed"].is_not_null().all()
    assert (closed["Date closed"] >= closed["Date generated"]).drop_nulls().all()
    assert (closed["Date closed"] <= AS_OF).all()
    # Closed over the months, not on one day: a declined lead within days, a lost one later.
    assert closed["Date closed"].n_unique() > 100
    still_open_or_filled = leads.filter(~pl.col("Status").is_in(["Lost", "Declined"]))
    assert still_open_or_filled["Date closed"].is_null().all()


def test_statuses_agree_with_the_milestones(tracker: pl.DataFrame) -> None:
    dates = _milestone_dates(tracker)
    completed = dates.filter(pl.col("Status") == "Completed")
    assert (completed["Probation completed"] <= AS_OF).all()
    filled = dates.filter(pl.col("Status") == "Filled")
    assert (filled["Start date"] <= AS_OF).all()
    assert (
        filled["Probation completed"].is_null().any()
        or (filled["Probation completed"].drop_nulls() > AS_OF).all()
    )


def test_nothing_reached_after_as_of_except_scheduled_appointments(
    tracker: pl.DataFrame,
) -> None:
    catalogue = pl.read_csv(DEFAULT_CATALOGUE).sort("milestone_order")
    not_appointments = catalogue.filter(pl.col("call_on_day").is_null())["label"].to_list()
    dates = _milestone_dates(tracker)
    for label in not_appointments:
        assert (dates[label].drop_nulls() <= AS_OF).all(), label


@pytest.mark.parametrize(
    "label", ["Interviews arranged", "Start date", "Probation completed", "Resignation"]
)
def test_appointments_due_on_as_of_and_in_the_next_fortnight(
    tracker: pl.DataFrame, label: str
) -> None:
    due = _milestone_dates(tracker)[label]
    assert (due == AS_OF).any()
    assert due.is_between(AS_OF + timedelta(days=1), AS_OF + timedelta(days=14)).any()


def test_a_call_back_agreed_for_the_day_of_an_appointment_ahead(
    tracker: pl.DataFrame, calls: pl.DataFrame
) -> None:
    """Two reasons to call one lead on one day, which the call list shows as one call."""
    appointments = _milestone_dates(tracker).unpivot(index=["Ref", "Status"], value_name="day")
    agreed = calls.join(
        appointments.filter(pl.col("Status") == "Open"),
        left_on=["Lead ID", "callback_date"],
        right_on=["Ref", "day"],
    )
    assert (
        agreed["callback_date"]
        .is_between(AS_OF + timedelta(days=1), AS_OF + timedelta(days=14))
        .any()
    )


def test_recent_leads_are_mostly_still_open(tracker: pl.DataFrame) -> None:
    leads = _leads(tracker).with_columns(
        created=pl.col("Date generated").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    )
    recent = leads.filter(pl.col("created") >= AS_OF - timedelta(days=7))
    old = leads.filter(pl.col("created") < AS_OF - timedelta(days=180))
    share_open = (recent["Status"] == "Open").mean()
    assert share_open is not None and share_open > 0.3
    assert (old["Status"] == "Open").mean() < share_open


def test_calls_stop_at_as_of_and_call_backs_are_due(calls: pl.DataFrame) -> None:
    assert calls["called_at"].dt.date().max() <= AS_OF
    assert (calls["callback_date"] == AS_OF).any()
    assert (calls["callback_date"] > AS_OF).any()
    assert set(calls["Outcome"]) == {"Connected", "No answer", "Voicemail", "Left message", "Busy"}
    assert calls["Call ID"].n_unique() == calls.height
    without_lead = calls["Lead ID"].is_null().mean()
    assert without_lead is not None and 0.02 < without_lead < 0.1
    weekdays = calls["called_at"].dt.weekday()
    assert (weekdays <= 5).all()
    hours = calls["called_at"].dt.hour()
    assert hours.min() >= 8 and hours.max() <= 18


def test_calls_spread_over_the_working_week(calls: pl.DataFrame) -> None:
    """A call day drawn over the whole span and snapped back to a weekday put a weekend's
    calls on its Friday: Fridays had 2.6 times the calls of any other day in the demo."""
    per_weekday = calls.group_by(calls["called_at"].dt.weekday().alias("weekday")).len()
    assert per_weekday["len"].max() < 1.25 * per_weekday["len"].min(), per_weekday.sort("weekday")


def test_starts_are_confirmed_by_a_connected_call_unless_still_open(
    tracker: pl.DataFrame, calls: pl.DataFrame
) -> None:
    starts = _milestone_dates(tracker).filter(pl.col("Start date") <= AS_OF)
    connected = calls.filter(pl.col("Outcome") == "Connected").select(
        "Lead ID", called_on=pl.col("called_at").dt.date()
    )
    confirmed = (
        starts.join(connected, left_on="Ref", right_on="Lead ID")
        .filter(pl.col("called_on") >= pl.col("Start date"))["Ref"]
        .unique()
    )
    unconfirmed = starts.filter(pl.col("Status") == "Open")["Ref"]
    assert unconfirmed.len() > 0  # at least the start due on as_of itself
    assert not set(unconfirmed) & set(confirmed)
    filled = starts.filter(pl.col("Status").is_in(["Filled", "Completed"]))["Ref"]
    assert set(filled) <= set(confirmed)


def test_calls_and_leads_belong_to_known_consultants(
    demo: DemoFiles, tracker: pl.DataFrame, calls: pl.DataFrame
) -> None:
    consultants = pl.read_csv(demo.consultants)
    names = set(consultants["Name"])
    assert len(names) == consultants.height == 12
    assert consultants["Team"].n_unique() == 3
    assert set(consultants["Manager"]) <= names
    assert set(_leads(tracker)["Consultant"].drop_nulls()) <= names
    assert set(calls["Consultant"]) <= names
    assert set(calls["Lead ID"].drop_nulls()) <= set(_leads(tracker)["Ref"])


def test_contacts_use_drama_numbers_only(tracker: pl.DataFrame) -> None:
    phones = _leads(tracker)["Phone"]
    assert phones.str.contains(r"^(07700 900\d{3}|020 7946 0\d{3})$").all()


def test_candidate_events_match_the_tracker(demo: DemoFiles, tracker: pl.DataFrame) -> None:
    events = pl.read_csv(demo.events, try_parse_dates=True)
    assert events.schema["Date"] == pl.Date
    candidate_leads = events["Lead ID"].n_unique()
    with_interviews = _leads(tracker)["Interviews arranged"].is_not_null().sum()
    assert 0.1 * with_interviews < candidate_leads < 0.6 * with_interviews
    per_lead = events.group_by("Lead ID").agg(pl.col("Candidate").n_unique())
    assert per_lead["Candidate"].max() <= 3
    earliest = events.group_by("Lead ID", "Stage").agg(pl.col("Date").min())
    dates = _milestone_dates(tracker).unpivot(index="Ref", on=LABELS)
    joined = earliest.join(
        dates, left_on=["Lead ID", "Stage"], right_on=["Ref", "variable"], how="left"
    ).filter(pl.col("value").is_not_null())  # ticked cells hold no date
    assert joined.height > 0
    assert (joined["Date"] == joined["value"]).all()


def test_bad_rows_are_where_the_generator_says(demo: DemoFiles, tracker: pl.DataFrame) -> None:
    assert sorted(bad.kind for bad in demo.bad_rows) == sorted(BAD_ROW_KINDS)
    for bad in demo.bad_rows:
        row = tracker.row(bad.row - 2, named=True)  # header is file row 1, frame row 0 is row 2
        if bad.kind == "blank":
            assert all(value is None for value in row.values())
        elif bad.kind == "duplicate":
            assert row == tracker.row(bad.row - 3, named=True)
            assert row["Ref"] == bad.ref
        elif bad.kind == "impossible_date":
            assert row["Date generated"] == IMPOSSIBLE_DATE_TEXT
        else:
            assert row["Consultant"] is None
            assert row["Ref"] == bad.ref


def test_ticks_and_text_salaries(demo: DemoFiles, tracker: pl.DataFrame) -> None:
    leads = _leads(tracker)
    ticked = leads.filter(pl.any_horizontal(pl.col(LABELS).is_in(TICKS)))
    assert sorted(ticked["Ref"]) == sorted(demo.ticked_refs)
    assert len(demo.ticked_refs) >= 4
    salaries = leads.filter(pl.col("Ref").is_in(demo.text_salary_refs))["Salary"]
    assert salaries.str.contains(r"^£\d{2},\d{3}$").all()
    others = leads.filter(~pl.col("Ref").is_in(demo.text_salary_refs))["Salary"]
    numbers = others.cast(pl.Float64)
    assert numbers.is_between(22_000, 95_000).all()


def test_small_demo_is_clean(tmp_path: Path) -> None:
    files = generate_demo(tmp_path, leads=50, seed=3, as_of=AS_OF)
    assert files.bad_rows == ()
    frame = pl.read_excel(files.tracker)
    assert frame.height == 50
    assert frame["Consultant"].is_not_null().all()


def test_custom_catalogue_falls_back_to_a_geometric_drop_off(tmp_path: Path) -> None:
    catalogue = tmp_path / "sales.csv"
    catalogue.write_text(
        "milestone_order,milestone,label,is_filled,call_on_day\n"
        "1,engaged,Engaged,false,\n"
        "2,demo_booked,Demo booked,false,Demo today\n"
        "3,won,Won,true,\n"
    )
    files = generate_demo(tmp_path / "out", leads=300, seed=1, as_of=AS_OF, catalogue=catalogue)
    frame = pl.read_excel(files.tracker, infer_schema_length=0)
    assert frame.columns[-3:] == ["Engaged", "Demo booked", "Won"]
    leads = _leads(frame)
    assert leads["Engaged"].is_not_null().sum() > leads["Won"].is_not_null().sum() > 0
    assert pl.read_csv(files.events).height == 0


def test_twenty_thousand_leads_scale_and_lose_leads_for_stage_appropriate_reasons(
    tmp_path: Path,
) -> None:
    started = time.perf_counter()
    files = generate_demo(tmp_path, leads=20_000, seed=11, as_of=AS_OF)
    assert time.perf_counter() - started < 60
    assert files.tracker.suffix == ".xlsx"
    calls = pl.read_csv(files.calls, infer_schema_length=0)
    assert 8 * 20_000 < calls.height < 13 * 20_000
    leads = _milestone_dates(pl.read_excel(files.tracker, infer_schema_length=0)).join(
        _leads(pl.read_excel(files.tracker, infer_schema_length=0)).select("Ref", "Lost reason"),
        on="Ref",
    )
    by_reason = {
        reason: group
        for (reason,), group in leads.filter(pl.col("Status") == "Lost").group_by("Lost reason")
    }
    assert {"Counter-offer accepted", "Failed probation", "Offer rejected"} <= set(by_reason)
    assert by_reason["Failed probation"]["Start date"].is_not_null().all()
    assert by_reason["Failed probation"]["Probation completed"].is_null().all()
    counter_offers = by_reason["Counter-offer accepted"]
    assert counter_offers["Written offer & acceptance"].is_not_null().all()
    assert counter_offers["Start date"].is_null().all()
    assert by_reason["Filled internally"]["Verbal offer & acceptance"].is_null().all()


@pytest.mark.parametrize("leads", [1, 7, 19, 20])
def test_tiny_demos_still_generate(tmp_path: Path, leads: int) -> None:
    files = generate_demo(tmp_path, leads=leads, seed=2, as_of=AS_OF)
    assert pl.read_excel(files.tracker).height == leads


def test_csv_tracker_above_the_excel_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.demo.XLSX_MAX_LEADS", 1_000)
    files = generate_demo(tmp_path, leads=1_500, seed=5, as_of=AS_OF)
    assert files.tracker.name == "tracker.csv"
    frame = pl.read_csv(files.tracker, infer_schema_length=0)
    assert frame.columns == [*TRACKER_FIELDS, *LABELS]
    assert frame.height == 1_500 + 2  # the duplicate and the blank row
    bad = {bad.kind: bad for bad in files.bad_rows}
    assert frame.row(bad["impossible_date"].row - 2, named=True)["Date generated"] == (
        IMPOSSIBLE_DATE_TEXT
    )
    created = frame["Date generated"].drop_nulls()
    assert created.str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
