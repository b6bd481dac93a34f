"""`leadtrack forget --contact EMAIL|PHONE`: the person's details leave every version in raw,
the rebuilt and republished marts and the reports rendered after it, the warehouse file's
bytes included; raw.forget_log records that it was done, not who."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.demo import DemoFiles
from leadtrack.forget import PHONE_MACROS, REMOVED, parse_identifier, phone_digits, scrub_logs
from leadtrack.report import render_report
from leadtrack.settings import DEFAULT_CATALOGUE, Settings, marts_path
from tests.reliability.conftest import AS_OF, ROOT, demo_paths, leadtrack

pytestmark = pytest.mark.slow


def _traces(database: Path, needles: dict[str, str]) -> list[str]:
    """Where any text column of any table holds one of the needles ("phone" needles match
    on digits)."""
    found = []
    with duckdb.connect(str(database), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " join information_schema.tables using (table_catalog, table_schema, table_name)"
            " where data_type = 'VARCHAR' and table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table, column in columns:
            for kind, needle in needles.items():
                value = f'"{schema}"."{table}"."{column}"'
                condition = (
                    f"regexp_replace({value}, '[^0-9]', '', 'g') like '%' || ? || '%'"
                    if kind == "phone"
                    else f"{value} ilike '%' || ? || '%'"
                )
                hits = con.execute(
                    f'select count(*) from "{schema}"."{table}" where {condition}', [needle]
                ).fetchall()[0][0]
                if hits:
                    found.append(f"{schema}.{table}.{column} holds the {kind} ({hits} rows)")
    return found


def _person(warehouse: Path) -> tuple[str, str, str, list[str]]:
    """A contact named in a rejected row too (so every place is exercised), else the contact
    with the most leads: name, phone, email, and their lead ids."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        records = [
            json.loads(record)
            for (record,) in con.execute("select record from raw.rejected_rows").fetchall()
        ]
        rejected = {
            value for record in records if isinstance(record, dict) for value in record.values()
        }
        people = con.execute(
            "select contact, phone, email, list(distinct lead_id order by lead_id)"
            " from raw.leads where email is not null group by all order by count(*) desc"
        ).fetchall()
    for name, phone, email, leads in people:
        if email in rejected:
            return name, phone, email, leads
    return people[0]


def test_forget_a_contact_everywhere(demo_exports: DemoFiles, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    assert leadtrack(warehouse, "load", *demo_paths(demo_exports)).returncode == 0
    name, phone, email, leads = _person(warehouse)
    digits = phone_digits(phone)
    # A later version of the person's leads with the phone written another way and a note
    # naming them, and calls logged with them as the contact.
    later = tmp_path / "later.csv"
    later.write_text(
        "Ref,Date generated,Consultant,Client,Contact,Phone,Email,Notes\n"
        + "".join(
            f'{lead},02/03/2026,Priya Shah,Acme,{name},"+44 {digits[1:]}",{email.upper()},'
            f'"Ask for {name} on {phone}"\n'
            for lead in leads
        )
    )
    calls = tmp_path / "more-calls.csv"
    calls.write_text(
        "Call ID,Lead ID,Consultant,Date/Time,Outcome,Contact,Notes\n"
        + "".join(
            f"X{number},{lead},Priya Shah,03/03/2026 10:00,Connected,{name},Spoke to {name}\n"
            for number, lead in enumerate(leads)
        )
    )
    assert leadtrack(warehouse, "load", str(later), str(calls)).returncode == 0
    built = leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat())
    assert built.returncode == 0, built.stdout + built.stderr
    needles = {"name": name, "email": email, "phone": digits}
    assert _traces(warehouse, needles), "the person should be in the warehouse before"
    assert _traces(marts_path(warehouse), needles), "and in the published marts"

    # Forget them by their phone, written a third way.
    spaced = "-".join([digits[:4], digits[4:7], digits[7:]])
    forgot = leadtrack(warehouse, "forget", "--contact", spaced, "--as-of", AS_OF.isoformat())
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    assert parse_identifier(spaced).value == digits

    assert _traces(warehouse, needles) == []
    assert _traces(marts_path(warehouse), needles) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        log = con.execute("select * from raw.forget_log").fetchall()
        assert len(log) == 1
        _, kind, lead_rows, call_rows, rejected_rows = log[0]
        assert kind == "phone" and lead_rows >= 2 * len(leads) and call_rows == len(leads)
    with duckdb.connect(str(marts_path(warehouse)), read_only=True) as con:
        # The leads themselves stay; only the person's details went.
        assert con.execute(
            "select count(distinct lead_id) from marts.leads where lead_id in ?", [leads]
        ).fetchall() == [(len(leads),)]
    settings = Settings(warehouse=warehouse, catalogue=DEFAULT_CATALOGUE)
    report = render_report("weekly", {"week": "2026-11-16"}, tmp_path / "reports", settings)
    files = [warehouse, marts_path(warehouse), report]
    for path in files:
        data = path.read_bytes()
        for needle in (name, email, phone, f"+44 {digits[1:]}"):
            assert needle.encode() not in data, f"{path.name} still holds {needle!r}"
            assert needle.lower().encode() not in data.lower()
    assert not list(warehouse.parent.glob("*.wal"))
    # dbt's logs and artifacts once held leadtrack's command line, the person's phone in it.
    for path in [*(ROOT / "logs").rglob("*"), *(ROOT / "target").glob("*.json")]:
        if path.is_file():
            assert spaced.encode() not in path.read_bytes(), f"{path} holds {spaced!r}"
    print(
        f"\nforgot {name!r}: {lead_rows} lead rows, {call_rows} call rows, {rejected_rows} rejected"
    )
    # The next load and build still work on the rewritten file.
    assert leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat()).returncode == 0


