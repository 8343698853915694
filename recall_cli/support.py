"""Support-desk answers: "is my lot affected?" and "is this patient affected?".

Built on lookup.py (pure DataFrame questions) and lots.py (barcodes, look-alikes);
returns plain data so the CLI, the interactive shell and a cached fast path can
all call the same functions. Nothing here prints.

Exit statuses are part of the answer, so scripts can branch without parsing text:

- 0 (AFFECTED): the lot is on the recall list / a matching customer is affected.
  A recalled lot with no shipment inside the scope still gives 0: the patient
  holds the box, so the data is incomplete rather than the box safe, and the
  verdict line says IN RECALL.
- 3 (NOT_AFFECTED): the lot is not on the recall list (suggestions may follow) /
  every matching customer is unaffected.
- 4 (NOT_FOUND): no customer matches the query (it may be mistyped; this is
  not a "not affected").
- 1 and 2 stay errors and usage errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .lookup import check_lot, find_customers, lot_in_data
from .lots import ScannedCode, normalize_lot, parse_code, suggest_lots
from .masking import mask_address, mask_email, mask_phone
from .query import MATCHED, RecallResult

__all__ = [
    "AFFECTED",
    "NOT_AFFECTED",
    "NOT_FOUND",
    "CheckAnswer",
    "check_code",
    "check_exit_status",
    "customer_exit_status",
    "customer_lookup",
    "known_lots",
    "lot_rows",
    "mask_contact",
]

AFFECTED = 0
NOT_AFFECTED = 3
NOT_FOUND = 4

# Contact fields an agent never needs in full to confirm who is calling.
_MASKERS = {"email": mask_email, "phone": mask_phone, "address": mask_address}


@dataclass(frozen=True)
class CheckAnswer:
    """One `check`: `answer` is the JSON payload; `in_data` and `scanned` feed the text view."""

    answer: dict[str, Any]
    in_data: dict[str, int]
    scanned: ScannedCode

    @property
    def exit_status(self) -> int:
        return check_exit_status(self.answer)


def check_exit_status(answer: dict[str, Any]) -> int:
    return AFFECTED if answer["recalled"] else NOT_AFFECTED


def known_lots(result: RecallResult) -> list[str]:
    """Every lot the agent could mean: the recall list plus every lot in the data."""
    rows = result.rows
    data_lots = rows.loc[rows["kind"] == "data", "lot"].unique()
    return sorted(set(result.scope.lots) | {str(x) for x in data_lots if x})


def lot_rows(result: RecallResult, lot: str) -> list[dict[str, Any]]:
    """Where each shipment of the lot comes from: file, sheet and row as Excel shows it.

    Every data row of the lot is listed with its bucket, so "matched" rows (inside
    the recall scope) and those outside it or needing review are told apart.
    """
    code = normalize_lot(lot)
    rows = result.rows
    mask = ((rows["kind"] == "data") & (rows["lot"] == code)).to_numpy()
    hits = rows.loc[mask, ["file", "sheet", "row", "ship_date", "customer_id", "quantity"]]
    buckets = result.bucket[mask]
    days = hits["ship_date"].dt.strftime("%Y-%m-%d").astype(object)
    out = [
        {
            "file": file,
            "sheet": sheet,
            "row": int(row),
            "bucket": str(bucket),
            "ship_date": day if isinstance(day, str) else None,
            "customer_id": customer_id,
            "quantity": _number(quantity),
        }
        for file, sheet, row, bucket, day, customer_id, quantity in zip(
            hits["file"], hits["sheet"], hits["row"], buckets, days, hits["customer_id"],
            hits["quantity"], strict=True,
        )
    ]  # fmt: skip
    # Matched rows first, then in file order: the proof for the verdict leads.
    out.sort(key=lambda x: (x["bucket"] != MATCHED, x["file"], x["sheet"], x["row"]))
    return out


def _number(value: float) -> int | float | None:
    if value != value:  # NaN: no readable quantity
        return None
    return int(value) if float(value).is_integer() else float(value)


def check_code(result: RecallResult, code: str, *, show_rows: bool = False) -> CheckAnswer:
    """Answer `check` for a typed lot, a scanned GS1 element string or a Digital Link.

    Raises RecallError (exit 1) for an empty code or a barcode without a lot.
    """
    scanned = parse_code(code)
    answer = check_lot(result, scanned.lot)
    if scanned.source != "plain":
        answer["gs1"] = {"gtin": scanned.gtin, "expiry": scanned.expiry, "serial": scanned.serial}
    in_data = lot_in_data(result, scanned.lot)
    if not answer["recalled"] and not in_data["shipments"]:
        # A suggestion is never a verdict: the answer stays "not recalled".
        answer["suggestions"] = suggest_lots(scanned.lot, known_lots(result))
    if show_rows:
        answer["rows"] = lot_rows(result, scanned.lot)
    return CheckAnswer(answer=answer, in_data=in_data, scanned=scanned)


# --- customers -------------------------------------------------------------------


def mask_contact(contact: dict[str, str], *, reveal: bool = False) -> dict[str, str]:
    """Email, phone and street address masked; city, postal code and country kept."""
    if reveal:
        return dict(contact)
    return {k: _MASKERS[k](v) if k in _MASKERS else v for k, v in contact.items()}


def customer_lookup(result: RecallResult, query: str, *, reveal: bool = False) -> dict[str, Any]:
    """Customers matching the query, each with its verdict, lots and a `contact`
    block that is masked unless `reveal`. Names are kept: the agent confirms who
    is calling by name."""
    found = find_customers(result, query)
    matches = [
        {**m, "contact": mask_contact(m["contact"], reveal=reveal)} for m in found["matches"]
    ]
    return {"query": found["query"], "matches": matches}


def customer_exit_status(found: dict[str, Any]) -> int:
    if not found["matches"]:
        return NOT_FOUND
    return AFFECTED if any(m["affected"] for m in found["matches"]) else NOT_AFFECTED
