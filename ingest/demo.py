"""A deterministic demo recruitment agency: the exports a real UK agency's team would have.

`generate_demo` writes a lead tracker (one row per lead, one column per catalogue milestone),
a candidate-level event export, a call log and a consultants list for an agency of three
teams and twelve consultants, covering the 18 months up to an as-of date. The same seed,
as-of date, lead count and catalogue always give byte-identical files.

Everything is generated over whole columns (numpy random generators seeded from `seed`,
polars expressions for the text); the only Python loops run over the milestones of the
catalogue, the teams and the consultants, so time and memory grow linearly with the number
of leads and a million leads with ten million calls take well under a minute.

Milestone codes and labels come from the catalogue. The realism of the default catalogue
(how many leads pass each stage, how long each stage takes, why leads die there) lives in
`STAGE_PROFILES`, keyed by milestone code; a milestone missing from it (a custom catalogue)
falls back to `FALLBACK_PROFILE`, a plain geometric drop-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from ingest.template import LEAD_HEADERS

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "seeds" / "milestones.csv"

XLSX_MAX_LEADS = 100_000
"""Above this many leads the tracker is written as CSV (Excel caps a sheet at 1,048,576 rows)."""

MESSINESS_MIN_LEADS = 200
"""The tracker carries its deliberate mess (bad rows, ticks, text salaries) from this size on."""

HISTORY_DAYS = 548
"""Leads are created on weekdays during the 18 months (548 days) up to the as-of date."""

TRACKER_FIELDS = tuple(header for header in LEAD_HEADERS if header != "Fee")
"""The tracker's lead columns, in order (the template's, less the fee: the demo's fees come
from salary and fee %); one column per catalogue milestone label follows."""

EVENTS_COLUMNS = ("Lead ID", "Stage", "Date", "Candidate")
CALLS_COLUMNS = (
    "Call ID",
    "Lead ID",
    "Consultant",
    "Date/Time",
    "Outcome",
    "Call back on",
    "Notes",
)
CONSULTANTS_COLUMNS = ("Name", "Team", "Manager", "Email")

STATUS_LABELS = ("Open", "Declined", "Lost", "Filled", "Completed")
OPEN, DECLINED, LOST, FILLED, COMPLETED = range(5)

CALL_OUTCOMES = ("Connected", "No answer", "Voicemail", "Left message", "Busy")
CALL_OUTCOME_WEIGHTS = (0.36, 0.24, 0.16, 0.14, 0.10)

TICKS = ("Y", "Yes", "x", "✓")
IMPOSSIBLE_DATE_TEXT = "31/02/2026"

DECLINED_REASON = "Declined our help"
DECLINE_PROBABILITY = 0.35
"""Share of leads where the client says "thanks, but we don't need your help" before any CVs."""

STALL_PROBABILITY = 0.012
"""Chance, at each stage, that a live lead simply goes quiet (stays open, nothing more happens)."""

BAD_ROW_KINDS: dict[str, str] = {
    "blank": "a completely empty row between two leads",
    "duplicate": "an exact copy of the row above it (same Ref)",
    "impossible_date": f"'Date generated' holds the text {IMPOSSIBLE_DATE_TEXT!r}, not a date",
    "missing_consultant": "the lead has no Consultant",
}
"""The deliberately bad tracker rows, by kind; each tracker of MESSINESS_MIN_LEADS or more
leads has exactly one of each."""


@dataclass(frozen=True)
class StageProfile:
    """How a stage behaves in the demo: chance to pass it, days it takes, why leads die there."""

    pass_probability: float
    min_gap_days: int
    max_gap_days: int
    lost_reasons: tuple[str, ...]
    dies_on_the_day: bool = False
    per_candidate: bool = False


_EARLY = ("Filled internally", "Filled by another agency", "Role cancelled")
_MIDDLE = ("Filled by another agency", "Role cancelled", "Candidate withdrew", "Filled internally")
_LATE = ("Candidate withdrew", "Filled by another agency", "Role cancelled")
_OFFER = ("Offer rejected", "Candidate withdrew")

STAGE_PROFILES: dict[str, StageProfile] = {
    "cvs_received": StageProfile(0.85, 1, 7, _EARLY),
    "interviews_booked": StageProfile(0.62, 2, 10, _MIDDLE),
    "interviews_arranged": StageProfile(0.90, 3, 12, _MIDDLE, per_candidate=True),
    "interviews_completed": StageProfile(0.93, 0, 1, _MIDDLE, per_candidate=True),
    "contender_confirmed": StageProfile(0.62, 1, 5, _MIDDLE),
    "second_interview_arranged": StageProfile(0.86, 3, 10, _LATE, per_candidate=True),
    "second_interview_completed": StageProfile(0.93, 0, 1, _LATE, per_candidate=True),
    "offer_contender_confirmed": StageProfile(0.72, 1, 4, _LATE),
    "verbal_offer_accepted": StageProfile(0.80, 1, 5, _OFFER),
    "written_offer_accepted": StageProfile(0.90, 2, 10, _OFFER),
    "resigned": StageProfile(0.88, 1, 7, ("Counter-offer accepted",), dies_on_the_day=True),
    "started": StageProfile(0.96, 21, 77, ("No-show on the start day",), dies_on_the_day=True),
    "probation_completed": StageProfile(0.90, 91, 91, ("Failed probation",)),
}
"""Per-stage realism for the default catalogue, keyed by milestone code. Gaps are days from
the previous milestone (from the lead's creation for the first): CVs within a week,
interviews about a week after booking, a start 4-12 weeks after the written offer and
probation ending 13 weeks after the start."""

FALLBACK_PROFILE = StageProfile(0.8, 2, 10, ("Role cancelled", "Filled by another agency"))
"""Used for any milestone code not in STAGE_PROFILES: 80% pass each stage, 2-10 days apart."""


@dataclass(frozen=True)
class BadRow:
    """One deliberately bad tracker row: where it is and why a loader should not take it."""

    row: int
    """1-based row number in the tracker file; the header is row 1."""
    ref: str | None
    """The lead's Ref, or None for the blank row."""
    kind: str
    """One of BAD_ROW_KINDS."""
    reason: str


@dataclass(frozen=True)
class DemoFiles:
    """The paths `generate_demo` wrote, and the tracker's deliberate mess."""

    tracker: Path
    """tracker.xlsx for up to XLSX_MAX_LEADS leads, else tracker.csv."""
    events: Path
    calls: Path
    consultants: Path
    leads: int
    """Leads in the tracker (not counting the blank and duplicate rows)."""
    bad_rows: tuple[BadRow, ...] = ()
    """One row of each BAD_ROW_KINDS kind when leads >= MESSINESS_MIN_LEADS, else none."""
    ticked_refs: tuple[str, ...] = ()
    """Leads whose tracker row has a tick ("Y", "Yes", "x", "✓") instead of a milestone date."""
    text_salary_refs: tuple[str, ...] = ()
    """Leads whose Salary is written as text such as "£45,000" (in the XLSX; CSV is all text)."""


@dataclass(frozen=True)
class _Stage:
    code: str
    label: str
    is_appointment: bool
    needs_confirmation: bool
    is_filled: bool
    profile: StageProfile


@dataclass(frozen=True)
class _Consultants:
    names: list[str]
    teams: list[int]
    managers: list[str]
    emails: list[str]
    skill: np.ndarray
    activity: np.ndarray


# --- word lists ----------------------------------------------------------------------------

AGENCY_DOMAIN = "northgate-recruitment.example"
TEAMS = ("Finance & Accounting", "Technology", "Office Support")
FIRST_NAMES = (
    "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
    "James", "Leo", "Alfie", "Henry", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Alexander",
    "Daniel", "Samuel", "Joseph", "Max", "Lewis", "Ryan", "Callum", "Owen", "Rhys", "Liam",
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
    "Lily", "Evie", "Isabella", "Charlotte", "Jessica", "Daisy", "Freya", "Chloe", "Alice", "Ruby",
    "Hannah", "Lucy", "Megan", "Holly", "Eleanor", "Priya", "Aisha", "Zara", "Niamh", "Sian",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell",
    "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Morgan", "Moore", "Hughes", "Edwards",
    "Hill", "Turner", "Cooper", "Ward", "Morris", "Harris", "King", "Baker", "Harrison", "Shaw",
    "Lloyd", "Bennett", "Carter", "Fletcher", "Marsh", "Kaur", "Ahmed", "Begum", "O'Brien",
    "Murphy", "Campbell", "Stewart", "Reid", "MacDonald",
)  # fmt: skip
COMPANY_FIRST = (
    "Harbour", "Northern", "Riverside", "Oak", "Meridian", "Beacon", "Thames", "Pennine",
    "Severn", "Highland", "Kingsway", "Castle", "Granite", "Willow", "Summit", "Albion",
    "Crown", "Heath", "Bridge", "Marlow", "Ashford", "Cobalt", "Falcon", "Mercia", "Wessex",
    "Chiltern", "Solent", "Trent", "Avon", "Clyde", "Cotswold", "Anchor", "Orchard", "Brook",
    "Stirling", "Redwood", "Union", "Victoria", "Regent", "Windsor",
)  # fmt: skip
COMPANY_SECOND = (
    "Lane", "Park", "Gate", "Point", "Square", "Street", "Hill", "Valley", "Court", "Field",
    "Row", "Yard", "Cross", "Mill", "Wharf", "Green", "House", "Works", "Quay", "Vale",
    "Bay", "Ridge", "Way", "View", "Place", "Rise", "Dale", "Bank", "Grove", "Moor",
)  # fmt: skip
COMPANY_TRADE = (
    "Logistics", "Engineering", "Software", "Consulting", "Foods", "Property", "Health",
    "Legal", "Energy", "Systems", "Construction", "Analytics", "Finance", "Media", "Retail",
    "Insurance", "Manufacturing", "Digital", "Freight", "Pharma", "Estates", "Solutions",
    "Technologies", "Hospitality", "Partners", "Capital", "Interiors", "Labs", "Packaging",
    "Security",
)  # fmt: skip
COMPANY_SUFFIX = ("Ltd", "Ltd", "Ltd", "Group", "LLP", "plc")
ROLES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "Finance & Accounting": (
        ("Accounts Payable Clerk", 24_000, 30_000),
        ("Credit Controller", 26_000, 33_000),
        ("Payroll Officer", 27_000, 36_000),
        ("Assistant Accountant", 28_000, 38_000),
        ("Management Accountant", 42_000, 58_000),
        ("Financial Controller", 60_000, 85_000),
        ("Finance Director", 80_000, 95_000),
    ),
    "Technology": (
        ("IT Support Analyst", 26_000, 35_000),
        ("Data Analyst", 32_000, 50_000),
        ("Software Engineer", 45_000, 80_000),
        ("DevOps Engineer", 55_000, 85_000),
        ("Business Analyst", 40_000, 60_000),
        ("Project Manager", 50_000, 75_000),
        ("Head of Engineering", 80_000, 95_000),
    ),
    "Office Support": (
        ("Receptionist", 22_000, 26_000),
        ("Administrator", 23_000, 28_000),
        ("Customer Service Advisor", 22_000, 27_000),
        ("HR Administrator", 25_000, 31_000),
        ("Personal Assistant", 30_000, 40_000),
        ("Office Manager", 32_000, 45_000),
    ),
}
FEE_PERCENTAGES = (15.0, 17.5, 18.0, 20.0, 22.0, 25.0)
FEE_WEIGHTS = (0.15, 0.1, 0.2, 0.3, 0.15, 0.1)
LEAD_NOTES = ("", "Exclusive", "Retained", "Hybrid 3 days", "Urgent", "Temp to perm", "Slow client")
LEAD_NOTE_WEIGHTS = (0.6, 0.08, 0.04, 0.1, 0.08, 0.05, 0.05)
CALL_NOTES = ("", "Update given", "Chased feedback", "Sent CVs over", "Discussed salary")
CALL_NOTE_WEIGHTS = (0.7, 0.1, 0.08, 0.06, 0.06)
BD_NOTES = ("", "BD call", "Market update", "Spec CV")
BD_NOTE_WEIGHTS = (0.4, 0.35, 0.15, 0.1)
CALLBACK_NOTE = "Call back agreed"
START_CONFIRMED_NOTE = "Start confirmed"

