"""The dbt-duckdb plugin that attaches, as `published`, the file a build writes the marts into.

The file is new for every build (`leadtrack.publish.prepare_build` names it, in
LEADTRACK_PUBLISHING), so it cannot sit in profiles.yml: dbt parses the whole project again
(3.5 s) whenever the profile changes, instead of what changed. And dbt keeps its DuckDB
connection between runs in one process, so the file is attached as each cursor opens: the
first cursor of a run given another file than the one attached (a build's `on-run-end`
detaches its own) attaches the new one. A dbt command run by hand, without
LEADTRACK_PUBLISHING, builds the marts into an in-memory database that nothing reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

ALIAS = "published"


def publishing_path() -> str | None:
    """The file this run builds the marts into; None for a run without one (a dbt command
    run by hand), whose marts go to memory: only `leadtrack build` publishes, and a file left
    beside the warehouse would keep contacts' details that `leadtrack forget` does not see."""
    named = os.environ.get("LEADTRACK_PUBLISHING")
    return str(Path(named).resolve()) if named else None


class Plugin(BasePlugin):
    def configure_cursor(self, cursor) -> None:
        path = publishing_path()
        attached = cursor.execute(
            "select path from duckdb_databases() where database_name = ?", [ALIAS]
        ).fetchone()
        if attached and attached[0] == path:
            return
        if attached:
            cursor.execute(f"detach {ALIAS}")
        quoted = (path or ":memory:").replace("'", "''")
        cursor.execute(f"attach '{quoted}' as {ALIAS}")
