"""CSV (and other delimited text) through DuckDB's CSV reader.

Any delimiter; UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text"),
UTF-32 and Windows-1252 (Excel's "CSV" on Windows), the last two transcoded to a temporary
UTF-8 copy, since DuckDB cannot decode them. Whether a file without a byte-order mark is
UTF-8 is checked while DuckDB reads it (a Windows-1252 file is then read again, where it is
not UTF-8: a file may mix the two). Values may
hold line breaks; a file that mixes Windows and Unix line breaks is read from a copy with one
kind. Row numbers are the rows a spreadsheet shows: empty lines count (DuckDB drops them, so
they are counted apart).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np

from ingest.checks import BLANKS
from ingest.errors import IngestError
from ingest.source import (
    HEADER_SEARCH_ROWS,
    SourceTable,
    find_header_row,
    header_texts,
    sql_literal,
)

SNIFF_BYTES = 8192
TRANSCODE_CHUNK = 1 << 22
# What sniff_csv reports for a file without quoting.
NO_QUOTE = ("", "(empty)", "\0")


# What an empty line looks like in a file whose lines end with the key.
_EMPTY_LINE = {b"\r\n": b"\n\r\n", b"\n": b"\n\n", b"\r": b"\r\r"}


def _line_break(head: bytes) -> bytes:
    """How the lines of a file starting with `head` end: Windows', Unix's, or old Macs' way."""
    if b"\r\n" in head:
        return b"\r\n"
    return b"\r" if b"\r" in head and b"\n" not in head else b"\n"


def _encoding(path: Path) -> str:
    """The encoding DuckDB should read the file with, from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    # UTF-32's byte-order marks start like UTF-16's: tested first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise IngestError(
            path, "this looks like a binary file, not CSV: export the sheet as CSV or XLSX"
        )
    return "utf-8"


def _windows_1252_instead(error: UnicodeError) -> tuple[str, int]:
    """The bytes a UTF-8 decoder cannot read, read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


WINDOWS_1252_INSTEAD = "leadtrack-windows-1252-instead"
codecs.register_error(WINDOWS_1252_INSTEAD, _windows_1252_instead)


def _windows_1252_lines(source: BinaryIO) -> Iterator[str]:
    """The text of a file that is not UTF-8 throughout, in chunks of whole lines: a chunk
    with no UTF-8 character beyond ASCII as Windows-1252 (at once), any other as UTF-8 where
    it is and Windows-1252 byte by byte where it is not (a byte at a time, through
    `_windows_1252_instead`). So a UTF-8 export with lines pasted or appended from a
    Windows-1252 one keeps both its `£` signs and its curly quotes (read whole as
    Windows-1252, the UTF-8 lines' `£` became `Â£`, and their `Zoë` `ZoÃ«`). A file in
    Windows-1252 alone reads as it did: its accents and symbols make UTF-8 only in pairs no
    text holds (a capital `Ö` straight before an en dash)."""
    rest = b""
    first = True
    while block := source.read(TRANSCODE_CHUNK):
        block = rest + block
        if first:
            block = block.removeprefix(codecs.BOM_UTF8)
            first = False
        # Lines end with a line break, an ASCII byte no UTF-8 character holds.
        end = max(block.rfind(b"\n"), block.rfind(b"\r")) + 1 or len(block)
        block, rest = block[:end], block[end:]
        yield _decode_mixed(block)
    if rest:
        yield _decode_mixed(rest)


def _decode_mixed(block: bytes) -> str:
    # A UTF-8 character beyond ASCII starts with a lead byte followed by a continuation byte.
    codes = np.frombuffer(block, np.uint8)
    lead, follower = codes[:-1], codes[1:]
    if not ((lead >= 0xC2) & (lead <= 0xF4) & (follower >= 0x80) & (follower <= 0xBF)).any():
        return block.decode("cp1252", errors="replace")
    return block.decode("utf-8", errors=WINDOWS_1252_INSTEAD)


