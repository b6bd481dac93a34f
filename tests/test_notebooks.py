"""The reporting notebooks: each runs on the demo warehouse and its HTML holds the marts'
numbers; the HTML is self-contained; bad parameters fail before anything runs; the
committed notebooks carry no outputs."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import nbformat
import pytest
from typer.testing import CliRunner

from dashboards import queries
from leadtrack.cli import app
from leadtrack.report import (
    NOTEBOOKS,
    REPORTS,
    ReportError,
    render_report,
    resolve_parameters,
)
from leadtrack.settings import Settings

WEEK = date(2026, 11, 16)
PERIOD = (date(2026, 9, 1), date(2026, 11, 22))
QUARTER = "2026-Q3"


# --- the committed notebooks ---------------------------------------------------------------


def test_every_report_has_its_notebook() -> None:
    committed = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert committed == {report.notebook for report in REPORTS.values()}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_committed_notebooks_are_stripped(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert "papermill" not in notebook.metadata, f"{path.name}: papermill metadata left in"
    parameters = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1, f"{path.name}: one cell tagged parameters"
    assert "LEADTRACK_WAREHOUSE" in parameters[0].source


# --- rendering on the demo warehouse -------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_warehouse, demo_copy) -> Settings:
    """Settings for a copy of the demo warehouse and its published marts."""
    copy = demo_copy
    return replace(demo_warehouse.settings, warehouse=copy)


def _parameters(consultant: str, team: str | None = None) -> dict[str, dict[str, str]]:
    """Each report's parameters: the test week (for `team`, else the agency), `consultant`
    over the test period, the test quarter."""
    return {
        "weekly": {"week": WEEK.isoformat()} | ({"team": team} if team else {}),
        "consultant": {
            "consultant": consultant,
            "start": PERIOD[0].isoformat(),
            "end": PERIOD[1].isoformat(),
        },
        "quarterly": {"quarter": QUARTER},
        "quality": {},
    }


@pytest.fixture(scope="module")
def rendered(demo: Settings, tmp_path_factory) -> dict[str, str]:
    """Each report rendered once on the demo warehouse: report name -> its HTML."""
    out_dir = tmp_path_factory.mktemp("reports")
    team = _one(demo.marts, "select min(team) from marts.leads")
    consultant = _one(demo.marts, "select min(consultant) from marts.leads")
    pages = {}
    for name, given in _parameters(consultant, team).items():
        path = render_report(name, given, out_dir, demo)
        assert path.parent == out_dir and path.suffix == ".html"
        pages[name] = path.read_text(encoding="utf-8")
    pages["weekly_team"] = team
    pages["consultant_name"] = consultant
    return pages


def _one(database: Path, sql: str, params: list | None = None):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


def metric(page: str, label: str) -> str:
    """The value shown under a headline label."""
    found = re.search(
        r'<span class="lt-label">' + re.escape(html.escape(label)) + r"</span>"
        r'<span class="lt-value">([^<]*)</span>',
        page,
    )
    assert found, f"no headline {label!r} in the report"
    return found[1]


@pytest.mark.slow
def test_weekly_report_shows_the_weeks_numbers(rendered, demo: Settings) -> None:
    page, team = rendered["weekly"], rendered["weekly_team"]
    team_consultants = "select distinct consultant from marts.leads where team = ?"
    leads_created = _one(
        demo.marts,
        "select coalesce(sum(leads_created), 0) from marts.consultant_weekly"
        f" where week = ? and consultant in ({team_consultants})",
        [WEEK, team],
    )
    last_week = _one(
        demo.marts,
        "select coalesce(sum(leads_created), 0) from marts.consultant_weekly"
        f" where week = ? and consultant in ({team_consultants})",
        [WEEK - timedelta(weeks=1), team],
    )
    quiet = _one(demo.marts, "select count(*) from marts.stale_leads where team = ?", [team])
    due_next_week = _one(
        demo.marts,
        "select count(*) from marts.calls_to_make where team = ? and due_date between ? and ?",
        [team, WEEK + timedelta(weeks=1), WEEK + timedelta(days=13)],
    )
    assert leads_created > 0
    assert metric(page, "Leads created") == f"{leads_created:,}"
    assert f"last week: {last_week:,}" in page
    assert metric(page, "Quiet leads") == f"{quiet:,}"
    assert metric(page, "Calls due next week") == f"{due_next_week:,}"
    # A missed call-back is the first call to make: the overdue calls are listed too.
    overdue = _one(
        demo.marts, "select count(*) from marts.calls_to_make where team = ? and is_overdue", [team]
    )
    assert metric(page, "Overdue (due earlier, not yet made)") == f"{overdue:,}"
    assert f"{team}: week of {WEEK:%d/%m/%Y} to 22/11/2026" in html.unescape(page)
    consultants = _one(
        demo.marts, "select count(distinct consultant) from marts.leads where team = ?", [team]
    )
    per_consultant_table = page.split("Per consultant")[-1]
    assert per_consultant_table.count("<tr>") == consultants + 1  # with the header row


@pytest.mark.slow
def test_weekly_report_of_a_week_under_way_gives_last_week_on_the_same_days(
    demo: Settings, demo_warehouse, tmp_path
) -> None:
    """The demo's as-of date is a Monday: its week's report also gives last week's Monday."""
    as_of = demo_warehouse.as_of
    this_week = {"week": (as_of - timedelta(days=as_of.weekday())).isoformat()}
    page = render_report("weekly", this_week, tmp_path, demo).read_text(encoding="utf-8")
    last_monday = as_of - timedelta(days=as_of.weekday() + 7)
    calls_all_week = _one(
        demo.marts,
        "select count(*) from marts.calls where called_date between ? and ?",
        [last_monday, last_monday + timedelta(days=6)],
    )
    calls_on_monday = _one(
        demo.marts, "select count(*) from marts.calls where called_date = ?", [last_monday]
    )
    assert 0 < calls_on_monday < calls_all_week
    assert f"last week: {calls_all_week:,} ({calls_on_monday:,} by Monday)" in page
    # The stages too: last week's Monday beside last week and this week.
    stages = page.split("<th>Last week by Monday</th>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", stages)
    monday = sum(int(re.findall(r">([^<]*)</td>", row)[-1]) for row in rows)
    assert monday == _one(
        demo.marts,
        "select count(*) from marts.lead_milestones where reached_date = ?",
        [last_monday],
    )
    assert monday > 0
    # Next week's calls, the soonest first: a cut list leaves out the latest, not whole
    # consultants (sorted by consultant, the last ones got none).
    calls_table = page.split("<th>Day</th><th>Consultant</th><th>Lead</th>")[1].split("</table>")[0]
    days = [
        datetime.strptime(day, "%d/%m/%Y")
        for day in re.findall(r"<tr><td>(\d{2}/\d{2}/\d{4})</td>", calls_table)
    ]
    assert len(set(days)) > 1 and days == sorted(days)
    # The rest of the week under way is on the list too, not only next week's calls.
    still_due = _one(
        demo.marts,
        "select count(*) from marts.calls_to_make where due_date between ? and ?",
        [as_of, as_of - timedelta(days=as_of.weekday()) + timedelta(days=6)],
    )
    assert still_due > 0
    assert metric(page, f"Still due this week (from {as_of:%d/%m})") == f"{still_due:,}"


