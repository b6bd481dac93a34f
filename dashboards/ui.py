"""What every page shares: the warehouse and sidebar context, cached queries that turn errors
into messages, drill-downs to the leads behind a number, and download buttons."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from dashboards import exports, queries
from leadtrack.publish import refresh_copy, refresh_from_postgres
from leadtrack.settings import DEFAULT_WAREHOUSE, Settings, load_settings, marts_path

log = logging.getLogger(__name__)

CACHE_SECONDS = 300
PINNED = "_leadtrack_build"
# A list of leads shows its newest rows up to this many (LEADTRACK_LIST_ROWS; the browser
# test makes it small), with the count of all of them; the downloads hold them all, read
# only when a download button is clicked.
LIST_ROWS = int(os.environ.get("LEADTRACK_LIST_ROWS") or 1_000)
# The lead search lists this many matches (the newest), and says when there are more.
SEARCH_ROWS = 50
# What identifies one published file: `leadtrack.publish` renames a new file over the old
# one, so a new build has a new inode (and a new modification time).
Stamp = tuple[int, int]


@dataclass
class Reader:
    """The app's handle on the published marts: its path, one read-only connection per
    published build, and the last good answer to each query, shown if the file cannot be
    opened for a moment (at worst one build old)."""

    path: str
    last_good: dict[str, Any] = field(default_factory=dict)
    build: tuple[Stamp, duckdb.DuckDBPyConnection] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current_build(self) -> tuple[Stamp, duckdb.DuckDBPyConnection]:
        """The build published now and a connection to it, opened once per build. A
        connection keeps reading the file it opened even after the next publish renames a
        new one over it, so everything read through it comes from one build."""
        stamp = _stamp(self.path)
        with self.lock:
            if self.build is None or self.build[0] != stamp:
                self.build = (stamp, queries.connect_read_only(self.path))
            return self.build


@dataclass(frozen=True)
class Context:
    """The as-of date and the sidebar's choices, set by app.py on every run."""

    warehouse: str
    as_of: date
    period: str
    scope: queries.Scope
    catalogue: pl.DataFrame = field(compare=False, hash=False)

    @property
    def filled(self) -> str:
        """The label of the milestone that fills a lead ("Start date", "Won")."""
        return queries.filled_label(self.catalogue)

    @property
    def period_label(self) -> str:
        return (
            f"{queries.PERIODS[self.period]}: {self.scope.start:%d %b %Y} – "
            f"{self.scope.end:%d %b %Y}"
        )


def warehouse_path() -> str:
    """The published marts of the warehouse every stage uses (see `leadtrack.publish`)."""
    return str(marts_path(os.environ.get("LEADTRACK_WAREHOUSE") or DEFAULT_WAREHOUSE))


@st.cache_resource
def reader(path: str) -> Reader:
    return Reader(path)


def _stamp(path: str) -> Stamp:
    try:
        status = Path(path).stat()
    except OSError:
        return (0, 0)
    return (status.st_ino, status.st_mtime_ns)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached(
    path: str,
    stamp: Stamp,
    name: str,
    args: tuple,
    kwargs: tuple,
    _build: duckdb.DuckDBPyConnection,
) -> Any:
    # The cache key is the file and its build; the connection (not hashed) reads that build.
    with queries.cursor(_build) as cursor:
        return getattr(queries, name)(cursor, *args, **dict(kwargs))


# How long a page view waits for its check of the team's latest build (a one-row query; and
# the copy, when there is a new build) before it shows the build it has.
REFRESH_WAIT_SECONDS = 2.0


@dataclass
class Freshness:
    """Whether this process could bring its local copy of a PostgreSQL warehouse's marts up
    to the team's latest build: why not, the last time it tried (None: it could), and the
    attempt under way. One attempt at a time: a page view that finds one under way (a new
    build being copied, a server slow to answer) does not start another or wait for it."""

    problem: str | None = None
    attempt: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, settings: Settings) -> None:
        try:
            self.problem = refresh_copy(settings).problem
        except Exception as error:  # the copy deleted meanwhile, a disk full: say so too
            self.problem = str(error) or type(error).__name__
        if self.problem:
            log.warning("kept the marts of the last build: %s", self.problem)


@st.cache_resource
def freshness(path: str) -> Freshness:
    return Freshness()


