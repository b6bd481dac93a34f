"""Every SQL statement the dashboard (and the notebooks) run, on the marts only.

Each public function takes a *source* (the warehouse path, or an open DuckDB connection) and
plain parameters, and returns a polars data frame; none needs Streamlit. With a path, each
query opens its own read-only connection and closes it at once: a DuckDB writer
(`leadtrack load`, `leadtrack build`) needs the file to itself, so a reader that held a
connection open would block the build, and a build in progress makes readers wait. A query
that meets the writer's lock retries for a moment, then raises `WarehouseBusy`.

User values always travel as bound parameters (`$name`), never inside the SQL text. The only
non-mart relation read is the milestone catalogue model (order, labels, decision points).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

Source = str | Path | duckdb.DuckDBPyConnection

CATALOGUE = "staging.stg_milestone_catalogue"
MODELS = Path(__file__).resolve().parent.parent / "models"
LOCK_ATTEMPTS = 10
LOCK_WAIT_SECONDS = 0.2


class WarehouseUnavailable(Exception):
    """The warehouse cannot answer; the message is for the person looking at the page."""


class WarehouseMissing(WarehouseUnavailable):
    """No warehouse file, or no marts in it yet."""


class WarehouseBusy(WarehouseUnavailable):
    """A load or build holds the warehouse's write lock."""


class QueryFailed(WarehouseUnavailable):
    """A query failed for another reason (a mart changed shape, a bad value)."""


class MartsOutdated(WarehouseUnavailable):
    """The published marts come from a build by an older leadtrack: a mart or a column this
    version builds is not in them (`leadtrack build` makes them anew)."""


@dataclass(frozen=True)
class Scope:
    """What the sidebar chose: a period (inclusive dates) and optionally a team and a
    consultant."""

    start: date
    end: date
    team: str | None = None
    consultant: str | None = None

    def params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LeadCriteria:
    """Which leads a drill-down lists; every field left as None does not filter."""

    created_from: date | None = None
    created_to: date | None = None
    team: str | None = None
    consultant: str | None = None
    status: str | None = None
    statuses: tuple[str, ...] | None = None  # any of these
    furthest_order: int | None = None  # 0: no milestone reached
    furthest_from: int | None = None  # the furthest milestone this one or a later one
    lost_reason: str | None = None
    is_stale: bool | None = None
    reached_from: date | None = None  # with reached_to: reached a milestone in that window
    reached_to: date | None = None
    reached_milestone: str | None = None  # that milestone (any window when no dates given)
    filled_only: bool = False  # the milestone reached in the window is the filled one

    @classmethod
    def created_in(cls, scope: Scope, **more: Any) -> LeadCriteria:
        return cls(
            created_from=scope.start,
            created_to=scope.end,
            team=scope.team,
            consultant=scope.consultant,
            **more,
        )

    @classmethod
    def at_decision(cls, scope: Scope, decision_order: int, number: str) -> LeadCriteria:
        """The leads behind one number of `decision_gates` (`number`: one of its columns
        `DECISION_NUMBERS` names) at the decision point of catalogue order `decision_order`,
        by the same rule: of the leads created in the period that reached the milestone
        before it, passed (reached it), failed (lost or declined there) or pending (open
        there)."""
        before = decision_order - 1
        if number == "leads_at_gate":
            return cls.created_in(scope, furthest_from=before)
        if number == "leads_passed":
            return cls.created_in(scope, furthest_from=decision_order)
        if number == "leads_failed":
            return cls.created_in(scope, furthest_order=before, statuses=("declined", "lost"))
        if number == "leads_pending":
            return cls.created_in(scope, furthest_order=before, status="open")
        raise ValueError(f"not a number of a decision point: {number!r}")


# The numbers `decision_gates` gives per decision point, and how a drill-down names them.
DECISION_NUMBERS = {
    "leads_at_gate": "at the decision",
    "leads_passed": "passed",
    "leads_failed": "failed",
    "leads_pending": "pending",
}

# Filters on a table alias that has `team` and `consultant` (leads, calls_due, stale_leads),
# and on one that has only `consultant` (the weekly and monthly marts).
LEADS_SCOPE = """
    ($team is null or leads.team = $team)
    and ($consultant is null or leads.consultant = $consultant)
"""
CONSULTANT_SCOPE = """
    ($team is null or scoped.consultant in (
        select team_members.consultant from marts.consultants as team_members
        where team_members.team = $team
    ))
    and ($consultant is null or scoped.consultant = $consultant)
"""
CREATED_IN_PERIOD = "leads.created_date between $start and $end"

_PARAMETER = re.compile(r"\$([a-z_]+)")
# The name a read-only connection gives the file it attaches (see `connect_read_only`).
PUBLISHED = "published"
# DuckDB's Python client reads a table name that is not in the catalogue as the Python
# variable of that name in the calling code (a "replacement scan"): a published file without
# `marts.consultants` (built by an older leadtrack) met the function `consultants` here and
# failed with "Python Object ... not suitable for replacement scans". A reader reads the
# marts only, so a missing table is a plain catalogue error.
NO_REPLACEMENT_SCANS = {"python_enable_replacements": False}


