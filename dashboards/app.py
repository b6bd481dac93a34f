"""leadtrack's dashboard: the router. It reads the warehouse named by LEADTRACK_WAREHOUSE,
draws the sidebar filters (kept in the URL so a view can be shared) and runs the chosen page
from views/."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from dashboards import queries, ui
from leadtrack.settings import load_settings

# The pages live in views/, not pages/. Streamlit (1.67) decides once per server process,
# when its first session starts, whether the app uses the older pages/ convention: a pages/
# folder beside the entry script. Until some run calls st.navigation, every run first goes
# through a navigation built from pages/*.py (url paths from the file names), before this
# script runs. So the first visitor after a restart who opens a shared link got "Page not
# found" (our url paths are not the file names) over the page, and with url paths equal to
# the file names the page's script ran without this router (no sidebar, no context) and
# went back to the default page. No config option turns the pages/ scan off. With views/,
# st.navigation is the only page registry from the first run.
PAGES_DIR = Path(__file__).parent / "views"
# (file, title, icon, url path).
PAGES = [
    ("this_week.py", "This week", ":material/today:", "this-week"),
    ("funnel.py", "Funnel and drop-off", ":material/filter_alt:", "funnel-and-drop-off"),
    ("consultants.py", "Consultants", ":material/groups:", "consultant-league"),
    ("gone_quiet.py", "Gone quiet", ":material/notifications_paused:", "gone-quiet"),
    ("calls_due.py", "Calls due", ":material/call:", "calls-due"),
    ("history.py", "History", ":material/history:", "cohorts-and-pipeline"),
    ("lead.py", "Lead", ":material/person_search:", "find-a-lead"),
]
ALL = "All"


def start_page() -> None:
    """Shown while the warehouse has no built marts."""
    st.title("leadtrack")
    st.write(
        f"There is nothing to show yet: the warehouse `{ui.warehouse_path()}` has no built"
        " marts. Load your exports and build the models:"
    )
    st.code(
        "leadtrack load path/to/tracker.xlsx path/to/calls.csv\nleadtrack build\n"
        "leadtrack dashboard",
        language="bash",
    )
    st.write("Or try it with a demo agency's data (generated, loaded and built in a minute):")
    st.code("leadtrack demo", language="bash")
    st.caption(
        "Set LEADTRACK_WAREHOUSE (or --warehouse) to use another warehouse file; the"
        " dashboard only reads it."
    )


def outdated_page(message: str) -> None:
    """Shown while the published marts come from a build by an older leadtrack."""
    st.title("leadtrack")
    st.warning(message)
    st.code("leadtrack build", language="bash")
    st.caption("The dashboard shows the new build as soon as it is published.")


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _load_filters_from_url(as_of: date) -> None:
    """Once per session: the URL's filters become the widgets' starting values."""
    if st.session_state.get("filters_loaded"):
        return
    params = st.query_params
    period = params.get("period", "last_4_weeks")
    st.session_state["period"] = period if period in queries.PERIODS else "last_4_weeks"
    start = _parse_day(params.get("from"))
    end = _parse_day(params.get("to"))
    default = queries.period_dates("last_4_weeks", as_of)
    st.session_state["custom_range"] = (start or default[0], end or default[1])
    st.session_state["team"] = params.get("team", ALL)
    st.session_state["consultant"] = params.get("consultant", ALL)
    st.session_state["filters_loaded"] = True


def _keep_choice(key: str, options: list[str], what: str) -> None:
    """A chosen team or consultant (from a shared link, or a session from before a rebuild)
    that is not an option: the option spelled the same but for case, else all of them,
    saying so (the numbers are not the link's)."""
    chosen = st.session_state.get(key)
    if chosen in options:
        return
    same = [option for option in options if str(option).lower() == str(chosen).lower()]
    st.session_state[key] = same[0] if same else ALL
    if chosen is not None and not same:
        st.warning(f"There is no {what} named '{chosen}': showing all.")


def _within(days: tuple[date, ...], as_of: date) -> tuple[date, ...]:
    """A picked range (one day while the second is being picked), no day after `as_of`."""
    return tuple(min(day, as_of) for day in days)


def sidebar(as_of: date) -> tuple[str, queries.Scope]:
    _load_filters_from_url(as_of)
    with st.sidebar:
        st.caption(f"As of **{as_of:%A %d %B %Y}** (the date the marts were built for)")
        missing = ui.run("missing_sources")
        if "call log" in missing:
            st.warning(
                "No call log is loaded: calls show 0, and leads go quiet on their milestones"
                " alone. Load one with `leadtrack load calls.csv`."
            )
        if "consultants list" in missing:
            st.warning(
                "No consultants list is loaded: no consultant has a team, so the team"
                " filters and comparisons are empty. Load one with `leadtrack load"
                " consultants.csv`."
            )
        period = st.selectbox(
            "Period", list(queries.PERIODS), format_func=queries.PERIODS.get, key="period"
        )
        custom = None
        if period == "custom":
            # A shared link (or a session from before a rebuild) may end after the as-of
            # date, which the picker refuses with an exception: kept within it, saying so
            # (the numbers are not the link's).
            linked = st.session_state["custom_range"]
            st.session_state["custom_range"] = _within(linked, as_of)
            if st.session_state["custom_range"] != tuple(linked):
                shown = st.session_state["custom_range"]
                st.warning(
                    f"The dates {' – '.join(f'{day:%d/%m/%Y}' for day in linked)} run past"
                    f" the as-of date, {as_of:%d/%m/%Y}: showing"
                    f" {' – '.join(f'{day:%d/%m/%Y}' for day in shown)}."
                )
            chosen = st.date_input(
                "From – to", key="custom_range", max_value=as_of, format="DD/MM/YYYY"
            )
            if isinstance(chosen, tuple) and len(chosen) == 2:
                custom = chosen
            else:
                custom = (chosen[0], chosen[0]) if isinstance(chosen, tuple) else (chosen, chosen)
        teams = [ALL, *ui.run("teams")]
        _keep_choice("team", teams, "team")
        team = st.selectbox("Team", teams, key="team")
        team_value = None if team == ALL else team
        consultants = [ALL, *ui.run("consultants", team_value)]
        in_team = f" in {team}" if team_value else ""
        _keep_choice("consultant", consultants, f"consultant{in_team}")
        consultant = st.selectbox("Consultant", consultants, key="consultant")
    start, end = queries.period_dates(period, as_of, custom)
    scope = queries.Scope(start, end, team_value, None if consultant == ALL else consultant)
    shared = {"period": period, "team": team, "consultant": consultant}
    if period == "custom":
        shared |= {"from": start.isoformat(), "to": end.isoformat()}
    kept = {
        name: value
        for name, value in st.query_params.to_dict().items()
        if name not in ("period", "team", "consultant", "from", "to")
    }
    st.query_params.from_dict(kept | {k: v for k, v in shared.items() if v != ALL})
    return period, scope


def main() -> None:
    st.set_page_config(page_title="leadtrack", page_icon=":material/track_changes:", layout="wide")
    try:
        load_settings()
    except ValueError as error:  # the settings every stage refuses (a reserved file name...)
        st.error(str(error))
        st.stop()
    path = ui.warehouse_path()
    out_of_date = ui.refresh_shared_warehouse()
    ui.pin_build()
    if out_of_date:
        ui.stale_copy_warning(out_of_date)
    try:
        ready = ui.ready()
    except queries.WarehouseBusy as busy:
        st.warning(str(busy))
        st.stop()
    except queries.MartsOutdated as outdated:
        message = str(outdated)
        page = st.Page(
            lambda: outdated_page(message),
            title="Start",
            icon=":material/home:",
            url_path="start",
        )
        st.navigation([page]).run()
        return
    except queries.WarehouseUnavailable as unavailable:
        st.warning(str(unavailable))
        ready = False
    if not ready:
        st.navigation([st.Page(start_page, title="Start", icon=":material/home:")]).run()
        return
    as_of = ui.run("as_of_date")
    period, scope = sidebar(as_of)
    st.session_state["context"] = ui.Context(
        warehouse=path, as_of=as_of, period=period, scope=scope, catalogue=ui.run("catalogue")
    )
    pages = [
        st.Page(PAGES_DIR / file, title=title, icon=icon, url_path=url, default=index == 0)
        for index, (file, title, icon, url) in enumerate(PAGES)
    ]
    st.navigation(pages).run()


main()
