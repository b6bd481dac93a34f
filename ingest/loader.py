"""Load exports into the raw schema: one file, one transaction, one row in `raw.loads`.

A file's good rows load and its bad rows go to `raw.rejected_rows` with a reason; a file that
cannot be read loads nothing; a file whose content was loaded before, read the same way (sheet,
kind, mapping, date order: `LoadOptions`), is skipped.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from ingest.catalogue import (
    CatalogueError,
    Milestone,
    milestone_names,
    normalise_name,
    read_catalogue,
    read_catalogue_frame,
)
from ingest.checks import (
    OTHER_ORDER_POSSIBLE,
    RowChecks,
    consultant_key,
    is_tick_text,
    iso_shape,
    money_dot_groups,
    reached_text,
)
from ingest.contracts import CONTRACTS, HEADER_OWNERS, KINDS, TIME_OF_DAY, Contract, Field
from ingest.csv_reader import TextScan, TextScanner, drop_read, malformed_lines, open_csv
from ingest.errors import IngestError
from ingest.mapping import Mapping
from ingest.schema import create_raw_schema
from ingest.source import SourceTable, blank_header, find_header_row, header_texts, sql_literal
from ingest.writers import LoadOptions, RawWriter, as_writer
from ingest.xlsx_reader import (
    WORKBOOK_SUFFIXES,
    frame_name,
    other_sheet_heads,
    read_xlsx_into,
    sheet_names,
)

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
SOURCE = "_lt_source"
TYPED = "_lt_typed"
DUPLICATES = "_lt_duplicates"
FLAGGED = "_lt_flagged"
RECORDS = "_lt_records"
# Files at least this big are hashed while they are read.
HASH_ALONGSIDE_BYTES = 64 << 20
# The size of the reads that hash and check a file (`scan_file`).
SCAN_CHUNK = 1 << 18
# Rows sampled to tell which date columns hold ISO dates.
DATE_SAMPLE_ROWS = 1000
# What the first cell of a tracker's totals row says (as `normalise_name` reduces it).
TOTALS_WORDS = ("total", "totals", "grandtotal")


@dataclass(frozen=True)
class LoadResult:
    """What became of one file."""

    path: Path
    kind: str
    load_id: int | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int
    already_loaded: bool = False
    # Of the rows skipped, the totals rows at the bottom of a tracker (`Total`, `Grand
    # total`): the others were skipped by the mapping.
    totals_skipped: int = 0
    # The file's columns that no field or milestone took (a milestone heading the
    # catalogue does not know), by their headers: loaded nowhere, so the output names them.
    unused_columns: tuple[str, ...] = ()
    # Columns the mapping renames to a name that is no field or milestone of the kind
    # ("Decision maker -> contcat"): hidden on purpose, or a typo; the output names them.
    hidden_columns: tuple[str, ...] = ()
    # A workbook loaded without --sheet: its other sheets that look like exports, with their
    # kinds. Not loaded (only the first sheet is), so the output names them.
    other_sheets: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Columns:
    """Which source column feeds which field, and which columns are milestones (trackers): a
    milestone may have two, a tick column and a date column (Started, Start date), the date
    column first, whose date wins over the tick; `times`: the column of the time of day
    (Time) that goes with a timestamp field's date column (Date), when the file splits the
    two."""

    fields: dict[str, str]
    milestones: dict[str, tuple[str, ...]]
    times: dict[str, str]


def connect(warehouse: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file, created with its raw schema when new."""
    if read_only:
        return duckdb.connect(str(warehouse), read_only=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    # The command line draws its own progress; DuckDB's bar would print over it.
    con.execute("set enable_progress_bar = false")
    create_raw_schema(con)
    return con


def file_sha256(path: Path) -> str:
    return scan_file(path).sha256


@dataclass(frozen=True)
class FileScan:
    """What one read of a file's bytes tells: its content hash, and what the CSV reader needs
    to know of it (`ingest.csv_reader.TextScan`)."""

    sha256: str
    text: TextScan


def scan_file(path: Path) -> FileScan:
    digest = hashlib.sha256()
    text = TextScanner()
    # Read into one buffer small enough to stay in the processor's cache for the hash and the
    # text checks, which then cost half what they do on fresh 4 MB chunks.
    buffer = bytearray(SCAN_CHUNK)
    with path.open("rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            chunk = buffer if size == SCAN_CHUNK else buffer[:size]
            digest.update(chunk)
            text.feed(chunk)
    return FileScan(digest.hexdigest(), text.result())


@cache
def _hasher() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadtrack-sha256")


def expand_paths(
    paths: Iterable[Path], on_skip: Callable[[Path, str], None] | None = None
) -> list[Path]:
    """Files as given, and the loadable files inside folders (sorted by name). The lock files
    Excel and LibreOffice leave beside an open workbook are skipped, each told to `on_skip`
    with the reason."""
    files: list[Path] = []
    for path in paths:
        in_folder = path.is_dir()
        for child in sorted(path.iterdir()) if in_folder else [path]:
            if program := _lock_file_program(child):
                if on_skip:
                    on_skip(
                        child,
                        f"{program}'s lock file (a workbook open in {program}), not an export;"
                        " skipped",
                    )
            elif not in_folder or (
                child.is_file() and child.suffix.lower() in TEXT_SUFFIXES | WORKBOOK_SUFFIXES
            ):
                files.append(child)
    return files


def _lock_file_program(path: Path) -> str | None:
    """The program that left `path` beside a workbook it has open, when it is a lock file:
    Excel's `~$tracker.xlsx`, LibreOffice's `.~lock.tracker.xlsx#`."""
    if path.name.startswith("~$"):
        return "Excel"
    if path.name.startswith(".~lock.") and path.name.endswith("#"):
        return "LibreOffice"
    return None


def sync_catalogue(con: duckdb.DuckDBPyConnection | RawWriter, catalogue: Path) -> int | None:
    """Copy the milestone catalogue into `raw.milestone_catalogue` when it changed; the new
    load's id, or None when the warehouse already has this version."""
    writer = as_writer(con)
    frame = read_catalogue_frame(catalogue)
    sha = file_sha256(catalogue)
    if writer.latest_catalogue_sha() == sha:
        return None
    _refuse_dropping_loaded_milestones(writer, frame, catalogue)
    started = datetime.now()
    writer.checks.register(
        "_lt_catalogue", frame.with_row_index("_source_row", offset=2).to_arrow()
    )
    try:
        with writer.transaction() as load_id:
            writer.insert(
                "milestone_catalogue",
                "select * exclude (_source_row), ? as _load_id, ? as _source_file,"
                " cast(_source_row as integer) as _source_row, ? as _loaded_at"
                " from _lt_catalogue",
                [load_id, str(catalogue), started],
            )
            _record_load(
                writer,
                load_id,
                catalogue,
                sha,
                "catalogue",
                None,
                (frame.height, frame.height, 0, 0),
                started,
            )
    finally:
        writer.checks.unregister("_lt_catalogue")
    return load_id


def _refuse_dropping_loaded_milestones(
    writer: RawWriter, frame: pl.DataFrame, catalogue: Path
) -> None:
    """Stop a catalogue that no longer has a milestone the exports already loaded reached
    (a date or a tick, in any version), saying which, for how many leads, from which file,
    and what to do. raw keeps every load: without the milestone its dates would drop out of
    every report and move the leads' furthest milestones and statuses (the models' test that
    every event's milestone is in the catalogue fails the build instead, naming none of
    this). A code renamed reads as one taken out and another added."""
    codes = {code.lower() for code in frame["milestone"]}
    held = writer.fetch(
        "select lower(trim(milestone)), count(distinct trim(lead_id)), max(_load_id)"
        " from raw.milestone_events where event_date is not null or is_date_unknown"
        " group by lower(trim(milestone)) order by lower(trim(milestone))"
    )
    dropped = [row for row in held if row[0] not in codes]
    if not dropped:
        return
    load_ids = ", ".join(str(int(load_id)) for _, _, load_id in dropped)
    files = dict(
        writer.fetch(f"select load_id, file_name from raw.loads where load_id in ({load_ids})")
    )
    described = [
        f"{code}, which the exports already loaded hold for {leads:,} lead{'s' * (leads != 1)}"
        f" (the latest from {files.get(load_id, 'an earlier load')}, load {load_id})"
        for code, leads, load_id in dropped
    ]
    them = "them" if len(dropped) > 1 else "it"
    raise CatalogueError(
        f"{catalogue}: the catalogue has no milestone {'; nor '.join(described)}. Put {them}"
        " back in the catalogue: a milestone no longer kept can stay (a lead reaching a later"
        " milestone reaches it too); to rename a milestone, change its label and keep its"
        f" code. Without {them}, those dates would be left out of every report, and the"
        " leads' furthest milestones and statuses would move."
    )


def load_files(
    con: duckdb.DuckDBPyConnection | RawWriter,
    paths: Sequence[Path],
    catalogue: Path,
    *,
    kind: str | None = None,
    mapping: Mapping | None = None,
    dayfirst: bool = True,
    sheet: str | None = None,
    on_file: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load each file (folders: the files inside) in its own transaction, into the DuckDB
    warehouse of `con`, or through a writer (PostgreSQL)."""
    con = as_writer(con)
    sync_catalogue(con, catalogue)
    milestones = read_catalogue(catalogue)
    results = []
    for path in expand_paths(paths):
        result = load_file(
            con, path, milestones, kind=kind, mapping=mapping, dayfirst=dayfirst, sheet=sheet
        )
        results.append(result)
        if on_file:
            on_file(result)
    return results


def load_file(
    writer: duckdb.DuckDBPyConnection | RawWriter,
    path: Path,
    milestones: list[Milestone],
    *,
    kind: str | None = None,
    mapping: Mapping | None = None,
    dayfirst: bool = True,
    sheet: str | None = None,
) -> LoadResult:
    """Load one file; see the module's documentation for what is promised."""
    if not path.is_file():
        raise IngestError(path, "no such file")
    if path.stat().st_size == 0:
        raise IngestError(path, "the file is empty (0 bytes): export it again")
    writer = as_writer(writer)
    con = writer.checks
    # A big file is hashed in a thread while DuckDB reads it (a file loaded before is then
    # read once before it is skipped); a small one first.
    hashing = _hasher().submit(scan_file, path)
    kind = kind or (mapping.kind if mapping else None)
    options = LoadOptions(sheet, kind, mapping.name if mapping else None, dayfirst)
    if path.stat().st_size < HASH_ALONGSIDE_BYTES and (
        previous := writer.previous_load(hashing.result().sha256, options)
    ):
        return LoadResult(path, previous[1], previous[0], 0, 0, 0, 0, already_loaded=True)
    names = milestone_names(milestones)
    known = _known_headers(names, mapping)

    def header_score(row: Sequence[str | None]) -> int:
        return sum(normalise_name(cell) in known for cell in row if cell)

    started = datetime.now()
    RowChecks.install_macros(con)
    try:
        with _read(
            con,
            path,
            sheet,
            header_score,
            lambda: hashing.result().text,
        ) as read:
            sha = hashing.result().sha256
            if previous := writer.previous_load(sha, options):
                return LoadResult(path, previous[1], previous[0], 0, 0, 0, 0, already_loaded=True)
            source = _apply_lookups(con, path, read, mapping)
            try:
                columns, kind = _assign_columns(path, source, names, mapping, kind)
            except UnknownKind as error:
                if path.suffix.lower() not in WORKBOOK_SUFFIXES:
                    raise
                hint = _other_sheets(path, read.sheet, header_score, names, mapping)
                raise IngestError(path, error.problem + hint) from None
            contract = CONTRACTS[kind]
            used = {
                *columns.fields.values(),
                *(column for cells in columns.milestones.values() for column in cells),
                *columns.times.values(),
            }
            # A column the mapping names (renamed to no field, or filtering rows) is read.
            renamed = (
                {normalise_name(name): to for name, to in mapping.rename.items()} if mapping else {}
            )
            filters = (
                {normalise_name(name) for name in mapping.keep_rows_where} if mapping else set()
            )
            # A spacer column (no header, no value) is nothing left out.
            spacers = _empty_columns(
                con,
                source.relation,
                [
                    column
                    for index, (column, header) in enumerate(
                        zip(source.columns, source.headers, strict=True)
                    )
                    if column not in used and header == blank_header(index)
                ],
            )
            left = [
                (header, normalise_name(header))
                for column, header in zip(source.columns, source.headers, strict=True)
                if column not in used and column not in spacers and header
            ]
            unused = tuple(
                header for header, name in left if name not in renamed and name not in filters
            )
            hidden = tuple(
                f"{header} -> {renamed[name]}"
                for header, name in left
                if name in renamed and name not in filters
            )
            checks = RowChecks(
                contract, names, {m.code: m.label for m in milestones}, mapping, dayfirst
            )
            checked = _check(con, source, contract, columns, checks, mapping)
            # (A workbook of one sheet is not opened again to look for others.)
            others = (
                tuple(_export_sheets(path, read.sheet, header_score, names, mapping).items())
                if sheet is None and len(read.sheets) > 1
                else ()
            )
        if checked.read + len(checked.malformed) == 0:
            raise IngestError(path, "the file has a header row but no data rows")
        with _unordered(con), writer.transaction() as load_id:
            if previous := writer.previous_load(sha, options):
                # The same content, loaded by someone else while this file was checked.
                return LoadResult(path, previous[1], previous[0], 0, 0, 0, 0, already_loaded=True)
            counts = _write(writer, contract, columns, checked, load_id, path, datetime.now())
            _record_load(writer, load_id, path, sha, kind, options, counts[:4], started)
    finally:
        drop_read(con, SOURCE)
        for table in (TYPED, DUPLICATES, FLAGGED, RECORDS):
            con.execute(f"drop table if exists {table}")
        con.unregister(frame_name(SOURCE))
    *load_counts, totals = counts
    return LoadResult(
        path,
        kind,
        load_id,
        *load_counts,
        totals_skipped=totals,
        unused_columns=unused,
        hidden_columns=hidden,
        other_sheets=others,
    )


def _empty_columns(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str]
) -> set[str]:
    """Those of `columns` (of `relation`) that hold no value in any record."""
    if not columns:
        return set()
    (found,) = con.execute(
        f"select {', '.join(f'count(lt_text({column}))' for column in columns)} from {relation}"
    ).fetchall()
    return {column for column, values in zip(columns, found, strict=True) if not values}


def _known_headers(names: dict[str, str], mapping: Mapping | None) -> set[str]:
    known = set(names)
    for contract in CONTRACTS.values():
        for field in contract.fields:
            known |= field.header_names()
    if mapping:
        known |= {normalise_name(header) for header in mapping.rename}
        for lookup in mapping.lookups:
            known |= {normalise_name(column) for column in lookup.match}
    return known


@contextmanager
def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None,
    header_score: Callable[[Sequence[str | None]], int],
    scan: Callable[[], TextScan],
) -> Iterator[SourceTable]:
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        yield read_xlsx_into(con, path, SOURCE, header_score, sheet)
        return
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            raise IngestError(path, _zip_named_otherwise(path))
    if sheet is not None:
        raise IngestError(path, "--sheet applies to workbooks (.xlsx); this is a text file")
    with open_csv(con, path, SOURCE, header_score, scan) as source:
        yield source


def _zip_named_otherwise(path: Path) -> str:
    """What to do with a zip file (a workbook is one) that has a text file's name. Not read
    as the workbook it may be: the rename is one step, and the name then says what it is."""
    try:
        with zipfile.ZipFile(path) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        is_workbook = False
    if is_workbook:
        return (
            f"this is an Excel workbook saved with a {path.suffix or 'text'} name, not CSV:"
            f" rename it to {path.with_suffix('.xlsx').name} and load that"
        )
    return "this is a zip or workbook file without an .xlsx name: rename it to .xlsx"


def _apply_lookups(
    con: duckdb.DuckDBPyConnection, path: Path, source: SourceTable, mapping: Mapping | None
) -> SourceTable:
    """Join the mapping's lookup files onto the records (e.g. an ATS application's job)."""
    if not mapping or not mapping.lookups:
        return source
    headers = list(source.headers)
    by_header = {header: f"c{index}" for index, header in enumerate(headers)}
    selects, joins = [], []
    for number, lookup in enumerate(mapping.lookups):
        lookup_path = path.parent / lookup.file
        if not lookup_path.is_file():
            raise IngestError(
                path,
                f"the mapping's lookup file {lookup_path} does not exist: put it beside the export",
            )
        wanted = set(lookup.match.values())
        with open_csv(
            con,
            lookup_path,
            f"_lt_lookup{number}",
            lambda row, wanted=wanted: sum(cell in wanted for cell in row),
        ) as other:
            con.execute(f"create or replace temp table _lt_lookup{number} as from {other.relation}")
            con.execute(f"drop table if exists _lt_lookup{number}_offsets")
        theirs = {header: f"c{index}" for index, header in enumerate(other.headers)}
        missing = [
            column for column in (*lookup.match.values(), *lookup.take) if column not in theirs
        ]
        missing += [column for column in lookup.match if column not in by_header]
        if missing:
            raise IngestError(
                lookup_path, f"the mapping's lookup needs the column(s) {', '.join(missing)}"
            )
        keys = [theirs[column] for column in lookup.match.values()]
        condition = " and ".join(
            f"records.{by_header[mine]} = lookup{number}.{theirs[their]}"
            for mine, their in lookup.match.items()
        )
        joins.append(
            f"left join (select distinct on ({', '.join(keys)}) * from _lt_lookup{number})"
            f" as lookup{number} on {condition}"
        )
        for their, new in lookup.take.items():
            selects.append(f"lookup{number}.{theirs[their]} as c{len(headers)}")
            headers.append(new)
    con.execute(
        f"create or replace temp table {SOURCE} as select records.*, {', '.join(selects)}"
        f" from {source.relation} as records {' '.join(joins)} order by records._source_row"
    )
    for number in range(len(mapping.lookups)):
        con.execute(f"drop table if exists _lt_lookup{number}")
    return SourceTable(f"(from {SOURCE})", tuple(headers), source.rejects_table, source.trimmed)


@dataclass(frozen=True)
class Fit:
    """How a file's columns fit one kind: the columns assigned, how many of them count for
    the kind (`score`: not those another kind owns, `HEADER_OWNERS`), how many only this kind
    has (`own`), and the fields of its signature the file lacks."""

    kind: str
    columns: Columns
    score: int
    own: int
    missing: tuple[str, ...]

    @property
    def detected(self) -> bool:
        """Whether the file can be taken for this kind without `--kind`."""
        return not self.missing and (self.kind != "tracker" or bool(self.columns.milestones))


class UnknownKind(IngestError):
    """No kind of export fits the file's columns."""


def _fit(
    candidate: str,
    source: SourceTable,
    names: dict[str, str],
    mapping: Mapping | None,
) -> Fit:
    """Match headers to the fields (and, for a tracker, milestone columns) of one kind."""
    renamed = {
        normalise_name(key): value for key, value in (mapping.rename if mapping else {}).items()
    }
    contract = CONTRACTS[candidate]
    fields: dict[str, str] = {}
    milestones: dict[str, list[str]] = {}
    headers = {
        column: normalise_name(header)
        for column, header in zip(source.columns, source.headers, strict=True)
    }
    for column, name in headers.items():
        target = renamed.get(name)
        if target and target in names.values() and candidate == "tracker":
            milestones.setdefault(target, []).append(column)
            continue
        match = next(
            (
                field.name
                for field in contract.fields
                if (target == field.name) or (not target and name in field.header_names())
            ),
            None,
        )
        # A column of the time of day alone (Time) gives way to one with the date.
        if match and (match not in fields or headers[fields[match]] in TIME_OF_DAY):
            fields[match] = column
        elif candidate == "tracker" and not target and (milestone := _milestone_named(name, names)):
            milestones.setdefault(milestone, []).append(column)
    time_of_day = next((column for column, name in headers.items() if name in TIME_OF_DAY), None)
    times = {
        name: time_of_day
        for name, column in fields.items()
        if time_of_day
        and contract.field(name).type == "timestamp"
        and headers.get(column) not in TIME_OF_DAY
    }
    if mapping:
        for constant in mapping.constants:
            fields.setdefault(constant, f"const:{constant}")
    # A mapping's rename says what a column is; a header another kind owns (Outcome, a
    # call's) does not count for this one.
    owners = [
        contract.table if name in renamed else HEADER_OWNERS.get(name)
        for name in (headers.get(column, "") for column in fields.values())
    ]
    # A milestone's date column (headed "... date") before its tick column.
    dated_first = {
        code: tuple(sorted(cells, key=lambda column: not headers[column].endswith("date")))
        for code, cells in milestones.items()
    }
    return Fit(
        candidate,
        Columns(fields, dated_first, times),
        score=sum(owner in (None, contract.table) for owner in owners) + len(milestones),
        own=owners.count(contract.table) + len(milestones),
        missing=tuple(name for name in contract.signature if name not in fields),
    )


def _milestone_named(name: str, names: dict[str, str]) -> str | None:
    """The milestone a (normalised) header names, also with "date" after it: "CV sent date",
    "1st interview date" (the date a milestone was reached, as trackers head it)."""
    if name in names:
        return names[name]
    stem = name.removesuffix("date")
    return names.get(stem) if stem != name and stem else None


def _assign_columns(
    path: Path,
    source: SourceTable,
    names: dict[str, str],
    mapping: Mapping | None,
    kind: str | None,
) -> tuple[Columns, str]:
    """Match headers to fields (and milestone columns); detect the kind when not given."""
    fit = _fit(kind, source, names, mapping) if kind else _detect(path, source, names, mapping)
    contract = CONTRACTS[fit.kind]
    missing = [
        field
        for field in contract.fields
        if field.required and field.name not in fit.columns.fields
    ]
    if missing:
        raise IngestError(path, _no_column(missing[0], source.headers))
    return fit.columns, fit.kind


def _detect(path: Path, source: SourceTable, names: dict[str, str], mapping: Mapping | None) -> Fit:
    """The kind whose columns the file fits best; a file two kinds fit equally well, or none,
    loads nothing and says why."""
    fits = sorted(
        (_fit(candidate, source, names, mapping) for candidate in KINDS),
        key=lambda fit: fit.score,
        reverse=True,
    )
    detected = [fit for fit in fits if fit.detected]
    if len(detected) > 1 and detected[0].score == detected[1].score:
        first, second = (CONTRACTS[fit.kind] for fit in detected[:2])
        raise IngestError(
            path,
            f"its columns ({', '.join(source.headers[:12])}) fit {first.called} ({first.kind})"
            f" and {second.called} ({second.kind}) equally well: load it again with"
            f" --kind {first.kind} or --kind {second.kind}; nothing of it was loaded",
        )
    if detected:
        return detected[0]
    # Near misses: columns of one kind (some only it has), but not those that single it out.
    near = [fit for fit in fits if fit.own and fit.score >= 2]
    if near:
        contract = CONTRACTS[near[0].kind]
        raise IngestError(
            path,
            f"looks like {contract.called}, but has "
            + _no_column(contract.field(near[0].missing[0]), source.headers),
        )
    raise UnknownKind(
        path,
        f"none of the columns ({', '.join(source.headers[:12])}) tells leadtrack what this file"
        " is: name them like the template (Ref, Date generated, Consultant, Client, one column"
        " per milestone...), pass --kind, or describe the export in a mapping file",
    )


def _other_sheets(
    path: Path,
    sheet: str | None,
    header_score: Callable[[Sequence[str | None]], int],
    names: dict[str, str],
    mapping: Mapping | None,
) -> str:
    """For a workbook's sheet `sheet` (the one read) that is no kind of export: the other
    sheet to load, when exactly one is a kind of export, else the workbook's sheets."""
    sheets = sheet_names(path)
    others = [name for name in sheets if name != sheet]
    fitting = _export_sheets(path, sheet, header_score, names, mapping)
    if len(fitting) == 1:
        ((name, kind),) = fitting.items()
        return (
            f". The sheet {name!r} looks like {CONTRACTS[kind].called}: load it with"
            f" --sheet {shlex.quote(name)}"
        )
    if not others:
        return ""
    return f". This workbook's sheets are {', '.join(sheets)}: add --sheet NAME to load another"


def _export_sheets(
    path: Path,
    sheet: str | None,
    header_score: Callable[[Sequence[str | None]], int],
    names: dict[str, str],
    mapping: Mapping | None,
) -> dict[str, str]:
    """A workbook's sheets other than `sheet` (the one read) that look like a kind of
    export, with that kind, in the workbook's order. Not a hidden sheet (lookups, lists)."""
    fitting: dict[str, str] = {}
    for name, head in other_sheet_heads(path, sheet).items():
        if not any(any(row) for row in head):
            continue
        headers = header_texts(head[find_header_row(head, header_score)])
        try:
            fitting[name] = _detect(path, SourceTable("", headers), names, mapping).kind
        except IngestError:
            continue
    return fitting


def _no_column(field: Field, headers: Sequence[str]) -> str:
    """That the file has no column for `field`, the names looked for, and what to do."""
    return (
        f"no column for {field.label} (looked for {', '.join((field.label, *field.aliases))})"
        f"; this file's columns are {', '.join(headers[:12])}: rename one, or map it"
        " in a mapping file"
    )


@dataclass(frozen=True)
class Checked:
    """What the checks found before anything is written: the records read, the lines the
    reader could not split, the SQL of the clean rows (no problem, their key seen once; the
    contract's fields, `m_`/`t_` milestone columns, `_source_row`), how many records share
    their key with another, and `look_closer(every_problem)`, which puts the records that are
    not clean into the temporary table of checked rows with their reasons and returns the SQL
    of the good ones among them. `every_problem` false: only the records of repeated keys
    (the clean rows were all the others). `date_order()`: what `_date_order` says of the
    file's dates; it tells the rejects' messages (`OTHER_ORDER_POSSIBLE`) whether a date
    that reads only the other way round may be one of many."""

    read: int
    malformed: list[tuple[int, str, str]]
    clean: str
    repeated: int
    look_closer: Callable[[bool], str]
    date_order: Callable[[], str | None]


def _check(
    con: duckdb.DuckDBPyConnection,
    source: SourceTable,
    contract: Contract,
    columns: Columns,
    checks: RowChecks,
    mapping: Mapping | None,
) -> Checked:
    """Type and check every record, optimistically: one aggregate over the records' keys
    finds the keys seen twice, and the clean rows (no problem, not skipped, key seen once) are
    written straight from the records, typed on the way, with no pass to find problems first.
    Only when fewer rows were written than that (a row has a problem or is skipped), or keys
    repeat, are the other rows checked closely (`Checked.look_closer`) and given reasons. A
    tracker's typed records are kept, since its milestone columns are read twice."""
    # Until `date_order()` has looked at this file's dates (a file before it may have set it).
    con.execute(f"set variable {OTHER_ORDER_POSSIBLE} = false")

    def text(column: str) -> str:
        if column.startswith("const:"):
            return sql_literal(mapping.constants[column.removeprefix("const:")])  # type: ignore[union-attr]
        return column

    def cell_text(code: str) -> str:
        """A milestone's cell: its column's text, or its date column's, else its tick's (a
        tick beside `n/a` under the date is a tick)."""
        cells = [text(column) for column in columns.milestones[code]]
        if len(cells) == 1:
            return cells[0]
        return f"coalesce({', '.join(reached_text(cell) for cell in cells)})"

    def field_text(name: str) -> str:
        """The text a field is read from: its column's, with the time of day of the file's
        Time column added to the date when the file splits them (Excel's own dates end at
        midnight, and its times start on 31/12/1899: both are dropped). A date that holds
        its own time keeps it."""
        date = text(columns.fields[name])
        if name not in columns.times:
            return date
        time = columns.times[name]
        day = f"regexp_replace({date}, '[ T]0?0:00(:00(\\.0+)?)?$', '')"
        return (
            f"case when {time} is null or regexp_matches({day}, '\\d:\\d\\d') then {date}"
            f" else {day} || ' ' || regexp_replace({time}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}[ T]', '')"
            " end"
        )

    headers = dict(zip(source.columns, source.headers, strict=True))
    # The SQL of each text read as a date, and the header that names it in messages.
    date_columns = {
        column: headers.get(column, column)
        for name, column in columns.fields.items()
        if contract.field(name).type in ("date", "timestamp") and not column.startswith("const:")
    } | {cell_text(code): headers[cells[0]] for code, cells in columns.milestones.items()}
    if date_columns:
        sample = con.execute(
            f"select {', '.join(date_columns)} from {source.relation} limit {DATE_SAMPLE_ROWS}"
        ).fetchall()
        checks.iso_texts = {
            column: timed
            for index, column in enumerate(date_columns)
            if (timed := iso_shape(row[index] for row in sample)) is not None
        }
    checks.money_dot_groups = money_dot_groups(
        con,
        source.relation,
        (
            column
            for name, column in columns.fields.items()
            if contract.field(name).type == "money" and not column.startswith("const:")
        ),
    )
    values, problems, value_of = [], [], {}
    for field in contract.fields:
        if field.name not in columns.fields:
            values.append(f"null as {field.name}")
            continue
        # Messages name the column as the file heads it.
        field = replace(field, label=headers.get(columns.fields[field.name], field.label))
        checked = checks.column(
            field,
            field_text(field.name),
            [
                (text(column), headers.get(column, column))
                for column in (columns.fields[field.name], columns.times[field.name])
            ]
            if field.name in columns.times
            else (),
        )
        value_of[field.name] = checked.value
        values.append(f"{checked.value} as {field.name}")
        if checked.problem:
            problems.append(checked.problem)
        if field.type in ("date", "timestamp"):
            problems.append(checks.plausible(field.name, field.label))
    for code, cells in columns.milestones.items():
        value, is_tick, problem = checks.milestone_cell(
            code,
            cell_text(code),
            [(text(column), headers.get(column, code)) for column in cells],
        )
        values.append(f"{value} as m_{code}, {is_tick} as t_{code}")
        if len(cells) > 1:
            # Ticked, with or without a date: a tick column beside the date column (Started:
            # Y, Start date: 16/11) confirms the date. One column is ticked when undated.
            ticked = " or ".join(is_tick_text(text(column)) for column in cells)
            values.append(f"{ticked} as k_{code}")
        problems.append(problem)
        problems.append(checks.plausible(f"m_{code}", headers.get(cells[0], code)))
    skip = "false"
    if mapping and mapping.unmapped_milestones == "skip" and "milestone" in columns.fields:
        # A history row whose stage is blank (a status-only change) or not mapped is not a
        # milestone move: skipped, like an unmapped stage, never loaded with a null milestone.
        skip = "(milestone is null)"
        problems = [problem for problem in problems if "is not a milestone" not in problem]
    if contract.kind == "calls":
        # A call log without ids: a call is its consultant (matched as staging matches
        # names: case and spacing do not count), its time (as read, whatever the format)
        # and its lead, so repeats in a file are found as staging will merge them. CASE,
        # not coalesce, so the hash is only computed where the id is missing. A log of days
        # (no time of day) tells a lead's calls of one day apart by what else they say: the
        # rows sharing an id are numbered once their ids are found to repeat
        # (`_calls_of_a_day_numbered`), so nothing more is computed for the others.
        fallback = "md5(concat_ws('|', {}, cast({} as varchar), {}))".format(
            consultant_key(text(columns.fields["consultant"])),
            value_of["called_at"],
            text(columns.fields["lead_id"]) if "lead_id" in columns.fields else "''",
        )
        values = [
            f"case when {value.removesuffix(' as call_id')} is null then 'md5:' || {fallback}"
            f" else {value.removesuffix(' as call_id')} end as call_id"
            if value.endswith(" as call_id")
            else value
            for value in values
        ]
    key = contract.key or tuple(
        field.name for field in contract.fields if field.name in columns.fields
    )
    by_field = {name: headers.get(column, name) for name, column in columns.fields.items()}
    key_labels = ", ".join(by_field.get(name, contract.field(name).label) for name in key)
    if contract.kind == "calls" and "call_id" not in columns.fields:
        # Without call ids, a call is its consultant, time and lead (the fallback above).
        time = columns.times.get("called_at")
        key_labels = ", ".join(
            [by_field["consultant"], by_field["called_at"]]
            + ([headers[time]] if time else [])
            + ([by_field["lead_id"]] if "lead_id" in by_field else [])
        )
    # A repeat is told from a copy by the columns other than its key's, which leadtrack
    # already found the same as it reads them (a call's consultant in any case, its time in
    # any format).
    key_fields = (
        ("consultant", "called_at", "lead_id")
        if contract.kind == "calls" and "call_id" not in columns.fields
        else key
    )
    key_columns = {
        column
        for name in key_fields
        for column in (columns.fields.get(name), columns.times.get(name))
        if column
    }
    repeat_reason = _repeat_reason(
        [
            (column, header)
            for column, header in zip(source.columns, source.headers, strict=True)
            if column not in key_columns
        ],
        key_labels,
        _repeat_advice(contract, key_labels, has_id="call_id" in columns.fields),
    )
    record = (
        "cast(json_object("
        + ", ".join(
            f"{sql_literal(header)}, {column}"
            for column, header in zip(source.columns, source.headers, strict=True)
        )
        + ") as varchar)"
    )
    trimmed = ", ".join(
        column if source.trimmed else f"lt_text({column}) as {column}" for column in source.columns
    )
    # Lazily: most records have their first column, so the others are not trimmed for this.
    non_blank = f"coalesce({', '.join(source.columns)}) is not null"
    keep = "true"
    if mapping and mapping.keep_rows_where:
        by_header = dict(zip(source.headers, source.columns, strict=True))
        keep = " and ".join(
            f"{by_header.get(column, 'null')} in ({', '.join(map(sql_literal, allowed))})"
            for column, allowed in mapping.keep_rows_where.items()
        )

    total = _totals_row(
        source.columns,
        [
            column
            for name, column in columns.fields.items()
            if contract.field(name).required and not column.startswith("const:")
        ],
    )

    # A row the mapping does not keep (a blank where it wants a value too) is skipped.
    records = f"""(
        with trimmed as (
            select _source_row, {trimmed} from {source.relation}
        )
        select *, coalesce({keep}, false) as _kept from trimmed where {non_blank}
    )"""

    def typed_records(where: str = "true") -> str:
        """SQL of the typed records (with the source text), of those matching `where`."""
        return f"""(
            with typed as (
                select _source_row, _kept, {", ".join(values)}, {", ".join(source.columns)}
                from {records} as records where {where}
            )
            select *, {skip} as _skip, {total} as _total from typed
        )"""

    # The rows whose key another row has too (by its hash), picked out once by their row.
    flagged_rows = f"(select _source_row from {FLAGGED})"
    if columns.milestones:
        # A tracker's milestone columns are read again for its events: typed once, and kept.
        con.execute(f"create or replace temp table {RECORDS} as from {typed_records()}")
        typed = f"(from {RECORDS})"
        keys = f"select hash({', '.join(key)}) as _key, _source_row from {RECORDS}"
        flagged = f"(from {RECORDS} where _source_row in {flagged_rows})"
    else:
        typed = typed_records()
        # The key computed from the records, to count keys before typing the rest.
        expressions = {name: sql for sql, name in (value.rsplit(" as ", 1) for value in values)}
        record_key_hash = f"hash({', '.join(expressions[name] for name in key)})"
        keys = f"select {record_key_hash} as _key, _source_row from {records} as records"
        flagged = typed_records(f"_source_row in {flagged_rows}")

    # The problems as one test (no messages built): the messages are for the few rows that
    # have one.
    needs_look = " or ".join(
        [
            "not _kept",
            "_skip",
            "_total",
            *([f"coalesce({', '.join(problems)}) is not null"] * bool(problems)),
        ]
    )
    read, repeated = _count_keys(con, keys)
    outputs = ", ".join(
        [
            *(field.name for field in contract.fields),
            *_milestone_columns(columns),
            "_source_row",
        ]
    )
    clean = f"(select {outputs} from {typed} where not ({needs_look})" + (
        f" and _source_row not in {flagged_rows})" if repeated else ")"
    )

    def look_closer(every_problem: bool) -> str:
        # The rows of repeated keys by their row number: computing every row's key again
        # to find them took 2.8 s of a 460,000-row events file's 4.6 s load.
        rows = (
            f"(select * from {typed} where {needs_look} or _source_row in {flagged_rows})"
            if every_problem
            else flagged
        )
        reasons = ", ".join(problems) or "null"
        # The rows' text is kept where keys repeat, to compare a repeat with the first row.
        kept_text = "" if repeated else f"{', '.join(source.columns)}, "
        con.execute(
            f"""
            create or replace temp table {TYPED} as
            with checked as (
                select *, nullif(concat_ws('; ', {reasons}), '') as _problems from {rows}
            )
            select * exclude ({kept_text}_problems),
                case when _kept and not _skip and not _total then _problems end as _reason,
                case
                    when _kept and not _skip and not _total
                        and (_problems is not null or _source_row in {flagged_rows})
                        then {record}
                end as _record
            from checked
            """
        )
        # A key seen twice in the file: every later row repeats the first.
        ok = "_reason is null and _kept and not _skip and not _total"
        if contract.kind == "calls" and repeated:
            con.execute(_calls_of_a_day_numbered(contract, ok))
        con.execute(
            f"create or replace temp table {DUPLICATES} as select {', '.join(key)},"
            f" min(_source_row) as _first_row from {TYPED} where {ok}"
            f" group by all having count(*) > 1"
        )
        if con.execute(f"select count(*) from {DUPLICATES}").fetchall()[0][0]:
            # A repeat's record is its row as the file writes it, as every reject's is; its
            # reason says whether it copies the first row or differs from it, and where.
            matches = " and ".join(
                f"later.{name} is not distinct from repeated.{name}" for name in key
            )
            con.execute(
                f"update {TYPED} set _reason = repeats.reason from ("
                f" select later._source_row, {repeat_reason} as reason"
                f" from {TYPED} as later join {DUPLICATES} as repeated on {matches}"
                " and later._source_row > repeated._first_row and later._reason is null"
                f" join {TYPED} as first on first._source_row = repeated._first_row"
                f") as repeats where {TYPED}._source_row = repeats._source_row"
            )
        return f"(select {outputs} from {TYPED} where {ok})"

    def date_order() -> str | None:
        mistaken, other_order_possible = (
            (None, False)  # the mapping says how its dates are written
            if mapping and mapping.date_formats
            else _date_order(con, source.relation, date_columns, checks.dayfirst)
        )
        con.execute(f"set variable {OTHER_ORDER_POSSIBLE} = {str(other_order_possible).lower()}")
        return mistaken

    return Checked(read, malformed_lines(con, source), clean, repeated, look_closer, date_order)


# The fields that make a call without an id: its consultant, time and lead (the `md5:` id).
CALL_WITHOUT_ID = ("call_id", "consultant", "called_at", "lead_id")


def _calls_of_a_day_numbered(contract: Contract, ok: str) -> str:
    """SQL numbering the calls of a log of days among a call log's rows whose derived ids
    repeat (TYPED; its good rows: `ok`): rows with the same consultant, lead and a time with
    no time of day (midnight) that differ in another field leadtrack reads are separate
    calls (no answer in the morning, spoke in the afternoon), numbered in file order by the
    first row of each distinct content. The first keeps its id, the one a call alone on its
    day has (so warehouses loaded before keep theirs); the n-th gets `:n` appended, which
    staging keeps. Rows of one content share a number, so a copy is still rejected as one;
    rows with a time of day keep theirs (the same time twice is a correction)."""
    contents = ", ".join(
        field.name for field in contract.fields if field.name not in CALL_WITHOUT_ID
    )
    return f"""
        update {TYPED} set call_id = numbered.call_id || ':' || numbered.ordinal
        from (
            select
                _source_row,
                call_id,
                dense_rank() over (partition by call_id order by _first_row) as ordinal
            from (
                select
                    _source_row,
                    call_id,
                    min(_source_row) over (partition by call_id, {contents}) as _first_row
                from {TYPED}
                where {ok} and call_id like 'md5:%'
                    and cast(called_at as time) = time '00:00:00'
            ) as contents_first_rows
        ) as numbered
        where {TYPED}._source_row = numbered._source_row and numbered.ordinal > 1
    """


# How many of the columns a repeated row differs in its reason names.
REPEAT_DIFFERENCES_NAMED = 3


def _repeat_reason(columns: Sequence[tuple[str, str]], key_labels: str, advice: str) -> str:
    """SQL of the reason a row (`later`) repeating an earlier row's key (`first`, loaded)
    is rejected: the same as that row (in `columns`, (source column, header) as written), or
    the same key with other details, up to `REPEAT_DIFFERENCES_NAMED` of the columns that
    differ named with both values, in the file's order, then `advice`. A row copied and
    half-edited, or two roles at one client given one Ref, is another lead rather than a
    copy to delete."""
    shown = "coalesce({}, 'blank')"
    differences = ", ".join(
        f"case when later.{column} is distinct from first.{column} then"
        f" {sql_literal(header + ' (')} || {shown.format('first.' + column)} || ' there, '"
        f" || {shown.format('later.' + column)} || ' here)' end"
        for column, header in columns
    )
    listed = f"list_filter([{differences}], lambda difference: difference is not null)"
    named = REPEAT_DIFFERENCES_NAMED
    described = (
        "case when len(differences) = 1 then differences[1]"
        f" when len(differences) <= {named}"
        " then array_to_string(differences[1:-2], ', ') || ' and ' || differences[-1]"
        f" else array_to_string(differences[1:{named}], ', ') || ' and '"
        f" || (len(differences) - {named}) || case when len(differences) = {named + 1}"
        " then ' other column' else ' other columns' end end"
    )
    first_row = "cast(first._source_row as varchar)"
    return (
        f"(select case when len(differences) = 0 then 'the same as row ' || {first_row}"
        " || ': delete one of them'"
        f" else {sql_literal('same ' + key_labels + ' as row ')} || {first_row}"
        f" || ' but another ' || {described} || ': row ' || {first_row} || ' was loaded. '"
        f" || replace({sql_literal(advice)}, '{{row}}', {first_row}) end"
        f" from (select {listed} as differences))"
    )


def _repeat_advice(contract: Contract, key_labels: str, has_id: bool) -> str:
    """What to do with a row that has an earlier row's key and other details (`{row}`:
    that row's number): tell the two apart by the key, or correct the first."""
    correct = "if it corrects row {row}, fix row {row} and delete this one"
    if contract.kind in ("tracker", "leads"):
        return f"If this is another lead, give it its own {key_labels}; {correct}"
    if contract.kind == "consultants":
        return f"If this is another consultant, tell them apart by name; {correct}"
    if contract.kind == "calls" and has_id:
        return f"If this is another call, give it its own {key_labels}; {correct}"
    # A call without a Call ID is its consultant, time and lead (in a log of days, and what
    # it reads: such a repeat differs in a column not read, or only as written); an event,
    # every column read.
    return correct[0].upper() + correct[1:]


def _totals_row(columns: Sequence[str], required: Sequence[str]) -> str:
    """SQL: whether a record (its trimmed text `columns`) is a totals row at the bottom of a
    tracker (`Total,,,,=SUM(...)`): its first value says Total, Totals or Grand total (any
    case) and its required fields (the `required` columns) are empty, but for that word.
    Such a row is skipped, not rejected. Only a record with all but one required field empty
    is looked at closely: every other record costs a test of its columns for null."""
    words = ", ".join(map(sql_literal, TOTALS_WORDS))
    first = f"lt_norm(coalesce({', '.join(columns)})) in ({words})"
    if not required:
        return f"coalesce({first}, false)"
    empty = " + ".join(f"({column} is null)::integer" for column in required)
    others = " and ".join(
        f"({column} is null or lt_norm({column}) in ({words}))" for column in required
    )
    return (
        f"case when {empty} >= {len(required) - 1}"
        f" then coalesce({first} and {others}, false) else false end"
    )


def _count_keys(con: duckdb.DuckDBPyConnection, keys: str) -> tuple[int, int]:
    """The records (each a row of `keys`: the hash of its key, its row) and how many of them
    share their key with another; their rows go in the temporary table FLAGGED. Keys
    almost always differ: polars proves it (counting distinct hashes on both cores takes
    half the time DuckDB's group-by does), and picks out the rows only when some hash
    repeats."""
    records = con.sql(keys).pl()
    repeats = (
        records.filter(pl.col("_key").is_duplicated()).select("_source_row")
        if records["_key"].n_unique() < records.height
        else records.clear().select("_source_row")
    )
    con.register("_lt_repeats", repeats.to_arrow())
    try:
        con.execute(
            f"create or replace temp table {FLAGGED} as"
            " select cast(_source_row as integer) as _source_row from _lt_repeats"
        )
    finally:
        con.unregister("_lt_repeats")
    return records.height, repeats.height


# The first two numbers of a date written 31/10/2026 (or 10/31/2026; any separator), and
# its year.
DATE_NUMBERS = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})"


