"""Exports never carry live formulas: values such as `=HYPERLINK(...)`, `+cmd`, `-2+3` and
`@SUM` entered in a tracker go through ingest and the build, and come out of the dashboard's
CSV and XLSX downloads as text (prefixed with `'`, no formula cells), and out of a report's
HTML tables escaped."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from dashboards import queries
from dashboards.exports import FORMULA_STARTS, to_csv, to_xlsx
from leadtrack.report import render_report
from leadtrack.settings import DEFAULT_CATALOGUE, Settings, marts_path
from tests.reliability.conftest import AS_OF, leadtrack

pytestmark = pytest.mark.slow

HOSTILE = [
    '=HYPERLINK("http://x.example","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "=1+1",
    "<script>alert(1)</script>",
]


def _tracker(path: Path) -> Path:
    rows = [
        f'L-{number},0{number + 1}/06/2026,Priya Shah,"{value.replace(chr(34), chr(34) * 2)}",'
        f'"{value.replace(chr(34), chr(34) * 2)}",10/06/2026'
        for number, value in enumerate(HOSTILE)
    ]
    path.write_text("Ref,Date generated,Consultant,Client,Contact,CVs received\n" + "\n".join(rows))
    return path


def _is_live(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


def test_formula_values_come_out_as_text(tmp_path: Path) -> None:
    warehouse = tmp_path / "lt.duckdb"
    loaded = leadtrack(warehouse, "load", str(_tracker(tmp_path / "tracker.csv")))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    built = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
    assert built.returncode == 0, built.stdout + built.stderr
    published = marts_path(warehouse)
    stale = queries.stale_leads(published, None, None)
    assert set(HOSTILE) <= set(stale["client"].to_list()), "the values went through unchanged"

    # CSV download: every hostile cell is text that starts with a quote.
    rows = list(csv.reader(io.StringIO(to_csv(stale).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if _is_live(cell)]
    for value in HOSTILE:
        if _is_live(value):
            assert "'" + value in cells

    # XLSX download: no formula cells, and no text a spreadsheet would run.
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(stale)))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not _is_live(cell.value), (cell.coordinate, cell.value)
                    values.append(cell.value)
    assert "'" + HOSTILE[0] in values

    # A report's HTML: the values are escaped text, never markup.
    settings = Settings(warehouse=warehouse, catalogue=DEFAULT_CATALOGUE)
    report = render_report("weekly", {"week": "2026-11-16"}, tmp_path / "reports", settings)
    page = report.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Quotes are plain in a text node (nbconvert writes them so), where they are inert.
    assert '<td>=HYPERLINK("http://x.example","y")</td>' in page
    assert '<a href="http://x.example"' not in page
