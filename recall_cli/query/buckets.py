"""The recall scope and the rule that puts every row in exactly one bucket.

Numpy only, no pandas: the DataFrame path (query.py) and the cached support
path (quick.py, on memory-mapped Arrow) both call `classify`, so a support
agent's answer and the regulator's count come from one rule set.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

import numpy as np
import pyarrow as pa

from recall_cli.normalize import arrowbits as ab
from recall_cli.normalize.countries import PARENT
from recall_cli.normalize.distinct import Distinct, spread
from recall_cli.normalize.lots import fold_confusables
from recall_cli.normalize.problems import (
    UNDECIDED_QUANTITY_START,
    UNREADABLE_QUANTITY,
    UNTRUSTED_DATE_COLUMN,
    other_reading,
)
from recall_cli.query.scope import RecallScope

MATCHED = "matched"
NOT_MATCHED = "not_matched"
NOT_DATA = "not_data"
NEEDS_REVIEW = "needs_review"
BUCKETS = (MATCHED, NOT_MATCHED, NOT_DATA, NEEDS_REVIEW)
# Fixed-width text compares in C; an object array of a million strings does not.
BUCKET_DTYPE = "<U12"

# The columns `classify` reads.
RULE_COLUMNS = ("kind", "lot", "ship_date", "country", "customer_key", "problem", "quantity")

# Contact details travel in blocks: an address is never stitched from two rows.
CONTACT_BLOCKS: dict[str, tuple[str, ...]] = {
    "name": ("name", "first_name", "last_name"),
    "email": ("email",),
    "phone": ("phone",),
    "address": ("address", "address2", "city", "region", "postal_code", "country"),
    "prescriber": ("prescriber", "prescriber_id"),
}
# What makes a row "have" a block: a country or a state alone is not an address.
BLOCK_PRESENCE: dict[str, tuple[str, ...]] = {
    "address": ("address", "address2", "city", "postal_code"),
}


@dataclass(frozen=True)
class RuleInputs:
    """The columns `classify` reads, however they were stored."""

    kind: Distinct
    lot: Distinct
    country: Distinct
    problem: Distinct
    seconds: np.ndarray  # int64 seconds since 1970 (arrowbits.seconds), NAT where unreadable
    key: Distinct  # the customer key (id, or name and postal code); "" for none
    quantity: np.ndarray  # float64, NaN where unreadable or blank

    def __len__(self) -> int:
        return len(self.seconds)

    @functools.cached_property
    def day(self) -> np.ndarray:
        """The ship dates as calendar days (datetime64[D], NaT where unreadable).

        Made on first use: the rule needs them on the rows in doubt only.
        """
        return self.seconds.view("datetime64[s]").astype("datetime64[D]")

    def take(self, at: np.ndarray) -> RuleInputs:
        """The rows at these positions (each column keeps its distinct values)."""
        return RuleInputs(
            kind=Distinct(self.kind.codes[at], self.kind.values),
            lot=Distinct(self.lot.codes[at], self.lot.values),
            country=Distinct(self.country.codes[at], self.country.values),
            problem=Distinct(self.problem.codes[at], self.problem.values),
            seconds=self.seconds[at],
            key=Distinct(self.key.codes[at], self.key.values),
            quantity=self.quantity[at],
        )

    @property
    def has_identity(self) -> np.ndarray:
        return self.key.where(lambda v: v != "")


def rule_inputs(table: pa.Table) -> RuleInputs:
    """The columns rules.classify reads (RULE_COLUMNS), from an Arrow table."""
    return RuleInputs(
        kind=ab.distinct(table["kind"]),
        lot=ab.distinct(table["lot"]),
        country=ab.distinct(table["country"]),
        problem=ab.distinct(table["problem"]),
        seconds=ab.seconds(table["ship_date"]),
        key=ab.distinct(table["customer_key"]),
        quantity=ab.fixed(table["quantity"], "float64", np.nan),
    )


# How Excel (or a CSV re-read by it) turns a code into a number: "0012345" loses its
# zeros, "12E4" becomes 120000, and a General-format cell shows 120000 as "1.20E+05".
_DIGITS = re.compile(r"\d+")
_SCIENTIFIC_CODE = re.compile(r"\d+(?:\.\d+)?E[+-]?\d{1,3}")
_SCIENTIFIC_SHOWN = re.compile(r"\d(?:\.(\d+))?E[+-]\d{1,3}")
LOST_ZEROS = "numeric lot may be a recalled lot whose leading zeros Excel dropped"
SCIENTIFIC = (
    "numeric lot may be a recalled lot written like 12E4, which Excel reads as a number "
    "in scientific notation"
)


def _as_number(lot: str) -> Decimal | None:
    """The number Excel would make of a code, if it makes one (digits, or 12E4-style)."""
    if _DIGITS.fullmatch(lot) or _SCIENTIFIC_CODE.fullmatch(lot):
        value = Decimal(lot)
        return value if value == value.to_integral_value() else None
    return None


def recalled_numbers(recalled: Iterable[str]) -> dict[Decimal, list[str]]:
    """The recalled lots Excel could turn into numbers, by the number each makes."""
    numbers: dict[Decimal, list[str]] = {}
    for x in sorted(recalled):
        value = _as_number(x)
        if value is not None:
            numbers.setdefault(value, []).append(x)
    return numbers


def could_be(lot: str, numbers: dict[Decimal, list[str]]) -> tuple[list[str], str] | None:
    """The recalled lots a data lot could be once Excel turned one into a number, and
    the review reason; None when it could be none (or is one itself: callers ask only
    of lots not on the list).

    Digits compare by value ("12345" is "0012345", "120000" is "12E4"). A cell in
    scientific notation ("12E4", "1.2E+05") is expanded: equal to a recalled lot that
    is all digits, it may be that lot turned into a number. A number shown the way
    Excel shows it ("1.20E+05") is rounded to the digits it shows: it could be any
    code whose value rounds to it at that many significant digits.
    """
    if not numbers:
        return None
    if _DIGITS.fullmatch(lot):
        found = numbers.get(Decimal(lot))
        if not found:
            return None
        return found, LOST_ZEROS if any(_DIGITS.fullmatch(x) for x in found) else SCIENTIFIC
    if not _SCIENTIFIC_CODE.fullmatch(lot):
        return None
    shown = Decimal(lot)
    exact = numbers.get(shown, []) if shown == shown.to_integral_value() else []
    rounded: list[str] = []
    m = _SCIENTIFIC_SHOWN.fullmatch(lot)
    if m:
        digits = 1 + len(m[1] or "")
        for value, codes in numbers.items():
            if value and value != shown and value.adjusted() == shown.adjusted():
                at = value.scaleb(-value.adjusted()).quantize(Decimal(1).scaleb(1 - digits))
                if at.scaleb(value.adjusted()) == shown:
                    rounded.extend(codes)
    exact_digits = [x for x in exact if _DIGITS.fullmatch(x)]
    rounded_digits = [x for x in rounded if _DIGITS.fullmatch(x)]
    if not exact_digits and not rounded_digits:
        return (sorted(exact + rounded), SCIENTIFIC) if exact or rounded else None
    how = []
    if exact_digits:
        how.append(f"is recalled lot {' or '.join(exact_digits)} in scientific notation")
    if rounded_digits:
        how.append(f"may be recalled lot {' or '.join(rounded_digits)}, rounded to the "
                   "digits Excel shows")  # fmt: skip
    return [*exact_digits, *rounded_digits], (
        f"lot cell {lot!r} {' or '.join(how)}: Excel may have turned the lot into a number; "
        "read the cell at the source"
    )


def classify(
    rows: RuleInputs, scope: RecallScope, set_aside: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket (as text) and reason for every row. Each row lands in exactly one bucket."""
    codes, reason = classify_codes(rows, scope, set_aside)
    return bucket_names(codes), reason