def refresh_shared_warehouse() -> str | None:
    """On PostgreSQL, bring the local copy of the marts up to the team's latest build; why it
    could not be, when the copy shown may be out of date (None: it is the latest, as far as
    this process knows). With a copy, in the background, waited for `REFRESH_WAIT_SECONDS`:
    the page view then shows the build it has (at worst one build old; a later view shows
    the new one), and what the last attempt to fetch it found. Without one, first (`leadtrack
    dashboard` fetched one before serving, so only a copy deleted since gets here)."""
    settings = load_settings()
    if settings.target != "postgres":
        return None
    from leadtrack.postgres import PostgresError

    if settings.marts.exists():
        state = freshness(str(settings.marts))
        with state.lock:
            attempt = state.attempt
            start = attempt is None or not attempt.is_alive()
            if start:
                attempt = threading.Thread(target=state.refresh, args=(settings,), daemon=True)
                state.attempt = attempt
                attempt.start()
        if start:
            attempt.join(REFRESH_WAIT_SECONDS)
        return state.problem
    try:
        refresh_from_postgres(settings)
    except PostgresError as error:
        st.error(f"The team's marts could not be fetched from PostgreSQL: {error}")
    return None


def stale_copy_warning(problem: str) -> None:
    """Say, above the page, that it shows this machine's copy of the team's marts, which
    could not be brought up to date (`problem`: why), naming the build it holds (of the
    pinned build: the one the page shows), and what to do: what `leadtrack dashboard` says
    on the command line."""
    try:
        with queries.cursor(pinned()) as cursor:
            built = queries.built_at(cursor)
    except queries.WarehouseUnavailable:
        built = None  # the page says why it cannot read the copy
    which = f"the build of {built:%d/%m/%Y %H:%M}" if built else "an earlier build"
    why = " ".join(problem.split()).replace("`", "'")
    st.warning(
        "**This may be out of date.** The team's latest build could not be fetched from"
        f" PostgreSQL, so this shows this machine's copy of the team's marts, {which}. Check"
        " that PostgreSQL is running and `LEADTRACK_POSTGRES_READER_URL` is right (or tell"
        " whoever looks after the team's warehouse): the dashboard fetches the latest build"
        f" on the next page view once it can. Why: `{why}`",
        icon=":material/cloud_off:",
    )


def pin_build() -> None:
    """Fix the build this run of the page reads, so every figure on it comes from the same
    build even if a new one is published while the page runs. app.py calls it first, once
    `refresh_shared_warehouse` has brought the copy up to date."""
    st.session_state.pop(PINNED, None)
    try:
        st.session_state[PINNED] = reader(warehouse_path()).current_build()
    except queries.WarehouseUnavailable:
        return  # run() reports it on the page


def pinned() -> duckdb.DuckDBPyConnection:
    """The connection to the build this run of the page reads (see `pin_build`)."""
    stamp_and_build = st.session_state.get(PINNED) or reader(warehouse_path()).current_build()
    return stamp_and_build[1]


def ready() -> bool:
    """True when the published marts hold leads (`queries.marts_ready` on the pinned build,
    or on the path when no build could be pinned, so its errors reach the caller)."""
    if PINNED in st.session_state:
        with queries.cursor(st.session_state[PINNED][1]) as cursor:
            return queries.marts_ready(cursor)
    return queries.marts_ready(warehouse_path())


