"""Calls due: today, a chosen day or a week, per consultant; CSV, XLSX and iCalendar."""

from datetime import timedelta

import streamlit as st

from dashboards import exports, queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("Calls due")

when = (
    st.segmented_control("When", ["Today", "A day", "A week"], default="Today", key="calls_when")
    or "Today"
)
if when == "Today":
    first = last = ctx.as_of
elif when == "A day":
    first = last = st.date_input("Day", value=ctx.as_of, key="calls_day", format="DD/MM/YYYY")
else:
    chosen = st.date_input(
        "A day in the week", value=ctx.as_of, key="calls_week", format="DD/MM/YYYY"
    )
    first = queries.week_start(chosen)
    last = first + timedelta(days=6)
# Overdue calls are included by default for Today, not for a day or a week. A widget keeps
# the state its key holds, whatever default it is given later: so the default is set anew
# each time "When" changes (a tick changed by hand holds until then), and when the page is
# opened again (Streamlit forgets a widget's state once a run of another page leaves it out).
if st.session_state.get("overdue_for") != when or "overdue" not in st.session_state:
    st.session_state["overdue_for"] = when
    st.session_state["overdue"] = when == "Today"
include_overdue = st.checkbox("Include overdue calls (due earlier, not yet made)", key="overdue")
st.caption(
    f"Calls due {first:%a %d %b %Y}"
    + (f" – {last:%a %d %b %Y}" if last != first else "")
    + f", keyed on the due date; today is {ctx.as_of:%d %b %Y}. The sidebar's team and "
    "consultant apply; the period does not."
)

# One row per call to make: a lead with two reasons on one day (an agreed call-back and a
# declined revisit) is one call, listed once with both reasons, counted once.
calls = ui.run(
    "calls_due", first, last, scope.team, scope.consultant, include_overdue, per_call=True
)
left, right, _ = st.columns([1, 1, 3])
left.metric(
    "Calls due",
    f"{calls.height:,}",
    help="One call per lead and day: a lead with several reasons due the same day is one"
    f" call, listed with all of them ({int(calls['reasons'].sum()):,} reasons in all).",
)
if include_overdue:
    # Overdue is due before today and not yet made: in a week begun before today, its own
    # earlier days' calls too, not only those due before the week.
    overdue = calls.filter(calls["is_overdue"]).height
    right.metric(
        "Of them overdue",
        f"{overdue:,}",
        help=f"Due before today ({ctx.as_of:%d %b %Y}) and not yet made.",
    )
if calls.height == 0:
    st.info("No calls due.")
    st.stop()

columns = [
    "due_date",
    "consultant",
    "lead_id",
    "client",
    "contact",
    "phone",
    "reason",
    # Whose interview or start the call is about: a lead may have several candidates.
    "candidate",
    "days_overdue",
    "job_title",
    "email",
]
per_consultant = calls.group_by("consultant").len("calls").sort("consultant")
ui.table(per_consultant, width="content")
for consultant in per_consultant["consultant"].to_list():
    mine = calls.filter(calls["consultant"] == consultant)
    with st.expander(
        f"{consultant}: {mine.height} call{'s' * (mine.height != 1)}",
        expanded=scope.consultant is not None,
    ):
        ui.table(mine.select(columns))

name = f"calls-due-{first:%Y%m%d}" + (f"-{last:%Y%m%d}" if last != first else "")
ui.downloads(calls.select(columns), name, key="calls")
st.download_button(
    "Download calendar (.ics)",
    # A call overdue goes on today (or the list's first day, when that is later): on its own
    # past day, earlier in a week begun before today, no calendar would show it.
    exports.calls_to_ics(calls, first=max(first, ctx.as_of)),
    file_name=f"{name}.ics",
    mime="text/calendar",
    key="calls-ics",
    on_click=ui.DOWNLOAD_WITHOUT_RERUN,
)
