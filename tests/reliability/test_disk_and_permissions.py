"""A warehouse path that cannot be written (denied permissions) or a disk that fills up during
a load or a build: the command says so clearly, naming the warehouse, with no traceback, and
the warehouse still opens and holds what it held."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.demo import DemoFiles
from leadtrack.settings import marts_path
from tests.reliability.conftest import (
    AS_OF,
    check_loads_consistent,
    demo_paths,
    leadtrack,
    published_tables,
    raw_counts,
)

pytestmark = pytest.mark.slow
IS_ROOT = os.geteuid() == 0


def _assert_clear_error(run, warehouse: Path) -> None:
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in output, output
    assert "error:" in output, output
    assert str(warehouse) in output.replace("\n", ""), output


def _big_calls(folder: Path, calls: Path, rows: int = 200_000) -> Path:
    big = folder / "big-calls.csv"
    with duckdb.connect() as con:
        con.execute(
            f"""copy (
                select 'X' || cast(copy.n as varchar) || '-' || calls."Call ID" as "Call ID",
                       calls.* exclude ("Call ID")
                from read_csv('{calls}', all_varchar = true) as calls,
                     (select range as n from range({rows} // 1000 + 1)) as copy
                limit {rows}
            ) to '{big}' (header)"""
        )
    return big


def test_denied_permissions_on_the_warehouse(demo_exports: DemoFiles, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    assert leadtrack(warehouse, "load", str(demo_exports.consultants)).returncode == 0
    before = raw_counts(warehouse)
    folder = warehouse.parent
    if IS_ROOT:
        # Mode bits do not stop root (and the interpreter sits where another user cannot run
        # it): make the folder a read-only bind mount of itself instead.
        bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], check=False)
        if bound.returncode != 0:
            if os.environ.get("CI") == "true":
                pytest.fail("CI runs as root and must allow a bind mount for this test")
            pytest.skip("running as root where bind mounts are not allowed")
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        how = "read-only bind mount"
    else:
        warehouse.chmod(0o444)
        folder.chmod(0o555)
        how = "chmod"
    try:
        for arguments in (
            ["load", str(demo_exports.tracker)],
            ["build", "--as-of", AS_OF.isoformat()],
        ):
            _assert_clear_error(leadtrack(warehouse, *arguments), warehouse)
    finally:
        if IS_ROOT:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)
            warehouse.chmod(0o644)
    assert raw_counts(warehouse) == before
    check_loads_consistent(warehouse)
    print(f"\npermissions denied with a {how}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder on a small filesystem (a tmpfs when mounting is allowed); how it is limited:
    "tmpfs", or "rlimit" (RLIMIT_FSIZE, when mounting is not allowed)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = (
        IS_ROOT
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    yield folder, "tmpfs" if mounted else "rlimit"
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _limit_to(size: int):
    def limit() -> None:
        # Past the limit a write fails with EFBIG instead of the process being killed.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def _fill(folder: Path, mode: str, headroom: int) -> dict:
    """Leave `headroom` bytes free: remount the tmpfs to its used size plus the headroom, or
    return the child process settings that cap file sizes."""
    used = sum(path.stat().st_blocks * 512 for path in folder.rglob("*") if path.is_file())
    if mode == "tmpfs":
        subprocess.run(["mount", "-o", f"remount,size={used + headroom}", str(folder)], check=True)
        return {}
    largest = max(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return {"preexec_fn": _limit_to(largest + headroom)}


def test_full_disk_during_load_build_and_docs(
    demo_exports: DemoFiles, small_disk: tuple[Path, str], tmp_path: Path
) -> None:
    folder, mode = small_disk
    warehouse = folder / "lt.duckdb"
    assert leadtrack(warehouse, "load", *demo_paths(demo_exports)).returncode == 0
    built = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
    assert built.returncode == 0, built.stderr
    before, published = raw_counts(warehouse), published_tables(warehouse)
    big = _big_calls(tmp_path, demo_exports.calls)
    limits = _fill(folder, mode, headroom=512 * 1024)

    loaded = leadtrack(warehouse, "load", str(big), **limits)
    _assert_clear_error(loaded, warehouse)
    assert raw_counts(warehouse) == before
    check_loads_consistent(warehouse)

    rebuilt = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat(), **limits)
    assert rebuilt.returncode != 0
    assert "Traceback" not in rebuilt.stdout + rebuilt.stderr
    # The last good build stays published, whole.
    assert published_tables(warehouse) == published
    assert raw_counts(warehouse) == before
    assert not [path for path in folder.iterdir() if path.name.endswith(".tmp")]
    print(f"\nfull disk simulated with {mode}; build said: {rebuilt.stderr.strip()[-300:]}")
    assert marts_path(warehouse).exists()

    # The docs read a copy of the published marts, which the disk cannot hold either.
    docs = leadtrack(warehouse, "docs", "--no-serve", **limits)
    _assert_clear_error(docs, warehouse)
    assert published_tables(warehouse) == published
    assert not [path for path in folder.iterdir() if ".tmp" in path.name]
