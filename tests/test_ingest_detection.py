"""What a file is, told from its columns (and its bytes and name), and when it counts as
already loaded: real files in the test's own folder, loaded by the real loader into a real
warehouse of the test's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import xlsxwriter
from rich.console import Console

from ingest.errors import IngestError
from ingest.loader import connect, load_files
from ingest.mapping import load_mapping
from leadtrack.settings import Settings
from tests.test_cli import invoke
from tests.test_ingest import load

TRACKER_CSV = (
    "Ref,Date generated,Consultant,Client,Salary,CVs received\n"
    'L1,01/10/2026,Priya Shah,Acme,"£45,000",05/10/2026\n'
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call_log",
    [
        "Date,Consultant,Lead ID,Outcome,Notes\n20/11/2026 09:30,Ann Lee,L1,Not interested,no\n",
        "Time,Date,Consultant,Lead ID,Outcome,Notes\n09:30,20/11/2026,Ann Lee,L1,Not interested,"
        "no\n",
        "Date,Time,Consultant,Lead ID,Outcome,Notes\n20/11/2026,09:30,Ann Lee,L1,Not interested,"
        "no\n",
    ],
    ids=["date", "time then date", "date then time"],
)
def test_a_call_log_with_a_lead_id_and_a_date_is_a_call_log_not_leads(
    settings: Settings, tmp_path: Path, call_log: str
) -> None:
    """Lead ID, Date, Consultant and Notes fit a leads file as well as a call log, and Outcome
    is a lead's status too, loosely: only a call log has an Outcome column of its own, so the
    file is one, and the tracker's lead keeps its owner and date."""
    tracker = write(tmp_path / "tr.csv", TRACKER_CSV)
    calls = write(tmp_path / "calls.csv", call_log)
    results, con = load(settings, tracker, calls)
    assert [(result.kind, result.rows_loaded) for result in results] == [
        ("tracker", 1),
        ("calls", 1),
    ]
    assert con.execute(
        "select lead_id, consultant, cast(created_date as varchar) from raw.leads"
    ).fetchall() == [("L1", "Priya Shah", "2026-10-01")]
    assert con.execute(
        "select lead_id, consultant, cast(cast(called_at as date) as varchar), outcome"
        " from raw.calls"
    ).fetchall() == [("L1", "Ann Lee", "2026-11-20", "Not interested")]


def test_a_file_two_kinds_fit_equally_well_loads_nothing_and_names_both(
    settings: Settings, tmp_path: Path
) -> None:
    """A Client (a lead's) and an Outcome (a call's) with a lead id and a date: a leads file
    or a call log. Guessing would load it into the wrong table; the person knows."""
    path = write(
        tmp_path / "export.csv", "Ref,Date,Consultant,Client,Outcome\nL1,20/11/2026,Ann,Acme,Won\n"
    )
    con = connect(settings.warehouse)
    with pytest.raises(IngestError) as raised:
        load_files(con, [path], settings.catalogue)
    message = str(raised.value)
    assert "a leads file (leads) and a call log (calls) equally well" in message
    assert "--kind leads or --kind calls" in message
    assert con.execute("select count(*) from raw.leads").fetchone() == (0,)
    assert con.execute("select count(*) from raw.calls").fetchone() == (0,)
    (result,) = load_files(con, [path], settings.catalogue, kind="calls")
    assert (result.kind, result.rows_loaded) == ("calls", 1)


def test_a_tracker_without_a_lead_id_column_says_so(settings: Settings, tmp_path: Path) -> None:
    path = write(
        tmp_path / "tracker.csv",
        "Date generated,Consultant,Client,Role,CVs received,Interviews arranged\n"
        "01/10/2026,Priya Shah,Acme,Analyst,05/10/2026,\n",
    )
    con = connect(settings.warehouse)
    with pytest.raises(
        IngestError,
        match=r"looks like a tracker, but has no column for Lead ID \(looked for Lead ID, Ref,",
    ):
        load_files(con, [path], settings.catalogue)


