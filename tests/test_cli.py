"""Each `leadtrack` command end to end, against a warehouse of the test's own."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from leadtrack import cli
from leadtrack.cli import app
from leadtrack.settings import DEFAULT_CATALOGUE, Settings

runner = CliRunner()

LEADS = "Ref,Date generated,Consultant,Client\nL-1,01/10/2026,Tom Reid,Acme\nL-2,,Tom Reid,Acme\n"
TRACKER = (
    "Ref,Date generated,Consultant,Client,Status,CVs received,1st interview,Start date\n"
    "T-1,01/09/2026,Priya Shah,Acme,Open,05/09/2026,12/09/2026,\n"
    "T-2,03/09/2026,Tom Reid,Calder,Filled,07/09/2026,14/09/2026,01/10/2026\n"
    "T-3,10/09/2026,Tom Reid,Brightwater,Declined,,,\n"
)
CALLS = (
    "Date/Time,Caller,Ref,Outcome,Call me on\n"
    "15/09/2026 09:15,Priya Shah,T-1,Connected,20/09/2026\n"
    "02/10/2026 10:00,Tom Reid,T-2,Connected,\n"
)
CONSULTANTS = "Name,Team,Manager\nPriya Shah,Finance,Jo Bloggs\nTom Reid,Finance,Jo Bloggs\n"


class Run:
    """A command's exit code and its output, with rich's line wrapping undone."""

    def __init__(self, settings: Settings, args: tuple[str, ...]) -> None:
        result = runner.invoke(app, ["--warehouse", str(settings.warehouse), *args])
        self.exit_code = result.exit_code
        self.output = result.output
        self._squeezed = re.sub(r"\s+", "", result.output)

    def says(self, text: str) -> bool:
        """Whether the output holds `text`, however rich wrapped it."""
        return re.sub(r"\s+", "", text) in self._squeezed

    def finds(self, pattern: str) -> bool:
        """Whether the output, its whitespace removed, matches `pattern` (written without)."""
        return re.search(pattern, self._squeezed) is not None


def value(database: Path, sql: str) -> Any:
    """One value from the warehouse or the published marts. dbt-duckdb may keep its
    in-process connection to a file open after a run, and DuckDB refuses a second connection
    in this process with another configuration, so this one uses the default (read-write)
    configuration too."""
    with duckdb.connect(str(database)) as con:
        return con.execute(sql).fetchone()[0]


def invoke(settings: Settings, *args: str) -> Run:
    return Run(settings, args)


@pytest.mark.parametrize("name", ["raw.duckdb", "Published.duckdb", "main.db", "raw.2026.duckdb"])
def test_a_warehouse_named_like_a_database_it_holds_is_refused(tmp_path: Path, name: str) -> None:
    """DuckDB names a database after its file: raw.duckdb clashed with the raw schema and
    failed with "Ambiguous reference to catalog or schema", published.duckdb with the marts
    attached beside it. The command says so, and why, before touching anything."""
    (tmp_path / "consultants.csv").write_text(CONSULTANTS)
    refused = runner.invoke(
        app, ["--warehouse", str(tmp_path / name), "load", str(tmp_path / "consultants.csv")]
    )
    assert refused.exit_code == 1
    said = re.sub(r"\s+", " ", refused.output)
    assert f"a warehouse file cannot be named {name}" in said
    assert "name it otherwise (leadtrack.duckdb, agency.duckdb)" in said
    assert not (tmp_path / name).exists()
    loaded = Run(
        Settings(warehouse=tmp_path / "agency.duckdb"), ("load", str(tmp_path / "consultants.csv"))
    )
    assert loaded.exit_code == 0


def test_load_prints_counts_and_the_rejects_hint(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS)
    result = invoke(settings, "load", str(path))
    assert result.exit_code == 0, result.output
    assert result.says("leads, 2 rows read, 1 loaded, 1 rejected"), result.output
    assert result.says("(see them: leadtrack rejects --load 2)"), result.output
    assert settings.warehouse.exists()
    again = invoke(settings, "load", str(path))
    assert again.exit_code == 0
    assert again.says(
        "already loaded (load 2: same content, sheet, kind, mapping and date order); skipped"
    ), again.output


def test_load_names_the_columns_it_did_not_use(settings: Settings, tmp_path: Path) -> None:
    """A tracker heads its milestones "<milestone> date"; those the catalogue does not know
    (Offer Date) were dropped without a word, the lead loading with no milestone there."""
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Date generated,Consultant,CV Sent Date,1st Interview Date,Offer Date\n"
        "L1,01/10/2026,Priya Shah,05/10/2026,10/10/2026,20/10/2026\n"
    )
    result = invoke(settings, "load", str(path))
    assert result.exit_code == 0, result.output
    assert result.says("tracker, 1 rows read, 1 loaded"), result.output
    assert result.says("columns not used: Offer Date (a milestone under another name"), (
        result.output
    )
    events = value(
        settings.warehouse,
        "select string_agg(milestone, ',' order by milestone) from raw.milestone_events",
    )
    assert events == "cvs_received,interviews_arranged"


def test_load_says_how_many_totals_rows_it_skipped(settings: Settings, tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(TRACKER + "Total,,,,,3,2,1\n")
    result = invoke(settings, "load", str(tracker))
    assert result.exit_code == 0, result.output
    assert result.says("4 rows read, 3 loaded, 0 rejected, 1 totals row skipped"), result.output
    assert not result.says("by the mapping"), result.output


def test_the_unused_columns_hint_fits_the_file(settings: Settings, tmp_path: Path) -> None:
    """Only a tracker's columns can be milestones; a leads file's unknown column, or a
    mapped export's, was given the catalogue-aliases hint too, and a column a preset reads
    to filter rows (HubSpot's _fivetran_active) was listed as not used."""
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Ref,Date generated,Consultant,Client,Sector\nL1,01/10/2026,Tom Reid,Acme,IT\n"
    )
    result = invoke(settings, "load", str(leads))
    assert result.says("columns not used: Sector (one to read: map it: docs/mappings.md)"), (
        result.output
    )
    sample = (
        Path(__file__).parent / "fixtures" / "crm" / "hubspot" / "deal_stage_default_stages.csv"
    )
    mapped = invoke(settings, "load", "--mapping", "hubspot_deal_stages", str(sample))
    assert mapped.exit_code == 0, mapped.output
    assert mapped.says("columns not used: _fivetran_start, _fivetran_end, _fivetran_synced,"), (
        mapped.output
    )
    assert not mapped.says("_fivetran_active") and not mapped.says("catalogue"), mapped.output
    assert not mapped.says("renames to no field"), mapped.output


