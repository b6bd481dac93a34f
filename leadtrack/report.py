"""Reporting notebooks rendered to one self-contained HTML file each.

`render_report` checks the parameters against the warehouse before anything runs, executes
the notebook with papermill on this Python's own kernel, and renders it with nbconvert: no
code, interactive Plotly charts with Plotly's JavaScript embedded once, no script fetched
from the network. The notebooks call `resolve_parameters` themselves too, so a notebook run
by hand fills in the same defaults and refuses the same bad values, and they show their
content through `ReportPage`, which decides how a chart reaches the HTML.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from leadtrack.settings import PROJECT_ROOT, Settings, marts_path

log = logging.getLogger(__name__)
NOTEBOOKS = PROJECT_ROOT / "notebooks"
KERNEL_NAME = "python3"  # jupyter_client's built-in spec: the running interpreter's ipykernel


@dataclass(frozen=True)
class Report:
    notebook: str
    parameters: tuple[str, ...]
    title: str


REPORTS: dict[str, Report] = {
    "weekly": Report("weekly_funnel", ("week", "team", "consultant"), "Weekly funnel"),
    "consultant": Report("consultant_review", ("consultant", "start", "end"), "Consultant review"),
    "quarterly": Report("quarterly_history", ("quarter", "team"), "Quarterly history"),
    "quality": Report("data_quality", (), "Data quality"),
}
NOTEBOOK_REPORTS = {report.notebook: name for name, report in REPORTS.items()}

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ReportError(ValueError):
    """A report cannot be made; the message says what to give instead."""


# --- parameters ---------------------------------------------------------------------------


def resolve_parameters(
    name: str, parameters: dict[str, Any], warehouse: str | Path
) -> dict[str, Any]:
    """The report's parameters checked against the warehouse and completed with defaults;
    raises ReportError naming the valid values or the expected format. `name` is a report
    (weekly, consultant, quarterly, quality) or its notebook's name."""
    from dashboards import queries

    report = _report(name)
    given = {key: _blank_to_none(value) for key, value in parameters.items()}
    unknown = sorted(set(given) - set(report.parameters) - {"warehouse"})
    if unknown:
        expected = ", ".join(report.parameters) or "none"
        raise ReportError(
            f"the {name} report takes no {', '.join(unknown)} (its parameters: {expected})"
        )
    # Formats first: a malformed value is wrong whatever the warehouse holds.
    week = _parse_day(given.get("week"), "week")
    start = _parse_day(given.get("start"), "start")
    end = _parse_day(given.get("end"), "end")
    quarter = _parse_quarter(given.get("quarter"))
    if week is not None and week.weekday() != 0:
        monday = queries.week_start(week)
        raise ReportError(
            f"week {week.isoformat()} is a {DAY_NAMES[week.weekday()]}: give the week's Monday"
            f" as yyyy-mm-dd ({monday.isoformat()})"
        )
    if start is not None and end is not None and start > end:
        raise ReportError(f"start {start} is after end {end}: the period runs start to end")

    path = marts_path(warehouse)
    if not path.exists():
        raise ReportError(
            f"there is no built warehouse at {warehouse} (no published marts at {path}): load"
            " exports and run leadtrack build (or leadtrack demo), or point"
            " LEADTRACK_WAREHOUSE / --warehouse at one"
        )
    try:
        ready = queries.marts_ready(path)
    except queries.WarehouseUnavailable as error:
        raise ReportError(str(error)) from None
    if not ready:
        raise ReportError(
            f"the warehouse {path} has no built marts: load exports and run leadtrack build"
            " (or leadtrack demo) first"
        )
    as_of = queries.as_of_date(path)
    for label, day in (("week", week), ("start", start), ("quarter", quarter)):
        if day is not None and day > as_of:
            raise ReportError(
                f"{label} {given[label]} {'starts' if label == 'quarter' else 'is'} after"
                f" {as_of.isoformat()}, the date the marts were built for: nothing in them is"
                " dated then (build a later as-of date)"
            )
    team = given.get("team")
    consultant = given.get("consultant")
    if team is not None:
        _check_one_of("team", team, queries.teams(path))
    if consultant is not None:
        _check_one_of("consultant", consultant, queries.consultants(path, team))

    resolved: dict[str, Any] = {"warehouse": str(path), "as_of": as_of}
    if name in ("weekly", "weekly_funnel"):
        resolved |= {
            "week": week or queries.week_to_review(as_of),
            "team": team,
            "consultant": consultant,
        }
    elif name in ("consultant", "consultant_review"):
        if consultant is None:
            raise ReportError(
                "the consultant review needs a consultant; one of: "
                + ", ".join(queries.consultants(path))
            )
        start = start or queries.quarter_start(as_of)
        end = end or as_of
        if start > end:
            raise ReportError(f"start {start} is after end {end}: the period runs start to end")
        resolved |= {"consultant": consultant, "start": start, "end": end}
    elif name in ("quarterly", "quarterly_history"):
        first = quarter or quarter_start(queries.quarter_start(as_of) - timedelta(days=1))
        resolved |= {"quarter": quarter_label(first), "quarter_start": first, "team": team}
    return resolved


