"""The shared team warehouse on PostgreSQL: ingest, dbt, parity with DuckDB, the reader role,
credentials, and readers during a build."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboards import queries
from ingest.catalogue import CatalogueError
from ingest.loader import load_file, load_files, read_catalogue
from leadtrack.cli import app
from leadtrack.dbt import run_dbt
from leadtrack.postgres import (
    CATALOGUE,
    STAMP,
    PostgresError,
    connect,
    current_build,
    promote_build,
)
from leadtrack.publish import COPY_ORDER, publish_build, publish_from_postgres
from leadtrack.settings import PROJECT_ROOT, Settings, marts_path
from leadtrack.warehouse import open_raw_writer
from tests.conftest import DemoWarehouse, PostgresDatabase, postgres_bin_or_skip

APP = PROJECT_ROOT / "dashboards" / "app.py"

LEADS = (
    "Ref,Date generated,Consultant,Client,CVs received,Interviews booked\n"
    "L-1,02/11/2026,Priya Shah,Acme Ltd,05/11/2026,09/11/2026\n"
    'L-2,03/11/2026,Tom Reid,"Brightwater, plc",Y,\n'
    "L-3,31/02/2026,Tom Reid,Nowhere Ltd,,\n"
    "L-4,04/11/2026,Priya Shah,,,\n"
)
RAW_TABLES = ("leads", "milestone_events", "rejected_rows", "loads", "milestone_catalogue")


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as con:
        return {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in RAW_TABLES
        }


def _load(settings: Settings, *paths: Path):
    writer = open_raw_writer(settings)
    try:
        return load_files(writer, list(paths), settings.catalogue)
    finally:
        writer.close()


def test_ingest_writes_rows_rejects_and_lineage_and_skips_a_file_seen_before(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    (result,) = _load(pg_settings, export)
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "tracker",
        4,
        3,
        1,
    )
    with psycopg.connect(postgres_database.url) as con:
        leads = con.execute(
            "select lead_id, client, _load_id, _source_file, _source_row from raw.leads"
            " order by lead_id"
        ).fetchall()
        assert leads == [
            ("L-1", "Acme Ltd", result.load_id, str(export), 2),
            ("L-2", "Brightwater, plc", result.load_id, str(export), 3),
            ("L-4", None, result.load_id, str(export), 5),
        ]
        events = con.execute(
            "select lead_id, milestone, event_date, is_date_unknown from raw.milestone_events"
            " order by lead_id, event_date nulls last"
        ).fetchall()
        assert events == [
            ("L-1", "cvs_received", date(2026, 11, 5), False),
            ("L-1", "interviews_booked", date(2026, 11, 9), False),
            ("L-2", "cvs_received", None, True),
        ]
        ((row, reason, record),) = con.execute(
            "select source_row, reason, record from raw.rejected_rows"
        ).fetchall()
        assert row == 4 and "31/02/2026" in reason and "Nowhere Ltd" in record
        loads = con.execute(
            "select load_id, kind, rows_read, rows_loaded, rows_rejected, status from raw.loads"
            " order by load_id"
        ).fetchall()
        assert loads == [(1, "catalogue", 13, 13, 0, "loaded"), (2, "tracker", 4, 3, 1, "loaded")]

    before = _counts(postgres_database.url)
    (again,) = _load(pg_settings, export)
    assert again.already_loaded and again.load_id == result.load_id
    assert _counts(postgres_database.url) == before

    other = tmp_path / "more.csv"
    other.write_text(LEADS.replace("L-", "M-"), encoding="utf-8")
    (more,) = _load(pg_settings, other)
    assert more.load_id == result.load_id + 1


def test_a_catalogue_without_a_milestone_postgres_raw_holds_is_refused(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    """The check that a new catalogue keeps every milestone the loaded exports reached reads
    PostgreSQL's raw, as it does DuckDB's."""
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    _load(pg_settings, export)
    before = _counts(postgres_database.url)
    ours = tmp_path / "ours.csv"
    lines = pg_settings.catalogue.read_text().splitlines()
    ours.write_text("\n".join(line for line in lines if ",interviews_booked," not in line) + "\n")
    with pytest.raises(
        CatalogueError,
        match=r"no milestone interviews_booked, which the"
        r" exports already loaded hold for 1 lead \(the latest from .*tracker\.csv, load 2\)",
    ):
        _load(replace(pg_settings, catalogue=ours))
    assert _counts(postgres_database.url) == before


def test_a_failing_file_leaves_postgres_raw_unchanged(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingest.loader

    _load(pg_settings, *[])  # the catalogue only
    before = _counts(postgres_database.url)
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")

    def interrupted(*args, **kwargs) -> None:
        raise RuntimeError("interrupted after the rows were copied")

    monkeypatch.setattr(ingest.loader, "_record_load", interrupted)
    writer = open_raw_writer(pg_settings)
    with pytest.raises(RuntimeError, match="interrupted"):
        load_file(writer, export, read_catalogue(pg_settings.catalogue))
    writer.close()
    assert _counts(postgres_database.url) == before


def test_a_load_waits_for_a_build_under_way(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    """A build's models read raw in many statements: a load committed between two of them
    gave a published build mixing two states of raw (the rejects of a tracker whose leads
    were not in the marts). A load waits for the build, and says so."""
    from leadtrack.postgres import build_lock

    _load(pg_settings)  # the raw schema and the catalogue
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    waited = threading.Event()
    done: list = []

    def load() -> None:
        writer = open_raw_writer(pg_settings, on_wait=waited.set)
        try:
            done.extend(load_files(writer, [export], pg_settings.catalogue))
        finally:
            writer.close()

    with build_lock():
        loader = threading.Thread(target=load)
        loader.start()
        assert waited.wait(30)
        time.sleep(1)
        assert not done and _counts(postgres_database.url)["leads"] == 0
    loader.join(60)
    assert [result.rows_loaded for result in done] == [3]
    assert _counts(postgres_database.url)["leads"] == 3


def test_a_build_waiting_for_another_build_says_so(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    """A second build waited on the advisory lock without a word, as if it hung: it says
    that another build is running and that it waits for it, as a load does."""
    from leadtrack.postgres import BUILD_LOCK

    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    assert _cli(pg_settings, "load", str(export)).exit_code == 0
    outcomes: list = []
    with psycopg.connect(postgres_database.url, autocommit=True) as other_build:
        other_build.execute(f"select pg_advisory_lock({BUILD_LOCK})")
        builder = threading.Thread(
            target=lambda: outcomes.append(_cli(pg_settings, "build", "--as-of", "2026-11-23"))
        )
        builder.start()
        deadline = time.monotonic() + 60
        while not other_build.execute(
            "select exists (select from pg_locks where locktype = 'advisory' and not granted)"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the build did not wait for the lock"
            time.sleep(0.1)
        assert not outcomes
    builder.join(300)
    (outcome,) = outcomes
    assert outcome.exit_code == 0, outcome.output
    said = " ".join(outcome.output.split())
    assert "another build of this warehouse is running: waiting for it to finish" in said
    assert said.index("waiting for it to finish") < said.index("built")


@pytest.mark.parametrize("locale", ["C", None])
def test_consultant_names_in_any_case_match_or_the_build_says_why_not(
    postgres_admin: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    locale: str | None,
) -> None:
    """In a database created with LC_CTYPE C, lower() leaves Ë as it is: ZOË ELLIS and Zoë
    Ellis were two consultants there (one on DuckDB), and the build published them so. Such a
    database is refused with what to do; a UTF-8 one matches the names as DuckDB does."""
    import secrets

    from leadtrack.throwaway_postgres import create_database, database_urls, drop_database

    suffix = secrets.token_hex(4)
    name, reader, password = f"lt_{suffix}", f"lt_reader_{suffix}", secrets.token_hex(10)
    create_database(postgres_admin, name, reader, password, locale=locale)
    url, reader_url = database_urls(postgres_admin, name, reader, password)
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", url)
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", reader_url)
    export = tmp_path / "tracker.csv"
    export.write_text(
        "Ref,Date generated,Consultant,Client\n"
        "U-1,02/11/2026,ZOË ELLIS,Acme Ltd\n"
        "U-2,03/11/2026,Zoë Ellis,Beta plc\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "warehouse" / "leadtrack.duckdb"
    options = ["--target", "postgres", "--warehouse", str(warehouse)]
    try:
        loaded = CliRunner().invoke(app, [*options, "load", str(export)])
        assert loaded.exit_code == 0, loaded.output
        built = CliRunner().invoke(app, [*options, "build", "--as-of", "2026-11-23"])
        if locale == "C":
            assert built.exit_code == 1
            message = " ".join(built.output.split())
            assert "LC_CTYPE C" in message and "lc_ctype 'C.UTF-8'" in message
            assert not marts_path(warehouse).exists()
        else:
            assert built.exit_code == 0, built.output
            with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
                rows = con.execute(
                    "select consultant, count(*) from marts.leads group by all"
                ).fetchall()
            assert len(rows) == 1 and rows[0][1] == 2
    finally:
        drop_database(postgres_admin, name, reader)


def test_a_call_log_of_days_keeps_a_leads_two_calls_of_a_day_on_postgres(
    postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    """A log of days gives a lead's second call of a day its derived id and `:2`: staging on
    PostgreSQL keeps the number as it recomputes the id (substr), so both calls are built,
    and a re-export in capitals with the first outcome corrected holds the same two calls,
    with the ids a DuckDB build gives them."""
    header = "Date,Lead ID,Consultant,Outcome,Notes\n"
    exports = {
        "calls-1.csv": "02/11/2026,L1,Alice Hart,No answer,morning try\n"
        "02/11/2026,L1,Alice Hart,Spoke - CVs on the way,afternoon\n",
        "calls-2.csv": "02/11/2026,L1,ALICE HART,Left message,morning try\n"
        "02/11/2026,L1,ALICE HART,Spoke - CVs on the way,afternoon\n",
    }
    (tmp_path / "leads.csv").write_text(
        "Ref,Date,Consultant,Client\nL1,01/11/2026,Alice Hart,Acme\n"
    )
    for name, rows in exports.items():
        (tmp_path / name).write_text(header + rows)
    built = {}
    for target in ("postgres", "duckdb"):
        warehouse = tmp_path / target / "leadtrack.duckdb"
        options = ["--target", target, "--warehouse", str(warehouse)]
        for files in (["leads.csv", "calls-1.csv"], ["calls-2.csv"]):
            loaded = CliRunner().invoke(
                app, [*options, "load", *(str(tmp_path / name) for name in files)]
            )
            assert loaded.exit_code == 0, loaded.output
            result = CliRunner().invoke(app, [*options, "build", "--as-of", "2026-11-05"])
            assert result.exit_code == 0, result.output
        with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
            built[target] = con.execute(
                "select call_id, outcome, is_connected from marts.calls order by call_id"
            ).fetchall()
    (first, _, _), (second, _, _) = built["postgres"]
    assert second == f"{first}:2"
    assert [row[1:] for row in built["postgres"]] == [
        ("Left message", False),
        ("Spoke - CVs on the way", True),
    ]
    assert built["postgres"] == built["duckdb"]


def test_concurrent_loads_get_distinct_ids_and_one_copy_of_a_file(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    _load(pg_settings)
    files = []
    for number in range(4):
        path = tmp_path / f"tracker-{number}.csv"
        path.write_text(LEADS.replace("L-", f"N{number}-"), encoding="utf-8")
        files.append(path)
    files.append(files[0])  # the same content twice, at the same time
    outcomes, failures = [], []

    def load(path: Path) -> None:
        try:
            outcomes.extend(_load(pg_settings, path))
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=load, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(outcome.already_loaded for outcome in outcomes) == [False] * 4 + [True]
    with psycopg.connect(postgres_database.url) as con:
        ids = [row[0] for row in con.execute("select load_id from raw.loads order by 1")]
        assert ids == list(range(1, 6))
        assert con.execute("select count(*) from raw.leads").fetchone()[0] == 4 * 3


def _normalise(value):
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _on_day(row: tuple, day: date, other: date) -> tuple:
    """The row with the date `day` (as a date, and as text dd/mm/yyyy) read as `other`."""
    text, other_text = day.strftime("%d/%m/%Y"), other.strftime("%d/%m/%Y")
    return tuple(
        other
        if value == day
        else value.replace(text, other_text)
        if isinstance(value, str)
        else value
        for value in row
    )


def _sorted_rows(rows) -> list[tuple]:
    normalised = [tuple(_normalise(value) for value in row) for row in rows]
    return sorted(normalised, key=lambda row: [(value is None, str(value)) for value in row])


@pytest.mark.slow
def test_demo_marts_match_duckdb_row_for_row_and_the_reader_reads_only_marts(
    demo_warehouse: DemoWarehouse,
    demo_copy: Path,
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
) -> None:
    files = demo_warehouse.files
    _load(pg_settings, files.consultants, files.tracker, files.events, files.calls)
    build = run_dbt(
        pg_settings, ["build"], as_of=demo_warehouse.as_of, target_path=tmp_path / "target"
    )
    assert build.ok, [(node.name, node.message) for node in build.failures] or build.error
    assert sum(node.resource_type == "model" for node in build.nodes) == sum(
        node.resource_type == "model" for node in demo_warehouse.build.nodes
    )
    # dbt built the marts aside; promoting the build makes them the marts, all at once.
    with connect(autocommit=True) as pg:
        assert promote_build(pg, postgres_database.reader_role)

    with (
        duckdb.connect(str(marts_path(demo_copy)), read_only=True) as local,
        psycopg.connect(postgres_database.url) as pg,
    ):
        marts = [
            row[0]
            for row in local.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        pg_marts = [
            row[0]
            for row in pg.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' and table_name not in (%s, %s) order by 1",
                [STAMP, CATALOGUE],
            ).fetchall()
        ]
        assert marts == pg_marts and "leads" in marts and "calls_due" in marts
        # Each engine's loads ran at their own time: a suite that runs over midnight loaded
        # the two on different days, which the data-quality list dates its rejected rows by.
        with duckdb.connect(str(demo_copy), read_only=True) as warehouse:
            (local_day,) = warehouse.execute(
                "select max(cast(finished_at as date)) from raw.loads"
            ).fetchone()
        (pg_day,) = pg.execute("select max(finished_at::date) from raw.loads").fetchone()
        for mart in marts:
            local_result = local.execute(f"select * from marts.{mart}")
            columns = [column[0] for column in local_result.description]
            local_rows = local_result.fetchall()
            if mart == "data_quality_issues":
                local_rows = [_on_day(row, local_day, pg_day) for row in local_rows]
            quoted = ", ".join(f'"{column}"' for column in columns)
            pg_rows = pg.execute(f"select {quoted} from marts.{mart}").fetchall()
            assert len(local_rows) == len(pg_rows), mart
            assert _sorted_rows(local_rows) == _sorted_rows(pg_rows), mart

    # Publish: the reader role copies the marts into the file every reader opens.
    published = publish_build(pg_settings, None)
    assert queries.marts_ready(published)
    assert queries.as_of_date(published) == demo_warehouse.as_of
    with (
        duckdb.connect(str(published), read_only=True) as copy,
        duckdb.connect(str(demo_warehouse.settings.marts), read_only=True) as original,
    ):
        for mart in marts:
            sql = f"select count(*) from marts.{mart}"
            assert copy.execute(sql).fetchall() == original.execute(sql).fetchall(), mart
        # PostgreSQL's tables keep no order: the copy writes the rows in the DuckDB build's
        # order again, which the dashboard's filters skip row groups by.
        for mart, order in COPY_ORDER.items():
            keys = ", ".join(part.split()[0] for part in order.split(","))
            sql = f"select {keys} from marts.{mart}"
            assert copy.execute(sql).fetchall() == original.execute(sql).fetchall(), mart
        tables = copy.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema <> 'marts'"
        ).fetchall()
        assert tables == [("staging", "stg_milestone_catalogue")]

    # The reader role selects the marts and the catalogue, and nothing else; it writes nothing.
    with psycopg.connect(postgres_database.reader_url, autocommit=True) as reader:
        assert reader.execute("select count(*) from marts.leads").fetchone()[0] > 0
        assert reader.execute("select count(*) from marts.milestone_catalogue").fetchone()[0]
        for statement in (
            "select count(*) from raw.leads",
            "select count(*) from raw.loads",
            "select count(*) from staging.stg_leads",
            "select count(*) from staging.stg_milestone_catalogue",
            "delete from marts.leads",
            "insert into marts.calls_due (lead_id) values ('X')",
            "drop table marts.leads",
            "create table marts.mine (id integer)",
            "create table public.mine (id integer)",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)


def test_no_password_in_errors(
    postgres_database: PostgresDatabase,
    pg_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from psycopg.conninfo import make_conninfo

    secret = "Sesame-Open-4242"
    wrong = make_conninfo(postgres_database.url, password=secret)
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", wrong)
    with pytest.raises(PostgresError) as raised:
        connect()
    assert "password authentication failed" in str(raised.value)
    assert secret not in str(raised.value)

    # A reader URL with a wrong password: the publish step says why, without the password.
    monkeypatch.setenv(
        "LEADTRACK_POSTGRES_READER_URL",
        make_conninfo(postgres_database.reader_url, password=secret),
    )
    with pytest.raises(PostgresError) as raised:
        publish_build(Settings(warehouse=tmp_path / "w.duckdb", target="postgres"), None)
    assert secret not in str(raised.value)

    # The command line, every stage: an error, never the password.
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    runner = CliRunner()
    for command in (["load", str(export)], ["build"]):
        outcome = runner.invoke(
            app,
            ["--target", "postgres", "--warehouse", str(tmp_path / "w.duckdb"), *command],
        )
        assert outcome.exit_code == 1, outcome.output
        assert "password authentication failed" in outcome.output
        assert secret not in outcome.output

    # dbt with the wrong password: its error names no password either.
    result = run_dbt(pg_settings, ["run"], target_path=tmp_path / "target")
    assert not result.ok
    assert secret not in (result.error or "") + "".join(node.message or "" for node in result.nodes)


@pytest.mark.slow
def test_readers_during_a_build_see_the_build_before_or_the_build_after(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    runner = CliRunner()
    options = ["--target", "postgres", "--warehouse", str(pg_settings.warehouse)]
    first = tmp_path / "first.csv"
    first.write_text(LEADS, encoding="utf-8")
    outcome = runner.invoke(app, [*options, "load", str(first)])
    assert outcome.exit_code == 0, outcome.output
    outcome = runner.invoke(app, [*options, "build", "--as-of", "2026-11-23"])
    assert outcome.exit_code == 0, outcome.output
    published = pg_settings.marts

    def pair() -> tuple[int, int]:
        with duckdb.connect(str(published), read_only=True) as con:
            con.begin()
            leads = con.execute("select count(*) from marts.leads").fetchone()[0]
            milestones = con.execute("select count(*) from marts.lead_milestones").fetchone()[0]
            con.commit()
        return leads, milestones

    before = pair()
    second = tmp_path / "second.csv"
    second.write_text(
        LEADS.replace("L-", "S-") + "S-5,05/11/2026,Tom Reid,Acme Ltd,06/11/2026,\n",
        encoding="utf-8",
    )
    outcome = runner.invoke(app, [*options, "load", str(second)])
    assert outcome.exit_code == 0, outcome.output

    seen: set[tuple[int, int]] = set()
    problems: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.add(pair())
            except Exception as error:  # a reader must never fail
                problems.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        outcome = runner.invoke(app, [*options, "build", "--as-of", "2026-11-23"])
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert outcome.exit_code == 0, outcome.output
    after = pair()
    assert after != before and after[0] == before[0] * 2 + 1
    assert not problems
    assert seen <= {before, after}
    assert before in seen


# --- whole builds, a consultant's own copy, status and rejects, a lost connection -------------


def _cli(settings: Settings, *arguments: str):
    options = ["--target", "postgres", "--warehouse", str(settings.warehouse)]
    outcome = CliRunner().invoke(app, [*options, *arguments])
    return outcome


def _load_and_build(settings: Settings, export: Path, text: str) -> None:
    """Write `text` to `export`, load it and build as of 2026-11-23, on the settings' target."""
    export.write_text(text, encoding="utf-8")
    outcome = _cli(settings, "load", str(export))
    assert outcome.exit_code == 0, outcome.output
    outcome = _cli(settings, "build", "--as-of", "2026-11-23")
    assert outcome.exit_code == 0, outcome.output