@contextmanager
def _utf8_copy(path: Path, encoding: str) -> Iterator[tuple[Path, int | None]]:
    """A temporary UTF-8 copy of a file in `encoding` (UTF-32, or Windows-1252 for any file
    that is not UTF-8: `_windows_1252_lines`), and where the copy's last empty line is
    (`EmptyLineFinder.last`)."""
    empty_lines = EmptyLineFinder()
    with tempfile.TemporaryDirectory(prefix="leadtrack-") as folder:
        copy = Path(folder) / path.name
        with path.open("rb") as raw, copy.open("wb") as target:
            if encoding == "cp1252":
                texts = _windows_1252_lines(raw)
            else:
                source = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
                texts = iter(partial(source.read, TRANSCODE_CHUNK), "")
            for text in texts:
                chunk = text.encode("utf-8")
                target.write(chunk)
                empty_lines.feed(chunk)
        yield copy, empty_lines.last


class Utf8Checker:
    """Whether the bytes fed chunk by chunk are UTF-8: `valid`, final once `close` returns."""

    def __init__(self) -> None:
        self.valid = True
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> None:
        # An ASCII chunk is valid on its own, unless a character split across the chunk
        # before it waits for its end.
        if not self.valid or (chunk.isascii() and not self._decoder.getstate()[0]):
            return
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self.valid = False

    def close(self) -> bool:
        if self.valid:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.valid = False
        return self.valid