def bucket_names(codes: np.ndarray) -> np.ndarray:
    """Bucket codes (indexes into BUCKETS) as names."""
    return np.array(BUCKETS, dtype=BUCKET_DTYPE)[codes]


@dataclass(frozen=True)
class _LotMasks:
    """What the lot says about the recall, before dates and countries: per distinct
    lot (_lot_flags), or per row (_lot_masks)."""

    empty: np.ndarray
    recalled: np.ndarray
    # A Unicode look-alike of a recalled lot (a Cyrillic В in В201575) is treated as
    # that lot would be, but where it would match it goes to review: the box decides.
    confusable: np.ndarray
    # A cell holding a recalled lot among other text ("LOT B201575", "B201575 /
    # B201999") or split by punctuation ("B-201575"), treated the same way: where it
    # would match, a person reads the cell (embedded_lot says which lot).
    embeds: np.ndarray
    # Numeric lots that may be recalled codes Excel turned into numbers (could_be).
    maybe_number: np.ndarray


def _lot_flags(lots: Sequence[str], scope: RecallScope) -> tuple[_LotMasks, dict[str, str]]:
    """_LotMasks of each distinct lot (what the lot says, decided once per value), and
    the review reason of each lot flagged maybe_number (could_be's)."""
    numbers = recalled_numbers(scope.lots)
    said: dict[str, str] = {}
    for v in lots:
        found = could_be(v, numbers) if v not in scope.lots else None
        if found is not None:
            said[v] = found[1]

    def flags(test: Callable[[str], bool]) -> np.ndarray:
        return np.array([test(v) for v in lots] or [False], dtype=bool)

    masks = _LotMasks(
        empty=flags(lambda v: v == ""),
        recalled=flags(lambda v: v in scope.lots),
        confusable=flags(
            lambda v: not v.isascii() and v not in scope.lots and fold_confusables(v) in scope.lots
        ),
        embeds=flags(lambda v: embedded_lot(v, scope.lots) is not None),
        maybe_number=flags(lambda v: v in said),
    )
    return masks, said