@pytest.mark.slow
def test_weekly_report_of_an_earlier_week_counts_only_next_weeks_calls(
    demo: Settings, tmp_path
) -> None:
    """A report of a week two or more before the as-of date: its next week is past too, so
    the list holds the calls of it still overdue, and the overdue calls due after it (the
    week after, up to the as-of date) are not next week's."""
    week = WEEK - timedelta(weeks=2)
    next_monday = week + timedelta(weeks=1)
    page = render_report("weekly", {"week": week.isoformat()}, tmp_path, demo).read_text(
        encoding="utf-8"
    )
    count = "select count(*) from marts.calls_to_make where due_date between ? and ?"
    next_week = _one(demo.marts, count, [next_monday, next_monday + timedelta(days=6)])
    overdue_after = _one(
        demo.marts,
        "select count(*) from marts.calls_to_make where is_overdue and due_date > ?",
        [next_monday + timedelta(days=6)],
    )
    assert overdue_after > 0
    assert metric(page, "Calls due next week") == f"{next_week:,}"


@pytest.mark.slow
def test_consultant_review_shows_their_period(rendered, demo: Settings) -> None:
    page, consultant = rendered["consultant"], rendered["consultant_name"]
    starts = _one(
        demo.marts,
        "select count(*) from marts.lead_milestones"
        " where consultant = ? and is_filled and reached_date between ? and ?",
        [consultant, *PERIOD],
    )
    created = _one(
        demo.marts,
        "select count(*) from marts.leads where consultant = ? and created_date between ? and ?",
        [consultant, *PERIOD],
    )
    quiet = _one(
        demo.marts, "select count(*) from marts.stale_leads where consultant = ?", [consultant]
    )
    assert created > 0
    assert metric(page, "Leads created") == f"{created:,}"
    assert metric(page, "Reached Start date") == f"{starts:,}"
    assert metric(page, "Quiet leads") == f"{quiet:,}"
    assert f"{html.escape(consultant)} (" in page


