"""Values as real exports write them load as what they mean, or are rejected saying how to
write them; never loaded wrong: European money, text months and two-digit years, ticks and
"not reached" cells, and the invisible characters around a value."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from ingest.checks import ISO_FORMATS, RowChecks, iso_shape
from ingest.contracts import CONTRACTS
from ingest.errors import IngestError
from ingest.loader import connect, load_files
from leadtrack.settings import Settings
from tests.test_ingest import leads, load, load_one, rejects

# Money ------------------------------------------------------------------------------------


def test_european_money_reads_as_written(settings: Settings, tmp_path: Path) -> None:
    """A Windows-1252, semicolon-separated export from a European Excel: a decimal comma, dots
    or spaces grouping thousands, the euro sign before or after."""
    path = tmp_path / "leads.csv"
    path.write_bytes(
        "Ref;Date generated;Consultant;Salary;Fee\r\n"
        "L1;03.11.2026;Priya;45.000,00 €;9.225,00\r\n"
        "L2;04.11.2026;Priya;€52.000;10.400\r\n"
        "L3;04.11.2026;Priya;52 000;10 400,50\r\n"
        "L4;04.11.2026;Priya;1.250.000;\xa0€ 9\xa0000,5\r\n".encode("cp1252")
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0), rejects(con)
    assert leads(con, "lead_id, salary, fee") == [
        ("L1", Decimal("45000.00"), Decimal("9225.00")),
        ("L2", Decimal("52000.00"), Decimal("10400.00")),
        ("L3", Decimal("52000.00"), Decimal("10400.50")),
        ("L4", Decimal("1250000.00"), Decimal("9000.50")),
    ]


def test_british_money_reads_as_before(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee\n"
        'L1,03/11/2026,Priya,"£45,000",45k\n'
        'L2,03/11/2026,Priya,"45,000.00","$50,000"\n'
        "L3,03/11/2026,Priya,45000,45000.50\n"
        "L4,03/11/2026,Priya,45.5k,4.125k\n"  # 4.125k was 4,130: rounded before the k
        'L5,03/11/2026,Priya,GBP 45000,"1,234.567"\n'
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (5, 0), rejects(con)
    assert leads(con, "salary, fee") == [
        (Decimal("45000.00"), Decimal("45000.00")),
        (Decimal("45000.00"), Decimal("50000.00")),
        (Decimal("45000.00"), Decimal("45000.50")),
        (Decimal("45500.00"), Decimal("4125.00")),
        (Decimal("45000.00"), Decimal("1234.57")),
    ]


@pytest.mark.parametrize(
    "other",
    [
        "",  # nothing says which way the file writes money
        '"£45,000"',  # the British way: 52.000 would be 52 pounds
        '"45.000,00"',  # a decimal comma...
    ],
)
def test_a_dot_before_three_digits_is_read_only_where_the_column_says_how(
    settings: Settings, tmp_path: Path, other: str
) -> None:
    """52.000 is 52,000 in a column that writes money the European way, and is rejected,
    never loaded as 52.00, where the column does not say or writes it the British way."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee\n"
        "L1,03/11/2026,Priya,€52.000,\n"
        f"L2,03/11/2026,Priya,{other},\n"
        # ... but with a British amount in the same column, it cannot say
        + ("L3,03/11/2026,Priya,45000.50,\n" if other == '"45.000,00"' else "")
    )
    _, con = load_one(settings, path)
    assert leads(con, "lead_id") == [("L2",), *([("L3",)] * (other == '"45.000,00"'))]
    assert rejects(con) == [
        (2, "Salary '€52.000' could be 52 or 52,000: write it like 52000 or £52,000")
    ]


def test_a_dot_before_three_digits_in_a_european_column(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary\n"
        "L1,03/11/2026,Priya,€52.000\n"
        'L2,03/11/2026,Priya,"45000,50"\n'  # a decimal comma: the European way
    )
    _, con = load_one(settings, path)
    assert leads(con, "salary") == [(Decimal("52000.00"),), (Decimal("45000.50"),)]