def _lot_masks(rows: RuleInputs, flags: _LotMasks) -> _LotMasks:
    """The lot flags of each row."""
    codes = rows.lot.codes
    return _LotMasks(*(spread(getattr(flags, f.name), codes) for f in fields(_LotMasks)))


_SEPARATORS = re.compile(r"[^0-9A-Z]+")


def embedded_lot(lot: str, recalled: Iterable[str]) -> str | None:
    """The recalled lot a normalised lot cell holds without being it: as a whole word
    among other text ("LOT B201575", "B201575/B201999"), or with punctuation inside
    ("B-201575"). None for the recalled lot itself and for every other cell."""
    wanted = set(recalled)
    if lot in wanted or not lot:
        return None
    words = [w for w in _SEPARATORS.split(lot.upper()) if w]
    for word in words:
        if word in wanted:
            return word
    joined = "".join(words)
    return joined if len(words) > 1 and joined in wanted else None


def _in_window(rows: RuleInputs, scope: RecallScope) -> tuple[np.ndarray, np.ndarray]:
    """(has a date, the date is inside the window), calendar days, inclusive."""
    day = rows.day
    has_date = ~np.isnat(day)
    in_window = has_date.copy()
    if scope.start:
        in_window &= day >= np.datetime64(scope.start, "D")
    if scope.end:
        in_window &= day <= np.datetime64(scope.end, "D")
    return has_date, in_window


