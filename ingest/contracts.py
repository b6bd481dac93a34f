"""What each kind of export holds, declared as data: fields, types, the header names people
give them, which are required, and what makes two rows the same.

The loader turns a contract into one SQL statement that types every column and collects every
row's problems; nothing here runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ingest.catalogue import normalise_name

FieldType = Literal["text", "id", "date", "timestamp", "money", "percent", "status", "milestone"]


@dataclass(frozen=True)
class Field:
    """One column of a kind: its raw name, type, and the headers exports give it."""

    name: str
    type: FieldType
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # Words for people (a note, a job title, a phone number) that no model counts, groups or
    # joins by: an Excel error in it (#N/A from a broken lookup) is kept as its text, for
    # whoever reads it, rather than costing the row its dates. In any other field it rejects
    # the row (`ingest.checks.RowChecks.column`).
    free_text: bool = False
    # The smallest amount a money field can hold, and what a smaller one is said to be: a
    # salary written in thousands (45 for £45,000) would load a thousand times too small.
    smallest: int | None = None
    too_small: str = ""

    def header_names(self) -> set[str]:
        return {normalise_name(name) for name in (self.name, self.label, *self.aliases)}


@dataclass(frozen=True)
class Contract:
    """One kind of export and the raw table it lands in."""

    kind: str
    table: str
    fields: tuple[Field, ...]
    # Two rows with the same values here describe the same thing: the later one in a file is
    # rejected as a duplicate. Empty: only exact duplicate rows are.
    key: tuple[str, ...] = ()
    # Headers that single this kind out when `--kind` is not given.
    signature: tuple[str, ...] = ()
    # What such a file is called in messages ("a call log").
    called: str = ""

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)


LEAD_ID = Field(
    "lead_id",
    "id",
    "Lead ID",
    (
        "Ref",
        "Reference",
        "Lead ref",
        "Lead",
        "Lead number",
        "Job ref",
        "Vacancy ref",
        "Deal ID",
        "Opportunity ID",
    ),
    required=True,
)

NOTES_ALIASES = ("Comments", "Note", "Comment")

LEAD_FIELDS = (
    LEAD_ID,
    Field(
        "created_date",
        "date",
        "Created date",
        (
            "Date",
            "Created",
            "Date generated",
            "Date created",
            "Lead date",
            "Created on",
            "Date added",
            "Create date",
            "Opened",
        ),
        required=True,
    ),
    Field(
        "consultant",
        "text",
        "Consultant",
        ("Owner", "Recruiter", "Lead owner", "Deal owner", "Account manager"),
        required=True,
    ),
    Field(
        "client",
        "text",
        "Client",
        (
            "Company",
            "Account",
            "Client name",
            "Company name",
            "Organisation",
            "Organization",
            "Employer",
        ),
        free_text=True,
    ),
    Field(
        "contact",
        "text",
        "Contact",
        ("Contact name", "Hiring manager", "Client contact"),
        free_text=True,
    ),
    Field(
        "phone",
        "text",
        "Phone",
        ("Telephone", "Tel", "Phone number", "Contact phone", "Mobile", "Contact number"),
        free_text=True,
    ),
    Field("email", "text", "Email", ("Contact email", "E-mail", "Email address"), free_text=True),
    Field(
        "job_title",
        "text",
        "Role",
        ("Job title", "Position", "Vacancy", "Job", "Title", "Job role"),
        free_text=True,
    ),
    Field(
        "salary",
        "money",
        "Salary",
        ("Base salary", "Package", "Salary (£)", "Annual salary"),
        smallest=1000,
        too_small="too small for a yearly salary: write the whole amount, like 45000 or 45k",
    ),
    Field("fee_pct", "percent", "Fee %", ("Fee percent", "Fee rate", "Fee percentage", "Fee pc")),
    Field(
        "fee", "money", "Fee", ("Fee amount", "Expected fee", "Fee (£)", "Amount", "Deal amount")
    ),
    Field("status", "status", "Status", ("Lead status", "Outcome", "State")),
    Field(
        "lost_reason",
        "text",
        "Lost reason",
        ("Reason lost", "Reason", "Closed lost reason", "Why lost"),
        free_text=True,
    ),
    # The day a lost or declined lead closed, where the export keeps it. Not "Close date": a
    # CRM's is the forecast close of an open deal too.
    Field(
        "closed_date",
        "date",
        "Date closed",
        (
            "Closed date",
            "Closed on",
            "Date lost",
            "Lost date",
            "Lost on",
            "Date declined",
            "Declined date",
            "Declined on",
        ),
    ),
    Field("notes", "text", "Notes", NOTES_ALIASES, free_text=True),
)

CONTRACTS: dict[str, Contract] = {
    "leads": Contract(
        "leads",
        "leads",
        LEAD_FIELDS,
        key=("lead_id",),
        signature=("lead_id", "created_date"),
        called="a leads file",
    ),
    "tracker": Contract(
        "tracker",
        "leads",
        LEAD_FIELDS,
        key=("lead_id",),
        signature=("lead_id",),
        called="a tracker",
    ),
    "events": Contract(
        "events",
        "milestone_events",
        (
            LEAD_ID,
            Field(
                "milestone",
                "milestone",
                "Milestone",
                (
                    "Stage",
                    "Stage name",
                    "Event",
                    "Step",
                    "Pipeline stage",
                    "Status to",
                    "Deal stage",
                ),
                required=True,
            ),
            Field(
                "event_date",
                "date",
                "Event date",
                (
                    "Date",
                    "Date reached",
                    "Reached",
                    "Stage date",
                    "Date entered",
                    "Changed at",
                    "Updated at",
                ),
                required=True,
            ),
            Field(
                "candidate",
                "text",
                "Candidate",
                ("Candidate name", "Applicant", "Candidate ID", "Application ID"),
                free_text=True,
            ),
            Field("notes", "text", "Notes", NOTES_ALIASES, free_text=True),
        ),
        signature=("milestone", "event_date"),
        called="a milestone history (one row per lead and milestone)",
    ),
    "calls": Contract(
        "calls",
        "calls",
        (
            Field(
                "call_id",
                "id",
                "Call ID",
                ("Call ref", "Activity ID", "Call number", "Engagement ID"),
            ),
            Field("lead_id", "id", "Lead ID", LEAD_ID.aliases),
            Field(
                "consultant",
                "text",
                "Consultant",
                ("Caller", "User", "Owner", "Called by", "Agent", "Recruiter"),
                required=True,
            ),
            Field(
                "called_at",
                "timestamp",
                "Called at",
                (
                    "Date/Time",
                    "Date time",
                    "Call date",
                    "Call time",
                    "Date",
                    "Time",
                    "Timestamp",
                    "When",
                    "Started at",
                ),
                required=True,
            ),
            Field(
                "outcome",
                "text",
                "Outcome",
                ("Result", "Call outcome", "Disposition", "Call result"),
            ),
            Field(
                "callback_date",
                "date",
                "Call back on",
                (
                    "Callback",
                    "Call back",
                    "Callback date",
                    "Call back date",
                    "Next call",
                    "Follow up",
                    "Follow-up date",
                    "Call me on",
                ),
            ),
            Field(
                "contact", "text", "Contact", ("Contact name", "Spoke to", "Person"), free_text=True
            ),
            Field("notes", "text", "Notes", (*NOTES_ALIASES, "Summary"), free_text=True),
        ),
        key=("call_id",),
        signature=("called_at", "outcome"),
        called="a call log",
    ),
    "consultants": Contract(
        "consultants",
        "consultants",
        (
            Field(
                "consultant",
                "text",
                "Consultant",
                ("Name", "Consultant name", "Recruiter", "User", "Full name"),
                required=True,
            ),
            Field("team", "text", "Team", ("Desk", "Division", "Department")),
            Field("manager", "text", "Manager", ("Team leader", "Line manager", "Reports to")),
            Field("email", "text", "Email", ("E-mail", "Email address"), free_text=True),
        ),
        key=("consultant",),
        signature=("consultant", "team"),
        called="a list of consultants",
    ),
}

KINDS = tuple(CONTRACTS)

# Status words people write, mapped to the canonical status.
STATUS_WORDS: dict[str, str] = {
    normalise_name(word): status
    for status, words in {
        "open": ("open", "active", "live", "in progress", "on hold", "ongoing", "working", "new"),
        "declined": (
            "declined",
            "no thanks",
            "thanks but no thanks",
            "not needed",
            "declined our help",
            "refused",
            "not interested",
        ),
        "lost": (
            "lost",
            "dead",
            "closed lost",
            "cancelled",
            "canceled",
            "withdrawn",
            "failed",
            "filled internally",
            "filled by another agency",
            "fell through",
        ),
        "filled": ("filled", "placed", "won", "closed won", "started", "placement"),
        "completed": ("completed", "complete", "probation completed", "probation passed", "done"),
    }.items()
    for word in words
}
STATUSES = ("open", "declined", "lost", "filled", "completed")


def _header_owners() -> dict[str, str]:
    """Headers that say which raw table a file feeds, keyed by normalised header: a header
    only one table's kinds know (Client, Team, Stage, Date/Time), or that one knows by its own
    name and the others only as an alternative (Outcome: a call's outcome, a lead's status
    only loosely). Shared headers (Date, Ref, Consultant, Notes) are nobody's."""
    knowing: dict[str, set[str]] = {}
    naming: dict[str, set[str]] = {}
    for contract in CONTRACTS.values():
        for field in contract.fields:
            for header in field.header_names():
                knowing.setdefault(header, set()).add(contract.table)
            for header in {normalise_name(field.name), normalise_name(field.label)}:
                naming.setdefault(header, set()).add(contract.table)
    owners = {}
    for header, tables in knowing.items():
        owner = tables if len(tables) == 1 else naming.get(header, set())
        if len(owner) == 1:
            (owners[header],) = owner
    return owners


# Headers of a column holding the time of day alone: for a timestamp, a column with the
# date is taken instead when there is one (Time, Date: the date).
TIME_OF_DAY = {normalise_name("Time")}

# Which raw table a header belongs to, when it belongs to one (`_header_owners`): in
# detecting a file's kind, a column another kind owns does not count for this one.
HEADER_OWNERS: dict[str, str] = _header_owners()
