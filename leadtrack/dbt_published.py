"""The dbt-duckdb plugin that attaches, as `published`, the file a build writes the marts into.

The file is new for every build (`leadtrack.publish.prepare_build` names it, in
LEADTRACK_PUBLISHING), so it cannot sit in profiles.yml: dbt parses the whole project again
(3.5 s) whenever the profile changes, instead of what changed. And dbt keeps its DuckDB
connection between runs in one process, so the file is attached as each cursor opens: the
first cursor of a run given another file than the one attached (a build's `on-run-end`
detaches its own) attaches the new one. A dbt command run by hand, without
LEADTRACK_PUBLISHING, builds the marts into `<warehouse>.building`, which nothing reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

ALIAS = "published"


def publishing_path() -> Path:
    """The file this run builds the marts into."""
    named = os.environ.get("LEADTRACK_PUBLISHING")
    if named:
        return Path(named).resolve()
    warehouse = os.environ.get("LEADTRACK_WAREHOUSE", "warehouse/leadtrack.duckdb")
    return Path(f"{warehouse}.building").resolve()


class Plugin(BasePlugin):
    def configure_cursor(self, cursor) -> None:
        path = str(publishing_path())
        attached = cursor.execute(
            "select path from duckdb_databases() where database_name = ?", [ALIAS]
        ).fetchone()
        if attached and attached[0] == path:
            return
        if attached:
            cursor.execute(f"detach {ALIAS}")
        quoted = path.replace("'", "''")
        cursor.execute(f"attach '{quoted}' as {ALIAS}")
