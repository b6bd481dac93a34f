"""Bad files load nothing and say why, naming the file; row numbers in rejects are the ones a
person sees in the file."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import hypothesis
import openpyxl
import pytest
import xlsxwriter
from hypothesis import strategies as st

from ingest.checks import RowChecks
from ingest.csv_reader import (
    BlankEndFinder,
    EmptyLineFinder,
    TextScan,
    TextScanner,
    drop_read,
    open_csv,
)
from ingest.errors import IngestError
from ingest.loader import connect, load_files
from ingest.mapping import load_mapping
from leadtrack.settings import Settings

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def good_workbook(path: Path) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Leads")
    sheet.write_row(0, 0, ["Ref", "Date", "Consultant"])
    for number in range(200):
        sheet.write_row(number + 1, 0, [f"L-{number}", "01/10/2026", f"Consultant {number}"])
    workbook.close()
    return path


def truncated_workbook(path: Path) -> None:
    whole = good_workbook(path.with_name("whole.xlsx")).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


def zip_named_csv(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "Ref,Date,Consultant\n")


BAD_FILES: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "empty": ("leads.csv", lambda path: path.write_bytes(b""), r"the file is empty \(0 bytes\)"),
    "blank lines only": (
        "leads.csv",
        lambda path: path.write_text("\n\n\n"),
        "the file has no rows: export it again with its data",
    ),
    "header only": (
        "leads.csv",
        lambda path: path.write_text("Ref,Date generated,Consultant\n"),
        "the file has a header row but no data rows",
    ),
    "png named csv": ("leads.csv", lambda path: path.write_bytes(PNG), "looks like a binary file"),
    "png": ("photo.png", lambda path: path.write_bytes(PNG), "binary file, not CSV"),
    "no recognisable columns": (
        "shopping.csv",
        lambda path: path.write_text("Fruit,Colour,Price\nApple,Red,0.30\n"),
        r"none of the columns \(Fruit, Colour, Price\) tells leadtrack what this file is",
    ),
    "truncated xlsx": (
        "tracker.xlsx",
        truncated_workbook,
        "cannot be read as an Excel workbook",
    ),
    "text named xlsx": (
        "tracker.xlsx",
        lambda path: path.write_text("Ref,Date,Consultant\nL-1,01/10/2026,Tom Reid\n"),
        "cannot be read as an Excel workbook",
    ),
    "workbook named csv": (
        "export.dat",
        zip_named_csv,
        "zip or workbook file without an .xlsx name",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_loads_nothing_and_says_why(
    settings: Settings, tmp_path: Path, case: str
) -> None:
    name, write, message = BAD_FILES[case]
    path = tmp_path / name
    write(path)
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match=message) as raised:
        load_files(con, [path], settings.catalogue)
    assert str(raised.value).startswith(str(path))
    assert raised.value.path == path
    assert con.execute("select count(*) from raw.loads where kind <> 'catalogue'").fetchone() == (
        0,
    )
    for table in ("leads", "milestone_events", "calls", "consultants", "rejected_rows"):
        assert con.execute(f"select count(*) from raw.{table}").fetchone() == (0,), table


# A month of calls from a US system: 10/19/2026 is 19 October; 10/05/2026 would load as 10 May.
US_DATES = [f"10/{day:02d}/2026" for day in (5, 19, 2, 23, 11, 30, 8, 14)]


@pytest.mark.parametrize(
    ("dates", "dayfirst", "message"),
    [
        (
            US_DATES,
            True,
            r"Date looks written month first \(US\): 4 of its 8 dates, the first"
            r" '10/19/2026' \(row 3\), have no month 19.* again with --monthfirst",
        ),
        (["19/10/2026", "05/10/2026"], False, r"day first \(UK\).* without --monthfirst"),
    ],
)
def test_dates_written_the_other_way_round_stop_the_file(
    settings: Settings, tmp_path: Path, dates: list[str], dayfirst: bool, message: str
) -> None:
    """Read as told, the file's dates up to the 12th would load with day and month swapped
    and the others be rejected: nothing loads, and the message says how to load it."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Client\n"
        + "".join(f"L-{row},{day},Tom Reid,Acme\n" for row, day in enumerate(dates))
    )
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match=message):
        load_files(con, [path], settings.catalogue, dayfirst=dayfirst)
    assert con.execute("select count(*) from raw.leads").fetchone() == (0,)
    (result,) = load_files(con, [path], settings.catalogue, dayfirst=not dayfirst)
    assert (result.rows_loaded, result.rows_rejected) == (len(dates), 0)
    assert con.execute("select created_date from raw.leads where lead_id = 'L-0'").fetchone()[
        0
    ].isoformat() == ("2026-10-05" if dayfirst else "2026-10-19")


