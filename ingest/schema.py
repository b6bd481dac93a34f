"""The raw schema of the data contract: append-only tables, every row carrying its lineage.

Only ingest writes here. Each kind of export lands in one table; a later export of the same
lead is a new row, and staging keeps the latest version per key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import psycopg

# The type of a column of keys, nearly one value per row (call ids, lead ids): on DuckDB
# stored with ZSTD, which writes a 10.9M-row call log's ids in half the time of DuckDB's
# default dictionary and FSST, in half the space (reads cost about the same); plain text on
# PostgreSQL.
KEY_TEXT = "{key_text}"
DUCKDB_KEY_TEXT = "varchar using compression zstd"

LINEAGE_COLUMNS = """
    _load_id integer not null,
    _source_file varchar not null,
    _source_row integer not null,
    _loaded_at timestamp not null
"""

RAW_TABLES: dict[str, str] = {
    "loads": """
        load_id integer primary key,
        file_name varchar not null,
        file_sha256 varchar not null,
        kind varchar not null,
        sheet varchar,
        mapping varchar,
        dayfirst boolean,
        rows_read integer not null,
        rows_loaded integer not null,
        rows_rejected integer not null,
        rows_skipped integer not null,
        started_at timestamp not null,
        finished_at timestamp not null,
        status varchar not null
    """,
    "rejected_rows": """
        load_id integer not null,
        source_row integer not null,
        reason varchar not null,
        record varchar not null
    """,
    "leads": f"""
        lead_id {KEY_TEXT} not null,
        created_date date not null,
        consultant varchar not null,
        client varchar,
        contact varchar,
        phone varchar,
        email varchar,
        job_title varchar,
        salary decimal(14, 2),
        fee_pct decimal(7, 3),
        fee decimal(14, 2),
        status varchar,
        lost_reason varchar,
        closed_date date,
        notes varchar,
        {LINEAGE_COLUMNS}
    """,
    "milestone_events": f"""
        lead_id {KEY_TEXT} not null,
        milestone varchar not null,
        event_date date,
        is_date_unknown boolean not null,
        is_ticked boolean,
        candidate varchar,
        notes varchar,
        {LINEAGE_COLUMNS}
    """,
    "calls": f"""
        call_id {KEY_TEXT} not null,
        lead_id {KEY_TEXT},
        consultant varchar not null,
        called_at timestamp not null,
        outcome varchar,
        callback_date date,
        contact varchar,
        notes varchar,
        {LINEAGE_COLUMNS}
    """,
    "consultants": f"""
        consultant varchar not null,
        team varchar,
        manager varchar,
        email varchar,
        {LINEAGE_COLUMNS}
    """,
    "milestone_catalogue": f"""
        milestone_order integer not null,
        milestone varchar not null,
        label varchar not null,
        is_decision_point boolean not null,
        aliases varchar,
        quiet_after_days integer,
        needs_confirmation boolean not null,
        is_filled boolean not null,
        call_on_day varchar,
        follow_up_call varchar,
        follow_up_after_days integer,
        {LINEAGE_COLUMNS}
    """,
}


# Columns added since the first warehouses were made: (table, column, type). A warehouse
# made before one gets it (null in its earlier rows) the next time ingest opens it.
ADDED_COLUMNS = (
    ("loads", "dayfirst", "boolean"),
    ("milestone_events", "is_ticked", "boolean"),
    ("leads", "closed_date", "date"),
)


def create_raw_schema(con: duckdb.DuckDBPyConnection | psycopg.Connection) -> None:
    """Create the raw schema and its tables where they do not exist yet, and the columns
    added since (`ADDED_COLUMNS`); never drops."""
    key_text = DUCKDB_KEY_TEXT if isinstance(con, duckdb.DuckDBPyConnection) else "varchar"
    con.execute("create schema if not exists raw")
    for table, columns in RAW_TABLES.items():
        con.execute(
            f"create table if not exists raw.{table} ({columns.replace(KEY_TEXT, key_text)})"
        )
    present = set(
        con.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'raw'"
        ).fetchall()
    )
    # Altered only when missing: on PostgreSQL even `add column if not exists` waits for
    # an exclusive lock, which a load holds on raw.loads for its whole transaction.
    for table, column, sql_type in ADDED_COLUMNS:
        if (table, column) not in present:
            con.execute(f"alter table raw.{table} add column {column} {sql_type}")
