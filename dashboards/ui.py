"""What every page shares: the warehouse and sidebar context, cached queries that turn errors
into messages, drill-downs to the leads behind a number, and download buttons."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards import exports, queries
from leadtrack.settings import DEFAULT_WAREHOUSE, marts_path

CACHE_SECONDS = 300


@dataclass
class Reader:
    """The app's handle on one warehouse file: its path, and the last good answer to each
    query, shown while a build holds the file (at worst one build old)."""

    path: str
    last_good: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """The as-of date and the sidebar's choices, set by app.py on every run."""

    warehouse: str
    as_of: date
    period: str
    scope: queries.Scope
    catalogue: pl.DataFrame = field(compare=False, hash=False)

    @property
    def period_label(self) -> str:
        return (
            f"{queries.PERIODS[self.period]}: {self.scope.start:%d %b %Y} – "
            f"{self.scope.end:%d %b %Y}"
        )


def warehouse_path() -> str:
    """The published marts of the warehouse every stage uses (see `leadtrack.publish`)."""
    return str(marts_path(os.environ.get("LEADTRACK_WAREHOUSE") or DEFAULT_WAREHOUSE))


@st.cache_resource
def reader(path: str) -> Reader:
    return Reader(path)


def _stamp(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _cached(path: str, stamp: float, name: str, args: tuple, kwargs: tuple) -> Any:
    return getattr(queries, name)(path, *args, **dict(kwargs))


def run(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call `queries.<name>(warehouse, *args, **kwargs)` through the cache; a busy, missing
    or failing warehouse becomes a message on the page (and the page stops), never a
    traceback."""
    handle = reader(warehouse_path())
    options = tuple(sorted(kwargs.items()))
    key = repr((name, args, options))
    try:
        result = _cached(handle.path, _stamp(handle.path), name, args, options)
    except queries.WarehouseBusy as busy:
        if key in handle.last_good:
            st.info("The warehouse is being rebuilt; showing the figures of the previous build.")
            return handle.last_good[key]
        st.warning(str(busy))
        st.stop()
    except queries.WarehouseUnavailable as unavailable:
        st.warning(str(unavailable))
        st.stop()
    except Exception as error:  # a page must never show a stack
        st.error(f"This part of the page could not be shown: {type(error).__name__}: {error}")
        st.stop()
    handle.last_good[key] = result
    return result


def context() -> Context:
    """The context app.py set; a page opened without the router goes back through it."""
    if "context" not in st.session_state:
        st.switch_page(str(Path(__file__).parent / "app.py"))
    return st.session_state["context"]


def downloads(frame: pl.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of a list, formula-like cells neutralised."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "Download CSV",
        exports.to_csv(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
    )
    right.download_button(
        "Download XLSX",
        exports.to_xlsx(frame),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
    )


def lead_table(frame: pl.DataFrame, name: str, key: str) -> None:
    """A list of leads with its downloads."""
    st.caption(f"{frame.height:,} leads")
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}-table")
    if frame.height:
        downloads(frame, name, key)


def drill(title: str, options: dict[str, queries.LeadCriteria], key: str) -> None:
    """An expander that lists the leads behind the chosen number."""
    with st.expander(title, expanded=False):
        choice = st.selectbox("Leads behind", list(options), key=f"{key}-choice")
        if choice is not None:
            frame = run("lead_list", options[choice])
            lead_table(frame, f"leads-{key}", key)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