def test_one_impossible_date_among_day_first_ones_is_one_reject(
    settings: Settings, tmp_path: Path
) -> None:
    """Not a file written the other way round: a typo (a tenth of the dates or fewer)."""
    days = [f"{day:02d}/11/2026" for day in range(1, 13)] * 2
    days[7] = "11/13/2026"
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Client\n"
        + "".join(f"L-{row},{day},Tom Reid,Acme\n" for row, day in enumerate(days))
    )
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected) == (23, 1)
    assert con.execute("select source_row from raw.rejected_rows").fetchall() == [(9,)]


def test_a_missing_required_column_is_named(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Ref,Date generated,Client\nL-1,01/10/2026,Acme\n")
    con = connect(settings.warehouse)
    with pytest.raises(
        IngestError, match=r"no column for Consultant \(looked for Consultant, Owner"
    ):
        load_files(con, [path], settings.catalogue, kind="leads")


def test_an_unknown_sheet_lists_the_sheets(settings: Settings, tmp_path: Path) -> None:
    path = good_workbook(tmp_path / "tracker.xlsx")
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match="has no sheet named 'Calls'; its sheets are Leads"):
        load_files(con, [path], settings.catalogue, sheet="Calls")


def test_sheet_on_a_csv_is_an_error(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Ref,Date,Consultant\nL-1,01/10/2026,Tom Reid\n")
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match="--sheet applies to workbooks"):
        load_files(con, [path], settings.catalogue, sheet="Leads")


def test_a_bad_file_does_not_stop_the_good_ones(settings: Settings, tmp_path: Path) -> None:
    """load_files raises on the bad file; the files before it are loaded and stay loaded."""
    good = tmp_path / "a-leads.csv"
    good.write_text("Ref,Date,Consultant\nL-1,01/10/2026,Tom Reid\n")
    bad = tmp_path / "b-empty.csv"
    bad.write_bytes(b"")
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match=r"b-empty\.csv: the file is empty"):
        load_files(con, [tmp_path], settings.catalogue)
    assert con.execute("select lead_id from raw.leads").fetchall() == [("L-1",)]


def test_csv_row_numbers_count_title_and_blank_lines(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Leads export, generated 05/10/2026\n"  # 1
        "\n"  # 2
        "Ref,Date,Consultant,Client\n"  # 3
        "L-1,01/10/2026,Tom Reid,Acme\n"  # 4
        "L-2,01/10/2026,Tom Reid,Calder, Smith & Co\n"  # 5: a comma too many
        "L-3,,Tom Reid,Brightwater\n"  # 6: no date
        "L-4,01/10/2026,Tom Reid,Acme\n"  # 7
    )
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    assert con.execute("select lead_id, _source_row from raw.leads order by 2").fetchall() == [
        ("L-1", 4),
        ("L-4", 7),
    ]
    reasons = con.execute(
        "select source_row, reason from raw.rejected_rows order by source_row"
    ).fetchall()
    assert [row for row, _ in reasons] == [5, 6]
    assert reasons[0][1].startswith("the row has more values than the header's 4 columns")
    assert reasons[1][1] == "Date is empty: fill it in (every row needs one)"


@pytest.mark.parametrize("bad_row", [2, 51])
@pytest.mark.parametrize("extra", [", Smith & Co", ",x,y,z"])
def test_a_row_with_values_to_spare_is_one_reject_wherever_it_is(
    settings: Settings, tmp_path: Path, bad_row: int, extra: str
) -> None:
    """The first data row too: the reader's sniffing once failed the whole file on it. And
    once, not once per surplus value."""
    lines = ["Ref,Date,Consultant,Client"] + [
        f"L-{number},01/10/2026,Tom Reid,Acme" for number in range(100)
    ]
    lines[bad_row - 1] += extra
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n")
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (100, 99, 1)
    ((row, reason),) = con.execute("select source_row, reason from raw.rejected_rows").fetchall()
    assert row == bad_row
    assert reason.startswith("the row has more values than the header's 4 columns")