def _build_stamp(url: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as con:
        return current_build(con)


def _snapshot(published: Path) -> tuple[str, int, int]:
    with duckdb.connect(str(published), read_only=True) as con:
        return (
            con.execute("select build_id from marts.build_stamp").fetchone()[0],
            con.execute("select count(*) from marts.leads").fetchone()[0],
            con.execute("select count(*) from marts.lead_milestones").fetchone()[0],
        )


@pytest.mark.slow
def test_every_snapshot_taken_during_a_build_is_one_whole_build(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    _load_and_build(pg_settings, tmp_path / "first.csv", LEADS)
    old_build = _build_stamp(postgres_database.url)
    assert old_build
    second = tmp_path / "second.csv"
    second.write_text(
        LEADS.replace("L-", "S-") + "S-5,05/11/2026,Tom Reid,Acme Ltd,06/11/2026,\n",
        encoding="utf-8",
    )
    assert _cli(pg_settings, "load", str(second)).exit_code == 0

    # Readers on machines of their own, copying the marts over and over while the build runs.
    seen: list[tuple[str, int, int]] = []
    problems: list[BaseException] = []
    done = threading.Event()

    def read(number: int) -> None:
        warehouse = tmp_path / f"reader-{number}" / "leadtrack.duckdb"
        while not done.is_set():
            try:
                seen.append(_snapshot(publish_from_postgres(warehouse)))
            except BaseException as error:  # a reader must never fail
                problems.append(error)
                return

    readers = [threading.Thread(target=read, args=(number,)) for number in range(2)]
    for reader in readers:
        reader.start()
    try:
        # The old build copied at least once before the new one starts: on a loaded machine
        # the build could otherwise land before any copy had finished (a race, not a bug).
        deadline = time.monotonic() + 120
        while not seen and not problems and time.monotonic() < deadline:
            time.sleep(0.05)
        outcome = _cli(pg_settings, "build", "--as-of", "2026-11-23")
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert outcome.exit_code == 0, outcome.output
    assert not problems, problems
    new_build = _build_stamp(postgres_database.url)
    assert new_build and new_build != old_build
    builds = {old_build: (3, 3), new_build: (7, 7)}  # leads and lead_milestones of each build
    assert seen
    assert {(build, leads, milestones) for build, leads, milestones in seen} <= {
        (build, *counts) for build, counts in builds.items()
    }
    assert old_build in {build for build, _, _ in seen}
    # PostgreSQL keeps one marts schema; the build before is gone, nothing is left aside.
    with psycopg.connect(postgres_database.url) as con:
        schemas = {row[0] for row in con.execute("select nspname from pg_namespace")}
        kinds = {
            row[0]
            for row in con.execute(
                "select table_type from information_schema.tables where table_schema = 'marts'"
            )
        }
    assert "marts" in schemas and not {"marts__building", "marts__previous"} & schemas
    # Every mart is a table of the build's rows (no view over staging, which builds update).
    assert kinds == {"BASE TABLE"}


def test_a_failed_builds_leftovers_are_not_promoted_with_the_next_build(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    _load_and_build(pg_settings, tmp_path / "first.csv", LEADS)
    # What a failed build leaves: marts__building with a table no model builds any more.
    with psycopg.connect(postgres_database.url, autocommit=True) as con:
        con.execute("create schema marts__building")
        con.execute("create table marts__building.retired_mart as select 1 as leads")
    outcome = _cli(pg_settings, "build", "--as-of", "2026-11-23")
    assert outcome.exit_code == 0, outcome.output
    with psycopg.connect(postgres_database.url) as con:
        marts = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        }
    assert "leads" in marts
    assert "retired_mart" not in marts


@pytest.mark.slow
def test_a_consultant_without_a_build_of_their_own_gets_the_teams_latest_build(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import leadtrack.cli
    from leadtrack.publish import local_build, refresh_from_postgres

    _load_and_build(pg_settings, tmp_path / "tracker.csv", LEADS)

    # The consultant's machine: the reader's connection only, no warehouse, no copy yet.
    monkeypatch.delenv("LEADTRACK_POSTGRES_URL")
    laptop = Settings(warehouse=tmp_path / "laptop" / "leadtrack.duckdb", target="postgres")
    served: list[Settings] = []
    monkeypatch.setattr(leadtrack.cli, "_serve", lambda settings, **_: served.append(settings))
    outcome = _cli(laptop, "dashboard")
    assert outcome.exit_code == 0, outcome.output
    assert served and laptop.marts.exists()
    assert queries.marts_ready(laptop.marts)
    assert _snapshot(laptop.marts)[1:] == (3, 3)
    assert local_build(laptop.marts) == _build_stamp(postgres_database.reader_url)

    # Nothing new: the copy is left as it is (one one-row query).
    modified = laptop.marts.stat().st_mtime_ns
    monkeypatch.setattr("leadtrack.publish.CHECK_EVERY_SECONDS", 0)
    assert refresh_from_postgres(laptop) == laptop.marts
    assert laptop.marts.stat().st_mtime_ns == modified

    # The team loads and builds again: the next page view brings the copy up to date.
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", postgres_database.url)
    _load_and_build(pg_settings, tmp_path / "more.csv", LEADS.replace("L-", "M-"))
    monkeypatch.delenv("LEADTRACK_POSTGRES_URL")
    monkeypatch.setenv("LEADTRACK_TARGET", "postgres")
    monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(laptop.warehouse))
    page_view = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not page_view.exception
    # That view showed the build it had and fetched the new one in the background.
    deadline = time.monotonic() + 60
    while local_build(laptop.marts) != _build_stamp(postgres_database.reader_url):
        assert time.monotonic() < deadline, "the page view did not refresh the copy"
        time.sleep(0.2)
    assert _snapshot(laptop.marts)[1:] == (6, 6)

    # A report on another machine without a copy: fetched first, then rendered from it.
    from leadtrack.report import render_report

    desk = Settings(warehouse=tmp_path / "desk" / "leadtrack.duckdb", target="postgres")
    html = render_report("weekly", {"week": "2026-11-02"}, tmp_path / "reports", desk)
    assert desk.marts.exists() and "Priya Shah" in html.read_text(encoding="utf-8")

    # The server out of reach: the copy stays and is served; without a copy, a clear error.
    from psycopg.conninfo import make_conninfo

    unreachable = make_conninfo(postgres_database.reader_url, port="1")
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", unreachable)
    monkeypatch.setattr("leadtrack.publish._stamp_connection", [])
    assert refresh_from_postgres(laptop) == laptop.marts
    nowhere = Settings(warehouse=tmp_path / "nowhere" / "leadtrack.duckdb", target="postgres")
    outcome = _cli(nowhere, "dashboard")
    assert outcome.exit_code == 1
    assert "could not connect to PostgreSQL" in outcome.output
    assert postgres_database.reader_password not in outcome.output
    assert not served[1:]


def _built_at(url: str) -> str:
    """When PostgreSQL's marts were built, in this machine's time, as messages write it."""
    with psycopg.connect(url, autocommit=True) as con:
        (built,) = con.execute("select built_at from marts.build_stamp").fetchone()
    return f"{built.astimezone():%d/%m/%Y %H:%M}"


def test_a_server_that_never_answers_is_an_error_not_a_wait_for_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libpq waits for ever on a server that took the connection and says nothing (a hung
    server, a proxy before a stopped one): a load hung, and the dashboard's refresh never
    ended, so it was never tried again and no page said the copy might be out of date."""
    import socket

    monkeypatch.setattr("leadtrack.postgres.CONNECT_TIMEOUT_SECONDS", 1)
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    outcome: list[BaseException] = []

    def attempt(url: str) -> None:
        try:
            connect(url).close()
        except PostgresError as error:
            outcome.append(error)

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"postgresql://leadtrack@127.0.0.1:{silent.getsockname()[1]}/leadtrack"
        trying = threading.Thread(target=attempt, args=(url,), daemon=True)
        trying.start()
        trying.join(60)
        assert not trying.is_alive(), "still waiting for the server after 60 s"
    assert len(outcome) == 1
    assert "could not connect to PostgreSQL" in str(outcome[0])
    assert "timeout expired" in str(outcome[0])


def test_a_dashboard_that_cannot_reach_postgres_says_its_copy_may_be_out_of_date(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL down: it logged "kept the marts of the last build: could not connect..." and
    then printed "✓ the marts of the team's latest build are in ...", which was false."""
    from psycopg.conninfo import make_conninfo

    import leadtrack.cli

    _load_and_build(pg_settings, tmp_path / "tracker.csv", LEADS)
    built = _built_at(postgres_database.url)
    served: list[Settings] = []
    monkeypatch.setattr(leadtrack.cli, "_serve", lambda settings, **_: served.append(settings))
    unreachable = make_conninfo(postgres_database.reader_url, port="1")
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", unreachable)
    monkeypatch.setattr("leadtrack.publish._stamp_connection", [])
    outcome = _cli(pg_settings, "dashboard")
    assert outcome.exit_code == 0, outcome.output
    assert served  # the copy it has is served
    said = " ".join(outcome.output.split())
    assert "latest build are in" not in said
    assert f"this shows the local copy in {pg_settings.marts}, the build of {built}" in said
    assert "which may be out of date (could not connect to PostgreSQL" in said
    assert "kept the marts of the last build" not in said
    assert postgres_database.reader_password not in outcome.output


@pytest.mark.slow
def test_every_dashboard_page_says_when_it_shows_a_copy_that_may_be_out_of_date(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL out of reach: `leadtrack dashboard` said that the local copy may be out of
    date, but in the browser only the log did ("kept the marts of the last build"), and a
    recruiter saw figures that may be days old without a word. Every page says so, naming the
    build the copy holds and what to do; once PostgreSQL answers again, it says nothing."""
    from psycopg.conninfo import make_conninfo

    _load_and_build(pg_settings, tmp_path / "tracker.csv", LEADS)
    built = _built_at(postgres_database.url)
    # A consultant's dashboard: the reader's connection only, to a server that is down.
    monkeypatch.delenv("LEADTRACK_POSTGRES_URL")
    monkeypatch.setenv(
        "LEADTRACK_POSTGRES_READER_URL", make_conninfo(postgres_database.reader_url, port="1")
    )
    monkeypatch.setattr("leadtrack.publish._stamp_connection", [])
    monkeypatch.setenv("LEADTRACK_TARGET", "postgres")
    monkeypatch.setenv("LEADTRACK_WAREHOUSE", str(pg_settings.warehouse))
    page_view = AppTest.from_file(str(APP), default_timeout=120).run()
    pages = sorted(path.name for path in (APP.parent / "views").glob("*.py"))
    assert len(pages) == 7
    for page in pages:
        page_view.switch_page(f"views/{page}").run()
        assert not page_view.exception, page
        said = " ".join(" ".join(warning.value for warning in page_view.warning).split())
        assert f"this machine's copy of the team's marts, the build of {built}" in said, page
        assert "may be out of date" in said
        assert "Check that PostgreSQL is running and `LEADTRACK_POSTGRES_READER_URL` is right" in (
            said
        )
        assert "Why: `could not connect to PostgreSQL" in said
        assert postgres_database.reader_password not in said
        assert page_view.title, page  # and the page itself, from the copy

    # PostgreSQL answers again: the page shows the latest build and says nothing.
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", postgres_database.reader_url)
    page_view.run()
    assert not page_view.exception
    assert not [warning for warning in page_view.warning if "out of date" in warning.value]


def test_a_report_from_a_copy_that_could_not_be_refreshed_says_which_build_it_is_from(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reader's password wrong (or the server down): the report was rendered from the old
    local copy, and only a one-line log warning said so; the HTML, which gets forwarded, did
    not."""
    from psycopg.conninfo import make_conninfo

    _load_and_build(pg_settings, tmp_path / "tracker.csv", LEADS)
    built = _built_at(postgres_database.url)
    wrong = make_conninfo(postgres_database.reader_url, password="not-the-readers")
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", wrong)
    monkeypatch.setattr("leadtrack.publish._stamp_connection", [])
    out = tmp_path / "reports"
    outcome = _cli(pg_settings, "report", "weekly", "--week", "2026-11-02", "--out", str(out))
    assert outcome.exit_code == 0, outcome.output
    (page,) = out.glob("*.html")
    text = re.sub(r"\s+", " ", page.read_text(encoding="utf-8"))
    assert f"This report is from the build of {built}" in text
    assert "so it may be out of date" in text and "Priya Shah" in text
    said = " ".join(outcome.output.split())
    assert f"the build of {built}, which may be out of date" in said
    assert "password authentication failed" in said and "not-the-readers" not in said


def test_status_and_rejects_read_the_postgres_warehouse(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    outcome = _cli(pg_settings, "status")
    assert outcome.exit_code == 1 and "load some exports first" in outcome.output
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    assert _cli(pg_settings, "load", str(export)).exit_code == 0

    outcome = _cli(pg_settings, "status")
    assert outcome.exit_code == 0, outcome.output
    assert "tracker.csv" in outcome.output and "Rows in raw" in outcome.output
    assert "PostgreSQL database lt_" in outcome.output
    assert "Rejected rows in all: 1" in outcome.output
    assert postgres_database.reader_password not in outcome.output
    outcome = _cli(pg_settings, "rejects")
    assert outcome.exit_code == 0, outcome.output
    assert "31/02/2026" in outcome.output and "tracker.csv" in outcome.output
    outcome = _cli(pg_settings, "rejects", "--load", "99")
    assert outcome.exit_code == 0 and "No rejected rows in load 99" in outcome.output
    assert not pg_settings.warehouse.exists()  # nothing read or written locally


def test_the_builders_commands_with_the_readers_connection_say_they_need_the_builder(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A consultant with only the reader's URL got `could not connect ... socket
    "/var/run/postgresql/.s.PGSQL.5432" failed` from status, load, build and rejects; with
    LEADTRACK_POSTGRES_URL set to the reader's role, `permission denied for schema raw`."""
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    assert _cli(pg_settings, "load", str(export)).exit_code == 0
    commands = (["status"], ["rejects"], ["load", str(export)], ["build", "--as-of", "2026-11-23"])

    monkeypatch.delenv("LEADTRACK_POSTGRES_URL")
    monkeypatch.setenv("PGPORT", "1")  # libpq's defaults reach no server, whatever runs here
    for command in commands:
        outcome = _cli(pg_settings, *command)
        said = " ".join(outcome.output.split())
        assert outcome.exit_code == 1, (command, said)
        assert "Traceback" not in said
        for words in (
            "LEADTRACK_POSTGRES_URL is not set, only the reader's LEADTRACK_POSTGRES_READER_URL",
            "needs the builder's connection, so set LEADTRACK_POSTGRES_URL",
            "with the reader's connection, use leadtrack dashboard and leadtrack report",
        ):
            assert words in said, (command, said)
    monkeypatch.delenv("PGPORT")

    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", postgres_database.reader_url)
    role = postgres_database.reader_role
    for command in commands:
        outcome = _cli(pg_settings, *command)
        said = " ".join(outcome.output.split())
        assert outcome.exit_code == 1, (command, said)
        assert "permission denied for" in said and "LINE 1" not in said, (command, said)
        assert f"LEADTRACK_POSTGRES_URL connects as {role}, the reader role" in said, said
        assert "cannot load or build" in said and "leadtrack dashboard and leadtrack report" in said
        assert postgres_database.reader_password not in outcome.output


def test_a_connection_lost_mid_load_names_the_file_and_keeps_earlier_loads(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from psycopg.conninfo import conninfo_to_dict

    import ingest.loader

    files = []
    for name in ("first", "second", "third"):
        path = tmp_path / f"{name}.csv"
        path.write_text(LEADS.replace("L-", f"{name}-"), encoding="utf-8")
        files.append(path)
    assert _cli(pg_settings, "load", str(files[0])).exit_code == 0
    before = _counts(postgres_database.url)
    record_load = ingest.loader._record_load

    def terminated(writer, *args, **kwargs):
        # The rows of the second file are copied; another connection ends the loader's
        # backend, as a server restart or a dropped network would, before the load commits.
        with psycopg.connect(postgres_database.admin_url, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", [writer.pg.info.backend_pid])
        return record_load(writer, *args, **kwargs)

    monkeypatch.setattr(ingest.loader, "_record_load", terminated)
    outcome = _cli(pg_settings, "load", str(files[1]), str(files[2]))
    assert outcome.exit_code == 1
    assert "Traceback" not in outcome.output
    (line,) = [line for line in outcome.output.splitlines() if "error:" in line]
    assert str(files[1]) in line and "lost the connection to PostgreSQL" in line
    assert "run the same leadtrack load again" in line
    assert conninfo_to_dict(postgres_database.url)["password"] not in outcome.output
    assert _counts(postgres_database.url) == before

    monkeypatch.setattr(ingest.loader, "_record_load", record_load)
    outcome = _cli(pg_settings, "load", *map(str, files))
    assert outcome.exit_code == 0, outcome.output
    assert "already loaded" in outcome.output
    assert _counts(postgres_database.url)["loads"] == before["loads"] + 2


def test_a_build_whose_local_copy_fails_says_the_build_was_published_and_how_to_fix_the_copy(
    pg_settings: Settings,
    postgres_database: PostgresDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One PGPASSWORD for both roles: the reader's URL, without a password of its own, gets
    the builder's. The build lands in PostgreSQL and only the copy this machine reads fails:
    the command says so, why (no password) and how to fix it, and exits 1 (the copy the
    dashboard reads here is stale)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    import leadtrack.cli

    builder = conninfo_to_dict(postgres_database.url)
    builder_password = builder.pop("password")
    reader = conninfo_to_dict(postgres_database.reader_url)
    reader.pop("password")
    monkeypatch.setenv("PGPASSWORD", builder_password)
    monkeypatch.setenv("LEADTRACK_POSTGRES_URL", make_conninfo(**builder))
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", make_conninfo(**reader))
    export = tmp_path / "tracker.csv"
    export.write_text(LEADS, encoding="utf-8")
    assert _cli(pg_settings, "load", str(export)).exit_code == 0

    outcome = _cli(pg_settings, "build", "--as-of", "2026-11-23")
    assert outcome.exit_code == 1
    assert "Traceback" not in outcome.output
    assert re.search(r"✓ built \d+ models and passed \d+ tests", outcome.output)
    assert "✓ published the marts in PostgreSQL database" in outcome.output
    (line,) = [line for line in outcome.output.splitlines() if "error:" in line]
    role = postgres_database.reader_role
    where = (reader["host"], reader["port"], reader["dbname"])
    pgpass = ":".join([*where, role, "PASSWORD"])
    for said in (
        "the build was published in PostgreSQL",
        f"copying its marts to {pg_settings.marts} failed",
        f'password authentication failed for user "{role}"',
        f"the reader role {role} (LEADTRACK_POSTGRES_READER_URL), which needs its own password",
        f"postgresql://{role}:PASSWORD@{where[0]}:{where[1]}/{where[2]}",
        f"a ~/.pgpass line for the reader ({pgpass}), with PGPASSWORD unset",
        "then run leadtrack dashboard or leadtrack report",
    ):
        assert said in line, said
    assert builder_password not in outcome.output
    assert postgres_database.reader_password not in outcome.output
    published = _build_stamp(postgres_database.url)
    assert published and not pg_settings.marts.exists()

    # As the message says: PGPASSWORD unset, a ~/.pgpass line for each role; the dashboard
    # then fetches the build, which is not built again.
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text(
        pgpass.replace("PASSWORD", postgres_database.reader_password)
        + f"\n{builder['host']}:{builder['port']}:*:{builder['user']}:{builder_password}\n",
        encoding="utf-8",
    )
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.setattr("leadtrack.publish._stamp_connection", [])
    monkeypatch.setattr(leadtrack.cli, "_serve", lambda settings, **_: None)
    outcome = _cli(pg_settings, "dashboard")
    assert outcome.exit_code == 0, outcome.output
    assert _snapshot(pg_settings.marts)[0] == published

    # A wrong password in the reader's URL itself: libpq reads no ~/.pgpass then, so the
    # message says to correct that password, not to add a line.
    wrong = make_conninfo(**reader, password="not-the-readers")
    monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", wrong)
    outcome = _cli(pg_settings, "build", "--as-of", "2026-11-23")
    assert outcome.exit_code == 1
    (line,) = [line for line in outcome.output.splitlines() if "error:" in line]
    assert "the password in LEADTRACK_POSTGRES_READER_URL was refused" in line, line
    assert ".pgpass" not in line and "not-the-readers" not in outcome.output


def _leadtrack_on_postgres(warehouse: Path, *args: str) -> subprocess.Popen[str]:
    """`leadtrack --target postgres --warehouse W <args>` in a process of its own, started
    (the test cuts its connection while it runs)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from leadtrack.cli import app; app()",
            "--target",
            "postgres",
            "--warehouse",
            str(warehouse),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "COLUMNS": "1000"},
    )


def test_a_connection_cut_while_rows_are_copied_prints_only_the_one_line(
    pg_settings: Settings, postgres_database: PostgresDatabase, tmp_path: Path
) -> None:
    """The backend ended while a large call log's rows stream in by COPY: psycopg, ending the
    COPY on the broken connection, logged "error ignored terminating <psycopg.Copy [BAD] ...>:
    the connection is lost", which Python printed to stderr above the load's one line. Run
    as a user runs it (its own process, stderr as is), cut once rows arrive."""

    calls = tmp_path / "calls.csv"
    with duckdb.connect() as con:
        con.execute(
            "copy (select 'C' || i as \"Call ID\", 'L' || (i % 50000) as \"Lead ID\","
            " 'Priya Shah' as \"Consultant\","
            " timestamp '2026-01-05 09:00:00' + to_seconds(i) as \"Date/Time\","
            " 'Connected' as \"Outcome\" from range(600000) as numbers(i))"
            f" to '{calls}' (header true)"
        )
    loading = _leadtrack_on_postgres(pg_settings.warehouse, "load", str(calls))
    cut = None
    with psycopg.connect(postgres_database.url, autocommit=True) as watcher:
        deadline = time.monotonic() + 120
        while cut is None and loading.poll() is None and time.monotonic() < deadline:
            row = watcher.execute(
                "select copy.pid from pg_stat_progress_copy as copy"
                " join pg_class on pg_class.oid = copy.relid"
                " where copy.datname = current_database() and pg_class.relname = 'calls'"
                " and copy.tuples_processed > 0"
            ).fetchone()
            if row:
                cut = watcher.execute("select pg_terminate_backend(%s)", row).fetchone()[0]
            else:
                time.sleep(0.005)
    out, err = loading.communicate(timeout=120)
    assert cut, f"the copy was over before it could be cut: {out}{err}"
    assert loading.returncode == 1
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {calls}: lost the connection to PostgreSQL while")
    with psycopg.connect(postgres_database.url) as con:
        assert con.execute("select count(*) from raw.calls").fetchone()[0] == 0


def test_a_build_that_loses_the_server_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stopped mid-build (`pg_ctl stop -m fast`): dbt printed some 60 lines of
    ANSI-coloured "Database Error" above "The build failed; the dashboard keeps showing the
    last good one". One line says what happened and what to do; dbt's errors stay in its log.
    A server of the test's own, since it is stopped."""
    import secrets

    from leadtrack.throwaway_postgres import create_database, database_urls, throwaway_server

    with throwaway_server(postgres_bin_or_skip()) as server:
        password = secrets.token_hex(10)
        create_database(server.admin_url, "lt_lost", "lt_lost_reader", password)
        url, reader_url = database_urls(server.admin_url, "lt_lost", "lt_lost_reader", password)
        monkeypatch.setenv("LEADTRACK_POSTGRES_URL", url)
        monkeypatch.setenv("LEADTRACK_POSTGRES_READER_URL", reader_url)
        settings = Settings(
            warehouse=tmp_path / "warehouse" / "leadtrack.duckdb", target="postgres"
        )
        export = tmp_path / "tracker.csv"
        export.write_text(LEADS, encoding="utf-8")
        assert _cli(settings, "load", str(export)).exit_code == 0
        building = _leadtrack_on_postgres(settings.warehouse, "build", "--as-of", "2026-11-23")
        stopped = False
        with psycopg.connect(url, autocommit=True) as watcher:
            deadline = time.monotonic() + 120
            while building.poll() is None and time.monotonic() < deadline:
                (started,) = watcher.execute(
                    "select count(*) from pg_class join pg_namespace"
                    " on pg_namespace.oid = pg_class.relnamespace"
                    " where nspname = 'staging'"
                ).fetchone()
                if started:
                    break
                time.sleep(0.05)
        if building.poll() is None:
            stopped = server.pg_ctl("stop", "-m", "fast").returncode == 0
        out, err = building.communicate(timeout=300)
    assert stopped, f"the build was over before the server could be stopped: {out}{err}"
    assert building.returncode == 1
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("error: lost the connection to PostgreSQL during the build"), line
    assert "start it" in line and "build again" in line
    assert "the dashboard keeps the last good build" in line
    log = PROJECT_ROOT / "logs" / "dbt.log"
    assert f"dbt's errors are in {log}" in line and log.exists()
    assert "Database Error" not in out + err and "\x1b[" not in out + err
    assert password not in out + err