@pytest.mark.slow
def test_quarterly_history_shows_the_quarters_cohort(rendered, demo: Settings) -> None:
    page = rendered["quarterly"]
    quarter = "created_month between '2026-07-01' and '2026-09-30'"
    created, filled, lost = (
        _one(demo.marts, f"select sum({column}) from marts.cohorts_monthly where {quarter}")
        for column in ("leads_created", "leads_filled", "leads_lost")
    )
    assert filled > 0
    assert metric(page, "Leads created") == f"{created:,}"
    assert metric(page, "Filled") == f"{filled:,}"
    assert metric(page, "Lost") == f"{lost:,}"
    assert "2026-Q3 (01/07/2026 to 30/09/2026)" in page
    # The cohorts' fee lost (lost leads) and the drop-off's (lost and declined) are headed
    # apart: under one heading they gave two totals for one quarter.
    assert html.escape("Fee lost (£)") in page and html.escape("Fee dropped (£)") in page
    # The pipeline at the quarter's end counts the leads dead by then apart from the live.
    assert "Live on 30/09/2026" in page and "Lost by then" in page


@pytest.mark.slow
def test_data_quality_counts_the_rejected_rows(rendered, demo: Settings) -> None:
    page = rendered["quality"]
    rejected = _one(demo.warehouse, "select count(*) from raw.rejected_rows")
    assert rejected > 0  # the demo tracker carries deliberately bad rows
    assert metric(page, "Rejected rows") == f"{rejected:,}"
    reason = _one(demo.warehouse, "select min(reason) from raw.rejected_rows")
    assert html.escape(reason) in page
    for section in (
        "Milestone dates out of order",
        "Skipped milestones",
        "Leads created after the as-of date",
        "Unknown consultants",
    ):
        assert section in page
    assert "No lead is created after the as-of date." in page
    # The demo's call log has calls of a lead whose tracker row was rejected.
    referenced = (
        "select lead_id from staging.stg_calls union select lead_id from"
        " staging.stg_milestone_events except select lead_id from staging.stg_leads"
    )
    unknown_leads = _one(demo.warehouse, f"select count(lead_id) from ({referenced})")
    assert unknown_leads > 0
    assert metric(page, "Unknown lead ids") == f"{unknown_leads:,}"
    first_unknown = _one(demo.warehouse, f"select min(lead_id) from ({referenced})")
    assert first_unknown in page
    # It names the latest file holding the id (and its first row there), to correct it in.
    latest_file = _one(
        demo.warehouse,
        "select source_file from (select lead_id, source_file, load_id from staging.stg_calls"
        " union all select lead_id, source_file, load_id from staging.stg_milestone_events)"
        f" where lead_id = '{first_unknown}' order by load_id desc limit 1",
    )
    assert "<th>Latest file</th>" in page
    assert f"<td>{html.escape(latest_file)}</td>" in page
    assert "How fresh each source is" in page
    # Counts read as whole numbers (a sum in SQL is a 128-bit integer, which showed as 21,125.0).
    calls = _one(demo.warehouse, "select count(*) from staging.stg_calls")
    assert f'<td class="lt-number">{calls:,}</td>' in page


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _words_shown(page: str) -> list[str]:
    """What a reader sees as words: headings, notes, headline labels, table headers and
    cells, and the charts' titles (JSON strings, `/` written as \\u002f; the charts' data
    may hold ISO dates: Plotly reads them)."""
    tags = re.findall(r"<(h[1-6]|th|td|p|span)\b[^>]*>([^<]*)<", page)
    titles = re.findall(r'"title":\{"text":"((?:[^"\\]|\\.)*)"', page)
    return [html.unescape(text) for _, text in tags] + [json.loads(f'"{t}"') for t in titles]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REPORTS))