# Rows as a spreadsheet shows the file: an empty line is a row; a value that spans lines is
# one. Each file: a good row, the row with a comma too many, the row without a date, a good row.
ROWS_AFTER = {
    "an empty line": ("L-1,01/10/2026,Tom Reid,Acme\n\n", 6),
    "two empty lines": ("L-1,01/10/2026,Tom Reid,Acme\n\n\n", 7),
    "an empty line at a chunk's end": ("L-1,01/10/2026,Tom Reid,Acme\n\n", 6),
    "a value over two lines": ('L-1,01/10/2026,Tom Reid,"Acme\nLtd"\n', 5),
    "a value holding an empty line": ('L-1,01/10/2026,Tom Reid,"Acme\n\nLtd"\n', 5),
    "both": ('L-1,01/10/2026,Tom Reid,"Acme\n\nLtd"\n\n', 6),
    # Longer than Python's csv module reads by default.
    "a value of 200 kB, then an empty line": (f'L-1,01/10/2026,Tom Reid,"{"x" * 200_000}"\n\n', 6),
}


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("case", list(ROWS_AFTER))
def test_csv_row_numbers_count_empty_lines_and_not_line_breaks_in_values(
    settings: Settings, tmp_path: Path, case: str, line_break: str
) -> None:
    first, last_row = ROWS_AFTER[case]
    text = (
        "Ref,Date,Consultant,Client\n"
        + first
        + "L-2,01/10/2026,Tom Reid,Calder, Smith & Co\n"
        + "L-3,,Tom Reid,Brightwater\n"
        + "L-4,01/10/2026,Tom Reid,Acme\n"
    ).replace("\n", line_break)
    path = tmp_path / "leads.csv"
    path.write_bytes(text.encode())
    if case == "an empty line at a chunk's end":
        # The empty line's two line breaks fall either side of the finder's chunks.
        finder = EmptyLineFinder()
        middle = text.index(line_break * 2) + len(line_break)
        finder.feed(text[:middle].encode())
        finder.feed(text[middle:].encode())
        assert finder.last == text.index(line_break * 2) + len(line_break) - 1
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert con.execute("select lead_id, _source_row from raw.leads order by 2").fetchall() == [
        ("L-1", 2),
        ("L-4", last_row),
    ]
    rejected = con.execute("select source_row from raw.rejected_rows order by 1").fetchall()
    assert [row for (row,) in rejected] == [last_row - 2, last_row - 1]
    if "value" in case:
        ((client,),) = con.execute("select client from raw.leads where lead_id = 'L-1'").fetchall()
        assert client == first.split('"')[1].replace("\n", line_break)


@hypothesis.settings(max_examples=300, deadline=None, database=None)
@hypothesis.given(
    line_break=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    lines=st.lists(st.sampled_from([b"", b"a", b"ab", b"abc"]), min_size=1, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_the_empty_line_finder_finds_the_last_empty_line_however_the_bytes_are_cut(
    line_break: bytes, lines: list[bytes], cuts: list[int]
) -> None:
    """Its answer is `rfind` over the whole file, at any offset and whatever chunks it is fed
    (its quick check reads byte pairs at even and odd offsets). The first chunk holds the
    header's line break, as the loader's first read does, to tell the file's kind of line
    break."""
    header = b"Ref" + line_break
    data = header + line_break.join(lines) + line_break
    ends = sorted({min(len(header) + cut, len(data)) for cut in cuts} | {len(data)})
    finder = EmptyLineFinder()
    for start, end in itertools.pairwise([0, *ends]):
        if end > start:
            finder.feed(data[start:end])
    empty = {b"\r\n": b"\n\r\n", b"\n": b"\n\n", b"\r": b"\r\r"}[line_break]
    last = data.rfind(empty)
    assert finder.last == (None if last < 0 else last)


def test_a_csv_mixing_windows_and_unix_line_breaks_loads(
    settings: Settings, tmp_path: Path
) -> None:
    """Lines ending CR LF and LF in one file stop DuckDB's reader; leadtrack reads a copy."""
    lines = ["Ref,Date,Consultant,Client"] + [
        f"L-{number},01/10/2026,Tom Reid,Acme" for number in range(3000)
    ]
    lines[2500] = "B-1,,Tom Reid,Acme"
    path = tmp_path / "leads.csv"
    path.write_bytes(("\r\n".join(lines[:2000]) + "\n" + "\r\n".join(lines[2000:])).encode())
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3000, 2999, 1)
    assert con.execute("select source_row from raw.rejected_rows").fetchall() == [(2501,)]
    assert con.execute("select _source_row from raw.leads where lead_id = 'L-2999'").fetchall() == [
        (3001,)
    ]


@pytest.mark.parametrize("bad_lines", [3, 150])
def test_csv_row_numbers_after_many_unreadable_lines(
    settings: Settings, tmp_path: Path, bad_lines: int
) -> None:
    """Every good row keeps its line number however many lines the reader drops before it,
    alone or side by side (a few are counted one way, many another)."""
    lines = ["Ref,Date,Consultant,Client"]
    expected = []
    for number in range(bad_lines):
        # Every third unreadable line is followed straight by the next.
        for good in range(0 if number % 3 == 1 else 8):
            lines.append(f"L-{number}-{good},01/10/2026,Tom Reid,Acme")
            expected.append((f"L-{number}-{good}", len(lines)))
        lines.append(f"B-{number},01/10/2026,Tom Reid,Calder, Smith & Co")
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n")
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected) == (len(expected), bad_lines)
    assert (
        con.execute("select lead_id, _source_row from raw.leads order by 2").fetchall() == expected
    )
    rejected = con.execute("select source_row from raw.rejected_rows order by 1").fetchall()
    assert [row for (row,) in rejected] == [
        number + 1 for number, line in enumerate(lines) if line.startswith("B-")
    ]


