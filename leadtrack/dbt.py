"""Run the dbt project in-process (dbtRunner) against the configured warehouse."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from leadtrack.settings import PROJECT_ROOT, Settings

FAILED_STATUSES = {"error", "fail", "runtime error"}
# What `leadtrack build` runs: seeds, models and data tests. The data tests guard every
# build. The unit tests, and the data tests tagged suite_only (invariants that only a change
# to the SQL could break and that cost a scan of millions of rows, e.g. one row per call_id
# after the dedup), guard the SQL itself, which only changes with the code: the test suite
# runs them (tests/test_dbt_models.py builds with every test), not every build.
BUILD_COMMAND = (
    "build",
    "--exclude-resource-type",
    "unit_test",
    "--exclude",
    "tag:suite_only",
)


@dataclass(frozen=True)
class NodeOutcome:
    """One model, seed or test that dbt ran."""

    name: str
    resource_type: str
    status: str
    seconds: float
    message: str | None


@dataclass(frozen=True)
class BuildResult:
    """What a dbt invocation did; `ok` is false when any node failed or dbt itself did."""

    ok: bool
    nodes: list[NodeOutcome]
    error: str | None = None
    # dbt's log file, which holds every message, printed or not.
    log_file: Path | None = None

    @property
    def failures(self) -> list[NodeOutcome]:
        return [node for node in self.nodes if node.status in FAILED_STATUSES]


def run_dbt(
    settings: Settings,
    command: list[str],
    *,
    as_of: date | None = None,
    on_node: Callable[[str, str], None] | None = None,
    target_path: Path | None = None,
    publishing: Path | None = None,
    console: TextIO | None = None,
) -> BuildResult:
    """Invoke `dbt <command>` on the project with the settings' warehouse and the as-of date.

    The as-of date goes to dbt as the LEADTRACK_AS_OF environment variable, which the
    `as_of_date()` macro reads at run time, not as `--vars`: dbt re-parses the whole project
    whenever `--vars` change, so a new date every day would cost a full parse every day.
    `on_node(name, status)` is called as each node finishes (for progress bars).
    `publishing` is the file a DuckDB build writes the marts into
    (`leadtrack.publish.prepare_build`; attached by `leadtrack.dbt_published`); without it,
    an in-memory database that nothing reads. `console`: where dbt's console output goes
    instead of stdout (its errors, coloured), for the caller to print or not.
    """
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import capture_stdout_logs, stop_capture_stdout_logs

    def callback(event) -> None:  # dbt's EventMsg
        if on_node and event.info.name in ("LogModelResult", "LogTestResult", "LogSeedResult"):
            node = event.data.node_info
            on_node(node.node_name, node.node_status)

    arguments = [
        *command,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--quiet",
    ]
    if target_path:
        arguments += ["--target-path", str(target_path), "--log-path", str(target_path)]
    environment = settings.environment() | {"LEADTRACK_AS_OF": as_of.isoformat() if as_of else ""}
    if settings.target == "postgres":
        from leadtrack.postgres import dbt_environment

        environment |= dbt_environment()
    elif publishing:
        environment["LEADTRACK_PUBLISHING"] = str(publishing.resolve())
    previous = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    # dbt writes its process's command line into its log and run_results.json as the
    # "invocation command", and parses its options from it: in-process, that would be
    # leadtrack's (`leadtrack forget --contact jo@example.com` kept the person it erased).
    # dbt sees its own instead.
    argv = sys.argv
    sys.argv = ["dbt", *arguments]
    if console is not None:
        capture_stdout_logs(console)
    try:
        result = dbtRunner(callbacks=[callback]).invoke(arguments)
    finally:
        if console is not None:
            stop_capture_stdout_logs()
        sys.argv = argv
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    from leadtrack.postgres import scrub

    nodes = [
        NodeOutcome(
            name=item.node.name,
            resource_type=str(item.node.resource_type),
            status=str(item.status),
            seconds=float(item.execution_time or 0),
            message=scrub(item.message) if item.message else item.message,
        )
        for item in (getattr(result.result, "results", None) or [])
    ]
    error = scrub(str(result.exception)) if result.exception else None
    ok = result.success and not any(node.status in FAILED_STATUSES for node in nodes)
    log_file = (target_path or PROJECT_ROOT / "logs") / "dbt.log"
    return BuildResult(ok=ok, nodes=nodes, error=error, log_file=log_file)