def _countries(rows: RuleInputs, scope: RecallScope) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in the countries asked, shipped to a known country outside them, shipped to a
    territory of a country asked).

    With --country, a row shipped to a known country outside those asked is out of
    scope whatever else is wrong with it: no reason sends it to review. A row whose
    country is blank or unrecognised stays in doubt, and so does one shipped to a
    territory of a country asked (Puerto Rico under --country US): whether the
    recall covers it is a person's call, not a silent "elsewhere".
    """
    n = len(rows)
    if not scope.countries:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    country_known = rows.country.where(lambda v: bool(re.fullmatch(r"[A-Z]{2}", v)))
    in_countries = rows.country.where(lambda v: v in scope.countries)
    territory = rows.country.where(
        lambda v: v not in scope.countries and PARENT.get(v) in scope.countries
    )
    return in_countries, country_known & ~in_countries & ~territory, territory


COPY_REASON = "a copy of a line of an earlier file (--dedupe-lines)"


def bucket_codes(
    rows: RuleInputs, scope: RecallScope, set_aside: np.ndarray | None = None
) -> np.ndarray:
    """classify_codes without the reasons, for the counts: a text per row is not made."""
    return _classify_codes(rows, scope, set_aside, reasons=False)[0]


def classify_codes(
    rows: RuleInputs, scope: RecallScope, set_aside: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket (as its index in BUCKETS) and reason for every row (see `_classify`).

    Nearly every row of a year of shipments carries a lot that is not recalled: no
    rule can then take it past its kind's bucket (not data for a blank, total,
    header or note line, else not matched) unless the lot is blank, a look-alike, a
    cell holding a recalled lot among other text, or a number Excel may have made of
    a recalled code, the line is bad, or its date
    column cannot be trusted. Those tests are decided once per distinct value; the
    whole rule runs on the rows they leave in doubt, which hold every row of each
    recalled lot, so a return is still weighed against all its lot's shipments.
    """
    bucket, reason = _classify_codes(rows, scope, set_aside, reasons=True)
    assert reason is not None
    return bucket, reason