NO_DATE = np.iinfo(np.int32).min
_EPOCH = date(1970, 1, 1)


# --- public entry point ----------------------------------------------------------------------


def generate_demo(
    out_dir: Path,
    *,
    leads: int = 2000,
    seed: int = 7,
    as_of: date | None = None,
    catalogue: Path = DEFAULT_CATALOGUE,
) -> DemoFiles:
    """Write a demo agency's tracker, events, calls and consultants into `out_dir`.

    Promises:
    - `leads` leads (ids "L000001" upwards, in creation order) created on weekdays over the
      18 months up to `as_of` (default today); nothing dated after `as_of` except scheduled
      milestones (interviews, resignations, start dates, probation ends) and agreed call-backs.
    - Reached-milestone counts never rise along the catalogue order; most leads are declined
      or die early; statuses agree with the milestones and with time.
    - Every lost or declined lead has its Date closed, between its creation and `as_of`: the
      day it was declined or died, or, for one that went quiet long ago, the last weekday of
      that quarter (closed out at the quarter's review); no other lead has one.
    - With at least 20 leads there is at least one interview, start date and probation end
      (every milestone with a `call_on_day` in the catalogue) on `as_of` and one in the 14
      days after it, at least one call-back agreed for `as_of`, and a call-back agreed for
      the day of an open lead's appointment in those 14 days when there is one.
    - The same arguments give byte-identical files; another seed gives other files.
    - From MESSINESS_MIN_LEADS leads on, the tracker holds the rows listed in
      `DemoFiles.bad_rows`, a few ticks instead of dates and a few text salaries.
    """
    if leads < 1:
        raise ValueError(f"leads must be at least 1, got {leads}")
    as_of = as_of or date.today()
    as_of_day = (as_of - _EPOCH).days
    stages = _read_catalogue(catalogue)
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)

    consultants = _make_consultants(rng)
    lead_data = _simulate_leads(rng, leads, as_of_day, stages, consultants)
    lead_frame = _lead_frame(rng, lead_data, consultants, stages)

    consultants_path = out_dir / "consultants.csv"
    _consultant_frame(consultants).write_csv(consultants_path)

    events_path = out_dir / "events.csv"
    _events_frame(rng, lead_data, lead_frame, stages, as_of_day).write_csv(events_path)

    calls_path = out_dir / "calls.csv"
    _calls_frame(rng, lead_data, lead_frame, consultants, stages, as_of_day).write_csv(calls_path)

    messy = leads >= MESSINESS_MIN_LEADS
    quirks = _plan_quirks(np.random.default_rng([seed, 1]), lead_data, stages, as_of_day, messy)
    if leads <= XLSX_MAX_LEADS:
        tracker_path = out_dir / "tracker.xlsx"
        _write_tracker_xlsx(tracker_path, lead_frame, stages, quirks, as_of)
    else:
        tracker_path = out_dir / "tracker.csv"
        _write_tracker_csv(tracker_path, lead_frame, stages, quirks)

    refs = lead_frame["Ref"]
    return DemoFiles(
        tracker=tracker_path,
        events=events_path,
        calls=calls_path,
        consultants=consultants_path,
        leads=leads,
        bad_rows=_bad_rows(quirks, refs),
        ticked_refs=tuple(refs.gather(sorted({lead for lead, _, _ in quirks.ticks})).to_list()),
        text_salary_refs=tuple(refs.gather(sorted(quirks.text_salaries)).to_list()),
    )