def test_forget_scrubs_the_person_from_old_dbt_logs(tmp_path: Path) -> None:
    """Logs written before leadtrack gave dbt its own command line hold `forget`'s own."""
    logs, target = tmp_path / "logs", tmp_path / "target"
    logs.mkdir()
    target.mkdir()
    line = "invocation_command: dbt --warehouse w.duckdb forget --contact {}\n"
    (logs / "dbt.log").write_text(line.format("+44 7700 900123") + "other lines\n")
    (logs / "dbt.log.1").write_text(line.format("Jo.Bloggs@Example.com"))
    (target / "run_results.json").write_text(json.dumps({"args": {"c": "07700 900123"}}))
    (target / "graph.gpickle").write_bytes(b"\x80\x04 07700 900123")
    assert scrub_logs([logs, target, tmp_path / "missing"], parse_identifier("07700-900-123")) == 2
    assert (logs / "dbt.log").read_text() == line.format(REMOVED) + "other lines\n"
    assert json.loads((target / "run_results.json").read_text()) == {"args": {"c": REMOVED}}
    assert (logs / "dbt.log.1").read_text() == line.format("Jo.Bloggs@Example.com")
    assert scrub_logs([logs], parse_identifier("jo.bloggs@example.com")) == 1
    assert "Bloggs" not in (logs / "dbt.log.1").read_text()


def test_dbt_logs_its_own_command_line_not_leadtracks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt, run in-process, took its "invocation command" (logged, and kept in
    run_results.json) from the process's command line: `leadtrack forget --contact ...`."""
    from ingest.loader import connect
    from leadtrack.dbt import run_dbt

    connect(tmp_path / "w.duckdb").close()
    settings = Settings(warehouse=tmp_path / "w.duckdb", catalogue=DEFAULT_CATALOGUE)
    monkeypatch.setattr("sys.argv", ["leadtrack", "forget", "--contact", "jo@example.com"])
    target = tmp_path / "target"
    result = run_dbt(settings, ["run", "--select", "stg_consultants"], target_path=target)
    assert result.ok, result.error
    run = json.loads((target / "run_results.json").read_text())
    assert run["args"]["invocation_command"].startswith("dbt run --select stg_consultants")
    for path in target.rglob("*"):
        if path.is_file():
            assert b"jo@example.com" not in path.read_bytes(), path