def deferred(name: str, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """`queries.<name>(*args, **kwargs)` on the build this page shows, run later (a download
    button runs it when clicked, on a thread of its own, without Streamlit)."""
    build = pinned()

    def call() -> Any:
        with queries.cursor(build) as cursor:
            return getattr(queries, name)(cursor, *args, **kwargs)

    return call


def run(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call `queries.<name>(warehouse, *args, **kwargs)` through the cache; a busy, missing
    or failing warehouse becomes a message on the page (and the page stops), never a
    traceback."""
    handle = reader(warehouse_path())
    options = tuple(sorted(kwargs.items()))
    key = repr((name, args, options))
    try:
        stamp, build = st.session_state.get(PINNED) or handle.current_build()
        result = _cached(handle.path, stamp, name, args, options, build)
    except queries.WarehouseBusy as busy:
        if key in handle.last_good:
            st.info("The warehouse is being rebuilt; showing the figures of the previous build.")
            return handle.last_good[key]
        st.warning(str(busy))
        st.stop()
    except queries.WarehouseUnavailable as unavailable:
        st.warning(str(unavailable))
        st.stop()
    except Exception as error:  # a page must never show a stack
        st.error(f"This part of the page could not be shown: {type(error).__name__}: {error}")
        st.stop()
    handle.last_good[key] = result
    return result


def context() -> Context:
    """The context app.py set; a page opened without the router goes back through it."""
    if "context" not in st.session_state:
        st.switch_page(str(Path(__file__).parent / "app.py"))
    return st.session_state["context"]


def linked_index(
    param: str, options: list[Any], default: Any, what: str, text: Callable[[Any], str] = str
) -> int:
    """Where a page's picker starts: at the option the URL's `param` names (a shared link;
    case does not count), else at `default`, saying so when the link names no option."""
    linked = st.query_params.get(param)
    if linked is not None:
        for index, option in enumerate(options):
            if text(option).lower() == linked.lower():
                return index
        st.warning(
            f"The link's {what} '{linked}' is not one to choose here: showing {text(default)}."
        )
    return options.index(default)


def share_choice(param: str, chosen: Any, default: Any, text: Callable[[Any], str] = str) -> None:
    """Put a page's choice in the URL, so a link opens it, unless it is the page's default: a
    bookmark of the page then follows the default (on This week, the week under review)."""
    if chosen == default:
        if param in st.query_params:
            del st.query_params[param]
    else:
        st.query_params[param] = text(chosen)


# A download leaves the page as it is. Streamlit otherwise reruns the page on the click, and
# a rerun that ends before the browser has fetched a list made on the click (`deferred`)
# drops the list as no longer on the page, so the click downloads nothing (a browser test's
# click on a loaded machine once did). The rerun would also run every query of the page
# again, for nothing.
DOWNLOAD_WITHOUT_RERUN = "ignore"


def downloads(frame: pl.DataFrame | Callable[[], pl.DataFrame], name: str, key: str) -> None:
    """CSV and XLSX downloads of a list, formula-like cells neutralised; given a callable
    (see `deferred`), the list is read and converted only when a button is clicked."""
    csv: bytes | Callable[[], bytes]
    xlsx: bytes | Callable[[], bytes]
    if callable(frame):
        csv, xlsx = _converted(frame, exports.to_csv), _converted(frame, exports.to_xlsx)
    else:
        csv, xlsx = exports.to_csv(frame), exports.to_xlsx(frame)
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "Download CSV",
        csv,
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        on_click=DOWNLOAD_WITHOUT_RERUN,
    )
    right.download_button(
        "Download XLSX",
        xlsx,
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
        on_click=DOWNLOAD_WITHOUT_RERUN,
    )


def _converted(
    read: Callable[[], pl.DataFrame], convert: Callable[[pl.DataFrame], bytes]
) -> Callable[[], bytes]:
    return lambda: convert(read())


# Headers that the column's name would not say plainly; any other column is headed by its
# name in words ("days_quiet": "Days quiet").
# Where a milestone's date comes from (lead_milestones.reached_date_source), as the lead's
# timeline says it.
DATE_SOURCES = {
    "recorded": "its own date",
    "later_milestone": "a later milestone's date",
    "load_date": "ticked: the day the tick first appeared",
    "earliest_possible": "ticked, day unknown: the earliest it can have been",
}
# How a closed lead's closed date was found (leads.closed_date_source), as the Lead page says.
CLOSED_DATE_SOURCES = {
    "recorded": "the export's Date closed",
    "load_date": "the day of the first load that showed it closed; it died since the load before",
    "first_load": "the day it was first loaded, already closed; it may have died earlier",
}
LABELS = {
    "lead_id": "Lead",
    # A milestone's label (catalogue order tables: reached against now, stage durations).
    "label": "Milestone",
    "p80_days": "80% within (days)",
    "reached_date_source": "Date from",
    "is_implied": "Implied by a later milestone",
    "is_decision_point": "Decision",
    "leads_at_gate": "Leads at the decision",
    "furthest_milestone_label": "Furthest milestone",
    "quiet_threshold_days": "Quiet after (days)",
    "fee_pct": "Fee %",
    "team_p80_days": "Team 80% within (days)",
    # The History page's pipeline on a past day: live then, or lost or declined by then.
    "on_the_day": "On the day",
    "closed_date": "Closed on or before",
}
MONEY = {"salary", "fee", "expected_fee", "fee_won", "fee_lost"}


def column_config(
    frame: pl.DataFrame,
    formats: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """How a table's columns read to a recruiter: plain headers, UK dates (dd/mm/yyyy; a
    `*_at` timestamp with its time), pounds with thousands separators. `formats`: a date
    column's own format (momentJS, e.g. "MMM YYYY" for a month); `labels`: headers of this
    table's own."""
    config: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        label = (labels or {}).get(name) or LABELS.get(name, name.replace("_", " ").capitalize())
        if dtype == pl.Datetime and name.endswith("_at"):
            config[name] = st.column_config.DatetimeColumn(label, format="DD/MM/YYYY HH:mm")
        elif dtype in (pl.Date, pl.Datetime):
            config[name] = st.column_config.DateColumn(
                label, format=(formats or {}).get(name, "DD/MM/YYYY")
            )
        elif name in MONEY:
            config[name] = st.column_config.NumberColumn(label, format="£%,.0f")
        else:
            config[name] = label
    return config


WHOLE_TABLE_ROWS = 25


def table(
    frame: pl.DataFrame,
    formats: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    into: Any = st,
    **options: Any,
) -> None:
    """`st.dataframe` (in the container `into`) with the columns `column_config` sets, full
    width, without an index. A table of up to `WHOLE_TABLE_ROWS` rows shows them all
    (Streamlit shows ten and scrolls the rest: a funnel's last stages, a lead's timeline);
    a longer one scrolls. An empty text cell shows empty (Streamlit writes "None" in every
    empty cell; numbers and dates keep it, as their columns must stay numbers to sort)."""
    into.dataframe(
        frame.with_columns(pl.col(pl.String).fill_null("")),
        hide_index=True,
        width=options.pop("width", "stretch"),
        height=options.pop("height", "content" if frame.height <= WHOLE_TABLE_ROWS else "auto"),
        column_config=column_config(frame, formats, labels),
        **options,
    )


def dashed(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """The number and date `columns` of a table read in catalogue order (a funnel, a lead's
    timeline) as text, an empty cell as a dash as in the metrics (Streamlit writes "None" in
    an empty number or date cell); numbers as they are, dates dd/mm/yyyy. Only for tables
    nobody sorts by those columns: as text they sort as text."""
    return frame.with_columns(
        pl.when(pl.col(column).is_null())
        .then(pl.lit("–"))
        .otherwise(
            pl.col(column).dt.strftime("%d/%m/%Y")
            if frame.schema[column] in (pl.Date, pl.Datetime)
            else pl.col(column).cast(pl.String)
        )
        .alias(column)
        for column in columns
    )


def lead_table(
    frame: pl.DataFrame, total: int, everything: Callable[[], pl.DataFrame], name: str, key: str
) -> None:
    """A list of leads: its count, its first `LIST_ROWS` rows (`frame`) and downloads of all
    `total` of them (read by `everything` when a button is clicked). An empty number or date
    (a closed lead's days quiet, a lead without a milestone yet) reads a dash, as in the
    metrics; it stays empty in the downloads, and its column stays numbers or dates to sort."""
    if total > frame.height:
        st.caption(
            f"{total:,} leads; the first {frame.height:,} shown, all of them in the downloads"
        )
    else:
        st.caption(f"{total:,} lead{'s' * (total != 1)}")
    table(frame, key=f"{key}-table", placeholder="–")
    if total:
        downloads(everything if total > frame.height else frame, name, key)


def drill(title: str, options: dict[str, queries.LeadCriteria], key: str) -> None:
    """An expander that lists the leads behind the number chosen in it. Streamlit runs an
    expander's body even while it is closed, so nothing is chosen (and nothing is read)
    until someone picks a number."""
    with st.expander(title, expanded=False):
        choice = st.selectbox(
            "Leads behind",
            list(options),
            index=None,
            placeholder="Choose a number to list its leads",
            key=f"{key}-choice",
        )
        if choice is not None:
            criteria = options[choice]
            lead_table(
                run("lead_list", criteria, limit=LIST_ROWS),
                run("lead_count", criteria),
                deferred("lead_list", criteria),
                f"leads-{key}",
                key,
            )


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
