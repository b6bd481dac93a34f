"""The queries each dashboard page runs on a first visit, with the parameters it passes.

Read off `dashboards/app.py` and `dashboards/views/*.py`: the router's own queries (every
page pays them), then each page's in the order it calls them, with the sidebar's defaults
(period: last 4 weeks; team and consultant: all) and, where a page takes them, a team and a
consultant. Drill-down lists run only once someone picks a number (or a stage) in them; they
are listed as the page calls them then: the count of the leads and the first `ui.LIST_ROWS`.
Downloads of a whole list read it when clicked and are not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import duckdb

from dashboards import queries
from dashboards.queries import LeadCriteria, Scope
from dashboards.ui import LIST_ROWS, SEARCH_ROWS


def page_calls(source: Any, as_of: date) -> list[tuple[str, str, Callable[[], Any]]]:
    """(page, label, call) for every query behind every page. Like the app (`ui.Reader`),
    every call runs on a cursor of one read-only connection opened once per published file."""
    q = queries
    if not isinstance(source, duckdb.DuckDBPyConnection):
        source = q.connect_read_only(source)
    team = q.teams(source)[0]
    consultant = q.consultants(source)[0]
    lead_id = q.fetch(
        source,
        "select lead_id from marts.leads order by lead_id"
        " limit 1 offset (select count(*) // 2 from marts.leads)",
    )["lead_id"][0]
    start, end = q.period_dates("last_4_weeks", as_of)
    scope = Scope(start, end)
    team_scope = Scope(start, end, team, None)
    calls: list[tuple[str, str, Callable[[], Any]]] = []

    def add(page: str, label: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        calls.append((page, label, partial(_on_cursor, source, function, *args, **kwargs)))

    def add_list(page: str, label: str, criteria: LeadCriteria) -> None:
        """A drill-down, once a number is picked: the count and the first rows."""
        add(page, f"lead_count({label})", q.lead_count, criteria)
        add(
            page, f"lead_list({label}, first {LIST_ROWS:,})", q.lead_list, criteria, limit=LIST_ROWS
        )

    # The router, on every page.
    add("(every page)", "marts_ready", q.marts_ready)
    add("(every page)", "as_of_date", q.as_of_date)
    add("(every page)", "teams", q.teams)
    add("(every page)", "consultants(all teams)", q.consultants, None)
    add("(every page)", "catalogue", q.catalogue)

    # This week.
    week = q.week_start(as_of)
    week_end = min(week + timedelta(days=6), as_of)
    weeks = [week, week - timedelta(weeks=1)]
    add("This week", "weekly_counts(all)", q.weekly_counts, weeks, None, None)
    add("This week", f"weekly_counts(team {team})", q.weekly_counts, weeks, team, None)
    add("This week", "open_and_quiet_now(all)", q.open_and_quiet_now, None, None)
    add("This week", "open_and_quiet_now(consultant)", q.open_and_quiet_now, None, consultant)
    add("This week", "milestones_by_stage(all)", q.milestones_by_stage, week, None, None)
    add("This week", "milestones_by_stage(team)", q.milestones_by_stage, week, team, None)
    add_list(
        "This week",
        "created this week",
        LeadCriteria(created_from=week, created_to=week_end),
    )
    add("This week", "calls_by_consultant(all)", q.calls_by_consultant, week, None, None)

    # Funnel and drop-off.
    add("Funnel", "cohort_funnel(all)", q.cohort_funnel, scope)
    add("Funnel", "cohort_funnel(team)", q.cohort_funnel, team_scope)
    add("Funnel", "decision_gates(all)", q.decision_gates, scope)
    add("Funnel", "dropoff(all)", q.dropoff, scope)
    add("Funnel", "where_now(all)", q.where_now, scope)
    catalogue = q.catalogue(source)
    first = catalogue["milestone"][0]
    add_list(
        "Funnel",
        f"period, reached {first}",
        LeadCriteria.created_in(scope, reached_milestone=first),
    )
    gates = catalogue.filter(catalogue["is_decision_point"])
    if gates.height:
        gate = gates.row(0, named=True)
        add_list(
            "Funnel",
            f"period, failed {gate['milestone']}",
            LeadCriteria.at_decision(scope, gate["milestone_order"], "leads_failed"),
        )

    # Consultants.
    own = Scope(start, end, None, consultant)
    last = min(end, as_of)
    first_week = min(q.week_start(start), q.week_start(last) - timedelta(weeks=11))
    add("Consultants", "league_table(all)", q.league_table, scope)
    add("Consultants", "league_table(team)", q.league_table, team_scope)
    add("Consultants", "cohort_funnel(consultant)", q.cohort_funnel, own)
    add(
        "Consultants",
        "weekly_trend(consultant, 12 weeks)",
        q.weekly_trend,
        consultant,
        first_week,
        last,
    )
    add(
        "Consultants",
        "stage_durations_against_team(consultant)",
        q.stage_durations_against_team,
        consultant,
    )
    add_list(
        "Consultants",
        "consultant, period",
        LeadCriteria.created_in(own),
    )

    # Gone quiet.
    add("Gone quiet", "stale_leads(all)", q.stale_leads, None, None)
    add("Gone quiet", "stale_leads(team)", q.stale_leads, team, None)
    add("Gone quiet", "stale_leads(consultant)", q.stale_leads, None, consultant)

    # Calls due (as the page asks: one row per call).
    add(
        "Calls due",
        "calls_due(today + overdue, all)",
        q.calls_due,
        as_of,
        as_of,
        None,
        None,
        True,
        per_call=True,
    )
    add(
        "Calls due",
        "calls_due(today + overdue, consultant)",
        q.calls_due,
        as_of,
        as_of,
        None,
        consultant,
        True,
        per_call=True,
    )
    add(
        "Calls due",
        "calls_due(a week, team)",
        q.calls_due,
        week,
        week + timedelta(days=6),
        team,
        None,
        False,
        per_call=True,
    )

    # History.
    this_quarter = q.quarter_start(as_of)
    last_quarter = q.quarter_start(this_quarter - timedelta(days=1))
    add("History", "cohort_outcomes(month, all)", q.cohort_outcomes, "month", None, None)
    add("History", "cohort_outcomes(quarter, all)", q.cohort_outcomes, "quarter", None, None)
    month_end = (this_quarter.replace(day=28) + timedelta(days=4)).replace(day=1)
    add_list(
        "History",
        f"cohort {this_quarter:%b %Y}, all",
        LeadCriteria.created_in(Scope(this_quarter, month_end - timedelta(days=1))),
    )
    add_list(
        "History",
        "cohort last quarter, all",
        LeadCriteria.created_in(Scope(last_quarter, this_quarter - timedelta(days=1))),
    )
    on = as_of - timedelta(days=90)
    add("History", "pipeline_on(90 days ago, all)", q.pipeline_on, on, None, None)
    for stage in (0, 12):
        add(
            "History",
            f"pipeline_leads(90 days ago, stage {stage}, all, first {LIST_ROWS:,})",
            q.pipeline_leads,
            on,
            stage,
            None,
            None,
            limit=LIST_ROWS,
        )

    # Lead.
    # One row more than the page lists, to tell whether there are more.
    add("Lead", f"find_leads({lead_id!r})", q.find_leads, lead_id, limit=SEARCH_ROWS + 1)
    add("Lead", "find_leads('harbour')", q.find_leads, "harbour", limit=SEARCH_ROWS + 1)
    add("Lead", "lead_detail", q.lead_detail, lead_id)
    add("Lead", "lead_timeline", q.lead_timeline, lead_id)
    add("Lead", "lead_calls_due", q.lead_calls_due, lead_id)
    add("Lead", "lead_calls", q.lead_calls, lead_id)
    return calls


def _on_cursor(
    con: duckdb.DuckDBPyConnection, function: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    with queries.cursor(con) as cursor:
        return function(cursor, *args, **kwargs)