# --- catalogue and agency ------------------------------------------------------------------


def _read_catalogue(path: Path) -> list[_Stage]:
    frame = pl.read_csv(path, infer_schema_length=0).fill_null("")
    if "milestone_order" in frame.columns:
        frame = frame.sort(pl.col("milestone_order").cast(pl.Int64))
    if frame.is_empty():
        raise ValueError(f"{path}: the milestone catalogue has no milestones")

    def flag(row: dict[str, str], column: str) -> bool:
        return row.get(column, "").strip().lower() in {"true", "1", "yes", "y"}

    rows = frame.to_dicts()
    filled = [flag(row, "is_filled") for row in rows]
    if not any(filled):
        filled[-1] = True
    return [
        _Stage(
            code=row["milestone"],
            label=row.get("label") or row["milestone"],
            is_appointment=bool(row.get("call_on_day", "").strip()),
            needs_confirmation=flag(row, "needs_confirmation"),
            is_filled=is_filled,
            profile=STAGE_PROFILES.get(row["milestone"], FALLBACK_PROFILE),
        )
        for row, is_filled in zip(rows, filled, strict=True)
    ]


def _make_consultants(rng: np.random.Generator) -> _Consultants:
    per_team = 4
    count = per_team * len(TEAMS)
    first = rng.choice(len(FIRST_NAMES), size=count, replace=False)
    last = rng.choice(len(LAST_NAMES), size=count, replace=False)
    names = [f"{FIRST_NAMES[f]} {LAST_NAMES[s]}" for f, s in zip(first, last, strict=True)]
    teams = [index // per_team for index in range(count)]
    # The first consultant of each team manages it (and bills too), so is their own manager.
    managers = [names[team * per_team] for team in teams]
    emails = [
        f"{name.lower().replace(' ', '.').replace(chr(39), '')}@{AGENCY_DOMAIN}" for name in names
    ]
    return _Consultants(
        names=names,
        teams=teams,
        managers=managers,
        emails=emails,
        skill=rng.uniform(0.75, 1.3, count),
        activity=rng.uniform(0.7, 1.35, count),
    )


def _consultant_frame(consultants: _Consultants) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Name": consultants.names,
            "Team": [TEAMS[team] for team in consultants.teams],
            "Manager": consultants.managers,
            "Email": consultants.emails,
        }
    )


# --- dates -----------------------------------------------------------------------------------


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday is 0; 1970-01-01 was a Thursday."""
    return (days + 3) % 7


def _snap_forward(days: np.ndarray) -> np.ndarray:
    weekday = _weekday(days)
    return days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _snap_back(days: np.ndarray) -> np.ndarray:
    weekday = _weekday(days)
    return days - np.where(weekday == 5, 1, np.where(weekday == 6, 2, 0))


def _weekday_between(first: np.ndarray, last: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """The weekday `fraction` (in [0, 1)) of the way through the weekdays from `first` to
    `last` (inclusive; `first` a weekday): spread evenly over the week, where snapping a day
    drawn over the whole span would pile a weekend's days onto its Friday or Monday."""
    start = first.astype("datetime64[D]")
    weekdays = np.busday_count(start, (last + 1).astype("datetime64[D]"))
    offset = (fraction * weekdays).astype(np.int64)
    return np.busday_offset(start, offset, roll="forward").astype(np.int64)


