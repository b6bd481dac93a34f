"""Forget a person: remove a client contact's details from every version of every row in raw,
record that it was done (without the details), and rewrite the warehouse file so the old
values do not linger in its free blocks.

The marts are rebuilt and republished by the caller (`leadtrack forget` runs the build), since
they are dbt's to write.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ingest.catalogue import normalise_name
from ingest.contracts import CONTRACTS
from ingest.mapping import load_mapping, preset_names

if TYPE_CHECKING:
    from collections.abc import Callable

REMOVED = "[removed]"
# What dbt builds from raw in the warehouse, all of it rebuilt after a forget (marts only in
# a warehouse last built by an earlier version: builds now write the marts into the published
# file, which the rebuild replaces).
DERIVED_SCHEMAS = ("staging", "intermediate", "marts")
CONTACT = ("contact", "phone", "email")
# The fields of a rejected record that a record mentioning the person keeps, by kind of
# export and normalised header (a rejected record keeps the file's own headers: Ref, Hiring
# manager, Contact number): every header ingest reads for that kind as a field that is not a
# contact's detail. The rest, contact headers and columns ingest does not read ("Decision
# maker", or a column a mapping file renamed to contact), are cleared; milestone columns and
# a preset's renames are added per warehouse and load.
NOT_CONTACT_FIELDS = {
    kind: {
        header
        for field in contract.fields
        if field.name not in CONTACT
        for header in field.header_names()
    }
    - {
        header
        for field in contract.fields
        if field.name in CONTACT
        for header in field.header_names()
    }
    for kind, contract in CONTRACTS.items()
}
PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
FORGET_LOG = """
    create table if not exists raw.forget_log (
        forgotten_at timestamp not null,
        identifier_kind varchar not null,
        lead_rows integer not null,
        call_rows integer not null,
        rejected_rows integer not null
    )
"""
# A phone number as its digits: a UK international prefix (+44 7700..., 0044 7700...,
# +44 (0)7700...) becomes the national 0, and the 0 Excel drops from a number typed without
# spaces (7700900123) is put back. `phone_digits` in SQL.
PHONE_MACROS = r"""
    create or replace temp macro lt_national(digits) as
        case when regexp_full_match(digits, '[1-9][0-9]{9}') then '0' || digits else digits end;
    create or replace temp macro lt_without_44(digits) as
        case when digits like '44%' and length(digits) in (12, 13) then substr(digits, 3)
        else digits end;
    create or replace temp macro lt_phone_digits(text) as lt_national(lt_without_44(
        regexp_replace(regexp_replace(text, '[^0-9]', '', 'g'), '^0044', '44')
    ));
"""


class ForgetError(ValueError):
    """The identifier is neither an email address nor a phone number."""


@dataclass(frozen=True)
class Identifier:
    """Who to forget: `kind` is "email" or "phone"; `value` lower-cased or digits only."""

    kind: str
    value: str


@dataclass(frozen=True)
class Forgotten:
    """How many rows had details removed, per raw table."""

    lead_rows: int
    call_rows: int
    rejected_rows: int


def parse_identifier(text: str) -> Identifier:
    """An email address (matched case-insensitively) or a phone number (matched on its digits,
    ignoring spaces and punctuation; +44 and 0044 count as the national 0, and a 0 that
    Excel dropped is put back)."""
    text = text.strip()
    if "@" in text:
        return Identifier("email", text.lower())
    digits = phone_digits(text)
    if len(digits) < 6 or re.search(r"[A-Za-z]", text):
        raise ForgetError(f"{text!r} is neither an email address nor a phone number")
    return Identifier("phone", digits)


def phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    digits = "44" + digits[4:] if digits.startswith("0044") else digits
    if digits.startswith("44") and len(digits) in (12, 13):
        digits = digits[2:]
    return "0" + digits if re.fullmatch(r"[1-9]\d{9}", digits) else digits


def forget_contact(con: duckdb.DuckDBPyConnection, identifier: Identifier) -> Forgotten:
    """Remove the person's name, phone and email from every row of raw.leads that holds their
    email or phone, and from every other version of those leads naming them; their name from
    raw.calls on those leads; their details from raw.rejected_rows records that mention them;
    and mentions of their name, email and phone in notes. In the same transaction it drops
    the schemas dbt builds from raw (run the build next) and adds a row to raw.forget_log
    saying when and how many rows, not who."""
    if identifier.kind == "email":
        match = "lower(trim(email)) = $value"
    else:
        match = "lt_phone_digits(phone) = $value"
    parameters = {"value": identifier.value}
    con.begin()
    try:
        con.execute(PHONE_MACROS)
        con.execute(FORGET_LOG)
        found = con.execute(
            f"select distinct lead_id, contact, phone, email from raw.leads where {match}",
            parameters,
        ).fetchall()
        lead_ids = sorted({row[0] for row in found})
        names = sorted({row[1] for row in found if row[1]})
        mentions = sorted(
            {text for row in found for text in row[1:] if text}, key=len, reverse=True
        )
        # Each list in one statement, empty too (a contact no lead row holds, or a typo).
        for table, column, values in (
            ("_lt_forget_leads", "lead_id", lead_ids),
            ("_lt_forget_names", "contact", names),
        ):
            con.execute(
                f"create or replace temp table {table} as"
                f" select unnest(cast(? as varchar[])) as {column}",
                [values],
            )
        named = "(lead_id in (from _lt_forget_leads) and contact in (from _lt_forget_names))"
        scrubbed_notes = "notes"
        for mention in mentions:
            scrubbed_notes = f"replace({scrubbed_notes}, {_literal(mention)}, '{REMOVED}')"
        lead_rows = con.execute(
            f"update raw.leads set contact = null, phone = null, email = null,"
            f" notes = {scrubbed_notes} where {match} or {named}",
            parameters,
        ).fetchall()[0][0]
        contact_match = (
            "lower(trim(contact)) = $value"
            if identifier.kind == "email"
            else "lt_phone_digits(contact) = $value"
        )
        call_rows = con.execute(
            f"update raw.calls set contact = null, notes = {scrubbed_notes}"
            f" where {named} or {contact_match}",
            parameters,
        ).fetchall()[0][0]
        if mentions:
            con.execute(
                f"update raw.calls set notes = {scrubbed_notes}"
                " where lead_id in (from _lt_forget_leads) and notes is distinct from"
                f" {scrubbed_notes}"
            )
        rejected_rows = 0
        kept = _kept_fields(con)
        for rowid, record, kind, mapping in con.execute(
            "select rejected.rowid, rejected.record, loads.kind, loads.mapping"
            " from raw.rejected_rows as rejected left join raw.loads as loads using (load_id)"
        ).fetchall():
            cleaned = _scrub_record(record, identifier, mentions, kept(kind, mapping))
            if cleaned != record:
                con.execute(
                    "update raw.rejected_rows set record = ? where rowid = ?", [cleaned, rowid]
                )
                rejected_rows += 1
        con.execute(
            "insert into raw.forget_log values (?, ?, ?, ?, ?)",
            [datetime.now(), identifier.kind, lead_rows, call_rows, rejected_rows],
        )
        for table in ("_lt_forget_leads", "_lt_forget_names"):
            con.execute(f"drop table {table}")
        # Staging is incremental on new loads and would keep the old values: drop everything
        # built from raw, so the next build makes it all again from the cleaned rows.
        for schema in DERIVED_SCHEMAS:
            con.execute(f"drop schema if exists {schema} cascade")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return Forgotten(lead_rows, call_rows, rejected_rows)


def compact(warehouse: Path) -> None:
    """Rewrite the warehouse into a fresh file and swap it in, so values that were updated
    or dropped do not survive in the old file's free blocks."""
    scratch = warehouse.with_name(f".{warehouse.name}.compact.tmp")
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("checkpoint")
        database = con.execute("select current_database()").fetchall()[0][0]
        con.execute(f"attach '{scratch}' as _lt_fresh")
        con.execute(f'copy from database "{database}" to _lt_fresh')
        con.execute("detach _lt_fresh")
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(scratch, warehouse)
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)


