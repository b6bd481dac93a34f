"""Publishing a build: readers get whole builds, never half of one, and never wait."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dashboards.queries import connect_read_only
from ingest.loader import connect, load_files
from leadtrack.dbt import run_dbt
from leadtrack.publish import publish
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


def test_publish_copies_marts_and_catalogue_and_swaps_atomically(
    settings: Settings, tmp_path: Path
) -> None:
    exports = tmp_path / "leads.csv"
    exports.write_text(LEADS, encoding="utf-8")
    con = connect(settings.warehouse)
    load_files(con, [exports], settings.catalogue)
    con.close()
    build = run_dbt(settings, ["build"], target_path=tmp_path / "target")
    assert build.ok, build.failures
    published = publish(settings.warehouse)
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

    # A later load and build: the open reader keeps its whole, old build; a new reader
    # sees the new one.
    more = tmp_path / "more.csv"
    more.write_text(LEADS.replace("L-1", "L-3").replace("L-2", "L-4"), encoding="utf-8")
    con = connect(settings.warehouse)
    load_files(con, [more], settings.catalogue)
    con.close()
    assert run_dbt(settings, ["build"], target_path=tmp_path / "target").ok
    publish(settings.warehouse)
    assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
    # ... even while the old reader is still open in the same process (the dashboard keeps
    # its connection to the build it pinned until the page run ends).
    with connect_read_only(published) as fresh:
        assert fresh.execute("select count(*) from marts.leads").fetchall() == [(4,)]
    assert reader.execute("select count(*) from marts.leads").fetchall() == [(2,)]
    reader.close()
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_nothing_to_publish_leaves_the_last_build(settings: Settings) -> None:
    connect(settings.warehouse).close()
    with pytest.raises(RuntimeError, match="no marts to publish"):
        publish(settings.warehouse)
    assert not settings.marts.exists()


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
