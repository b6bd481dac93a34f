"""Lead: find a lead by id, client or contact; its milestone timeline and calls."""

import polars as pl
import streamlit as st

from dashboards import ui

st.title("Lead")
text = st.text_input(
    "Lead id, client or contact", value=st.query_params.get("lead", ""), key="lead_search"
)
if not text.strip():
    st.info("Type part of a lead id, a client's name or a contact's name.")
    st.stop()

# One more than is listed, to tell "exactly 50" from "more".
found = ui.run("find_leads", text, limit=ui.SEARCH_ROWS + 1)
if found.height == 0:
    st.warning(f"No lead matches {text!r}.")
    st.stop()
if found.height > ui.SEARCH_ROWS:
    found = found.head(ui.SEARCH_ROWS)
    st.caption(
        f"More than {ui.SEARCH_ROWS} leads match: the newest {ui.SEARCH_ROWS} are listed. Type more"
        " of the id or the name to find one further back."
    )
else:
    st.caption(f"{found.height} match{'es' if found.height != 1 else ''}")
labels = {
    row[
        "lead_id"
    ]: f"{row['lead_id']} · {row['client']} · {row['contact'] or '–'} ({row['status']})"
    for row in found.iter_rows(named=True)
}
lead_id = st.selectbox("Lead", list(labels), format_func=labels.get, key="lead_choice")
st.query_params["lead"] = lead_id

lead = ui.run("lead_detail", lead_id).row(0, named=True)
role = f"{lead['job_title']} at " if lead["job_title"] else ""
st.header(f"{lead['lead_id']}: {role}{lead['client']}")
columns = st.columns(4)
columns[0].metric("Status", lead["status"])
columns[1].metric("Furthest milestone", lead["furthest_milestone_label"] or "none yet")
if lead["status"] == "open":
    columns[2].metric("Days quiet", lead["days_quiet"], help="Days since the last touch.")
else:
    # Going quiet is a state of open leads only: a declined or completed lead's days since
    # its last touch read as a lead left too long.
    columns[2].metric(
        "Days quiet",
        "–",
        help=f"Only an open lead can go quiet; this one is {lead['status']}.",
    )
columns[3].metric("Expected fee", f"£{lead['expected_fee'] or 0:,.0f}")
st.write(
    f"**Owner** {lead['consultant']} ({lead['team'] or 'no team'}) · **Contact** "
    f"{lead['contact'] or '–'}, {lead['phone'] or 'no phone'}, {lead['email'] or 'no email'} · "
    f"**Created** {lead['created_date']:%d %b %Y}"
)
if lead["is_stale"]:
    st.warning(f"Gone quiet: {lead['stale_reason']}")
if lead["closed_date"]:
    st.write(
        f"**{lead['status'].capitalize()} on** {lead['closed_date']:%d %b %Y}"
        f" ({ui.CLOSED_DATE_SOURCES[lead['closed_date_source']]})"
    )
if lead["lost_reason"]:
    st.write(f"**Reason lost/declined:** {lead['lost_reason']}")
if lead["notes"]:
    st.write(f"**Notes:** {lead['notes']}")

st.subheader("Milestone timeline")
st.caption(
    "Keyed on the day each milestone was reached; implied: a later milestone implies it."
    " A tick without a date is dated the day it first appeared in an export, or, when the"
    " lead's first export already had it, the earliest day it can have been."
)
timeline = ui.run("lead_timeline", lead_id).with_columns(
    pl.col("reached_date_source").replace_strict(ui.DATE_SOURCES, default=None)
)
ui.table(
    ui.dashed(timeline.drop("milestone_order", "milestone"), "reached_date", "days_since_previous")
)
if lead["next_scheduled_date"]:
    # A lost or declined lead's tracker can still hold a date ahead (a start the candidate
    # withdrew from): it will not happen, and no call is due for it.
    scheduled = (
        f"Scheduled before the lead was {lead['status']}"
        if lead["status"] in ("lost", "declined")
        else "Scheduled"
    )
    st.write(
        f"{scheduled}: {lead['next_scheduled_milestone_label']} on "
        f"{lead['next_scheduled_date']:%d %b %Y}"
    )

st.subheader("Calls")
st.caption("Keyed on the day each call was made, newest first; then the calls due on the lead.")
calls = ui.run("lead_calls", lead_id)
st.write(
    f"{lead['calls_made']:,} calls made, {lead['calls_connected']:,} connected"
    + (
        f"; call-back agreed for {lead['next_callback_date']:%d %b %Y}"
        if lead["next_callback_date"]
        else ""
    )
)
if calls.height:
    ui.table(calls)
    ui.downloads(calls, f"calls-{lead_id}", key="lead_calls")
else:
    st.caption("No calls logged on this lead.")
due = ui.run("lead_calls_due", lead_id)
if due.height:
    ui.table(due)
else:
    st.caption("No calls due on this lead.")