def test_a_decimal_comma_fee_percent_in_a_european_file(settings: Settings, tmp_path: Path) -> None:
    """Where money loads as `45.000,00 €`, the Fee % beside it writes `20,5`: it was rejected."""
    path = tmp_path / "leads.csv"
    path.write_bytes(
        "Ref;Date generated;Consultant;Salary;Fee %\r\n"
        "L1;03.11.2026;Priya;45.000,00 €;20,5\r\n"
        "L2;03.11.2026;Priya;52.000 €;20,5 %\r\n"
        "L3;03.11.2026;Priya;€60.000;12,125\r\n"
        "L4;03.11.2026;Priya;€60.000;0,25\r\n"
        "L5;03.11.2026;Priya;€60.000;20\r\n".encode("cp1252")
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (5, 0), rejects(con)
    assert leads(con, "fee_pct") == [
        (Decimal("20.5"),),
        (Decimal("20.5"),),
        (Decimal("12.125"),),
        (Decimal("25"),),
        (Decimal("20"),),
    ]


def test_a_decimal_comma_fee_percent_reads_where_it_cannot_be_thousands(
    settings: Settings, tmp_path: Path
) -> None:
    """A comma followed by one or two digits and nothing else is a decimal comma in a
    percentage whatever the file's money says; three digits after it say so only in a
    European file."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee %\n"
        'L1,03/11/2026,Priya,"£45,000","20,5"\n'
        'L2,03/11/2026,Priya,"£45,000","17,50%"\n'
        'L3,03/11/2026,Priya,"£45,000","12,125"\n'
    )
    _, con = load_one(settings, path)
    assert leads(con, "lead_id, fee_pct") == [("L1", Decimal("20.5")), ("L2", Decimal("17.5"))]
    assert rejects(con) == [
        (4, "Fee % '12,125' is not a percentage: write it like 20 or 20%"),
    ]


@pytest.mark.parametrize(
    "written",
    [
        "£45,000.00 p.a.",
        "£45,000 pa",
        "£45,000 per annum",
        "£45,000/yr",
        "£45,000 per year",
        "£45,000 a year",
        "£45,000 OTE",
        "£45k + bonus",
        "c. £45k",
        "circa £45k",
        "c£45k pa + bonus",
    ],
)
def test_an_annual_salary_as_uk_trackers_write_it_reads_as_its_amount(
    settings: Settings, tmp_path: Path, written: str
) -> None:
    """The words around a salary (yearly, on-target, a bonus on top, about) rejected the
    whole lead, so it vanished from every funnel."""
    path = tmp_path / "leads.csv"
    path.write_text(f'Ref,Date generated,Consultant,Salary\nL1,03/11/2026,Priya,"{written}"\n')
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), rejects(con)
    assert leads(con, "salary") == [(Decimal("45000.00"),)]


@pytest.mark.parametrize(
    "written",
    ["£40-45k", "£40k-£45k p.a.", "£3,750 per month", "Competitive + bonus", "OTE", "circa"],
)
def test_a_range_or_words_around_a_salary_are_still_rejected(
    settings: Settings, tmp_path: Path, written: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(f'Ref,Date generated,Consultant,Salary\nL1,03/11/2026,Priya,"{written}"\n')
    _, con = load_one(settings, path)
    assert rejects(con) == [
        (2, f"Salary '{written}' is not an amount: write it like 45000 or £45,000")
    ]


@pytest.mark.parametrize("written", ["1.234,567", "1,000,50", "45.00.00", "-500", "lots"])
def test_an_amount_that_reads_no_way_for_sure_is_rejected(
    settings: Settings, tmp_path: Path, written: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(f'Ref,Date generated,Consultant,Salary\nL1,03/11/2026,Priya,"{written}"\n')
    _, con = load_one(settings, path)
    assert rejects(con) == [
        (2, f"Salary '{written}' is not an amount: write it like 45000 or £45,000")
    ]


def test_an_amount_not_known_yet_is_an_empty_cell_not_a_rejected_lead(
    settings: Settings, tmp_path: Path
) -> None:
    """Trackers write "Competitive", "DOE" or "TBC" where the salary is not known: the lead
    was rejected, missing from every funnel and call list for want of a figure."""
    path = tmp_path / "leads.csv"
    written = ["Competitive", "DOE", "TBC", "n/a", "-", "?", "Negotiable", "Not disclosed"]
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee %\n"
        + "".join(f"L{n},03/11/2026,Priya,{text},{text}\n" for n, text in enumerate(written))
        + "L8,03/11/2026,Priya,£40k-£45k,20\n"
    )
    path.write_text(path.read_text() + "L9,03/11/2026,Priya,Nil,20\n")
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (len(written), 2), rejects(con)
    assert leads(con, "salary, fee_pct") == [(None, None)] * len(written)
    # A range is a figure to choose, not an unknown one; "Nil" is known (nothing), and a
    # fee left empty would be worked out from the salary instead of 0.
    assert rejects(con) == [
        (10, "Salary '£40k-£45k' is not an amount: write it like 45000 or £45,000"),
        (11, "Salary 'Nil' is not an amount: write it like 45000 or £45,000"),
    ]


def test_a_salary_written_in_thousands_is_rejected_not_loaded_a_thousand_times_too_small(
    settings: Settings, tmp_path: Path
) -> None:
    """Trackers that keep salaries in thousands write 45 for £45,000: it loaded as £45, and
    the lead's expected fee (20% of it) as £9, without a word. No yearly salary is under
    £1,000, so such a figure is rejected, asking for the whole amount; a figure of 1,000 or
    more, or written with its k, loads as before."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee %\n"
        "L1,03/11/2026,Priya,45,20\n"
        "L2,03/11/2026,Priya,£62.5,20\n"
        "L3,03/11/2026,Priya,999,20\n"
        "L4,03/11/2026,Priya,1000,20\n"
        "L5,03/11/2026,Priya,45k,20\n"
        'L6,03/11/2026,Priya,"£45,000",20\n'
    )
    _, con = load_one(settings, path)
    assert leads(con, "lead_id, salary") == [
        ("L4", Decimal("1000.00")),
        ("L5", Decimal("45000.00")),
        ("L6", Decimal("45000.00")),
    ]
    advice = "too small for a yearly salary: write the whole amount, like 45000 or 45k"
    assert rejects(con) == [
        (2, f"Salary '45' is {advice}"),
        (3, f"Salary '£62.5' is {advice}"),
        (4, f"Salary '999' is {advice}"),
    ]