def scrub_logs(folders: list[Path], identifier: Identifier) -> int:
    """Remove the person from dbt's logs and JSON artifacts under `folders`; how many files
    changed. dbt writes its process's command line into them; before leadtrack gave dbt its
    own, that was `leadtrack forget --contact <the person>`."""
    changed = 0
    for folder in folders:
        for path in folder.rglob("*") if folder.is_dir() else []:
            if not path.is_file() or not (path.suffix == ".json" or ".log" in path.name):
                continue
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            scrubbed = _scrub_text(text, identifier, [])
            if scrubbed != text:
                path.write_text(scrubbed, encoding="utf-8", errors="surrogateescape")
                changed += 1
    return changed


def _kept_fields(con: duckdb.DuckDBPyConnection) -> Callable[[str | None, str | None], set[str]]:
    """The headers a rejected record mentioning the person keeps, by its load's kind and
    mapping: NOT_CONTACT_FIELDS, the catalogue's milestone names, and the non-contact renames
    of a preset mapping (raw.loads keeps only the name of a team's own mapping file)."""
    milestones = {
        normalise_name(name)
        for code, label, aliases in con.execute(
            "select milestone, label, aliases from raw.milestone_catalogue"
        ).fetchall()
        for name in (code, label, *(aliases or "").split("|"))
    }
    presets = set(preset_names())

    def kept(kind: str | None, mapping: str | None) -> set[str]:
        fields = NOT_CONTACT_FIELDS.get(kind or "", set()) | milestones
        if mapping not in presets:
            return fields
        renames = load_mapping(mapping).rename.items()
        return fields | {normalise_name(header) for header, to in renames if to not in CONTACT}

    return kept


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _matches(value: str, identifier: Identifier) -> bool:
    if identifier.kind == "email":
        return value.strip().lower() == identifier.value
    return bool(PHONE_LIKE.fullmatch(value.strip())) and phone_digits(value) == identifier.value


def _scrub_text(text: str, identifier: Identifier, mentions: list[str]) -> str:
    for mention in mentions:
        text = text.replace(mention, REMOVED)
    if identifier.kind == "email":
        return re.sub(re.escape(identifier.value), REMOVED, text, flags=re.IGNORECASE)
    return PHONE_LIKE.sub(
        lambda found: REMOVED if phone_digits(found.group()) == identifier.value else found.group(),
        text,
    )


def _scrub_record(record: str, identifier: Identifier, mentions: list[str], kept: set[str]) -> str:
    """The record with the person's details removed: a JSON record that mentions them keeps
    only the fields whose normalised header is in `kept`; any text loses mentions of their
    name, email and phone."""
    try:
        fields: Any = json.loads(record)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return _scrub_text(record, identifier, mentions)
    values = [value for value in fields.values() if isinstance(value, str)]
    mentioned = any(_matches(value, identifier) for value in values) or any(
        mention in value for value in values for mention in mentions
    )
    if not mentioned:
        return record
    cleaned = {
        key: None
        if normalise_name(key) not in kept
        else _scrub_text(value, identifier, mentions)
        if isinstance(value, str)
        else value
        for key, value in fields.items()
    }
    return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
