"""This week: the week's counts against the week before, and milestones reached by stage."""

from datetime import date, timedelta

import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("This week")

as_of_week = queries.week_start(ctx.as_of)
weeks = [as_of_week - timedelta(weeks=back) for back in range(12)]
# On a Monday, last week: this one is a day old.
review = queries.week_to_review(ctx.as_of)
week = st.selectbox(
    "Week",
    weeks,
    index=ui.linked_index("week", weeks, review, "week", date.isoformat),
    format_func=lambda day: (
        f"Week of {day:%d %b %Y}"
        + (" (this week)" if day == as_of_week else "")
        + (" (last week)" if day == as_of_week - timedelta(weeks=1) else "")
    ),
    key="week",
)
ui.share_choice("week", week, review, date.isoformat)
# The week's name in titles and choices.
named = (
    "this week"
    if week == as_of_week
    else "last week"
    if week == as_of_week - timedelta(weeks=1)
    else f"the week of {week:%d %b}"
)
previous = week - timedelta(weeks=1)
week_end = min(week + timedelta(days=6), ctx.as_of)
# A week under way is compared with the same weekdays of the week before, not all of it.
under_way = week_end < week + timedelta(days=6)
against = (
    f"{previous:%a %d} – {previous + (week_end - week):%a %d %b}, the same days of the week before"
    if under_way
    else f"the week of {previous:%d %b}"
)
st.caption(
    f"{week:%a %d %b} – {week_end:%a %d %b %Y}, against {against}. "
    "Leads count in their creation week, calls in the week made, milestones (and "
    f"{ctx.filled}, the one that fills a lead) in the week reached. Open and quiet leads are as of "
    f"{ctx.as_of:%d %b %Y}. Team and consultant from the sidebar apply; the period does not."
)

counts = ui.run("weekly_counts", [week, previous], scope.team, scope.consultant)
this, before = counts.row(0, named=True), counts.row(1, named=True)
now = ui.run("open_and_quiet_now", scope.team, scope.consultant)

columns = st.columns(7)
for column, (label, measure) in zip(
    columns,
    [
        ("Leads created", "leads_created"),
        ("Calls made", "calls_made"),
        ("Calls connected", "calls_connected"),
        ("Milestones reached", "milestones_reached"),
        (f"Reached {ctx.filled}", "starts"),
    ],
    strict=False,
):
    earlier = before[f"{measure}_same_days" if under_way else measure]
    column.metric(
        label,
        f"{this[measure]:,}",
        delta=this[measure] - earlier,
        help=f"{earlier:,} on the same days of the week before; {before[measure]:,} in all of it."
        if under_way
        else f"{earlier:,} the week before.",
    )
columns[5].metric("Open leads", f"{now['open_leads']:,}", help="Now; no weekly history.")
columns[6].metric("Quiet leads", f"{now['quiet_leads']:,}", help="Now; no weekly history.")

by_stage = ui.run("milestones_by_stage", week, scope.team, scope.consultant)
st.plotly_chart(
    charts.bars(by_stage, "label", "milestones_reached", f"Milestones reached {named} by stage"),
    width="stretch",
)
st.caption(
    "Keyed on the day each milestone was reached. A milestone a lead passed without its own"
    " date (implied by a later one) counts on the day of that later one."
)

own = {"team": scope.team, "consultant": scope.consultant}
stage_options = {
    f"Reached {row['label']} {named}": queries.LeadCriteria(
        reached_from=week, reached_to=week_end, reached_milestone=row["milestone"], **own
    )
    for row in by_stage.iter_rows(named=True)
    if row["label"] != ctx.filled  # listed above the stages, as its count is
}
ui.drill(
    "The leads behind these numbers",
    {
        f"Created {named}": queries.LeadCriteria(created_from=week, created_to=week_end, **own),
        f"Reached any milestone {named}": queries.LeadCriteria(
            reached_from=week, reached_to=week_end, **own
        ),
        f"Reached {ctx.filled} {named}": queries.LeadCriteria(
            reached_from=week, reached_to=week_end, filled_only=True, **own
        ),
        "Open now": queries.LeadCriteria(status="open", **own),
        "Quiet now": queries.LeadCriteria(is_stale=True, **own),
        **stage_options,
    },
    key="this-week",
)
with st.expander(f"Calls {named}, per consultant"):
    calls = ui.run("calls_by_consultant", week, scope.team, scope.consultant)
    ui.table(calls)
