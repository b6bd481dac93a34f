"""The row checks, as SQL built from a kind's contract.

The SQL types every column of a file's records and tells which records have a problem, and
what it is, so a 10,000,000-row call log is checked inside DuckDB, never row by row in
Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from ingest.catalogue import normalise_name
from ingest.contracts import STATUS_WORDS, STATUSES, Contract, Field
from ingest.mapping import Mapping
from ingest.source import EXCEL_ERRORS, sql_literal

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")
# The ways a date is written, day first; the month written first ("Nov 3, 2026", as US
# systems write it) reads the same either way. A two-digit year (03/11/26) is read by the
# same formats: see `RowChecks._date`.
DAY_FIRST_DATES = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
)
# ... and the time of day after one: a 24-hour clock, or a 12-hour one (Excel's and phone
# systems' "9:30:00 AM", "9:30AM").
TIMES_OF_DAY = (" %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p")
DAY_FIRST_FORMATS = (
    *DAY_FIRST_DATES,
    *(date + time for date in DAY_FIRST_DATES for time in TIMES_OF_DAY),
)
# A date whose year has two digits: 03/11/26, 3-Nov-26 10:00, Nov 3, 26.
TWO_DIGIT_YEAR = r"^\s*(\d{1,2}[/.\- ](\d{1,2}|[A-Za-z]+)[/.\- ]|[A-Za-z]+ \d{1,2}, )\d{2}(\D|$)"
# A symbol may come with the emoji variation selector (✔️ is ✔ and U+FE0F), as a phone's
# keyboard or Excel's emoji picker writes it.
EMOJI_STYLE = "\ufe0f"
TICK_SYMBOLS = ("✓", "✔", "✅", "☑")
# A tracker's milestone cell that says the milestone was reached, on a date it does not give.
TICKS = (
    *("y", "yes", "x", "tick", "done", "true", "reached"),
    *TICK_SYMBOLS,
    *(symbol + EMOJI_STYLE for symbol in TICK_SYMBOLS),
)
# ... and one that says it was not reached, as a blank cell does (☒ is a crossed-out box):
# also a date not known yet or taken back (a start postponed, an interview cancelled).
NOT_REACHED_SYMBOLS = ("☒", "❌")
NOT_REACHED = (
    *("n", "no", "false", "0", "-", "n/a", "na", "not yet"),
    *("tbc", "tba", "tbd", "pending", "postponed", "cancelled", "canceled"),
    *NOT_REACHED_SYMBOLS,
    *(symbol + EMOJI_STYLE for symbol in NOT_REACHED_SYMBOLS),
)
# A format that starts with a day or a month (one or two digits, or the month's name) and
# then a separator: no four-digit year can match its start.
DAY_OR_MONTH_FIRST = re.compile(r"%-?([dme][^0-9A-Za-z%]|[bB][^0-9A-Za-z%])")
ISO_TEXT = re.compile(r"\s*\d{4}-\d{1,2}-\d{1,2}")
# ... and a time of day after one.
ISO_TIME = re.compile(r"[ T]\d{1,2}:\d{2}")
# A DuckDB variable: true when no date of the file being checked reads only the way it is
# loaded (31/10/2026 in a day-first load), so a rejected date that reads the other way round
# (10/31/2026) may say the whole file is written so. Set before the rejects' messages are
# built (`ingest.loader._date_order`); unset, no message says it.
OTHER_ORDER_POSSIBLE = "lt_other_order_possible"
EARLIEST_PLAUSIBLE = "2000-01-01"
YEARS_AHEAD_PLAUSIBLE = 3
# Excel's day numbers (days since 30/12/1899) of 01/01/2000 and 31/12/2099.
EXCEL_PLAUSIBLE = (36526, 73050)

# Money whose one dot is followed by three digits (€52.000, 10.400): 52 to three decimals, or
# 52,000 written the European way. No amount has three decimals, so it reads as thousands,
# but only in a column that writes money the European way elsewhere (a decimal comma,
# 45.000,00, or two dots, 1.250.000) and never the British way (45,000 or 45.50); else the
# row is rejected, asking for 52000. (Not per value: a workbook's own number 896.525, a fee
# worked out by a formula, arrives as the same text.)
MONEY_AMBIGUOUS = r"[1-9]\d{0,2}\.\d{3}"
# What exports write in a salary, fee or optional date column for "not known yet" (as lt_norm
# reduces it): an empty cell, not a rejected row. Not "none" or "nil": a fee of nil is 0.
# Such text reads as no value anyway; only the problem test looks at the words.
NOT_KNOWN_YET = (
    *("", "na", "tbc", "tba", "tbd", "doe", "competitive", "negotiable", "unknown"),
    *("notknown", "notdisclosed", "undisclosed", "notyet"),
)
# The words around an annual salary that say nothing of its amount, as UK trackers write them:
# before it, about (`c. £45k`, `circa £45k`); after it, yearly (`p.a.`, `pa`, `per annum`,
# `/yr`, `per year`, `a year`), on-target earnings (`OTE`) or a bonus on top (`+ bonus`).
# Lowercase; spaces anywhere. Not a monthly or daily rate (`per month`, `pcm`, `p/d`), nor a
# range (`£40-45k`): those stay rejected.
MONEY_AROUND = (
    r"^(circa|approx\.?|c\.?)"
    r"|((p\.?\s*a\.?|p/a|per\s*annum|/\s*(yr|year|annum|pa)|per\s*year|a\s*year|ote"
    r"|\+\s*bonus|plus\s*bonus)[\s\p{Z}]*)+$"
)
MONEY_EUROPEAN = r"(\d{1,3}(\.\d{3})+|\d+),\d{1,2}k?|\d{1,3}(\.\d{3}){2,}"
MONEY_BRITISH = r"\d{1,3}(,\d{3})+(\.\d+)?k?|\d+\.(\d{1,2}|\d{4,})k?"

# What a value is trimmed of: the Unicode space separators (all DuckDB's trim() removes),
# tabs and line breaks, the line and paragraph separators, and the zero-width spaces that
# text copied from a web page or a PDF brings along.
BLANKS = (
    " \t\n\v\f\r\u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200C)))  # en quad .. hair space, zero-width space
    + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)

MACROS = (
    f"""
