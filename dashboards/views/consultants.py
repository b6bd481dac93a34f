"""Consultants: the league table, and one consultant's funnel, weekly trend, stage durations
against the team, and leads."""

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("Consultants")
st.caption(
    f"{ctx.period_label}. Leads created and conversion are keyed on the creation date; calls "
    f"on the day made; leads reaching {ctx.filled} (which fills a lead) on that day; open "
    f"and quiet leads are as of {ctx.as_of:%d %b %Y}; days per stage are over every measured "
    "stage to date (keyed on the milestone's date)."
)

league = ui.run("league_table", scope)
ui.table(
    league.with_columns((pl.col("conversion") * 100).round(1).alias("conversion %")).drop(
        "conversion"
    ),
    labels={"starts": f"Reached {ctx.filled}"},
)
if league.height:
    ui.downloads(league, "consultants", key="league")
if league.height and league["leads_created"].sum() == 0:
    st.info(
        "No leads were created in this period, so there is no conversion to compare (it "
        "shows –). Choose a longer period in the sidebar."
    )
elif league.height and league["leads_filled"].sum() == 0:
    st.info(
        "None of the leads created in this period has been filled yet, so every conversion "
        "is 0%: leads take months to fill. Choose Last quarter in the sidebar to compare "
        "conversion."
    )

names = league["consultant"].to_list()
if not names:
    st.info("No consultants match the sidebar's team and consultant.")
    st.stop()
first = scope.consultant if scope.consultant in names else names[0]
chosen = st.selectbox(
    "Consultant",
    names,
    index=ui.linked_index("who", names, first, "consultant"),
    key="drill_consultant",
)
ui.share_choice("who", chosen, first)
own = queries.Scope(scope.start, scope.end, None, chosen)
st.header(chosen)

row = league.filter(pl.col("consultant") == chosen).row(0, named=True)
metrics = st.columns(5)
metrics[0].metric("Leads created", f"{row['leads_created']:,}")
metrics[1].metric("Calls made", f"{row['calls_made']:,}")
metrics[2].metric(
    "Conversion",
    ui.percent(row["conversion"]),
    help="Of the leads created in the period, the share filled by now.",
)
metrics[3].metric(
    f"Reached {ctx.filled} in the period",
    f"{row['starts']:,}",
    help=f"Leads that reached {ctx.filled}, the milestone that fills a lead, in the period,"
    " whenever they were created.",
)
metrics[4].metric("Quiet leads", f"{row['quiet_leads']:,}")

left, right = st.columns(2)
funnel = ui.run("cohort_funnel", own)
if funnel.height and funnel["leads_created"][0]:
    left.plotly_chart(
        charts.funnel(funnel, "Their cohort funnel (keyed on creation date)"), width="stretch"
    )
else:
    # An empty funnel draws as a blank chart with an axis from -1 to 1.
    left.info(
        f"{chosen} created no leads in the period, so there is no cohort funnel to show."
        " Choose a longer period in the sidebar."
    )
last = min(scope.end, ctx.as_of)
first_week = min(queries.week_start(scope.start), queries.week_start(last) - timedelta(weeks=11))
reached_filled = f"reached {ctx.filled}"
trend = ui.run("weekly_trend", chosen, first_week, last).rename({"starts": reached_filled})
right.plotly_chart(
    charts.weekly_trend(
        trend,
        ["leads_created", "calls_connected", "milestones_reached", reached_filled],
        "Weekly trend (each measure keyed on its own date)",
        ctx.as_of,
    ),
    width="stretch",
)
durations = ui.run("stage_durations_against_team", chosen)
st.plotly_chart(
    charts.stage_durations(durations, "Median days per stage against the team"),
    width="stretch",
)
ui.table(durations.drop("milestone_order", "milestone"))

# Filled counts the completed too, as conversion does; a catalogue whose last milestone fills a
# lead completes every filled lead, so its completed list would repeat the filled one.
their_leads = {
    "Created in the period": queries.LeadCriteria.created_in(own),
    "Filled from the period's leads": queries.LeadCriteria.created_in(
        own, statuses=("filled", "completed")
    ),
    "Completed from the period's leads": queries.LeadCriteria.created_in(own, status="completed"),
    f"Reached {ctx.filled} in the period": queries.LeadCriteria(
        consultant=chosen, reached_from=scope.start, reached_to=scope.end, filled_only=True
    ),
    "Open now": queries.LeadCriteria(consultant=chosen, status="open"),
    "Quiet now": queries.LeadCriteria(consultant=chosen, is_stale=True),
    "All their leads": queries.LeadCriteria(consultant=chosen),
}
if ctx.catalogue["is_filled"][-1]:
    del their_leads["Completed from the period's leads"]
ui.drill("Their leads", their_leads, key="consultant")