def _quarter_end(days: np.ndarray) -> np.ndarray:
    """The last weekday of each day's quarter: when a team's quarterly review closes out
    the leads that went quiet."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    next_quarter = ((months // 3 + 1) * 3).astype("datetime64[M]").astype("datetime64[D]")
    return _snap_back(next_quarter.astype(np.int64) - 1)


def _to_date(days: np.ndarray) -> pl.Series:
    values = pl.Series(days.astype(np.int32))
    return pl.select(pl.when(values != NO_DATE).then(values).cast(pl.Date)).to_series()


# --- the leads -------------------------------------------------------------------------------


@dataclass
class _Leads:
    created: np.ndarray  # day numbers, sorted
    owner: np.ndarray  # consultant index
    dates: np.ndarray  # (stages, leads) day numbers, NO_DATE where not reached nor scheduled
    status: np.ndarray  # index into STATUS_LABELS
    lost_reason: list[str]  # reasons indexed by reason_code
    reason_code: np.ndarray  # -1 for none
    activity_end: np.ndarray  # last day the lead was worked (calls stop then)
    closed: np.ndarray  # the day a lost or declined lead was closed, else NO_DATE
    filled_stage: int  # index of the catalogue's filled milestone


def _simulate_leads(
    rng: np.random.Generator,
    count: int,
    as_of_day: int,
    stages: list[_Stage],
    consultants: _Consultants,
) -> _Leads:
    weekdays = np.arange(as_of_day - HISTORY_DAYS + 1, as_of_day + 1)
    weekdays = weekdays[_weekday(weekdays) < 5]
    # Skewed towards recent months: the agency has been growing.
    created = weekdays[(len(weekdays) * rng.random(count) ** 0.85).astype(np.int64)]
    owner_weights = consultants.activity / consultants.activity.sum()
    owner = rng.choice(len(consultants.names), size=count, p=owner_weights)
    skill = consultants.skill[owner]
    stage_count = len(stages)
    gaps = np.stack(
        [
            rng.integers(stage.profile.min_gap_days, stage.profile.max_gap_days + 1, count)
            for stage in stages
        ]
    )

    anchor_stage = np.full(count, -1)
    anchor_leads, anchor_targets, anchor_days = _plan_anchors(rng, count, as_of_day, stages)
    if len(anchor_leads):
        anchor_stage[anchor_leads] = anchor_targets
        forced = np.full((stage_count, len(anchor_leads)), NO_DATE, dtype=np.int64)
        day = anchor_days.astype(np.int64)
        last_weekday_before = _snap_back(np.array(as_of_day - 1))
        for k in range(stage_count - 1, -1, -1):
            reached = anchor_targets >= k
            forced[k] = np.where(reached, day, NO_DATE)
            # Only the target itself may lie after as_of: earlier milestones have happened.
            earlier = np.minimum(
                _snap_back(day - np.maximum(gaps[k, anchor_leads], 1)), last_weekday_before
            )
            day = np.where(reached, earlier, day)
        created[anchor_leads] = day

    reasons = [DECLINED_REASON]
    for stage in stages:
        reasons.extend(r for r in stage.profile.lost_reasons if r not in reasons)

    declined = (rng.random(count) < DECLINE_PROBABILITY) & (anchor_stage < 0)
    status = np.where(declined, DECLINED, OPEN).astype(np.int8)
    reason_code = np.where(declined, 0, -1).astype(np.int16)
    dates = np.full((stage_count, count), NO_DATE, dtype=np.int64)
    previous = created.astype(np.int64)
    active = ~declined
    end = np.full(count, as_of_day, dtype=np.int64)
    decided_day = _snap_forward(created + rng.integers(0, 10, count))
    end[declined] = np.minimum(decided_day[declined], as_of_day)
    closed = np.where(declined, end, NO_DATE)

    for k, stage in enumerate(stages):
        profile = stage.profile
        if len(anchor_leads):
            active[anchor_leads[anchor_targets == k - 1]] = False
        day = _snap_forward(previous + gaps[k])
        pass_probability = profile.pass_probability ** (1.0 / skill)
        passes = rng.random(count) < pass_probability
        stalls = rng.random(count) < STALL_PROBABILITY
        if len(anchor_leads):
            forcing = anchor_targets >= k
            day[anchor_leads[forcing]] = forced[k, forcing]
            passes[anchor_leads[forcing]] = True
            stalls[anchor_leads[forcing]] = False
        if profile.dies_on_the_day:
            death = day
        else:
            fraction = rng.uniform(0.3, 1.0, count)
            death = _snap_forward(previous + np.maximum(1, np.round(gaps[k] * fraction)))
        reason_pick = rng.integers(0, len(profile.lost_reasons), count)
        stage_reason_codes = np.array([reasons.index(r) for r in profile.lost_reasons])

        stall_now = active & stalls
        end[stall_now] = np.minimum(previous[stall_now] + 7, as_of_day)
        active &= ~stalls
        # Most leads that went quiet long ago were eventually closed as lost.
        closed_out = stall_now & (previous < as_of_day - 90) & (rng.random(count) < 0.8)
        status[closed_out] = LOST
        reason_code[closed_out] = stage_reason_codes[reason_pick[closed_out]]
        closed[closed_out] = np.minimum(_quarter_end(end[closed_out]), as_of_day)

        fail = active & ~passes
        lost_now = fail & (death <= as_of_day)
        status[lost_now] = LOST
        reason_code[lost_now] = stage_reason_codes[reason_pick[lost_now]]
        end[lost_now] = death[lost_now]
        closed[lost_now] = death[lost_now]

        in_future = day > as_of_day
        succeed = active & passes
        reached_now = succeed & ~in_future
        # An appointment (interview, start, probation end) in the future is already written in
        # the tracker as a scheduled date; other milestones are only written once they happen.
        scheduled = active & in_future & (passes | (fail & ~lost_now)) & stage.is_appointment
        record = reached_now | scheduled
        dates[k, record] = day[record]
        previous = np.where(reached_now, day, previous)
        active = reached_now

    completed = active.copy()
    filled_index = next(k for k, stage in enumerate(stages) if stage.is_filled)
    filled_day = dates[filled_index]
    has_filled = (filled_day != NO_DATE) & (filled_day <= as_of_day) & (status == OPEN)
    if stages[filled_index].needs_confirmation:
        recent = (filled_day >= as_of_day - 3) & (filled_day < as_of_day)
        unconfirmed = has_filled & (
            (filled_day == as_of_day) | (recent & (rng.random(count) < 0.35))
        )
        dates[filled_index + 1 :, unconfirmed] = NO_DATE
        completed &= ~unconfirmed
        has_filled &= ~unconfirmed
    last_is_filled = filled_index == stage_count - 1
    status[has_filled] = FILLED
    status[completed] = FILLED if last_is_filled else COMPLETED
    end[completed] = np.minimum(dates[-1, completed], as_of_day)

    order = np.argsort(created, kind="stable")
    return _Leads(
        created=created[order],
        owner=owner[order],
        dates=dates[:, order],
        status=status[order],
        lost_reason=reasons,
        reason_code=reason_code[order],
        activity_end=np.maximum(end, created)[order],
        closed=np.where(closed == NO_DATE, NO_DATE, np.maximum(closed, created))[order],
        filled_stage=filled_index,
    )


def _plan_anchors(
    rng: np.random.Generator, count: int, as_of_day: int, stages: list[_Stage]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leads forced to an appointment on as_of and within the 14 days after it.

    Chance alone leaves a small demo without a start date today; these few leads guarantee
    that every appointment milestone is due on as_of and soon after, so a call list is never
    empty.
    """
    targets = [k for k, stage in enumerate(stages) if stage.is_appointment]
    if count < 20 or not targets:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    anchor_targets = np.repeat(np.array(targets), 2)
    offsets = np.tile(np.array([0, 1]), len(targets)) * rng.integers(1, 15, len(anchor_targets))
    days = _snap_forward(as_of_day + offsets)
    days = np.where(offsets == 0, as_of_day, np.minimum(days, as_of_day + 14))
    anchor_leads = rng.choice(count, size=len(anchor_targets), replace=False)
    return anchor_leads, anchor_targets, days