def test_load_names_a_column_a_mapping_renames_to_no_field(
    settings: Settings, tmp_path: Path
) -> None:
    """A mapping's rename to a name that is no field hides the column (on purpose, or by a
    typo): it was not loaded and not named anywhere, so a misspelt contact went missing."""
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Ref,Date generated,Consultant,Hiring mgr,Sector\nL1,01/10/2026,Tom Reid,Ann Lee,IT\n"
    )
    mapping = tmp_path / "ours.yml"
    mapping.write_text("kind: leads\nrename:\n  Hiring mgr: contcat\n  Sector: contact\n")
    result = invoke(settings, "load", "--mapping", str(mapping), str(leads))
    assert result.exit_code == 0, result.output
    assert result.says(
        "columns the mapping renames to no field, so not loaded: Hiring mgr -> contcat"
    ), result.output
    assert not result.says("columns not used"), result.output


def test_load_a_folder_with_a_bad_file(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "consultants.csv").write_text(CONSULTANTS)
    (folder / "empty.csv").write_bytes(b"")
    (folder / "tracker.csv").write_text(TRACKER)
    result = invoke(settings, "load", str(folder))
    assert result.exit_code == 1
    assert result.says("empty.csv: the file is empty (0 bytes)"), result.output
    assert result.says("1 of 3 file(s) could not be loaded"), result.output
    assert result.says("tracker, 3 rows read, 3 loaded, 0 rejected"), result.output
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.leads").fetchone() == (3,)
        assert con.execute("select count(*) from raw.consultants").fetchone() == (2,)