def _report(name: str) -> Report:
    if name in REPORTS:
        return REPORTS[name]
    if name in NOTEBOOK_REPORTS:
        return REPORTS[NOTEBOOK_REPORTS[name]]
    raise ReportError(f"there is no {name!r} report; one of: {', '.join(REPORTS)}")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def _parse_day(value: Any, parameter: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ReportError(
            f"{parameter} {value!r} is not a date: write it as yyyy-mm-dd (e.g. 2026-11-23)"
        ) from None


def _parse_quarter(value: Any) -> date | None:
    if value is None:
        return None
    match = QUARTER.match(str(value))
    if not match:
        raise ReportError(f"quarter {value!r} is not a quarter: write it as yyyy-Qn (e.g. 2026-Q3)")
    return date(int(match[1]), 3 * (int(match[2]) - 1) + 1, 1)


def _check_one_of(parameter: str, value: str, valid: list[str]) -> None:
    if value not in valid:
        raise ReportError(
            f"unknown {parameter} {value!r}; valid {parameter}s: " + ", ".join(valid)
            if valid
            else f"unknown {parameter} {value!r}; the warehouse has none"
        )


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(first: date) -> date:
    following = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def quarter_label(first: date) -> str:
    return f"{first.year}-Q{(first.month - 1) // 3 + 1}"


# --- rendering ----------------------------------------------------------------------------

# nbconvert's lab template, without what it would fetch from a CDN (require.js, MathJax,
# Mermaid, widgets): the reports need none of them, and they must open offline.
OFFLINE_TEMPLATE = """
{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def render_report(
    name: str,
    parameters: dict[str, Any],
    out_dir: Path,
    settings: Settings,
    on_stale: Callable[[str], None] | None = None,
) -> Path:
    """Run one report's notebook on the settings' warehouse and write it as one
    self-contained HTML file in out_dir; returns its path. Bad parameters raise ReportError
    before the notebook starts. On PostgreSQL, a local copy that could not be brought up to
    date is reported from all the same, its HTML saying which build it is from and that it
    may be out of date, and `on_stale` (else the log) is told why."""
    import papermill

    report = _report(name)
    notice = None
    if settings.target == "postgres":
        # The team's warehouse: bring this machine's copy of the marts up to its latest build.
        from leadtrack.postgres import PostgresError
        from leadtrack.publish import copy_built_at, refresh_copy

        try:
            refreshed = refresh_copy(settings)
        except PostgresError as error:
            raise ReportError(str(error)) from None
        if refreshed.problem:
            built = copy_built_at(refreshed.path)
            when = f"the build of {built:%d/%m/%Y %H:%M}" if built else "an earlier build"
            notice = (
                f"This report is from {when}, this machine's copy of the team's marts: the"
                " latest build could not be fetched from PostgreSQL, so it may be out of date."
            )
            (on_stale or log.warning)(
                f"could not fetch the team's latest build, so the report is from the local copy"
                f" in {refreshed.path}, {when}, which may be out of date (its HTML says so):"
                f" {' '.join(refreshed.problem.split())}"
            )
    resolved = resolve_parameters(name, parameters, settings.warehouse)
    notebook_parameters = {
        key: _for_papermill(resolved.get(key)) for key in ("warehouse", *report.parameters)
    }
    notebook_parameters["warehouse"] = str(Path(settings.warehouse).resolve())
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{_file_stem(report, resolved)}.html"
    with tempfile.TemporaryDirectory(prefix="leadtrack-report-") as scratch:
        executed = Path(scratch) / f"{report.notebook}.ipynb"
        try:
            papermill.execute_notebook(
                str(NOTEBOOKS / f"{report.notebook}.ipynb"),
                str(executed),
                parameters=notebook_parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(NOTEBOOKS),
                progress_bar=False,
                log_output=False,
                kernel_manager_class=_local_kernel_manager(Path(scratch) / "kernel"),
            )
        except papermill.PapermillExecutionError as error:
            raise ReportError(
                f"the {name} report failed in cell {error.exec_count}: {error.ename}: "
                f"{error.evalue}"
            ) from None
        target.write_text(to_html(executed, report.title, notice), encoding="utf-8")
    return target


def _local_kernel_manager(sockets: Path) -> type:
    """A kernel manager talking to the kernel over local sockets (IPC) rather than TCP: the
    kernel is ours alone, and it then does not warn about unencrypted TCP. The sockets live
    under `sockets` (a fresh folder), so reports rendered at once never share them. It shuts
    the kernel down without interrupting it first."""
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        transport = "ipc"
        ip = str(sockets)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts a kernel (SIGINT) before asking it to shut down. A
            # report's kernel has nothing left to stop by then, but papermill's last request
            # (kernel_info) answers before the kernel leaves its handler: a SIGINT landing
            # there was logged as "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."
            # So it is only asked to shut down. An interrupt asked for still goes.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return LocalKernelManager


def to_html(notebook_path: Path, title: str, notice: str | None = None) -> str:
    """The executed notebook as HTML: outputs only, nothing loaded from the network. A
    `notice` (the data may be out of date) goes first, in a box of its own."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.metadata["title"] = title
    if notice:
        banner = nbformat.v4.new_code_cell()
        banner.outputs = [
            nbformat.v4.new_output(
                "display_data",
                data={
                    "text/html": '<p class="lt-stale" style="background: #fff4ce; border: 1px'
                    ' solid #e0b000; border-radius: 6px; padding: 8px 14px; font-weight: 600">'
                    f"{html.escape(notice)}</p>"
                },
            )
        ]
        notebook.cells.insert(0, banner)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"leadtrack_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="leadtrack_offline.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    return body


def _for_papermill(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _file_stem(report: Report, resolved: dict[str, Any]) -> str:
    parts = [report.notebook]
    for key in report.parameters:
        value = resolved.get(key)
        if value is not None:
            parts.append(re.sub(r"[^A-Za-z0-9-]+", "-", str(value)).strip("-").lower())
    if len(parts) == 1:
        parts.append(str(resolved["as_of"]))
    return "_".join(parts)


# --- what the notebooks show --------------------------------------------------------------

PAGE_CSS = """
<style>
.lt-metrics { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 16px; }
.lt-metric { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.lt-metric .lt-label { display: block; color: #555; font-size: 0.85em; }
.lt-metric .lt-value { display: block; font-size: 1.5em; font-weight: 600; }
.lt-metric .lt-change { display: block; color: #777; font-size: 0.8em; }
table.lt-table { border-collapse: collapse; margin: 6px 0 18px; font-size: 0.9em; }
.jp-RenderedHTMLCommon table.lt-table th, .jp-RenderedHTMLCommon table.lt-table td {
  border-bottom: 1px solid #e5e5e5; padding: 3px 10px; text-align: left;
}
.jp-RenderedHTMLCommon table.lt-table td.lt-number {
  text-align: right; font-variant-numeric: tabular-nums;
}
.jp-RenderedHTMLCommon table.lt-table td.lt-nowrap { white-space: nowrap; }
.lt-note { color: #555; font-style: italic; }
</style>
"""


class ReportPage:
    """Shows a report's content as HTML outputs, which nbconvert keeps as they are.

    Plotly's own notebook output (its mimetype bundle) is dropped by nbconvert, so each
    figure goes out as the HTML Plotly writes for it, the first one carrying plotly.js
    inline and the rest reusing it: one copy of the library per report, no CDN.
    """

    def __init__(self) -> None:
        self._plotly_included = False
        self._show(PAGE_CSS)

    def _show(self, markup: str) -> None:
        from IPython.display import HTML, display

        display(HTML(markup))

    def heading(self, text: str, level: int = 2) -> None:
        self._show(f"<h{level}>{html.escape(text)}</h{level}>")

    def note(self, text: str) -> None:
        self._show(f'<p class="lt-note">{html.escape(text)}</p>')

    def text(self, text: str) -> None:
        self._show(f"<p>{html.escape(text)}</p>")

    def metrics(self, values: dict[str, Any], changes: dict[str, str] | None = None) -> None:
        """Headline numbers, each with its label (and optionally a change line)."""
        cells = []
        for label, value in values.items():
            change = (changes or {}).get(label)
            cells.append(
                '<div class="lt-metric">'
                f'<span class="lt-label">{html.escape(label)}</span>'
                f'<span class="lt-value">{html.escape(format_value(value))}</span>'
                + (f'<span class="lt-change">{html.escape(change)}</span>' if change else "")
                + "</div>"
            )
        self._show('<div class="lt-metrics">' + "".join(cells) + "</div>")

    def figure(self, figure: Any) -> None:
        markup = figure.to_html(
            full_html=False,
            include_plotlyjs=not self._plotly_included,
            config={"displaylogo": False},
        )
        self._plotly_included = True
        self._show(markup)

    def table(
        self,
        frame: Any,
        columns: dict[str, str] | None = None,
        empty: str = "Nothing to show.",
        limit: int | None = None,
    ) -> None:
        """A polars frame as an HTML table; `columns` picks and names the columns. Columns
        named for a fee are money, shown to the pound; a phone number stays on one line
        (`+44 (0)20 7946 0713` broke at its spaces), the other columns wrapping instead."""
        if frame.height == 0:
            self.note(empty)
            return
        columns = columns or {name: name.replace("_", " ") for name in frame.columns}
        shown = frame.select(list(columns))
        rows = shown.head(limit) if limit else shown
        header = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
        body = []
        money = ["fee" in name for name in columns]
        text_cells = ['<td class="lt-nowrap">' if "phone" in name else "<td>" for name in columns]
        for row in rows.iter_rows():
            cells = "".join(
                f'<td class="lt-number">{html.escape(format_value(value, is_money))}</td>'
                if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
                else f"{text_cell}{html.escape(format_value(value))}</td>"
                for value, is_money, text_cell in zip(row, money, text_cells, strict=True)
            )
            body.append(f"<tr>{cells}</tr>")
        self._show(
            f'<table class="lt-table"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
        if limit and shown.height > limit:
            self.note(f"The first {limit} of {shown.height} rows.")


def format_value(value: Any, is_money: bool = False) -> str:
    """A value as a report prints it: whole numbers with thousands separators, fractions to
    one decimal, money to the pound, dates as UK readers write them (26/11/2026), nothing
    as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal) and value != value:
        return "–"
    if is_money and isinstance(value, int | float | Decimal):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Decimal):
        return f"{value:,.1f}"
    return str(value)


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"