def connect_read_only(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse file; waits briefly for a writer to finish.

    The file is attached to a new in-memory database rather than opened with
    `duckdb.connect(path)`: that reuses a database this process already has open at the same
    path, so after a publish renamed a new build over the file, a new connection would still
    read the old build for as long as any connection to it stayed open.
    """
    path = Path(path)
    if not path.exists():
        raise WarehouseMissing(f"There is no warehouse at {path}.")
    quoted = str(path).replace("'", "''")
    for attempt in range(LOCK_ATTEMPTS):
        con = duckdb.connect(config=NO_REPLACEMENT_SCANS)
        try:
            con.execute(f"attach '{quoted}' as {PUBLISHED} (read_only); use {PUBLISHED}")
            return con
        except duckdb.Error as error:
            con.close()
            if "already attached" in str(error):
                # This process already has the file open read-write (a notebook that just
                # built it, a test): share that database rather than fail; only reads run.
                # (Its configuration is the writer's, so the setting is this session's.)
                shared = duckdb.connect(str(path))
                shared.execute("set python_enable_replacements = false")
                return shared
            if "lock" not in str(error).lower():
                raise QueryFailed(f"The warehouse {path} could not be opened: {error}") from None
            time.sleep(LOCK_WAIT_SECONDS * (attempt + 1) / 2)
    raise WarehouseBusy(
        "The warehouse is being rebuilt (a load or build is writing to it). Refresh in a moment."
    )


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor on `con` (a connection of its own, for one thread) reading the same build. A
    cursor starts on the connection's in-memory database, so it switches to the attached
    file; a connection that shares a database opened read-write has nothing to switch."""
    new = con.cursor()
    with suppress(duckdb.CatalogException):
        new.execute(f"use {PUBLISHED}")
    new.execute("set python_enable_replacements = false")  # a session setting: see above
    return new


@contextmanager
def read_only(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse file, closed on leaving."""
    con = connect_read_only(path)
    try:
        yield con
    finally:
        con.close()


def fetch(source: Source, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    """Run one parameterised statement and return its rows. Only the parameters the
    statement names are bound."""
    wanted = set(_PARAMETER.findall(sql))
    bound = {name: value for name, value in (params or {}).items() if name in wanted}
    missing = wanted - bound.keys()
    if missing:
        raise ValueError(f"parameters not given: {sorted(missing)}")
    if isinstance(source, duckdb.DuckDBPyConnection):
        return _run(source, sql, bound)
    with read_only(source) as con:
        return _run(con, sql, bound)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    try:
        return con.sql(sql, params=params or None).pl()
    except duckdb.CatalogException as error:
        raise WarehouseMissing(f"The marts are not built yet ({error}).".split("\n")[0]) from None
    except duckdb.Error as error:
        raise QueryFailed(f"A query failed: {str(error).splitlines()[0]}") from None


# --- the warehouse itself ---------------------------------------------------------------


def marts_ready(source: Source) -> bool:
    """True when the warehouse has a built `marts.leads` with at least one lead. Raises
    `MartsOutdated`, saying to run `leadtrack build`, when the marts lack a mart or column
    that this version builds (see `missing_from_build`): they come from an older build."""
    try:
        tables = fetch(
            source,
            "select count(*) as tables from information_schema.tables"
            " where table_schema = 'marts' and table_name = 'leads'",
        )
        if tables["tables"][0] == 0:
            return False
        missing = missing_from_build(source)
        if missing:
            named = ", ".join(missing[:3]) + (
                f" and {len(missing) - 3} more" if missing[3:] else ""
            )
            raise MartsOutdated(
                "The published marts come from a build by an older leadtrack (they have no"
                f" {named}): run leadtrack build to build them anew (on a shared PostgreSQL"
                " warehouse, whoever builds it)."
            )
        return fetch(source, "select count(*) as leads from marts.leads")["leads"][0] > 0
    except WarehouseMissing:
        return False


@functools.cache
def built_relations() -> dict[str, tuple[str, ...]]:
    """What a build by this version publishes: each mart (`marts.leads`) and the milestone
    catalogue, with their columns, as the models' YAML documents them (a test holds the
    documentation to what a build makes)."""
    import yaml

    relations: dict[str, tuple[str, ...]] = {}
    for schema, folder in (("marts", "marts"), ("staging", "staging")):
        for path in sorted((MODELS / folder).glob("_*__models.yml")):
            for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
                name = f"{schema}.{model['name']}"
                if schema == "marts" or name == CATALOGUE:
                    relations[name] = tuple(column["name"] for column in model["columns"])
    return relations


def missing_from_build(source: Source) -> list[str]:
    """The marts (`marts.consultants`) and columns (`marts.leads.next_due_date`) that a build
    by this version publishes and the published marts lack: none, unless they were built by
    an older leadtrack."""
    present = fetch(
        source,
        "select table_schema || '.' || table_name as relation, column_name"
        " from information_schema.columns where table_schema in ('marts', 'staging')",
    )
    columns: dict[str, set[str]] = {}
    for relation, column in present.iter_rows():
        columns.setdefault(relation, set()).add(column)
    missing = []
    for relation, expected in built_relations().items():
        if relation not in columns:
            missing.append(relation)
        else:
            missing.extend(
                f"{relation}.{column}" for column in expected if column not in columns[relation]
            )
    return missing


def as_of_date(source: Source) -> date:
    """The date the marts were built for. `marts.leads` holds, for every lead, its last
    touch and the days since then as of that date, so their sum is the as-of date; an
    `as_of_date` column, if the marts grow one, wins."""
    columns = fetch(
        source,
        "select column_name from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'leads'",
    )["column_name"].to_list()
    if "as_of_date" in columns:
        sql = "select max(as_of_date) as as_of_date from marts.leads"
    else:
        sql = (
            "select max(last_touch_date + cast(days_quiet as integer)) as as_of_date"
            " from marts.leads"
        )
    value = fetch(source, sql)["as_of_date"][0]
    if value is None:
        raise WarehouseMissing("The marts hold no leads yet.")
    return value


def built_at(source: Source) -> datetime | None:
    """When the build the marts hold was built (this machine's local time), for a copy of a
    PostgreSQL warehouse's marts, from its build stamp (`marts.build_stamp`); None for a
    DuckDB build, which has no stamp."""
    stamped = fetch(
        source,
        "select count(*) as stamps from information_schema.tables"
        " where table_schema = 'marts' and table_name = 'build_stamp'",
    )
    if stamped["stamps"][0] == 0:
        return None
    return fetch(
        source,
        "select cast(max(stamp.built_at) as timestamp) as built_at from marts.build_stamp as stamp",
    )["built_at"][0]


def catalogue(source: Source) -> pl.DataFrame:
    """The milestone catalogue in order: milestone_order, milestone, label,
    is_decision_point, is_filled."""
    return fetch(
        source,
        f"""
        select milestone_order, milestone, label, is_decision_point, is_filled
        from {CATALOGUE}
        order by milestone_order
        """,
    )


def filled_label(catalogue: pl.DataFrame) -> str:
    """The label of the milestone that fills a lead (the catalogue's first `is_filled` one),
    which names the counts of leads reaching it: "Reached Start date", "Reached Won"."""
    return catalogue.filter(pl.col("is_filled"))["label"][0]


def missing_sources(source: Source) -> list[str]:
    """What the dashboard's numbers lean on that nothing loaded holds: a call log (calls
    count 0, and leads go quiet on milestones alone) and a consultants list (no teams)."""
    frame = fetch(
        source,
        """
        select
            not exists (select 1 from marts.calls) as no_calls,
            not exists (select 1 from marts.consultants where is_listed) as no_teams
        """,
    )
    no_calls, no_teams = frame.row(0)
    return ["call log"] * no_calls + ["consultants list"] * no_teams


def teams(source: Source) -> list[str]:
    frame = fetch(
        source,
        "select distinct team from marts.consultants where team is not null order by team",
    )
    return frame["team"].to_list()


def consultants(source: Source, team: str | None = None) -> list[str]:
    frame = fetch(
        source,
        """
        select consultants.consultant from marts.consultants as consultants
        where $team is null or consultants.team = $team
        order by consultants.consultant
        """,
        {"team": team},
    )
    return frame["consultant"].to_list()


# --- This week ---------------------------------------------------------------------------


WEEKLY_MEASURES = ("leads_created", "calls_made", "calls_connected", "milestones_reached", "starts")


def weekly_counts(
    source: Source, weeks: list[date], team: str | None, consultant: str | None
) -> pl.DataFrame:
    """Per week asked for (Mondays): leads created, calls made and connected, milestones
    reached and starts, from `marts.consultant_weekly`, each whole (`leads_created`...) and on
    the weekdays up to the as-of date's only (`leads_created_same_days`...); weeks without
    activity give zeros."""
    sums = ", ".join(
        f"cast(sum(scoped.{measure}{part}) as bigint) as {measure}{part}"
        for measure in WEEKLY_MEASURES
        for part in ("", "_same_days")
    )
    frame = fetch(
        source,
        f"""
        select scoped.week, {sums}
        from marts.consultant_weekly as scoped
        where list_contains($weeks, scoped.week) and {CONSULTANT_SCOPE}
        group by scoped.week
        """,
        {"weeks": weeks, "team": team, "consultant": consultant},
    )
    every_week = pl.DataFrame({"week": weeks}, schema={"week": pl.Date})
    return every_week.join(frame, on="week", how="left").fill_null(0)


def open_and_quiet_now(source: Source, team: str | None, consultant: str | None) -> dict[str, int]:
    """Open leads and open leads gone quiet at the as-of date (a snapshot: lost and declined
    leads carry no date, so the week before cannot be rebuilt)."""
    frame = fetch(
        source,
        f"""
        select
            count(*) filter (where leads.status = 'open') as open_leads,
            count(*) filter (where leads.is_stale) as quiet_leads
        from marts.leads as leads
        where {LEADS_SCOPE}
        """,
        {"team": team, "consultant": consultant},
    )
    return frame.row(0, named=True)


def milestones_by_stage(
    source: Source,
    week: date,
    team: str | None,
    consultant: str | None,
    through: date | None = None,
) -> pl.DataFrame:
    """Milestones reached during one week (keyed on the reached date), per catalogue stage,
    every stage listed; with `through`, only on the week's days up to that one (to set a
    week under way against the same days of another)."""
    reached = (
        f"""
            select scoped.milestone, count(*) as milestones_reached
            from marts.lead_milestones as scoped
            where scoped.reached_date between $week and $through and {CONSULTANT_SCOPE}
            group by scoped.milestone
        """
        if through
        else f"""
            select scoped.milestone, sum(scoped.milestones_reached) as milestones_reached
            from marts.activity_weekly as scoped
            where scoped.week = $week and {CONSULTANT_SCOPE}
            group by scoped.milestone
        """
    )
    return fetch(
        source,
        f"""
        with reached as ({reached})
        select
            catalogue.milestone_order,
            catalogue.milestone,
            catalogue.label,
            cast(coalesce(reached.milestones_reached, 0) as bigint) as milestones_reached
        from {CATALOGUE} as catalogue
        left join reached on catalogue.milestone = reached.milestone
        order by catalogue.milestone_order
        """,
        {"week": week, "team": team, "consultant": consultant}
        | ({"through": through} if through else {}),
    )


def calls_by_consultant(
    source: Source, week: date, team: str | None, consultant: str | None
) -> pl.DataFrame:
    """Calls made and connected during one week, per consultant."""
    return fetch(
        source,
        f"""
        select
            scoped.consultant,
            cast(sum(scoped.calls_made) as bigint) as calls_made,
            cast(sum(scoped.calls_connected) as bigint) as calls_connected
        from marts.consultant_weekly as scoped
        where scoped.week = $week and {CONSULTANT_SCOPE}
        group by scoped.consultant
        having sum(scoped.calls_made) > 0
        order by calls_made desc, scoped.consultant
        """,
        {"week": week, "team": team, "consultant": consultant},
    )


# --- Funnel and drop-off ------------------------------------------------------------------


def cohort_funnel(source: Source, scope: Scope) -> pl.DataFrame:
    """The cohort funnel, keyed on the creation date: of the leads created in the period, how
    many have reached each catalogue milestone by the as-of date, with stage-to-stage and
    cumulative conversion."""
    frame = fetch(
        source,
        f"""
        with cohort as (
            select leads.lead_id from marts.leads as leads
            where {CREATED_IN_PERIOD} and {LEADS_SCOPE}
        ),
        reached as (
            select lead_milestones.milestone, count(*) as leads_reached
            from marts.lead_milestones as lead_milestones
            inner join cohort on lead_milestones.lead_id = cohort.lead_id
            group by lead_milestones.milestone
        )
        select
            catalogue.milestone_order,
            catalogue.milestone,
            catalogue.label,
            catalogue.is_decision_point,
            coalesce(reached.leads_reached, 0) as leads_reached,
            (select count(*) from cohort) as leads_created
        from {CATALOGUE} as catalogue
        left join reached on catalogue.milestone = reached.milestone
        order by catalogue.milestone_order
        """,
        scope.params(),
    )
    return with_conversion(frame)


def with_conversion(funnel: pl.DataFrame) -> pl.DataFrame:
    """Add stage-to-stage conversion (of those at the previous stage, the first stage against
    the leads created) and cumulative conversion (against the leads created)."""
    previous = funnel["leads_reached"].shift(1).fill_null(funnel["leads_created"])
    created = funnel["leads_created"]
    return funnel.with_columns(
        stage_conversion=pl.when(previous > 0).then(funnel["leads_reached"] / previous),
        cumulative_conversion=pl.when(created > 0).then(funnel["leads_reached"] / created),
    )


def decision_gates(source: Source, scope: Scope) -> pl.DataFrame:
    """Each decision point as a gate, for the leads created in the period: leads that reached
    the stage before it, passed it, failed there (lost or declined) or are pending (open),
    and the pass rate passed / (passed + failed) — the rule of `marts.decision_points`."""
    return fetch(
        source,
        f"""
        with cohort as (
            select leads.lead_id, coalesce(leads.furthest_milestone_order, 0) as furthest,
                leads.status
            from marts.leads as leads
            where {CREATED_IN_PERIOD} and {LEADS_SCOPE}
        ),
        gates as (
            select
                catalogue.milestone_order,
                catalogue.milestone,
                catalogue.label,
                count(cohort.lead_id) filter (
                    where cohort.furthest >= catalogue.milestone_order - 1
                ) as leads_at_gate,
                count(cohort.lead_id) filter (
                    where cohort.furthest >= catalogue.milestone_order
                ) as leads_passed,
                count(cohort.lead_id) filter (
                    where cohort.furthest = catalogue.milestone_order - 1
                    and cohort.status in ('lost', 'declined')
                ) as leads_failed,
                count(cohort.lead_id) filter (
                    where cohort.furthest = catalogue.milestone_order - 1
                    and cohort.status = 'open'
                ) as leads_pending
            from {CATALOGUE} as catalogue
            cross join cohort
            where catalogue.is_decision_point
            group by catalogue.milestone_order, catalogue.milestone, catalogue.label
        )
        select
            *,
            case
                when leads_passed + leads_failed > 0
                    then leads_passed / (leads_passed + leads_failed)
            end as pass_rate
        from gates
        order by milestone_order
        """,
        scope.params(),
    )


def dropoff(source: Source, scope: Scope) -> pl.DataFrame:
    """Lost and declined leads created in the period, by the stage they died at (their
    furthest milestone; order 0 before the first), status and reason, with the expected fee
    that went with them."""
    return fetch(
        source,
        f"""
        select
            coalesce(leads.furthest_milestone_order, 0) as stage_order,
            coalesce(
                leads.furthest_milestone_label,
                'Before ' || (select first.label from {CATALOGUE} as first
                              order by first.milestone_order limit 1)
            ) as stage,
            leads.status,
            coalesce(leads.lost_reason, 'No reason given') as lost_reason,
            count(*) as leads,
            coalesce(sum(leads.expected_fee), 0) as fee_lost
        from marts.leads as leads
        where leads.status in ('lost', 'declined') and {CREATED_IN_PERIOD} and {LEADS_SCOPE}
        group by all
        order by stage_order, leads.status, leads desc, lost_reason
        """,
        scope.params(),
    )


def where_now(source: Source, scope: Scope) -> pl.DataFrame:
    """Leads created in the period by their furthest milestone now (order 0: none yet) and
    status."""
    return fetch(
        source,
        f"""
        select
            coalesce(leads.furthest_milestone_order, 0) as stage_order,
            leads.status,
            count(*) as leads
        from marts.leads as leads
        where {CREATED_IN_PERIOD} and {LEADS_SCOPE}
        group by all
        order by stage_order, leads.status
        """,
        scope.params(),
    )


# --- Consultants --------------------------------------------------------------------------


def league_table(source: Source, scope: Scope) -> pl.DataFrame:
    """One row per consultant: leads created in the period and how many of those are filled
    (conversion), calls made in the period (keyed on the day made), `starts`: leads reaching
    the milestone that fills a lead in the period (keyed on its date), open and quiet leads
    now, and the median days per stage (all measured stages to date, from
    `marts.stage_duration_medians`) against their team's.
    Everyone on the consultants list is in it (a new hire with zeros), and anyone else with
    leads, or calls in the period."""
    return fetch(
        source,
        f"""
        with scoped_leads as (
            select * from marts.leads as leads where {LEADS_SCOPE}
        ),
        people as (
            -- Everyone in scope: a consultant who makes calls but owns no lead too, and a
            -- new hire on the consultants list with neither (all zeros).
            select scoped.consultant, scoped.team, scoped.is_listed
            from marts.consultants as scoped
            where {CONSULTANT_SCOPE}
        ),
        per_consultant as (
            select
                leads.consultant,
                count(*) filter (where {CREATED_IN_PERIOD}) as leads_created,
                count(*) filter (
                    where {CREATED_IN_PERIOD} and leads.status in ('filled', 'completed')
                ) as leads_filled,
                count(*) filter (where leads.status = 'open') as open_leads,
                count(*) filter (where leads.is_stale) as quiet_leads
            from scoped_leads as leads
            group by leads.consultant
        ),
        calls as (
            select
                scoped.consultant,
                count(*) as calls_made,
                count(*) filter (where scoped.is_connected) as calls_connected
            from marts.calls as scoped
            where scoped.called_date between $start and $end and {CONSULTANT_SCOPE}
            group by scoped.consultant
        ),
        starts as (
            select lead_milestones.consultant, count(*) as starts
            from marts.lead_milestones as lead_milestones
            where lead_milestones.is_filled
                and lead_milestones.reached_date between $start and $end
            group by lead_milestones.consultant
        ),
        durations as (
            select medians.consultant, medians.median_days as median_days_per_stage
            from marts.stage_duration_medians as medians
            where medians.grain = 'consultant'
        ),
        team_durations as (
            select medians.team, medians.median_days as team_median_days_per_stage
            from marts.stage_duration_medians as medians
            where medians.grain = 'team'
        )
        select
            people.consultant,
            people.team,
            coalesce(per_consultant.leads_created, 0) as leads_created,
            coalesce(calls.calls_made, 0) as calls_made,
            coalesce(calls.calls_connected, 0) as calls_connected,
            coalesce(per_consultant.leads_filled, 0) as leads_filled,
            case
                when per_consultant.leads_created > 0
                    then per_consultant.leads_filled / per_consultant.leads_created
            end as conversion,
            coalesce(starts.starts, 0) as starts,
            coalesce(per_consultant.open_leads, 0) as open_leads,
            coalesce(per_consultant.quiet_leads, 0) as quiet_leads,
            durations.median_days_per_stage,
            team_durations.team_median_days_per_stage
        from people
        left join per_consultant on people.consultant = per_consultant.consultant
        left join calls on people.consultant = calls.consultant
        left join starts on people.consultant = starts.consultant
        left join durations on people.consultant = durations.consultant
        left join team_durations on people.team = team_durations.team
        where people.is_listed
            or per_consultant.consultant is not null
            or calls.consultant is not null
        order by leads_created desc, people.consultant
        """,
        scope.params(),
    )


def weekly_trend(source: Source, consultant: str, first_week: date, last: date) -> pl.DataFrame:
    """One consultant's weeks, from `first_week` (a Monday) to the week of `last`: leads
    created, calls made and connected, milestones reached and starts, as `weekly_counts`
    gives them (a week without activity gives zeros, so a chart shows it at 0)."""
    weeks = (week_start(last) - first_week).days // 7 + 1
    mondays = [first_week + timedelta(weeks=week) for week in range(weeks)]
    return weekly_counts(source, mondays, None, consultant)


def _stage_statistics(where: str, prefix: str = "") -> str:
    """SQL of a CTE body: per milestone, the measured leads and the median and 80th
    percentile days from the previous milestone, over the CTE `measured` where `where`."""
    return f"""
        select measured.milestone, count(*) as {prefix}leads,
            median(measured.days_since_previous) as {prefix}median_days,
            quantile_cont(measured.days_since_previous, 0.8) as {prefix}p80_days
        from measured where {where}
        group by measured.milestone
    """


def stage_durations_against_team(source: Source, consultant: str) -> pl.DataFrame:
    """Median and 80th percentile days per stage for one consultant (as in
    `marts.stage_durations`, over the leads of their team) and for their team, from measured
    durations only, as `marts.stage_duration_medians` holds them."""
    return fetch(
        source,
        f"""
        with own_team as (
            -- From the consultants, not their leads: a new hire has no lead yet.
            select any_value(consultants.team) as team from marts.consultants as consultants
            where consultants.consultant = $consultant
        ),
        medians as (
            select * from marts.stage_duration_medians as medians
            where medians.team is not distinct from (select own_team.team from own_team)
        ),
        consultant_stages as (
            select medians.milestone, medians.leads, medians.median_days, medians.p80_days
            from medians
            where medians.grain = 'team_consultant_milestone'
                and medians.consultant = $consultant
        ),
        team_stages as (
            select medians.milestone, medians.leads as team_leads,
                medians.median_days as team_median_days, medians.p80_days as team_p80_days
            from medians
            where medians.grain = 'team_milestone'
        )
        select
            catalogue.milestone_order,
            catalogue.milestone,
            catalogue.label,
            coalesce(consultant_stages.leads, 0) as leads,
            round(consultant_stages.median_days, 1) as median_days,
            round(consultant_stages.p80_days, 1) as p80_days,
            coalesce(team_stages.team_leads, 0) as team_leads,
            round(team_stages.team_median_days, 1) as team_median_days,
            round(team_stages.team_p80_days, 1) as team_p80_days
        from {CATALOGUE} as catalogue
        left join consultant_stages on catalogue.milestone = consultant_stages.milestone
        left join team_stages on catalogue.milestone = team_stages.milestone
        order by catalogue.milestone_order
        """,
        {"consultant": consultant},
    )


# --- Gone quiet, calls due ----------------------------------------------------------------


# The gone-quiet reasons a list can be narrowed to, and the flag of `marts.stale_leads` that
# says a lead has it (a lead can have both; its reason then names the scheduled date first).
STALE_REASONS = {
    "No touch for too long": "is_quiet_too_long",
    "Scheduled date passed": "is_scheduled_date_passed",
}


def stale_leads(source: Source, team: str | None, consultant: str | None) -> pl.DataFrame:
    """Open leads gone quiet at the as-of date, quietest first."""
    return fetch(
        source,
        f"""
        select
            leads.lead_id, leads.consultant, leads.team, leads.client, leads.contact,
            leads.phone, leads.email, leads.job_title, leads.furthest_milestone_label,
            leads.last_touch_date, leads.last_call_date, leads.days_quiet,
            leads.quiet_threshold_days, leads.reason, leads.is_quiet_too_long,
            leads.is_scheduled_date_passed, leads.expected_fee
        from marts.stale_leads as leads
        where {LEADS_SCOPE}
        order by leads.days_quiet desc, leads.lead_id
        """,
        {"team": team, "consultant": consultant},
    )


def calls_due(
    source: Source,
    first_day: date,
    last_day: date,
    team: str | None,
    consultant: str | None,
    include_overdue: bool = False,
    per_call: bool = False,
) -> pl.DataFrame:
    """Calls due between two days (inclusive), and optionally every call still overdue, per
    consultant and day: one row per lead, day and reason, as `marts.calls_due` has them.
    With `per_call`, one row per call to make, as `marts.calls_to_make` has them: a lead's
    reasons due on the same day (an agreed call-back and a declined revisit) are one call,
    its row naming them all (`reason`, `reason_code` and `candidate` joined, `reasons`
    counting them)."""
    table, reasons, order = (
        ("marts.calls_to_make", ", leads.reasons", "")
        if per_call
        else ("marts.calls_due", "", ", leads.reason")
    )
    sql = f"""
        select
            leads.due_date, leads.consultant, leads.team, leads.lead_id, leads.client,
            leads.contact, leads.phone, leads.email, leads.job_title, leads.reason,
            leads.reason_code, leads.candidate, leads.is_overdue, leads.days_overdue,
            leads.status{reasons}
        from {table} as leads
        where (leads.due_date between $first_day and $last_day
               or ($include_overdue and leads.is_overdue))
            and {LEADS_SCOPE}
        order by leads.consultant, leads.due_date, leads.lead_id{order}
    """
    return fetch(
        source,
        sql,
        {
            "first_day": first_day,
            "last_day": last_day,
            "include_overdue": include_overdue,
            "team": team,
            "consultant": consultant,
        },
    )


# --- History ------------------------------------------------------------------------------


# The run of `marts.lead_stage_history` (alias `history`) that covers the day $on, of the
# leads created by then in the sidebar's team and consultant: one row per lead.
STAGE_ON = """
    history.created_date <= $on
    and (history.stage_from_date is null or history.stage_from_date <= $on)
    and (history.stage_to_date is null or history.stage_to_date > $on)
    and ($team is null or history.team = $team)
    and ($consultant is null or history.consultant = $consultant)
"""


def cohort_outcomes(
    source: Source, grain: str, team: str | None, consultant: str | None
) -> pl.DataFrame:
    """Cohorts by creation month or quarter (`grain`), keyed on the creation date, against
    their status now."""
    if grain not in ("month", "quarter"):
        raise ValueError(f"grain must be month or quarter, not {grain!r}")
    return fetch(
        source,
        f"""
        select
            case when $grain = 'quarter'
                then cast(date_trunc('quarter', scoped.created_month) as date)
                else scoped.created_month
            end as cohort,
            cast(sum(scoped.leads_created) as bigint) as leads_created,
            cast(sum(scoped.leads_filled) as bigint) as filled,
            cast(sum(scoped.leads_completed) as bigint) as completed,
            cast(sum(scoped.leads_lost) as bigint) as lost,
            cast(sum(scoped.leads_declined) as bigint) as declined,
            cast(sum(scoped.leads_open) as bigint) as open,
            coalesce(sum(scoped.fee_won), 0) as fee_won,
            coalesce(sum(scoped.fee_lost), 0) as fee_lost
        from marts.cohorts_monthly as scoped
        where {CONSULTANT_SCOPE}
        group by all
        order by cohort
        """,
        {"grain": grain, "team": team, "consultant": consultant},
    )


def pipeline_on(source: Source, on: date, team: str | None, consultant: str | None) -> pl.DataFrame:
    """The pipeline as it stood on a past date: leads created by then, by the furthest
    milestone they had reached by then (order 0: none yet): `leads` in all, of which `live`
    then, `lost` and `declined` by then (their closed date on or before the day), and
    `closed_when_first_loaded`: the live leads already closed on the later day they were
    first loaded, which may have died before the day."""
    return fetch(
        source,
        f"""
        with furthest as (
            select
                history.milestone_order as stage,
                count(*) as leads,
                count(case when history.closed_date <= $on and history.status = 'lost' then 1
                    end) as lost,
                count(case when history.closed_date <= $on and history.status = 'declined'
                    then 1 end) as declined,
                count(case when history.closed_date > $on
                    and history.closed_date_source = 'first_load' then 1 end)
                    as closed_when_first_loaded
            from marts.lead_stage_history as history
            where {STAGE_ON}
            group by history.milestone_order
        ),
        stages as (
            select 0 as milestone_order, 'No milestone yet' as label
            union all
            select catalogue.milestone_order, catalogue.label from {CATALOGUE} as catalogue
        )
        select
            stages.milestone_order,
            stages.label,
            coalesce(furthest.leads, 0) as leads,
            coalesce(furthest.leads - furthest.lost - furthest.declined, 0) as live,
            coalesce(furthest.lost, 0) as lost,
            coalesce(furthest.declined, 0) as declined,
            coalesce(furthest.closed_when_first_loaded, 0) as closed_when_first_loaded
        from stages
        left join furthest on stages.milestone_order = furthest.stage
        order by stages.milestone_order
        """,
        {"on": on, "team": team, "consultant": consultant},
    )


def pipeline_leads(
    source: Source,
    on: date,
    stage: int,
    team: str | None,
    consultant: str | None,
    limit: int | None = None,
) -> pl.DataFrame:
    """The leads behind one stage of `pipeline_on` (newest first, the first `limit` of them
    when given; `pipeline_on` has their count): on the day (`on_the_day`: live, lost or
    declined by then), with their status now and closed date."""
    return fetch(
        source,
        f"""
        with at_stage as (
            select
                history.lead_id,
                history.created_date,
                case when history.closed_date <= $on then history.status else 'live' end
                    as on_the_day
            from marts.lead_stage_history as history
            where {STAGE_ON} and history.milestone_order = $stage
            order by history.created_date desc, history.lead_id
            limit $limit
        )
        select
            leads.lead_id,
            at_stage.on_the_day,
            leads.closed_date,
            {LEAD_DETAILS}
        from marts.leads as leads
        inner join at_stage on leads.lead_id = at_stage.lead_id
        order by leads.created_date desc, leads.lead_id
        """,
        {"on": on, "stage": stage, "team": team, "consultant": consultant, "limit": limit},
    )


# --- Leads --------------------------------------------------------------------------------

# What a list of leads shows of each (`marts.leads`, alias `leads`) after the lead's id.
# Days quiet of open leads only, as the Lead page and Gone quiet show them: going quiet is a
# state of open leads, and a lost or completed lead's days since its last touch read as a
# lead left too long (empty: a dash on the page, an empty cell in the downloads).
LEAD_DETAILS = """
    leads.consultant, leads.team, leads.client, leads.contact, leads.phone,
    leads.job_title, leads.created_date, leads.status, leads.furthest_milestone_label,
    leads.furthest_milestone_date, leads.last_touch_date,
    case when leads.status = 'open' then leads.days_quiet end as days_quiet,
    leads.expected_fee, leads.lost_reason, leads.next_due_date, leads.next_due_reason
"""
LEAD_COLUMNS = f"leads.lead_id, {LEAD_DETAILS}"


def lead_list(source: Source, criteria: LeadCriteria, limit: int | None = None) -> pl.DataFrame:
    """The leads behind a number, newest first (the first `limit` of them when given):
    every count on the dashboard lists its leads through this."""
    where, params = leads_matching(criteria)
    return fetch(
        source,
        f"""
        select {LEAD_COLUMNS}
        from marts.leads as leads
        where {where}
        order by leads.created_date desc, leads.lead_id
        limit $limit
        """,
        params | {"limit": limit},
    )


def lead_count(source: Source, criteria: LeadCriteria) -> int:
    """How many leads `lead_list` lists for the criteria."""
    where, params = leads_matching(criteria)
    frame = fetch(
        source, f"select count(*) as leads from marts.leads as leads where {where}", params
    )
    return int(frame["leads"][0])


def leads_matching(criteria: LeadCriteria) -> tuple[str, dict[str, Any]]:
    """The condition on `marts.leads` (alias `leads`) that picks the criteria's leads, and
    its parameters. Only the fields given become conditions (a condition of the form
    `$x is null or ...` costs DuckDB a pass over every lead, and the milestone test a join
    with every milestone); the values still travel as parameters."""
    given = {name: value for name, value in asdict(criteria).items() if value is not None}
    on_leads = {
        "created_from": "leads.created_date >= $created_from",
        "created_to": "leads.created_date <= $created_to",
        "team": "leads.team = $team",
        "consultant": "leads.consultant = $consultant",
        "status": "leads.status = $status",
        "statuses": "list_contains($statuses, leads.status)",
        "furthest_order": "coalesce(leads.furthest_milestone_order, 0) = $furthest_order",
        "furthest_from": "coalesce(leads.furthest_milestone_order, 0) >= $furthest_from",
        "lost_reason": "coalesce(leads.lost_reason, 'No reason given') = $lost_reason",
        "is_stale": "leads.is_stale = $is_stale",
    }
    conditions = [condition for name, condition in on_leads.items() if name in given]
    # A milestone reached: that milestone (at any time) and/or one reached in the window;
    # `reached_to` alone and `filled_only` alone pick nothing more.
    in_window = "reached_from" in given or "reached_to" in given
    if "reached_milestone" in given and not in_window and not criteria.filled_only:
        # At any time: a lead has reached every milestone up to its furthest and no other
        # (a dbt test on lead_milestones says so), so its furthest milestone's order tells,
        # with no join with the two million milestones reached of a million leads.
        conditions.append(
            "coalesce(leads.furthest_milestone_order, 0) >= (select catalogue.milestone_order"
            f" from {CATALOGUE} as catalogue where catalogue.milestone = $reached_milestone)"
        )
    elif "reached_from" in given or "reached_milestone" in given:
        on_milestones = {
            "reached_milestone": "reached.milestone = $reached_milestone",
            "reached_from": "reached.reached_date >= $reached_from",
            "reached_to": "reached.reached_date <= $reached_to",
        }
        reached = [condition for name, condition in on_milestones.items() if name in given]
        if criteria.filled_only:
            reached.append("reached.is_filled")
        conditions.append(
            "exists (select 1 from marts.lead_milestones as reached"
            " where reached.lead_id = leads.lead_id and " + " and ".join(reached) + ")"
        )
    return " and ".join(conditions) or "true", given


def find_leads(source: Source, text: str, limit: int = 50) -> pl.DataFrame:
    """Leads whose id, client or contact contains the text (any case), the lead whose id it
    is first (in any case too: `l1` puts L1 before L10, L100...; an id in the case typed
    before one differing only in case), then newest first. Reads `marts.lead_search`, which
    holds the three lower-cased; each is searched on its own (a scan of one column each is
    cheaper than one scan testing all three)."""
    return fetch(
        source,
        f"""
        with matches as (
            {_FOUND_BY.format(column="lead_id_lower")}
            union
            {_FOUND_BY.format(column="client_lower")}
            union
            {_FOUND_BY.format(column="contact_lower")}
        )
        select matches.* exclude (lead_id_lower) from matches
        order by
            matches.lead_id_lower = lower($text) desc,
            matches.lead_id = $text desc,
            matches.created_date desc,
            matches.lead_id
        limit $limit
        """,
        {"text": text.strip(), "limit": limit},
    )


_FOUND_BY = """
            select search.lead_id, search.client, search.contact, search.consultant,
                search.status, search.created_date, search.furthest_milestone_label,
                search.lead_id_lower
            from marts.lead_search as search
            where contains(search.{column}, lower($text))
"""


def lead_detail(source: Source, lead_id: str) -> pl.DataFrame:
    """Everything `marts.leads` holds on one lead (one row, or none)."""
    return fetch(
        source,
        "select * from marts.leads as leads where leads.lead_id = $lead_id",
        {"lead_id": lead_id},
    )


def lead_timeline(source: Source, lead_id: str) -> pl.DataFrame:
    """Every catalogue milestone with the day the lead reached it (null: not yet)."""
    return fetch(
        source,
        f"""
        select
            catalogue.milestone_order,
            catalogue.milestone,
            catalogue.label,
            catalogue.is_decision_point,
            lead_milestones.reached_date,
            lead_milestones.reached_date_source,
            lead_milestones.is_implied,
            lead_milestones.days_since_previous,
            lead_milestones.first_candidate
        from {CATALOGUE} as catalogue
        left join marts.lead_milestones as lead_milestones
            on catalogue.milestone = lead_milestones.milestone
            and lead_milestones.lead_id = $lead_id
        order by catalogue.milestone_order
        """,
        {"lead_id": lead_id},
    )


def lead_calls_due(source: Source, lead_id: str) -> pl.DataFrame:
    """The calls due on one lead."""
    return fetch(
        source,
        """
        select calls.due_date, calls.reason, calls.is_overdue, calls.days_overdue,
            calls.consultant, calls.phone
        from marts.calls_due as calls
        where calls.lead_id = $lead_id
        order by calls.due_date
        """,
        {"lead_id": lead_id},
    )


def lead_calls(source: Source, lead_id: str) -> pl.DataFrame:
    """The call log of one lead, newest first."""
    return fetch(
        source,
        """
        select calls.called_at, calls.consultant, calls.contact, calls.outcome,
            calls.is_connected, calls.callback_date, calls.notes
        from marts.calls as calls
        where calls.lead_id = $lead_id
        order by calls.called_at desc
        """,
        {"lead_id": lead_id},
    )


# --- Periods ------------------------------------------------------------------------------

PERIODS = {
    "this_week": "This week",
    "last_4_weeks": "Last 4 weeks",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "custom": "Custom",
}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_to_review(as_of: date) -> date:
    """The week a weekly review is of by default: the week under way, but on a Monday the
    week just ended (Monday's week is one day old, not yet a week to review)."""
    return week_start(as_of - timedelta(days=1) if as_of.weekday() == 0 else as_of)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_dates(
    period: str, as_of: date, custom: tuple[date, date] | None = None
) -> tuple[date, date]:
    """The inclusive dates a period covers, relative to the as-of date."""
    if period == "this_week":
        return week_start(as_of), as_of
    if period == "last_4_weeks":
        # The week to review and the three before: on a Monday, the four whole weeks just
        # ended (and the Monday), not three weeks and a day.
        return week_to_review(as_of) - timedelta(weeks=3), as_of
    if period == "this_quarter":
        return quarter_start(as_of), as_of
    if period == "last_quarter":
        end = quarter_start(as_of) - timedelta(days=1)
        return quarter_start(end), end
    if period == "custom" and custom:
        return min(custom), max(custom)
    raise ValueError(f"unknown period {period!r}")


# --- Reports (notebooks) ------------------------------------------------------------------


def stage_durations_reached_between(
    source: Source, start: date, end: date, team: str | None, consultant: str | None
) -> pl.DataFrame:
    """Per catalogue stage, the measured days from the previous milestone for milestones
    reached between two days (inclusive; keyed on the reached date): leads, median and 80th
    percentile, as in `marts.stage_durations` but for one period."""
    return fetch(
        source,
        f"""
        with measured as (
            select lead_milestones.milestone, lead_milestones.days_since_previous
            from marts.lead_milestones as lead_milestones
            inner join marts.leads as leads on lead_milestones.lead_id = leads.lead_id
            where lead_milestones.is_duration_measured
                and lead_milestones.reached_date between $start and $end
                and {LEADS_SCOPE}
        ),
        stages as ({_stage_statistics("true")})
        select
            catalogue.milestone_order,
            catalogue.milestone,
            catalogue.label,
            coalesce(stages.leads, 0) as leads,
            round(stages.median_days, 1) as median_days,
            round(stages.p80_days, 1) as p80_days
        from {CATALOGUE} as catalogue
        left join stages on catalogue.milestone = stages.milestone
        order by catalogue.milestone_order
        """,
        {"start": start, "end": end, "team": team, "consultant": consultant},
    )


def data_quality_issues(source: Source) -> pl.DataFrame:
    """Every finding of `marts.data_quality_issues` (rejected rows, milestone dates out of
    order, skipped milestones, unknown consultants, unknown leads, source freshness), by
    check."""
    return fetch(
        source,
        """
        select
            issues.check_name, issues.check_label, issues.source_name, issues.source_file,
            issues.load_id, issues.source_row, issues.lead_id, issues.consultant,
            issues.milestone, issues.issue_date, issues.days_behind_as_of, issues.detail,
            issues.rows_affected
        from marts.data_quality_issues as issues
        order by issues.check_name, issues.source_name, issues.source_file,
            issues.source_row, issues.lead_id, issues.milestone, issues.consultant
        """,
    )