def test_load_with_options(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("Ref;Date;Consultant\nL-1;03/11/2026;Tom Reid\n")
    result = invoke(settings, "load", "--kind", "leads", "--monthfirst", str(path))
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select cast(created_date as varchar) from raw.leads").fetchone() == (
            "2026-03-11",
        )


def test_load_with_a_preset_mapping(settings: Settings) -> None:
    sample = (
        Path(__file__).parent
        / "fixtures"
        / "crm"
        / "opencats"
        / "candidate_joborder_status_history.csv"
    )
    result = invoke(settings, "load", "--mapping", "opencats_pipeline_history", str(sample))
    assert result.exit_code == 0, result.output
    assert result.says("events, 8 rows read, 5 loaded, 0 rejected, 3 skipped by the mapping"), (
        result.output
    )


def test_load_with_an_unknown_mapping(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(LEADS)
    result = invoke(settings, "load", "--mapping", "no_such_crm", str(path))
    assert result.exit_code == 1
    assert result.says("no such mapping file or preset"), result.output


def test_status_and_rejects(settings: Settings, tmp_path: Path) -> None:
    missing = invoke(settings, "status")
    assert missing.exit_code == 1
    assert missing.says("no warehouse at"), missing.output
    path = tmp_path / "leads.csv"
    path.write_text(LEADS)
    assert invoke(settings, "load", str(path)).exit_code == 0
    status = invoke(settings, "status")
    assert status.exit_code == 0, status.output
    assert status.says("leads.csv"), status.output
    assert re.search(r"│\s*leads\s*│\s*1\s*│", status.output), status.output
    assert status.says("Rejected rows in all: 1 (leadtrack rejects)"), status.output
    rejects = invoke(settings, "rejects", "--load", "2")
    assert rejects.exit_code == 0, rejects.output
    assert rejects.says("Date generated is empty"), rejects.output
    assert rejects.says("leads.csv"), rejects.output
    none = invoke(settings, "rejects", "--load", "1")
    assert none.says("No rejected rows in load 1."), none.output


def test_rejects_and_status_show_square_brackets_as_written(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rich read "[removed]" (what forget leaves) and "[draft]" as markup and printed
    nothing: a file, a reason or a record is shown as it is."""
    path = tmp_path / "[draft] leads.csv"
    path.write_text(
        "Ref,Date generated,Consultant,Salary,Notes,Source [internal]\n"
        "L-1,01/10/2026,Tom Reid,[lots],[removed],web\n"
    )
    loaded = invoke(settings, "load", str(path))
    assert loaded.says(f"{path}: leads, 1 rows read, 0 loaded, 1 rejected"), loaded.output
    assert loaded.says("columns not used: Source [internal]"), loaded.output
    monkeypatch.setattr("leadtrack.cli.console", Console(width=250, force_terminal=False))
    wide = invoke(settings, "rejects").output
    assert "Salary '[lots]' is not an amount" in wide, wide
    assert '"Notes":"[removed]"' in wide, wide
    assert "[draft] leads.csv" in wide, wide
    assert "[draft] leads.csv" in invoke(settings, "status").output


def test_status_keeps_a_long_path_whole_in_a_narrow_terminal(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It cut the file's path to fit 80 columns ("/tmp/pytest…"); it wraps it now."""
    folder = tmp_path / "exports from the CRM" / "november 2026 weekly"
    folder.mkdir(parents=True)
    path = folder / "leads export for the whole finance and accounting team.csv"
    path.write_text(LEADS)
    assert invoke(settings, "load", str(path)).exit_code == 0
    monkeypatch.setattr("leadtrack.cli.console", Console(width=80, force_terminal=False))
    status = invoke(settings, "status")
    assert status.exit_code == 0, status.output
    loads_table = status.output.split("Rows in raw")[0]
    assert "…" not in loads_table, loads_table
    cells = re.sub(r"[│┃\s]", "", loads_table)
    assert re.sub(r"\s", "", path.name) in cells, loads_table


def test_template_writes_a_workbook_that_loads_back(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tracker.xlsx"
    result = invoke(settings, "template", str(path))
    assert result.exit_code == 0, result.output
    assert result.says(f"leadtrack load {path}"), result.output
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Leads"]
    assert sheet.freeze_panes == "B2"
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=2, column=headers.index("Ref") + 1, value="R-1")
    sheet.cell(row=2, column=headers.index("Date generated") + 1, value="01/10/2026")
    sheet.cell(row=2, column=headers.index("Consultant") + 1, value="Tom Reid")
    sheet.cell(row=2, column=headers.index("CVs received") + 1, value="Y")
    workbook.save(path)
    loaded = invoke(settings, "load", str(path))
    assert loaded.says("tracker, 1 rows read, 1 loaded, 0 rejected"), loaded.output
    wrong = invoke(settings, "template", str(tmp_path / "tracker.csv"))
    assert wrong.exit_code == 1
    assert wrong.says("name it .xlsx"), wrong.output


@pytest.mark.parametrize(
    "command",
    [
        ("load", "consultants.csv"),
        ("build",),
        ("template", "t.xlsx"),
        ("demo", "--no-serve", "--out", "demo.exports"),
    ],
)
def test_a_catalogue_that_cannot_be_used_is_named_with_the_fix(
    settings: Settings, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A catalogue without every column, with a flag or a number that is neither, empty, or
    a --milestones path that is not there, gave a Python traceback from load, build and demo
    (only template caught the first); one filling a lead at two milestones went without a
    word."""
    (tmp_path / "consultants.csv").write_text(CONSULTANTS)
    short = tmp_path / "ours.csv"
    short.write_text("milestone_order,milestone,label\n1,engaged,Engaged\n")
    header = DEFAULT_CATALOGUE.read_text().splitlines()[0]
    flags = tmp_path / "flags.csv"
    flags.write_text(
        f"{header}\n1,engaged,Engaged,no,,14,no,no,,,\n2,won,Won,no,,7,no,sometimes,,,\n"
    )
    days = tmp_path / "days.csv"
    days.write_text(
        f"{header}\n1,engaged,Engaged,no,,fourteen,no,no,,,\n2,won,Won,no,,7,no,yes,,,\n"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    blank = tmp_path / "blank.csv"
    blank.write_text(f"{header}\n1,engaged,Engaged,,,14,no,yes,,,\n")
    rowless = tmp_path / "rowless.csv"
    rowless.write_text(f"{header}\n")
    # A team moving the milestone that fills a lead marks the new one and keeps the old:
    # leads were filled at the first, and counted at both ("Starts" added them up).
    two_filled = tmp_path / "two_filled.csv"
    two_filled.write_text(
        f"{header}\n1,engaged,Engaged,no,,14,no,no,,,\n2,proposal,Proposal,no,,7,no,yes,,,\n"
        "3,won,Won,no,,,no,yes,,,\n"
    )
    # Two milestones at one place in the checklist: which of them a lead at the next one
    # has reached cannot be told.
    same_order = tmp_path / "same_order.csv"
    same_order.write_text(
        f"{header}\n1,engaged,Engaged,no,,14,no,no,,,\n2,demo,Demo booked,no,,7,no,no,,,\n"
        "2,proposal,Proposal,no,,7,no,no,,,\n3,won,Won,no,,,no,yes,,,\n"
    )
    arguments = [str(tmp_path / part) if "." in part[1:] else part for part in command]
    for catalogue, says, fix in (
        (short, ": the catalogue lacks the column(s) is_decision_point", "a copy of seeds/"),
        (tmp_path / "missing.csv", ": milestone catalogue not found", "point it at an existing"),
        (flags, ", row 3: is_filled is 'sometimes'", "write true or false"),
        (days, ", row 2: quiet_after_days is 'fourteen'", "write a whole number (or nothing)"),
        (empty, ": not a catalogue CSV", "a copy of seeds/"),
        (blank, ", row 2: is_decision_point is empty", "write true or false"),
        (rowless, ": the catalogue has no milestones", "one row per milestone"),
        (
            two_filled,
            ", row 4: is_filled is true on won and on proposal (row 3)",
            "one milestone fills a lead: set is_filled to false on the other",
        ),
        (
            same_order,
            ", row 4: milestone_order 2 is also demo's (row 3)",
            "give each milestone its own number",
        ),
    ):
        result = runner.invoke(
            app,
            ["--warehouse", str(settings.warehouse), "--milestones", str(catalogue), *arguments],
        )
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        squeezed = re.sub(r"\s+", "", result.output)
        assert re.sub(r"\s+", "", f"error: {catalogue}{says}") in squeezed, result.output
        assert re.sub(r"\s+", "", fix) in squeezed, result.output
    assert not (tmp_path / "t.xlsx").exists()
    assert not (tmp_path / "demo.exports").exists()


def test_a_catalogue_dropping_a_milestone_that_loaded_exports_hold_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    """A team's catalogue that no longer has a milestone its loaded exports reached: the
    build failed on dbt's relationships_stg_milestone_events_milestone__milestone__ref_...
    test ("Got 2 results"), naming neither the milestone, the file nor the fix, and a load
    took the catalogue without a word. Both stop, saying which milestone, how many leads,
    from which file, and what to do; a milestone no export used goes without a word."""
    ours = tmp_path / "ours.csv"
    ours.write_text(DEFAULT_CATALOGUE.read_text())
    for name, text in {"consultants.csv": CONSULTANTS, "tracker.csv": TRACKER}.items():
        (tmp_path / name).write_text(text)
    loaded = invoke(settings, "--milestones", str(ours), "load", str(tmp_path / "tracker.csv"))
    assert loaded.exit_code == 0, loaded.output

    def catalogue_loads() -> int:
        return value(settings.warehouse, "select count(*) from raw.loads where kind = 'catalogue'")

    kept = [line for line in ours.read_text().splitlines() if ",interviews_arranged," not in line]
    ours.write_text("\n".join(kept) + "\n")
    for command in (("load", str(tmp_path / "consultants.csv")), ("build",)):
        refused = invoke(settings, "--milestones", str(ours), *command)
        assert refused.exit_code == 1, refused.output
        assert refused.says(
            f"error: {ours}: the catalogue has no milestone interviews_arranged, which the"
            f" exports already loaded hold for 2 leads (the latest from"
            f" {tmp_path / 'tracker.csv'}, load 2)"
        ), refused.output
        assert refused.says("Put it back in the catalogue"), refused.output
        assert refused.says("to rename a milestone, change its label and keep its code")
        assert "relationships" not in refused.output
    assert catalogue_loads() == 1
    assert (
        value(settings.warehouse, "select count(*) from raw.loads where kind <> 'catalogue'") == 1
    )
    assert not settings.marts.exists()

    # Put back, and a milestone that no loaded export holds taken out instead: no question.
    ours.write_text(DEFAULT_CATALOGUE.read_text().replace("Interviews booked,", "Booked,"))
    unused = [line for line in ours.read_text().splitlines() if ",interviews_booked," not in line]
    ours.write_text("\n".join(unused) + "\n")
    taken = invoke(settings, "--milestones", str(ours), "load", str(tmp_path / "consultants.csv"))
    assert taken.exit_code == 0, taken.output
    assert catalogue_loads() == 2


@pytest.mark.slow
def test_build_on_a_small_loaded_dataset(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in {
        "consultants.csv": CONSULTANTS,
        "tracker.csv": TRACKER,
        "calls.csv": CALLS,
    }.items():
        (tmp_path / name).write_text(text)
    loaded = invoke(
        settings,
        "load",
        str(tmp_path / "consultants.csv"),
        str(tmp_path / "tracker.csv"),
        str(tmp_path / "calls.csv"),
    )
    assert loaded.exit_code == 0, loaded.output

    # Without --as-of, the build is as of the day it started, fixed at its start and handed
    # to the models, rather than each model reading the database's current date.
    class Clock(date):
        @classmethod
        def today(cls) -> date:
            return date(2026, 10, 5)

    monkeypatch.setattr(cli, "date", Clock)
    result = invoke(settings, "build")
    assert result.exit_code == 0, result.output
    assert result.finds(r"built\d+modelsandpassed\d+tests\([\d.]+sindbtnodes\),asof2026-10-05")
    assert value(settings.marts, "select count(*) from marts.leads") == 3
    assert value(settings.marts, "select min(as_of_date) from marts.leads") == date(2026, 10, 5)


@pytest.mark.slow
def test_build_says_when_calls_name_a_lead_no_export_holds(
    settings: Settings, tmp_path: Path
) -> None:
    """A call log writing a tracker's T-1 as t-1, or a lead not loaded yet, loaded and built
    without a word: those calls counted for no lead (no agreed call-back on the call list, no
    last touch), and only the quality report, if someone ran it, said so."""
    (tmp_path / "tracker.csv").write_text(TRACKER)
    (tmp_path / "calls.csv").write_text(
        "Date/Time,Caller,Ref,Outcome,Call me on\n"
        "15/09/2026 09:15,Priya Shah,t-1,Connected,20/10/2026\n"
        "16/09/2026 09:15,Priya Shah,t-1,No answer,\n"
        "02/10/2026 10:00,Tom Reid,T-2,Connected,\n"
        "03/10/2026 10:00,Tom Reid,T-9,Connected,\n"
    )
    loaded = invoke(settings, "load", str(tmp_path / "tracker.csv"), str(tmp_path / "calls.csv"))
    assert loaded.exit_code == 0, loaded.output
    result = invoke(settings, "build", "--as-of", "2026-10-05")
    assert result.exit_code == 0, result.output
    assert result.says(
        "3 calls name a lead that no loaded lead export holds, so they count for no lead"
    ), result.output
    assert result.says(
        "t-1 is on 2 call(s), but no lead has this id: probably lead T-1, written otherwise;"
        f" correct the id in the call log so that they count for that lead"
        f" ({tmp_path / 'calls.csv'}, row 2)"
    ), result.output
    assert result.says("T-9 is on 1 call(s), but no lead has this id: load the lead")
    assert result.says("leadtrack report quality lists them all"), result.output


@pytest.mark.slow
def test_build_says_when_leads_name_a_consultant_the_consultants_list_does_not(
    settings: Settings, tmp_path: Path
) -> None:
    """A tracker writing Priya Shah as "Shah, Priya" (or P Shah) built her lead into no team,
    out of her team's funnels, without a word. Said only when a consultants list is loaded:
    without one, every consultant is unlisted and none is a mistake."""
    (tmp_path / "tracker.csv").write_text(
        TRACKER.replace("T-1,01/09/2026,Priya Shah", 'T-1,01/09/2026,"Shah, Priya"')
    )
    (tmp_path / "consultants.csv").write_text(CONSULTANTS)
    loaded = invoke(settings, "load", str(tmp_path / "tracker.csv"))
    assert loaded.exit_code == 0, loaded.output
    unlisted = "not on the consultants list"
    before = invoke(settings, "build", "--as-of", "2026-10-05")
    assert before.exit_code == 0, before.output
    assert not before.says(unlisted), before.output
    assert invoke(settings, "load", str(tmp_path / "consultants.csv")).exit_code == 0
    result = invoke(settings, "build", "--as-of", "2026-10-05")
    assert result.exit_code == 0, result.output
    assert result.says(
        "• 1 consultant on leads or calls is not on the consultants list, so their leads and"
        " calls are in no team: Shah, Priya (1 lead). Write the name as the list does,"
        " or add it to the list"
    ), result.output


@pytest.mark.slow
def test_build_says_when_a_lead_is_created_after_the_as_of_date(
    settings: Settings, tmp_path: Path
) -> None:
    """A lead whose Date generated is after the build's day (the year typed 2027, or a US
    date read day first: 11/12/2026 as 11 December) is left out of every mart until that
    day, its calls and milestones with it, as a replay of a past day leaves out what came
    later. Nothing said so, not even the quality report."""
    # A year ahead of the day it is loaded (the loads are dated by the machine's clock).
    ahead = f"{date.today() + timedelta(days=365):%d/%m/%Y}"
    (tmp_path / "tracker.csv").write_text(
        TRACKER.replace("T-3,10/09/2026,Tom Reid", f"T-3,{ahead},Tom Reid")
    )
    loaded = invoke(settings, "load", str(tmp_path / "tracker.csv"))
    assert loaded.exit_code == 0, loaded.output
    # A replay of a past day leaves out the leads created since (T-2, created 03/09/2026),
    # as it should, and names only the typo.
    replay = invoke(settings, "build", "--as-of", "2026-09-02")
    assert replay.exit_code == 0, replay.output
    assert value(settings.marts, "select count(*) from marts.leads") == 1
    assert replay.says("• 1 lead is created after 02/09/2026"), replay.output
    assert replay.says(f"T-3 (created {ahead};") and not replay.says("T-2"), replay.output
    result = invoke(settings, "build", "--as-of", "2026-10-05")
    assert result.exit_code == 0, result.output
    assert value(settings.marts, "select count(*) from marts.leads") == 2
    assert result.says(
        "• 1 lead is created after 05/10/2026, the day this build is as of, and is in no"
        f" count until then: T-3 (created {ahead};"
        f" {tmp_path / 'tracker.csv'}, row 4). If its date is a typo (the year, or a date"
        " written month first), correct it"
    ), result.output
    assert (
        value(
            settings.marts,
            "select count(*) from marts.data_quality_issues"
            " where check_name = 'lead_created_after_as_of' and lead_id = 'T-3'",
        )
        == 1
    )


def test_build_rejects_a_bad_as_of_date(settings: Settings) -> None:
    result = invoke(settings, "build", "--as-of", "05/10/2026")
    assert result.exit_code == 1
    assert result.says("--as-of '05/10/2026' is not a date: write it as yyyy-mm-dd"), result.output


@pytest.mark.slow
def test_demo_without_serving(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = invoke(
        settings,
        "demo",
        "--no-serve",
        "--leads",
        "300",
        "--as-of",
        "2026-11-23",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.suffix for path in out.iterdir()).count(".csv") >= 2
    assert result.finds(r"tracker,[\d,]+rowsread"), result.output
    assert result.finds(r"built\d+modelsandpassed\d+tests"), result.output
    leads = value(settings.warehouse, "select count(distinct lead_id) from raw.leads")
    assert 250 <= leads <= 300
    assert value(settings.marts, "select count(*) from marts.leads") == leads


def test_forget_on_postgres_says_nothing_was_removed_where_the_details_stay_and_what_to_do(
    tmp_path: Path,
) -> None:
    """It said "works on a DuckDB warehouse only, so far": not that nothing was removed, nor
    that the person is still in PostgreSQL and in every consultant's copy, nor what to do."""
    result = runner.invoke(
        app,
        [
            "--target",
            "postgres",
            "--warehouse",
            str(tmp_path / "leadtrack.duckdb"),
            "forget",
            "--contact",
            "jo.bloggs@client.example",
        ],
    )
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    for words in (
        "nothing was removed",
        "PostgreSQL's raw (every version of the leads, calls and rejected rows), staging and marts",
        "every consultant's local copy of the marts",
        "delete them in PostgreSQL by hand",
        'README "Forgetting a contact on PostgreSQL"',
    ):
        assert words in said, words
    assert "jo.bloggs" not in result.output  # the person is not printed back
    assert not (tmp_path / "leadtrack.duckdb").exists()
