"""Each command's answer as a result object (tables.py): what the output layer writes.

One builder per command. They take what the query and task modules computed and return
a :class:`~recall_cli.tasks.tables.Table` or :class:`~recall_cli.tasks.tables.Document`;
nothing here writes, and nothing imports pandas at import time (the cached ``check``,
``customer``, ``summary`` and ``affected`` build their results without it).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recall_cli.read.names import file_labels, label_of
from recall_cli.tasks.tables import Chart, Document, Table, from_frame, pairs

if TYPE_CHECKING:
    import pandas as pd

    from recall_cli.query.result import RecallResult
    from recall_cli.tasks.responses import RecallStatus
    from recall_cli.tasks.scope_audit import ScopeAudit
    from recall_cli.tasks.scope_diff import ScopeDiff

BUCKETS = ("matched", "not_matched", "not_data", "needs_review")
_LABELS = {"matched": "matched", "not_matched": "not matched", "not_data": "not data",
           "needs_review": "needs review"}  # fmt: skip
_STATS = ("customers", "units", "shipments")

REVIEW_COLUMNS = ("file", "sheet", "row", "reason", "lot_raw", "date_raw", "customer_id", "name",
                  "quantity", "country")  # fmt: skip


def scope_line(recall: dict[str, Any]) -> str:
    window = f"{recall['from'] or '…'} to {recall['to'] or '…'}"
    countries = ", ".join(recall["countries"]) or "all countries"
    name = f"{recall['name']}: " if recall.get("name") else ""
    return f"{name}lots {', '.join(recall['lots'])}; shipped {window} (inclusive); {countries}"


def _scope_pairs(recall: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("recall", recall.get("name") or ""),
        ("lots", ", ".join(recall["lots"])),
        ("shipped from (inclusive)", recall["from"] or ""),
        ("shipped to (inclusive)", recall["to"] or ""),
        ("countries", ", ".join(recall["countries"]) or "all countries"),
    ]


def _weeks_table(weeks: Sequence[tuple[dt.date, int]]) -> Table:
    return Table("Affected units per ship week", ("week of (Monday)", "affected units"),
                 [[w, u] for w, u in weeks], "Units per week")  # fmt: skip


# --- quality team ------------------------------------------------------------------


def duplicate_pairs(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """What the saved summary says of copies (docs/duplicates.md); nothing when none."""
    out: list[tuple[str, Any]] = []
    files = data.get("files_duplicate") or []
    if files:
        out.append(("inputs read once (the same as an earlier one)",
                    "; ".join(f"{os.path.basename(d['path'])} = "
                              f"{os.path.basename(d['same_as'])}" for d in files)))  # fmt: skip
    labels = file_labels(s["file"] for s in data.get("sources") or [])
    for g in data.get("lines_duplicate") or []:
        what = ("counted once (--dedupe-lines)" if g["set_aside"] else
                f"{g['lines_in_recall']:,} in the recall, counted twice")  # fmt: skip
        out.append((f"lines of {label_of(g['file'], labels)} also in "
                    f"{label_of(g['same_as'], labels)}"
                    + ("" if g["order_id"] else " (no order id)"),
                    f"{g['lines']:,} ({g['units']:,} units): {what}"))  # fmt: skip
    return out


def summary(data: dict[str, Any], weeks: Sequence[tuple[dt.date, int]]) -> Document:
    """Counts for the regulator: the scope and totals, by lot, by country, rows per sheet,
    units per week. xlsx draws the weeks beside the totals."""
    week_table = _weeks_table(weeks)
    head = pairs("Recall summary", [
        *_scope_pairs(data["recall"]),
        ("unit of measure", "each (net units shipped, returns subtracted)"),
        ("affected customers", data["customers"]),
        ("  with an email", data["with_email"]),
        ("  postal only", data["postal_only"]),
        ("affected units (net, each)", data["units"]),
        ("affected shipment lines", data["shipments"]),
        ("prescribers (HCPs)", data["hcps"]),
        ("customers in all data", data["customers_total"]),
        *duplicate_pairs(data),
    ], "Summary")  # fmt: skip
    head = Table(head.title, head.columns, head.rows, head.name,
                 Chart("Affected units by ship week", week_table, "units (each)"))  # fmt: skip
    by_lot = Table(
        "By lot",
        ("lot", *_STATS),
        [[lot, *(s[k] for k in _STATS)] for lot, s in data["by_lot"].items()],
    )
    by_country = Table(
        "By country",
        ("country", *_STATS),
        [[c, *(s[k] for k in _STATS)] for c, s in data["by_country"].items()],
    )
    labels = file_labels(s["file"] for s in data["sources"])
    rows = [
        [labels[s["file"]], s["sheet"], s["header_row"], s["date_order"],
         *(s["rows"][b] for b in BUCKETS), s["rows"]["read"]]
        for s in data["sources"]
    ]  # fmt: skip
    total = data["rows"]
    rows.append(["total", "", None, "", *(total[b] for b in BUCKETS), total["read"]])
    columns = ("file", "sheet", "header row", "date order", *(_LABELS[b] for b in BUCKETS), "read")
    sources = Table("Rows read", columns, rows, "Rows")
    tables = (head, by_lot, by_country, sources, week_table)
    return Document("summary", data, tables, {"weeks": list(weeks)})


def review_rows(result: RecallResult) -> Table:
    """Rows that need a person: file, sheet, Excel row, reason and the raw values."""
    frame = result.review_rows()
    out = frame[list(REVIEW_COLUMNS)].rename(columns={"lot_raw": "lot", "date_raw": "ship_date"})
    labels = file_labels(s.file for s in result.shipments.sources)
    out["file"] = out["file"].map(lambda f: label_of(f, labels))
    return from_frame(out.reset_index(drop=True), "Needs review")


def inspect(sources: list[dict[str, Any]]) -> Document:
    rows = [
        [s["file"], s["sheet"], s["skipped"], s["header_row"],
         "; ".join(f"{k}={v}" for k, v in s["columns"].items()), s["date_order"],
         *(s["rows"].get(k) for k in ("read", "data", "not_data", "unusable", "with_problems")),
         " | ".join(s["warnings"])]
        for s in sources
    ]  # fmt: skip
    columns = ("file", "sheet", "skipped", "header_row", "columns", "date_order", "rows_read",
               "data", "not_data", "unusable", "with_problems", "warnings")  # fmt: skip
    return Document("inspect", sources, (Table("How each sheet was read", columns, rows,
                                                "Sources"),))  # fmt: skip


def scope_audit(audit: ScopeAudit) -> Document:
    data = audit.to_json()
    outside = Table("Recalled lots shipped outside the window", ("lot", "before", "after"),
                    [[lot, n["before"], n["after"]] for lot, n in data["outside_window"].items()],
                    "Outside the window")  # fmt: skip
    weeks = Table("Outside the window, by ship week",
                  ("lot", "side", "week of", "shipments", "units"),
                  [[w["lot"], w["side"], w["week"], w["shipments"], w["units"]]
                   for w in audit.weeks], "By week")  # fmt: skip
    looks = Table("Look-alike lots shipped inside the window", ("lot", "near recalled lot",
                  "shipments"), [[x["lot"], x["near"], x["shipments"]] for x in data["lookalikes"]],
                  "Look-alikes")  # fmt: skip
    missing = Table("Recalled lots that never appear in the data", ("lot", "did you mean"),
                    [[lot, ", ".join(audit.suggestions.get(lot) or [])]
                     for lot in data["missing_lots"]], "Missing lots")  # fmt: skip
    view = {"weeks": audit.weeks, "suggestions": audit.suggestions, "scope": audit.scope}
    return Document("audit-scope", data, (outside, weeks, looks, missing), view)


# --- support desk -----------------------------------------------------------------------


def check(
    answer: dict[str, Any], scope: dict[str, Any], in_data: dict[str, int],
    double_counting: dict[str, Any] | None = None,
) -> Document:  # fmt: skip
    """The lot's answer; `double_counting` (support.double_counting): how many of its
    lines another file repeats, in JSON always (null when none); on a terminal the
    same warning goes to stderr."""
    keys = [k for k in answer if k not in ("rows", "gs1", "suggestions")]
    head = pairs("Lot check", [(k, answer[k]) for k in keys], "Check")
    data = {**answer, "double_counting": double_counting}
    return Document("check", data, (head,), {"scope": scope, "in_data": in_data})


PUBLIC_MATCH_KEYS = ("customer_id", "name", "affected", "verdict", "lots", "units", "shipments",
                     "review", "note")  # fmt: skip


def public_matches(found: dict[str, Any]) -> dict[str, Any]:
    """The customer search without contact details (the JSON contract).

    An allow-list, so a field added to the matches never leaks into JSON by default.
    """
    return {
        "query": found["query"],
        "matches": [{k: m[k] for k in PUBLIC_MATCH_KEYS} for m in found["matches"]],
    }


def customer(found: dict[str, Any], double_counting: dict[str, Any] | None = None) -> Document:
    """The customers found, without contact details in JSON; `double_counting` as in
    :func:`check`."""
    public = public_matches(found)
    table = Table(
        "Customers found",
        PUBLIC_MATCH_KEYS,
        [[m[k] for k in PUBLIC_MATCH_KEYS] for m in public["matches"]],
        "Customers",
    )
    data = {**public, "double_counting": double_counting}
    return Document("customer", data, (table,), {"found": found})


# --- campaign and closing ---------------------------------------------------------


def affected(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    return Table("Affected customers", tuple(columns), rows, "Affected")


def affected_frame(frame: pd.DataFrame) -> Table:
    return from_frame(frame, "Affected customers", "Affected")


def sample(drawn: pd.DataFrame, level: str) -> Table:
    return from_frame(drawn, f"Effectiveness check, level {level.upper()}", "Sample")


def diff(changed: ScopeDiff, which: str) -> Document:
    """Counts and the one list asked for (`--list`): csv and xlsx write the list alone,
    a mail merge of first letters."""
    counts = changed.counts()
    caption = (f"before: {scope_line(changed.before.scope.to_dict())}\n"
               f"after:  {scope_line(changed.after.scope.to_dict())}")  # fmt: skip
    listed = from_frame(changed.lists[which], f"Customers {which}", which.title())
    return Document("diff", changed.to_json(), (listed,), {"counts": counts, "caption": caption})


STATUS_PAIRS = (
    ("consignees notified", "notified"),
    ("consignees who responded", "responded"),
    ("consignees who did not respond", "not_responded"),
    ("units affected (each)", "units_affected"),
    ("units returned", "units_returned"),
    ("units on hand (reported)", "units_on_hand"),
    ("units outstanding (affected − returned)", "units_outstanding"),
    ("% of consignees accounted for", "percent_accounted"),
)


def status(state: RecallStatus, scope: dict[str, Any], which: str | None) -> Document:
    """The 7.53 status report: counts, the consignees to follow up, the stray responses.

    ``which`` (`--list`) narrows csv and xlsx to that one list, for a mail merge."""
    counts = state.counts
    head = pairs("Recall status (21 CFR 7.53)",
                 [*_scope_pairs(scope), *((label, counts[key]) for label, key in STATUS_PAIRS)],
                 "Status")  # fmt: skip
    lists = {
        "not-responded": from_frame(state.not_responded, "Not responded", "Not responded"),
        "unexpected": Table("Responses from customers not affected (not counted)",
                            ("customer_id",), [[c] for c in state.unexpected], "Unexpected"),
    }  # fmt: skip
    tables = (lists[which],) if which else (head, *lists.values())
    return Document("status", state.to_json(), tables, {"caption": scope_line(scope)})


def not_responded(state: RecallStatus) -> Table:
    return from_frame(state.not_responded, "Not responded", "Not responded")


def audit_log(entries: list[dict[str, Any]]) -> Document:
    rows = []
    for e in entries:
        scope = e.get("scope") or {}
        inputs = e.get("inputs") or []
        window = f"{scope.get('from') or '…'} to {scope.get('to') or '…'}" if scope else ""
        user = e.get("user", "") + (f" ({e['agent']})" if e.get("agent") else "")
        kind = e.get("kind", "") + (f" {e['customer_id']}" if e.get("customer_id") else "")
        if e.get("customer_ids"):
            kind += " " + ", ".join(map(str, e["customer_ids"]))
        rows.append([
            e.get("time_utc", e.get("error", "")), user, e.get("command", ""), kind,
            e.get("rows", ""), ", ".join(map(str, scope.get("lots", []))), window,
            ", ".join(f"{Path(str(i.get('path', ''))).name} ({str(i.get('sha256', ''))[:12]})"
                      for i in inputs),
            e.get("output", ""),
        ])  # fmt: skip
    columns = ("time_utc", "user", "command", "kind", "rows", "lots", "window", "inputs", "output")
    return Document("audit", entries, (Table("Audit log", columns, rows, "Audit log"),))