def _date_order(
    con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str], dayfirst: bool
) -> tuple[str | None, bool]:
    """When a date column of the file reads the other way round from how it is loaded
    (`dayfirst`) and none of the file's dates reads only this way: a tenth or more of the
    column's dates make sense only the other way (10/31/2026 read day-first; a US export
    over a month has over half), or fewer (a US export of the month's first fortnight) but
    the file's other dates, those that read either way, fall closer together read the other
    way (10/01 to 10/12: a fortnight month first, a year day first). Loaded as told, its
    dates up to the 12th would go in with day and month swapped and the others be rejected.
    The message saying so, else None (one typo among dates that cluster as loaded is not a
    file written the other way); and whether no date of the file reads only this way (so
    such a date's reject may still say the file could be written the other way round)."""
    reads_this_way = False
    first_misfit: tuple[str, int, int, int, str] | None = None
    for column, label in columns.items():
        first, second = (
            f"try_cast(regexp_extract({column}, '{DATE_NUMBERS}', {group}) as integer)"
            for group in (1, 2)
        )
        this_way, other_way = (first, second) if dayfirst else (second, first)
        ((dates, fits, misfits, row, value),) = con.execute(
            f"""
            select
                count({first}),
                count(*) filter (where {this_way} > 12),
                count(*) filter (where {other_way} > 12),
                min(_source_row) filter (where {other_way} > 12),
                arg_min({column}, _source_row) filter (where {other_way} > 12)
            from {relation}
            """
        ).fetchall()
        reads_this_way = reads_this_way or bool(fits)
        if misfits and first_misfit is None:
            first_misfit = (label, misfits, dates, row, value)
        if misfits and not fits and misfits * 10 >= dates:
            return _date_order_message(dayfirst, label, misfits, dates, row, value), False
    if (
        first_misfit
        and not reads_this_way
        and _closer_the_other_way(con, relation, list(columns), dayfirst)
    ):
        return _date_order_message(dayfirst, *first_misfit), False
    return None, not reads_this_way