def test_a_fee_percent_of_1_is_rejected_as_1_or_100_percent(
    settings: Settings, tmp_path: Path
) -> None:
    """A Fee % of 1 read as Excel's fraction: 100%, a fee as large as the salary, without a
    word (0.2 is Excel's 20%, and 1.5 read as 1.5%). Neither 1% nor 100% is a recruitment
    fee anyone charges, so which was meant is asked, not guessed; with its % sign it is
    what it says."""
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Fee %\n"
        "L1,03/11/2026,Priya,45000,1\n"
        "L2,03/11/2026,Priya,45000,1.0\n"
        "L3,03/11/2026,Priya,45000,1%\n"
        "L4,03/11/2026,Priya,45000,0.2\n"
        "L5,03/11/2026,Priya,45000,20\n"
        "L6,03/11/2026,Priya,45000,100%\n"
    )
    _, con = load_one(settings, path)
    assert leads(con, "lead_id, fee_pct") == [
        ("L3", Decimal("1")),
        ("L4", Decimal("20")),
        ("L5", Decimal("20")),
        ("L6", Decimal("100")),
    ]
    assert rejects(con) == [
        (
            2,
            "Fee % '1' could be 1% or 100% (Excel's 1): write 1% or 100%, or the fee's"
            " percentage like 20 or 20%",
        ),
        (
            3,
            "Fee % '1.0' could be 1% or 100% (Excel's 1): write 1% or 100%, or the fee's"
            " percentage like 20 or 20%",
        ),
    ]


def test_a_call_back_not_known_yet_is_an_empty_cell_not_a_rejected_call(
    settings: Settings, tmp_path: Path
) -> None:
    """A call log's "Call back on" of TBC or n/a rejected the call itself, so the lead lost
    a call (and could look quiet). A required date not known yet is still a reject, and so
    is a call-back written in words, which is a date to write down."""
    path = tmp_path / "calls.csv"
    path.write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome,Call back on\n"
        "C1,L1,Priya,01/10/2026 10:00,Connected,TBC\n"
        "C2,L1,Priya,02/10/2026 10:00,Connected,n/a\n"
        "C3,L1,Priya,03/10/2026 10:00,Connected,-\n"
        "C4,L1,Priya,04/10/2026 10:00,Connected,next week\n"
        "C5,L1,Priya,TBC,Connected,\n"
    )
    result, con = load_one(settings, path)
    assert result.rows_loaded == 3, rejects(con)
    assert con.execute("select count(callback_date) from raw.calls").fetchone() == (0,)
    assert rejects(con) == [
        (5, "Call back on 'next week' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd)"),
        (6, "Date/Time 'TBC' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd)"),
    ]


# Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dayfirst", [True, False])
def test_a_text_month_reads_the_same_day_first_or_month_first(
    settings: Settings, tmp_path: Path, dayfirst: bool
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant\n"
        "L0,3 Nov 2026,Priya\n"
        "L1,03-Nov-2026,Priya\n"
        "L2,3 November 2026,Priya\n"
    )
    result, con = load_one(settings, path, dayfirst=dayfirst)
    assert result.rows_loaded == 3
    assert leads(con, "created_date") == [(date(2026, 11, 3),)] * 3


def test_month_first_messages_ask_for_month_first_dates(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant\nL0,11/03/2026,Priya\nL1,soon,Priya\nL2,12/25/2090,Priya\n"
    )
    _, con = load_one(settings, path, dayfirst=False)
    assert leads(con, "created_date") == [(date(2026, 11, 3),)]
    assert rejects(con) == [
        (3, "Date generated 'soon' is not a date: write it as mm/dd/yyyy (or yyyy-mm-dd)"),
        (
            4,
            "Date generated 12/25/2090 is implausible (before 2000 or more than 3 years"
            " ahead): check the year",
        ),
    ]


def test_a_us_export_over_a_week_or_two_stops_though_few_dates_give_its_order_away(
    settings: Settings, tmp_path: Path
) -> None:
    """A US export of early October: one date in thirteen reads only month first, fewer
    than a tenth, so it loaded its other twelve with day and month swapped (10/01/2026 as
    10 January, ... 10/12/2026 as 10 December) and only the one reject hinted at
    --monthfirst; the load's own line said 12 loaded. None of its dates reads only day
    first, and read month first they fall in a fortnight where read day first they spread
    over a year: it is month first, and loads nothing until told."""
    days = [f"10/{day:02d}/2026" for day in range(1, 13)]
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant,CVs received\n"
        + "".join(f"L{row},{day},Priya,{day}\n" for row, day in enumerate(days))
        + "L12,10/25/2026,Priya,10/26/26\n"
    )
    con = connect(settings.warehouse)
    with pytest.raises(
        IngestError,
        match=r"Date generated looks written month first \(US\): 1 of its 13 dates, the first"
        r" '10/25/2026' \(row 14\), have no month 25, and none reads only day first\. Load the"
        r" file again with --monthfirst",
    ):
        load_files(con, [path], settings.catalogue)
    assert leads(con) == []
    (result,) = load_files(con, [path], settings.catalogue, dayfirst=False)
    assert (result.rows_loaded, result.rows_rejected) == (13, 0)
    assert leads(con, "created_date")[1] == (date(2026, 10, 2),)


def test_a_date_that_reads_only_month_first_where_the_rest_cluster_day_first_is_a_reject(
    settings: Settings, tmp_path: Path
) -> None:
    """The same one date in thirteen, among dates that read day first fall in a fortnight
    (01/11 to 12/11) and month first over a year: a typo, rejected with the hint, and the
    file loads; as do dates that read the same either way."""
    days = [f"{day:02d}/11/2026" for day in range(1, 13)]
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant\n"
        + "".join(f"L{row},{day},Priya\n" for row, day in enumerate(days))
        + "L12,10/25/2026,Priya\n"
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (12, 1)
    assert rejects(con) == [
        (
            14,
            "Date generated '10/25/2026' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd);"
            " it reads as 25 October 2026 month-first: if this file's dates are month-first,"
            " load it with --monthfirst",
        )
    ]


@pytest.mark.parametrize(
    ("dayfirst", "other"),
    [(True, "31/10/2026"), (True, "2026-10-31"), (False, "10/31/2026")],
)
def test_a_date_that_reads_the_other_way_round_names_that_order_unless_a_date_rules_it_out(
    settings: Settings, tmp_path: Path, dayfirst: bool, other: str
) -> None:
    """A date that reads only as loaded (31/10/2026 day first) shows how the file is
    written: a date that reads only the other way round is a typo. And an ISO date says
    nothing of the order. Month first, 25/10/2026 is day-first only when no date reads only
    month-first."""
    odd = "10/25/2026" if dayfirst else "25/10/2026"
    path = tmp_path / "leads.csv"
    path.write_text(
        f"Ref,Date generated,Consultant\nL1,{other},Priya\nL2,{odd},Priya\n"
        + "".join(f"L{row},01/02/2026,Priya\n" for row in range(3, 13))
    )
    _, con = load_one(settings, path, dayfirst=dayfirst)
    shape = "dd/mm/yyyy" if dayfirst else "mm/dd/yyyy"
    expected = f"Date generated '{odd}' is not a date: write it as {shape} (or yyyy-mm-dd)"
    if other.startswith("2026"):
        expected += (
            "; it reads as 25 October 2026 month-first: if this file's dates are month-first,"
            " load it with --monthfirst"
        )
    assert rejects(con) == [(3, expected)]


