"""Hostile input: generated malformed files through the CSV and XLSX readers and the row
checks. Every file either loads (its rows loaded or rejected with a reason, the counts
consistent) or fails with an `IngestError` naming the file, leaving raw exactly as it was;
never another exception."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.catalogue import read_catalogue
from ingest.contracts import CONTRACTS
from ingest.errors import IngestError
from ingest.loader import connect, load_file, sync_catalogue
from leadtrack.settings import DEFAULT_CATALOGUE

CASES: Counter[str] = Counter()
EXAMPLES = 40
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = ["Ref", "Date generated", "Consultant", "Client", "Contact", "Salary", "CVs received"]
FORMULAS = [
    '=HYPERLINK("http://x.example","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "=1+1",
    "\t=1",
]
DATES = [
    "03/11/2026",
    "2026-11-03",
    "11/03/2026",
    "3 Nov 2026",
    "03.11.26",
    "31/02/2026",
    "2026/11/03 10:00",
    "45000",
    "yesterday",
    "",
    "0000-00-00",
    "99/99/9999",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
CELL = st.one_of(TEXT, st.sampled_from(FORMULAS), st.sampled_from(DATES), st.integers())


class Warehouse:
    """One warehouse for the module; each case is one file loaded into it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.con = connect(folder / "lt.duckdb")
        sync_catalogue(self.con, DEFAULT_CATALOGUE)
        self.milestones = read_catalogue(DEFAULT_CATALOGUE)
        self.files = 0

    def counts(self) -> dict[str, int]:
        return {
            table: self.con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
            for table in (
                "loads",
                "rejected_rows",
                "leads",
                "milestone_events",
                "calls",
                "consultants",
            )
        }

    def write(self, data: bytes, suffix: str) -> Path:
        self.files += 1
        path = self.folder / f"case-{self.files:05d}{suffix}"
        path.write_bytes(data)
        return path

    def load(self, family: str, data: bytes, suffix: str) -> None:
        """Load one file and check the promise; count the case under `family`."""
        CASES[family] += 1
        path = self.write(data, suffix)
        before = self.counts()
        try:
            result = load_file(self.con, path, self.milestones)
        except IngestError as error:
            assert path.name in str(error), str(error)
            assert self.counts() == before, "a failed load changed raw"
            CASES["refused"] += 1
            return
        after = self.counts()
        if result.already_loaded:
            assert after == before
            return
        CASES["loaded"] += 1
        assert after["loads"] == before["loads"] + 1
        table = CONTRACTS[result.kind].table
        assert after[table] - before[table] == result.rows_loaded
        assert after["rejected_rows"] - before["rejected_rows"] == result.rows_rejected
        assert result.rows_read == (result.rows_loaded + result.rows_rejected + result.rows_skipped)
        untouched = set(after) - {"loads", "rejected_rows", table, "milestone_events"}
        assert all(after[name] == before[name] for name in untouched)
        leftovers = self.con.execute(
            "select count(*) from duckdb_tables() where temporary and table_name like '_lt_%'"
        ).fetchall()[0][0]
        assert leftovers == 0, "a load left its scratch tables"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    store = Warehouse(tmp_path_factory.mktemp("hostile"))
    yield store
    store.con.close()
    print(
        f"\nhostile input cases: {sum(CASES[k] for k in CASES if k not in ('loaded', 'refused'))}"
        f" ({dict(CASES)})"
    )