def test_values_are_trimmed_of_unicode_spaces(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Client\n"
        "L-1 ,01/10/2026,\u00a0Tom Reid\u3000, Acme\n"
        "L-2,01/10/2026,Tom Reid,\u00a0\n"
        "L-3,01/10/2026,Tom Reid,\tAcme\n",
        encoding="utf-8",
    )
    con = connect(settings.warehouse)
    load_files(con, [path], settings.catalogue)
    assert con.execute(
        "select lead_id, consultant, client from raw.leads order by _source_row"
    ).fetchall() == [
        ("L-1", "Tom Reid", "Acme"),
        ("L-2", "Tom Reid", None),
        ("L-3", "Tom Reid", "Acme"),
    ]


# Values the trimming must get right: clean ones with blanks inside, and ones that start or
# end with a blank (ASCII or Unicode), a line break or a quote.
VALUES = [
    "Acme",
    "Tom Reid",
    "Calder, Smith & Co",
    'say "hi"',
    "",
    "Café",
    "José",
    "ideographic\u3000",
    "line\nbreak",
    " lead",
    "trail ",
    "tab\t",
    "\u00a0nbsp",
    "nbsp\u00a0",
    "ends\n",
    "ends\r\n",
    '"quoted"',
]


@hypothesis.settings(max_examples=200, deadline=None, database=None)
@hypothesis.given(
    rows=st.lists(st.lists(st.sampled_from(VALUES), min_size=2, max_size=2), max_size=6),
    delimiter=st.sampled_from(",;\t|"),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    line_break=st.sampled_from(["\n", "\r\n"]),
    cut=st.integers(min_value=0, max_value=200),
)
def test_values_read_with_the_scan_equal_values_trimmed_at_both_ends(
    rows: list[list[str]], delimiter: str, quoting: int, line_break: str, cut: int
) -> None:
    """When the scan finds no value ending with a blank, the reader trims only their starts;
    otherwise it trims their ends afterwards. Either way every value is what trimming both
    ends as it is read gives (the reader without a scan)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, quoting=quoting, lineterminator=line_break)
    writer.writerows([["Ref", "Client"], ["L-0", "Acme"], *rows])
    data = text.getvalue().encode()
    scanner = TextScanner()
    for start, end in itertools.pairwise(sorted({0, min(cut, len(data)), len(data)})):
        scanner.feed(data[start:end])
    scan = scanner.result()
    con = duckdb.connect()
    RowChecks.install_macros(con)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.csv"
        path.write_bytes(data)

        def values(scanned: TextScan | None) -> list[tuple]:
            try:
                with open_csv(
                    con, path, "source", lambda row: 2, (lambda: scanned) if scanned else None
                ) as source:
                    return con.execute(
                        f"select * exclude (_source_row) from {source.relation}"
                        " order by _source_row"
                    ).fetchall()
            finally:
                drop_read(con, "source")

        assert values(scan) == values(None)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ref,Client\nL-1,Tom Reid\nL-2,Acme\n", False),
        ("Ref,Client\r\nL-1,Tom Reid\r\nL-2,Acme\r\n", False),
        ('"Ref","Client"\n"L-1","Tom Reid"\n"L-2",""\n', False),
        ("Ref,Client\nL-1,Tom Reid\nL-2,Acme", False),
        ("Ref,Client\nL-1,Tom Reid \nL-2,Acme\n", True),
        ("Ref,Client\nL-1 ,Tom Reid\n", True),
        ('Ref,Client\nL-1,"Tom Reid "\n', True),
        ("Ref,Client\nL-1,Tom Reid\u00a0\n", True),
        ("Ref,Client\nL-1,Tom Reid\u200b", True),
        ("Ref,Client\nL-1,José\nL-2,Zoë", False),
        ('Ref,Client\nL-1,"Tom Reid\n"\n', True),
        ('Ref,Client\nL-1,"Tom Reid\n"', True),
        ("Ref,Client\nL-1,Tom Reid\t", True),
        ("Ref,Client\nL-1,Tom\rReid\n", True),
        ("Ref,Client\r\nL-1,Tom Reid\nL-2,Acme\r\n", True),
    ],
)
def test_the_blank_end_finder_finds_a_value_that_may_end_with_a_blank(
    text: str, found: bool
) -> None:
    """Fed the header first (the loader's first read holds it: the delimiters watched are
    those in it), then the rest in pieces of every size up to a few bytes, or whole."""
    data = text.encode()
    header = data.index(b"Client") + len("Client")
    for size in (1, 2, 3, len(data)):
        finder = BlankEndFinder()
        finder.feed(data[:header])
        for start in range(header, len(data), size):
            finder.feed(data[start : start + size])
        assert (finder.close(), finder.delimiters) == (found, ","), size


@pytest.mark.parametrize("word", ["Total", "TOTALS", "Grand total", "grand total:"])
def test_a_totals_row_at_the_bottom_of_a_tracker_is_skipped_not_rejected(
    settings: Settings, tmp_path: Path, word: str
) -> None:
    """A tracker's totals row ("Total,,,,=SUM(...)") was rejected for its empty date and
    consultant, a reject in every weekly load. A row saying Total where a lead has its
    date and consultant is a lead, and the one without a ref is still rejected."""
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Client,Salary,CVs received\n"
        "T-1,01/09/2026,Priya Shah,Acme,45000,Y\n"
        "T-2,01/09/2026,Priya Shah,Total,45000,\n"
        ",01/09/2026,Total,Acme,,\n"
        f"{word},,,,=SUM(E2:E3),2\n"
    )
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (
        result.rows_read,
        result.rows_loaded,
        result.rows_rejected,
        result.rows_skipped,
        result.totals_skipped,
    ) == (4, 2, 1, 1, 1)
    assert con.execute("select lead_id from raw.leads order by lead_id").fetchall() == [
        ("T-1",),
        ("T-2",),
    ]
    assert con.execute("select source_row from raw.rejected_rows").fetchall() == [(4,)]
    assert con.execute("select rows_skipped from raw.loads where kind = 'tracker'").fetchall() == [
        (1,)
    ]


def test_a_totals_row_of_a_call_log_whose_first_column_is_not_required(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "Lead ID,Consultant,Date/Time,Outcome\n"
        "L-1,Priya Shah,01/09/2026 09:00,Connected\n"
        "Total,,,1\n"
    )
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected, result.totals_skipped) == (1, 0, 1)


def test_keep_rows_where_skips_a_row_whose_column_is_blank(
    settings: Settings, tmp_path: Path
) -> None:
    """A row must hold one of the kept values: a blank is not one (it was once loaded)."""
    mapping = tmp_path / "mine.yml"
    mapping.write_text('kind: leads\nkeep_rows_where:\n  Active: ["yes"]\n')
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Active\n"
        "L-1,01/10/2026,Tom Reid,yes\n"
        "L-2,01/10/2026,Tom Reid,\n"
        "L-3,01/10/2026,Tom Reid,no\n"
        "L-4,,Tom Reid,yes\n"
    )
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue, mapping=load_mapping(str(mapping)))
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_skipped) == (
        4,
        1,
        1,
        2,
    )
    assert con.execute("select lead_id from raw.leads").fetchall() == [("L-1",)]


# Excel errors -------------------------------------------------------------------------------


def excel_error_message(header: str, error: str, where: str = "the tracker") -> str:
    return (
        f"the cell under '{header}' holds Excel's error {error} (a broken formula): fix or"
        f" clear the cell in {where} and load it again"
    )


def write_sheet(path: Path, rows: list[list[str]]) -> Path:
    """`rows` as a CSV, or as a workbook (openpyxl) whose cells reading like an Excel error
    (`#REF!`) are error cells, as a failed formula leaves them."""
    if path.suffix == ".csv":
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
        return path
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("#"):
                cell.data_type = "e"
    workbook.save(path)
    return path


TRACKER_HEADER = [
    *("Ref", "Date generated", "Consultant", "Client", "Salary", "Fee %", "Status"),
    *("Notes", "CVs received", "Start date", "Owner's desk"),
]
GOOD_LEAD = ["L-1", "01/10/2026", "Tom Reid", "Acme", "45000", "20", "Open", "", "02/10/2026"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_excel_error_in_a_field_that_counts_rejects_its_row_and_says_so(
    settings: Settings, tmp_path: Path, suffix: str
) -> None:
    """A workbook's error cell (a broken VLOOKUP's #N/A) was read as an empty cell: a start
    date became "not reached", a salary unknown, without a word; its CSV (Excel writes the
    error's text) rejected the row as "not a date" and loaded "#REF!" as a lead's id or
    consultant. A workbook and the CSV Excel saves of it now load alike: the row is rejected,
    naming the column, the error and the fix, and the rest of the file loads. An error in
    free text (Client, Notes) or in a column leadtrack does not read keeps the lead, and the
    error's text is loaded as it reads."""
    errors = {
        "Ref": "#REF!",
        "Date generated": "#VALUE!",
        "Consultant": "#N/A",
        "Salary": "#DIV/0!",
        "Fee %": "#NAME?",
        "Status": "#N/A",
        "CVs received": "#NUM!",
        "Start date": "#REF!",
    }
    rows = [TRACKER_HEADER, [*GOOD_LEAD, "", ""]]
    for number, (header, error) in enumerate(errors.items(), start=2):
        row = [f"L-{number}", *GOOD_LEAD[1:], "02/11/2026", ""]
        row[TRACKER_HEADER.index(header)] = error
        rows.append(row)
    kept = [f"L-{len(rows)}", *GOOD_LEAD[1:], "", "#REF!"]
    kept[TRACKER_HEADER.index("Client")] = "#N/A"
    kept[TRACKER_HEADER.index("Notes")] = "#DIV/0!"
    rows.append(kept)
    path = write_sheet(tmp_path / f"tracker{suffix}", rows)
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 2, 8)
    assert con.execute(
        "select source_row, reason from raw.rejected_rows order by 1"
    ).fetchall() == [
        (row, excel_error_message(header, error))
        for row, (header, error) in enumerate(errors.items(), start=3)
    ]
    assert con.execute(
        "select lead_id, client, notes, salary from raw.leads order by _source_row"
    ).fetchall() == [("L-1", "Acme", None, 45000), ("L-10", "#N/A", "#DIV/0!", 45000)]
    # The rejected start date is no start: the lead's milestones load with nothing of it.
    assert con.execute(
        "select distinct lead_id from raw.milestone_events order by 1"
    ).fetchall() == [("L-1",), ("L-10",)]
    # A reject's record shows the error where the cell holds it.
    record = con.execute("select record from raw.rejected_rows where source_row = 10").fetchone()
    assert json.loads(record[0])["Start date"] == "#REF!"


