"""History: cohorts by creation month or quarter against their outcome now, and the pipeline
as it stood on a past date."""

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("History")

st.subheader("Cohorts against their outcome now")
st.caption(
    f"Keyed on the lead's creation date; outcomes as of {ctx.as_of:%d %b %Y}. The sidebar's "
    "team and consultant apply; the cohort picked below the chart is the month (the quarter, "
    "for a quarter) the sidebar's period ends in."
)
last_quarter = queries.quarter_start(queries.quarter_start(ctx.as_of) - timedelta(days=1))
if st.button("Last quarter", key="last_quarter"):
    st.session_state["grain"] = "quarter"
    st.session_state["cohort"] = last_quarter
    st.session_state["cohort_period"] = (queries.quarter_start(scope.end), "quarter")
# By quarter when the sidebar's period is one, until another grain is picked (or the period
# changes), so the cohort below is the quarter asked for, not its last month.
if st.session_state.get("grain_period") != ctx.period:
    st.session_state["grain_period"] = ctx.period
    st.session_state["grain"] = "quarter" if ctx.period.endswith("quarter") else "month"
grain = st.radio("Cohorts by", ["month", "quarter"], horizontal=True, key="grain")
cohorts = ui.run("cohort_outcomes", grain, scope.team, scope.consultant)
if cohorts.height == 0:
    st.info("No leads.")
    st.stop()
st.plotly_chart(
    charts.cohort_outcomes(
        cohorts, f"Leads by creation {grain} and status now", quarters=grain == "quarter"
    ),
    width="stretch",
)
table = cohorts.with_columns(
    ((pl.col("filled") + pl.col("completed")) / pl.col("leads_created") * 100)
    .round(1)
    .alias("fill rate %")
)
ui.table(
    table.sort("cohort", descending=True),
    formats={"cohort": "MMM YYYY" if grain == "month" else "[Q]Q YYYY"},
)
ui.downloads(table, f"cohorts-by-{grain}", key="cohorts")

cohort_starts = cohorts["cohort"].to_list()
# The cohort the period ends in, until another is picked (or the period changes).
period_cohort = queries.quarter_start(scope.end) if grain == "quarter" else scope.end.replace(day=1)
if st.session_state.get("cohort_period") != (period_cohort, grain):
    st.session_state["cohort_period"] = (period_cohort, grain)
    st.session_state["cohort"] = period_cohort
if st.session_state.get("cohort") not in cohort_starts:
    st.session_state["cohort"] = (
        period_cohort if period_cohort in cohort_starts else cohort_starts[-1]
    )
cohort = st.selectbox(
    "Cohort",
    cohort_starts[::-1],
    key="cohort",
    format_func=lambda day: f"{day:%B %Y}" if grain == "month" else charts.quarter_name(day),
)
months = 3 if grain == "quarter" else 1
next_start = (pl.Series([cohort]).dt.offset_by(f"{months}mo"))[0]
chosen = table.filter(pl.col("cohort") == cohort).row(0, named=True)
columns = st.columns(6)
for column, status in zip(
    columns, ["leads_created", "filled", "completed", "lost", "declined", "open"], strict=True
):
    column.metric(status.replace("_", " ").capitalize(), f"{chosen[status]:,}")
cohort_scope = queries.Scope(cohort, next_start - timedelta(days=1), scope.team, scope.consultant)
ui.drill(
    "The leads behind this cohort",
    {
        "All": queries.LeadCriteria.created_in(cohort_scope),
        **{
            status.title(): queries.LeadCriteria.created_in(cohort_scope, status=status)
            for status in ("filled", "completed", "lost", "declined", "open")
        },
    },
    key="cohort",
)

st.subheader("The pipeline as it stood on a past date")
on = st.date_input(
    "On",
    value=ctx.as_of - timedelta(days=90),
    max_value=ctx.as_of,
    key="pipeline_on",
    format="DD/MM/YYYY",
)
pipeline = ui.run("pipeline_on", on, scope.team, scope.consultant)
totals = {
    column: int(pipeline[column].sum())
    for column in ("leads", "live", "lost", "declined", "closed_when_first_loaded")
}
st.caption(
    f"Leads created by {on:%d %b %Y}, by the furthest milestone reached by then (keyed on the "
    "milestone's reached date): live then, lost by then or declined by then, which add up to "
    "the leads created by then. A lead counts as lost or declined from its closed date: the "
    "Date closed its export gives, else the day of the first load whose export showed it lost "
    "or declined (it had closed by then, perhaps earlier; a lead reopened and closed again, "
    "from the second closing). A lead already lost or declined on the day it was first loaded "
    "(a team's first import of its history) is dated to that day: on the days before it, it "
    "counts as live at its stage."
)
columns = st.columns(4)
for column, (name, label) in zip(
    columns,
    {
        "leads": "Leads created by then",
        "live": "Live then",
        "lost": "Lost by then",
        "declined": "Declined by then",
    }.items(),
    strict=True,
):
    column.metric(label, f"{totals[name]:,}")
if totals["closed_when_first_loaded"]:
    st.caption(
        f"Of the {totals['live']:,} live then, {totals['closed_when_first_loaded']:,} were "
        "already lost or declined on the day they were first loaded, a later day: nothing says "
        "when they died, so they count as live."
    )
st.plotly_chart(charts.pipeline_on(pipeline, f"Pipeline on {on:%d %b %Y}"), width="stretch")
with st.expander("The leads behind a stage"):
    # Nothing is chosen (so nothing is read) until someone picks a stage: Streamlit runs an
    # expander's body even while it is closed.
    stages = {row["milestone_order"]: row for row in pipeline.iter_rows(named=True)}

    def stage_name(order: int) -> str:
        """The stage and its leads: "CVs received (120, of which 30 lost by then)"."""
        row = stages[order]
        dead = " and ".join(f"{row[end]:,} {end}" for end in ("lost", "declined") if row[end])
        return f"{row['label']} ({row['leads']:,}{f', of which {dead} by then' if dead else ''})"

    stage = st.selectbox(
        "Leads at stage",
        list(stages),
        index=None,
        placeholder="Choose a stage to list its leads",
        format_func=stage_name,
        key="pipeline_stage",
    )
    if stage is not None:
        ui.lead_table(
            ui.run("pipeline_leads", on, stage, scope.team, scope.consultant, limit=ui.LIST_ROWS),
            int(stages[stage]["leads"]),
            ui.deferred("pipeline_leads", on, stage, scope.team, scope.consultant),
            f"pipeline-{on:%Y%m%d}-stage-{stage}",
            key="pipeline",
        )
