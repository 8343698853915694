"""The recall scope and the pure DataFrame work that applies it.

`classify` puts every row in exactly one bucket; `find_affected` builds the
customers and counts from the buckets. Nothing here prints or writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import rules
from .normalize import Shipments
from .rules import (
    BLOCK_PRESENCE,
    BUCKET_DTYPE,
    BUCKETS,
    CONTACT_BLOCKS,
    MATCHED,
    NEEDS_REVIEW,
    NOT_DATA,
    NOT_MATCHED,
    Distinct,
    RecallScope,
    RuleInputs,
)

__all__ = [
    "BUCKETS",
    "BUCKET_DTYPE",
    "MATCHED",
    "NEEDS_REVIEW",
    "NOT_DATA",
    "NOT_MATCHED",
    "RecallResult",
    "RecallScope",
    "classify",
    "find_affected",
    "summarize",
]

# The scope and the bucket rule live in rules.py (no pandas), shared with quick.py.

AFFECTED_COLUMNS = (
    "customer_id", "name", "email", "phone", "address", "city", "region", "postal_code",
    "country", "lots", "units", "shipments", "first_shipped", "last_shipped", "prescriber",
    "prescriber_id",
)  # fmt: skip

# Carried beside AFFECTED_COLUMNS for mail merges and couriers (campaign.py), not shown
# by `recall affected`.
CONTACT_EXTRA_COLUMNS = ("first_name", "last_name", "address2")


def _distinct(col: pd.Series) -> Distinct:
    codes, uniques = pd.factorize(col.fillna(""), sort=False)
    return Distinct(codes, [str(u) for u in uniques])


def rule_inputs(rows: pd.DataFrame) -> RuleInputs:
    return RuleInputs(
        kind=_distinct(rows["kind"]),
        lot=_distinct(rows["lot"]),
        country=_distinct(rows["country"]),
        problem=_distinct(rows["problem"]),
        day=rows["ship_date"].to_numpy(dtype="datetime64[D]"),
        has_identity=(rows["customer_key"] != "").to_numpy(dtype=bool),
    )


def classify(rows: pd.DataFrame, scope: RecallScope) -> tuple[np.ndarray, np.ndarray]:
    """Bucket and reason for every row (rules.classify on the DataFrame's columns)."""
    return rules.classify(rule_inputs(rows), scope)


@dataclass
class RecallResult:
    """Everything a report or an export needs, computed once."""

    scope: RecallScope
    shipments: Shipments
    bucket: np.ndarray
    reason: np.ndarray
    _summary: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def rows(self) -> pd.DataFrame:
        return self.shipments.rows

    @functools.cached_property
    def customers(self) -> pd.DataFrame:
        """One row per affected customer; built on first use (a lot check never needs it)."""
        return affected_customers(self.rows, self.bucket == MATCHED)

    @functools.cached_property
    def matched(self) -> pd.DataFrame:
        return self.rows[self.bucket == MATCHED]

    def matched_columns(self, columns: Sequence[str]) -> pd.DataFrame:
        """Only some columns of the matched rows: cheaper than `matched` on big data."""
        return self.rows.loc[self.bucket == MATCHED, list(columns)]

    def review_rows(self) -> pd.DataFrame:
        frame = self.rows[self.bucket == NEEDS_REVIEW].copy()
        frame["reason"] = self.reason[self.bucket == NEEDS_REVIEW]
        return frame

    @functools.cached_property
    def _bucket_codes(self) -> np.ndarray:
        codes = np.full(len(self.bucket), -1, dtype=np.int64)
        for i, name in enumerate(BUCKETS):
            codes[self.bucket == name] = i
        return codes

    @staticmethod
    def _counts(row: np.ndarray) -> dict[str, int]:
        counts = {"read": int(row.sum())}
        counts.update({name: int(row[i]) for i, name in enumerate(BUCKETS)})
        return counts

    def bucket_counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        codes = self._bucket_codes if mask is None else self._bucket_codes[mask]
        return self._counts(np.bincount(codes, minlength=len(BUCKETS)))

    def source_counts(self) -> list[dict[str, int]]:
        n_sources, k = len(self.shipments.sources), len(BUCKETS)
        src = self.rows["source"].to_numpy().astype(np.int64)
        table = np.bincount(src * k + self._bucket_codes, minlength=n_sources * k)
        return [self._counts(row) for row in table.reshape(n_sources, k)]

    def check_sums(self) -> None:
        """The bucket counts must add up to the rows read, per sheet and in total."""
        for info, counts in zip(self.shipments.sources, self.source_counts(), strict=True):
            parts = sum(counts[b] for b in BUCKETS)
            if parts != counts["read"] or counts["read"] != info.rows_read:
                raise AssertionError(f"bucket counts do not add up for {info.file} {info.sheet}")


def find_affected(shipments: Shipments, scope: RecallScope) -> RecallResult:
    """Apply the scope: bucket every row and build the affected customers."""
    bucket, reason = classify(shipments.rows, scope)
    result = RecallResult(scope, shipments, bucket, reason)
    result.check_sums()
    return result


def _latest_blocks(rows: pd.DataFrame) -> pd.DataFrame:
    """Per customer, each contact block from its most recent row that has one.

    "Most recent" is the latest ship date, a missing date counting as oldest,
    and the later row (in file order) among rows of the same day.
    """
    n = len(rows)
    # NaT is the smallest int64, so rows without a date sort first.
    dates = rows["ship_date"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    order = np.lexsort((np.arange(n), dates))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    keys = rows["customer_key"].to_numpy(dtype=object)
    parts = []
    for block, cols in CONTACT_BLOCKS.items():
        present = rows[list(cols)].ne("").any(axis=1).to_numpy(dtype=bool)
        best = pd.Series(rank[present]).groupby(keys[present], sort=False).max()
        if block in BLOCK_PRESENCE:
            # Prefer the latest row with a real address; a row with only a country
            # serves only a customer who has nothing better.
            marks = rows[list(BLOCK_PRESENCE[block])].ne("").any(axis=1).to_numpy(dtype=bool)
            better = pd.Series(rank[marks]).groupby(keys[marks], sort=False).max()
            best = better.combine_first(best).astype(np.int64)
        latest = rows.iloc[order[best.to_numpy()]][list(cols)]
        parts.append(latest.set_axis(best.index.rename("customer_key"), axis=0))
    return pd.concat(parts, axis=1)


def find_customer_conflicts(rows: pd.DataFrame, matched: np.ndarray) -> int:
    """How many affected customers appear with more than one address (the latest one is used)."""
    keys = rows.loc[matched, "customer_key"].unique()
    cols = list(CONTACT_BLOCKS["address"])
    mask = ((rows["kind"] == "data") & rows["customer_key"].isin(keys)).to_numpy()
    mine = rows.loc[mask, ["customer_key", *cols]]
    if mine.empty:
        return 0
    present = mine[list(BLOCK_PRESENCE["address"])].ne("").any(axis=1)
    distinct = mine.loc[present, ["customer_key", *cols]].drop_duplicates()
    counts = distinct["customer_key"].value_counts()
    return int((counts > 1).sum())


def affected_customers(rows: pd.DataFrame, matched: np.ndarray) -> pd.DataFrame:
    hit = rows.loc[matched, ["customer_key", "customer_id", "lot", "quantity", "ship_date"]]
    if hit.empty:
        columns = ("customer_key", *AFFECTED_COLUMNS, *CONTACT_EXTRA_COLUMNS)
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    grouped = hit.groupby("customer_key", sort=False)
    agg = pd.DataFrame(
        {
            "lots": _sorted_lists(hit),
            "units": grouped["quantity"].sum(min_count=0).fillna(0).round().astype("int64"),
            "shipments": grouped.size(),
            "first_shipped": grouped["ship_date"].min().dt.date,
            "last_shipped": grouped["ship_date"].max().dt.date,
        }
    )
    keys = agg.index
    contact_columns = sorted({c for cols in CONTACT_BLOCKS.values() for c in cols})
    mine = rows.loc[
        ((rows["kind"] == "data") & rows["customer_key"].isin(keys)).to_numpy(),
        ["customer_key", "ship_date", *contact_columns],
    ]
    contact = _latest_blocks(mine).reindex(keys).fillna("")
    ids = hit.groupby("customer_key", sort=False)["customer_id"].first()
    out = pd.concat([ids, contact, agg], axis=1).reset_index()
    out = out.sort_values(["customer_id", "customer_key"], kind="stable").reset_index(drop=True)
    return out[["customer_key", *AFFECTED_COLUMNS, *CONTACT_EXTRA_COLUMNS]]


def _sorted_lists(hit: pd.DataFrame) -> pd.Series:
    """Each customer's distinct lots, sorted."""
    lots: dict[str, set[str]] = {}
    for key, lot in zip(hit["customer_key"].tolist(), hit["lot"].tolist(), strict=True):
        lots.setdefault(key, set()).add(lot)
    sorted_lots = {key: sorted(values) for key, values in lots.items()}
    return pd.Series(sorted_lots, dtype=object).rename_axis("customer_key")


def whole_units(quantity: pd.Series) -> int:
    """Net units: returns (negative lines) cancel shipments; unreadable counts as 0."""
    return int(np.rint(quantity.fillna(0).sum()))


def customers_total(rows: pd.DataFrame) -> int:
    keys = rows.loc[rows["kind"] == "data", "customer_key"]
    return int(keys[keys != ""].nunique())


def _stats(frame: pd.DataFrame) -> dict[str, int]:
    return {
        "customers": int(frame["customer_key"].nunique()),
        "units": whole_units(frame["quantity"]),
        "shipments": len(frame),
    }


def prescriber_keys(customers: pd.DataFrame) -> pd.Series:
    """Prescribers counted by id when there is one: two doctors can share a name."""
    from .schema import normalize_header

    ids = customers["prescriber_id"].fillna("").astype(str).str.strip().str.upper()
    names = customers["prescriber"].fillna("").astype(str).map(normalize_header)
    keys = ("id:" + ids).where(ids != "", ("name:" + names).where(names != "", ""))
    return keys


# Plain ASCII addresses that email-validator always accepts: checked here in
# microseconds; anything else (quoted, IDN, odd lengths) goes to the library.
_PLAIN_EMAIL = re.compile(
    r"(?=.{6,254}$)(?=[^@]{1,64}@)[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def email_ok(value: str) -> bool:
    """Valid email syntax (no network look-up), as email-validator decides it."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

    if not value:
        return False
    # "--" in a label is reserved by IDNA (xn--...): the library decides those.
    if _PLAIN_EMAIL.fullmatch(value) and "--" not in value.rsplit("@", 1)[1]:
        domain = value.rsplit("@", 1)[1].lower()
        if not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES):
            return True
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def has_valid_email(emails: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(emails.fillna("").astype(str).str.strip())
    valid = np.array([email_ok(u) for u in uniques] or [False], dtype=bool)
    return pd.Series(valid[codes] if len(codes) else [], index=emails.index, dtype=bool)


def summarize(result: RecallResult) -> dict[str, Any]:
    """The counts the quality team reports, as plain JSON-ready data."""
    if result._summary is not None:
        return result._summary
    matched = result.matched_columns(["lot", "quantity", "customer_key", "country"])
    customers = result.customers
    by_lot = {lot: _stats(matched[matched["lot"] == lot]) for lot in result.scope.lots}
    by_country = {(c or "unknown"): _stats(g) for c, g in matched.groupby("country", sort=True)}
    email_ok = has_valid_email(customers["email"]) if len(customers) else pd.Series([], dtype=bool)
    hcp = prescriber_keys(customers) if len(customers) else pd.Series([], dtype=object)
    sources = []
    for info, counts in zip(result.shipments.sources, result.source_counts(), strict=True):
        if info.skipped:
            continue
        sources.append(
            {
                "file": info.file,
                "sheet": info.sheet,
                "header_row": info.header_row,
                "columns": info.columns,
                "date_order": info.date_order,
                "rows": counts,
            }
        )
    stats = _stats(matched)
    summary: dict[str, Any] = {
        "recall": result.scope.to_dict(),
        "rows": result.bucket_counts(),
        "customers_total": customers_total(result.rows),
        "customers": stats["customers"],
        "units": stats["units"],
        "shipments": stats["shipments"],
        "by_lot": by_lot,
        "by_country": by_country,
        "with_email": int(email_ok.sum()),
        "postal_only": int(len(customers) - email_ok.sum()),
        "hcps": int(hcp[hcp != ""].nunique()),
        "sources": sources,
    }
    result._summary = summary
    return summary


def units_by_week(result: RecallResult) -> list[tuple[dt.date, int]]:
    """Affected units per ship week (weeks start on Monday)."""
    matched = result.matched_columns(["ship_date", "quantity"])
    if matched.empty:
        return []
    day = matched["ship_date"].dt.normalize()
    week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    units = matched["quantity"].fillna(0).groupby(week).sum().sort_index()
    return [(w.date(), int(np.rint(u))) for w, u in units.items()]