def test_every_date_shown_is_written_uk_style(rendered, name: str) -> None:
    """Dates read 24/08/2026 everywhere, the charts' titles too: the weekly funnel's title
    said 'Leads created 2026-08-24 to 2026-11-22'."""
    shown = _words_shown(rendered[name])
    assert shown
    assert [text for text in shown if ISO_DATE.search(text)] == []
    if name == "weekly":
        assert f"Leads created {WEEK - timedelta(weeks=12):%d/%m/%Y} to 22/11/2026" in shown


# The default (recruitment) catalogue's words, which a team with another checklist should
# not read in its reports (a sales team's: engaged, demo booked, proposal sent, won).
RECRUITMENT_WORDS = re.compile(
    r"\b(CVs?|starts?|started|interviews?|placements?|placed|probation)\b", re.IGNORECASE
)


def _text_and_figures(page: str) -> str:
    """A report's text (tags, styles and scripts left out) and its charts' specs (titles,
    legends, labels), without plotly.js itself."""
    figures = [
        script
        for script in re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
        if script.lstrip().startswith("window.PLOTLYENV")
    ]
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return "\n".join([html.unescape(re.sub(r"<[^>]+>", " ", text)), *figures])


@pytest.mark.slow
def test_a_sales_teams_reports_speak_of_its_own_milestones(sales_warehouse, tmp_path) -> None:
    """A team whose catalogue is engaged, demo booked, proposal sent, won: the weekly and
    consultant reports counted "Starts" (leads reaching Won) and the quarterly one
    "Completed probation"; they are named after the catalogue's milestones."""
    settings = sales_warehouse.settings
    consultant = _one(settings.marts, "select min(consultant) from marts.leads")
    pages = {
        name: render_report(name, given, tmp_path, settings).read_text(encoding="utf-8")
        for name, given in _parameters(consultant).items()
    }
    for name, page in pages.items():
        shown = _text_and_figures(page)
        found = [
            shown[max(match.start() - 60, 0) : match.end() + 60]
            for match in RECRUITMENT_WORDS.finditer(shown)
        ]
        assert not found, (name, found)
    won = _one(
        settings.marts,
        "select count(*) from marts.lead_milestones"
        " where consultant = ? and is_filled and reached_date between ? and ?",
        [consultant, *PERIOD],
    )
    assert metric(pages["consultant"], "Reached Won") == f"{won:,}"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REPORTS))
def test_html_is_self_contained(rendered, name: str) -> None:
    page = rendered[name]
    assert len(re.findall(r"plotly\.js v\d", page)) == 1, "plotly.js embedded exactly once"
    assert 'class="plotly-graph-div"' in page
    assert not re.search(r"<script[^>]*\bsrc=", page), "no script loaded from elsewhere"
    assert not re.search(r"<link[^>]*href=[\"']https?:", page), "no stylesheet from the web"
    assert "from '" + "https:" not in page  # no ES module imports from a CDN
    # No code: inputs are excluded, so neither the notebook's code nor an editor shows.
    assert "resolve_parameters" not in page
    assert '<div class="jp-InputArea jp-Cell-inputArea">\n<div class="jp-InputPrompt' not in page
    assert "jp-InputArea-editor" not in re.sub(r"<style.*?</style>", "", page, flags=re.DOTALL)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the chromium package")
def test_html_charts_draw_without_a_network(rendered, tmp_path) -> None:
    page = tmp_path / "quality.html"
    page.write_text(rendered["quality"], encoding="utf-8")
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=127.0.0.1:9",  # every network request fails
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    assert 'class="main-svg"' in dom, "Plotly drew the chart from the embedded library"


