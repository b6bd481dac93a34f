"""Publishing a build: readers get whole builds, never half of one, and never wait."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dashboards.queries import connect_read_only
from ingest.loader import connect, load_files
from leadtrack.dbt import run_dbt
from leadtrack.publish import build_and_publish, prepare_build, publish_build, published_copy
from leadtrack.settings import Settings, marts_path

LEADS = (
    "Ref,Date generated,Consultant,Client,CVs received\n"
    "L-1,02/11/2026,Priya Shah,Acme Ltd,05/11/2026\n"
    "L-2,03/11/2026,Tom Reid,Brightwater plc,\n"
)


def test_marts_path_sits_beside_the_warehouse() -> None:
    assert marts_path(Path("warehouse/leadtrack.duckdb")) == Path(
        "warehouse/leadtrack.marts.duckdb"
    )


def _load(settings: Settings, folder: Path, leads: str) -> None:
    exports = folder / "leads.csv"
    exports.write_text(leads, encoding="utf-8")
    con = connect(settings.warehouse)
    load_files(con, [exports], settings.catalogue)
    con.close()


def _build(settings: Settings, folder: Path, *options: str) -> Path | None:
    build, published = build_and_publish(
        settings, ["build", *options], target_path=folder / "target"
    )
    assert build.ok == (published is not None)
    return published


def test_a_build_publishes_its_marts_and_catalogue_alone_and_swaps_atomically(
    settings: Settings, tmp_path: Path
) -> None:
    _load(settings, tmp_path, LEADS)
    published = _build(settings, tmp_path)
    assert published == settings.marts

    reader = connect_read_only(published)
    schemas = dict(
        reader.execute(
            "select table_schema, count(*) from information_schema.tables group by 1"
        ).fetchall()
    )
    assert schemas["staging"] == 1  # the catalogue, nothing else of staging
    assert "raw" not in schemas and "intermediate" not in schemas
    assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
    # The marts are built into the published file only, not kept in the warehouse too.
    with duckdb.connect(str(settings.warehouse)) as con:
        assert con.execute(
            "select count(*) from information_schema.schemata where schema_name = 'marts'"
        ).fetchall() == [(0,)]

    # A later load and build: the open reader keeps its whole, old build; a new reader
    # sees the new one.
    _load(settings, tmp_path, LEADS.replace("L-1", "L-3").replace("L-2", "L-4"))
    _build(settings, tmp_path)
    assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
    # ... even while the old reader is still open in the same process (the dashboard keeps
    # its connection to the build it pinned until the page run ends).
    with connect_read_only(published) as fresh:
        assert fresh.execute("select count(*) from marts.leads").fetchall() == [(4,)]
    assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
    reader.close()
    assert not list(tmp_path.glob("**/.*.tmp*"))


def test_a_failed_build_leaves_the_last_build_published(settings: Settings, tmp_path: Path) -> None:
    _load(settings, tmp_path, LEADS)
    _build(settings, tmp_path)
    _load(settings, tmp_path, LEADS.replace("L-1", "L-3"))
    # A model fails half-way through the build (a setting that is not a number of days).
    assert _build(settings, tmp_path, "--vars", "{quiet_after_days_without_milestone: x}") is None
    with connect_read_only(settings.marts) as reader:
        leads = reader.execute("select lead_id from marts.leads order by 1").fetchall()
    assert leads == [("L-1",), ("L-2",)]
    assert not list(tmp_path.glob("**/.*.tmp*"))


def test_nothing_to_publish_leaves_the_last_build(settings: Settings, tmp_path: Path) -> None:
    connect(settings.warehouse).close()
    # No file at all, and a file made for a build that dbt never filled.
    for unbuilt in (tmp_path / "never-made.duckdb", prepare_build(settings)):
        with pytest.raises(RuntimeError, match="no marts to publish"):
            publish_build(settings, unbuilt)
    assert not settings.marts.exists()


def test_a_build_drops_the_marts_earlier_versions_kept_in_the_warehouse(
    settings: Settings, tmp_path: Path
) -> None:
    _load(settings, tmp_path, LEADS)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.leads as select 'L-1' as lead_id, 'Jo' as contact")
    _build(settings, tmp_path)
    with duckdb.connect(str(settings.warehouse)) as con:
        left = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    assert left == []


def test_a_hand_run_dbt_command_leaves_no_file_and_reads_the_catalogue(
    settings: Settings, tmp_path: Path
) -> None:
    """dbt run by hand (no file to publish: leadtrack's `run_dbt` without `publishing`, as
    the shell's `dbt run`) builds the marts into memory: no file beside the warehouse keeps
    contacts' details that `leadtrack forget` would not see. The models it selects read the
    milestone catalogue from the warehouse, where a build leaves it."""
    _load(settings, tmp_path, LEADS)
    published = _build(settings, tmp_path)
    before = sorted(path.name for path in settings.warehouse.parent.iterdir())
    for selection in ("int_leads_enriched", "leads"):
        run = run_dbt(settings, ["run", "--select", selection], target_path=tmp_path / "target")
        assert run.ok, (run.error, run.failures)
    assert sorted(path.name for path in settings.warehouse.parent.iterdir()) == before
    with connect_read_only(published) as reader:
        assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]


def test_the_docs_describe_the_published_marts_without_locking_them(
    settings: Settings, tmp_path: Path
) -> None:
    """`leadtrack docs` runs `dbt docs generate` on a copy of the published file: the docs'
    catalogue has the marts' columns, and a reader can open the published file meanwhile."""
    _load(settings, tmp_path, LEADS)
    _build(settings, tmp_path)
    before = settings.marts.read_bytes()
    with published_copy(settings) as marts:
        with connect_read_only(settings.marts) as reader:
            assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
        docs = run_dbt(
            settings, ["docs", "generate"], publishing=marts, target_path=tmp_path / "docs"
        )
    assert docs.ok, docs.error
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text(encoding="utf-8"))
    leads = catalog["nodes"]["model.leadtrack.leads"]
    assert leads["metadata"]["schema"] == "marts" and "lead_id" in leads["columns"]
    assert settings.marts.read_bytes() == before
    assert not list(tmp_path.glob("**/.*.tmp*"))


def test_the_build_noted_for_a_copy_is_forgotten_when_the_file_is_replaced(
    tmp_path: Path,
) -> None:
    from leadtrack.publish import _remember_build, local_build

    published = tmp_path / "leadtrack.marts.duckdb"
    duckdb.connect(str(published)).close()
    assert local_build(published) is None
    _remember_build(published, "b1")
    assert local_build(published) == "b1"
    replacement = tmp_path / "other.duckdb"
    with duckdb.connect(str(replacement)) as con:
        con.execute("create table t as select 1 as x")
    replacement.replace(published)  # published by someone else: not build b1 any more
    assert local_build(published) is None


def test_refresh_is_a_no_op_on_duckdb_and_one_refresh_runs_at_a_time(
    settings: Settings,
) -> None:
    from leadtrack.publish import _refresh_lock, refresh_from_postgres

    assert refresh_from_postgres(settings) == settings.marts
    assert not settings.marts.exists()
    with _refresh_lock(settings.marts, wait=True) as first:
        assert first
        with _refresh_lock(settings.marts, wait=False) as second:
            assert not second
    with _refresh_lock(settings.marts, wait=False) as again:
        assert again
