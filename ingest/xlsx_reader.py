"""XLSX (and the other workbook formats calamine reads) through fastexcel.

Every cell is read as text: Excel's own dates arrive as ISO text, so the checks treat them
like any other date, and an error cell (`#REF!`) as the error's text, as in a CSV Excel saves.
Blank rows are kept while reading so row numbers match what Excel shows, and dropped by the
loader.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.errors import IngestError
from ingest.source import HEADER_SEARCH_ROWS, SourceTable, find_header_row, header_texts

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
ROWS_PER_BATCH = 16_384
# calamine's names of the Excel errors it reads (`Error(Ref)`), and the texts Excel shows.
CALAMINE_ERRORS = {
    "Ref": "#REF!",
    "NA": "#N/A",
    "Value": "#VALUE!",
    "Div0": "#DIV/0!",
    "Name": "#NAME?",
    "Num": "#NUM!",
    "Null": "#NULL!",
    "GettingData": "#GETTING_DATA",
}
# What calamine says of a sheet holding an error it does not know (#SPILL!, #CALC!).
UNSUPPORTED_ERROR = "Unsupported cell error value"
# An error cell's type in a sheet's XML (`<c r="D7" s="3" t="e">`), as Excel, LibreOffice
# and openpyxl write it, and the size of the chunks the XML is inflated in to look for it.
ERROR_TYPE = b' t="e"'
SCAN_BYTES = 1 << 20
ERROR_CELL = re.compile(rb'(<c\b[^>]*?\s)t="e"')


def read_xlsx_into(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    header_score: Callable[[Sequence[str | None]], int],
    sheet: str | None = None,
) -> SourceTable:
    """One sheet (the named one, else the first that is not hidden), copied into the
    temporary table `table`; the SourceTable names it."""
    workbook = _open(path)
    if sheet is None:
        hidden = hidden_sheets(path)
        names = workbook.sheet_names
        sheet = next((name for name in names if name not in hidden), names[0])
    cells = _load_sheet(path, workbook, sheet)
    if cells.num_rows == 0:
        raise IngestError(path, "the sheet is empty: export it again with its data")
    head = _rows(cells)
    header_index = find_header_row(head, header_score)
    headers = header_texts(head[header_index])
    body = cells.slice(header_index + 1)
    records = (
        pa.Table.from_batches([body])
        .combine_chunks()
        .rename_columns([f"c{index}" for index in range(len(headers))])
    )
    # Read where it lies, in batches that DuckDB types in parallel (a table of its own would
    # be one row group, typed by one thread); the loader unregisters it (`frame_name`).
    first_row = header_index + 2
    records = records.add_column(0, "_source_row", _row_numbers(first_row, body.num_rows))
    con.register(
        frame_name(table),
        pa.Table.from_batches(
            records.to_batches(max_chunksize=ROWS_PER_BATCH), schema=records.schema
        ),
    )
    return SourceTable(
        relation=f"(from {frame_name(table)})",
        headers=headers,
        sheet=sheet,
        sheets=tuple(workbook.sheet_names),
    )


def _row_numbers(first: int, count: int) -> pa.Array:
    """`count` row numbers from `first`, as int32. Built from their buffer: `pa.array` looks
    for pandas in what it is given, and importing pandas costs 0.2 s of every workbook's
    load (a tenth of a 100,000-lead tracker's)."""
    numbers = np.arange(first, first + count, dtype=np.int32)
    return pa.Array.from_buffers(pa.int32(), count, [None, pa.py_buffer(numbers)])


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheets, in order."""
    return _open(path).sheet_names


def other_sheet_heads(path: Path, sheet: str | None) -> dict[str, list[tuple[str | None, ...]]]:
    """The first rows (those the header is looked for in), as text, of every sheet of the
    workbook but `sheet` and the hidden ones, in the workbook's order: the workbook opened
    once for them all."""
    workbook = _open(path)
    hidden = hidden_sheets(path)
    return {
        name: _rows(_load_sheet(path, workbook, name, rows=HEADER_SEARCH_ROWS))
        for name in workbook.sheet_names
        if name != sheet and name not in hidden
    }


def hidden_sheets(path: Path) -> set[str]:
    """The sheets an .xlsx or .xlsm workbook hides (a workbook often starts with a hidden
    sheet of lookups), from its workbook.xml: reading a sheet to ask fastexcel costs as much
    as reading its cells. Other formats: none known."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return set()
    return {
        element.get("name", "")
        for element in root.iter()
        if element.tag.endswith("}sheet") and element.get("state") in ("hidden", "veryHidden")
    }


def _open(path: Path) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(path)
    except Exception as error:  # fastexcel raises its own hierarchy for every unreadable file
        raise IngestError(
            path,
            "cannot be read as an Excel workbook (it may be truncated, password-protected or "
            "not a workbook at all): open it in Excel and save it again as .xlsx",
        ) from error


def _load_sheet(
    path: Path, workbook: fastexcel.ExcelReader, sheet: str | int, rows: int | None = None
) -> pa.RecordBatch:
    """The sheet's cells as text from Excel's row 1, straight to one Arrow batch (no data
    frame nor lazy sheet in between). A cell holding an Excel error (`#REF!`, `#N/A`: a
    broken formula) holds its text, as in the CSV Excel saves, not nothing (a whole sheet
    read; the first rows, read to find a header, keep such a cell empty)."""
    if isinstance(sheet, str) and sheet not in workbook.sheet_names:
        raise IngestError(
            path, f"has no sheet named {sheet!r}; its sheets are {', '.join(workbook.sheet_names)}"
        )
    # fastexcel reads an error cell as null, an empty cell, and tells where they are only
    # through its lazy sheet, which costs a tenth more than the eager read for every
    # workbook (`_read_cells`). The sheet's XML is looked through for an error cell in a
    # thread beside the read instead (zlib inflates outside the GIL, as fastexcel reads),
    # and only a sheet that has one is read again, the lazy way, for the cells.
    scan = _scanner().submit(_holds_error_cells, path, sheet) if rows is None else None
    try:
        # skip_rows=0: calamine would start at the first row with a value, and every row
        # number after blank rows above the header would be off by as many.
        cells = workbook.load_sheet_eager(
            sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes="string"
        )
        if scan is None or not scan.result():
            return cells
        return _with_error_texts(*_read_cells(workbook, sheet, rows))
    except Exception as error:
        if UNSUPPORTED_ERROR not in str(error):
            raise IngestError(path, f"the sheet cannot be read ({error})") from error
    # calamine refuses a whole sheet with one of Excel's newer errors in a cell (#SPILL!,
    # #CALC!): read a copy whose error cells are cells of text instead. Only such a sheet pays
    # for the copy.
    try:
        copy = fastexcel.read_excel(_errors_as_text(path))
        return _read_cells(copy, sheet, rows)[0]
    except Exception as error:
        raise IngestError(path, f"the sheet cannot be read ({error})") from error


def _read_cells(
    workbook: fastexcel.ExcelReader, sheet: str | int, rows: int | None
) -> tuple[pa.RecordBatch, fastexcel.CellErrors | None]:
    """The sheet's cells as text, and those that are no text (Excel errors, read as null),
    through fastexcel's lazy sheet: the errors come with the cells, from one read."""
    return workbook.load_sheet(
        sheet, header_row=None, skip_rows=0, n_rows=rows, dtypes="string"
    ).to_arrow_with_errors()


def _with_error_texts(cells: pa.RecordBatch, errors: fastexcel.CellErrors | None) -> pa.RecordBatch:
    """`cells` with each Excel error among `errors` written as Excel shows it (`#REF!`);
    fastexcel gives such a cell as null (ToucanToco/fastexcel#229), which read as an empty
    cell: a milestone not reached, a salary not known, without a word."""
    by_column: dict[int, dict[int, str]] = {}
    for error in errors.errors if errors else ():
        kind = re.search(r"Error\((\w+)\)", error.detail)
        if kind:
            row, column = error.offset_position
            by_column.setdefault(column, {})[row] = CALAMINE_ERRORS.get(kind[1], "#" + kind[1])
    if not by_column:
        return cells
    columns = list(cells.columns)
    for column, texts in by_column.items():
        rows = sorted(texts)
        mask = np.zeros(cells.num_rows, dtype=bool)
        mask[rows] = True
        columns[column] = pc.replace_with_mask(
            columns[column], _booleans(mask), _strings([texts[row] for row in rows])
        )
    return pa.RecordBatch.from_arrays(columns, schema=cells.schema)


# Arrays built from their buffers: `pa.array` looks for pandas in what it is given, and
# importing pandas costs 0.2 s on a quiet machine (1.5 s on a busy one).
def _booleans(values: np.ndarray) -> pa.Array:
    packed = np.packbits(values, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(packed)])