# Counts the lines each Phone cell's text takes, once the page has laid itself out, and
# writes them (and the widths of the window and the calls tables) on the body.
PHONE_LINES_PROBE = """<script>
window.addEventListener("load", () => {
  const tables = [...document.querySelectorAll("table.lt-table")].filter(
    (table) => [...table.querySelectorAll("th")].some((th) => th.textContent === "Phone"));
  const lines = tables.flatMap((table) => {
    const column = [...table.querySelectorAll("th")].findIndex((th) => th.textContent === "Phone");
    return [...table.querySelectorAll("tbody tr")].map((row) => {
      const range = document.createRange();
      range.selectNodeContents(row.children[column]);
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
    });
  });
  document.body.dataset.phoneLines = JSON.stringify(lines);
  document.body.dataset.widths = JSON.stringify([document.documentElement.clientWidth,
    ...tables.map((table) => Math.ceil(table.getBoundingClientRect().width))]);
});
</script>"""


def test_a_tables_phone_column_does_not_wrap() -> None:
    """Cells of a phone column carry the class the page's style keeps on one line."""
    import polars as pl

    from leadtrack.report import ReportPage

    shown: list[str] = []

    class Page(ReportPage):
        def _show(self, markup: str) -> None:
            shown.append(markup)

    page = Page()
    calls = pl.DataFrame({"lead_id": ["L1"], "phone": ["+44 (0)20 7946 0713"], "calls": [2]})
    page.table(calls, {"lead_id": "Lead", "phone": "Phone", "calls": "Calls"})
    assert shown[-1].endswith(
        '<tr><td>L1</td><td class="lt-nowrap">+44 (0)20 7946 0713</td>'
        '<td class="lt-number">2</td></tr></tbody></table>'
    )
    assert re.search(r"table\.lt-table td\.lt-nowrap \{ white-space: nowrap; \}", shown[0])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the chromium package")
def test_phone_numbers_stay_on_one_line(rendered, tmp_path) -> None:
    """In the call tables a phone number broke at its spaces onto two lines (the About
    column's long reasons squeezed it), in a browser window of any width. It stays on one
    line, and the table still fits a laptop's window: the other columns wrap instead."""
    page = tmp_path / "weekly.html"
    page.write_text(rendered["weekly"].replace("</body>", PHONE_LINES_PROBE + "</body>"))
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=127.0.0.1:9",
            "--window-size=1280,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    lines = json.loads(html.unescape(re.search(r'data-phone-lines="([^"]*)"', dom)[1]))
    window, *tables = json.loads(html.unescape(re.search(r'data-widths="([^"]*)"', dom)[1]))
    assert len(lines) > 10 and set(lines) == {1}, lines
    assert tables and max(tables) <= window, (window, tables)


def test_a_reports_kernel_is_shut_down_without_an_interrupt(tmp_path) -> None:
    """jupyter_client interrupts a kernel (SIGINT) before asking it to shut down. After a
    report's last cell, papermill's last request (kernel_info) is answered before the kernel
    leaves its handler; a SIGINT landing in between printed "[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel." on stderr (one render in 30 on a busy machine). The
    report's kernel is only asked to shut down, and it does; an interrupt asked for still
    goes."""
    import asyncio
    import signal

    from leadtrack.report import KERNEL_NAME, _local_kernel_manager

    async def start_interrupt_and_shut_down() -> tuple[list[int], bool]:
        manager = _local_kernel_manager(tmp_path / "kernel")(kernel_name=KERNEL_NAME)
        await manager.start_kernel()
        signals: list[int] = []
        send_signal = manager.provisioner.send_signal

        async def recording(signum: int) -> None:
            signals.append(signum)
            await send_signal(signum)

        manager.provisioner.send_signal = recording
        try:
            await manager.interrupt_kernel()
            await manager.shutdown_kernel()
            alive = await manager.is_alive()
        finally:
            if await manager.is_alive():
                await manager.shutdown_kernel(now=True)
        return signals, alive

    signals, alive_after_shutdown = asyncio.run(start_interrupt_and_shut_down())
    assert signals == [signal.SIGINT]  # the one asked for, none from the shutdown
    assert not alive_after_shutdown


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.slow
def test_week_defaults_to_the_week_under_way_but_on_a_monday_the_week_just_ended(
    demo: Settings, demo_warehouse
) -> None:
    resolved = resolve_parameters("weekly", {}, demo.warehouse)
    as_of = demo_warehouse.as_of
    assert as_of.weekday() == 0  # a Monday's week is one day old: last week is reviewed
    assert resolved["week"] == as_of - timedelta(days=7)
    wednesday = date(2026, 11, 25)
    assert queries.week_to_review(wednesday) == date(2026, 11, 23)
    assert resolved["as_of"] == as_of
    quarterly = resolve_parameters("quarterly", {}, demo.warehouse)
    assert quarterly["quarter"] == "2026-Q3"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        (
            "consultant",
            {"consultant": "Nobody Here"},
            r"unknown consultant 'Nobody Here'; valid consultants: \w",
        ),
        ("weekly", {"team": "Nowhere"}, r"unknown team 'Nowhere'; valid teams: \w"),
        ("weekly", {"week": "16/11/2026"}, r"week '16/11/2026' is not a date: .*yyyy-mm-dd"),
        ("weekly", {"week": "2026-11-18"}, r"Wednesday: give the week's Monday .*2026-11-16"),
        ("quarterly", {"quarter": "Q3 2026"}, r"not a quarter: write it as yyyy-Qn"),
        ("consultant", {"consultant": "Anyone", "start": "2026-13-01"}, r"start .*yyyy-mm-dd"),
        ("consultant", {}, r"needs a consultant; one of: \w"),
        ("quality", {"week": "2026-11-16"}, r"takes no week"),
        ("monthly", {}, r"no 'monthly' report; one of: weekly"),
        ("weekly", {"week": "2027-03-01"}, r"week 2027-03-01 is after 2026-11-23, the date"),
        ("quarterly", {"quarter": "2027-Q1"}, r"quarter 2027-Q1 starts after 2026-11-23"),
        (
            "consultant",
            {"consultant": "Anyone", "start": "2026-12-01"},
            r"start 2026-12-01 is after",
        ),
    ],
)
def test_bad_parameters_fail_before_running(
    demo: Settings, tmp_path, name: str, parameters: dict, message: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(ReportError, match=message):
        render_report(name, parameters, tmp_path / "out", demo)
    assert time.perf_counter() - started < 5, "failed fast, without starting a kernel"
    assert not (tmp_path / "out").exists()


def test_malformed_week_fails_without_a_warehouse(tmp_path) -> None:
    with pytest.raises(ReportError, match="yyyy-mm-dd"):
        resolve_parameters("weekly", {"week": "next monday"}, tmp_path / "none.duckdb")


def test_missing_warehouse_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ReportError, match="no built warehouse"):
        resolve_parameters("weekly", {}, tmp_path / "none.duckdb")


