"""Support-desk questions: one lot, one customer. Pure DataFrame work."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .errors import UsageError
from .lots import normalize_lot
from .normalize import map_values, normalize_id
from .query import MATCHED, RecallResult, affected_customers, whole_units
from .schema import normalize_header


def check_lot(result: RecallResult, lot: str) -> dict[str, Any]:
    """Is this lot recalled, and how much of it falls inside the scope?"""
    code = normalize_lot(lot)
    rows = result.rows
    mask = (result.bucket == MATCHED) & (rows["lot"] == code).to_numpy()
    hits = rows.loc[mask, ["ship_date", "customer_key", "quantity"]]
    first = hits["ship_date"].min() if len(hits) else None
    last = hits["ship_date"].max() if len(hits) else None
    return {
        "lot": code,
        "recalled": code in result.scope.lots,
        "customers": int(hits["customer_key"].nunique()),
        "units": whole_units(hits["quantity"]),
        "shipments": len(hits),
        "first_shipped": first.date().isoformat() if first is not None else None,
        "last_shipped": last.date().isoformat() if last is not None else None,
    }


def lot_in_data(result: RecallResult, lot: str) -> dict[str, int]:
    """Shipments of a lot anywhere in the data, inside the scope or not."""
    code = normalize_lot(lot)
    rows = result.rows
    mask = ((rows["kind"] == "data") & (rows["lot"] == code)).to_numpy()
    rows = rows.loc[mask, ["customer_key"]]
    return {"shipments": len(rows), "customers": int(rows["customer_key"].nunique())}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def customer_mask(rows: pd.DataFrame, query: str) -> pd.Series:
    """Rows whose customer matches by id, email, phone digits or part of the name."""
    q = query.strip()
    mask = rows["customer_id"] == normalize_id(q)
    if "@" in q:
        mask |= rows["email"].str.strip().str.casefold() == q.casefold()
    digits = _digits(q)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 3:
        # Once per distinct value: a year of shipments repeats each customer's row.
        phone_digits = pd.Series(map_values(rows["phone"], _digits), index=rows.index)
        mask |= (phone_digits != "") & phone_digits.str.endswith(digits)
    folded = normalize_header(q)
    if folded and not digits:
        names = pd.Series(map_values(rows["name"], normalize_header), index=rows.index)
        mask |= names.str.contains(folded, regex=False)
    return mask


def find_customers(result: RecallResult, query: str) -> dict[str, Any]:
    if not query.strip():
        raise UsageError(
            "the customer query is empty", hint="give an id, an email, phone digits or a name"
        )
    all_rows = result.rows
    usable = ((all_rows["kind"] == "data") & (all_rows["customer_key"] != "")).to_numpy()
    searched = ["customer_key", "customer_id", "email", "phone", "name"]
    rows = all_rows.loc[usable, searched]
    hit_keys = rows.loc[customer_mask(rows, query), "customer_key"].unique()
    mine_mask = usable & all_rows["customer_key"].isin(hit_keys).to_numpy()
    # Only the customers found are resolved, not every affected customer.
    affected = affected_customers(all_rows, mine_mask & (result.bucket == MATCHED))
    affected = affected.set_index("customer_key")
    matches = []
    # One pass over the hit customers' rows, not one full scan per customer.
    shown = ["customer_key", "ship_date", "customer_id", "name", "email", "phone", "address",
             "city", "postal_code", "country"]  # fmt: skip
    hit_rows = all_rows.loc[mine_mask, shown]
    for key, mine in hit_rows.groupby("customer_key", sort=False):
        latest = mine.sort_values("ship_date", na_position="first", kind="stable").iloc[-1]
        if key in affected.index:
            a = affected.loc[key]
            entry = {
                "customer_id": a["customer_id"],
                "name": a["name"],
                "affected": True,
                "lots": list(a["lots"]),
                "units": int(a["units"]),
                "shipments": int(a["shipments"]),
            }
        else:
            entry = {
                "customer_id": latest["customer_id"],
                "name": latest["name"],
                "affected": False,
                "lots": [],
                "units": 0,
                "shipments": 0,
            }
        # Raw contact details: callers mask them (support.customer_lookup) and
        # never put them in JSON (api.public_matches).
        entry["contact"] = {
            "email": latest["email"],
            "phone": latest["phone"],
            "address": latest["address"],
            "city": latest["city"],
            "postal_code": latest["postal_code"],
            "country": latest["country"],
        }
        matches.append(entry)
    matches.sort(key=lambda m: (not m["affected"], m["customer_id"], m["name"]))
    return {"query": query, "matches": matches}
