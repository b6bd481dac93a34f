"""A file read into a temporary DuckDB table of text columns, whatever its format.

Both readers produce the same shape, so the checks and the loader never look at formats:
columns `c0 .. cN` of text, `_source_row` (the row number a person sees in the file, the
header being the row above the first record), and the original header texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class SourceTable:
    """A file's records in a temporary table."""

    table: str
    headers: tuple[str, ...]
    # `rowid + row_offset` is the row number of a record in the file.
    row_offset: int
    # Lines the reader itself could not split into the header's columns: (row, reason, text).
    malformed: tuple[tuple[int, str, str], ...] = ()
    # A column already holding the row number, where a join reordered the records.
    row_column: str | None = None

    @property
    def row_sql(self) -> str:
        """SQL for a record's row number in the file."""
        if self.row_column:
            return self.row_column
        return f"cast(rowid + {self.row_offset} as integer)"

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
    return tuple((cell or "").strip() or f"Column {index + 1}" for index, cell in enumerate(row))


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