def _closer_the_other_way(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], dayfirst: bool
) -> bool:
    """Whether the file's dates span fewer days read the other way round than as loaded
    (read as loaded, a date that reads only the other way is no date). Only asked of a file
    with a date that reads only the other way and none only this way: a rare file, so the
    dates are parsed here, not in every load's look at the order."""
    this_way, other_way = ("first", "second") if dayfirst else ("second", "first")
    numbers = " union all ".join(
        f"select regexp_extract({column}, '{DATE_NUMBERS}', ['first', 'second', 'year'])"
        f" as parts from {relation}"
        for column in columns
    )
    ((this_span, other_span),) = con.execute(
        f"""
        with numbers as (
            select
                try_cast(parts.first as integer) as first,
                try_cast(parts.second as integer) as second,
                try_cast(parts.year as integer) as year
            from ({numbers})
        ),
        dates as (
            select
                try(make_date(year + case when year < 100 then 2000 else 0 end,
                    {other_way}, {this_way})) as read_this_way,
                try(make_date(year + case when year < 100 then 2000 else 0 end,
                    {this_way}, {other_way})) as read_other_way
            from numbers
            where first is not null
        )
        select
            coalesce(max(read_this_way) - min(read_this_way), 0),
            coalesce(max(read_other_way) - min(read_other_way), 0)
        from dates
        """
    ).fetchall()
    return other_span < this_span