def _strings(texts: Sequence[str]) -> pa.Array:
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(),
        len(encoded),
        [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
    )


@cache
def _scanner() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadtrack-xlsx-errors")


def _holds_error_cells(path: Path, sheet: str | int) -> bool:
    """Whether the sheet's XML has an error cell (`<c r="D7" t="e">`); True when it cannot
    tell (not an .xlsx or .xlsm, the sheet's part not found or not deflated), so the cells
    are read with their errors. Its compressed bytes are inflated here, in chunks, without
    the checksum `zipfile` would add (fastexcel checks the sheet as it reads it): a
    100,000-lead tracker's 83 MB of XML take 0.2 s of CPU."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return True
            info = archive.getinfo(part)
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1:  # 1: encrypted
            return True
        with path.open("rb") as handle:
            handle.seek(info.header_offset)
            local = handle.read(30)  # the local file header, then its name and extra field
            if local[:4] != b"PK\x03\x04":
                return True
            handle.seek(int.from_bytes(local[26:28], "little"), 1)
            handle.seek(int.from_bytes(local[28:30], "little"), 1)
            inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            left, tail = info.compress_size, b""
            while left > 0 and (compressed := handle.read(min(SCAN_BYTES, left))):
                left -= len(compressed)
                # With the end of what came before: the mark may span two chunks.
                window = tail + inflate.decompress(compressed)
                if ERROR_TYPE in window:
                    return True
                tail = window[1 - len(ERROR_TYPE) :]
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, zlib.error):
        return True
    return False


def _sheet_part(archive: zipfile.ZipFile, sheet: str | int) -> str | None:
    """The path inside the workbook of the XML of the sheet named `sheet` (or at index
    `sheet`), through workbook.xml and its relationships."""
    root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [element for element in root.iter() if element.tag.endswith("}sheet")]
    if isinstance(sheet, int):
        chosen = sheets[sheet] if sheet < len(sheets) else None
    else:
        chosen = next((element for element in sheets if element.get("name") == sheet), None)
    if chosen is None:
        return None
    relation = next((value for key, value in chosen.items() if key.endswith("}id")), None)
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(
        (element.get("Target") for element in relations.iter() if element.get("Id") == relation),
        None,
    )
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _errors_as_text(path: Path) -> bytes:
    """The workbook with every error cell of its sheets made a cell of text holding the
    error (`<c t="e"><v>#SPILL!</v>` as `<c t="str">`, a formula's text result)."""
    copy = io.BytesIO()
    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for item in archive.infolist():
            content = archive.read(item)
            if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                content = ERROR_CELL.sub(rb'\1t="str"', content)
            out.writestr(item, content)
    return copy.getvalue()


def _rows(cells: pa.RecordBatch) -> list[tuple[str | None, ...]]:
    """The rows the header is looked for in."""
    return [tuple(row.values()) for row in cells.slice(0, HEADER_SEARCH_ROWS).to_pylist()]


def frame_name(table: str) -> str:
    """The name a sheet read into `table` is registered under."""
    return f"{table}_frame"
