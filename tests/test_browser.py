"""The dashboard in a real browser: `leadtrack dashboard` serves the demo warehouse, headless
Chromium (Debian's, driven by Playwright) opens every page, checks that a Plotly chart
renders and no exception is shown, downloads a CSV export, and saves a screenshot of each
page: into the test's temporary folder, or, with LEADTRACK_SCREENSHOTS=docs/screenshots, over
the README's pictures."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from leadtrack.settings import marts_path
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium, wait_until_drawn

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS_SETTING = "LEADTRACK_SCREENSHOTS"
# url path, screenshot name, whether the page draws a Plotly chart. The default page (This
# week) lives at the root: Streamlit serves the default page there, not at its url path.
PAGES = [
    ("", "this-week", True),
    ("funnel-and-drop-off", "funnel", True),
    ("consultant-league", "consultants", True),
    ("gone-quiet", "gone-quiet", False),
    ("calls-due", "calls-due", False),
    ("cohorts-and-pipeline", "history", True),
    ("find-a-lead", "lead", False),
]

LIST_ROWS = 5

pytestmark = pytest.mark.slow

require_chromium()
playwright_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_copy, tmp_path_factory, wait_for_dashboard) -> Iterator[tuple[str, Path]]:
    """`leadtrack dashboard` on a free port, serving a copy of the demo warehouse (dbt, run
    in the test process, keeps the original open)."""
    warehouse = demo_copy
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "dashboard.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "leadtrack"),
            "--warehouse",
            str(warehouse),
            "dashboard",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        # Lists show their first 5 leads, so a drill-down's download (all of them, read when
        # clicked) is the deferred kind.
        env={**os.environ, "LEADTRACK_LIST_ROWS": str(LIST_ROWS)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    if not wait_for_dashboard(url):
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the dashboard did not start within 60 s")
    yield url, warehouse
    # A plain SIGTERM to `leadtrack dashboard` (a service manager's) stops its server too
    # and frees the port.
    process.terminate()
    try:
        process.wait(timeout=15)
        with socket.socket() as sock:
            outlived = sock.connect_ex(("127.0.0.1", port)) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    assert not outlived, "the server outlived the SIGTERM to `leadtrack dashboard`"


@pytest.fixture(scope="module")
def page(server):
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        yield context.new_page()
        context.close()
        browser.close()


def _open(page, url: str) -> None:
    page.goto(url)
    wait_until_drawn(page)


@pytest.mark.parametrize(("path", "name", "has_chart"), PAGES)
def test_page_renders(server, page, path, name, has_chart, tmp_path):
    url, _ = server
    _open(page, f"{url}/{path}?period=this_quarter")
    if path == "find-a-lead":
        page.get_by_label("Lead id, client or contact").fill("L0001")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Milestone timeline", timeout=60_000)
    if has_chart:
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        assert page.locator(".js-plotly-plot").count() >= 1
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stException']").count() == 0
    # A shared link opens its page, not "Page not found" over the default one.
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator("[data-testid='stSidebar'] >> text=Period").count() >= 1
    folder = Path(os.environ.get(SCREENSHOTS_SETTING) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), type="png")
    assert (folder / f"{name}.png").stat().st_size > 10_000


def test_gone_quiet_csv_download(server, page, tmp_path):
    url, warehouse = server
    _open(page, f"{url}/gone-quiet")
    # On a loaded machine Streamlit may still be finishing the run (or reconnecting, which
    # makes the page inert for a moment): give the click the time a person would wait.
    with page.expect_download(timeout=120_000) as download_info:
        page.get_by_role("button", name="Download CSV").first.click(timeout=120_000)
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.name == "gone-quiet.csv"
    text = target.read_text(encoding="utf-8-sig")
    header, *lines = text.strip().splitlines()
    assert header.startswith("lead_id,consultant,")
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        stale = {row[0] for row in con.execute("select lead_id from marts.stale_leads").fetchall()}
    assert {line.split(",")[0] for line in lines} == stale


def test_drill_down_lists_the_first_rows_and_downloads_them_all(server, page, tmp_path):
    url, warehouse = server
    _open(page, url)
    page.get_by_text("The leads behind these numbers").click()
    choice = page.get_by_label("Leads behind")
    choice.wait_for(timeout=60_000)
    # On a loaded machine the first click may land while Streamlit is still drawing the
    # expander: open the list again until its option shows.
    for attempt in range(5):
        choice.click(timeout=60_000)
        try:
            page.get_by_text("Open now", exact=True).click(timeout=10_000)
            break
        except playwright_api.TimeoutError:
            if attempt == 4:
                raise
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        open_now = {
            row[0]
            for row in con.execute(
                "select lead_id from marts.leads where status = 'open'"
            ).fetchall()
        }
    assert len(open_now) > LIST_ROWS
    page.get_by_text(f"{len(open_now):,} leads; the first {LIST_ROWS} shown").wait_for(
        timeout=120_000
    )
    with page.expect_download(timeout=120_000) as download_info:
        page.get_by_role("button", name="Download CSV").first.click(timeout=120_000)
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name == "leads-this-week.csv"
    header, *lines = target.read_text(encoding="utf-8-sig").strip().splitlines()
    assert header.startswith("lead_id,consultant,")
    assert {line.split(",")[0] for line in lines} == open_now


def test_a_decision_point_lists_its_leads_and_downloads_them_all(server, page, tmp_path):
    """The leads that failed the first decision point, from the Funnel page's link: the count
    shown, the first rows, and a download of them all, where a closed lead's days quiet is an
    empty cell."""
    url, warehouse = server
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        as_of = con.execute(
            "select max(last_touch_date + cast(days_quiet as integer)) from marts.leads"
        ).fetchone()[0]
        label, order = con.execute(
            "select label, milestone_order from staging.stg_milestone_catalogue"
            " where is_decision_point order by milestone_order limit 1"
        ).fetchone()
        failed = {
            row[0]
            for row in con.execute(
                "select lead_id from marts.leads where status in ('lost', 'declined')"
                " and coalesce(furthest_milestone_order, 0) = ?",
                [order - 1],
            ).fetchall()
        }
    assert len(failed) > LIST_ROWS
    _open(page, f"{url}/funnel-and-drop-off?period=custom&from=2020-01-01&to={as_of}")
    drill = page.get_by_test_id("stExpander").filter(
        has_text="The leads behind the decision points"
    )
    drill.get_by_text("The leads behind the decision points").click()
    choice = drill.get_by_label("Leads behind")
    choice.wait_for(timeout=60_000)
    for attempt in range(5):
        choice.click(timeout=60_000)
        try:
            page.get_by_text(f"{label} – failed", exact=True).click(timeout=10_000)
            break
        except playwright_api.TimeoutError:
            if attempt == 4:
                raise
    drill.get_by_text(f"{len(failed):,} leads; the first {LIST_ROWS} shown").wait_for(
        timeout=120_000
    )
    with page.expect_download(timeout=120_000) as download_info:
        drill.get_by_role("button", name="Download CSV").click(timeout=120_000)
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.name == "leads-decision-points.csv"
    with target.open(encoding="utf-8-sig", newline="") as file:
        listed = list(csv.DictReader(file))
    assert {row["lead_id"] for row in listed} == failed
    assert {row["days_quiet"] for row in listed} == {""}