def test_forget_clears_a_repeated_row_s_record_and_a_contact_no_lead_holds(
    tmp_path: Path,
) -> None:
    """A repeated row's rejected record keeps the file's headers (Hiring manager, Contact
    number): forget cleared only the headers it knew (Contact, Phone), so the phone stayed.
    And a contact no lead row holds (a typo, someone named only in a call) ended in a
    traceback."""
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(
        "Ref,Date generated,Consultant,Client,Hiring manager,Contact number,Contact email\n"
        "L1,01/10/2026,Priya Shah,Acme,Carol Jones,07700 900222,carol@acme.example\n"
        "L1,01/10/2026,Priya Shah,Acme,Carol Jones,07700 900222,carol@acme.example\n"
        "L2,02/10/2026,Priya Shah,Acme,Dan Lee,07700 900333,dan@acme.example\n"
    )
    assert leadtrack(warehouse, "load", str(tracker)).returncode == 0
    nobody = leadtrack(
        warehouse, "forget", "--contact", "nobody@example.com", "--as-of", "2026-11-23"
    )
    assert nobody.returncode == 0, nobody.stdout + nobody.stderr
    forgot = leadtrack(
        warehouse, "forget", "--contact", "carol@acme.example", "--as-of", "2026-11-23"
    )
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    needles = {"name": "Carol Jones", "email": "carol@acme.example", "phone": "07700900222"}
    assert _traces(warehouse, needles) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (record,) = con.execute("select record from raw.rejected_rows").fetchone()
        assert json.loads(record)["Contact number"] is None
        assert con.execute(
            "select count(*) from raw.leads where phone = '07700 900333'"
        ).fetchone() == (1,)


def test_forget_clears_columns_ingest_does_not_read_in_a_record_that_mentions_them(
    tmp_path: Path,
) -> None:
    """A rejected record keeps every column of the file, those ingest does not read too
    ("Decision maker", or one a mapping file renames to contact). Forgetting by phone a
    person no lead row names cleared only the contact headers ingest knows, so their name
    stayed; now a record that mentions them keeps only the columns ingest reads as something
    other than a contact's details (the lead, client, milestones)."""
    warehouse = tmp_path / "warehouse" / "lt.duckdb"
    tracker = tmp_path / "tracker.csv"
    tracker.write_text(
        "Ref,Date generated,Consultant,Client,Decision maker,Contact number,CVs received\n"
        "L1,soon,Priya Shah,Acme,Erin Vale,07700 900444,01/10/2026\n"
        "L2,02/10/2026,Priya Shah,Acme,Dan Lee,07700 900333,\n"
    )
    assert leadtrack(warehouse, "load", str(tracker)).returncode == 0
    forgot = leadtrack(warehouse, "forget", "--contact", "07700 900444", "--as-of", "2026-11-23")
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    assert _traces(warehouse, {"name": "Erin Vale", "phone": "07700900444"}) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (record,) = con.execute("select record from raw.rejected_rows").fetchone()
    assert json.loads(record) == {
        "Ref": "L1",
        "Date generated": "soon",
        "Consultant": "Priya Shah",
        "Client": "Acme",
        "Decision maker": None,
        "Contact number": None,
        "CVs received": "01/10/2026",
    }


@pytest.mark.parametrize(
    "written",
    [
        "07700 900222",
        "7700900222",  # Excel's number, its 0 dropped
        "+44 7700 900222",
        "+44 (0)7700 900222",
        "0044 7700 900222",
        "0044 (0)7700-900-222",
        "447700900222",
    ],
)
def test_a_phone_matches_however_it_is_written(written: str) -> None:
    """Forget finds a phone in raw (SQL) and in text (Python) by the same digits, whichever
    way the export or the person asking wrote it."""
    con = duckdb.connect()
    con.execute(PHONE_MACROS)
    in_sql = con.execute("select lt_phone_digits(?)", [written]).fetchall()[0][0]
    assert in_sql == phone_digits(written) == parse_identifier(written).value == "07700900222"
