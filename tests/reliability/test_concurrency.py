"""Concurrent use: a real `leadtrack dashboard` server answers page loads in headless Chromium
while `leadtrack load` (new exports each round) and `leadtrack build` run in a loop for about
a minute. No page fails, none shows a lock or I/O error, and each page shows one whole build:
the lead count it shows is that of a build that was published."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingest.demo import DemoFiles
from leadtrack.settings import marts_path
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, require_chromium, wait_until_drawn
from tests.reliability.conftest import AS_OF, LEADTRACK, ROOT, demo_paths, environment, leadtrack

pytestmark = pytest.mark.slow
DURATION = 60
FIRST_DAY = "2020-01-01"
PAGES = [
    "this-week",
    "consultant-league",
    "gone-quiet",
    "calls-due",
    "cohorts-and-pipeline",
]
TROUBLE = ("lock", "io error", "being rebuilt", "could not be opened", "traceback", "error")

require_chromium()
playwright_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _published_leads(warehouse: Path) -> int:
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        return con.execute(
            "select count(*) from marts.leads where created_date between ? and ?",
            [FIRST_DAY, AS_OF],
        ).fetchall()[0][0]


def _round_file(folder: Path, number: int) -> Path:
    path = folder / f"round-{number:03d}.csv"
    rows = [
        f"R{number}-{lead},0{1 + lead}/10/2026,Priya Shah,Round client {lead},05/11/2026"
        for lead in range(5)
    ]
    path.write_text("Ref,Date generated,Consultant,Client,CVs received\n" + "\n".join(rows))
    return path


def _open(page, url: str) -> str:
    """Load a page and wait until Streamlit has finished running it; its visible text."""
    response = page.goto(url)
    assert response is not None and response.ok, url
    wait_until_drawn(page)
    page.wait_for_timeout(300)
    assert page.locator("[data-testid='stException']").count() == 0, url
    return page.locator("[data-testid='stApp']").inner_text()


def test_dashboard_serves_whole_builds_while_loading_and_building(
    demo_exports: DemoFiles, tmp_path: Path, wait_for_dashboard: Callable[[str], bool]
) -> None:
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    assert leadtrack(warehouse, "load", *demo_paths(demo_exports)).returncode == 0
    assert leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat()).returncode == 0
    published = [_published_leads(warehouse)]
    port = _free_port()
    log = (tmp_path / "dashboard.log").open("w")
    server = subprocess.Popen(
        [str(LEADTRACK), "dashboard", "--port", str(port)],
        env=environment(warehouse),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    rounds = {"loads": 0, "builds": 0}
    stop = threading.Event()

    def write_loop() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            loaded = leadtrack(warehouse, "load", str(_round_file(tmp_path, number)))
            if loaded.returncode != 0:
                failures.append(f"load {number}: {loaded.stderr}")
            rounds["loads"] += 1
            built = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
            if built.returncode != 0:
                failures.append(f"build {number}: {built.stdout}{built.stderr}")
            rounds["builds"] += 1
            published.append(_published_leads(warehouse))

    pages = 0
    shown: list[int] = []
    try:
        if not wait_for_dashboard(url):
            pytest.fail("the dashboard did not start within 60 s")
        writer = threading.Thread(target=write_loop, daemon=True)
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            writer.start()
            began = time.monotonic()
            # On a busy machine builds are slower: pages are read until two builds were
            # published, for up to three times as long.
            while time.monotonic() - began < DURATION or (
                rounds["builds"] < 2 and time.monotonic() - began < 3 * DURATION
            ):
                # Each time a fresh session (a new page load), alternating the funnel, whose
                # count is checked against the builds, with the other pages.
                path = (
                    f"funnel-and-drop-off?period=custom&from={FIRST_DAY}&to={AS_OF}"
                    if pages % 2 == 0
                    else PAGES[(pages // 2) % len(PAGES)]
                )
                text = _open(page, f"{url}/{path}")
                pages += 1
                lowered = text.lower()
                assert not [word for word in TROUBLE if word in lowered], (path, text[:2000])
                if path.startswith("funnel"):
                    value = page.locator("[data-testid='stMetricValue']").first.inner_text()
                    shown.append(int(value.replace(",", "")))
            stop.set()
            writer.join(timeout=120)
            browser.close()
    finally:
        stop.set()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    assert failures == []
    assert rounds["builds"] >= 2, rounds
    assert shown, "no funnel page was read"
    assert set(shown) <= set(published), (shown, published)
    print(
        f"\nconcurrency: {pages} page loads ({len(shown)} funnel counts checked) during"
        f" {rounds['loads']} loads and {rounds['builds']} builds; counts shown"
        f" {sorted(set(shown))}, published {published}"
    )