def _classify_codes(
    rows: RuleInputs, scope: RecallScope, set_aside: np.ndarray | None, *, reasons: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    n = len(rows)
    flags, number_reasons = _lot_flags(rows.lot.values, scope)
    # Every lot flag puts a row in doubt: a flag added to _LotMasks is one more.
    lot_doubt = np.logical_or.reduce([getattr(flags, f.name) for f in fields(_LotMasks)])
    doubt = (
        spread(lot_doubt, rows.lot.codes)
        | rows.kind.where(lambda v: v == "bad")
        | rows.problem.where(lambda v: v in UNTRUSTED_DATE_COLUMN)
    )
    at = np.flatnonzero(doubt)
    if len(at) > n * WHOLE_RULE_ABOVE:  # taking most rows costs more than it saves
        return _classify(rows, scope, set_aside, flags, number_reasons)
    bucket = np.full(n, BUCKETS.index(NOT_MATCHED), dtype=np.int8)
    bucket[rows.kind.where(lambda v: v in _NOT_DATA_KINDS)] = BUCKETS.index(NOT_DATA)
    reason = np.full(n, "", dtype=object) if reasons else None
    if set_aside is not None:
        bucket[set_aside] = BUCKETS.index(NOT_DATA)
        if reason is not None:
            reason[set_aside] = COPY_REASON
    if len(at):
        aside = None if set_aside is None else set_aside[at]
        some, why = _classify(rows.take(at), scope, aside, flags, number_reasons)
        bucket[at] = some
        if reason is not None:
            reason[at] = why
    return bucket, reason


# The share of rows in doubt above which the whole rule runs on every row (the
# answer is the same either way; tests set it to 1 to take the short way always).
WHOLE_RULE_ABOVE = 0.5
# Lines that are not shipments: not data, whatever their lot (a note with a recalled
# lot goes to review, as _classify decides).
_NOT_DATA_KINDS = ("blank", "total", "header", "note")


def _classify(
    rows: RuleInputs,
    scope: RecallScope,
    set_aside: np.ndarray | None,
    flags: _LotMasks,
    number_reasons: dict[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """The bucket rule on every row given: bucket codes and reasons.

    `set_aside` marks data rows that are copies of lines of an earlier file
    (copies.find_copies, with --dedupe-lines): they are not data, as a repeated
    header is, and nothing else is decided about them.

    A row's bucket depends on that row and the scope, and on one thing more: a
    return (negative quantity) that is larger than what was shipped of its lot to
    its customer inside the scope goes to review (`_over_returned`). So
    classifying a subset of rows gives them the buckets they get in the whole set
    when the subset holds every row of each (customer, lot) it touches: all the
    rows of a lot, or of a customer, as the support questions take them.
    One byte a row: bucket names would be twelve characters a row to fill.
    """
    n = len(rows)
    bucket = np.full(n, BUCKETS.index(NOT_MATCHED), dtype=np.int8)
    reason = np.full(n, "", dtype=object)  # a specific reason, else the row's problem
    lots = _lot_masks(rows, flags)
    has_date, in_window = _in_window(rows, scope)
    in_countries, elsewhere, territory = _countries(rows, scope)
    data = rows.kind.where(lambda v: v == "data")
    if set_aside is not None:
        data &= ~set_aside
        bucket[set_aside] = BUCKETS.index(NOT_DATA)
    bucket[rows.kind.where(lambda v: v in ("blank", "total", "header"))] = BUCKETS.index(NOT_DATA)
    note = rows.kind.where(lambda v: v == "note")
    bucket[note] = BUCKETS.index(NOT_DATA)
    review = np.zeros(n, dtype=bool)
    note_doubt = note & (lots.recalled | lots.confusable | lots.embeds) & ~elsewhere
    review |= note_doubt
    reason[note_doubt] = "a line with a recalled lot but no date, customer or quantity"
    # A row with the wrong number of fields: its country cell may be another column.
    review |= rows.kind.where(lambda v: v == "bad")
    lot_unusable = data & lots.empty
    review |= lot_unusable & ~elsewhere
    numeric = data & lots.maybe_number & ~elsewhere
    review |= numeric
    _reasons_per_value(rows.lot, numeric, reason, number_reasons.__getitem__)
    ambiguous = data & rows.problem.where(lambda v: v in UNTRUSTED_DATE_COLUMN) & ~elsewhere
    review |= ambiguous  # whatever the lot: the column itself cannot be trusted
    rec = data & (lots.recalled | lots.confusable | lots.embeds) & ~lot_unusable & ~elsewhere
    review |= rec & ~has_date
    inside = rec & has_date & in_window
    # Where the column's day/month order was a guess, a date whose other reading falls
    # on the other side of the window decides nothing: a person reads the file's order.
    guessed = rec & has_date & rows.problem.where(lambda v: other_reading(v) is not None)
    if guessed.any():
        flips = guessed & (rows.problem.where(lambda v: _other_inside(v, scope)) != in_window)
        review |= flips
        _reasons_per_value(rows.problem, flips, reason, _order_decides)
    if scope.countries:
        country_blank = rows.country.where(lambda v: v == "")
        unknown_country = inside & ~in_countries
        review |= unknown_country
        reason[unknown_country & country_blank] = "country blank: cannot apply --country"
        reason[unknown_country & ~country_blank] = "country not recognised"
        _reasons_per_value(rows.country, unknown_country & territory, reason, _territory)
        inside &= ~unknown_country
    has_identity = rows.has_identity
    review |= inside & ~has_identity
    # Its units would be reported as 0: a person reads the quantity at the source.
    review |= inside & rows.problem.where(
        lambda v: v.startswith((UNREADABLE_QUANTITY, UNDECIDED_QUANTITY_START))
    )
    reason[inside & ~has_identity] = "no customer id, or name and postal code"
    lookalike = rec & lots.confusable & (review | inside)
    review |= lookalike
    _reasons_per_value(rows.lot, lookalike, reason, _lookalike)
    embedded = rec & lots.embeds & (review | inside)
    review |= embedded
    _reasons_per_value(rows.lot, embedded, reason, _embedded(scope))
    matched = inside & has_identity & ~review
    _over_returns_to_review(rows, matched, review, reason)
    bucket[matched] = BUCKETS.index(MATCHED)
    bucket[review] = BUCKETS.index(NEEDS_REVIEW)
    # Review rows without a specific reason carry the problem normalize found.
    fill = review & (reason == "")
    if fill.any():
        reason[fill] = np.array(rows.problem.values, dtype=object)[rows.problem.codes[fill]]
    reason[~review] = ""
    if set_aside is not None:
        reason[set_aside] = COPY_REASON
    return bucket, reason


def _reasons_per_value(
    column: Distinct, where: np.ndarray, reason: np.ndarray, say: Callable[[str], str]
) -> None:
    """reason[where] = say(value), worked out once per distinct value of the column."""
    if not where.any():
        return
    for code in np.unique(column.codes[where]).tolist():
        reason[where & (column.codes == code)] = say(column.values[code])


def _other_inside(problem: str, scope: RecallScope) -> bool:
    other = other_reading(problem)
    if other is None:
        return False
    return (scope.start is None or other >= scope.start) and (
        scope.end is None or other <= scope.end
    )


def _order_decides(problem: str) -> str:
    # The whole problem: a row that has another one ("unreadable quantity; ...") says both.
    return (f"{problem}: one reading is inside the recall window and the other is not; give "
            "--dayfirst or --monthfirst once you know how this file writes dates")  # fmt: skip


def _territory(country: str) -> str:
    parent = PARENT[country]
    return (f"shipped to {country}, a territory of {parent}: decide whether --country "
            f"{parent} covers it (add --country {country} if it does)")  # fmt: skip


def _lookalike(lot: str) -> str:
    return (f"lot {lot} looks like recalled {fold_confusables(lot)} (Unicode look-alike "
            "characters): check the box")  # fmt: skip


def _embedded(scope: RecallScope) -> Callable[[str], str]:
    return lambda lot: (f"lot cell {lot!r} holds recalled lot {embedded_lot(lot, scope.lots)} "
                        "among other characters: read the cell at the source")  # fmt: skip


def _over_returns_to_review(
    rows: RuleInputs, matched: np.ndarray, review: np.ndarray, reason: np.ndarray
) -> None:
    """Move returns larger than what was shipped from matched to review (in place)."""
    over = _over_returned(rows, matched)
    for pos, text in over.items():
        reason[pos] = text
    if over:
        at = np.fromiter(over, dtype=np.int64, count=len(over))
        matched[at] = False
        review[at] = True


def _over_returned(rows: RuleInputs, matched: np.ndarray) -> dict[int, str]:
    """The return lines of each (customer, lot, country) whose matched lines sum below
    zero, with their reason.

    Such a return is larger than what was shipped inside the scope (it is of a
    shipment before the window, or its lot or customer is mistyped): it is not
    netted against anything, and the shipments count in full until a person
    decides. Every matched (customer, lot, country) then sums to 0 or more, so
    the units of a customer, a lot, a country and the total are one sum of
    non-negative parts (tally.net_units) and never disagree.
    """
    at = np.flatnonzero(matched & (rows.quantity < 0))
    if not len(at):
        return {}
    everything = np.flatnonzero(matched)
    n_lots, n_countries = len(rows.lot.values), len(rows.country.values)

    def group(where: np.ndarray) -> np.ndarray:
        key = rows.key.codes[where].astype(np.int64) * n_lots + rows.lot.codes[where]
        return key * n_countries + rows.country.codes[where]

    groups, which = np.unique(group(everything), return_inverse=True)
    quantity = np.nan_to_num(rows.quantity[everything], nan=0.0)
    net = np.bincount(which, weights=quantity, minlength=len(groups))
    shipped = np.bincount(which, weights=np.where(quantity > 0, quantity, 0.0),
                          minlength=len(groups))  # fmt: skip
    mine = np.searchsorted(groups, group(at))
    out: dict[int, str] = {}
    for pos, g in zip(at.tolist(), mine.tolist(), strict=True):
        if np.rint(net[g]) < 0:
            lot = rows.lot.values[rows.lot.codes[pos]]
            returned = int(np.rint(shipped[g] - net[g]))
            out[pos] = (
                f"returns of {returned:,} units of {lot} exceed the {int(np.rint(shipped[g])):,} "
                "shipped to this customer inside the scope: not netted until a person checks"
            )
    return out
