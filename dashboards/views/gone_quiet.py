"""Gone quiet: the open leads gone quiet, sortable and filterable."""

import polars as pl
import streamlit as st

from dashboards import queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("Gone quiet")
st.caption(
    f"Open leads gone quiet as of {ctx.as_of:%d %b %Y}: no touch for longer than their "
    "milestone's threshold, or a scheduled date passed unconfirmed. Keyed on the last touch "
    "(the latest call or milestone). The sidebar's team and consultant apply; the period "
    "does not."
)
stale = ui.run("stale_leads", scope.team, scope.consultant)
st.metric("Leads gone quiet", f"{stale.height:,}")
if stale.height == 0:
    st.success("No lead has gone quiet.")
    st.stop()

left, middle, right = st.columns(3)
owners = left.multiselect("Consultant", sorted(stale["consultant"].unique().to_list()))
longest = int(stale["days_quiet"].max())
at_least = middle.slider("At least days quiet", 0, longest, 0)
kinds = right.multiselect(
    "Reason",
    list(queries.STALE_REASONS),
    help="A lead with both reasons is listed under each.",
)
shown = stale.filter(pl.col("days_quiet") >= at_least)
if owners:
    shown = shown.filter(pl.col("consultant").is_in(owners))
if kinds:
    shown = shown.filter(pl.any_horizontal(pl.col(queries.STALE_REASONS[kind]) for kind in kinds))

ui.table(
    shown.select(
        "lead_id",
        "consultant",
        "client",
        "contact",
        "phone",
        "days_quiet",
        "reason",
        "last_touch_date",
        "last_call_date",
        "furthest_milestone_label",
        "quiet_threshold_days",
        "expected_fee",
        "team",
        "email",
        "job_title",
    ),
)
st.caption(f"{shown.height:,} of {stale.height:,} shown; click a column header to sort.")
ui.downloads(shown, "gone-quiet", key="quiet")
