"""Ship-date parsing, with day/month order decided per column, never per row.

Values arrive as text: real Excel dates come out of the reader as ISO
`YYYY-MM-DD HH:MM:SS`, serial numbers as `40513`, and typed dates as
whatever the site typed. Each distinct value is parsed once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recall_cli.normalize.distinct import Distinct
from recall_cli.normalize.options import DAYFIRST, MONTHFIRST
from recall_cli.normalize.problems import AMBIGUOUS_IN_COLUMN, LOCALE_SWAP, guessed_order_note

NOT_NEEDED = "not needed"
INCONSISTENT = "inconsistent"

# A time of day after the date is ignored: the window is applied by calendar date.
_TIME = (
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"  # 13:30, 13:30:00, 13:30:00.123
    r"\s*(?:[AaPp]\.?[Mm]\.?)?(?:Z|[+-]\d{2}:?\d{2})?)?"  # PM, Z, +01:00
)
_ISO = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_BASIC = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.\d+)?$")
_AMBIG = re.compile(rf"^(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{2}}|\d{{4}}){_TIME}$")
# "1 Dec 2010", "1er décembre 2010", "01-Dec-10"; "Dec 1, 2010", "December 1st 2010".
_NAMED = re.compile(
    rf"^(\d{{1,2}})(?:er|st|nd|rd|th)?[-/. ]+([^\W\d_]+)\.?[-/. ,]+(\d{{2}}|\d{{4}}){_TIME}$"
)
_NAMED_US = re.compile(
    rf"^([^\W\d_]+)\.?[-/. ]+(\d{{1,2}})(?:st|nd|rd|th)?,?[-/. ]+(\d{{2}}|\d{{4}}){_TIME}$"
)

_MONTHS = {
    "jan": 1, "january": 1, "janv": 1, "janvier": 1,
    "feb": 2, "february": 2, "fev": 2, "fevr": 2, "fevrier": 2,
    "mar": 3, "march": 3, "mars": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juin": 6,
    "jul": 7, "july": 7, "juil": 7, "juillet": 7,
    "aug": 8, "august": 8, "aou": 8, "aout": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "octobre": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "decembre": 12,
}  # fmt: skip

_ERROR_CELLS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA"}
)
# Excel's 1900 system: serial 1 is 1900-01-01, and serial 60 is the
# 1900-02-29 that never existed (kept for Lotus 1-2-3 compatibility).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_1904_EPOCH = dt.date(1904, 1, 1)
# Ship dates outside this range are typos, not shipments.
MIN_YEAR, MAX_YEAR = 1980, 2100


@dataclass(frozen=True)
class DateOrder:
    order: str  # DAYFIRST, MONTHFIRST, NOT_NEEDED or INCONSISTENT
    reason: str
    #: What was found about real date cells read in the other locale ("" if nothing).
    locale_swap: str = ""
    #: True when those real dates were put back; False when they go to review.
    swap_restored: bool = False
    #: True when nothing in the column, its header's words or the options decided the
    #: order: every a/b/yyyy value fits both, and the country the rows ship to, or
    #: English headers, were taken as the sign. (No locale of the day-first header
    #: languages writes month-first; English is written everywhere, and a row's
    #: destination is not where the file was written.)
    guessed: bool = False


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 2:
        return 2000 + n if n < 70 else 1900 + n
    return n


def _make(y: int, m: int, d: int) -> dt.date | str:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return f"year {y} is out of range"
    try:
        return dt.date(y, m, d)
    except ValueError:
        return "not a real calendar date"


def _month(word: str) -> int | None:
    import unicodedata

    w = unicodedata.normalize("NFKD", word.lower())
    w = "".join(c for c in w if c.isalpha() and not unicodedata.combining(c))
    return _MONTHS.get(w)


def serial_to_date(serial: float, date1904: bool = False) -> dt.date | str:
    if date1904:
        return _check_range(_EXCEL_1904_EPOCH + dt.timedelta(days=int(serial)))
    whole = int(serial)
    if whole == 60:
        return "Excel serial 60 is the non-existent 1900-02-29"
    if whole < 60:
        # Before the phantom leap day the 1900 system is off by one.
        whole += 1
    return _check_range(_EXCEL_EPOCH + dt.timedelta(days=whole))


def _check_range(d: dt.date) -> dt.date | str:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        return f"year {d.year} is out of range"
    return d


@dataclass(frozen=True)
class _Parsed:
    """One distinct cell text, parsed as far as it can be without the column."""

    value: dt.date | None = None
    problem: str = ""
    ambiguous: tuple[int, int, int] | None = None  # (first, second, year) of a/b/yyyy


def _parse_one(text: str, date1904: bool) -> _Parsed:
    s = text.strip()
    if not s:
        return _Parsed(problem="ship date blank")
    if s.upper() in _ERROR_CELLS:
        return _Parsed(problem=f"ship date cell holds the Excel error {s.upper()}")
    if (m := _ISO.match(s)) or (m := _BASIC.match(s)):
        r = _make(int(m[1]), int(m[2]), int(m[3]))
    elif _SERIAL.match(s):
        r = serial_to_date(float(s), date1904)
    elif m := _AMBIG.match(s):
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        return _Parsed(ambiguous=(a, b, y))
    elif (m := _NAMED.match(s)) and (mo := _month(m[2])):
        r = _make(_year(m[3]), mo, int(m[1]))
    elif (m := _NAMED_US.match(s)) and (mo := _month(m[1])):
        r = _make(_year(m[3]), mo, int(m[2]))
    else:
        return _Parsed(problem="ship date unreadable")
    if isinstance(r, str):
        return _Parsed(problem=f"ship date {r}")
    return _Parsed(value=r)


def is_readable_date(text: str) -> bool:
    """Whether the text is a date in one of the forms ship dates are read in.

    a/b/yyyy counts, whatever its order: it is a date, only its day is unsure.
    """
    parsed = _parse_one(text, False)
    return parsed.value is not None or parsed.ambiguous is not None


# Countries that write month first; everyone else in the data writes day first.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PR", "PH", "CA"})


def decide_order(
    parsed: list[_Parsed],
    forced: str | None,
    dayfirst_language: str | None,
    country_hint: str | None = None,
    header_hint: str | None = None,
) -> DateOrder:
    firsts = [p.ambiguous for p in parsed if p.ambiguous]
    if not firsts:
        return DateOrder(NOT_NEEDED, "no dd/mm or mm/dd text in the column")
    day_first = sum(1 for a, b, _ in firsts if a > 12 and b <= 12)
    month_first = sum(1 for a, b, _ in firsts if b > 12 and a <= 12)
    if forced:
        return DateOrder(forced, f"--{forced.replace('-', '')} given")
    if day_first and month_first:
        return DateOrder(
            INCONSISTENT,
            f"{day_first} distinct values only fit day-first and {month_first} only "
            "month-first; ambiguous rows go to review",
        )
    if day_first:
        return DateOrder(DAYFIRST, f"{day_first} distinct values have a day above 12 first")
    if month_first:
        return DateOrder(MONTHFIRST, f"{month_first} distinct values have a day above 12 second")
    if header_hint:
        return DateOrder(header_hint, f"every value is ambiguous; the header says {header_hint}")
    if dayfirst_language:
        return DateOrder(
            DAYFIRST,
            f"every value is ambiguous; {dayfirst_language} headers mean day-first",
        )
    if country_hint and country_hint not in MONTH_FIRST_COUNTRIES:
        return DateOrder(
            DAYFIRST,
            f"every value is ambiguous; the rows ship to {country_hint}, which writes dd/mm",
            guessed=True,
        )
    return DateOrder(
        MONTHFIRST,
        "every value is ambiguous; English headers taken as month-first "
        "(use --dayfirst if this site writes dd/mm)",
        guessed=True,
    )


def _resolve(p: _Parsed, order: str) -> tuple[dt.date | None, str]:
    if p.ambiguous is None:
        return p.value, p.problem
    a, b, y = p.ambiguous
    if order == INCONSISTENT:
        if a > 12 and b <= 12:
            order = DAYFIRST
        elif b > 12 and a <= 12:
            order = MONTHFIRST
        else:
            return None, AMBIGUOUS_IN_COLUMN
    r = _make(y, b, a) if order == DAYFIRST else _make(y, a, b)
    if isinstance(r, str):
        return None, f"ship date {r} ({order})"
    return r, ""


# --- real dates read in the other locale ---------------------------------------------
#
# A dd/mm CSV opened with an en-US locale (or mm/dd with fr-FR) and saved as a workbook:
# wherever the first two numbers could be a month and a day in the opener's order, the
# cell became a real date with day and month swapped; everywhere else it stayed text.
# So the real dates never have a day above 12, and the text dates all fit one order.

#: How the workbook reader writes a real date cell (typed text stays as typed).
READER_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
#: How far outside the span of the text dates a real date may fall and still belong to
#: it: a month, as each month's text dates (days 13 and up) leave its days 1-12 outside.
SWAP_MARGIN = dt.timedelta(days=31)


@dataclass(frozen=True)
class _Swap:
    restore: bool
    message: str
    affected: frozenset[int]  # indexes of the distinct values concerned


def _locale_swap(
    parsed: list[_Parsed], uniques: list[str], voting: np.ndarray, order: str, rows: np.ndarray
) -> _Swap | None:
    """The signature of a locale swap among the voting distinct values, and its verdict.

    Conclusive (the real dates are restored) when all of these hold:
      1. the column holds real date cells and dd/mm-style text, every text date fits
         `order` and at least one fits no other order;
      2. every real date has a day of 12 or less, and at least one has day != month;
      3. with day and month swapped, every such real date lies within SWAP_MARGIN of the
         span of the text dates, and as read at least one does not;
      4. every such real date is at midnight, as a CSV's dates become cells.
    With 1 and 2 but not 3 or 4 the column is inconsistent: its real dates whose day
    and month differ go to review. (Cells are told from text by how the reader writes
    them, so text shaped like that is "real" here: 4 keeps it from being swapped.) If the dates
    as read fit and swapped ones do not, nothing was swapped.
    """
    if order not in (DAYFIRST, MONTHFIRST):
        return None
    real: list[int] = []
    text_dates: list[dt.date] = []
    fits_only = 0
    for i in voting.tolist():
        p = parsed[i]
        if p.ambiguous is not None:
            a, b, _ = p.ambiguous
            if (a > 12 and b <= 12 and order == MONTHFIRST) or (
                b > 12 and a <= 12 and order == DAYFIRST
            ):
                return None  # a text date in the other order: decide_order's business
            fits_only += (a > 12) if order == DAYFIRST else (b > 12)
            d, _ = _resolve(p, order)
            if d is not None:
                text_dates.append(d)
        elif p.value is not None and READER_DATETIME.match(uniques[i]):
            if p.value.day > 12:
                return None  # a real date no swap could have made
            real.append(i)
    swappable = [i for i in real if parsed[i].value.day != parsed[i].value.month]  # type: ignore[union-attr]
    if not fits_only or not swappable or not text_dates:
        return None
    lo, hi = min(text_dates) - SWAP_MARGIN, max(text_dates) + SWAP_MARGIN
    as_read = [parsed[i].value for i in swappable]
    swapped = [dt.date(d.year, d.day, d.month) for d in as_read]  # type: ignore[union-attr]
    read_fit = all(lo <= d <= hi for d in as_read)  # type: ignore[operator]
    swap_fit = all(lo <= d <= hi for d in swapped)
    if read_fit and not swap_fit:
        return None
    # A date in a CSV that a spreadsheet opened becomes a cell at midnight. A workbook's
    # text shaped like the reader's datetimes ("2010-12-01 13:30:00", an ERP's own
    # text) reads the same as a real cell, so a time of day leaves it to a person.
    midnight = all(uniques[i][11:19] == "00:00:00" for i in swappable)
    restore = swap_fit and not read_fit and midnight
    n = int(rows[swappable].sum())
    shown = "dd/mm" if order == DAYFIRST else "mm/dd"
    other = "mm/dd" if order == DAYFIRST else "dd/mm"
    what = (
        f"the column's real dates never have a day above 12 while its text dates are {shown}: "
        f"probably a {shown} CSV opened in a {other} locale and saved as a workbook"
    )
    rows_n = f"{n:,} row{'s' if n != 1 else ''}"
    if restore:
        message = (
            f"{what}; day and month swapped back in {rows_n} (swapped, those dates fall "
            "among the text dates; as read, they do not)"
        )
    else:
        message = f"{what}; {rows_n} whose day and month differ go to review (" + (
            "both readings fit the text dates, or neither does)"
            if midnight or not (swap_fit and not read_fit)
            else "they have a time of day, so they may be text written like a date cell)"
        )
    return _Swap(restore=restore, message=message, affected=frozenset(swappable))


def parse_dates(
    values: pd.Series,
    *,
    forced: str | None = None,
    dayfirst_language: str | None = None,
    country_hint: str | None = None,
    header_hint: str | None = None,
    date1904: bool = False,
    evidence_mask: pd.Series | None = None,
    reader_dates: bool = False,
) -> tuple[pd.Series, Distinct, DateOrder, Distinct]:
    """Parse a column of date texts.

    Returns calendar dates (datetime64 at midnight, NaT where unreadable),
    the problem text per row ("" when fine) as codes into the distinct problems,
    the order assumed, and, where that order is a guess (DateOrder.guessed), a
    note per row whose date reads otherwise the other way (guessed_order_note;
    "" for every other row). Only rows in `evidence_mask` (the data rows) vote on
    the order. With `reader_dates` (a workbook), values written as the reader writes
    a real date cell are real dates, and a column of them mixed with dd/mm text is
    checked for a locale swap (_locale_swap).
    """
    text = values.fillna("").astype(str)
    codes, uniques = pd.factorize(text, sort=False)
    parsed = [_parse_one(u, date1904) for u in uniques]
    mask = (
        np.asarray(evidence_mask, dtype=bool)
        if evidence_mask is not None
        else np.ones(len(codes), dtype=bool)
    )
    seen = np.bincount(codes[mask], minlength=len(uniques))
    voting = np.flatnonzero(seen)  # np.unique would sort a million codes
    voters = [parsed[i] for i in voting]
    order = decide_order(voters, forced, dayfirst_language, country_hint, header_hint)
    resolved = [_resolve(p, order.order) for p in parsed]
    swap = _locale_swap(parsed, list(uniques), voting, order.order, seen) if reader_dates else None
    if swap is not None:
        for i in swap.affected:
            d = parsed[i].value
            assert d is not None
            resolved[i] = (
                (dt.date(d.year, d.day, d.month), "") if swap.restore else (None, LOCALE_SWAP)
            )
        order = DateOrder(order.order, order.reason, swap.message, swap.restore)
    dates = np.array(
        [np.datetime64(d, "D") if d else np.datetime64("NaT", "D") for d, _ in resolved]
        or [np.datetime64("NaT", "D")],
        dtype="datetime64[D]",
    )
    # A million rows share a handful of problem texts: codes, not a million objects.
    problem_codes, problem_texts = pd.factorize(np.array([pr for _, pr in resolved] + [""]))
    together = zip(uniques, parsed, resolved, strict=True)
    notes = [_guess_note(u, p, r, order) for u, p, (r, _) in together]
    note_codes, note_texts = pd.factorize(np.array([*notes, ""], dtype=object))
    if len(codes) == 0:
        empty = pd.Series([], dtype="datetime64[s]", index=values.index)
        none = Distinct(np.zeros(0, dtype=np.intp), [""])
        return empty, Distinct(np.zeros(0, dtype=np.intp), list(problem_texts)), order, none
    out_dates = pd.Series(dates[codes].astype("datetime64[s]"), index=values.index)
    guesses = Distinct(note_codes[codes], list(note_texts))
    return out_dates, Distinct(problem_codes[codes], list(problem_texts)), order, guesses


def _guess_note(text: str, p: _Parsed, read: dt.date | None, order: DateOrder) -> str:
    """The guessed-order note of one distinct value ("" unless both readings are dates
    and differ)."""
    if not order.guessed or p.ambiguous is None or read is None:
        return ""
    a, b, y = p.ambiguous
    other = _make(y, a, b) if order.order == DAYFIRST else _make(y, b, a)
    if isinstance(other, str) or other == read:
        return ""
    return guessed_order_note(text, read, order.order, other)