-- A value trimmed of BLANKS, blank as null. Only values that can need it are trimmed:
-- trimming copies the text, and an ASCII value whose first and last characters are
-- printable is already trimmed.
create or replace temp macro lt_text(x) as case
    when x < '!' or x[-1] < '!' or strlen(x) != length(x)
    then nullif(trim(x, {sql_literal(BLANKS)}), '')
    else x end;
-- Whether a value ends with one of BLANKS (or is empty).
create or replace temp macro lt_blank_end(x) as
    x[-1] < '!' or (x[-1] >= chr(128) and contains({sql_literal(BLANKS)}, x[-1]));
-- lt_text of a value known not to end with a blank: only its first character is looked at.
create or replace temp macro lt_text_start(x) as case
    when x < '!' or x >= chr(128) then nullif(trim(x, {sql_literal(BLANKS)}), '')
    else x end;
-- Whether a value is the text of an Excel error (#REF!, #N/A: EXCEL_ERRORS). The range
-- (what starts with #) is tested first: every value of an id or consultant column is, and
-- two comparisons cost nothing measurable where `like '#%'` cost 12 ms a million values.
create or replace temp macro lt_excel_error(x) as
    x >= '#' and x < '$' and x in ({", ".join(map(sql_literal, EXCEL_ERRORS))});
"""
    + r"""
create or replace temp macro lt_norm(x) as regexp_replace(
    replace(replace(replace(lower(x), '%', ' percent '), '&', ' and '), '#', ' number '),
    '[^0-9a-z]+', '', 'g');
-- Money as written, without its currency and spaces (a space groups thousands: 52 000),
-- nor the words around an annual figure (MONEY_AROUND: c. £45k, £45,000 p.a., £45k + bonus).
create or replace temp macro lt_money_text(x) as
    regexp_replace(lower(x), '"""
    + MONEY_AROUND
    + r"""|£|\$|€|gbp|eur|usd|[\s\p{Z}]', '', 'g');
-- An amount from that text: 45000, 45,000.50, 45k, 45.5k; 45.000,50 and 45,50 (a decimal
-- comma); 52.000 only where `dot_groups` (see MONEY_AMBIGUOUS). Else null.
create or replace temp macro lt_amount(s, dot_groups) as try_cast(case
    when regexp_full_match(s, '"""
    + MONEY_AMBIGUOUS
    + r"""')
        then case when dot_groups then replace(s, '.', '') end
    when regexp_full_match(s, '(\d{1,3}(,\d{3})+|\d+)(\.\d+)?k?')
        then replace(rtrim(s, 'k'), ',', '')
    when regexp_full_match(s, '(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?k?')
        then replace(replace(rtrim(s, 'k'), '.', ''), ',', '.')
    end as decimal(18, 4)) * case when s like '%k' then 1000 else 1 end;
create or replace temp macro lt_money(x, dot_groups) as
    try_cast(lt_amount(lt_money_text(x), dot_groups) as decimal(14, 2));
create or replace temp macro lt_percent_number(x) as case
    when x like '%\%%' escape '\' then try_cast(trim(replace(x, '%', '')) as decimal(7, 3))
    when try_cast(x as double) < 1 then try_cast(x as double) * 100
    else try_cast(x as decimal(7, 3)) end;
-- A percentage: 20, 20%, Excel's 0.2; 20,5 (a comma followed by one or two digits, no
-- thousands separator in a percentage), and 20,125 where `decimal_comma` (the file writes
-- money the European way: see MONEY_AMBIGUOUS). Else null.
create or replace temp macro lt_percent(x, decimal_comma) as case
    when x like '%,%' then case
        when regexp_full_match(x, '\d+,\d{1,2}\s*%?')
            or (decimal_comma and regexp_full_match(x, '\d+,\d+\s*%?'))
        then lt_percent_number(replace(x, ',', '.')) end
    else lt_percent_number(x) end;
"""
)


def formats(dayfirst: bool, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The strptime formats tried, in order, for a text date that is not ISO. Month first,
    only the numeric months swap places with the day: `3 Nov 2026` reads the same either way."""
    if dayfirst:
        return (*extra, *DAY_FIRST_FORMATS, *ISO_FORMATS)
    swapped = tuple(
        fmt
        if "%b" in fmt or "%B" in fmt
        else fmt.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
        for fmt in DAY_FIRST_FORMATS
    )
    return (*extra, *swapped, *ISO_FORMATS)


def two_digit_year_formats(fmts: Iterable[str]) -> tuple[str, ...]:
    """The formats that end a date with a four-digit year, with a two-digit one instead
    (`%d/%m/%y`), in the same order. ISO formats, which start with the year, are left out."""
    return tuple(
        dict.fromkeys(
            fmt.replace("%Y", "%y") for fmt in fmts if "%Y" in fmt and not fmt.startswith("%Y")
        )
    )


@dataclass(frozen=True)
class CheckedColumn:
    """A field's typed value and the problem with it, as SQL over the source record."""

    value: str
    problem: str | None


class RowChecks:
    """Builds the SQL that types and checks one file's records for one contract."""

    def __init__(
        self,
        contract: Contract,
        milestone_names: dict[str, str],
        milestone_labels: dict[str, str],
        mapping: Mapping | None,
        dayfirst: bool,
    ) -> None:
        self.contract = contract
        self.milestone_names = milestone_names
        self.milestone_labels = milestone_labels
        self.mapping = mapping
        self.dayfirst = dayfirst
        # How the messages ask for a date, and show one: the way the file's dates read.
        self.date_shape, self.date_strftime = (
            ("dd/mm/yyyy", "%d/%m/%Y") if dayfirst else ("mm/dd/yyyy", "%m/%d/%Y")
        )
        self.date_formats = formats(dayfirst, mapping.date_formats if mapping else ())
        # The formats that read a date the other way round (month first in a day-first load),
        # those with a two-digit year first (`%y` fails on a four-digit year).
        other_order = [fmt for fmt in formats(not dayfirst) if fmt not in formats(dayfirst)]
        self.other_order_formats = (*two_digit_year_formats(other_order), *other_order)
        # Source columns (SQL) whose dates are mostly ISO text, and whether most of those
        # have a time of day: see `iso_shape`.
        self.iso_texts: dict[str, bool] = {}
        # Source columns (SQL) of money written the European way: see `MONEY_AMBIGUOUS`.
        self.money_dot_groups: set[str] = set()

    @staticmethod
    def install_macros(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(MACROS)

    def _date(self, text: str, target: str) -> str:
        # Timestamps try the formats with a time first: each format tried costs a parse.
        ordered = sorted(
            self.date_formats, key=lambda fmt: (target == "timestamp") != ("%H" in fmt)
        )
        if text in self.iso_texts and all(
            fmt in ISO_FORMATS or DAY_OR_MONTH_FIRST.match(fmt) for fmt in ordered
        ):
            # A column of ISO dates (a workbook's own dates arrive so) tries the ISO formats
            # first, those with a time of day first when its dates have one (Excel's dates
            # arrive as 2026-11-03 00:00:00). The same format wins as in the list's order:
            # no two ISO formats match one string, and a string that starts with a
            # four-digit year cannot match a format that starts with a day or a month.
            timed = self.iso_texts[text]
            ordered = sorted(
                ordered, key=lambda fmt: (fmt not in ISO_FORMATS, timed != ("%H" in fmt))
            )
        parsed = f"try_strptime({text}, {_sql_list(ordered)})"
        if two_digit := two_digit_year_formats(ordered):
            # `%Y` takes 26 for the year 26, so 03/11/26 matches a four-digit-year format.
            # A date read so before the year 100 is read again with the `%y` formats when its
            # year has two digits (`TWO_DIGIT_YEAR`): only those pay the regular expression
            # and a second parse (testing every date first cost each twice a parse). A year
            # of one digit (3/11/6) or four (03/11/0026) stays a typo: implausible. DuckDB
            # parses the repeated `parsed` once.
            parsed = (
                f"case when {parsed} >= timestamp '0100-01-01' then {parsed}"
                f" when regexp_matches({text}, {sql_literal(TWO_DIGIT_YEAR)})"
                f" then coalesce(try_strptime({text}, {_sql_list(two_digit)}), {parsed})"
                f" else {parsed} end"
            )
        # The formats first: a failing cast costs far more than a failing format. The cast
        # catches the rest of ISO 8601 (fractions, time zones).
        iso = f"try_cast({text} as {target})"
        if target == "date":
            iso = f"coalesce({iso}, try_cast(try_cast({text} as timestamp) as date))"
        return f"coalesce(cast({parsed} as {target}), {iso})"

    def _excel_number(self, text: str) -> str:
        """SQL of what to say of a value that is no date but Excel's number for one (a date
        column formatted as a number: 46329 is 03/11/2026; 46329,5 where the decimal mark is
        a comma; a Time column's time may follow), else null. Not loaded as that date: a
        workbook from an old Mac counts its days from 1904, four years later."""
        day = f"split_part({text}, ' ', 1)"
        number = f"try_cast(replace({day}, ',', '.') as double)"
        return (
            f"case when regexp_full_match({day}, '\\d{{5}}([.,]\\d+)?') and {number} between"
            f" {EXCEL_PLAUSIBLE[0]} and {EXCEL_PLAUSIBLE[1]} then 'Excel''s number for '"
            f" || strftime(date '1899-12-30' + cast(floor({number}) as integer),"
            f" {sql_literal(self.date_strftime)}) || ' (the cell holds a number, not a date):"
            " format the column as a date in Excel, then save or export it again' end"
        )

    def _other_order(self, text: str) -> str:
        """SQL of what to add to the message of a value that is no date: when it reads as a
        date the other way round (10/25/2026 in a day-first load) and no date of the file
        reads only this way (`OTHER_ORDER_POSSIBLE`), that date and how to load the file
        that way; else ''. (A file with a tenth or more such dates loads nothing and says
        so: `ingest.loader._date_order`.)"""
        # One parse, written once: DuckDB computes an expression written twice in a query
        # for every row, not only for the rows whose message needs it.
        other = f"try_strptime({text}, {_sql_list(self.other_order_formats)})"
        order, fix = ("month-first", "with") if self.dayfirst else ("day-first", "without")
        return (
            f"coalesce(case when getvariable({sql_literal(OTHER_ORDER_POSSIBLE)}) then"
            f" '; it reads as ' || strftime({other}, '%-d %B %Y') || ' {order}: if this file''s"
            f" dates are {order}, load it {fix} --monthfirst' end, '')"
        )

    def excel_error(self, text: str, label: str) -> str:
        """SQL of what to say of a value that is the text of an Excel error (`#REF!`: a cell
        whose formula failed, read as its text from a workbook or a CSV Excel saved), else
        null. Such a cell is no empty cell: a date or a milestone under it is not known, not
        unreached."""
        where = "the tracker" if self.contract.kind == "tracker" else "the file"
        header = sql_literal(f"the cell under '{label}' holds Excel's error ")
        return (
            f"case when lt_excel_error({text}) then {header} || {text}"
            f" || ' (a broken formula): fix or clear the cell in {where} and load it again' end"
        )

    def plausible(self, value: str, label: str) -> str:
        """A problem when a date is before 2000 or years ahead: almost always a typo."""
        return (
            f"case when {value} not between date '{EARLIEST_PLAUSIBLE}' and current_date"
            f" + interval {YEARS_AHEAD_PLAUSIBLE} year then {sql_literal(label)} || ' '"
            f" || strftime({value}, {sql_literal(self.date_strftime)}) || ' is implausible"
            f" (before 2000 or more than {YEARS_AHEAD_PLAUSIBLE} years ahead): check the year' end"
        )

    def _value_map(self, field: Field, text: str, vocabulary: dict[str, str]) -> str:
        """A CASE that turns an export's word into leadtrack's, through the mapping's value
        map first, then the vocabulary."""
        words = dict(vocabulary)
        if self.mapping:
            for source, target in self.mapping.values.get(field.name, {}).items():
                words[normalise_name(source)] = vocabulary.get(normalise_name(target), target)
        branches = " ".join(
            f"when {sql_literal(word)} then {sql_literal(code)}" for word, code in words.items()
        )
        return f"case lt_norm({text}) {branches} end"

    def column(
        self, field: Field, text: str, parts: Sequence[tuple[str, str]] = ()
    ) -> CheckedColumn:
        """`text` is the SQL of the field's trimmed, blank-as-null source text. The problem
        reads the typed value back by the field's name, so nothing is parsed twice. `parts`:
        the columns (SQL, header) `text` puts together, when it does (a Date and a Time
        column), each looked at for an Excel error."""
        label = sql_literal(field.label)
        shown = f"{label} || ' ''' || {text} || ''''"
        missing = (
            f"case when {text} is null then {label} || ' is empty: fill it in (every row needs"
            f" one)' end"
            if field.required
            else None
        )
        if field.name == "phone" and self.dayfirst:
            # Excel stores a UK number typed without spaces (07700900123) as a number and
            # drops its 0: put it back, so it can be dialled (not in month-first files).
            value = f"case when regexp_full_match({text}, '[1-9][0-9]{{9}}') then '0' || {text} end"
            return CheckedColumn(f"coalesce({value}, {text})", missing)
        # Only where a value already failed (no date, no amount...) is it tested for an error,
        # but a text or an id has nothing to fail: every value is tested (`lt_excel_error`).
        error = (
            None
            if field.free_text
            else _first(
                *(self.excel_error(part, header) for part, header in parts or [(text, field.label)])
            )
        )
        if field.type == "id":
            # A number-typed id written as a decimal (1001.0: pandas, a CRM's report, a cell
            # formatted with decimals) is the whole number, as a workbook's 1001.0 reads.
            # (`like` first: a regular expression on every id of a call log costs.)
            value = (
                f"case when {text} like '%.%0' and regexp_full_match({text}, '[0-9]+\\.0+')"
                f" then split_part({text}, '.', 1) else {text} end"
            )
            return CheckedColumn(value, _first(missing, error))
        if field.type == "text":
            return CheckedColumn(text, _first(missing, error))
        error = error or "null"
        if field.type in ("date", "timestamp"):
            value = self._date(text, field.type)
            known = "" if field.required else f" and {_not_unknown(text)}"
            unparsed = (
                f"case when {text} is not null and {field.name} is null{known} then"
                f" coalesce({error}, {shown} || ' is not a date: ' || coalesce("
                f"{self._excel_number(text)}, 'write it as {self.date_shape} (or yyyy-mm-dd)'"
                f" || {self._other_order(text)})) end"
            )
            return CheckedColumn(value, _first(missing, unparsed))
        if field.type == "money":
            value = f"lt_money({text}, {str(text in self.money_dot_groups).lower()})"
            digits = f"lt_money_text({text})"
            bad = (
                f"case when {text} is not null and ({field.name} is null or {field.name} < 0)"
                f" and {_not_unknown(text)} then coalesce({error}, {shown} || case when"
                f" regexp_full_match({digits}, {sql_literal(MONEY_AMBIGUOUS)}) then ' could be '"
                f" || split_part({digits}, '.', 1) || ' or ' || replace({digits}, '.', ',')"
                f" || ': write it like ' || replace({digits}, '.', '') || ' or £'"
                f" || replace({digits}, '.', ',')"
                " else ' is not an amount: write it like 45000 or £45,000' end)"
                + (
                    f" when {field.name} > 0 and {field.name} < {field.smallest} then {shown}"
                    f" || {sql_literal(' is ' + field.too_small)}"
                    if field.smallest
                    else ""
                )
                + " end"
            )
            return CheckedColumn(value, bad)
        if field.type == "percent":
            # A file that writes money the European way writes a decimal comma here too.
            value = f"lt_percent({text}, {str(bool(self.money_dot_groups)).lower()})"
            bad = (
                f"case when {text} is not null and ({field.name} is null or {field.name} < 0"
                f" or {field.name} > 100) and {_not_unknown(text)} then coalesce({error}, {shown}"
                " || ' is not a percentage: write it like 20 or 20%')"
                # 1 is Excel's 100% (0.2 its 20%) or 1% as written: no fee is either.
                f" when {field.name} = 1 and {text} not like '%\\%%' escape '\\' then {shown}"
                " || ' could be 1% or 100% (Excel''s 1): write 1% or 100%, or the fee''s"
                " percentage like 20 or 20%' end"
            )
            return CheckedColumn(value, bad)
        if field.type == "status":
            value = self._value_map(field, text, STATUS_WORDS)
            bad = (
                f"case when {text} is not null and {field.name} is null then coalesce({error},"
                f" {shown} || ' is not a status leadtrack knows: use one of"
                f" {', '.join(STATUSES)} (or a synonym such as Placed or Dead), or map it in a"
                " mapping file') end"
            )
            return CheckedColumn(value, bad)
        value = self._value_map(field, text, self.milestone_names)
        examples = ", ".join(list(self.milestone_labels.values())[:3])
        bad = (
            f"case when {text} is not null and {field.name} is null then coalesce({error},"
            f" {shown} || ' is not a milestone of the catalogue: use its label (e.g."
            f" {examples}), or add it to the catalogue''s aliases or a mapping file''s"
            " values') end"
        )
        return CheckedColumn(value, _first(missing, bad))

    def milestone_cell(
        self, code: str, text: str, columns: Sequence[tuple[str, str]] = ()
    ) -> tuple[str, str, str]:
        """A tracker's milestone cell: (date SQL, is-a-tick SQL, problem SQL over the typed
        columns `m_<code>` and `t_<code>`). A word that says the milestone was not reached
        (`NOT_REACHED`) is no milestone and no problem, as a blank cell; an Excel error in
        one of its `columns` (their SQL text and header; by default `text` and the
        milestone's label) is a problem naming that column."""
        word = _short_word(text)
        is_tick = is_tick_text(text)
        value = (
            f"case when {word} in ({_sql_items((*TICKS, *NOT_REACHED))}) then null"
            f" else {self._date(text, 'date')} end"
        )
        label = sql_literal(self.milestone_labels[code])
        errors = _first(
            *(
                self.excel_error(column, header)
                for column, header in columns or [(text, self.milestone_labels[code])]
            )
        )
        problem = (
            f"case when {text} is not null and not t_{code} and m_{code} is null"
            f" and ({word} in ({_sql_items(NOT_REACHED)})) is not true then coalesce({errors},"
            f" {label} || ' holds ''' || {text} || ''', ' || coalesce({self._excel_number(text)},"
            f" 'which is neither a date ({self.date_shape}) nor a tick (Y, ✓): leave it blank"
            f" if the milestone is not reached' || {self._other_order(text)})) end"
        )
        return value, is_tick, problem


def consultant_key(text: str) -> str:
    """SQL: a consultant's name as names are matched (macros/consultants.sql): trimmed,
    runs of spaces (the no-break ones too) made one, lower case."""
    return f"lower(regexp_replace(trim({text}), '[[:space:]\u00a0\u2007\u2009\u202f]+', ' ', 'g'))"


def _short_word(text: str) -> str:
    """SQL: the text lowered when it is short enough to be a tick or a not-reached word
    (lower() keeps the number of characters), else null: dates are not lowered."""
    longest = max(len(word) for word in (*TICKS, *NOT_REACHED))
    return f"case when length({text}) <= {longest} then lower({text}) end"


def reached_text(text: str) -> str:
    """SQL: the text, or null where it is a word that says the milestone was not reached
    (`n/a`, `TBC`): of a milestone's two columns, the one that says something."""
    return f"case when {_short_word(text)} in ({_sql_items(NOT_REACHED)}) then null else {text} end"


def is_tick_text(text: str) -> str:
    """SQL: whether the text is a tick (`Y`, `✓`: reached)."""
    return f"coalesce({_short_word(text)} in ({_sql_items(TICKS)}), false)"


def iso_shape(sample: Iterable[str | None]) -> bool | None:
    """None unless most of a column's sampled values are ISO dates (yyyy-mm-dd...); then
    whether most of those have a time of day after the date."""
    values = [value for value in sample if value and value.strip()]
    iso = [match for value in values if (match := ISO_TEXT.match(value))]
    if not len(iso) * 2 > len(values) > 0:
        return None
    return sum(bool(ISO_TIME.match(match.string, match.end())) for match in iso) * 2 > len(iso)


def money_dot_groups(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Iterable[str]
) -> set[str]:
    """The money columns of `relation` that write amounts the European way (45.000,00) and
    never the British way (45,000 or 45.50), where 52.000 is therefore 52,000."""
    columns = list(columns)
    if not columns:
        return set()
    european, british = (sql_literal(pattern) for pattern in (MONEY_EUROPEAN, MONEY_BRITISH))
    tests = ", ".join(
        f"coalesce(bool_or(regexp_full_match(lt_money_text({column}), {european}))"
        f" and not bool_or(regexp_full_match(lt_money_text({column}), {british})), false)"
        for column in columns
    )
    (found,) = con.execute(f"select {tests} from {relation}").fetchall()
    return {column for column, dot_groups in zip(columns, found, strict=True) if dot_groups}


def _not_unknown(text: str) -> str:
    """SQL: `text` is no value-not-known-yet (`NOT_KNOWN_YET`)."""
    return f"lt_norm({text}) not in ({_sql_items(NOT_KNOWN_YET)})"


def _sql_items(texts: Iterable[str]) -> str:
    return ", ".join(sql_literal(text) for text in texts)


def _sql_list(texts: Iterable[str]) -> str:
    return f"[{_sql_items(texts)}]"


def _first(*problems: str | None) -> str | None:
    present = [problem for problem in problems if problem]
    if not present:
        return None
    return present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"
