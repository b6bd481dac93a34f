"""A file's records as a DuckDB relation of text columns, whatever its format.

Both readers produce the same shape, so the checks and the loader never look at formats:
columns `c0 .. cN` of text, `_source_row` (the row number a person sees in the file, the
header being the row above the first record), and the original header texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

HEADER_SEARCH_ROWS = 30
# What Excel shows in a cell whose formula failed (a VLOOKUP that found nothing, a reference
# to a deleted column), and what "Save as CSV" writes there: both readers give such a cell
# as this text, so the checks tell it from an empty cell (`ingest.checks`).
EXCEL_ERRORS = (
    *("#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"),
    *("#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"),
    *("#PYTHON!", "#EXTERNAL!"),
)


@dataclass(frozen=True)
class SourceTable:
    """A file's records as a relation DuckDB can scan once."""

    # SQL of the records: columns `_source_row`, `c0 .. cN`, in file order.
    relation: str
    headers: tuple[str, ...]
    # A table of lines the CSV reader could not split into the header's columns, filled while
    # the relation is scanned (DuckDB's `store_rejects`).
    rejects_table: str | None = None
    # Whether every value is already trimmed (`lt_text`), so the checks need not trim again.
    trimmed: bool = False
    # The workbook's sheet read (None: a text file), and all its sheets.
    sheet: str | None = None
    sheets: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f"c{index}" for index in range(len(self.headers))]


def find_header_row(
    rows: Sequence[Sequence[str | None]], score: Callable[[Sequence[str | None]], int]
) -> int:
    """Index of the header among the first rows: the first that names two or more columns we
    know (exports often start with a title, a date range or merged group headings), else the
    first non-blank row."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if score(row) >= 2:
            return index
    return next((index for index, row in enumerate(rows) if any(row)), 0)


def header_texts(row: Sequence[str | None]) -> tuple[str, ...]:
    """Header cells as text; a blank header becomes `Column N` so it can still be named."""
    return tuple((cell or "").strip() or blank_header(index) for index, cell in enumerate(row))


def blank_header(index: int) -> str:
    """The name `header_texts` gives the column at `index` (from 0) when its header is blank."""
    return f"Column {index + 1}"


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