def _date_order_message(
    dayfirst: bool, label: str, misfits: int, dates: int, row: int, value: str
) -> str:
    month = int(re.match(DATE_NUMBERS, value)[2 if dayfirst else 1])
    order, other, fix = (
        ("month first (US)", "day first", "with --monthfirst")
        if dayfirst
        else ("day first (UK)", "month first", "without --monthfirst")
    )
    return (
        f"{label} looks written {order}: {misfits:,} of its {dates:,} dates, the first"
        f" '{value.strip()}' (row {row}), have no month {month}, and none reads only"
        f" {other}. Load the file again {fix} (if its dates are {other} after all,"
        " correct those); nothing of it was loaded"
    )


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Rows may be written in any order (each carries its `_source_row`): DuckDB then writes
    them as they come, in parallel, and need not rewrite the table at the next checkpoint.
    Entered outside the file's transaction, so the setting is restored after a rollback."""
    ((before,),) = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if before else 'false'}")


def _write(
    writer: RawWriter,
    contract: Contract,
    columns: Columns,
    checked: Checked,
    load_id: int,
    path: Path,
    loaded_at: datetime,
) -> tuple[int, int, int, int, int]:
    """Write the checked rows and the rejects, inside the file's transaction: the clean rows,
    then, when some records were not among them, the good ones of those after a closer look.
    The counts: rows read, loaded, rejected, skipped (by the mapping, or as totals rows), and
    of those skipped, the totals rows."""
    lineage = [load_id, str(path), loaded_at]
    loaded = _insert(writer, contract, columns, checked.clean, lineage)
    rejected = skipped = totals = 0
    every_problem = loaded < checked.read - checked.repeated
    if every_problem and (mistaken := checked.date_order()):
        raise IngestError(path, mistaken)
    if every_problem or checked.repeated:
        loaded += _insert(writer, contract, columns, checked.look_closer(every_problem), lineage)
        ((rejected, skipped, totals),) = writer.checks.execute(
            f"select count(_reason), count(*) filter (not _kept or _skip or _total),"
            f" count(*) filter (_total) from {TYPED}"
        ).fetchall()
        writer.insert(
            "rejected_rows",
            "select ? as load_id, _source_row as source_row, _reason as reason,"
            f" _record as record from {TYPED} where _reason is not null",
            [load_id],
        )
    malformed = checked.malformed
    if malformed:
        frame = pl.DataFrame(
            {
                "source_row": [row for row, _, _ in malformed],
                "reason": [reason for _, reason, _ in malformed],
                "record": [text for _, _, text in malformed],
            },
            schema={"source_row": pl.Int32, "reason": pl.String, "record": pl.String},
        )
        writer.checks.register("_lt_malformed", frame.to_arrow())
        try:
            writer.insert("rejected_rows", "select ? as load_id, * from _lt_malformed", [load_id])
        finally:
            writer.checks.unregister("_lt_malformed")
    return (
        checked.read + len(malformed),
        loaded,
        rejected + len(malformed),
        skipped,
        totals,
    )


