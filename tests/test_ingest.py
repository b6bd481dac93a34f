"""Ingest of every kind and format into a real warehouse of the test's own: encodings,
delimiters, workbooks, ticks, dates, money, reloads, new versions, rollback, the template."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlsxwriter

from ingest.catalogue import read_catalogue
from ingest.csv_reader import Utf8Checker
from ingest.loader import LoadResult, connect, load_files
from ingest.template import write_template
from leadtrack.settings import DEFAULT_CATALOGUE, Settings

LEADS_CSV = (
    "Ref,Date generated,Consultant,Client,Salary,Fee %\n"
    'L-1,03/11/2026,Amélie Dubois,Café Rouge,"£45,000",20%\n'
    "L-2,04/11/2026,Tom Reid,Brightwater plc,45k,20\n"
)


def load(
    settings: Settings, *paths: Path, **options: object
) -> tuple[list[LoadResult], duckdb.DuckDBPyConnection]:
    con = connect(settings.warehouse)
    results = load_files(con, list(paths), settings.catalogue, **options)  # type: ignore[arg-type]
    return results, con


def load_one(
    settings: Settings, path: Path, **options: object
) -> tuple[LoadResult, duckdb.DuckDBPyConnection]:
    (result,), con = load(settings, path, **options)
    return result, con


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute(
        "select source_row, reason from raw.rejected_rows order by load_id, source_row"
    ).fetchall()


def leads(con: duckdb.DuckDBPyConnection, columns: str = "lead_id") -> list[tuple]:
    return con.execute(f"select {columns} from raw.leads order by _load_id, _source_row").fetchall()


# Encodings and delimiters -----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_each_encoding_keeps_pound_signs_and_accents(
    settings: Settings, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / f"leads-{encoding}.csv"
    path.write_bytes(LEADS_CSV.encode(encoding))
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("leads", 2, 0)
    assert leads(con, "lead_id, consultant, client, cast(salary as integer), fee_pct") == [
        ("L-1", "Amélie Dubois", "Café Rouge", 45000, 20),
        ("L-2", "Tom Reid", "Brightwater plc", 45000, 20),
    ]


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_a_utf8_export_with_a_windows_1252_line_keeps_both(
    settings: Settings, tmp_path: Path, bom: bytes
) -> None:
    """A UTF-8 export (Excel's "CSV UTF-8", with its byte-order mark, or without) with a
    line appended from a Windows-1252 one: each line is read in its own encoding, not the
    whole file as Windows-1252, which turned the UTF-8 lines' £ into Â£ (the row rejected)
    and Zoë into ZoÃ« (loaded so, a consultant under a name nobody has)."""
    utf8 = (
        "Ref,Date generated,Consultant,Client,Salary\r\n"
        'L-1,03/11/2026,Zoë Brown,Café Rouge,"£45,000"\r\n'
        "L-2,04/11/2026,Zoë Brown,Acme,45000\r\n"
    )
    windows_1252 = 'L-3,05/11/2026,Tom Reid,O’Neill & Co,"£40,000"\r\n'
    path = tmp_path / "leads.csv"
    path.write_bytes(bom + utf8.encode("utf-8") + windows_1252.encode("cp1252"))
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("leads", 3, 0)
    assert leads(con, "lead_id, consultant, client, cast(salary as integer)") == [
        ("L-1", "Zoë Brown", "Café Rouge", 45000),
        ("L-2", "Zoë Brown", "Acme", 45000),
        ("L-3", "Tom Reid", "O’Neill & Co", 40000),
    ]


def test_a_windows_1252_export_whose_first_accent_is_far_down_loads_it_right(
    settings: Settings, tmp_path: Path
) -> None:
    """A file without a byte-order mark is read as UTF-8 while a thread checks it; the check
    finds the one Windows-1252 byte at the end, and the file is read again, transcoded."""
    rows = [f"L-{number},03/11/2026,Tom Reid,Acme" for number in range(30_000)]
    path = tmp_path / "leads.csv"
    path.write_bytes(
        (
            "Ref,Date generated,Consultant,Client\n" + "\n".join(rows) + "\nL-late,03/11/2026,"
            "Tom Reid,Café Rouge\n"
        ).encode("cp1252")
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (30_001, 0)
    assert con.execute(
        "select client, _source_row from raw.leads where lead_id = 'L-late'"
    ).fetchall() == [("Café Rouge", 30_002)]


def test_a_windows_1252_export_counts_an_empty_line_after_its_header(
    settings: Settings, tmp_path: Path
) -> None:
    """Its UTF-8 copy is longer than the file (a £ takes two bytes): where the empty line is
    must be found in the copy, not in the file."""
    path = tmp_path / "leads.csv"
    path.write_bytes(
        "Ref,Date,Consultant,Client,Salary (£)\n\nL-1,01/10/2026,Tom Reid,Café,45000\n"
        "L-2,,Tom Reid,Acme,52000\n".encode("cp1252")
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert leads(con, "lead_id, client, _source_row") == [("L-1", "Café", 3)]
    assert [row for row, _ in rejects(con)] == [4]


@pytest.mark.parametrize(
    ("chunks", "valid"),
    [
        ([b"Caf\xc3", b"\xa9 Rouge"], True),  # é split across two chunks
        ([b"Caf\xc3", b" Rouge"], False),  # é cut short, then ASCII
        ([b"Acme", b"Caf\xc3"], False),  # the file ends inside a character
        ([b"Acme", b"Caf\xe9"], False),  # Windows-1252's é
    ],
)
def test_utf8_checker_sees_characters_across_chunks(chunks: list[bytes], valid: bool) -> None:
    checker = Utf8Checker()
    for chunk in chunks:
        checker.feed(chunk)
    assert checker.close() is valid


def test_a_quoted_amount_far_down_a_big_export_stays_one_value(
    settings: Settings, tmp_path: Path
) -> None:
    # The sniffer's sample sees no quotes; the reader must still honour "£22,500" later on.
    rows = [f"L-{number},03/11/2026,Tom Reid,45000" for number in range(30_000)]
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary\n"
        + "\n".join(rows)
        + '\nL-late,03/11/2026,Tom Reid,"£22,500"\n',
        encoding="utf-8",
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (30_001, 0)
    assert con.execute("select salary from raw.leads where lead_id = 'L-late'").fetchall() == [
        (22500,)
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter(settings: Settings, tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "\n".join(
            delimiter.join(row)
            for row in [
                ("Ref", "Created", "Owner", "Company", "Salary"),
                ("L-1", "03/11/2026", "Priya Shah", "Acme Ltd", "£45,000"),
                ("L-2", "2026-11-04", "Tom Reid", "Calder, Smith & Co", "52000"),
            ]
        )
        + "\n"
    )
    if delimiter == ",":
        path.write_text(
            path.read_text()
            .replace("Calder, Smith & Co", '"Calder, Smith & Co"')
            .replace("£45,000", '"£45,000"')
        )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert leads(
        con, "lead_id, cast(created_date as varchar), client, cast(salary as integer)"
    ) == [
        ("L-1", "2026-11-03", "Acme Ltd", 45000),
        ("L-2", "2026-11-04", "Calder, Smith & Co", 52000),
    ]


# Every kind -------------------------------------------------------------------------------


def test_every_kind_is_detected_from_its_headers(settings: Settings, tmp_path: Path) -> None:
    files = {
        "consultants": (
            "Name,Team,Manager\nPriya Shah,Finance,Jo Bloggs\nTom Reid,Finance,Jo Bloggs\n"
        ),
        "leads": "Lead ID,Created,Consultant,Client\nL-1,01/10/2026,Priya Shah,Acme\n",
        "tracker": (
            "Ref,Date generated,Consultant,CVs received,1st interview,Start date\n"
            "T-1,01/10/2026,Tom Reid,05/10/2026,12/10/2026,\n"
        ),
        "events": (
            "Lead,Stage,Date,Candidate\n"
            "L-1,CV sent,02/10/2026,\n"
            "L-1,1st interview,09/10/2026,Ann Lee\n"
            "L-1,1st interview,10/10/2026,Bo Chan\n"
        ),
        "calls": (
            "Date/Time,Caller,Ref,Outcome,Call me on\n"
            "02/10/2026 09:15,Priya Shah,L-1,Connected,14/10/2026\n"
            "02/10/2026 09:40,Priya Shah,L-1,No answer,\n"
        ),
    }
    for kind, text in files.items():
        (tmp_path / f"{kind}.csv").write_text(text)
    results, con = load(settings, *(tmp_path / f"{kind}.csv" for kind in files))
    assert [result.kind for result in results] == list(files)
    assert all(result.rows_rejected == 0 for result in results)
    assert con.execute("select consultant, team, manager from raw.consultants").fetchall() == [
        ("Priya Shah", "Finance", "Jo Bloggs"),
        ("Tom Reid", "Finance", "Jo Bloggs"),
    ]
    assert leads(con, "lead_id, consultant") == [("L-1", "Priya Shah"), ("T-1", "Tom Reid")]
    events = con.execute(
        "select lead_id, milestone, cast(event_date as varchar), candidate, is_date_unknown"
        " from raw.milestone_events order by lead_id, event_date, candidate"
    ).fetchall()
    assert events == [
        ("L-1", "cvs_received", "2026-10-02", None, False),
        ("L-1", "interviews_arranged", "2026-10-09", "Ann Lee", False),
        ("L-1", "interviews_arranged", "2026-10-10", "Bo Chan", False),
        ("T-1", "cvs_received", "2026-10-05", None, False),
        ("T-1", "interviews_arranged", "2026-10-12", None, False),
    ]
    calls = con.execute(
        "select lead_id, consultant, cast(called_at as varchar), outcome,"
        " cast(callback_date as varchar), call_id is not null from raw.calls order by called_at"
    ).fetchall()
    assert calls == [
        ("L-1", "Priya Shah", "2026-10-02 09:15:00", "Connected", "2026-10-14", True),
        ("L-1", "Priya Shah", "2026-10-02 09:40:00", "No answer", None, True),
    ]


def test_kind_given_overrides_detection(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Consultant,Team\nPriya Shah,Finance\n")
    result, con = load_one(settings, path, kind="consultants")
    assert result.kind == "consultants"
    assert con.execute("select count(*) from raw.consultants").fetchone() == (1,)


def test_tracker_ticks_are_reached_on_an_unknown_date(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant,CVs received,Interviews booked,Interviews arranged,"
        "Interviews completed\n"
        "T-1,01/10/2026,Tom Reid,Y,✓,x,\n"
        "T-2,01/10/2026,Tom Reid,yes,maybe,,\n"
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert con.execute(
        "select milestone, event_date, is_date_unknown from raw.milestone_events order by milestone"
    ).fetchall() == [
        ("cvs_received", None, True),
        ("interviews_arranged", None, True),
        ("interviews_booked", None, True),
    ]
    assert rejects(con) == [
        (
            3,
            "Interviews booked holds 'maybe', which is neither a date (dd/mm/yyyy) nor a tick"
            " (Y, ✓): leave it blank if the milestone is not reached",
        )
    ]


# Dates, money and fees --------------------------------------------------------------------


@pytest.mark.parametrize(("dayfirst", "expected"), [(True, "2026-11-03"), (False, "2026-03-11")])
def test_day_first_by_default_month_first_on_request(
    settings: Settings, tmp_path: Path, dayfirst: bool, expected: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Ref,Date,Consultant\nL-1,03/11/2026,Tom Reid\nL-2,2026-05-06,Tom Reid\n")
    _, con = load_one(settings, path, dayfirst=dayfirst)
    # ISO dates read the same either way.
    assert leads(con, "cast(created_date as varchar)") == [(expected,), ("2026-05-06",)]


def test_money_and_fee_percent_forms(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Salary,Fee %,Fee\n"
        'L-1,01/10/2026,Tom Reid,"£45,000",20%,"£9,000"\n'
        "L-2,01/10/2026,Tom Reid,45k,0.2,\n"
        "L-3,01/10/2026,Tom Reid,45000.50,20,9k\n"
    )
    _, con = load_one(settings, path)
    assert leads(con, "lead_id, salary, fee_pct, fee") == [
        ("L-1", 45000, 20, 9000),
        ("L-2", 45000, 20, None),
        ("L-3", 45000.50, 20, 9000),
    ]


# Row checks -------------------------------------------------------------------------------


def test_each_row_check_rejects_with_a_reason(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee %\n"
        "L-1,01/10/2026,Tom Reid,,\n"  # 2: good
        ",01/10/2026,Tom Reid,,\n"  # 3: no ref
        "L-3,,Tom Reid,,\n"  # 4: no date
        "L-4,01/10/2026,,,\n"  # 5: no consultant
        "L-5,31/02/2026,Tom Reid,,\n"  # 6: no such day
        "L-6,01/10/2026,Tom Reid,lots,\n"  # 7: bad money
        "L-7,01/01/1899,Tom Reid,,\n"  # 8: too early
        "L-8,01/01/2090,Tom Reid,,\n"  # 9: too late
        "L-1,02/10/2026,Tom Reid,,\n"  # 10: same ref as row 2
        "L-9,01/10/2026,Tom Reid,,150%\n"  # 11: bad fee
    )
    result, con = load_one(settings, path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 1, 9)
    assert leads(con) == [("L-1",)]
    assert rejects(con) == [
        (3, "Ref is empty: fill it in (every row needs one)"),
        (4, "Date generated is empty: fill it in (every row needs one)"),
        (5, "Consultant is empty: fill it in (every row needs one)"),
        (6, "Date generated '31/02/2026' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd)"),
        (7, "Salary 'lots' is not an amount: write it like 45000 or £45,000"),
        (
            8,
            "Date generated 01/01/1899 is implausible (before 2000 or more than 3 years"
            " ahead): check the year",
        ),
        (
            9,
            "Date generated 01/01/2090 is implausible (before 2000 or more than 3 years"
            " ahead): check the year",
        ),
        (
            10,
            "same Ref as row 2 but another Date generated (01/10/2026 there, 02/10/2026 here):"
            " row 2 was loaded. If this is another lead, give it its own Ref; if it corrects"
            " row 2, fix row 2 and delete this one",
        ),
        (11, "Fee % '150%' is not a percentage: write it like 20 or 20%"),
    ]
    record = con.execute("select record from raw.rejected_rows where source_row = 7").fetchone()
    assert '"Salary":"lots"' in record[0].replace(" ", "")
    # A repeat's record is its row as written too, not its typed values under field names.
    record = con.execute("select record from raw.rejected_rows where source_row = 10").fetchone()
    assert json.loads(record[0]) == {
        "Ref": "L-1",
        "Date generated": "02/10/2026",
        "Consultant": "Tom Reid",
        "Salary": None,
        "Fee %": None,
    }


AGAIN = "row 2 was loaded. If this is another"
CORRECTS = "if it corrects row 2, fix row 2 and delete this one"


@pytest.mark.parametrize(
    ("name", "text", "reasons"),
    [
        (
            "tracker.csv",
            "Ref,Date generated,Consultant,Client,Role,Salary,Notes,CVs received\n"
            "L-1,01/10/2026,Tom Reid,Acme,Developer,45000,,02/10/2026\n"
            "L-1,01/10/2026,Tom Reid,Acme,Developer,45000,,02/10/2026\n"
            "L-1,01/10/2026,Tom Reid,Acme,Tester,40000,second role,\n"
            "L-1,01/10/2026,Tom Reid,Acme,Tester,40000,second role,03/10/2026\n"
            "L-2,01/10/2026,Tom Reid,Acme,Developer,45000,,\n",
            [
                (3, "the same as row 2: delete one of them"),
                (
                    4,
                    "same Ref as row 2 but another Role (Developer there, Tester here), Salary"
                    " (45000 there, 40000 here), Notes (blank there, second role here) and 1"
                    f" other column: {AGAIN} lead, give it its own Ref; {CORRECTS}",
                ),
                (
                    5,
                    "same Ref as row 2 but another Role (Developer there, Tester here), Salary"
                    " (45000 there, 40000 here), Notes (blank there, second role here) and 1"
                    f" other column: {AGAIN} lead, give it its own Ref; {CORRECTS}",
                ),
            ],
        ),
        (
            "calls.csv",
            "Call ID,Lead ID,Consultant,Date/Time,Outcome\n"
            "C-1,L-1,Tom Reid,01/10/2026 09:00,Connected\n"
            "C-1,L-1,Tom Reid,01/10/2026 09:00,No answer\n"
            "C-1,L-1,Tom Reid,01/10/2026 09:00,Connected\n",
            [
                (
                    3,
                    "same Call ID as row 2 but another Outcome (Connected there, No answer"
                    f" here): {AGAIN} call, give it its own Call ID; {CORRECTS}",
                ),
                (4, "the same as row 2: delete one of them"),
            ],
        ),
        (
            "calls.csv",
            "Lead ID,Consultant,Date/Time,Outcome\n"
            "L-1,Tom Reid,01/10/2026 09:00,Connected\n"
            "L-1,Tom Reid,01/10/2026 09:00,No answer\n",
            [
                (
                    3,
                    "same Consultant, Date/Time, Lead ID as row 2 but another Outcome (Connected"
                    " there, No answer here): row 2 was loaded. If it corrects row 2, fix row 2"
                    " and delete this one",
                ),
            ],
        ),
        (
            "consultants.csv",
            "Name,Team,Manager\nPriya Shah,North,Ann Cole\nPriya Shah,South,Ann Cole\n",
            [
                (
                    3,
                    "same Name as row 2 but another Team (North there, South here):"
                    f" {AGAIN} consultant, tell them apart by name; {CORRECTS}",
                ),
            ],
        ),
        (
            "events.csv",
            "Lead ID,Milestone,Event date,Entered by\n"
            "L-1,CVs received,01/10/2026,Ann\n"
            "L-1,CVs received,01/10/2026,Bo\n",
            [
                (
                    3,
                    "same Lead ID, Milestone, Event date as row 2 but another Entered by (Ann"
                    " there, Bo here): row 2 was loaded. If it corrects row 2, fix row 2 and"
                    " delete this one",
                ),
            ],
        ),
    ],
)
def test_a_repeated_key_says_whether_the_row_is_a_copy_or_another_with_the_same_key(
    settings: Settings, tmp_path: Path, name: str, text: str, reasons: list[tuple[int, str]]
) -> None:
    """A row with an earlier row's key was rejected with "repeats row 2 (same Ref): keep one
    row" whether it copied row 2 or was another lead given its Ref (a row copied and
    half-edited, two roles at one client): deleting it lost a lead. The first row still
    loads and the later ones are still rejected; the reason tells a copy from a row with
    other details, naming up to three columns that differ with both values."""
    path = tmp_path / name
    path.write_text(text)
    result, con = load_one(settings, path)
    assert rejects(con) == reasons
    assert result.rows_loaded == result.rows_read - len(reasons)
    table = {"tracker": "leads", "events": "milestone_events"}.get(result.kind, result.kind)
    assert con.execute(f"select min(_source_row) from raw.{table}").fetchone() == (2,)


def test_events_reject_unknown_milestones_and_exact_duplicates(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "Lead ID,Milestone,Event date\n"
        "L-1,CVs received,01/10/2026\n"
        "L-1,Coffee with the client,02/10/2026\n"
        "L-1,CVs received,01/10/2026\n"
        "L-1,,03/10/2026\n"
    )
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("events", 1, 3)
    reasons = dict(rejects(con))
    assert reasons[3].startswith(
        "Milestone 'Coffee with the client' is not a milestone of the catalogue: use its label"
        " (e.g. CVs received, Interviews booked, Interviews arranged)"
    )
    assert reasons[4] == "the same as row 2: delete one of them"
    assert reasons[5] == "Milestone is empty: fill it in (every row needs one)"


def test_calls_require_a_time_and_a_consultant(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "Called at,Consultant,Outcome\n"
        "02/10/2026 09:15,Priya Shah,Connected\n"
        ",Priya Shah,Connected\n"
        "02/10/2026 10:15,,Voicemail\n"
        "yesterday,Priya Shah,Connected\n"
    )
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("calls", 1, 3)
    assert rejects(con) == [
        (3, "Called at is empty: fill it in (every row needs one)"),
        (4, "Consultant is empty: fill it in (every row needs one)"),
        (5, "Called at 'yesterday' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd)"),
    ]


def test_a_call_log_with_the_time_apart_from_the_date_keeps_both(
    settings: Settings, tmp_path: Path
) -> None:
    """Phone systems export Date and Time as two columns. Without call ids a call is its
    consultant, time and lead: read at midnight, a lead's second call of the day was
    rejected as a repeat of the first."""
    path = tmp_path / "calls.csv"
    path.write_text(
        "Time,Date,Consultant,Lead ID,Outcome\n"
        "09:30,03/11/2026,Priya Shah,L1,Connected\n"
        "14:05,03/11/2026,Priya Shah,L1,No answer\n"
        "14:05,03/11/2026,Priya Shah,L1,No answer\n"
        ",04/11/2026,Priya Shah,L1,Voicemail\n"
    )
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("calls", 3, 1)
    assert con.execute("select called_at from raw.calls order by _source_row").fetchall() == [
        (datetime(2026, 11, 3, 9, 30),),
        (datetime(2026, 11, 3, 14, 5),),
        (datetime(2026, 11, 4),),
    ]
    assert rejects(con) == [
        (4, "the same as row 3: delete one of them"),
    ]
    # Excel's own dates end at midnight and its times start on 31/12/1899.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Date", "Time", "Consultant", "Lead ID", "Outcome"])
    sheet.append([date(2026, 11, 5), time(9, 30), "Priya Shah", "L1", "Connected"])
    sheet.append([datetime(2026, 11, 5), time(16, 45, 30), "Priya Shah", "L1", "No answer"])
    book.save(tmp_path / "calls.xlsx")
    result, con = load_one(settings, tmp_path / "calls.xlsx")
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert con.execute(
        "select called_at from raw.calls where _load_id = ? order by _source_row", [result.load_id]
    ).fetchall() == [(datetime(2026, 11, 5, 9, 30),), (datetime(2026, 11, 5, 16, 45, 30),)]


def test_a_call_log_without_ids_finds_a_call_written_twice_otherwise(
    settings: Settings, tmp_path: Path
) -> None:
    """Without call ids a call is its consultant, time and lead, matched as staging matches
    them: "PRIYA  shah" at 2026-11-03 09:30:00 is Priya Shah's call at 03/11/2026 09:30, a
    repeat the load reports, not a row staging merges without a word."""
    path = tmp_path / "calls.csv"
    path.write_text(
        "Date/Time,Consultant,Lead ID,Outcome\n"
        "03/11/2026 09:30,Priya Shah,L1,Connected\n"
        "2026-11-03 09:30:00,PRIYA  shah,L1,Connected\n"
        "03/11/2026 09:30,Priya Shah,L2,Connected\n"
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejects(con) == [
        (3, "the same as row 2: delete one of them"),
    ]


DAY_LOG = (
    "Date,Lead ID,Consultant,Outcome,Notes\n"
    "02/11/2026,L1,Alice Hart,No answer,morning try\n"
    "02/11/2026,L1,Alice Hart,Spoke - CVs on the way,afternoon\n"
    "03/11/2026,L1,Alice Hart,Voicemail,\n"
)


def test_a_call_log_of_dates_only_keeps_two_calls_to_a_lead_on_one_day(
    settings: Settings, tmp_path: Path
) -> None:
    """A consultant's own call log often has only the day. Without call ids a call was its
    consultant, time and lead, so a lead's second call of the day (no answer in the morning,
    spoke in the afternoon) was rejected as a correction of the first, and the connected
    call was lost. Rows of a day that differ in what leadtrack reads are separate calls,
    numbered in the file's order: the first keeps the id a log of it alone gives it (the
    id earlier loads gave it), the second gets that id and `:2`."""
    path = tmp_path / "calls.csv"
    path.write_text(DAY_LOG)
    result, con = load_one(settings, path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 3, 0)
    assert rejects(con) == []
    loaded = con.execute("select call_id, outcome from raw.calls order by _source_row").fetchall()
    (first, _), (second, outcome), (next_day, _) = loaded
    assert outcome == "Spoke - CVs on the way"
    assert re.fullmatch("md5:[0-9a-f]{32}", first) and re.fullmatch("md5:[0-9a-f]{32}", next_day)
    assert second == f"{first}:2"
    alone = tmp_path / "alone.csv"
    alone.write_text("".join(DAY_LOG.splitlines(keepends=True)[:2]))
    result, con = load_one(settings, alone)
    assert con.execute(
        "select call_id from raw.calls where _load_id = ?", [result.load_id]
    ).fetchall() == [(first,)]


@pytest.mark.parametrize(
    ("text", "loaded", "reasons"),
    [
        # A copy of a call is still a copy, wherever it is among the day's calls.
        (
            DAY_LOG + "02/11/2026,L1,alice  HART,Spoke - CVs on the way,afternoon\n"
            "02/11/2026,L1,Alice Hart,No answer,morning try\n",
            3,
            [
                (5, "the same as row 3: delete one of them"),
                (6, "the same as row 2: delete one of them"),
            ],
        ),
        # Rows that differ only in a column leadtrack does not read are one call.
        (
            "Date,Lead ID,Consultant,Outcome,Duration\n"
            "02/11/2026,L1,Alice Hart,No answer,1\n"
            "02/11/2026,L1,Alice Hart,No answer,2\n",
            1,
            [
                (
                    3,
                    "same Consultant, Date, Lead ID as row 2 but another Duration (1 there, 2"
                    f" here): row 2 was loaded. {CORRECTS[0].upper()}{CORRECTS[1:]}",
                ),
            ],
        ),
        # With a time of day, the same time is one call: the later row is a correction.
        (
            "Date/Time,Lead ID,Consultant,Outcome,Notes\n"
            "02/11/2026 09:00,L1,Alice Hart,No answer,morning try\n"
            "02/11/2026 09:00,L1,Alice Hart,Spoke - CVs on the way,afternoon\n",
            1,
            [
                (
                    3,
                    "same Consultant, Date/Time, Lead ID as row 2 but another Outcome (No answer"
                    " there, Spoke - CVs on the way here) and Notes (morning try there,"
                    " afternoon here): row 2 was loaded."
                    f" {CORRECTS[0].upper()}{CORRECTS[1:]}",
                ),
            ],
        ),
        (
            "Date,Time,Lead ID,Consultant,Outcome,Notes\n"
            "02/11/2026,09:00,L1,Alice Hart,No answer,morning try\n"
            "02/11/2026,09:00,L1,Alice Hart,Spoke - CVs on the way,afternoon\n",
            1,
            [
                (
                    3,
                    "same Consultant, Date, Time, Lead ID as row 2 but another Outcome (No"
                    " answer there, Spoke - CVs on the way here) and Notes (morning try there,"
                    " afternoon here): row 2 was loaded."
                    f" {CORRECTS[0].upper()}{CORRECTS[1:]}",
                ),
            ],
        ),
        # At two times they are two calls, as they always were.
        (
            "Date/Time,Lead ID,Consultant,Outcome,Notes\n"
            "02/11/2026 09:00,L1,Alice Hart,No answer,morning try\n"
            "02/11/2026 15:00,L1,Alice Hart,Spoke - CVs on the way,afternoon\n",
            2,
            [],
        ),
    ],
)
def test_a_call_of_a_day_written_twice_is_still_one_call(
    settings: Settings, tmp_path: Path, text: str, loaded: int, reasons: list[tuple[int, str]]
) -> None:
    """Only rows of a day that differ in what leadtrack reads are separate calls: a copy
    (the consultant in any case) is rejected as a copy, as are rows that differ in a column
    leadtrack does not read; a call log with times of day keeps its rule, a call being its
    consultant, time and lead."""
    path = tmp_path / "calls.csv"
    path.write_text(text)
    result, con = load_one(settings, path)
    assert rejects(con) == reasons
    assert (result.rows_loaded, result.rows_rejected) == (loaded, len(reasons))
    ids = con.execute("select call_id from raw.calls").fetchall()
    assert all(re.fullmatch("md5:[0-9a-f]{32}(:2)?", call_id) for (call_id,) in ids), ids


def test_a_row_with_too_many_values_is_rejected_and_the_rest_load(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date,Consultant,Client\n"
        "L-1,01/10/2026,Tom Reid,Acme\n"
        "L-2,01/10/2026,Tom Reid,Calder, Smith & Co\n"
        "L-3,01/10/2026,Tom Reid,Brightwater\n"
    )
    result, con = load_one(settings, path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    ((row, reason),) = rejects(con)
    assert row == 3
    assert reason.startswith("the row has more values than the header's 4 columns")
    assert leads(con, "lead_id, _source_row") == [("L-1", 2), ("L-3", 4)]


# Workbooks --------------------------------------------------------------------------------


def write_tracker_workbook(path: Path) -> None:
    """A tracker as teams keep it: a title row, merged group headings, Excel dates, a percent
    cell, a blank row and a bad row."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Tracker")
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    percent = workbook.add_format({"num_format": "0%"})
    sheet.write(0, 0, "Perm desk tracker — Q4 2026")
    sheet.merge_range(1, 0, 1, 5, "The lead", workbook.add_format({"align": "center"}))
    sheet.merge_range(1, 6, 1, 7, "Milestones", workbook.add_format({"align": "center"}))
    sheet.write_row(
        2,
        0,
        ["Ref", "Date generated", "Consultant", "Client", "Salary", "Fee %", "CV sent", "Start"],
    )
    sheet.write_row(3, 0, ["X-1"])
    sheet.write_datetime(3, 1, datetime(2026, 10, 1), day)
    sheet.write_row(3, 2, ["Priya Shah", "Café Rouge", 45000])
    sheet.write_number(3, 5, 0.2, percent)
    sheet.write_datetime(3, 6, datetime(2026, 10, 6), day)
    sheet.write(3, 7, "✓")
    sheet.write_row(4, 0, ["X-2", "02/10/2026", "Tom Reid", "Acme", "£50,000", "18%", "Y"])
    # Row 6 is blank; row 7 has no consultant.
    sheet.write_row(6, 0, ["X-3", "03/10/2026", None, "Acme"])
    other = workbook.add_worksheet("Calls")
    other.write_row(0, 0, ["Date/Time", "Caller", "Outcome"])
    other.write_row(1, 0, ["02/10/2026 09:15", "Priya Shah", "Connected"])
    workbook.close()