def _holds_pair(chunk: bytes | bytearray, pair: bytes) -> bool:
    """Whether the two bytes `pair` occur in `chunk`: read as 16-bit numbers at even and at
    odd offsets, about four times faster than `rfind`, which then runs only on the rare chunk that
    holds them."""
    value = np.frombuffer(pair, np.uint16)[0]
    return any(
        (np.frombuffer(chunk, np.uint16, (len(chunk) - start) // 2, start) == value).any()
        for start in (0, 1)
        if len(chunk) - start >= 2
    )


def _is_utf8(path: Path) -> bool:
    checker = Utf8Checker()
    with path.open("rb") as handle:
        while checker.valid and (chunk := handle.read(TRANSCODE_CHUNK)):
            checker.feed(chunk)
    return checker.close()


@dataclass(frozen=True)
class TextScan:
    """What one pass over a text file's bytes tells its reader: where its last empty line is
    (`EmptyLineFinder.last`), whether it is UTF-8, and whether a value may end with a blank
    (`BlankEndFinder.found`, for a file whose delimiter is one of `end_delimiters`)."""

    last_empty_line: int | None
    is_utf8: bool
    blank_ends: bool
    end_delimiters: str

    def may_end_with_blank(self, delimiter: str, quote: str) -> bool:
        """Whether a value of the file, read with `delimiter` and `quote`, may end with a
        blank: the finder's answer holds only for the delimiters and the quote it watched."""
        return self.blank_ends or delimiter not in self.end_delimiters or quote != END_QUOTE


class TextScanner:
    """Builds a file's `TextScan` from its bytes, fed chunk by chunk."""

    def __init__(self) -> None:
        self._empty_lines = EmptyLineFinder()
        self._utf8 = Utf8Checker()
        self._blank_ends = BlankEndFinder()

    def feed(self, chunk: bytes) -> None:
        self._empty_lines.feed(chunk)
        self._utf8.feed(chunk)
        self._blank_ends.feed(chunk)

    def result(self) -> TextScan:
        return TextScan(
            self._empty_lines.last,
            self._utf8.close(),
            self._blank_ends.close(),
            self._blank_ends.delimiters or "",
        )


# The delimiters `BlankEndFinder` can watch, and the one quote it does.
END_DELIMITERS = ",;\t|"
END_QUOTE = '"'
_LF, _CR, _QUOTE = ord("\n"), ord("\r"), ord(END_QUOTE)
_PRINTABLE_FROM, _PRINTABLE_TO = ord("!"), ord("~")
# The last two bytes of each blank beyond ASCII in UTF-8 (the no-break space's are C2 A0),
# as one number: a letter such as "é" (C3 A9) that ends a value is no blank.
_WIDE_BLANK_ENDS = np.zeros(1 << 16, bool)
_WIDE_BLANK_ENDS[
    [int.from_bytes(blank.encode()[-2:], "big") for blank in BLANKS if not blank.isascii()]
] = True


class BlankEndFinder:
    """Whether a value of a delimited text file may end with a blank, fed the file's bytes
    chunk by chunk: when `found` stays False, and the reader finds that the file's delimiter
    is one of `delimiters` and its quote `END_QUOTE`, trimming each value's start trims it
    whole.

    A value ends before a delimiter, a quote, a line break or the end of the file. The finder
    looks there for a blank: a space, a tab or any other control character, or the last two
    bytes of one of `ingest.checks.BLANKS` beyond ASCII (the no-break space's). A line
    break ends a value, so it counts only where a quoted value ends with one: before a quote
    that no value's first character follows. The delimiters watched are those among
    `END_DELIMITERS` in the first chunk, which holds the header. The finder errs towards
    found (a blank before a delimiter inside a quoted value counts too), never the other
    way: a carriage return other than a Windows line break's, or Windows and Unix line
    breaks in one file, count as found. The work is numpy's, on arrays kept between chunks
    (a new array per step would cost more than the steps)."""

    def __init__(self) -> None:
        self.found = False
        self.delimiters: str | None = None
        self._watched: list[int] = []
        self._tail = b""
        self._carriage_returns = False
        self._bare_line_feeds = False
        self._arrays: tuple[np.ndarray, ...] = ()

    def feed(self, chunk: bytes | bytearray) -> None:
        if self.delimiters is None:
            self.delimiters = "".join(d for d in END_DELIMITERS if ord(d) in chunk)
            self._watched = [ord(delimiter) for delimiter in self.delimiters]
        if self.found:
            return
        # The chunk, and the bytes either side of its start (the previous chunk's last two).
        self.found = self._holds_blank_end(self._tail + chunk[:2]) or self._holds_blank_end(chunk)
        self._tail = (self._tail + chunk[-2:])[-2:]

    def _scratch(self, size: int) -> tuple[np.ndarray, ...]:
        if not self._arrays or len(self._arrays[0]) < size:
            self._arrays = (*(np.empty(size, bool) for _ in range(3)), np.empty(size, np.uint8))
        return tuple(array[:size] for array in self._arrays)

    def _outside_printable(self, codes: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Which of `codes` lie outside printable ASCII ("!" to "~"), into `out`."""
        shifted = self._arrays[3][: len(codes)]
        np.subtract(codes, np.uint8(_PRINTABLE_FROM), out=shifted)
        return np.greater(shifted, _PRINTABLE_TO - _PRINTABLE_FROM, out=out)

    def _holds_blank_end(self, data: bytes | bytearray) -> bool:
        if len(data) < 2:
            return False
        codes = np.frombuffer(data, np.uint8)
        before, after = codes[:-1], codes[1:]
        ends, blank, test, _ = self._scratch(len(before))
        carriage_returns = _CR in data
        if carriage_returns:
            self._carriage_returns = True
            # A carriage return ends a Windows line break, and nothing else.
            np.equal(before, _CR, out=test)
            if np.logical_and(test, np.not_equal(after, _LF, out=ends), out=test).any():
                return True
            np.equal(after, _LF, out=test)
            if np.logical_and(test, np.not_equal(before, _CR, out=ends), out=test).any():
                self._bare_line_feeds = True
        elif data.find(b"\n", 1) >= 0:
            # (The byte before the first is not in the data: `feed`'s other call has it.)
            self._bare_line_feeds = True
        np.equal(after, _LF, out=ends)
        for code in self._watched:
            ends |= np.equal(after, code, out=test)
        self._outside_printable(before, blank)
        blank &= np.not_equal(before, _LF, out=test)
        if carriage_returns:
            ends |= np.equal(after, _CR, out=test)
            blank &= np.not_equal(before, _CR, out=test)
        quoted = _QUOTE in data
        if quoted:
            ends |= np.equal(after, _QUOTE, out=test)
        if np.logical_and(blank, ends, out=blank).any() and self._blank_at(codes, blank):
            return True
        if quoted and len(data) > 2:
            # A line break, a quote, then no value's first character (a delimiter or a byte
            # outside printable ASCII): a quoted value that ends with a line break.
            follows = codes[2:]
            not_first = self._outside_printable(follows, ends[: len(follows)])
            for code in self._watched:
                not_first |= np.equal(follows, code, out=test[: len(follows)])
            not_first &= np.equal(codes[1:-1], _QUOTE, out=test[: len(follows)])
            line_break = (codes[:-2] == _LF) | (codes[:-2] == _CR)
            return bool((line_break & not_first).any())
        return False

    @staticmethod
    def _blank_at(codes: np.ndarray, ends: np.ndarray) -> bool:
        """Whether a blank is among the bytes outside printable ASCII that end values (`ends`,
        a mask of `codes` but its last): an ASCII one (not DEL), or the end of a blank beyond
        ASCII. The first byte's character may have begun before the data: `feed`'s other call
        sees it whole."""
        (where,) = np.nonzero(ends)
        last = codes[where]
        if (last < _PRINTABLE_FROM).any():
            return True
        where = where[(last > 0x7F) & (where > 0)]
        pairs = codes[where - 1].astype(np.uint16) << 8 | codes[where]
        return bool(_WIDE_BLANK_ENDS[pairs].any())

    def close(self) -> bool:
        """`found`, once the file's last bytes are in: its last value may end the file."""
        tail = self._tail
        self.found = (
            self.found
            or (self._carriage_returns and self._bare_line_feeds)
            or (tail[-1:] not in (b"", b"\n") and tail[-1] < _PRINTABLE_FROM)
            or (len(tail) == 2 and _WIDE_BLANK_ENDS[int.from_bytes(tail, "big")])
            or tail in (b"\n" + END_QUOTE.encode(), b"\r" + END_QUOTE.encode())
        )
        return self.found


class EmptyLineFinder:
    """Finds, in a file's bytes fed chunk by chunk, the last empty line: `last` is the offset
    of the line break before it, None when the file has none. DuckDB's reader drops empty
    lines without a trace, so the row numbers of the records after one must count it apart.
    A UTF-16 or UTF-32 file is not searched: `last` is then its size (an empty line may be
    anywhere)."""

    def __init__(self) -> None:
        self.last: int | None = None
        self._empty: bytes | None = None
        self._seen = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self._empty is None:
            if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self._empty = b""
            else:
                # An empty line is a line break right after another, in the file's own style.
                self._empty = _EMPTY_LINE[_line_break(chunk[:SNIFF_BYTES])]
        if not self._empty:
            self._seen += len(chunk)
            self.last = self._seen
            return
        found = chunk.rfind(self._empty) if _holds_pair(chunk, self._empty[:2]) else -1
        if found >= 0:
            self.last = self._seen + found
        elif self._tail:
            # One split across the chunks' boundary.
            across = (self._tail + chunk[: len(self._empty) - 1]).rfind(self._empty)
            if across >= 0:
                self.last = self._seen - len(self._tail) + across
        keep = len(self._empty) - 1
        self._tail = chunk[-keep:] if len(chunk) >= keep else (self._tail + chunk)[-keep:]
        self._seen += len(chunk)


@contextmanager
def open_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    header_score: Callable[[Sequence[str | None]], int],
    scan: Callable[[], TextScan] | None = None,
) -> Iterator[SourceTable]:
    """A delimited text file as a relation (see `ingest.source`), usable inside the block;
    `table` names the reader's table of malformed lines. `scan` gives the file's `TextScan`
    when its row numbers matter (a lookup file's do not); the loader scans the file in a
    thread while DuckDB reads it, so a file without a byte-order mark is read as UTF-8 at
    once, and read again from a UTF-8 copy when the scan finds it is not UTF-8."""
    encoding = _encoding(path)
    read = partial(_read_csv, con, path, table=table, header_score=header_score)
    if encoding == "utf-8" and scan is not None:
        try:
            source = _read_any_line_breaks(
                read,
                path,
                path,
                encoding,
                lambda: scan().last_empty_line,
                lambda delimiter, quote: scan().may_end_with_blank(delimiter, quote),
            )
        except Exception:
            if scan().is_utf8:
                raise
        else:
            if scan().is_utf8:
                yield source
                return
        drop_read(con, table)
        encoding = "cp1252"
    elif encoding == "utf-8" and not _is_utf8(path):
        encoding = "cp1252"
    if encoding in ("utf-8", "utf-16"):
        last_empty_line = (lambda: scan().last_empty_line) if scan else None
        yield _read_any_line_breaks(read, path, path, encoding, last_empty_line)
        return
    with _utf8_copy(path, encoding) as (copy, last_empty):
        source = _read_any_line_breaks(
            read, path, copy, "utf-8", (lambda: last_empty) if scan else None
        )
    yield source


def drop_read(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the temporary tables a read into `table` made."""
    for name in (table, f"{table}_rejects", f"{table}_scans", f"{table}_offsets"):
        con.execute(f"drop table if exists {name}")


def _read_any_line_breaks(
    read: Callable[..., SourceTable],
    path: Path,
    readable: Path,
    encoding: str,
    last_empty_line: Callable[[], int | None] | None,
    blank_ends: Callable[[str, str], bool] | None = None,
) -> SourceTable:
    """`read` (`_read_csv` with its connection, file, table and header score), and again
    from a copy with one kind of line break when the file mixes Windows' and Unix's."""
    try:
        return read(readable, encoding, last_empty_line=last_empty_line, blank_ends=blank_ends)
    except duckdb.Error as error:
        if not _mixes_line_breaks(readable, encoding):
            raise IngestError(path, f"cannot be read as CSV ({_first_line(error)})") from error
    # Windows and Unix line breaks in one file (two exports pasted together, a line edited
    # on another machine) stop DuckDB's reader: read a copy with one kind.
    with _line_breaks_unified(readable, encoding) as copy:
        try:
            return read(copy, "utf-8", last_empty_line=lambda: copy.stat().st_size)
        except duckdb.Error as error:
            raise IngestError(path, f"cannot be read as CSV ({_first_line(error)})") from error


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    readable: Path,
    encoding: str,
    table: str,
    header_score: Callable[[Sequence[str | None]], int],
    last_empty_line: Callable[[], int | None] | None,
    blank_ends: Callable[[str, str], bool] | None = None,
) -> SourceTable:
    """Read `readable` (`path`, or a UTF-8 copy of it) into the temporary `table`.
    `blank_ends` tells, from the scan of `readable`'s bytes, whether a value may end with a
    blank when the file is read with the delimiter and quote it is given
    (`TextScan.may_end_with_blank`); without it, every value is trimmed at both ends as it is
    read."""
    source = sql_literal(str(readable))
    options = f"encoding='{'utf-16' if encoding == 'utf-16' else 'utf-8'}'"
    delimiter, quote, escape = con.execute(
        f"select delimiter, quote, escape from sniff_csv({source}, {options}, null_padding=true)"
    ).fetchall()[0]
    options += ", delim=" + sql_literal(delimiter)
    # Pinned too: a doubled quote in the header ("Date entered ""Won""") can make the
    # reader's own sniffing fail once the header is skipped, and then it reads nothing.
    # A sniffer that saw no quotes in its sample falls back on the standard (RFC 4180)
    # double quote: a big export may quote "£22,500" only far down the file.
    quote = quote if quote not in NO_QUOTE else '"'
    escape = escape if escape not in NO_QUOTE else '"'
    options += ", quote=" + sql_literal(quote) + ", escape=" + sql_literal(escape)
    # One thread: DuckDB's parallel reader cannot pad rows across a value that holds a line
    # break ("Acme<newline>Ltd", common in notes), and only the top is read.
    head = con.execute(
        f"select * from read_csv({source}, {options}, header=false, all_varchar=true,"
        f" null_padding=true, parallel=false) limit {HEADER_SEARCH_ROWS}"
    ).fetchall()
    if not any(cell for row in head for cell in row):
        raise IngestError(path, "the file has no rows: export it again with its data")
    header_index = find_header_row(head, header_score)
    if header_index == len(head) - 1 < HEADER_SEARCH_ROWS - 1:
        raise IngestError(path, "the file has a header row but no data rows")
    # The padded read widens every row to the longest one: a header is as wide as its own
    # line, so a row with an unquoted delimiter in a value is rejected, not a new column.
    # The reader drops blank lines, so the header's line in the file is counted apart.
    width, header_line = _header_line(readable, encoding, delimiter, quote, header_index)
    headers = header_texts(head[header_index][:width])
    names = ", ".join(f"'c{index}': 'varchar'" for index in range(len(headers)))
    # Trimmed once here, while the reader works in parallel, rather than by each later pass
    # over the records (the macros come from `ingest.checks.RowChecks.install_macros`). When
    # the scan may tell that no value ends with a blank, only their starts are looked at
    # (looking at each value's last character costs more than reading the file), and the
    # ends afterwards if the scan says otherwise.
    trim = "lt_text" if blank_ends is None else "lt_text_start"
    trimmed = ", ".join(f"{trim}(c{index}) as c{index}" for index in range(len(headers)))
    # Copied whole, in parallel and in file order; rowid then numbers the records, which is
    # cheaper than numbering them while reading (that serialises the scan). Nothing left to
    # sniff (the dialect is pinned above): sniffing again failed the whole file when its
    # first data row was one to reject ("Acme, Ltd" unquoted).
    con.execute(
        f"create or replace temp table {table} as select {trimmed} from read_csv({source},"
        f" {options}, header=false, skip={header_line}, columns={{{names}}}, auto_detect=false,"
        f" store_rejects=true, rejects_table='{table}_rejects', rejects_scan='{table}_scans')"
    )
    lines = [
        line
        for (line,) in con.execute(
            f"select distinct line from {table}_rejects order by line"
        ).fetchall()
    ]
    if blank_ends is not None and blank_ends(delimiter, quote):
        columns = [f"c{index}" for index in range(len(headers))]
        con.execute(
            f"update {table} set {', '.join(f'{c} = lt_text({c})' for c in columns)}"
            f" where {' or '.join(f'lt_blank_end({c})' for c in columns)}"
        )
    last_empty = last_empty_line() if last_empty_line else None
    if last_empty is not None and last_empty >= _line_end(readable, header_line):
        lines += _empty_records(readable, encoding, delimiter, quote, escape, header_line)
    relation = numbered_relation(con, table, header_line + 1, sorted(lines))
    return SourceTable(
        relation=relation, headers=headers, rejects_table=f"{table}_rejects", trimmed=True
    )


def _mixes_line_breaks(path: Path, encoding: str) -> bool:
    """Whether the file ends some lines Windows' way (CR LF) and some Unix's (LF)."""
    if encoding == "utf-16":
        with path.open("r", encoding="utf-16", newline="", errors="replace") as handle:
            text = handle.read()
        return 0 < text.count("\r\n") < text.count("\n")
    windows = unix = 0
    with path.open("rb") as handle:
        while chunk := handle.read(TRANSCODE_CHUNK):
            windows += chunk.count(b"\r\n")
            unix += chunk.count(b"\n")
    return 0 < windows < unix


@contextmanager
def _line_breaks_unified(path: Path, encoding: str) -> Iterator[Path]:
    """A temporary UTF-8 copy of the file with every line break a LF."""
    with tempfile.TemporaryDirectory(prefix="leadtrack-") as folder:
        copy = Path(folder) / path.name
        with (
            path.open(
                "r",
                encoding="utf-16" if encoding == "utf-16" else "utf-8-sig",
                newline=None,
                errors="replace",
            ) as source,
            copy.open("w", encoding="utf-8", newline="") as target,
        ):
            shutil.copyfileobj(source, target, TRANSCODE_CHUNK)
        yield copy


# Up to this many dropped lines are counted with a CASE; more with a join on a table of them.
CASE_OFFSETS = 64


def numbered_relation(
    con: duckdb.DuckDBPyConnection, table: str, first_line: int, dropped: Sequence[int]
) -> str:
    """SQL of `table`'s records with `_source_row`, the line each came from: the reader drops
    a line it cannot split, so the records after it sit a line further down."""
    line = f"{table}.rowid + {first_line}"
    if not dropped:
        return f"(select cast({line} as integer) as _source_row, * from {table})"
    # The k-th dropped line (from 0) shifts every record whose undisturbed line is at least
    # `dropped[k] - k` one line down.
    thresholds = [number - index for index, number in enumerate(sorted(dropped))]
    if len(thresholds) <= CASE_OFFSETS:
        branches = " ".join(
            f"when {line} >= {threshold} then {index + 1}"
            for index, threshold in reversed(list(enumerate(thresholds)))
        )
        return (
            f"(select cast({line} + case {branches} else 0 end as integer) as _source_row, *"
            f" from {table})"
        )
    # Adjacent dropped lines share a threshold: the last shift is the one that counts.
    shifts = {threshold: index + 1 for index, threshold in enumerate(thresholds)}
    offsets = f"{table}_offsets"
    con.execute(
        f"create or replace temp table {offsets} as"
        " select unnest(?::bigint[]) as threshold, unnest(?::bigint[]) as shift",
        [list(shifts), list(shifts.values())],
    )
    return (
        f"(select cast({line} + coalesce({offsets}.shift, 0) as integer) as _source_row,"
        f" {table}.* from {table} asof left join {offsets} on {line} >= {offsets}.threshold)"
    )


def malformed_lines(
    con: duckdb.DuckDBPyConnection, source: SourceTable
) -> list[tuple[int, str, str]]:
    """Lines the reader could not split, once the relation was scanned: (line, reason, text)."""
    if source.rejects_table is None:
        return []
    # The reader logs an error per surplus value: a row with three is one row all the same.
    rows = con.execute(
        f"select line, min(error_type), min(csv_line) from {source.rejects_table}"
        " group by line order by line"
    ).fetchall()
    return [
        (int(line), _malformed_reason(kind, len(source.headers)), text or "")
        for line, kind, text in rows
    ]


def _header_line(
    path: Path, encoding: str, delimiter: str, quote: str, index: int
) -> tuple[int | None, int]:
    """The `index`-th non-blank record among the file's first lines: how many values it holds
    (None when it lies beyond them) and the number of the line it ends on."""
    with path.open("r", encoding="utf-16" if encoding == "utf-16" else "utf-8-sig") as handle:
        head = handle.read(SNIFF_BYTES * 8)
    rows = csv.reader(
        io.StringIO(head), delimiter=delimiter, quotechar=quote if quote not in NO_QUOTE else '"'
    )
    records = (row for row in rows if row)
    line = next(itertools.islice(records, index, None), None)
    if line is None:
        return None, index + 1
    return len(line), rows.line_num


def _line_end(path: Path, line: int) -> int:
    """The offset of the line break that ends the file's `line`-th line (from 1), or -1 when
    it lies beyond the file's first bytes."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES * 8)
    last_byte = _line_break(head)[-1:]
    offset = -1
    for _ in range(line):
        offset = head.find(last_byte, offset + 1)
        if offset < 0:
            return -1
    return offset


def _empty_records(
    path: Path, encoding: str, delimiter: str, quote: str, escape: str, header_line: int
) -> list[int]:
    """The numbers of the empty lines after the header, counted as the reader counts records
    (a value that spans lines is one). A pass over the whole file in Python: only for a file
    with an empty line after its header (or a value holding one). None found when Python's
    reader cannot follow the file (the numbers are then the reader's, without empty lines)."""
    quotechar = quote if quote not in NO_QUOTE else '"'
    # DuckDB reads values of any length; Python's reader stops at 128 kB unless told.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    with path.open(
        "r",
        encoding="utf-16" if encoding == "utf-16" else "utf-8-sig",
        newline="",
        errors="replace",
    ) as handle:
        try:
            rows = csv.reader(
                handle,
                delimiter=delimiter,
                quotechar=quotechar,
                doublequote=escape in NO_QUOTE or escape == quotechar,
                escapechar=None if escape in NO_QUOTE or escape == quotechar else escape,
            )
            return [
                number for number, row in enumerate(rows, 1) if not row and number > header_line
            ]
        except (csv.Error, TypeError):
            return []


def _malformed_reason(kind: str, columns: int) -> str:
    if kind == "TOO MANY COLUMNS":
        return (
            f"the row has more values than the header's {columns} columns: a value probably "
            "holds the delimiter without quotes; quote it or remove the extra delimiter"
        )
    if kind == "MISSING COLUMNS":
        return (
            f"the row has fewer values than the header's {columns} columns: it may be cut off; "
            "export the file again"
        )
    return f"the row cannot be read ({kind.lower()}): check its quotes and delimiters"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
