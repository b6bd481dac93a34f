"""Downloads: lists as CSV and XLSX with formula-like cells neutralised, and calls as an
iCalendar file (RFC 5545)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import polars as pl

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rows with every text cell that a spreadsheet would run as a formula (it
    starts with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with `'`, so it is
    shown as text. Numbers and dates are left as they are."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.slice(0, 1).is_in(FORMULA_STARTS))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )


def to_csv(frame: pl.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads accents and £ correctly."""
    return b"\xef\xbb\xbf" + neutralise(frame).write_csv().encode("utf-8")


def to_xlsx(frame: pl.DataFrame, sheet: str = "leads") -> bytes:
    buffer = io.BytesIO()
    neutralise(frame).write_excel(buffer, worksheet=sheet[:31], autofit=True)
    return buffer.getvalue()


def _escape(text: object) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, newlines as \\n."""
    value = "" if text is None else str(text)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets folded with CRLF and a space (RFC 5545 3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
            limit = 74  # continuation lines start with a space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def calls_to_ics(
    calls: pl.DataFrame, stamp: datetime | None = None, first: date | None = None
) -> bytes:
    """One all-day VEVENT per call due (columns due_date, lead_id, reason, and where present
    client, contact, phone, consultant, candidate), CRLF line endings, stable UIDs. A call overdue
    (due before `first`, the list's first day) goes on that day, saying since when: on its
    own past day no calendar would show it."""
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//leadtrack//calls due//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for call in calls.iter_rows(named=True):
        due: date = call["due_date"]
        key = f"{call['lead_id']}|{due.isoformat()}|{call['reason']}"
        uid = hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]
        who = call.get("contact") or ""
        client = call.get("client") or ""
        summary = f"Call {who} at {client}".strip() if (who or client) else "Call"
        summary += f" ({call['lead_id']})"
        if first and due < first:
            summary += f", overdue since {due:%d/%m/%Y}"
            due = first
        description = "\n".join(
            part
            for part in (
                call["reason"],
                f"Candidate: {call['candidate']}" if call.get("candidate") else "",
                f"Phone: {call['phone']}" if call.get("phone") else "",
                f"Consultant: {call['consultant']}" if call.get("consultant") else "",
                f"Lead: {call['lead_id']}",
            )
            if part
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@leadtrack",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