def _choice(
    rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...], size: int
) -> pl.Series:
    """`size` picks from `options` with the given relative weights."""
    probabilities = np.asarray(weights, dtype=float)
    codes = rng.choice(len(options), size=size, p=probabilities / probabilities.sum())
    return pl.Series(options).gather(codes)


def _lead_frame(
    rng: np.random.Generator, data: _Leads, consultants: _Consultants, stages: list[_Stage]
) -> pl.DataFrame:
    """One row per lead with typed columns (dates as pl.Date, salary as integer)."""
    count = len(data.created)
    team_of_lead = np.asarray(consultants.teams)[data.owner]

    # Clients: each belongs to one team; a few big clients give many leads (Zipf-like).
    client_count = max(12, count // 6)
    combos = len(COMPANY_FIRST) * len(COMPANY_SECOND) * len(COMPANY_TRADE) * len(COMPANY_SUFFIX)
    combo = rng.choice(combos, size=client_count, replace=client_count > combos)
    combo, suffix = np.divmod(combo, len(COMPANY_SUFFIX))
    combo, trade = np.divmod(combo, len(COMPANY_TRADE))
    first, second = np.divmod(combo, len(COMPANY_SECOND))
    client_team = rng.integers(0, len(TEAMS), client_count)
    client_team[: len(TEAMS)] = np.arange(len(TEAMS))
    client = np.zeros(count, dtype=np.int64)
    role = np.zeros(count, dtype=np.int64)
    role_offset = 0
    role_table = [role for team in TEAMS for role in ROLES[team]]
    for team_index, team in enumerate(TEAMS):
        in_team = np.flatnonzero(team_of_lead == team_index)
        team_clients = np.flatnonzero(client_team == team_index)
        weights = 1.0 / (np.arange(len(team_clients)) + 1.0) ** 0.7
        client[in_team] = team_clients[
            rng.choice(len(team_clients), size=len(in_team), p=weights / weights.sum())
        ]
        role[in_team] = role_offset + rng.integers(0, len(ROLES[team]), len(in_team))
        role_offset += len(ROLES[team])
    role_min = np.array([low for _, low, _ in role_table])[role]
    role_max = np.array([high for _, _, high in role_table])[role]
    salary = (np.round(rng.uniform(role_min, role_max) / 500) * 500).astype(np.int64)

    # Up to three contacts per client, each with a drama-range number (no real phones).
    slots = 3
    contact_slot = client * slots + (rng.random(count) * rng.integers(1, slots + 1, count)).astype(
        np.int64
    )
    contact_first = rng.integers(0, len(FIRST_NAMES), client_count * slots)[contact_slot]
    contact_last = rng.integers(0, len(LAST_NAMES), client_count * slots)[contact_slot]
    is_mobile = (rng.random(client_count * slots) < 0.6)[contact_slot]
    number = rng.integers(0, 1000, client_count * slots)[contact_slot]

    frame = pl.DataFrame(
        {
            "first": pl.Series(FIRST_NAMES).gather(contact_first),
            "last": pl.Series(LAST_NAMES).gather(contact_last),
            "c1": pl.Series(COMPANY_FIRST).gather(first[client]),
            "c2": pl.Series(COMPANY_SECOND).gather(second[client]),
            "c3": pl.Series(COMPANY_TRADE).gather(trade[client]),
            "c4": pl.Series(COMPANY_SUFFIX).gather(suffix[client]),
            "mobile": is_mobile,
            "number": number,
        }
    )
    width = max(6, len(str(count)))
    reasons = pl.Series(data.lost_reason)
    frame = frame.select(
        Ref=pl.lit("L") + pl.int_range(1, count + 1, eager=False).cast(pl.String).str.zfill(width),
        **{"Date generated": _to_date(data.created)},
        Consultant=pl.Series(consultants.names).gather(data.owner).cast(pl.Enum(consultants.names)),
        Client=pl.concat_str("c1", "c2", "c3", "c4", separator=" "),
        Contact=pl.concat_str("first", "last", separator=" "),
        Phone=pl.when("mobile")
        .then(pl.lit("07700 900") + pl.col("number").cast(pl.String).str.zfill(3))
        .otherwise(pl.lit("020 7946 0") + pl.col("number").cast(pl.String).str.zfill(3)),
        Email=pl.concat_str(
            pl.col("first").str.to_lowercase(),
            pl.lit("."),
            pl.col("last").str.to_lowercase().str.replace_all("'", ""),
            pl.lit("@"),
            pl.concat_str("c1", "c2", "c3").str.to_lowercase(),
            pl.lit(".example"),
        ),
        Role=pl.Series([title for title, _, _ in role_table]).gather(role),
        Salary=pl.Series(salary),
        **{"Fee %": pl.Series(FEE_PERCENTAGES).gather(
            rng.choice(len(FEE_PERCENTAGES), size=count, p=FEE_WEIGHTS)
        )},
        Status=pl.Series(STATUS_LABELS).gather(data.status.astype(np.int64)),
        **{"Lost reason": pl.when(pl.Series(data.reason_code) >= 0).then(
            reasons.gather(np.maximum(data.reason_code, 0).astype(np.int64))
        )},
        **{"Date closed": _to_date(data.closed)},
        Notes=_choice(rng, LEAD_NOTES, LEAD_NOTE_WEIGHTS, count),
        **{stage.label: _to_date(data.dates[k]) for k, stage in enumerate(stages)},
    )  # fmt: skip
    return frame.with_columns(pl.col("Notes").replace("", None))


# --- events ------------------------------------------------------------------------------------


def _events_frame(
    rng: np.random.Generator,
    data: _Leads,
    lead_frame: pl.DataFrame,
    stages: list[_Stage],
    as_of_day: int,
) -> pl.DataFrame:
    """Candidate-level events for about 30% of the leads that reached a per-candidate stage.

    Candidate 1 carries the lead's own dates, so the lead-level date in the tracker is the
    earliest candidate's; others are 0-4 weekdays later and may drop out at any stage.
    """
    candidate_stages = [k for k, stage in enumerate(stages) if stage.profile.per_candidate]
    empty = pl.DataFrame(schema=dict.fromkeys(EVENTS_COLUMNS, pl.String))
    if not candidate_stages:
        return empty
    has_any = (data.dates[candidate_stages] != NO_DATE).any(axis=0)
    chosen = np.flatnonzero(has_any & (rng.random(len(has_any)) < 0.3))
    if len(chosen) == 0:
        return empty
    per_lead = rng.integers(1, 4, len(chosen))
    lead = np.repeat(chosen, per_lead)
    first_of_lead = np.concatenate(([0], np.cumsum(per_lead)[:-1]))
    candidate_number = np.arange(len(lead)) - np.repeat(first_of_lead, per_lead)
    shift = np.where(candidate_number == 0, 0, rng.integers(0, 5, len(lead)))
    # How many of the per-candidate stages each candidate got through.
    keeps_up_to = np.where(
        candidate_number == 0, len(candidate_stages), rng.integers(1, len(candidate_stages) + 1)
    )
    candidate_first = rng.integers(0, len(FIRST_NAMES), len(lead))
    candidate_last = rng.integers(0, len(LAST_NAMES), len(lead))

    parts = []
    for position, k in enumerate(candidate_stages):
        lead_day = data.dates[k, lead]
        day = _snap_forward(lead_day + shift)
        keep = (lead_day != NO_DATE) & (keeps_up_to > position)
        if not stages[k].is_appointment:
            keep &= day <= as_of_day
        parts.append(
            pl.DataFrame(
                {
                    "lead": lead[keep],
                    "order": np.full(int(keep.sum()), position),
                    "candidate": np.arange(len(lead))[keep],
                    "day": day[keep],
                    "first": candidate_first[keep],
                    "last": candidate_last[keep],
                }
            )
        )
    events = pl.concat(parts).sort("lead", "candidate", "order")
    labels = pl.Series([stages[k].label for k in candidate_stages])
    return events.select(
        **{"Lead ID": lead_frame["Ref"].gather(events["lead"])},
        Stage=labels.gather(events["order"]),
        Date=_to_date(events["day"].to_numpy()),
        Candidate=pl.concat_str(
            pl.Series(FIRST_NAMES).gather(events["first"]),
            pl.Series(LAST_NAMES).gather(events["last"]),
            separator=" ",
        ),
    )


# --- calls ---------------------------------------------------------------------------------------


def _calls_frame(
    rng: np.random.Generator,
    data: _Leads,
    lead_frame: pl.DataFrame,
    consultants: _Consultants,
    stages: list[_Stage],
    as_of_day: int,
) -> pl.DataFrame:
    """The call log: about ten calls a lead, by its owner, on weekdays up to as_of.

    Each lead's first call is a connected one on its creation day; the rest fall between then
    and the day the lead stopped being worked (its loss, the probation end, the day it went
    quiet, or as_of). A confirmed start gets a connected call on the start day. About 5% of
    calls are business development calls with no lead.
    """
    count = len(data.created)
    reached = ((data.dates != NO_DATE) & (data.dates <= as_of_day)).sum(axis=0)
    activity = consultants.activity[data.owner]
    expected = np.where(data.status == DECLINED, 1.5, (6.0 + 2.2 * reached) * activity)
    per_lead = 1 + rng.poisson(expected)
    lead = np.repeat(np.arange(count), per_lead)
    start = data.created[lead]
    day = _weekday_between(start, data.activity_end[lead], rng.random(len(lead)))
    first_call = np.concatenate(([0], np.cumsum(per_lead)[:-1]))
    day[first_call] = data.created
    outcome = rng.choice(len(CALL_OUTCOMES), size=len(lead), p=CALL_OUTCOME_WEIGHTS)
    outcome[first_call] = 0
    notes = rng.choice(len(CALL_NOTES), size=len(lead), p=CALL_NOTE_WEIGHTS)
    status = data.status[lead]
    # A connected call on or after the start day would confirm the start, so an open lead
    # whose start is still unconfirmed has had no connected call since.
    start_day = data.dates[data.filled_stage, lead]
    awaiting_confirmation = (
        (status == OPEN) & (start_day != NO_DATE) & (start_day <= as_of_day) & (day >= start_day)
    )
    outcome[awaiting_confirmation & (outcome == 0)] = CALL_OUTCOMES.index("Voicemail")

    # Agreed call-backs: open leads a few days on; some declined leads "in a few months".
    callback = np.full(len(lead), NO_DATE, dtype=np.int64)
    connected = outcome == 0
    wants_callback = connected & (
        ((status == OPEN) & (rng.random(len(lead)) < 0.2))
        | ((status == DECLINED) & (rng.random(len(lead)) < 0.25))
    )
    later = np.where(
        status == DECLINED, rng.integers(60, 120, len(lead)), rng.integers(1, 15, len(lead))
    )
    callback[wants_callback] = _snap_forward(day + later)[wants_callback]
    # Guarantee call-backs agreed for as_of itself and for the week after.
    recent_open = np.flatnonzero(
        (status == OPEN) & ~awaiting_confirmation & (day < as_of_day) & (day >= as_of_day - 14)
    )
    if len(recent_open) == 0:
        recent_open = np.flatnonzero(day < as_of_day)
    if len(recent_open):
        pinned = rng.choice(
            recent_open, size=min(len(recent_open), max(4, count // 250)), replace=False
        )
        outcome[pinned] = 0
        callback[pinned] = np.where(
            np.arange(len(pinned)) % 2 == 0,
            as_of_day,
            _snap_forward(as_of_day + rng.integers(1, 8, len(pinned))),
        )
    # A few open leads asked, on their latest call, to be called on the day of an appointment
    # in the fortnight ahead: two reasons due on one day, which the call list shows as one call.
    appointments = data.dates[[k for k, stage in enumerate(stages) if stage.is_appointment]]
    ahead = np.where(
        (appointments > as_of_day) & (appointments <= as_of_day + 14), appointments, NO_DATE
    ).max(axis=0, initial=NO_DATE)
    latest = np.full(count, NO_DATE, dtype=np.int64)
    np.maximum.at(latest, lead, day)
    asking = np.flatnonzero(
        (status == OPEN)
        & ~awaiting_confirmation
        & (day == latest[lead])
        & (day < as_of_day)
        & (ahead[lead] != NO_DATE)
    )
    if len(asking):
        asking = rng.choice(asking, size=min(len(asking), 3), replace=False)
        outcome[asking] = 0
        callback[asking] = ahead[lead[asking]]
    notes = np.where(callback != NO_DATE, len(CALL_NOTES), notes)

    # A connected call on the start day confirms every start counted as filled.
    confirm_day = data.dates[data.filled_stage]
    started = np.flatnonzero(
        (confirm_day != NO_DATE)
        & (confirm_day <= as_of_day)
        & np.isin(data.status, (FILLED, COMPLETED, LOST))
    )
    confirm_day = confirm_day[started]

    bd_count = round(len(lead) / 19)
    bd_owner = rng.choice(
        len(consultants.names), size=bd_count, p=consultants.activity / consultants.activity.sum()
    )
    bd_day = _weekday_between(
        _snap_forward(np.full(bd_count, as_of_day - HISTORY_DAYS + 1)),
        np.full(bd_count, as_of_day),
        rng.random(bd_count),
    )

    note_options = [*CALL_NOTES, CALLBACK_NOTE, START_CONFIRMED_NOTE, *BD_NOTES]
    all_lead = np.concatenate((lead, started, np.full(bd_count, -1)))
    all_day = np.concatenate((day, confirm_day, bd_day))
    all_owner = np.concatenate((data.owner[lead], data.owner[started], bd_owner))
    all_outcome = np.concatenate(
        (
            outcome,
            np.zeros(len(started), dtype=np.int64),
            rng.choice(len(CALL_OUTCOMES), size=bd_count, p=CALL_OUTCOME_WEIGHTS),
        )
    )
    all_callback = np.concatenate((callback, np.full(len(started) + bd_count, NO_DATE)))
    all_notes = np.concatenate(
        (
            notes,
            np.full(len(started), len(CALL_NOTES) + 1),
            len(CALL_NOTES) + 2 + rng.choice(len(BD_NOTES), size=bd_count, p=BD_NOTE_WEIGHTS),
        )
    )
    total = len(all_lead)
    hour = rng.choice(
        np.arange(8, 18), size=total, p=np.array([4, 9, 10, 9, 6, 6, 8, 8, 6, 4]) / 70
    )
    minute_of_day = hour * 60 + rng.integers(0, 60, total)
    stamp = all_day * 1440 + minute_of_day
    order = np.lexsort((all_lead, stamp))

    width = max(8, len(str(total)))
    refs = lead_frame["Ref"]
    lead_sorted = all_lead[order]
    note_series = pl.Series(note_options).gather(all_notes[order])
    return pl.DataFrame(
        {
            "Call ID": pl.select(
                pl.lit("C") + pl.int_range(1, total + 1).cast(pl.String).str.zfill(width)
            ).to_series(),
            "Lead ID": pl.select(
                pl.when(pl.Series(lead_sorted) >= 0).then(refs.gather(np.maximum(lead_sorted, 0)))
            ).to_series(),
            "Consultant": pl.Series(consultants.names)
            .cast(pl.Enum(consultants.names))
            .gather(all_owner[order]),
            "Date/Time": pl.Series(stamp[order] * 60_000)
            .cast(pl.Datetime("ms"))
            .dt.strftime("%d/%m/%Y %H:%M"),
            "Outcome": pl.Series(CALL_OUTCOMES)
            .cast(pl.Enum(list(CALL_OUTCOMES)))
            .gather(all_outcome[order]),
            "Call back on": _to_date(all_callback[order]).dt.strftime("%d/%m/%Y"),
            "Notes": pl.select(pl.when(note_series != "").then(note_series)).to_series(),
        }
    )


# --- the tracker's deliberate mess -------------------------------------------------------------


@dataclass(frozen=True)
class _Quirks:
    duplicate_after: int | None = None  # lead position whose row is repeated right below it
    blank_after: int | None = None  # lead position followed by an empty row
    impossible_date: int | None = None
    missing_consultant: int | None = None
    ticks: tuple[tuple[int, int, str], ...] = ()  # (lead position, stage index, tick)
    text_salaries: tuple[int, ...] = ()

    def file_row(self, position: int) -> int:
        """1-based row in the tracker file (header is row 1) of the lead at `position`."""
        inserted = sum(
            after is not None and after < position
            for after in (self.duplicate_after, self.blank_after)
        )
        return position + 2 + inserted


def _plan_quirks(
    rng: np.random.Generator, data: _Leads, stages: list[_Stage], as_of_day: int, messy: bool
) -> _Quirks:
    if not messy:
        return _Quirks()
    count = len(data.created)
    reached = (data.dates != NO_DATE) & (data.dates <= as_of_day)
    bad = rng.choice(count, size=4, replace=False)
    tickable = np.setdiff1d(np.flatnonzero(reached.any(axis=0)), bad)
    tick_leads = np.sort(rng.choice(tickable, size=min(6, len(tickable)), replace=False))
    ticks = []
    for index, lead in enumerate(tick_leads):
        stage = int(rng.choice(np.flatnonzero(reached[:, lead])))
        ticks.append((int(lead), stage, TICKS[index % len(TICKS)]))
    salaried = np.setdiff1d(np.arange(count), np.concatenate((bad, tick_leads)))
    text_salaries = np.sort(rng.choice(salaried, size=5, replace=False))
    return _Quirks(
        duplicate_after=int(bad[0]),
        blank_after=int(bad[1]),
        impossible_date=int(bad[2]),
        missing_consultant=int(bad[3]),
        ticks=tuple(ticks),
        text_salaries=tuple(int(lead) for lead in text_salaries),
    )


def _bad_rows(quirks: _Quirks, refs: pl.Series) -> tuple[BadRow, ...]:
    if quirks.duplicate_after is None or quirks.blank_after is None:
        return ()
    rows = [
        BadRow(
            quirks.file_row(quirks.duplicate_after) + 1,
            refs[quirks.duplicate_after],
            "duplicate",
            BAD_ROW_KINDS["duplicate"],
        ),
        BadRow(
            quirks.file_row(quirks.blank_after)
            + 1
            + (quirks.duplicate_after == quirks.blank_after),
            None,
            "blank",
            BAD_ROW_KINDS["blank"],
        ),
    ]
    for kind, position in (
        ("impossible_date", quirks.impossible_date),
        ("missing_consultant", quirks.missing_consultant),
    ):
        assert position is not None
        rows.append(BadRow(quirks.file_row(position), refs[position], kind, BAD_ROW_KINDS[kind]))
    return tuple(sorted(rows, key=lambda bad_row: bad_row.row))


def _with_inserted_rows(frame: pl.DataFrame, quirks: _Quirks) -> pl.DataFrame:
    """The tracker rows in file order: each lead, plus the duplicate and the blank row."""
    keyed = frame.with_columns(_key=pl.int_range(pl.len(), dtype=pl.Int64) * 2)
    extra = []
    if quirks.duplicate_after is not None:
        copy = keyed.slice(quirks.duplicate_after, 1)
        extra.append(copy.with_columns(pl.col("_key") + 1))
    if quirks.blank_after is not None:
        blank = keyed.clear(1).with_columns(_key=pl.lit(quirks.blank_after * 2 + 1, pl.Int64))
        extra.append(blank)
    return pl.concat([keyed, *extra]).sort("_key", maintain_order=True).drop("_key")


def _write_tracker_xlsx(
    path: Path, lead_frame: pl.DataFrame, stages: list[_Stage], quirks: _Quirks, as_of: date
) -> None:
    frame = lead_frame.with_columns(pl.col("Consultant").cast(pl.String))
    if quirks.missing_consultant is not None:
        frame = frame.with_columns(
            frame["Consultant"].scatter(quirks.missing_consultant, None).alias("Consultant")
        )
    frame = _with_inserted_rows(frame, quirks)
    workbook = xlsxwriter.Workbook(
        path,
        {
            "nan_inf_to_errors": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "default_date_format": "dd/mm/yyyy",
        },
    )
    # A fixed creation time keeps the file byte-identical for the same arguments.
    workbook.set_properties({"created": datetime(as_of.year, as_of.month, as_of.day)})
    sheet = workbook.add_worksheet("Tracker")
    frame.write_excel(
        workbook,
        sheet,
        table_style="Table Style Light 9",
        dtype_formats={pl.Date: "dd/mm/yyyy"},
        column_formats={"Salary": "#,##0", "Fee %": "General"},
        autofilter=True,
        freeze_panes=(1, 1),
        column_widths={"Client": 260, "Role": 180, "Email": 260, "Contact": 130},
    )
    columns = {name: index for index, name in enumerate(frame.columns)}
    if quirks.impossible_date is not None:
        sheet.write_string(
            quirks.file_row(quirks.impossible_date) - 1,
            columns["Date generated"],
            IMPOSSIBLE_DATE_TEXT,
        )
    for lead, stage, tick in quirks.ticks:
        sheet.write_string(quirks.file_row(lead) - 1, columns[stages[stage].label], tick)
    salaries = lead_frame["Salary"]
    for lead in quirks.text_salaries:
        sheet.write_string(quirks.file_row(lead) - 1, columns["Salary"], f"£{salaries[lead]:,}")
    workbook.close()


def _write_tracker_csv(
    path: Path, lead_frame: pl.DataFrame, stages: list[_Stage], quirks: _Quirks
) -> None:
    fee = pl.col("Fee %")
    frame = lead_frame.with_columns(
        pl.col(pl.Date).dt.strftime("%d/%m/%Y"),
        pl.col("Consultant").cast(pl.String),
        pl.col("Salary").cast(pl.String),
        pl.when(fee == fee.round())
        .then(fee.cast(pl.Int64).cast(pl.String))
        .otherwise(fee.cast(pl.String)),
    )
    updates: dict[str, tuple[list[int], list[str | None]]] = {}

    def put(column: str, position: int, value: str | None) -> None:
        positions, values = updates.setdefault(column, ([], []))
        positions.append(position)
        values.append(value)

    if quirks.missing_consultant is not None:
        put("Consultant", quirks.missing_consultant, None)
    if quirks.impossible_date is not None:
        put("Date generated", quirks.impossible_date, IMPOSSIBLE_DATE_TEXT)
    for lead, stage, tick in quirks.ticks:
        put(stages[stage].label, lead, tick)
    for lead in quirks.text_salaries:
        put("Salary", lead, f"£{lead_frame['Salary'][lead]:,}")
    frame = frame.with_columns(
        frame[column].scatter(positions, values) for column, (positions, values) in updates.items()
    )
    _with_inserted_rows(frame, quirks).write_csv(path)