def _milestone_columns(columns: Columns) -> list[str]:
    """A tracker's typed milestone columns: the date (`m_`), whether it is an undated tick
    (`t_`) and, for a milestone with a tick column beside its date column, whether either
    is ticked (`k_`)."""
    return [
        f"m_{code}, t_{code}" + (f", k_{code}" if len(cells) > 1 else "")
        for code, cells in columns.milestones.items()
    ]


def _insert(
    writer: RawWriter, contract: Contract, columns: Columns, good: str, lineage: list
) -> int:
    """Write the rows of `good` (and a tracker's milestone cells); how many rows."""
    names = ", ".join(field.name for field in contract.fields)
    if contract.table == "milestone_events":
        # An events row always has its date (the contract requires one), and no tick.
        names += ", false as is_date_unknown, false as is_ticked"
    written = writer.insert(
        contract.table,
        f"select {names}, ? as _load_id, ? as _source_file, _source_row, ? as _loaded_at"
        f" from {good}",
        lineage,
    )
    if columns.milestones:
        milestone_columns = ", ".join(_milestone_columns(columns))
        cells = " union all ".join(
            f"select lead_id, {sql_literal(code)} as milestone, m_{code} as event_date,"
            f" t_{code} as is_date_unknown,"
            f" {'k' if len(columns.milestones[code]) > 1 else 't'}_{code} as is_ticked,"
            " _source_row from good"
            f" where m_{code} is not null or t_{code}"
            for code in columns.milestones
        )
        writer.insert(
            "milestone_events",
            f"with good as materialized (select lead_id, {milestone_columns}, _source_row"
            f" from {good})"
            f" select *, ? as _load_id, ? as _source_file, ? as _loaded_at from ({cells})",
            lineage,
        )
    return written


def _record_load(
    writer: RawWriter,
    load_id: int,
    path: Path,
    sha: str,
    kind: str,
    options: LoadOptions | None,
    counts: tuple[int, int, int, int],
    started: datetime,
) -> None:
    """The load's row in `raw.loads`: the kind loaded, and how it was asked to be read (None:
    not an export, the milestone catalogue)."""
    writer.insert(
        "loads",
        "select ?::integer as load_id, ? as file_name, ? as file_sha256, ? as kind,"
        " ?::varchar as sheet, ?::varchar as mapping, ?::boolean as dayfirst,"
        " ?::integer as rows_read,"
        " ?::integer as rows_loaded, ?::integer as rows_rejected, ?::integer as rows_skipped,"
        " ?::timestamp as started_at, ?::timestamp as finished_at, 'loaded' as status",
        [
            load_id,
            str(path),
            sha,
            kind,
            *((options.sheet, options.mapping, options.dayfirst) if options else (None,) * 3),
            *counts,
            started,
            datetime.now(),
        ],
    )