def test_excel_errors_calamine_cannot_read_reject_their_row_not_the_workbook(
    settings: Settings, tmp_path: Path
) -> None:
    """calamine refuses a whole sheet holding one of Excel's newer errors (#SPILL!, #CALC!:
    "Unsupported cell error value"): the workbook loaded nothing, for one cell, and a
    summary sheet beside the tracker spilling a dynamic array stopped it as well."""
    rows = [
        TRACKER_HEADER[:10],
        GOOD_LEAD,
        ["L-2", "#SPILL!", "Tom Reid", "Acme", "45000", "20", "Open", "", "02/10/2026"],
        ["L-3", *GOOD_LEAD[1:8], "#CALC!"],
        ["L-4", *GOOD_LEAD[1:6], "#REF!", "", "02/10/2026"],
    ]
    path = write_sheet(tmp_path / "tracker.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    summary = workbook.create_sheet("Summary")
    summary.append(["Consultant", "Leads"])
    summary.append(["Tom Reid", "#SPILL!"])
    summary["B2"].data_type = "e"
    workbook.save(path)
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    assert con.execute(
        "select source_row, reason from raw.rejected_rows order by 1"
    ).fetchall() == [
        (3, excel_error_message("Date generated", "#SPILL!")),
        (4, excel_error_message("CVs received", "#CALC!")),
        (5, excel_error_message("Status", "#REF!")),
    ]


@pytest.mark.parametrize(
    ("name", "rows", "rejected", "loaded"),
    [
        (
            "calls.csv",
            [
                ["Call ID", "Lead ID", "Consultant", "Date/Time", "Outcome", "Notes"],
                ["C-1", "L-1", "Tom Reid", "01/10/2026 09:00", "Connected", "#N/A"],
                ["C-2", "L-1", "Tom Reid", "01/10/2026 10:00", "#N/A", ""],
                ["C-3", "#REF!", "Tom Reid", "01/10/2026 11:00", "Connected", ""],
            ],
            [(3, "Outcome", "#N/A"), (4, "Lead ID", "#REF!")],
            "select call_id, notes from raw.calls",
        ),
        (
            "calls.csv",
            [
                ["Date", "Time", "Consultant", "Lead ID", "Outcome", "Contact"],
                ["01/10/2026", "09:00", "Tom Reid", "L-1", "Connected", "#N/A"],
                ["01/10/2026", "#VALUE!", "Tom Reid", "L-1", "Connected", ""],
                ["#REF!", "11:00", "Tom Reid", "L-1", "Connected", ""],
            ],
            [(3, "Time", "#VALUE!"), (4, "Date", "#REF!")],
            "select strftime(called_at, '%d/%m/%Y'), contact from raw.calls",
        ),
        (
            "consultants.csv",
            [
                ["Consultant", "Team", "Manager", "Email"],
                ["Tom Reid", "North", "Ann Cole", "#VALUE!"],
                ["Priya Shah", "#N/A", "Ann Cole", ""],
            ],
            [(3, "Team", "#N/A")],
            "select consultant, email from raw.consultants",
        ),
        (
            "events.csv",
            [
                ["Lead ID", "Milestone", "Event date", "Candidate"],
                ["L-1", "CVs received", "01/10/2026", "#N/A"],
                ["L-1", "#N/A", "02/10/2026", ""],
                ["L-2", "CVs received", "#REF!", ""],
            ],
            [(3, "Milestone", "#N/A"), (4, "Event date", "#REF!")],
            "select lead_id, candidate from raw.milestone_events",
        ),
    ],
)
def test_an_excel_error_rejects_a_row_of_every_kind_but_not_for_free_text(
    settings: Settings,
    tmp_path: Path,
    name: str,
    rows: list[list[str]],
    rejected: list[tuple[int, str, str]],
    loaded: str,
) -> None:
    path = write_sheet(tmp_path / name, rows)
    con = connect(settings.warehouse)
    load_files(con, [path], settings.catalogue)
    assert con.execute(
        "select source_row, reason from raw.rejected_rows order by 1"
    ).fetchall() == [
        (row, excel_error_message(header, error, "the file")) for row, header, error in rejected
    ]
    first = rows[1]
    assert con.execute(loaded).fetchall() == [(first[0], next(v for v in first if "#" in v))]


def test_a_formula_error_far_down_a_big_sheet_is_found(settings: Settings, tmp_path: Path) -> None:
    """The sheet's XML is looked through in chunks for an error cell, beside the read: one
    a megabyte of XML down, left by a VLOOKUP Excel computed to #N/A (a formula with its
    cached value, as Excel saves it), is found."""
    path = tmp_path / "tracker.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Tracker")
    sheet.write_row(0, 0, ["Ref", "Date generated", "Consultant", "Client", "Start date"])
    leads = 20_000
    for number in range(1, leads + 1):
        sheet.write_row(number, 0, [f"L-{number}", "01/10/2026", "Tom Reid", "Acme"])
    sheet.write_formula(leads, 4, "=VLOOKUP(A20001,Starts!A:B,2,FALSE)", None, "#N/A")
    workbook.close()
    con = connect(settings.warehouse)
    (result,) = load_files(con, [path], settings.catalogue)
    assert (result.rows_loaded, result.rows_rejected) == (leads - 1, 1)
    assert con.execute("select source_row, reason from raw.rejected_rows").fetchall() == [
        (leads + 1, excel_error_message("Start date", "#N/A"))
    ]
