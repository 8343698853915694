"""Support-desk questions, one lot or one customer, on Arrow columns without pandas.

Both ways of answering share this module: after a full load the rows come from
the DataFrame with the buckets already computed (`Classified.from_result`); on
cached data quick.py hands over the memory-mapped Arrow tables and only the
few rows a question touches are classified (rules.classify is row-local, so
they get the buckets a full run gives them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recall_cli.errors import UsageError
from recall_cli.normalize import arrowbits as ab
from recall_cli.normalize.columns import normalize_header
from recall_cli.normalize.lots import normalize_id, normalize_lot
from recall_cli.query.buckets import (
    MATCHED,
    NEEDS_REVIEW,
    RULE_COLUMNS,
    RecallScope,
    classify,
    could_be,
    embedded_lot,
    recalled_numbers,
    rule_inputs,
)
from recall_cli.query.copies import COPY_COLUMNS
from recall_cli.query.reading import sheets_holding_recalled_lots
from recall_cli.query.tally import CONTACT_COLUMNS, latest_contact, net_units

if TYPE_CHECKING:
    from recall_cli.query.result import RecallResult

# Every column a support answer reads.
LOOKUP_COLUMNS = tuple(
    dict.fromkeys(
        ("file", "sheet", "row", *RULE_COLUMNS, "customer_id", "quantity", *CONTACT_COLUMNS)
    )
)
# Read besides, with two files or more: lines repeated across files (copies_among).
ORDER_COLUMN = "order_id"
# What `check` of a lot reads: the bucket rule's columns; with --show-rows, where
# each row of the lot is and whose it is (lot_rows).
SHOWN_ROW_COLUMNS = ("file", "sheet", "row", "ship_date", "customer_id", "quantity")


def support_columns(*, lot: bool, show_rows: bool, several: bool) -> tuple[str, ...]:
    """The columns a support answer reads from the cache.

    `lot`: a `check` (RULE_COLUMNS, and SHOWN_ROW_COLUMNS with `show_rows`), else
    a `customer` answer (LOOKUP_COLUMNS). With two files or more, the columns
    that tell a line repeated from another file (copies_among) besides.
    """
    wanted = (*RULE_COLUMNS, *(SHOWN_ROW_COLUMNS if show_rows else ())) if lot else LOOKUP_COLUMNS
    return tuple(dict.fromkeys((*wanted, *(("file", *COPY_COLUMNS) if several else ()))))


# What `customer` shows of the contact details (masked unless --reveal).
SHOWN_CONTACT = ("email", "phone", "address", "city", "postal_code", "country")


# The columns a session (`recall serve`, `recall shell`) encodes once: every question
# compares them with one value or a few.
INDEXED = ("lot", "customer_id", "customer_key", "email", "phone", "postal_code", "name")


@dataclass
class _Codes:
    """A column as integer codes into its distinct values (-1: null)."""

    codes: np.ndarray
    values: list[str]
    code_of: dict[str, int]

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Codes:
        encoded = pc.dictionary_encode(ab.plain(column).combine_chunks())
        codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
        values = [str(v) for v in encoded.dictionary.to_pylist()]
        return cls(codes, values, {v: i for i, v in enumerate(values)})

    def mask(self, values: Sequence[str]) -> np.ndarray:
        wanted = [self.code_of[v] for v in values if v in self.code_of]
        if len(wanted) == 1:
            return self.codes == wanted[0]
        # One flag per distinct value, and one more (False) that a null's -1 reads.
        flags = np.zeros(len(self.values) + 1, dtype=bool)
        flags[wanted] = True
        return flags[self.codes]


@dataclass
class Classified:
    """The normalised rows (Arrow, file order) and the recall scope, with each
    row's bucket: given when known, else computed for the rows a question reads.

    A session that answers many questions calls :meth:`index` once: the columns
    compared with typed values are then integer codes, and what a customer search
    derives from each distinct value (folded names, phone digits) is kept. The
    answers are the same either way; a one-shot command skips the cost.
    """

    table: pa.Table
    scope: RecallScope
    buckets: np.ndarray | None = None
    set_aside: np.ndarray | None = None  # copies of an earlier file's lines (--dedupe-lines)
    reasons: np.ndarray | None = None  # each row's review reason, when `buckets` is given
    # Skipped sheets that hold a recalled lot (reading.sheets_holding_recalled_lots):
    # an answer says it leaves their rows out.
    not_read: list[dict[str, str]] = field(default_factory=list)
    _data_mask: np.ndarray | None = field(default=None, repr=False)
    _codes: dict[str, _Codes] = field(default_factory=dict, repr=False)
    _keyed: dict[tuple[str, Callable[[str], str]], dict[str, list[str]]] = field(
        default_factory=dict, repr=False
    )
    _lots: set[str] | None = field(default=None, repr=False)
    # The last `where` asked: a `check` tests its lot three times (verdict, shipments
    # in the data, copies), each a pass over every row.
    _last: tuple[str, str, np.ndarray] | None = field(default=None, repr=False)
    # The last lot's data rows `holding` found: a `check` asks for them three times.
    _held: tuple[str, np.ndarray] | None = field(default=None, repr=False)

    def index(self, columns: Sequence[str] = INDEXED) -> Classified:
        for column in columns:
            if column in self.table.column_names and column not in self._codes:
                self._codes[column] = _Codes.of(self.table[column])
        self.data_lots()
        return self

    @property
    def indexed(self) -> bool:
        return bool(self._codes)

    def distinct(self, column: str) -> list[str]:
        """The column's distinct values, nulls left out."""
        if column in self._codes:
            return self._codes[column].values
        return [v for v in ab.pylist(pc.unique(self.table[column])) if v is not None]

    def rows_with(self, column: str, values: Sequence[str]) -> np.ndarray:
        """Rows whose value is one of these."""
        if column in self._codes:
            return self._codes[column].mask(values)
        return ab.among(self.table[column], values)

    def keyed(self, column: str, key: Callable[[str], str]) -> dict[str, list[str]]:
        """The distinct values grouped by `key` (kept when the rows are indexed)."""
        found = self._keyed.get((column, key))
        if found is not None:
            return found
        groups: dict[str, list[str]] = {}
        for value in self.distinct(column):
            groups.setdefault(key(value), []).append(value)
        if self.indexed:
            self._keyed[(column, key)] = groups
        return groups

    @classmethod
    def from_result(cls, result: RecallResult) -> Classified:
        several = len({s.file for s in result.shipments.sources}) > 1
        wanted = (*LOOKUP_COLUMNS, ORDER_COLUMN) if several else LOOKUP_COLUMNS
        columns = [c for c in wanted if c in result.rows.columns]
        table = pa.Table.from_pandas(result.rows[columns], preserve_index=False)
        aside = result.copies.set_aside if result.copies is not None else None
        unread = sheets_holding_recalled_lots(
            [asdict(s) for s in result.shipments.sources], result.scope.lots
        )
        return cls(table, result.scope, result.bucket, aside, result.reason, unread)

    def bucket_at(self, rows: np.ndarray) -> np.ndarray:
        return self._classified_at(rows)[0]

    def _classified_at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bucket, review reason) of the rows at these positions."""
        if self.buckets is not None and self.reasons is not None:
            return self.buckets[rows], self.reasons[rows]
        subset = self.table.select(list(RULE_COLUMNS)).take(ab.indices(rows))
        aside = None if self.set_aside is None else self.set_aside[rows]
        buckets, reasons = classify(rule_inputs(subset), self.scope, aside)
        if self.buckets is not None:  # given buckets win; the rule says only why
            buckets = self.buckets[rows]
            reasons = np.where(buckets == NEEDS_REVIEW, reasons, "")
        return buckets, reasons

    def take(self, rows: np.ndarray, columns: Sequence[str]) -> list[dict[str, Any]]:
        """The rows at these positions as records, with `_pos`, `_bucket` and `_reason`
        (why the row needs review; "" in the other buckets)."""
        subset = self.table.select(list(columns)).take(ab.indices(rows))
        records = ab.records(subset)
        buckets, reasons = self._classified_at(rows)
        for pos, bucket, reason, record in zip(rows.tolist(), buckets, reasons, records,
                                               strict=True):  # fmt: skip
            record["_pos"] = pos
            record["_bucket"] = str(bucket)
            record["_reason"] = str(reason) if bucket == NEEDS_REVIEW else ""
        return records

    @property
    def is_data(self) -> np.ndarray:
        if self._data_mask is None:
            data = ab.among(self.table["kind"], ["data"])
            self._data_mask = data if self.set_aside is None else data & ~self.set_aside
        return self._data_mask

    def where(self, column: str, value: str) -> np.ndarray:
        """Rows whose value is this one (a new array each call: callers may change it)."""
        if column in self._codes:
            return self._codes[column].mask([value])
        if self._last is None or self._last[:2] != (column, value):
            self._last = (column, value, ab.among(self.table[column], [value]))
        return self._last[2].copy()

    def holding(self, code: str) -> np.ndarray:
        """The data rows the bucket rule reads as this (normalised) lot (_holding); a
        new array each call."""
        if self._held is None or self._held[0] != code:
            self._held = (code, _holding(self, code) & self.is_data)
        return self._held[1].copy()

    def data_lots(self) -> set[str]:
        if self._lots is not None:
            return self._lots
        data = pc.equal(self.table["kind"], ab.text("data"))
        lots = pc.unique(pc.filter(self.table["lot"], data))
        found = {str(v) for v in ab.pylist(lots) if v}
        if self.indexed:
            self._lots = found
        return found


def _day(value: Any) -> str | None:
    return value.date().isoformat() if value is not None else None


# --- lots ----------------------------------------------------------------------


def check_lot(rows: Classified, lot: str) -> dict[str, Any]:
    """Is this lot recalled, how much of it falls inside the scope, and how many of its
    shipments (cells holding it among other text too) need review?"""
    code = normalize_lot(lot)
    at = np.flatnonzero(rows.where("lot", code))
    buckets = rows.bucket_at(at)
    hits = at[buckets == MATCHED]
    doubt = np.flatnonzero(rows.holding(code))
    found = rows.table.select(["ship_date", "customer_key", "quantity"]).take(ab.indices(hits))
    shipped = ab.days(found["ship_date"])  # a matched row always has its date
    quantity = ab.fixed(found["quantity"], "float64", np.nan)
    return {
        "lot": code,
        "recalled": code in rows.scope.lots,
        "customers": len(pc.unique(found["customer_key"])),
        "units": net_units(quantity.tolist()),  # as summary's by_lot
        "shipments": len(hits),
        "first_shipped": shipped.min().item().isoformat() if len(hits) else None,
        "last_shipped": shipped.max().item().isoformat() if len(hits) else None,
        "needs_review": int((rows.bucket_at(doubt) == NEEDS_REVIEW).sum()),
    }


def _holding(rows: Classified, code: str) -> np.ndarray:
    """Rows whose lot is this one, a cell holding it among other text ("LOT B201575"),
    or, for a recalled lot, a cell that may be it turned into a number by Excel ("12E4"
    for 120000, "12345" for 0012345): the cells the bucket rule reads as this lot."""
    if not code:
        return rows.where("lot", code)
    numbers = recalled_numbers((code,)) if code in rows.scope.lots else {}
    holders = [
        v
        for v in rows.distinct("lot")
        if embedded_lot(v, (code,)) == code or (v != code and could_be(v, numbers) is not None)
    ]
    return rows.where("lot", code) | rows.rows_with("lot", holders)


def lot_in_data(rows: Classified, lot: str) -> dict[str, int]:
    """Shipments of a lot anywhere in the data, inside the scope or not (with the cells
    that hold it among other text)."""
    mask = rows.holding(normalize_lot(lot))
    keys = pc.unique(rows.table["customer_key"].take(ab.indices(np.flatnonzero(mask))))
    # ab.pylist: decoded in Arrow first, not through the codes' whole dictionary.
    return {"shipments": int(mask.sum()), "customers": len([k for k in ab.pylist(keys) if k])}


def lot_rows(rows: Classified, lot: str) -> list[dict[str, Any]]:
    """Where each shipment of the lot comes from: file, sheet and row as Excel shows it.

    Every data row of the lot is listed with its bucket, so "matched" rows (inside
    the recall scope) and those outside it or needing review are told apart; so are
    the rows of a cell that holds the lot among other text ("LOT B201575").
    """
    mask = rows.holding(normalize_lot(lot))
    found = rows.take(np.flatnonzero(mask), ["file", "sheet", "row", "ship_date", "customer_id",
                                             "quantity"])  # fmt: skip
    out = [
        {
            "file": r["file"],
            "sheet": r["sheet"],
            "row": int(r["row"]),
            "bucket": r["_bucket"],
            "ship_date": _day(r["ship_date"]),
            "customer_id": r["customer_id"],
            "quantity": _number(r["quantity"]),
        }
        for r in found
    ]
    # Matched rows first, then in file order: the proof for the verdict leads.
    out.sort(key=lambda x: (x["bucket"] != MATCHED, x["file"], x["sheet"], x["row"]))
    return out


def known_lots(rows: Classified) -> list[str]:
    """Every lot the agent could mean: the recall list plus every lot in the data."""
    return sorted(set(rows.scope.lots) | rows.data_lots())


def _number(value: float | None) -> int | float | None:
    if value is None or value != value:  # NaN: no readable quantity
        return None
    return int(value) if float(value).is_integer() else float(value)


# --- customers -------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _postal_key(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def _email_key(value: str) -> str:
    return value.strip().casefold()


def _last_digits(value: str) -> str:
    return _digits(value)[-4:]


def _phone_matches(rows: Classified, digits: str) -> np.ndarray:
    """Rows whose phone number's digits end with these digits (at least 4).

    Indexed rows keep each distinct number under its last four digits; otherwise
    Arrow keeps the decimal digits of each distinct number (of any script, as
    Python's regular expressions count digits) and drops the rest.
    """
    if rows.indexed:
        near = rows.keyed("phone", _last_digits).get(digits[-4:], [])
        return rows.rows_with("phone", [v for v in near if _digits(v).endswith(digits)])
    phones = ab.plain(pc.unique(rows.table["phone"]))
    only = pc.replace_substring_regex(phones, pattern=r"[^\p{Nd}]", replacement="")
    hits = pc.filter(phones, pc.ends_with(only, pattern=digits))
    return rows.rows_with("phone", [v for v in hits.to_pylist() if v is not None])


def customer_mask(rows: Classified, query: str) -> np.ndarray:
    """Rows whose customer matches by id, email, phone digits, postal code or part of
    the name.

    Each test runs once per distinct value: a year of shipments repeats each
    customer's details on every row.
    """
    q = query.strip()
    wanted = normalize_id(q)
    mask = rows.where("customer_id", wanted)
    if wanted.isdigit():
        # 00123 in the CRM may be 123 in a sheet where Excel stored the id as a number.
        same = rows.keyed("customer_id", _without_zeros).get(_without_zeros(wanted), [])
        mask |= rows.rows_with("customer_id", [v for v in same if v != wanted])
    if "@" in q:
        mask |= rows.rows_with("email", rows.keyed("email", _email_key).get(q.casefold(), []))
    digits = _digits(q)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 3:
        mask |= _phone_matches(rows, digits)
    postal = _postal_key(q)
    if digits and 3 <= len(postal) <= 10 and "postal_code" in rows.table.column_names:
        codes = rows.keyed("postal_code", _postal_key).get(postal, [])
        mask |= rows.rows_with("postal_code", codes)
    folded = normalize_header(q)
    if folded and not digits:
        names = rows.keyed("name", normalize_header)
        mask |= rows.rows_with("name", [v for f, vs in names.items() if folded in f for v in vs])
    return mask


def customer_rows(rows: Classified, query: str) -> np.ndarray:
    """Positions of the data rows of every customer the query matches."""
    has_key = ab.filled(rows.table["customer_key"])
    usable = rows.is_data & has_key
    hit = usable & customer_mask(rows, query)
    keys = pc.unique(rows.table["customer_key"].take(ab.indices(np.flatnonzero(hit))))
    mine = usable & rows.rows_with("customer_key", [str(k) for k in ab.pylist(keys) if k])
    return np.flatnonzero(mine)


def lot_positions(rows: Classified, lot: str) -> np.ndarray:
    """Positions of the data rows of a lot."""
    return np.flatnonzero(rows.where("lot", normalize_lot(lot)) & rows.is_data)


def copies_among(rows: Classified, at: np.ndarray) -> tuple[int, int]:
    """How many matched lines among `at` repeat a line of another file, and their units.

    `at` must hold every row of one lot or of one customers' set: a copy shares
    its line's lot and customer, so the search on those rows alone is exact.
    With --dedupe-lines the copies with an order id are not matched: only those
    that cannot be set aside are counted.
    """
    if not len(at) or "order_id" not in rows.table.column_names:
        return 0, 0
    from recall_cli.query.copies import find_copies

    subset = rows.table.take(ab.indices(at))
    files = ab.distinct(subset["file"])
    if len(files.values) < 2:
        return 0, 0
    found = find_copies(subset, files.codes, files.values)
    copy = (found.of >= 0) & (rows.bucket_at(at) == MATCHED)
    quantity = ab.fixed(subset["quantity"], "float64", np.nan)[copy]
    return int(copy.sum()), int(np.rint(np.nansum(quantity)))


def find_customers(rows: Classified, query: str) -> dict[str, Any]:
    """Every customer matching the query (id, email, phone digits, postal code or
    part of the name), affected or not, with raw contact details.

    Callers mask the contact (support.customer_lookup) and never put it in JSON
    (api.public_matches).
    """
    if not query.strip():
        raise UsageError(
            "the customer query is empty", hint="give an id, an email, phone digits or a name"
        )
    at = customer_rows(rows, query)
    contact = latest_contact(rows.table, at)
    by_customer: dict[str, list[dict[str, Any]]] = {}
    wanted = ["customer_key", "ship_date", "customer_id", "lot", "quantity", "file", "sheet", "row"]
    for record in rows.take(at, wanted):
        by_customer.setdefault(record["customer_key"], []).append(record)
    matches = [_customer_entry(records, contact[key]) for key, records in by_customer.items()]
    asked_id = normalize_id(query.strip())
    for m in matches:
        m["note"] = _id_note(asked_id, m["customer_id"])
        if m["verdict"] == NOT_AFFECTED and rows.not_read:
            # A sheet left unread holds a recalled lot: this customer's shipments may be
            # there, so "not affected" is not known until a person reads it.
            m["verdict"] = NEEDS_REVIEW_VERDICT
            m["review"] += [{"file": s["file"], "sheet": s["sheet"], "row": None, "lot": "",
                             "reason": f"sheet not read: {s['reason']}"}
                            for s in rows.not_read]  # fmt: skip
    matches.sort(key=lambda m: (_VERDICT_ORDER.index(m["verdict"]), m["customer_id"], m["name"]))
    return {"query": query, "matches": matches}


def _without_zeros(value: str) -> str:
    """An all-digit id as Excel keeps it when it stores the id as a number."""
    return (value.lstrip("0") or "0") if value.isdigit() else ""


def _id_note(wanted: str, found: str) -> str:
    """What to check about a customer found by an id with other leading zeros ("" if none)."""
    if not wanted.isdigit() or found == wanted or _without_zeros(found) != _without_zeros(wanted):
        return ""
    return (f"found as id {found}, not {wanted}: Excel drops leading zeros from ids it "
            "stores as numbers; check it is the same customer")  # fmt: skip


# A customer with no matched shipment but one that needs review is not "not affected":
# a person must read that row before anyone tells the patient so.
AFFECTED, NEEDS_REVIEW_VERDICT, NOT_AFFECTED = "affected", "needs_review", "not_affected"
_VERDICT_ORDER = (AFFECTED, NEEDS_REVIEW_VERDICT, NOT_AFFECTED)


def _customer_entry(records: list[dict[str, Any]], contact: dict[str, str]) -> dict[str, Any]:
    matched = [r for r in records if r["_bucket"] == MATCHED]
    in_review = [r for r in records if r["_bucket"] == NEEDS_REVIEW]
    verdict = AFFECTED if matched else (NEEDS_REVIEW_VERDICT if in_review else NOT_AFFECTED)
    latest = max(records, key=lambda r: (r["ship_date"] is not None, r["ship_date"] or 0,
                                         r["_pos"]))  # fmt: skip
    return {
        # The id of the first matched row, as in the mailing lists; else the latest row's.
        "customer_id": (matched or [latest])[0]["customer_id"],
        "name": contact["name"],
        "affected": bool(matched),
        "verdict": verdict,
        "lots": sorted({r["lot"] for r in matched}),
        "units": net_units([r["quantity"] for r in matched]),
        "shipments": len(matched),
        "contact": {c: contact[c] for c in SHOWN_CONTACT},
        "review": [
            {
                "file": r["file"],
                "sheet": r["sheet"],
                "row": int(r["row"]),
                "lot": r["lot"],
                "reason": r["_reason"],
            }
            for r in sorted(in_review, key=lambda r: r["_pos"])
        ],
    }
