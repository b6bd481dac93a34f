"""Read-only views of what the warehouse holds, for `leadtrack status` and `rejects`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingest.loader import connect as connect_warehouse
from ingest.writers import DuckDBWriter, PostgresWriter, RawWriter
from leadtrack.settings import Settings

RAW_DATA_TABLES = ("leads", "milestone_events", "calls", "consultants")


def open_raw_writer(
    settings: Settings, building: bool = False, on_wait: Callable[[], None] | None = None
) -> RawWriter:
    """Where ingest writes for these settings: the DuckDB file (created with its raw schema
    when new), or the PostgreSQL database of the environment's connection. On PostgreSQL a
    load waits for a build under way (`on_wait` is called when it does); `building`: the
    writer of a build, which holds the build lock itself."""
    if settings.target == "postgres":
        from leadtrack.postgres import BUILD_LOCK, connect, scrubbed

        with scrubbed(builder=True):
            return PostgresWriter(
                connect(), build_lock=None if building else BUILD_LOCK, on_wait=on_wait
            )
    return DuckDBWriter(connect_warehouse(settings.warehouse))


@dataclass(frozen=True)
class LoadSummary:
    loads: list[dict[str, Any]]
    table_rows: dict[str, int]
    rejected: int


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_summary(warehouse: Path) -> LoadSummary:
    """Every load (oldest first), the rows each raw table holds, and the rejects in all."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loads = _rows(con, "select * from raw.loads where kind <> 'catalogue' order by load_id")
        table_rows = {
            table: con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
            for table in RAW_DATA_TABLES
        }
        rejected = con.execute("select count(*) from raw.rejected_rows").fetchall()[0][0]
    return LoadSummary(loads, table_rows, rejected)


def rejected_rows(warehouse: Path, load_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Rejected rows with their file, newest load first, in file order."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _rows(
            con,
            "select rejected.load_id, loads.file_name, rejected.source_row, rejected.reason,"
            " rejected.record from raw.rejected_rows as rejected"
            " join raw.loads as loads on loads.load_id = rejected.load_id"
            " where ? is null or rejected.load_id = ?"
            " order by rejected.load_id desc, rejected.source_row limit ?",
            [load_id, load_id, limit],
        )
