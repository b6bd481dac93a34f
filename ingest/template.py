"""An empty tracker workbook for the current milestone catalogue, which loads back as it is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import xlsxwriter

from ingest.catalogue import Milestone
from ingest.contracts import STATUSES

# The lead's own columns, under the names recruiters use; each matches a field of the tracker.
LEAD_HEADERS = (
    "Ref",
    "Date generated",
    "Consultant",
    "Client",
    "Contact",
    "Phone",
    "Email",
    "Role",
    "Salary",
    "Fee %",
    "Fee",
    "Status",
    "Lost reason",
    "Date closed",
    "Notes",
)


def instructions(milestones: list[Milestone]) -> list[str]:
    """The Instructions sheet's lines, in the words of the team's own checklist: the
    catalogue's first milestone is what a declined lead never reached."""
    return [
        "How to keep this tracker",
        "",
        "One row per lead. Fill in Ref, Date generated and Consultant on every row; the rest"
        " when you know it.",
        "Milestone columns: type the date the lead reached the milestone (dd/mm/yyyy). A date"
        " later than today is a scheduled date, not reached yet: leadtrack puts the call on"
        " that day's list.",
        "Don't know the date? Put Y or ✓: the milestone counts as reached on an unknown date.",
        "Status: Open, Declined (the client said no before"
        f" {milestones[0].label}), Lost (died later: say why in Lost reason), Filled,"
        " Completed. Leave it blank and leadtrack works it out.",
        "Date closed: the day a lead was lost or declined, so that looking back shows it live"
        " until then and dead after.",
        "Salary in pounds, the whole yearly amount (45000 or £45,000); Fee % as 20 or 20%.",
        "Load it with:  leadtrack load this-file.xlsx",
    ]


def write_template(path: Path, milestones: list[Milestone], rows: int = 1000) -> Path:
    """Write the workbook: a frozen header, date validation on every milestone column, a
    status drop-down, and an instructions sheet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lead_headers = list(LEAD_HEADERS)
    headers = lead_headers + [milestone.label for milestone in milestones]
    workbook = xlsxwriter.Workbook(str(path))
    try:
        sheet = workbook.add_worksheet("Leads")
        header = workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        money = workbook.add_format({"num_format": "£#,##0"})
        sheet.write_row(0, 0, headers, header)
        sheet.freeze_panes(1, 1)
        sheet.set_row(0, 45)
        sheet.set_column(0, len(headers) - 1, 14)
        date_columns = [
            headers.index("Date generated"),
            headers.index("Date closed"),
            *range(len(lead_headers), len(headers)),
        ]
        for column in date_columns:
            sheet.set_column(column, column, 13, date_format)
            sheet.data_validation(
                1,
                column,
                rows,
                column,
                {
                    "validate": "date",
                    "criteria": ">",
                    "value": date(2000, 1, 1),
                    "input_title": "A date",
                    "input_message": "dd/mm/yyyy, or leave blank",
                    "error_type": "warning",
                    "error_message": "Type a date as dd/mm/yyyy (or Y if the date is unknown).",
                },
            )
        status_column = headers.index("Status")
        sheet.data_validation(
            1,
            status_column,
            rows,
            status_column,
            {
                "validate": "list",
                "source": [status.title() for status in STATUSES],
            },
        )
        salary_column = headers.index("Salary")
        sheet.set_column(salary_column, salary_column, 12, money)
        guide = workbook.add_worksheet("Instructions")
        guide.set_column(0, 0, 110)
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        for row, line in enumerate(instructions(milestones)):
            guide.write(row, 0, line, header if row == 0 else wrap)
    finally:
        workbook.close()
    return path
