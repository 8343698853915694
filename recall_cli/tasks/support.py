"""Support-desk answers: "is my lot affected?" and "is this patient affected?".

Built on lookup.py (Arrow questions over the classified rows) and lots.py
(barcodes, look-alikes); returns plain data so the CLI, the interactive shell
and the cached fast path (quick.py) all call the same functions. Nothing here
prints, and nothing here imports pandas.

Exit statuses are part of the answer, so scripts can branch without parsing text:

- 0 (AFFECTED): the lot is on the recall list / a matching customer is affected.
  A recalled lot with no shipment inside the scope still gives 0: the patient
  holds the box, so the data is incomplete rather than the box safe, and the
  verdict line says IN RECALL.
- 3 (NOT_AFFECTED): the lot is not on the recall list (suggestions may follow) /
  every matching customer is unaffected.
- 4 (NOT_FOUND): no customer matches the query (it may be mistyped; this is
  not a "not affected").
- 5 (LOOKS_LIKE): the lot is not on the recall list, but looks like a recalled
  lot (normalize.lots.looks_like: one edit, look-alike characters, a Unicode
  confusable), whether or not it is in the data: the box must be checked.
- 6 (NEEDS_REVIEW): no matching customer is affected, but one has a shipment
  that needs review (an unreadable date, a look-alike lot...): a person reads
  that row before the patient is told anything.
- 1 and 2 stay errors and usage errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recall_cli.normalize.lots import (
    ScannedCode,
    fold_confusables,
    looks_like,
    parse_code,
    suggest_lots,
)
from recall_cli.query.buckets import could_be, embedded_lot, recalled_numbers
from recall_cli.query.lookup import (
    Classified,
    check_lot,
    copies_among,
    customer_rows,
    find_customers,
    known_lots,
    lot_in_data,
    lot_positions,
    lot_rows,
)
from recall_cli.tasks import reports
from recall_cli.tasks.masking import mask_address, mask_email, mask_phone
from recall_cli.tasks.tables import Document
from recall_cli.words import plural, verb

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AFFECTED",
    "LOOKS_LIKE",
    "NOT_AFFECTED",
    "NOT_FOUND",
    "Answered",
    "CheckAnswer",
    "answer_check",
    "answer_customer",
    "check_code",
    "check_exit_status",
    "customer_exit_status",
    "customer_lookup",
    "mask_contact",
]

AFFECTED = 0
NOT_AFFECTED = 3
NOT_FOUND = 4
LOOKS_LIKE = 5
NEEDS_REVIEW = 6

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
    if answer["recalled"]:
        return AFFECTED
    return LOOKS_LIKE if answer["looks_like"] else NOT_AFFECTED


def check_code(rows: Classified, code: str, *, show_rows: bool = False) -> CheckAnswer:
    """Answer `check` for a typed lot, a scanned GS1 element string or a Digital Link.

    Raises RecallError (exit 1) for an empty code or a barcode without a lot (or
    with two), and UsageError (exit 2) for text that is not a lot (normalize.lots
    .typed_lot): never NOT IN RECALL about something that was not a lot.
    """
    lots: set[str] = set()

    def known(lot: str) -> bool:
        # Only text that is not one lot-shaped token asks: the data's lots load then.
        if not lots:
            lots.update(known_lots(rows))
        return lot in lots

    scanned = parse_code(code, known)
    answer = check_lot(rows, scanned.lot)
    if scanned.source != "plain":
        answer["gs1"] = {"gtin": scanned.gtin, "expiry": scanned.expiry, "serial": scanned.serial}
    in_data = lot_in_data(rows, scanned.lot)
    # A look-alike of a recalled lot is never a plain NOT IN RECALL, even when that
    # lot exists in the data: B2O1575 and 8201575 are also the slips people make.
    answer["looks_like"] = [] if answer["recalled"] else looks_like(scanned.lot, rows.scope.lots)
    # "LOT B201575" as a lot of the data: the cell holds the recalled lot among other
    # text (its rows are in review), so the box must be checked, as for a look-alike.
    held = embedded_lot(scanned.lot, rows.scope.lots)
    if held is not None and held not in answer["looks_like"]:
        answer["looks_like"] = [held, *answer["looks_like"]]
    # "12E4" or "1.20E+05" typed off a list when 120000 is recalled: Excel's number.
    numeric = (
        None if answer["recalled"] else could_be(scanned.lot, recalled_numbers(rows.scope.lots))
    )
    for lot in numeric[0] if numeric else []:
        if lot not in answer["looks_like"]:
            answer["looks_like"] = [*answer["looks_like"], lot]
    folded = fold_confusables(scanned.lot)
    answer["confusable_of"] = (
        folded if folded != scanned.lot and folded in rows.scope.lots else None
    )
    if not answer["recalled"] and not in_data["shipments"]:
        # A suggestion is never a verdict: the answer stays "not recalled".
        answer["suggestions"] = suggest_lots(scanned.lot, known_lots(rows))
    if show_rows:
        answer["rows"] = lot_rows(rows, scanned.lot)
    return CheckAnswer(answer=answer, in_data=in_data, scanned=scanned)


# --- customers -------------------------------------------------------------------


def mask_contact(contact: dict[str, str], *, reveal: bool = False) -> dict[str, str]:
    """Email, phone and street address masked; city, postal code and country kept."""
    if reveal:
        return dict(contact)
    return {k: _MASKERS[k](v) if k in _MASKERS else v for k, v in contact.items()}


def customer_lookup(rows: Classified, query: str, *, reveal: bool = False) -> dict[str, Any]:
    """Customers matching the query, each with its verdict, lots and a `contact`
    block that is masked unless `reveal`. Names are kept: the agent confirms who
    is calling by name."""
    found = find_customers(rows, query)
    matches = [
        {**m, "contact": mask_contact(m["contact"], reveal=reveal)} for m in found["matches"]
    ]
    return {"query": found["query"], "matches": matches}


def customer_exit_status(found: dict[str, Any]) -> int:
    if not found["matches"]:
        return NOT_FOUND
    verdicts = {m["verdict"] for m in found["matches"]}
    if "affected" in verdicts:
        return AFFECTED
    return NEEDS_REVIEW if "needs_review" in verdicts else NOT_AFFECTED


def double_counting(rows: Classified, at: np.ndarray, what: str) -> dict[str, Any] | None:
    """The lines an answer counts that another file repeats (copies.py), as the JSON
    says them: ``{lines, units, warning}``, the warning as the CLI prints it; None when
    there are none. `at`: every row of the lot, or of the customers, asked."""
    lines, units = copies_among(rows, at)
    if not lines:
        return None
    warning = (f"possible double counting: {plural(lines, 'shipment line')} "
               f"({plural(units, 'unit')}) counted for {what} {verb(lines, 'is', 'are')} "
               "also in another file, "
               "with the same order id, lot, customer, ship date and quantity: `recall "
               "summary` names the files; --dedupe-lines counts each line once")  # fmt: skip
    return {"lines": lines, "units": units, "warning": warning}


# --- the answer every front end writes ---------------------------------------------


@dataclass(frozen=True)
class Answered:
    """A support answer ready for the output layer, and the exit status it gives.

    `recall check`, `recall customer` and `recall serve`'s API all write `result`
    through the one writer registry, so their JSON is the same bytes.
    """

    result: Document
    status: int
    # Warnings for stderr (the CLI) or the page: lines counted that another file repeats.
    notes: tuple[str, ...] = ()


def answer_check(rows: Classified, code: str, *, show_rows: bool = False) -> Answered:
    found = check_code(rows, code, show_rows=show_rows)
    lot = found.answer["lot"]
    doubt = double_counting(rows, lot_positions(rows, lot), f"lot {lot}")
    result = reports.check(found.answer, rows.scope.to_dict(), found.in_data, doubt)
    notes = ((doubt["warning"],) if doubt else ()) + _unread_notes(rows)
    return Answered(result, found.exit_status, notes)


def answer_customer(rows: Classified, query: str, *, reveal: bool = False) -> Answered:
    found = customer_lookup(rows, query, reveal=reveal)
    doubt = double_counting(rows, customer_rows(rows, query), "these customers")
    notes = ((doubt["warning"],) if doubt else ()) + _unread_notes(rows)
    return Answered(reports.customer(found, doubt), customer_exit_status(found), notes)


def _unread_notes(rows: Classified) -> tuple[str, ...]:
    """What an answer leaves out: skipped sheets that hold a recalled lot."""
    return tuple(
        f"{s['file']} / {s['sheet']} was not read: {s['reason']}: this answer leaves its "
        "rows out; map its headers with --column if it is shipments"
        for s in rows.not_read
    )