def test_a_date_that_reads_only_day_first_in_a_month_first_load_says_so(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant\nL1,25/10/2026,Priya\n"
        + "".join(f"L{row},01/02/2026,Priya\n" for row in range(2, 13))
    )
    _, con = load_one(settings, path, dayfirst=False)
    assert rejects(con) == [
        (
            2,
            "Date generated '25/10/2026' is not a date: write it as mm/dd/yyyy (or yyyy-mm-dd);"
            " it reads as 25 October 2026 day-first: if this file's dates are day-first, load"
            " it without --monthfirst",
        )
    ]


@pytest.mark.parametrize("dayfirst", [True, False])
def test_a_12_hour_clock_and_a_month_written_first(
    settings: Settings, tmp_path: Path, dayfirst: bool
) -> None:
    """9:30:00 AM (Excel's and phone systems' times) and Nov 3, 2026 (US systems' dates)."""
    day = "03/11/2026" if dayfirst else "11/03/2026"
    path = tmp_path / "calls.csv"
    path.write_text(
        "Date/Time,Consultant,Outcome,Call back on\n"
        f'{day} 9:30:00 AM,Priya,Connected,"Nov 3, 2026"\n'
        f'{day} 2:05 PM,Priya,No answer,"November 30, 2026"\n'
        f'{day} 2:05 PM,Priya,No answer,"November 30, 2026"\n'
    )
    result, con = load_one(settings, path, dayfirst=dayfirst)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1), rejects(con)
    # Without call ids, a call is its consultant and time.
    assert rejects(con) == [(4, "the same as row 3: delete one of them")]
    assert con.execute(
        "select called_at, callback_date from raw.calls order by _source_row"
    ).fetchall() == [
        (datetime(2026, 11, 3, 9, 30), date(2026, 11, 3)),
        (datetime(2026, 11, 3, 14, 5), date(2026, 11, 30)),
    ]


@pytest.mark.parametrize(
    ("written", "time", "expected"),
    [
        ("3-Nov-26 10:00", None, datetime(2026, 11, 3, 10, 0)),
        ("03-Nov-2026 10:00", None, datetime(2026, 11, 3, 10, 0)),
        ("3 Nov 2026 9:30 AM", None, datetime(2026, 11, 3, 9, 30)),
        ("Nov 3, 2026 9:30 PM", None, datetime(2026, 11, 3, 21, 30)),
        ("Nov 3, 2026 10:00", None, datetime(2026, 11, 3, 10, 0)),
        ("03-11-2026 9:30 AM", None, datetime(2026, 11, 3, 9, 30)),
        ("03.11.2026 09:30:00", None, datetime(2026, 11, 3, 9, 30)),
        ("03/11/2026 9:30AM", None, datetime(2026, 11, 3, 9, 30)),
        ("Nov 3, 2026", "9:30 AM", datetime(2026, 11, 3, 9, 30)),
        ("3-Nov-26", "10:00", datetime(2026, 11, 3, 10, 0)),
        ("03-11-2026", "9:30 AM", datetime(2026, 11, 3, 9, 30)),
        # a date that holds its own time keeps it
        ("03/11/2026 14:00", "09:30", datetime(2026, 11, 3, 14, 0)),
    ],
)
def test_every_date_form_takes_a_time_of_day(
    settings: Settings, tmp_path: Path, written: str, time: str | None, expected: datetime
) -> None:
    """Each way of writing a date, with each way of writing the time after it, in one
    column or with the time in a column of its own."""
    path = tmp_path / "calls.csv"
    header = "Date,Consultant,Outcome" + (",Time" if time else "")
    path.write_text(f'{header}\n"{written}",Priya,Connected' + (f",{time}" if time else "") + "\n")
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), rejects(con)
    assert con.execute("select called_at from raw.calls").fetchall() == [(expected,)]


