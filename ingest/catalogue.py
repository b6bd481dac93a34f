"""The milestone catalogue: the ordered checklist every lead moves through.

The catalogue is configuration (`seeds/milestones.csv` by default, or a team's own file named
in the settings). Ingest reads it to recognise milestone names in exports and copies it into
`raw.milestone_catalogue`, where dbt reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

CATALOGUE_COLUMNS = (
    "milestone_order",
    "milestone",
    "label",
    "is_decision_point",
    "aliases",
    "quiet_after_days",
    "needs_confirmation",
    "is_filled",
    "call_on_day",
    "follow_up_call",
    "follow_up_after_days",
)


# The flags (true or false; yes or no too) and the whole numbers among those columns.
FLAG_COLUMNS = ("is_decision_point", "needs_confirmation", "is_filled")
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")
NUMBER_COLUMNS = ("milestone_order", "quiet_after_days", "follow_up_after_days")
REQUIRED_NUMBERS = ("milestone_order",)


class CatalogueError(ValueError):
    """The milestone catalogue file cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Milestone:
    """One milestone of the checklist."""

    order: int
    code: str
    label: str
    aliases: tuple[str, ...]


def normalise_name(text: str) -> str:
    """A name reduced for loose matching: case, spacing and punctuation do not count.

    `Fee %` and `fee percent` match; `CVs received`, `cvs-received` and `CVS RECEIVED` match.
    """
    text = text.lower().replace("%", " percent ").replace("&", " and ").replace("#", " number ")
    return re.sub(r"[^0-9a-z]+", "", text)


def read_catalogue_frame(path: Path) -> pl.DataFrame:
    """The catalogue as a data frame with its columns typed, checked for use."""
    if not path.exists():
        raise CatalogueError(
            f"{path}: milestone catalogue not found; --milestones (or LEADTRACK_MILESTONES)"
            " names it: point it at an existing file, or leave it out for the default"
        )
    try:
        frame = pl.read_csv(path, infer_schema_length=0)
    except pl.exceptions.PolarsError as error:
        first = str(error).strip().splitlines()[0]
        raise CatalogueError(
            f"{path}: not a catalogue CSV ({first}): start from a copy of seeds/milestones.csv"
        ) from None
    missing = [column for column in CATALOGUE_COLUMNS if column not in frame.columns]
    if missing:
        raise CatalogueError(
            f"{path}: the catalogue lacks the column(s) {', '.join(missing)}; a catalogue"
            f" has the columns {', '.join(CATALOGUE_COLUMNS)}: start from a copy of"
            " seeds/milestones.csv"
        )
    if frame.is_empty():
        raise CatalogueError(f"{path}: the catalogue has no milestones: one row per milestone")
    frame = unsorted = frame.select(pl.col(CATALOGUE_COLUMNS).str.strip_chars())
    frame = frame.with_columns(
        *(_typed(frame, path, column, "flag") for column in FLAG_COLUMNS),
        *(_typed(frame, path, column, "number") for column in NUMBER_COLUMNS),
    ).sort("milestone_order")
    codes = frame["milestone"].to_list()
    if len(set(codes)) != len(codes) or frame["milestone"].null_count():
        raise CatalogueError(f"{path}: every milestone needs a unique code")
    if frame["label"].null_count():
        raise CatalogueError(f"{path}: every milestone needs a label")
    # Each milestone's row in the file, as written: the frame is sorted by milestone_order.
    rows = {code: index + 2 for index, code in enumerate(unsorted["milestone"])}
    orders = dict(zip(frame["milestone"], frame["milestone_order"], strict=True))
    placed: dict[int, str] = {}
    for code in unsorted["milestone"]:
        if orders[code] in placed:
            first = placed[orders[code]]
            raise CatalogueError(
                f"{path}, row {rows[code]}: milestone_order {orders[code]} is also {first}'s"
                f" (row {rows[first]}): the checklist is in order, and a lead at a later"
                " milestone has reached every earlier one, so give each milestone its own number"
            )
        placed[orders[code]] = code
    if not frame["is_filled"].any():
        raise CatalogueError(
            f"{path}: mark one milestone is_filled=true (the one that fills a lead)"
        )
    filled = frame.filter(pl.col("is_filled"))["milestone"]
    if filled.len() > 1:
        first, second = filled[0], filled[1]
        raise CatalogueError(
            f"{path}, row {rows[second]}: is_filled is true on {second} and on {first} (row"
            f" {rows[first]}): one milestone fills a lead: set is_filled to false on the other"
        )
    return frame


def _typed(frame: pl.DataFrame, path: Path, column: str, kind: str) -> pl.Series:
    """A flag (true or false; yes or no too) or whole-number column of the catalogue, typed; a
    value that is neither, or a required one missing, stops with the file, row and column."""
    text = frame[column]
    required = kind == "flag" or column in REQUIRED_NUMBERS
    if kind == "flag":
        lowered = pl.col(column).str.to_lowercase()
        flags = pl.when(lowered.is_in(TRUE_WORDS)).then(True).when(lowered.is_in(FALSE_WORDS))
        values = frame.select(flags.then(False).otherwise(None).alias(column)).to_series()
        wanted = "true or false"
    else:
        values = text.cast(pl.Int32, strict=False)
        wanted = "a whole number" + ("" if required else " (or nothing)")
    wrong = values.is_null() if required else values.is_null() & text.is_not_null()
    if wrong.any():
        row = int(wrong.arg_max())
        written = "empty" if text[row] is None else repr(text[row])
        raise CatalogueError(f"{path}, row {row + 2}: {column} is {written}: write {wanted}")
    return values


def read_catalogue(path: Path) -> list[Milestone]:
    """The milestones of the catalogue at `path`, in checklist order."""
    frame = read_catalogue_frame(path)
    return [
        Milestone(
            order=row["milestone_order"],
            code=row["milestone"],
            label=row["label"],
            aliases=tuple(alias.strip() for alias in (row["aliases"] or "").split("|") if alias),
        )
        for row in frame.iter_rows(named=True)
    ]


def milestone_names(milestones: list[Milestone]) -> dict[str, str]:
    """Every name an export may use for a milestone (code, label, aliases), normalised, mapped
    to the milestone's code."""
    names: dict[str, str] = {}
    for milestone in milestones:
        for name in (milestone.code, milestone.label, *milestone.aliases):
            names.setdefault(normalise_name(name), milestone.code)
    return names