def _csv(rows: list[list[object]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    def cell(value: object) -> str:
        text = str(value)
        if any(mark in text for mark in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "\n".join(delimiter.join(map(cell, row)) for row in [header, *rows]) + "\n"


def _valid_rows(count: int) -> list[list[object]]:
    return [
        [
            f"H-{number}",
            "03/11/2026",
            "Priya Shah",
            f"Client {number}",
            "Ann Lee",
            "45000",
            "05/11/2026",
        ]
        for number in range(count)
    ]


VALID_CSV = _csv(_valid_rows(30)).encode()


def _xlsx(rows: list[list[object]], header: list[object] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


VALID_XLSX = _xlsx(_valid_rows(30))


@HYPOTHESIS
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_random_bytes(warehouse: Warehouse, data: bytes, suffix: str) -> None:
    warehouse.load("random bytes", data, suffix)


@HYPOTHESIS
@given(cut=st.floats(0, 1), xlsx=st.booleans())
def test_truncated_valid_files(warehouse: Warehouse, cut: float, xlsx: bool) -> None:
    data = VALID_XLSX if xlsx else VALID_CSV
    warehouse.load("truncation", data[: int(len(data) * cut)], ".xlsx" if xlsx else ".csv")


@HYPOTHESIS
@given(
    rows=st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=1, max_size=20),
    encoding=st.sampled_from(
        ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "shift_jis", "utf-32"]
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_wrong_encodings_and_odd_cells(
    warehouse: Warehouse, rows: list[list[object]], encoding: str, delimiter: str
) -> None:
    text = _csv(rows, delimiter=delimiter)
    warehouse.load("encodings, formulas, mixed dates", text.encode(encoding, "replace"), ".csv")


@settings(HYPOTHESIS, max_examples=15)
@given(size=st.integers(10_000, 200_000), where=st.integers(0, 6), xlsx=st.booleans())
def test_huge_fields(warehouse: Warehouse, size: int, where: int, xlsx: bool) -> None:
    rows = _valid_rows(3)
    rows[1][where] = "x" * size if xlsx else "=" + "y" * size
    if xlsx:
        warehouse.load("huge fields", _xlsx(rows), ".xlsx")
    else:
        warehouse.load("huge fields", _csv(rows).encode(), ".csv")


@settings(HYPOTHESIS, max_examples=4)
@given(columns=st.integers(1000, 3000), xlsx=st.booleans(), known_first=st.booleans())
def test_thousands_of_columns(
    warehouse: Warehouse, columns: int, xlsx: bool, known_first: bool
) -> None:
    header = (HEADER if known_first else []) + [f"Column {number}" for number in range(columns)]
    rows = [[*(row if known_first else []), *range(columns)] for row in _valid_rows(3)]
    data = _xlsx(rows, header) if xlsx else _csv(rows, header).encode()
    warehouse.load("thousands of columns", data, ".xlsx" if xlsx else ".csv")


@HYPOTHESIS
@given(positions=st.lists(st.integers(0, len(VALID_CSV)), min_size=1, max_size=8))
def test_nul_bytes(warehouse: Warehouse, positions: list[int]) -> None:
    data = bytearray(VALID_CSV)
    for position in sorted(positions, reverse=True):
        data[position:position] = b"\x00"
    warehouse.load("NUL bytes", bytes(data), ".csv")


@HYPOTHESIS
@given(
    dates=st.lists(st.sampled_from(DATES), min_size=5, max_size=5),
    xlsx=st.booleans(),
)
def test_mixed_date_formats(warehouse: Warehouse, dates: list[str], xlsx: bool) -> None:
    rows = _valid_rows(5)
    for row, day in zip(rows, dates, strict=True):
        row[1] = day
        row[6] = day
    data = _xlsx(rows) if xlsx else _csv(rows).encode()
    warehouse.load("mixed date formats", data, ".xlsx" if xlsx else ".csv")


@HYPOTHESIS
@given(
    repeats=st.lists(st.sampled_from(HEADER), min_size=1, max_size=4),
    xlsx=st.booleans(),
    blank=st.booleans(),
)
def test_duplicate_headers(
    warehouse: Warehouse, repeats: list[str], xlsx: bool, blank: bool
) -> None:
    header = [*HEADER, *repeats] + ([""] if blank else [])
    rows = [[*row, *(["dup"] * (len(header) - len(HEADER)))] for row in _valid_rows(4)]
    data = _xlsx(rows, header) if xlsx else _csv(rows, header).encode()
    warehouse.load("duplicate headers", data, ".xlsx" if xlsx else ".csv")


@HYPOTHESIS
@given(
    member=st.sampled_from(
        [
            "xl/workbook.xml",
            "xl/worksheets/sheet1.xml",
            "[Content_Types].xml",
            "xl/sharedStrings.xml",
        ]
    ),
    junk=st.binary(max_size=200),
)
def test_corrupt_workbook_parts(warehouse: Warehouse, member: str, junk: bytes) -> None:
    source = zipfile.ZipFile(io.BytesIO(VALID_XLSX))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, junk if item.filename == member else source.read(item))
    warehouse.load("corrupt workbook parts", buffer.getvalue(), ".xlsx")


# One lead row: (blank lines before it, the client's text, whether its date is missing).
LAID_OUT_ROW = st.tuples(
    st.integers(0, 2),
    st.sampled_from(["Acme", "Acme\nLtd", "Acme\n\nLtd", "Acme, Ltd", 'Acme "A"']),
    st.booleans(),
)


@HYPOTHESIS
@given(
    layout=st.lists(LAID_OUT_ROW, min_size=1, max_size=25),
    line_break=st.sampled_from(["\n", "\r\n"]),
)
def test_row_numbers_are_the_rows_a_spreadsheet_shows(
    warehouse: Warehouse, layout: list[tuple[int, str, bool]], line_break: str
) -> None:
    """Empty lines and values over several lines anywhere: every loaded lead and every
    rejected row carries the number of its row as a spreadsheet counts rows (an empty line is
    one, a value over several lines is one)."""
    warehouse.files += 1
    lines, expected = ["Ref,Date generated,Consultant,Client"], {}
    for number, (blanks, client, undated) in enumerate(layout):
        lines += [""] * blanks
        lead = f"R{warehouse.files}-{number}"
        quoted = '"' + client.replace('"', '""') + '"'
        lines.append(f"{lead},{'' if undated else '03/11/2026'},Priya Shah,{quoted}")
        expected[lead] = (len(lines), undated)
    # Line breaks inside a value stay LF, as Excel writes them whatever ends its rows.
    path = warehouse.write((line_break.join(lines) + line_break).encode(), ".csv")
    result = load_file(warehouse.con, path, warehouse.milestones)
    loaded = dict(
        warehouse.con.execute(
            "select lead_id, _source_row from raw.leads where _load_id = ?", [result.load_id]
        ).fetchall()
    )
    rejected = sorted(
        row
        for (row,) in warehouse.con.execute(
            "select source_row from raw.rejected_rows where load_id = ?", [result.load_id]
        ).fetchall()
    )
    assert loaded == {lead: row for lead, (row, undated) in expected.items() if not undated}
    assert rejected == sorted(row for row, undated in expected.values() if undated)


def test_warehouse_consistent_after_all_cases(warehouse: Warehouse) -> None:
    """Last: the loads recorded agree with the rows (run after the cases in this module)."""
    con: duckdb.DuckDBPyConnection = warehouse.con
    mismatched = con.execute(
        """select loads.load_id from raw.loads
           left join (select _load_id, count(*) as rows from raw.leads group by 1) as leads
             on leads._load_id = loads.load_id
           where loads.kind in ('tracker', 'leads') and coalesce(leads.rows, 0) <> rows_loaded"""
    ).fetchall()
    assert mismatched == []
    assert CASES["loaded"] + CASES["refused"] > 0