def test_workbook_with_a_title_row_merged_headings_and_excel_dates(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "tracker.xlsx"
    write_tracker_workbook(path)
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "tracker",
        3,
        2,
        1,
    )
    assert leads(
        con, "lead_id, cast(created_date as varchar), client, cast(salary as integer), fee_pct"
    ) == [
        ("X-1", "2026-10-01", "Café Rouge", 45000, 20),
        ("X-2", "2026-10-02", "Acme", 50000, 18),
    ]
    # Row numbers are the ones Excel shows: title, headings and header above, a blank row.
    assert rejects(con) == [(7, "Consultant is empty: fill it in (every row needs one)")]
    assert leads(con, "_source_row") == [(4,), (5,)]
    assert con.execute(
        "select lead_id, milestone, cast(event_date as varchar), is_date_unknown, _source_row"
        " from raw.milestone_events order by lead_id, milestone"
    ).fetchall() == [
        ("X-1", "cvs_received", "2026-10-06", False, 4),
        ("X-1", "started", None, True, 4),
        ("X-2", "cvs_received", None, True, 5),
    ]


def test_loading_a_workbook_does_not_import_pandas(settings: Settings, tmp_path: Path) -> None:
    """pyarrow's `pa.array` imports pandas to look for its types: 0.2 s of every workbook's
    load, a tenth of a 100,000-lead tracker's. Checked in a fresh process."""
    workbook = tmp_path / "tracker.xlsx"
    write_tracker_workbook(workbook)
    script = (
        "import sys; from pathlib import Path; from ingest.loader import connect, load_files;"
        f" con = connect(Path({str(settings.warehouse)!r}));"
        f" load_files(con, [Path({str(workbook)!r})], Path({str(settings.catalogue)!r}));"
        " print('pandas' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_sheet_chosen_by_name(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    write_tracker_workbook(path)
    result, con = load_one(settings, path, sheet="Calls")
    assert (result.kind, result.rows_loaded) == ("calls", 1)
    assert con.execute(
        "select sheet from raw.loads where load_id = ?", [result.load_id]
    ).fetchone() == ("Calls",)


def test_a_workbook_names_its_other_sheets_of_leads_it_did_not_load(
    settings: Settings, tmp_path: Path
) -> None:
    """A team tracker with a sheet per consultant: only the first is loaded, and the result
    names the others that hold exports, so Bob's leads are not left out unnoticed."""
    path = tmp_path / "team.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, ref in (("Alice", "A-1"), ("Bob", "B-1")):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, ["Ref", "Date generated", "Consultant", "Client", "CV sent"])
        sheet.write_row(1, 0, [ref, "01/10/2026", f"{name} Hart", "Acme", "05/10/2026"])
    workbook.add_worksheet("Notes").write(0, 0, "Targets for Q4")
    workbook.close()
    result, con = load_one(settings, path)
    assert leads(con) == [("A-1",)]
    assert result.other_sheets == (("Bob", "tracker"),)
    # Loading a chosen sheet names the sheets it did not choose no more.
    chosen, _ = load_one(settings, path, sheet="Bob")
    assert chosen.other_sheets == ()


# Reloads and new versions -----------------------------------------------------------------


def test_reloading_the_same_file_is_skipped(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS_CSV)
    first, con = load_one(settings, path)
    copy = tmp_path / "copy-of-leads.csv"
    copy.write_bytes(path.read_bytes())
    (again, again_copy) = load_files(con, [path, copy], settings.catalogue)
    assert not first.already_loaded
    assert again.already_loaded and again_copy.already_loaded
    assert again.load_id == again_copy.load_id == first.load_id
    assert con.execute("select count(*) from raw.leads").fetchone() == (2,)
    assert con.execute("select count(*) from raw.loads where kind = 'leads'").fetchone() == (1,)


def test_a_re_export_of_changed_leads_adds_new_versions(settings: Settings, tmp_path: Path) -> None:
    first = tmp_path / "tracker-monday.csv"
    first.write_text(
        "Ref,Date generated,Consultant,Status,CVs received\n"
        "T-1,01/10/2026,Tom Reid,Open,05/10/2026\n"
        "T-2,01/10/2026,Tom Reid,Open,\n"
    )
    second = tmp_path / "tracker-friday.csv"
    second.write_text(
        "Ref,Date generated,Consultant,Status,CVs received,1st interview\n"
        "T-1,01/10/2026,Tom Reid,Open,05/10/2026,12/10/2026\n"
        "T-2,01/10/2026,Tom Reid,Declined,,\n"
        "T-3,09/10/2026,Tom Reid,Open,,\n"
    )
    results, con = load(settings, first, second)
    assert [result.rows_loaded for result in results] == [2, 3]
    assert leads(con, "lead_id, status, _load_id") == [
        ("T-1", "open", results[0].load_id),
        ("T-2", "open", results[0].load_id),
        ("T-1", "open", results[1].load_id),
        ("T-2", "declined", results[1].load_id),
        ("T-3", "open", results[1].load_id),
    ]
    assert con.execute(
        "select _load_id, milestone from raw.milestone_events where lead_id = 'T-1'"
        " order by _load_id, milestone"
    ).fetchall() == [
        (results[0].load_id, "cvs_received"),
        (results[1].load_id, "cvs_received"),
        (results[1].load_id, "interviews_arranged"),
    ]


@pytest.mark.parametrize("header", ["Date closed", "Date lost", "Lost on", "Declined date"])
def test_a_date_closed_column_is_the_leads_closed_date(
    settings: Settings, tmp_path: Path, header: str
) -> None:
    """A tracker's own date of closing loads as the lead's closed_date, under the names
    trackers give it; a warehouse made before the column gets it, null in its earlier rows."""
    before = tmp_path / "before.csv"
    before.write_text("Ref,Date generated,Consultant,Status\nT-1,01/10/2026,Tom Reid,Open\n")
    _, con = load_one(settings, before)
    con.execute("alter table raw.leads drop column closed_date")
    con.close()
    path = tmp_path / "tracker.csv"
    path.write_text(
        f"Ref,Date generated,Consultant,Status,{header},CVs received\n"
        "T-1,01/10/2026,Tom Reid,Lost,12/11/2026,05/10/2026\n"
        "T-2,01/10/2026,Tom Reid,Open,,\n"
    )
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("tracker", 2, 0)
    assert leads(con, "lead_id, status, closed_date") == [
        ("T-1", "open", None),
        ("T-1", "lost", date(2026, 11, 12)),
        ("T-2", "open", None),
    ]


# Rollback ---------------------------------------------------------------------------------


def test_a_failed_load_leaves_the_warehouse_as_it_was(settings: Settings, tmp_path: Path) -> None:
    leads_file = tmp_path / "leads.csv"
    leads_file.write_text(LEADS_CSV)
    _, con = load_one(settings, leads_file)

    def snapshot() -> tuple:
        return tuple(
            con.execute(f"select * from raw.{table} order by all").fetchall()
            for table in ("leads", "loads", "rejected_rows", "milestone_events")
        )

    before = snapshot()
    # Make the tracker's second insert (its milestone events) fail mid-transaction, after its
    # leads were inserted.
    con.execute("alter table raw.milestone_events add column must_be_set varchar not null")
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(
        "Ref,Date generated,Consultant,CVs received\n"
        "T-1,01/10/2026,Tom Reid,05/10/2026\n"
        "T-2,,Tom Reid,05/10/2026\n"
    )
    with pytest.raises(duckdb.ConstraintException, match="must_be_set"):
        load_files(con, [tracker], settings.catalogue)
    assert snapshot() == before
    # Once the cause is gone, the same file loads: nothing of the failed attempt blocks it.
    con.execute("alter table raw.milestone_events drop column must_be_set")
    (result,) = load_files(con, [tracker], settings.catalogue)
    assert (result.already_loaded, result.rows_loaded, result.rows_rejected) == (False, 1, 1)


# The template -----------------------------------------------------------------------------


def test_the_template_round_trip(settings: Settings, tmp_path: Path) -> None:
    milestones = read_catalogue(settings.catalogue)
    path = write_template(tmp_path / "tracker.xlsx", milestones)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Leads", "Instructions"]
    sheet = workbook["Leads"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[-len(milestones) :] == [milestone.label for milestone in milestones]
    column = {header: index + 1 for index, header in enumerate(headers)}
    rows = [
        {
            "Ref": "R-1",
            "Date generated": datetime(2026, 10, 1),
            "Consultant": "Priya Shah",
            "Client": "Acme",
            "Salary": 45000,
            "Status": "Open",
            "CVs received": datetime(2026, 10, 5),
            "Interviews booked": "Y",
        },
        {
            "Ref": "R-2",
            "Date generated": datetime(2026, 10, 2),
            "Consultant": "Tom Reid",
            "Status": "Filled",
            "Start date": datetime(2026, 11, 2),
        },
        {
            "Ref": "R-3",
            "Date generated": datetime(2026, 10, 3),
            "Consultant": "Tom Reid",
            "Status": "Lost",
            "Lost reason": "Filled internally",
            "Date closed": datetime(2026, 10, 20),
            "CVs received": datetime(2026, 10, 9),
        },
    ]
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=number, column=column[header], value=value)
    workbook.save(path)
    result, con = load_one(settings, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("tracker", 3, 0)
    assert leads(con, "lead_id, created_date, consultant, status, closed_date") == [
        ("R-1", date(2026, 10, 1), "Priya Shah", "open", None),
        ("R-2", date(2026, 10, 2), "Tom Reid", "filled", None),
        ("R-3", date(2026, 10, 3), "Tom Reid", "lost", date(2026, 10, 20)),
    ]
    assert con.execute(
        "select lead_id, milestone, event_date, is_date_unknown from raw.milestone_events"
        " order by lead_id, milestone"
    ).fetchall() == [
        ("R-1", "cvs_received", date(2026, 10, 5), False),
        ("R-1", "interviews_booked", None, True),
        ("R-2", "started", date(2026, 11, 2), False),
        ("R-3", "cvs_received", date(2026, 10, 9), False),
    ]


def test_a_sales_teams_template_explains_its_own_checklist(tmp_path: Path) -> None:
    """The Instructions sheet of a sales team's tracker (engaged, demo booked, proposal sent,
    won) told it that a future date is "an interview booked, a start date" and that
    Declined means "the client said no before any CVs"."""
    sales = read_catalogue(Path(__file__).parent / "fixtures" / "sales_milestones.csv")
    path = write_template(tmp_path / "tracker.xlsx", sales)
    guide = " ".join(
        str(row[0])
        for row in openpyxl.load_workbook(path)["Instructions"].iter_rows(values_only=True)
        if row[0]
    )
    assert "Declined (the client said no before Engaged)" in guide
    recruitment = re.compile(
        r"\b(CVs?|starts?|started|interviews?|placements?|placed|probation|hiring)\b", re.I
    )
    assert recruitment.findall(guide) == [], guide
    default = write_template(tmp_path / "default.xlsx", read_catalogue(DEFAULT_CATALOGUE))
    guide = " ".join(
        str(row[0])
        for row in openpyxl.load_workbook(default)["Instructions"].iter_rows(values_only=True)
        if row[0]
    )
    assert "Declined (the client said no before CVs received)" in guide


def test_an_empty_template_is_a_file_without_data(settings: Settings, tmp_path: Path) -> None:
    from ingest.errors import IngestError

    path = write_template(tmp_path / "tracker.xlsx", read_catalogue(settings.catalogue))
    con = connect(settings.warehouse)
    with pytest.raises(IngestError, match="no data rows"):
        load_files(con, [path], settings.catalogue)