@pytest.mark.parametrize("dayfirst", [True, False])
@pytest.mark.parametrize(
    ("sample", "first"),
    [
        (["2026-11-03 00:00:00", "2026-11-04 00:00:00", None], "%Y-%m-%d %H:%M:%S"),
        (["2026-11-03", "2026-11-04", "2026-11-05 10:00:00"], "%Y-%m-%d"),
    ],
)
def test_a_column_of_iso_dates_tries_the_iso_formats_first(
    dayfirst: bool, sample: list[str | None], first: str
) -> None:
    """A workbook's own dates arrive as ISO text: tried against every day-first format first,
    each costs failed parses (a 100,000-lead tracker's load took 4 s instead of 2). Formats
    that start with a month's name (Nov 3, 2026) cannot match a year either. Excel's dates
    come with a time of day (00:00:00): the ISO format with one goes first, else each date
    fails one parse (a tenth of the tracker's load)."""
    checks = RowChecks(CONTRACTS["tracker"], {}, {}, None, dayfirst)
    checks.iso_texts = {"c1": iso_shape(sample)}
    sql = checks._date("c1", "date")
    formats = re.findall(r"'(%[^']*)'", sql)
    assert formats[0] == first
    assert sorted(formats[: len(ISO_FORMATS)]) == sorted(ISO_FORMATS)
    assert "%b %d, %Y" in formats


@pytest.mark.parametrize("dayfirst", [True, False])
def test_two_digit_years_are_this_century_and_four_digits_still_win(
    settings: Settings, tmp_path: Path, dayfirst: bool
) -> None:
    numeric = (
        ("3/11/26", "03/11/2026", "03/11/1999", "3/11/99")
        if dayfirst
        else (
            "11/3/26",
            "11/03/2026",
            "11/03/1999",
            "11/3/99",
        )
    )
    path = tmp_path / "leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant\n"
        f"L0,{numeric[0]},Priya\n"
        "L1,3-Nov-26,Priya\n"
        "L2,3 Nov 26,Priya\n"
        f"L3,{numeric[1]},Priya\n"
        f"L4,{numeric[2]},Priya\n"  # four digits: 1999, not 2019 nor 1920
        f"L5,{numeric[3]},Priya\n"  # two digits: 1999 too
        "L6,03-Nov-0026,Priya\n"  # a typo for 2026: said so, not guessed
        "L7,3 Nov 6,Priya\n"  # one digit: a typo too, not 2006
    )
    _, con = load_one(settings, path, dayfirst=dayfirst)
    assert leads(con, "lead_id, created_date") == [
        (f"L{number}", date(2026, 11, 3)) for number in range(4)
    ]
    shown = "03/11" if dayfirst else "11/03"
    assert rejects(con) == [
        (
            row,
            f"Date generated {shown}/{year} is implausible (before 2000 or more than 3 years"
            " ahead): check the year",
        )
        for row, year in ((6, "1999"), (7, "1999"), (8, "0026"), (9, "0006"))
    ]


def test_a_call_logged_with_a_two_digit_year(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome,Call back on\n"
        "C1,L1,Priya,3/11/26 10:00,Connected,10/11/26\n"
        "C2,L1,Priya,03/11/2026 11:30,Connected,\n"
    )
    result, con = load_one(settings, path)
    assert result.rows_loaded == 2, rejects(con)
    assert con.execute(
        "select called_at, callback_date from raw.calls order by _source_row"
    ).fetchall() == [
        (datetime(2026, 11, 3, 10, 0), date(2026, 11, 10)),
        (datetime(2026, 11, 3, 11, 30), None),
    ]


# Tracker milestone cells ------------------------------------------------------------------

MILESTONE_EVENTS = (
    "select lead_id, milestone, event_date, is_date_unknown from raw.milestone_events"
    " order by lead_id, milestone"
)