# Workbooks --------------------------------------------------------------------------------


def test_row_numbers_in_a_sheet_that_starts_with_blank_rows_are_excels(
    settings: Settings, tmp_path: Path
) -> None:
    """Rows 1 and 2 empty, the header on row 3, data on rows 4 and 5 (a bad date on 5)."""
    path = tmp_path / "tracker.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Leads")
    sheet.write_row(2, 0, ["Ref", "Date generated", "Consultant", "Client"])
    sheet.write_row(3, 0, ["L1", "01/10/2026", "Priya Shah", "Acme"])
    sheet.write_row(4, 0, ["L2", "31/02/2026", "Priya Shah", "Acme"])
    workbook.close()
    (result,), con = load(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert con.execute("select lead_id, _source_row from raw.leads").fetchall() == [("L1", 4)]
    assert con.execute("select source_row from raw.rejected_rows").fetchall() == [(5,)]


def write_workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
    workbook.close()
    return path


README_SHEET = [["How to use this tracker"], ["One row per lead; dates as dd/mm/yyyy."]]
TRACKER_SHEET = [
    ["Ref", "Date generated", "Consultant", "Client", "CVs received"],
    ["L1", "01/10/2026", "Priya Shah", "Acme", "05/10/2026"],
]


def test_a_workbook_whose_first_sheet_is_a_read_me_says_which_sheet_to_load(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_workbook(
        tmp_path / "tracker.xlsx",
        {"Read me": README_SHEET, "Lead tracker": TRACKER_SHEET, "Lists": [["Yes"], ["No"]]},
    )
    con = connect(settings.warehouse)
    with pytest.raises(IngestError) as raised:
        load_files(con, [path], settings.catalogue)
    message = str(raised.value)
    assert "none of the columns (How to use this tracker) tells leadtrack" in message
    assert (
        "The sheet 'Lead tracker' looks like a tracker: load it with --sheet 'Lead tracker'"
        in message
    )
    (result,) = load_files(con, [path], settings.catalogue, sheet="Lead tracker")
    assert (result.kind, result.rows_loaded) == ("tracker", 1)


def test_a_workbook_with_several_other_sheets_lists_them(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_workbook(
        tmp_path / "tracker.xlsx",
        {"Read me": README_SHEET, "Q3": TRACKER_SHEET, "Q4": TRACKER_SHEET},
    )
    con = connect(settings.warehouse)
    with pytest.raises(
        IngestError,
        match="This workbook's sheets are Read me, Q3, Q4: add --sheet NAME to load another",
    ):
        load_files(con, [path], settings.catalogue)


# Folders ----------------------------------------------------------------------------------


def test_lock_files_beside_an_open_workbook_are_skipped_and_said_so(
    settings: Settings, tmp_path: Path
) -> None:
    """Excel leaves `~$tracker.xlsx` (a few bytes, no workbook) beside a workbook it has open,
    LibreOffice `.~lock.tracker.xlsx#`; a folder loaded then must still load."""
    exports = tmp_path / "exports"
    exports.mkdir()
    write_workbook(exports / "tracker.xlsx", {"Tracker": TRACKER_SHEET})
    (exports / "~$tracker.xlsx").write_bytes(b"\x0bPriya Shah" + b"\x00" * 150)
    (exports / ".~lock.tracker.xlsx#").write_text(",Priya Shah,laptop,20/11/2026 09:30,file://;")
    run = invoke(settings, "load", str(exports))
    assert run.exit_code == 0, run.output
    assert run.says("tracker.xlsx: tracker, 1 rows read, 1 loaded, 0 rejected"), run.output
    assert run.says(f"{exports / '~$tracker.xlsx'}: Excel's lock file"), run.output
    assert run.says(f"{exports / '.~lock.tracker.xlsx#'}: LibreOffice's lock file"), run.output
    # Named one by one, as a shell's `exports/*.xlsx` names them, too.
    run = invoke(settings, "load", str(exports / "~$tracker.xlsx"))
    assert run.says("Excel's lock file (a workbook open in Excel), not an export; skipped")


# Bytes and names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tracker.csv", "tracker.txt"])
def test_a_workbook_saved_with_a_csv_name_says_to_rename_it(
    settings: Settings, tmp_path: Path, name: str
) -> None:
    """Its bytes start PK\\x03\\x04 (a zip, as every .xlsx is); it is refused, not guessed
    at, with the name to give it."""
    path = write_workbook(tmp_path / "book.xlsx", {"Tracker": TRACKER_SHEET}).rename(
        tmp_path / name
    )
    con = connect(settings.warehouse)
    with pytest.raises(
        IngestError,
        match=rf"an Excel workbook saved with a \{path.suffix} name, not CSV: rename it to"
        r" tracker\.xlsx and load that",
    ):
        load_files(con, [path], settings.catalogue)
    (result,) = load_files(con, [path.rename(tmp_path / "tracker.xlsx")], settings.catalogue)
    assert (result.kind, result.rows_loaded) == ("tracker", 1)


# Already loaded ---------------------------------------------------------------------------


def test_each_sheet_of_a_workbook_loads_and_each_only_once(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_workbook(
        tmp_path / "tracker.xlsx",
        {
            "Tracker": TRACKER_SHEET,
            "Calls": [
                ["Date/Time", "Caller", "Ref", "Outcome"],
                ["02/10/2026 09:15", "Priya Shah", "L1", "Connected"],
            ],
        },
    )
    results, con = load(settings, path)
    results += load_files(con, [path, path], settings.catalogue, sheet="Calls")
    results += load_files(con, [path], settings.catalogue)
    assert [(result.kind, result.already_loaded) for result in results] == [
        ("tracker", False),
        ("calls", False),
        ("calls", True),
        ("tracker", True),
    ]
    assert results[2].load_id == results[1].load_id
    assert con.execute("select count(*) from raw.calls").fetchone() == (1,)
    assert con.execute(
        "select kind, sheet from raw.loads where kind <> 'catalogue' order by load_id"
    ).fetchall() == [("tracker", None), ("calls", "Calls")]


def test_the_same_content_read_another_way_is_a_new_load(
    settings: Settings, tmp_path: Path
) -> None:
    """What a reject or a refusal tells people to do (add --monthfirst, --kind, --mapping)
    works on the file they already loaded; the same options again are still skipped."""
    path = write(
        tmp_path / "leads.csv", "Ref,Date generated,Consultant,Client\nL1,03/11/2026,Ann,Acme\n"
    )
    mapping = write(tmp_path / "mine.yml", "kind: leads\nrename:\n  Client: job_title\n")
    results, con = load(settings, path)
    for options in (
        {"dayfirst": False},
        {"dayfirst": False},
        {"kind": "leads"},
        {"kind": "tracker"},
        {"mapping": load_mapping(mapping)},
        {"mapping": load_mapping(mapping)},
    ):
        results += load_files(con, [path], settings.catalogue, **options)  # type: ignore[arg-type]
    assert [result.already_loaded for result in results] == [
        False,
        False,  # month first
        True,
        True,  # --kind leads: as it was detected
        False,
        False,
        True,
    ]
    assert con.execute(
        "select cast(created_date as varchar), client, job_title, _load_id from raw.leads"
        " order by _load_id"
    ).fetchall() == [
        ("2026-11-03", "Acme", None, results[0].load_id),
        ("2026-03-11", "Acme", None, results[1].load_id),
        ("2026-11-03", "Acme", None, results[4].load_id),
        ("2026-11-03", None, "Acme", results[5].load_id),
    ]
    assert con.execute(
        "select kind, mapping, dayfirst from raw.loads where kind <> 'catalogue' order by load_id"
    ).fetchall() == [
        ("leads", None, True),
        ("leads", None, False),
        ("tracker", None, True),
        ("leads", "mine", True),
    ]


def test_a_warehouse_made_before_the_date_order_was_recorded_gets_the_column(
    settings: Settings, tmp_path: Path
) -> None:
    """Its loads count as day first, the default then as now."""
    path = write(
        tmp_path / "leads.csv", "Ref,Date generated,Consultant,Client\nL1,03/11/2026,Ann,Acme\n"
    )
    (first,), con = load(settings, path)
    con.execute("alter table raw.loads drop column dayfirst")
    con.close()
    results, con = load(settings, path)
    results += load_files(con, [path], settings.catalogue, dayfirst=False)
    assert [(result.already_loaded, result.load_id) for result in results] == [
        (True, first.load_id),
        (False, first.load_id + 1),
    ]
    assert con.execute("select dayfirst from raw.loads order by load_id").fetchall() == [
        (None,),
        (None,),
        (False,),
    ]


def test_status_says_how_each_load_read_its_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leadtrack.cli.console", Console(width=200, force_terminal=False))
    path = write(
        tmp_path / "leads.csv", "Ref,Date generated,Consultant,Client\nL1,03/11/2026,Ann,Acme\n"
    )
    assert invoke(settings, "load", str(path)).exit_code == 0
    again = invoke(settings, "load", str(path), "--monthfirst")
    assert again.says("leads, 1 rows read, 1 loaded"), again.output
    status = invoke(settings, "status")
    (line,) = [line for line in status.output.splitlines() if line.startswith("│    3")]
    assert re.search(r"│ month first +│ leads +│ +1 │", line), status.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_blank_spacer_column_is_not_a_column_left_out(
    settings: Settings, tmp_path: Path, suffix: str
) -> None:
    """A column with no header and no value (a spacer between a tracker's lead fields and its
    milestones) was named as a milestone under another name; one with values is still named."""
    rows = [
        ["Ref", "Date generated", "Consultant", "Client", "Salary", "Fee %", "", "CVs received"],
        ["L1", "01/10/2026", "Priya Shah", "Acme", "45000", "20", "", "05/10/2026"],
        ["L2", "01/10/2026", "Priya Shah", "Acme", "45000", "20", "", "05/10/2026"],
    ]
    rows = [[*row, "", ""] for row in rows]
    rows[2][9] = "see notes"
    path = tmp_path / f"tracker{suffix}"
    if suffix == ".csv":
        write(path, "".join(",".join(row) + "\n" for row in rows))
    else:
        write_workbook(path, {"Tracker": rows})
    (result,), _ = load(settings, path)
    assert (result.kind, result.rows_loaded) == ("tracker", 2)
    assert result.unused_columns == ("Column 10",)


def test_a_workbook_whose_first_sheet_is_hidden_loads_its_first_visible_sheet(
    settings: Settings, tmp_path: Path
) -> None:
    """A tracker whose first sheet is a hidden sheet of lookups (the lists its drop-downs
    offer) failed until --sheet was given. A hidden sheet is no export the output names."""
    path = tmp_path / "tracker.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in {
        "Lookups": [["Consultant", "Team"], ["Priya Shah", "Finance"]],
        "Old lookups": [["Name", "Team", "Manager"], ["Tom Reid", "Finance", "Jo Bloggs"]],
        "Lead tracker": TRACKER_SHEET,
    }.items():
        sheet = workbook.add_worksheet(name)
        for number, row in enumerate(rows):
            sheet.write_row(number, 0, row)
        if name == "Lead tracker":
            sheet.activate()
        elif name == "Old lookups":
            sheet.very_hidden()
        else:
            sheet.hide()
    workbook.close()
    (result,), con = load(settings, path)
    assert (result.kind, result.rows_loaded, result.other_sheets) == ("tracker", 1, ())
    assert con.execute("select sheet from raw.loads where kind = 'tracker'").fetchall() == [(None,)]
    (result,), _ = load(settings, path, sheet="Old lookups")
    assert (result.kind, result.rows_loaded) == ("consultants", 1)
