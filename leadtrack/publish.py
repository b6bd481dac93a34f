"""Publish a build: copy the marts into a file of their own and swap it in atomically.

DuckDB lets one process write a file, and a writer shuts readers out. So the dashboard and
the reports never read the warehouse itself: after each successful build, the marts (and the
milestone catalogue they are labelled with) are copied into a new file beside the warehouse,
which then replaces the published file in one `rename`. A reader that opened the old file
keeps reading it whole; the next one opens the new build. No reader waits for a load or a
build, and none sees half of one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from leadtrack.settings import marts_path

# The relations readers may use: every mart, and the catalogue that orders and labels them.
PUBLISHED = """
    select table_schema, table_name
    from information_schema.tables
    where table_catalog = current_database()
      and (table_schema = 'marts'
           or (table_schema = 'staging' and table_name = 'stg_milestone_catalogue'))
    order by table_schema, table_name
"""


def publish(warehouse: Path) -> Path:
    """Copy the warehouse's marts into the published file; its path."""
    target = marts_path(warehouse)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        relations = con.execute(PUBLISHED).fetchall()
        if not relations:
            raise RuntimeError(f"{warehouse} has no marts to publish: run leadtrack build")
        con.execute(f"attach '{scratch}' as published")
        for schema in sorted({schema for schema, _ in relations}):
            con.execute(f"create schema published.{schema}")
        for schema, name in relations:
            con.execute(f"create table published.{schema}.{name} as select * from {schema}.{name}")
        con.execute("detach published")
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(scratch, target)
    return target
