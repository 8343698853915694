"""The recall scope and the pure DataFrame work that applies it.

`classify` puts every row in exactly one bucket; `find_affected` builds the
customers and counts from the buckets. Nothing here prints or writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from recall_cli.normalize import arrowbits as ab
from recall_cli.normalize.distinct import Distinct
from recall_cli.normalize.sheet import Shipments
from recall_cli.query import buckets as rules
from recall_cli.query import tally
from recall_cli.query.buckets import (
    BUCKET_DTYPE,
    BUCKETS,
    MATCHED,
    NEEDS_REVIEW,
    NOT_DATA,
    NOT_MATCHED,
    RecallScope,
)
from recall_cli.query.copies import COPY_COLUMNS, Copies, find_copies
from recall_cli.query.tally import (
    AFFECTED_COLUMNS,
    CONTACT_EXTRA_COLUMNS,
    TABLE_COLUMNS,
    Tally,
    email_ok,
    prescriber_key,
)

__all__ = [
    "AFFECTED_COLUMNS",
    "BUCKETS",
    "BUCKET_DTYPE",
    "CONTACT_EXTRA_COLUMNS",
    "MATCHED",
    "NEEDS_REVIEW",
    "NOT_DATA",
    "NOT_MATCHED",
    "RecallResult",
    "RecallScope",
    "email_ok",
    "find_affected",
    "summarize",
]

# The scope and the bucket rule live in rules.py, the affected customers in tally.py
# (no pandas in either): the cached support path shares them.


def classify_codes(
    rows: pd.DataFrame, scope: RecallScope, set_aside: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """As classify, with each bucket as its index in BUCKETS (one byte a row)."""
    table = pa.Table.from_pandas(rows[list(rules.RULE_COLUMNS)], preserve_index=False)
    return rules.classify_codes(rules.rule_inputs(table), scope, set_aside)


def find_line_copies(
    shipments: Shipments, rules_in: rules.RuleInputs, *, dedupe: bool = False
) -> Copies:
    """The lines of a later file that repeat lines of an earlier one (copies.py)."""
    rows = shipments.rows
    files = [s.file for s in shipments.sources]
    if len(set(files)) < 2:  # one file: nothing to compare, no column to convert
        return Copies.none(len(rows), dedupe)
    table = pa.Table.from_pandas(rows[list(COPY_COLUMNS)], preserve_index=False)
    source = rows["source"].to_numpy()
    return find_copies(table, source, files, dedupe=dedupe, rules=rules_in)


@dataclass
class RecallResult:
    """Everything a report or an export needs, computed once."""

    scope: RecallScope
    shipments: Shipments
    codes: np.ndarray  # each row's bucket as its index in BUCKETS
    reason: np.ndarray
    copies: Copies | None = None  # lines that repeat an earlier file's (copies.py)
    coded: tally.RuleCodes | None = field(default=None, repr=False)  # the rule's codes
    _summary: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def rows(self) -> pd.DataFrame:
        return self.shipments.rows

    @functools.cached_property
    def bucket(self) -> np.ndarray:
        """Each row's bucket name."""
        return rules.bucket_names(self.codes)

    def _in(self, name: str) -> np.ndarray:
        return self.codes == rules.BUCKETS.index(name)

    @functools.cached_property
    def tally(self) -> Tally:
        """Counts, customers and warnings: tally.py's one implementation, on these rows."""
        several = len({s.file for s in self.shipments.sources}) > 1
        columns = tally.TALLY_COLUMNS if several else tally.READS  # copies need two files
        table = pa.Table.from_pandas(self.rows[list(columns)], preserve_index=False)
        sources = [dataclasses.asdict(s) for s in self.shipments.sources]
        source = self.rows["source"].to_numpy()
        return Tally(table, self.codes, source, sources, self.scope, copies=self.copies,
                     duplicates=self.shipments.duplicates,
                     coded=self.coded)  # fmt: skip

    @functools.cached_property
    def customers(self) -> pd.DataFrame:
        """One row per affected customer; built on first use (a lot check never needs it)."""
        if not self.tally.matched.any():
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in TABLE_COLUMNS})
        return pd.DataFrame(self.tally.customers(), columns=list(TABLE_COLUMNS))

    @functools.cached_property
    def matched(self) -> pd.DataFrame:
        return self.rows[self._in(MATCHED)]

    def review_rows(self) -> pd.DataFrame:
        review = self._in(NEEDS_REVIEW)
        frame = self.rows[review].copy()
        frame["reason"] = self.reason[review]
        return frame

    def bucket_counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        codes = self.tally.codes if mask is None else self.tally.codes[mask]
        return tally.bucket_counts(codes, np.zeros(len(codes), dtype=np.int64), 1)[0]

    def source_counts(self) -> list[dict[str, int]]:
        return self.tally.source_counts()

    def check_sums(self) -> None:
        """The bucket counts must add up to the rows read, per sheet and in total."""
        self.tally.check_sums()


def rule_inputs(shipments: Shipments) -> rules.RuleInputs:
    """The columns the bucket rule reads (rules.rule_inputs), with the codes the
    normaliser found as it built them (Shipments.coded) rather than hashed again."""
    table = pa.Table.from_pandas(shipments.rows[list(rules.RULE_COLUMNS)], preserve_index=False)

    def coded(column: str) -> Distinct:
        found = shipments.coded(column)
        return found if found is not None else ab.distinct(table[column])

    return rules.RuleInputs(
        kind=coded("kind"),
        lot=coded("lot"),
        country=coded("country"),
        problem=coded("problem"),
        seconds=ab.seconds(table["ship_date"]),
        key=coded("customer_key"),
        quantity=ab.fixed(table["quantity"], "float64", np.nan),
    )


def find_affected(
    shipments: Shipments, scope: RecallScope, *, dedupe_lines: bool = False
) -> RecallResult:
    """Apply the scope: bucket every row and build the affected customers.

    With `dedupe_lines`, a line that repeats a line of an earlier file (same order
    id, lot, customer, ship date and quantity) is not data: each is counted once.
    """
    rules_in = rule_inputs(shipments)
    copies = find_line_copies(shipments, rules_in, dedupe=dedupe_lines)
    codes, reason = rules.classify_codes(rules_in, scope, copies.set_aside)
    result = RecallResult(scope, shipments, codes, reason, copies,
                          coded=tally.RuleCodes.of(rules_in))  # fmt: skip
    result.check_sums()
    return result


def prescriber_keys(customers: pd.DataFrame) -> pd.Series:
    """Prescribers counted by id when there is one (tally.prescriber_key per customer)."""
    pairs = zip(customers["prescriber_id"].tolist(), customers["prescriber"].tolist(), strict=True)
    return pd.Series([prescriber_key(i, n) for i, n in pairs], index=customers.index, dtype=object)


def has_valid_email(emails: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(emails.fillna("").astype(str).str.strip())
    valid = np.array([email_ok(u) for u in uniques] or [False], dtype=bool)
    return pd.Series(valid[codes] if len(codes) else [], index=emails.index, dtype=bool)


def summarize(result: RecallResult) -> dict[str, Any]:
    """The counts the quality team reports, as plain JSON-ready data."""
    if result._summary is None:
        result._summary = result.tally.summary()
    return result._summary


def units_by_week(result: RecallResult) -> list[tuple[dt.date, int]]:
    """Affected units per ship week (weeks start on Monday)."""
    return result.tally.units_by_week()
