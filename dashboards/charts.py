"""Plotly figures, each built by a small function from a data frame (no Streamlit)."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative

STATUS_COLOURS = {
    "open": "#4C78A8",
    "filled": "#54A24B",
    "completed": "#2E7D32",
    "lost": "#E45756",
    "declined": "#F58518",
}
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 420}
WEEK_MS = 7 * 24 * 60 * 60 * 1000


def funnel(frame: pl.DataFrame, title: str) -> go.Figure:
    """The cohort funnel: columns label, leads_reached, cumulative_conversion. Each bar says
    its leads and their share of the leads created, as the funnel's table does."""
    shares = [
        "" if share is None else f" ({share:.0%} of created)"
        for share in frame["cumulative_conversion"].to_list()
    ]
    figure = go.Figure(
        go.Funnel(
            y=frame["label"].to_list(),
            x=frame["leads_reached"].to_list(),
            text=[
                f"{leads:,}{share}"
                for leads, share in zip(frame["leads_reached"], shares, strict=True)
            ],
            textinfo="text",
            textfont={"size": 13},
        )
    )
    return figure.update_layout(title=title, **LAYOUT)


def dropoff_bars(frame: pl.DataFrame, title: str) -> go.Figure:
    """Leads lost or declined per stage, stacked by reason, with their fee on hover:
    columns stage_order, stage, lost_reason, leads, fee_lost."""
    stages = frame.select("stage_order", "stage").unique().sort("stage_order")["stage"].to_list()
    figure = go.Figure()
    for reason in sorted(frame["lost_reason"].unique().to_list()):
        rows = (
            frame.filter(pl.col("lost_reason") == reason)
            .group_by("stage")
            .agg(pl.col("leads").sum(), pl.col("fee_lost").sum())
        )
        figure.add_bar(
            name=reason,
            x=rows["stage"].to_list(),
            y=rows["leads"].to_list(),
            customdata=rows["fee_lost"].to_list(),
            hovertemplate="%{x}: %{y} leads, £%{customdata:,.0f} fee dropped",
        )
    figure.update_layout(
        barmode="stack",
        title=title,
        xaxis={"categoryorder": "array", "categoryarray": stages},
        yaxis_title="leads",
        **LAYOUT,
    )
    return figure


def bars(frame: pl.DataFrame, x: str, y: str, title: str) -> go.Figure:
    """One bar per row (e.g. milestones reached per stage)."""
    figure = go.Figure(go.Bar(x=frame[x].to_list(), y=frame[y].to_list()))
    return figure.update_layout(title=title, yaxis_title=y.replace("_", " "), **LAYOUT)


def pipeline_on(frame: pl.DataFrame, title: str) -> go.Figure:
    """The pipeline on a past day, one bar per stage (column label) stacked from the leads
    live then up through those lost and declined by then (columns live, lost, declined)."""
    figure = go.Figure()
    for column, name, colour in (
        ("live", "live then", STATUS_COLOURS["open"]),
        ("lost", "lost by then", STATUS_COLOURS["lost"]),
        ("declined", "declined by then", STATUS_COLOURS["declined"]),
    ):
        figure.add_bar(
            name=name, x=frame["label"].to_list(), y=frame[column].to_list(), marker_color=colour
        )
    return figure.update_layout(barmode="stack", title=title, yaxis_title="leads", **LAYOUT)


def reached_vs_now(frame: pl.DataFrame, title: str) -> go.Figure:
    """Per stage, leads that reached it next to where they are now, by status: columns
    label, leads_reached and one column per status."""
    figure = go.Figure()
    figure.add_bar(
        name="reached",
        x=frame["label"].to_list(),
        y=frame["leads_reached"].to_list(),
        marker_color="#BBBBBB",
        offsetgroup="reached",
    )
    for status, colour in STATUS_COLOURS.items():
        if status in frame.columns:
            figure.add_bar(
                name=f"now here: {status}",
                x=frame["label"].to_list(),
                y=frame[status].to_list(),
                marker_color=colour,
                offsetgroup="now",
            )
    return figure.update_layout(barmode="relative", title=title, yaxis_title="leads", **LAYOUT)


