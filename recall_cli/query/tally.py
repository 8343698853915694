"""Affected customers and their contact details, on Arrow columns and numpy, without pandas.

The one implementation of "who is affected and how do we reach them": the
DataFrame path (query.RecallResult.customers) and the cached path (quick.py)
both call it, so a mailing list and a support answer can never disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recall_cli.normalize import arrowbits as ab
from recall_cli.normalize.columns import normalize_header
from recall_cli.query.buckets import (
    BLOCK_PRESENCE,
    BUCKETS,
    CONTACT_BLOCKS,
    MATCHED,
    NEEDS_REVIEW,
    Distinct,
    RecallScope,
)
from recall_cli.query.copies import COPY_COLUMNS, Copies
from recall_cli.query.copies import warnings as copy_warnings
from recall_cli.read.identity import Duplicate
from recall_cli.words import plural

AFFECTED_COLUMNS = (
    "customer_id", "name", "email", "phone", "address", "city", "region", "postal_code",
    "country", "lots", "units", "shipments", "first_shipped", "last_shipped", "prescriber",
    "prescriber_id",
)  # fmt: skip
# Carried beside AFFECTED_COLUMNS for mail merges and couriers (campaign.py), not shown
# by `recall affected`.
CONTACT_EXTRA_COLUMNS = ("first_name", "last_name", "address2")
CONTACT_COLUMNS = tuple(dict.fromkeys(c for cols in CONTACT_BLOCKS.values() for c in cols))
TABLE_COLUMNS = ("customer_key", *AFFECTED_COLUMNS, *CONTACT_EXTRA_COLUMNS)


def _best(codes: np.ndarray, rank: np.ndarray, where: np.ndarray, k: int) -> np.ndarray:
    """Per code, the highest rank among the rows `where` holds; -1 when none."""
    best = np.full(k, -1, dtype=np.int64)
    np.maximum.at(best, codes[where], rank[where])
    return best


def latest_contact(table: pa.Table, at: np.ndarray) -> dict[str, dict[str, str]]:
    """Per customer key, each contact block from the most recent row that has it
    (contact_columns, one dict per customer)."""
    keys, chosen = contact_columns(table, at)
    return {key: {c: chosen[c][i] for c in CONTACT_COLUMNS} for i, key in enumerate(keys)}


def contact_columns(table: pa.Table, at: np.ndarray) -> tuple[list[str], dict[str, list[str]]]:
    """The customer keys, and per contact column the value of each, in the keys' order.

    Each contact block comes from the most recent row that has it.

    `at` are the positions in `table` of the customers' data rows, in file
    order. "Most recent" is the latest ship date, a missing date counting as
    oldest, and the later row in file order among rows of the same day. An
    address comes from the latest row with a street, city or postal code; a
    row with only a country or a state serves a customer with nothing better.
    Contact details are never stitched from two rows of one block.
    """
    n = len(at)
    if n == 0:
        return [], {c: [] for c in CONTACT_COLUMNS}
    rows = ab.indices(at)
    keys = ab.distinct(table["customer_key"].take(rows))
    k = len(keys.values)
    dates = ab.seconds(table["ship_date"].take(rows))  # NaT, the smallest, is the oldest
    order = np.lexsort((np.arange(n), dates))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Many rows (a mailing list): test whole columns, cheaper than copying out the
    # rows' text. A few rows (one customer): copy them out.
    many = n * 8 > table.num_rows
    filled = {
        c: ab.filled(table[c])[at] if many else ab.filled(table[c].take(rows))
        for c in CONTACT_COLUMNS
    }

    def any_of(columns: Sequence[str]) -> np.ndarray:
        return np.logical_or.reduce([filled[c] for c in columns])

    chosen: dict[str, list[str]] = {}
    for block, columns in CONTACT_BLOCKS.items():
        best = _best(keys.codes, rank, any_of(columns), k)
        if block in BLOCK_PRESENCE:
            better = _best(keys.codes, rank, any_of(BLOCK_PRESENCE[block]), k)
            best = np.where(better >= 0, better, best)
        found = best >= 0
        where = ab.indices(at[order[best[found]]])
        for c in columns:
            values = iter(ab.pylist(table[c].take(where)))
            chosen[c] = [next(values) if f else "" for f in found.tolist()]
    return keys.values, chosen


def whole_units(values: Any) -> np.ndarray:
    """Unit sums as whole numbers that cannot overflow: int64, or Python ints past its range.

    Each quantity is below 2**53 (normalize.sheet.MAX_QUANTITY), so a float sum is
    finite; only the cast to a fixed-width integer could wrap around.
    """
    rounded = np.rint(np.asarray(values, dtype=np.float64))
    if len(rounded) and float(np.abs(rounded).max()) >= 2.0**63:
        return np.array([int(v) for v in rounded.tolist()], dtype=object)
    return rounded.astype(np.int64)


def net_units(quantities: Sequence[float | None]) -> int:
    """Net units of matched lines: returns (negative lines) cancel shipments of their
    own lot and customer, unreadable counts as 0, and the result is never below 0.

    The bucket rule sends to review a return larger than what was shipped of its
    lot to its customer inside the scope (buckets._over_returned), so every
    (customer, lot, country) of matched lines sums to 0 or more: the units of a
    customer, a lot, a country or the whole recall are the same sums of
    non-negative parts, which is why summary, affected, check, customer, the
    courier file and the 806 totals agree. The floor only guards that rule.
    """
    return max(0, int(np.rint(math.fsum(q for q in quantities if q is not None and q == q))))


def units_of(codes: np.ndarray, quantity: np.ndarray, k: int) -> np.ndarray:
    """net_units for each of k owners at once (owner code per matched line)."""
    sums = np.bincount(codes, weights=np.nan_to_num(quantity, nan=0.0), minlength=k)
    return whole_units(np.maximum(sums, 0))


# The columns affected_customers reads.
READS = ("kind", "customer_key", "customer_id", "lot", "quantity", "ship_date", *CONTACT_COLUMNS)
# The columns a Tally reads: the customers', and those that tell copied lines apart.
TALLY_COLUMNS = tuple(dict.fromkeys((*READS, *COPY_COLUMNS)))


def affected_customers(table: pa.Table, matched: np.ndarray, mine: np.ndarray) -> dict[str, list]:
    """One entry per affected customer (TABLE_COLUMNS), sorted by customer id.

    `table` holds the normalised rows in file order (at least READS), `matched`
    says which rows are in the "matched" bucket and `mine` are the positions of
    those customers' data rows (Tally.affected_at), where their contact is found.
    """
    at = np.flatnonzero(matched)
    if len(at) == 0:
        return {c: [] for c in TABLE_COLUMNS}
    hit = table.select(["customer_key", "customer_id", "lot", "quantity", "ship_date"])
    hit = hit.take(ab.indices(at))
    key = ab.distinct(hit["customer_key"])
    k = len(key.values)
    first_row = np.full(k, len(at), dtype=np.int64)
    np.minimum.at(first_row, key.codes, np.arange(len(at)))
    ids = ab.pylist(hit["customer_id"].take(ab.indices(first_row)))
    quantity = ab.fixed(hit["quantity"], "float64", np.nan)
    units = units_of(key.codes, quantity, k)
    shipments = np.bincount(key.codes, minlength=k)
    seconds = ab.seconds(hit["ship_date"])  # matched rows always have a date
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, key.codes, seconds)
    np.maximum.at(last, key.codes, seconds)
    lots = _distinct_lists(key.codes, ab.distinct(hit["lot"]), k)

    contact_keys, contact = contact_columns(table, mine)
    order = sorted(range(k), key=lambda i: (ids[i], key.values[i]))
    keys = [key.values[i] for i in order]
    out: dict[str, list] = {
        "customer_key": keys,
        "customer_id": [ids[i] for i in order],
        "lots": [lots[i] for i in order],
        "units": units[order].tolist(),
        "shipments": shipments[order].tolist(),
        "first_shipped": first[order].astype("datetime64[s]").astype("datetime64[D]").tolist(),
        "last_shipped": last[order].astype("datetime64[s]").astype("datetime64[D]").tolist(),
    }
    place = {key: i for i, key in enumerate(contact_keys)}
    at_key = [place[key] for key in keys]
    for c in CONTACT_COLUMNS:
        values = contact[c]
        out[c] = [values[i] for i in at_key]
    return {c: out[c] for c in TABLE_COLUMNS}


def _distinct_lists(owner: np.ndarray, item: Distinct, k: int) -> list[list[str]]:
    """Per owner code, its distinct items, sorted."""
    rank = np.argsort(np.array(item.values, dtype=object)).argsort()  # item code -> sorted place
    names = sorted(item.values)
    pairs = np.unique(owner.astype(np.int64) * len(names) + rank[item.codes])
    out: list[list[str]] = [[] for _ in range(k)]
    for o, r in zip((pairs // len(names)).tolist(), (pairs % len(names)).tolist(), strict=True):
        out[o].append(names[r])
    return out


# --- counts ----------------------------------------------------------------------

# Plain ASCII addresses that email-validator always accepts: checked here in
# microseconds; anything else (quoted, IDN, odd lengths) goes to the library.
_PLAIN_EMAIL = re.compile(
    r"(?=.{6,254}$)(?=[^@]{1,64}@)[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


# email_validator.SPECIAL_USE_DOMAIN_NAMES, spelled out so that a plain address is
# judged without importing the library; a test checks they agree.
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def email_ok(value: str) -> bool:
    """Valid email syntax (no network look-up), as email-validator decides it."""
    if not value:
        return False
    # "--" in a label is reserved by IDNA (xn--...): the library decides those.
    if _PLAIN_EMAIL.fullmatch(value) and "--" not in value.rsplit("@", 1)[1]:
        domain = value.rsplit("@", 1)[1].lower()
        if not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAINS):
            return True
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


EMAIL = "email"
POSTAL = "postal"
UNCONTACTABLE = "uncontactable"
CHANNELS = (EMAIL, POSTAL, UNCONTACTABLE)


def has_postal_address(address: str, address2: str, city: str, postal_code: str) -> bool:
    """A letter can be sent: a street line, and a city or a postal code."""
    street = (address or "").strip() or (address2 or "").strip()
    return bool(street) and bool((city or "").strip() or (postal_code or "").strip())


def channel(email: str, address: str, address2: str, city: str, postal_code: str) -> str:
    """The one channel rule: email when the address is valid, else a letter when
    there is a postal address, else uncontactable. Summary, every export and the
    workbook use it, so their counts can never disagree."""
    if email_ok((email or "").strip()):
        return EMAIL
    return POSTAL if has_postal_address(address, address2, city, postal_code) else UNCONTACTABLE


def channels_of(customers: dict[str, list]) -> list[str]:
    """The channel of each customer of `affected_customers`."""
    columns = ("email", "address", "address2", "city", "postal_code")
    return [channel(*values) for values in zip(*(customers[c] for c in columns), strict=True)]


def prescriber_key(prescriber_id: object, name: object) -> str:
    """Prescribers are counted by id when there is one: two doctors can share a name."""
    pid = "" if prescriber_id is None else str(prescriber_id).strip().upper()
    if pid:
        return "id:" + pid
    folded = normalize_header("" if name is None else str(name))
    return "name:" + folded if folded else ""


def bucket_counts(codes: np.ndarray, source: np.ndarray, n_sources: int) -> list[dict[str, int]]:
    """Rows read and rows per bucket, for each source (sheet or text file).

    `codes` are indexes into BUCKETS (rules.classify_codes); a code past the
    last bucket has its own slot, so such a row is read but in none of the
    buckets, and check_sums fails.
    """
    k = len(BUCKETS) + 1
    if n_sources == 1 and not source.any():  # one sheet or text file: codes alone
        table = np.array([np.count_nonzero(codes == i) for i in range(k)])
        if table.sum() != len(codes):
            raise ValueError("a bucket code outside the buckets")
    else:
        table = np.bincount(source.astype(np.int64) * k + codes, minlength=n_sources * k)
    return [_counts(row) for row in table.reshape(n_sources, k)]


def _counts(row: np.ndarray) -> dict[str, int]:
    counts = {"read": int(row.sum())}
    counts.update({name: int(row[i]) for i, name in enumerate(BUCKETS)})
    return counts


def add_counts(parts: Sequence[dict[str, int]]) -> dict[str, int]:
    return {k: sum(p[k] for p in parts) for k in ("read", *BUCKETS)}


class Tally:
    """The counts, customers and warnings of one classified set of rows.

    `table` holds the normalised rows in file order, `codes` each row's bucket
    (rules.classify_codes), `source` each row's source number and `sources` the
    SourceInfo of each source as a dict. Everything is computed on first use.
    """

    def __init__(self, table: pa.Table, codes: np.ndarray, source: np.ndarray,
                 sources: Sequence[dict[str, Any]], scope: RecallScope, *,
                 copies: Copies | None = None,
                 duplicates: Sequence[dict[str, str]] = ()) -> None:  # fmt: skip
        self.table = table
        self.codes = codes
        self.source = source
        self.sources = list(sources)
        self.scope = scope
        self.copies = copies  # lines repeating an earlier file's (copies.find_copies)
        self.duplicates = list(duplicates)  # inputs not read: the same bytes as another
        self.matched = codes == BUCKETS.index(MATCHED)
        self._customers: dict[str, list] | None = None
        self._hit: dict[str, Any] | None = None
        self._source_counts: list[dict[str, int]] | None = None

    # -- building blocks
    @functools.cached_property
    def is_data(self) -> np.ndarray:
        return ab.among(self.table["kind"], ["data"])

    @functools.cached_property
    def keys(self) -> Distinct:
        """Each row's customer key as a code: one pass over the keys serves every count."""
        return ab.distinct(self.table["customer_key"])

    @functools.cached_property
    def affected_at(self) -> np.ndarray:
        """Positions of the data rows of every customer with a matched row."""
        keys = self.keys
        affected = np.bincount(keys.codes[self.matched], minlength=len(keys.values)) > 0
        return np.flatnonzero(self.is_data & affected[keys.codes])

    def _matched_columns(self) -> dict[str, Any]:
        if self._hit is None:
            hit = self.table.select(["lot", "quantity", "country", "ship_date"])
            hit = hit.take(ab.indices(np.flatnonzero(self.matched)))
            self._hit = {
                "lot": ab.distinct(hit["lot"]),
                "country": ab.distinct(hit["country"]),
                "key": Distinct(self.keys.codes[self.matched], self.keys.values),
                "quantity": ab.fixed(hit["quantity"], "float64", np.nan),
                "day": ab.days(hit["ship_date"]),
            }
        return self._hit

    def customers(self) -> dict[str, list]:
        if self._customers is None:
            self._customers = affected_customers(self.table, self.matched, self.affected_at)
        return self._customers

    def affected_rows(self) -> tuple[list[str], list[list[Any]]]:
        """The `affected` table: AFFECTED_COLUMNS, one row per customer by customer id."""
        customers = self.customers()
        columns = list(AFFECTED_COLUMNS)
        return columns, [list(r) for r in zip(*(customers[c] for c in columns), strict=True)]

    def bucket_counts(self) -> dict[str, int]:
        return add_counts(self.source_counts())

    def source_counts(self) -> list[dict[str, int]]:
        if self._source_counts is None:
            self._source_counts = bucket_counts(self.codes, self.source, len(self.sources))
        return self._source_counts

    def check_sums(self) -> None:
        """The bucket counts must add up to the rows read, per sheet and in total."""
        for info, counts in zip(self.sources, self.source_counts(), strict=True):
            parts = sum(counts[b] for b in BUCKETS)
            if parts != counts["read"] or counts["read"] != info["rows_read"]:
                raise AssertionError(f"bucket counts do not add up for {info['file']}")

    # -- answers
    def _stats(self, where: np.ndarray) -> dict[str, int | None]:
        hit = self._matched_columns()
        quantity = hit["quantity"][where]
        return {
            "customers": len(np.unique(hit["key"].codes[where])),
            "units": int(units_of(np.zeros(len(quantity), dtype=np.int64), quantity, 1)[0]),
            "shipments": int(where.sum()),
        }

    def units_unknown_in(self) -> list[str]:
        """Files read whose shipment tables have no quantity column: units unknown there."""
        read = [s for s in self.sources if not s["skipped"]]
        return list(dict.fromkeys(s["file"] for s in read if "quantity" not in s["columns"]))

    def files_not_read(self) -> list[dict[str, str]]:
        """Files given that yielded no shipment table (only with --skip-unreadable)."""
        from recall_cli.query.reading import files_not_read

        return files_not_read(self.sources)

    def files_duplicate(self) -> list[dict[str, str]]:
        """Inputs read once because an earlier input is the same file or the same bytes."""
        return [{"path": d["path"], "same_as": d["same_as"], "how": d["how"]}
                for d in self.duplicates]  # fmt: skip

    @functools.cached_property
    def _copies(self) -> list[dict[str, Any]]:
        if self.copies is None:
            return []
        files = [s["file"] for s in self.sources]
        return self.copies.report(self.table, self.source, files, self.matched)

    def lines_duplicate(self) -> list[dict[str, Any]]:
        """Lines of a later file that are lines of an earlier one, per pair of files."""
        return self._copies

    def customers_total(self) -> int:
        """Distinct customer keys on data rows: a blank key is no customer.

        Marked per distinct key, then told blank or not once per key.
        """
        keys = self.keys
        data = self.is_data
        seen = np.zeros(len(keys.values), dtype=bool)
        seen[keys.codes if data.all() else keys.codes[data]] = True
        named = np.array([v != "" for v in keys.values], dtype=bool)
        return int(np.count_nonzero(seen & named))

    def summary(self) -> dict[str, Any]:
        """The counts the quality team reports, as plain JSON-ready data."""
        hit = self._matched_columns()
        everything = np.ones(len(hit["quantity"]), dtype=bool)
        by_lot = {lot: self._stats(hit["lot"].where(lambda v, lot=lot: v == lot))
                  for lot in self.scope.lots}  # fmt: skip
        by_country = {
            (c or "unknown"): self._stats(hit["country"].where(lambda v, c=c: v == c))
            for c in sorted(set(hit["country"].values))
        }
        customers = self.customers()
        reach = channels_of(customers)
        pairs = zip(customers["prescriber_id"], customers["prescriber"], strict=True)
        hcps = {prescriber_key(i, n) for i, n in pairs}
        counts = self.source_counts()
        sources = [
            {
                "file": info["file"],
                "sheet": info["sheet"],
                "header_row": info["header_row"],
                "columns": info["columns"],
                "date_order": info["date_order"],
                "rows": c,
                # What stderr said of this sheet (a table cut at the format's last row...).
                "warnings": list(info["warnings"]),
            }
            for info, c in zip(self.sources, counts, strict=True)
            if not info["skipped"]
        ]
        stats = self._stats(everything)
        unknown = self.units_unknown_in()
        if unknown and len(unknown) == len({s["file"] for s in self.sources if not s["skipped"]}):
            # No file says how many units: a count would be a made-up 0.
            for part in (stats, *by_lot.values(), *by_country.values()):
                part["units"] = None
        return {
            "recall": self.scope.to_dict(),
            "rows": add_counts(counts) if counts else _counts(np.zeros(len(BUCKETS))),
            "customers_total": self.customers_total(),
            "customers": stats["customers"],
            "units": stats["units"],
            "shipments": stats["shipments"],
            "by_lot": by_lot,
            "by_country": by_country,
            "with_email": reach.count(EMAIL),
            "postal_only": reach.count(POSTAL),
            "uncontactable": reach.count(UNCONTACTABLE),
            "hcps": len(hcps - {""}),
            "sources": sources,
            "files_not_read": self.files_not_read(),
            "files_duplicate": self.files_duplicate(),
            "lines_duplicate": self.lines_duplicate(),
            "units_unknown_in": unknown,
        }

    def units_by_week(self) -> list[tuple[dt.date, int]]:
        """Affected units shipped per ship week (weeks start on Monday).

        Returns are left out: they are not shipments, and a return in a later week
        than its shipment would make that week negative.
        """
        hit = self._matched_columns()
        days = hit["day"].astype(np.int64)  # days since 1970-01-01, a Thursday
        if not len(days):
            return []
        weeks, which = np.unique(days - (days + 3) % 7, return_inverse=True)
        shipped = np.nan_to_num(hit["quantity"], nan=0.0)
        units = np.bincount(which, weights=np.where(shipped > 0, shipped, 0.0))
        return [(dt.date(1970, 1, 1) + dt.timedelta(days=int(w)), int(np.rint(u)))
                for w, u in zip(weeks, units, strict=True)]  # fmt: skip

    def address_conflicts(self) -> int:
        """How many affected customers appear with more than one address (the latest is used)."""
        if not len(self.affected_at):
            return 0
        address = CONTACT_BLOCKS["address"]
        rows = self.table.select(["customer_key", *address]).take(ab.indices(self.affected_at))
        present = np.logical_or.reduce([ab.filled(rows[c]) for c in BLOCK_PRESENCE["address"]])
        rows = rows.take(ab.indices(np.flatnonzero(present)))
        parts = [ab.plain(rows[c]) for c in ("customer_key", *address)]
        joined = pc.binary_join_element_wise(*parts, ab.text("\x1f"))
        owners = [v.split("\x1f", 1)[0] for v in pc.unique(joined).to_pylist()]
        per_key: dict[str, int] = {}
        for key in owners:
            per_key[key] = per_key.get(key, 0) + 1
        return sum(1 for n in per_key.values() if n > 1)

    def warnings(self) -> list[str]:
        """What a recall team must hear: skipped sheets, data problems, the scope's gaps."""
        out = said_once(
            [(s["file"] + (f" / {s['sheet']}" if s["sheet"] else ""),
              [*([f"skipped, {s['skipped']}"] if s["skipped"] else []), *s["warnings"]])
             for s in self.sources]
        )  # fmt: skip
        for file in self.units_unknown_in():
            out.append(
                f"units unknown: no quantity column in {file}; its shipments count as lines, "
                "and the units shown leave them out"
            )
        out.extend(Duplicate(**d).sentence() for d in self.duplicates)
        out.extend(copy_warnings(self.lines_duplicate()))
        for gone in self.files_not_read():
            out.append(
                f"{gone['file']}: NOT READ (no shipment table; --skip-unreadable): its "
                "customers are in no count or list"
            )
        conflicts = self.address_conflicts()
        if conflicts:
            out.append(
                f"{plural(conflicts, 'customer')} {'has' if conflicts == 1 else 'have'} different "
                "addresses across rows: the most recent shipment's address is used"
            )
        data_lots = self.table["lot"].take(ab.indices(np.flatnonzero(self.is_data)))
        present = set(ab.pylist(pc.unique(data_lots)))
        for lot in self.scope.lots:
            if lot not in present:
                out.append(
                    f"recalled lot {lot} appears in no file read: check the recall list for a "
                    "typo (`recall audit-scope` suggests near lots)"
                )
        quantity = self._matched_columns()["quantity"]
        out.extend(self._blank_quantities(quantity))
        returns = quantity[quantity < 0]
        if len(returns):
            some = len(returns) != 1
            out.append(
                f"{plural(len(returns), 'return')} (negative "
                f"quantit{'ies' if some else 'y'}) among the affected shipments "
                f"{'were' if some else 'was'} netted against their own lot and customer: "
                f"{plural(int(np.rint(returns.sum())), 'unit')}"
            )
        review = int((self.codes == BUCKETS.index(NEEDS_REVIEW)).sum())
        if review:
            need = "needs" if review == 1 else "need"
            out.append(f"{plural(review, 'row')} {need} review: run `recall review` to list them")
        return out

    def _blank_quantities(self, quantity: np.ndarray) -> list[str]:
        """Where affected lines leave their quantity blank in a table that has one: the
        units shown are then short of them, and nothing else would say so."""
        blank = np.flatnonzero(np.isnan(quantity))
        if not len(blank):
            return []
        per_source = np.bincount(self.source[np.flatnonzero(self.matched)[blank]],
                                 minlength=len(self.sources))  # fmt: skip
        out = []
        for info, n in zip(self.sources, per_source.tolist(), strict=True):
            if n and "quantity" in info["columns"]:
                place = info["file"] + (f" / {info['sheet']}" if info["sheet"] else "")
                lines = plural(n, "affected shipment line")
                out.append(
                    f"{place}: {lines} {'has' if n == 1 else 'have'} a blank quantity: the "
                    f"units shown leave {'it' if n == 1 else 'them'} out (`recall check LOT "
                    "--show-rows` lists a lot's rows)"
                )
        return out


_COUNT = re.compile(r"^(\d[\d,]*) ")


def said_once(per_place: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """``PLACE: message`` lines, where a message that several places share is said once,
    with the count and the places: "3 sheets (a.xlsx / Jan 16, a.xlsx / Feb 5, b.csv 3):
    24 lots are digits only: ...". Messages that differ only in their leading count are
    the same message, and the counts are added up."""
    groups: dict[str, list[tuple[str, int | None]]] = {}
    for place, messages in per_place:
        for message in messages:
            found = _COUNT.match(message)
            key = message[found.end() :] if found else message
            count = int(found.group(1).replace(",", "")) if found else None
            groups.setdefault(key, []).append((place, count))
    out = []
    for key, seen in groups.items():
        counted = all(n is not None for _, n in seen)
        if len(seen) == 1:
            place, n = seen[0]
            out.append(f"{place}: {f'{n:,} ' if n is not None else ''}{key}")
            continue
        where = ", ".join(f"{p} {n:,}" if counted else p for p, n in seen)
        total = f"{sum(n or 0 for _, n in seen):,} " if counted else ""
        out.append(f"{plural(len(seen), 'sheet')} ({where}): {total}{key}")
    return out