@pytest.mark.slow
def test_cli_report_writes_into_reports_by_default(
    demo: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the README's examples run it: without --out."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--warehouse", str(demo.warehouse), "report", "quality"])
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "reports").iterdir()
    assert written.suffix == ".html" and "rejected" in written.read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_report_rejects_an_unknown_consultant(demo: Settings, tmp_path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "--warehouse",
            str(demo.warehouse),
            "report",
            "weekly",
            "--consultant",
            "Nobody Here",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert "unknown consultant 'Nobody Here'" in re.sub(r"\s+", " ", result.output)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", list(REPORTS))
def test_cli_report_on_an_older_builds_marts_says_to_build_again(
    demo: Settings, tmp_path, name: str
) -> None:
    """Published marts built by an older leadtrack, without a mart added since: the report
    says so and what to run, in one line, not a query's error from inside the notebook."""
    old = tmp_path / "older" / "leadtrack.duckdb"
    old.parent.mkdir()
    shutil.copy(demo.marts, replace(demo, warehouse=old).marts)
    with duckdb.connect(str(replace(demo, warehouse=old).marts)) as con:
        con.execute("drop table marts.consultants")
    arguments = ["--consultant", _one(demo.marts, "select min(consultant) from marts.leads")]
    result = CliRunner().invoke(
        app,
        [
            "--warehouse",
            str(old),
            "report",
            name,
            *(arguments if name == "consultant" else []),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1
    assert re.sub(r"\s+", " ", result.output).strip() == (
        "error: The published marts come from a build by an older leadtrack (they have no"
        " marts.consultants): run leadtrack build to build them anew (on a shared PostgreSQL"
        " warehouse, whoever builds it)."
    )
    assert not (tmp_path / "out").exists()