def weekly_trend(frame: pl.DataFrame, measures: list[str], title: str, as_of: date) -> go.Figure:
    """One line per measure over the weeks: column week plus the measures. The week of
    `as_of`, unless `as_of` is its Sunday, is counted so far only: its point is hollow, its
    line dotted, and the title says to which day."""
    weeks = frame["week"].to_list()
    partial = bool(weeks) and as_of.weekday() < 6
    partial = partial and weeks[-1] == as_of - timedelta(days=as_of.weekday())
    whole = len(weeks) - 1 if partial else len(weeks)
    joined = max(whole - 1, 0)  # the dotted line starts at the last whole week
    figure = go.Figure()
    for measure, colour in zip(measures, itertools.cycle(qualitative.Plotly), strict=False):
        name, values = measure.replace("_", " "), frame[measure].to_list()
        figure.add_scatter(
            x=weeks[:whole],
            y=values[:whole],
            mode="lines+markers",
            name=name,
            line={"color": colour},
            legendgroup=measure,
        )
        if partial:
            figure.add_scatter(
                x=weeks[joined:],
                y=values[joined:],
                mode="lines+markers",
                name=f"{name}, so far",
                line={"color": colour, "dash": "dot"},
                marker={"symbol": ["circle"] * (whole - joined) + ["circle-open"]},
                legendgroup=measure,
                showlegend=False,
            )
    figure.update_layout(title=title, xaxis=week_axis(weeks), yaxis_title="per week", **LAYOUT)
    if partial:
        subtitle = f"the week of {weeks[-1]:%d/%m} so far, to {as_of:%a %d/%m} (dotted)"
        figure.update_layout(title_text=f"{title}<br><sup>{subtitle}</sup>", margin_t=70)
    return figure


def week_axis(weeks: list[date]) -> dict:
    """A date axis of weeks named by their Monday, as the weeks are (plotly's own weekly ticks
    fall on Sundays, a day before the week each point is): a tick every week, or every few
    weeks so that there are at most ten."""
    if not weeks:
        return {"title": "week starting"}
    return {
        "title": "week starting",
        "tick0": weeks[0].isoformat(),
        "dtick": WEEK_MS * math.ceil(len(weeks) / 10),
        "tickformat": "%d/%m",
        "hoverformat": "%d/%m/%Y",
    }


def stage_durations(frame: pl.DataFrame, title: str) -> go.Figure:
    """Median days per stage, the consultant's next to the team's: columns label,
    median_days, team_median_days."""
    figure = go.Figure()
    figure.add_bar(name="consultant", x=frame["label"].to_list(), y=frame["median_days"].to_list())
    figure.add_bar(name="team", x=frame["label"].to_list(), y=frame["team_median_days"].to_list())
    return figure.update_layout(barmode="group", title=title, yaxis_title="median days", **LAYOUT)


def quarter_name(day: date) -> str:
    """The quarter a day falls in, as a recruiter names it: "Q3 2026"."""
    return f"Q{(day.month + 2) // 3} {day.year}"


def cohort_outcomes(frame: pl.DataFrame, title: str, quarters: bool = False) -> go.Figure:
    """Each cohort's leads by their status now, stacked: column cohort (a date: the month's or
    the quarter's first day; `quarters` says which) and one column per status."""
    labels = [
        quarter_name(day) if quarters else f"{day:%b %Y}" for day in frame["cohort"].to_list()
    ]
    figure = go.Figure()
    for status, colour in STATUS_COLOURS.items():
        if status in frame.columns:
            figure.add_bar(name=status, x=labels, y=frame[status].to_list(), marker_color=colour)
    return figure.update_layout(
        barmode="stack", title=title, xaxis_type="category", yaxis_title="leads", **LAYOUT
    )
