"""Quantities as exports write them: `40`, `40 EA`, `1,200`, `2,5`, `1.000`, `(3)`.

A decimal mark is a column's habit, not a cell's: in a German export `1.000` is a
thousand and `2,5` two and a half; in an SAP export written in English `1.000` is
one, with three decimals. Read one cell at a time, `1.000` is either, and a wrong
guess multiplies the units reported to the regulator by a thousand. So the column's
mark is decided from the cells that show it (`2,5`, `1.234,5`, `1.5`, `12.75`); a cell
that evidence cannot settle (the column shows both marks, or none) is not guessed: its
row goes to review. The one reading kept without evidence is every reader's `1,000`
as a thousand, and not even that where the file's language or country writes a
decimal comma.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from recall_cli.normalize.problems import UNDECIDED_QUANTITY_START

__all__ = [
    "AMBIGUOUS",
    "MAX_QUANTITY",
    "decimal_mark",
    "is_undecided",
    "mark_note",
    "parse_quantity",
    "undecided_problem",
]

# Past 2**53 a float no longer holds every whole number: the count read would not be
# the count written, and sums of such counts leave every integer type.
MAX_QUANTITY = 2.0**53

_UNIT_SUFFIX = re.compile(r"^([-+(]?[\d.,\s\u00a0\u202f]+\)?)\s*[^\W\d_]{1,12}\.?$")
# What each cell says of the column's decimal mark.
_COMMA_DECIMAL = re.compile(
    r"[-+(]?(?:\d+,\d{1,2}|\d+,\d{4,}|\d{4,},\d{3}|\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,})\)?"
)
_DOT_DECIMAL = re.compile(
    r"[-+(]?(?:\d+\.\d{1,2}|\d+\.\d{4,}|\d{4,}\.\d{3}|\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,})\)?"
)
# One group of three after one mark: a thousand or a number with three decimals.
_EITHER_DOT = re.compile(r"[-+(]?\d{1,3}\.\d{3}\)?")
_EITHER_COMMA = re.compile(r"[-+(]?\d{1,3},\d{3}\)?")
_GROUPED_COMMA = re.compile(r"[-+(]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?")
_GROUPED_DOT = re.compile(r"[-+(]?\d{1,3}(?:\.\d{3})+(?:,\d+)?\)?")

#: decimal_mark's answer when the column shows both marks.
AMBIGUOUS = "both"


def _bare(text: str) -> str:
    s = text.strip()
    if m := _UNIT_SUFFIX.match(s):  # "40 EA", "40 units", "40 u."
        s = m[1]
    return s.replace("\u00a0", "").replace(" ", "").replace("\u202f", "")


def decimal_mark(values: Iterable[str]) -> str | None:
    """The column's decimal mark, "," or ".": AMBIGUOUS when its cells show both,
    None when none shows one."""
    comma = dot = False
    for value in values:
        s = _bare(value)
        comma = comma or bool(_COMMA_DECIMAL.fullmatch(s))
        dot = dot or bool(_DOT_DECIMAL.fullmatch(s))
        if comma and dot:
            return AMBIGUOUS
    if comma:
        return ","
    return "." if dot else None


def is_undecided(text: str, mark: str | None, comma_hint: bool = False) -> bool:
    """A cell whose value the column's mark cannot settle: `1.000` or `1,000` when the
    column shows both marks, `1.000` when it shows none (`1,000` is then read as a
    thousand, as every reader does, unless `comma_hint`: a French, German... header,
    or a country that writes a decimal comma)."""
    s = _bare(text)
    either = bool(_EITHER_DOT.fullmatch(s) or _EITHER_COMMA.fullmatch(s))
    if mark == AMBIGUOUS or (mark is None and comma_hint):
        return either
    return mark is None and bool(_EITHER_DOT.fullmatch(s))


def parse_quantity(text: str, mark: str | None = None) -> float:
    """The number in a quantity cell, read with the column's decimal mark; NaN when
    there is none (or it is infinite or too large to be an exact count)."""
    s = _bare(text)
    if not s:
        return np.nan
    if mark == ",":
        if _GROUPED_DOT.fullmatch(s):
            s = s.replace(".", "")
        s = s.replace(",", ".") if re.fullmatch(r"[-+(]?\d+,\d+\)?", s) else s
    elif _GROUPED_COMMA.fullmatch(s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+(]?\d+,\d+\)?", s):
        s = s.replace(",", ".")  # a lone decimal comma ("2,5"): no other reading
    if s.startswith("(") and s.endswith(")"):
        s = "-" + s[1:-1]  # accounting negative
    try:
        value = float(s)
    except ValueError:
        return np.nan
    return value if abs(value) < MAX_QUANTITY else np.nan  # inf and nan fail this too


def mark_note(mark: str | None) -> str:
    """Why the column's mark settles nothing, for a person."""
    if mark == AMBIGUOUS:
        return "the column shows both a decimal comma and a decimal point"
    return "no other cell of the column shows its decimal mark"


def undecided_problem(cell: str, mark: str | None) -> str:
    """The row problem of a cell is_undecided: it starts with UNDECIDED_QUANTITY."""
    s = _bare(cell)
    whole = s.replace(".", "").replace(",", "").strip("()+")
    decimal = float(s.replace(",", ".").strip("()+"))
    problem = f"quantity {cell!r} could be {int(whole):,} or {decimal:g} ({mark_note(mark)})"
    assert problem.startswith(UNDECIDED_QUANTITY_START)
    return problem
