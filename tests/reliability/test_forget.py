"""`leadtrack forget --contact EMAIL|PHONE`: the person's details leave every version in raw,
the rebuilt and republished marts and the reports rendered after it, the warehouse file's
bytes included; raw.forget_log records that it was done, not who."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.demo import DemoFiles
from leadtrack.forget import parse_identifier, phone_digits
from leadtrack.report import render_report
from leadtrack.settings import DEFAULT_CATALOGUE, Settings, marts_path
from tests.reliability.conftest import AS_OF, demo_paths, leadtrack

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
    print(
        f"\nforgot {name!r}: {lead_rows} lead rows, {call_rows} call rows, {rejected_rows} rejected"
    )
    # The next load and build still work on the rewritten file.
    assert leadtrack(warehouse, "build", "--as-of", AS_OF.isoformat()).returncode == 0
