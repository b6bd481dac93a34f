"""The settings every stage shares: one warehouse, one milestone catalogue."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = Path("warehouse/leadtrack.duckdb")
DEFAULT_CATALOGUE = PROJECT_ROOT / "seeds" / "milestones.csv"
# The engines a warehouse can live on: an embedded DuckDB file, or a shared PostgreSQL
# database (connection from the environment only: see `leadtrack.postgres`).
TARGETS = ("duckdb", "postgres")
# DuckDB names a database after its file: a warehouse file by one of these names would
# clash with a schema of the warehouse (raw), the marts file attached beside it (published)
# or a database DuckDB keeps itself.
RESERVED_WAREHOUSE_NAMES = ("raw", "published", "main", "temp", "system")


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and which milestone catalogue the team uses.

    Built from the environment by :func:`load_settings`; the command line overrides it. Every
    stage (ingest, dbt, dashboards, notebooks) receives the same object, never a global.
    """

    warehouse: Path = DEFAULT_WAREHOUSE
    catalogue: Path = DEFAULT_CATALOGUE
    # On postgres, `warehouse` only says where the published marts file goes.
    target: str = "duckdb"

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}: use one of {', '.join(TARGETS)}")
        # DuckDB's name for the database: the file name up to its first dot.
        database = self.warehouse.name.split(".")[0]
        if self.target == "duckdb" and database.lower() in RESERVED_WAREHOUSE_NAMES:
            raise ValueError(
                f"a warehouse file cannot be named {self.warehouse.name}: DuckDB names the"
                f" database after its file, and {database} is a name leadtrack or DuckDB"
                " uses already; name it otherwise (leadtrack.duckdb, agency.duckdb)"
            )

    @property
    def marts(self) -> Path:
        """The published marts the dashboard and reports read (see `marts_path`)."""
        return marts_path(self.warehouse)

    def environment(self) -> dict[str, str]:
        """The environment variables that hand these settings to a child process (dbt, a
        Streamlit server, a notebook)."""
        return {
            "LEADTRACK_WAREHOUSE": str(self.warehouse.resolve()),
            "LEADTRACK_MILESTONES": str(self.catalogue.resolve()),
            "LEADTRACK_TARGET": self.target,
        }


def load_settings(
    warehouse: Path | None = None,
    catalogue: Path | None = None,
    target: str | None = None,
) -> Settings:
    """Settings from explicit values, else the environment, else the defaults."""
    env_warehouse = os.environ.get("LEADTRACK_WAREHOUSE")
    env_catalogue = os.environ.get("LEADTRACK_MILESTONES")
    return Settings(
        warehouse=Path(warehouse or env_warehouse or DEFAULT_WAREHOUSE),
        catalogue=Path(catalogue or env_catalogue or DEFAULT_CATALOGUE),
        target=target or os.environ.get("LEADTRACK_TARGET") or "duckdb",
    )


def marts_path(warehouse: Path | str) -> Path:
    """The published copy of a warehouse's marts, which the dashboard and the reports read.

    `leadtrack build` writes it next to the warehouse after every successful build and swaps
    it in atomically (see `leadtrack.publish`), so readers never wait for, or see half of, a
    load or a build.
    """
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.marts{warehouse.suffix or '.duckdb'}")