def test_ticks_and_not_reached_words_in_a_tracker(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant,CVs received,Interviews arranged\n"
        "L1,03/11/2026,Priya,Y,N\n"
        "L2,03/11/2026,Priya,x,No\n"
        "L3,03/11/2026,Priya,TRUE,FALSE\n"
        "L4,03/11/2026,Priya,\u2714\ufe0f,-\n"  # ✔️: the emoji form of ✔
        "L5,03/11/2026,Priya,\u2611,n/a\n"  # ☑
        "L6,03/11/2026,Priya,Yes,0\n"
        "L7,03/11/2026,Priya,04/11/2026,Not yet\n"
        "L8,03/11/2026,Priya,\u2612,NA\n"  # ☒: a crossed-out box
        "L9,03/11/2026,Priya,maybe,\n"
        # A date not known yet, or taken back: not reached, as a blank cell.
        "L10,03/11/2026,Priya,TBC,Postponed\n"
        "L11,03/11/2026,Priya,tba,Cancelled\n",
        encoding="utf-8",
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (10, 1)
    assert con.execute(MILESTONE_EVENTS).fetchall() == [
        *((f"L{number}", "cvs_received", None, True) for number in range(1, 7)),
        ("L7", "cvs_received", date(2026, 11, 4), False),
    ]
    assert rejects(con) == [
        (
            10,
            "CVs received holds 'maybe', which is neither a date (dd/mm/yyyy) nor a tick"
            " (Y, ✓): leave it blank if the milestone is not reached",
        )
    ]


def test_a_workbooks_true_and_false_cells_are_reached_and_not(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "tracker.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Ref", "Date generated", "Consultant", "CVs received", "Start date"])
    sheet.write_row(1, 0, ["L1", "03/11/2026", "Priya", True, False])
    sheet.write_row(2, 0, ["L2", "03/11/2026", "Priya", False, 0])
    workbook.close()
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0), rejects(con)
    assert con.execute(MILESTONE_EVENTS).fetchall() == [("L1", "cvs_received", None, True)]


def test_a_numeric_id_written_as_a_decimal_is_that_number(
    settings: Settings, tmp_path: Path
) -> None:
    """A number-typed Ref column, saved to CSV by a tool that writes numbers as decimals
    (pandas, a CRM's report) or from a workbook cell formatted with decimals, writes 1001 as
    1001.0: those calls were kept under a lead 1001.0 that no tracker holds (a workbook's
    own 1001.0 already read as 1001). Only a whole number with zeros after the point is
    one; other ids stay as written."""
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(
        "Ref,Date generated,Consultant\n"
        "1001.0,03/11/2026,Priya\n"
        "1002,03/11/2026,Priya\n"
        "L3.0,03/11/2026,Priya\n"
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome\n"
        "7.0,1001.0,Priya,04/11/2026 10:00,Connected\n"
        "8,1002.00,Priya,04/11/2026 11:00,Connected\n"
        "9,1002.5,Priya,04/11/2026 12:00,Connected\n"
        "10,L3.0,Priya,04/11/2026 13:00,Connected\n"
    )
    _, con = load(settings, tracker, calls)
    assert leads(con) == [("1001",), ("1002",), ("L3.0",)]
    calls_loaded = "select call_id, lead_id from raw.calls order by _source_row"
    assert con.execute(calls_loaded).fetchall() == [
        ("7", "1001"),
        ("8", "1002"),
        ("9", "1002.5"),
        ("10", "L3.0"),
    ]


@pytest.mark.parametrize("dayfirst", [True, False])
def test_a_phone_excel_stored_as_a_number_gets_its_0_back_in_a_uk_file(
    settings: Settings, tmp_path: Path, dayfirst: bool
) -> None:
    """Excel keeps 07700900222 typed without spaces as the number 7700900222: a UK (day-
    first) file's phone of 10 digits without its 0 gets it back; other numbers stay."""
    path = tmp_path / "leads.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Ref", "Date generated", "Consultant", "Phone"])
    for row, phone in enumerate([7700900222, "020 7946 0713", 447700900333, 12345], start=1):
        sheet.write_row(row, 0, [f"L{row}", "2026-11-03", "Priya", phone])
    workbook.close()
    result, con = load_one(settings, path, dayfirst=dayfirst)
    assert result.rows_loaded == 4, rejects(con)
    first = "07700900222" if dayfirst else "7700900222"
    assert leads(con, "phone") == [(first,), ("020 7946 0713",), ("447700900333",), ("12345",)]


# Invisible characters ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_tabs_and_invisible_spaces_around_a_name_are_trimmed(
    settings: Settings, tmp_path: Path, suffix: str
) -> None:
    """One consultant, however the export pads the name: a tab, a non-breaking space, a
    zero-width space (copied from a web page), a line break in a quoted value."""
    names = [
        "Priya Shah\t",
        "\tPriya Shah",
        "Priya Shah\u00a0",
        "\u200bPriya Shah\u200b",
        "\ufeffPriya Shah",
        "Priya Shah\r\n",
        "\u00a0\u200b\t",  # nothing but blanks: a blank consultant
    ]
    rows = [[f"L{number}", "03/11/2026", name] for number, name in enumerate(names)]
    path = tmp_path / f"leads{suffix}"
    if suffix == ".csv":
        path.write_text(
            "Ref,Date generated,Consultant\n"
            + "".join(f'{ref},{day},"{name}"\n' for ref, day, name in rows),
            encoding="utf-8",
        )
    else:
        workbook = xlsxwriter.Workbook(str(path))
        sheet = workbook.add_worksheet()
        for number, row in enumerate([["Ref", "Date generated", "Consultant"], *rows]):
            sheet.write_row(number, 0, row)
        workbook.close()
    result, con = load_one(settings, path)
    assert con.execute("select distinct consultant from raw.leads").fetchall() == [("Priya Shah",)]
    assert result.rows_loaded == len(names) - 1
    assert rejects(con) == [
        (len(names) + 1, "Consultant is empty: fill it in (every row needs one)")
    ]


def test_excel_day_numbers_in_a_csv_are_named_as_such(settings: Settings, tmp_path: Path) -> None:
    """A date column that Excel holds as a number (General format) arrives as 46329: the
    reject says which date that number is and what to do, instead of only "not a date"; so
    with a decimal comma, and beside a Time column. A five-digit number that is no plausible
    date keeps the usual advice."""
    advice = (
        " (the cell holds a number, not a date): format the column as a date in Excel, then"
        " save or export it again"
    )
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome\n"
        "C1,L1,Priya,46329.4375,Connected\n"
        "C2,L1,Priya,12345,Connected\n"
        "C3,L1,Priya,03/11/2026 10:30,Connected\n"
        'C4,L1,Priya,"46329,5",Connected\n'
    )
    result, con = load_one(settings, calls)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    assert rejects(con) == [
        (2, f"Date/Time '46329.4375' is not a date: Excel's number for 03/11/2026{advice}"),
        (3, "Date/Time '12345' is not a date: write it as dd/mm/yyyy (or yyyy-mm-dd)"),
        (5, f"Date/Time '46329,5' is not a date: Excel's number for 03/11/2026{advice}"),
    ]
    split = tmp_path / "split.csv"
    split.write_text("Date,Time,Consultant,Lead ID,Outcome\n46330,09:30,Priya,L1,Connected\n")
    _, con = load_one(settings, split)
    assert rejects(con)[3:] == [
        (2, f"Date '46330 09:30' is not a date: Excel's number for 04/11/2026{advice}")
    ]
    tracker = tmp_path / "tracker.csv"
    tracker.write_text("Ref,Date generated,Consultant,CVs received\nL1,02/11/2026,Priya,46330\n")
    _, con = load_one(settings, tracker)
    assert rejects(con)[4:] == [
        (2, f"CVs received holds '46330', Excel's number for 04/11/2026{advice}")
    ]


@pytest.mark.parametrize("tick_first", [True, False])
def test_a_milestone_with_a_tick_column_and_a_date_column_reads_both(
    settings: Settings, tmp_path: Path, tick_first: bool
) -> None:
    """A tracker that keeps "Started" (Y) beside "Start date": the date where there is one,
    else the tick, whichever column comes first. Neither column is left unused. A tick beside
    `n/a` under the date is a tick: the `n/a` was read as the cell, and the start was lost."""
    header, rows = ("Started,Start date", ["Y,05/11/2026", "Y,", ",06/11/2026", ",", "Y,n/a"])
    if not tick_first:
        header = "Start date,Started"
        rows = [",".join(reversed(row.split(","))) for row in rows]
    path = tmp_path / "tracker.csv"
    path.write_text(
        f"Ref,Date generated,Consultant,{header}\n"
        + "".join(f"L{number},01/10/2026,Priya,{row}\n" for number, row in enumerate(rows))
    )
    result, con = load_one(settings, path)
    assert (result.rows_loaded, result.rows_rejected, result.unused_columns) == (5, 0, ())
    assert con.execute(
        "select lead_id, event_date, is_date_unknown from raw.milestone_events"
        " where milestone = 'started' order by lead_id"
    ).fetchall() == [
        ("L0", date(2026, 11, 5), False),
        ("L1", None, True),
        ("L2", date(2026, 11, 6), False),
        ("L4", None, True),
    ]
