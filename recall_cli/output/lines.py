"""The support desk's answers (`check`, `customer`) as lines of styled text, made
without rich: a cached `check` written to a pipe or a file prints them as they are,
and rich (whose import costs as much as the answer) is loaded only to show them in
colour on a terminal, or when a line holds a character rich would print otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recall_cli.read.names import file_labels, label_of
from recall_cli.words import noun as noun_of
from recall_cli.words import plural, verb

if TYPE_CHECKING:
    from rich.text import Text

    from recall_cli.tasks.tables import Result

BUCKET_LABELS = {
    "matched": "matched",
    "not_matched": "not matched",
    "not_data": "not data",
    "needs_review": "needs review",
}


def _n(value: object) -> str:
    if value is None:
        return "unknown"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _count(value: object, noun: str) -> str:
    """ "1 shipment", "3 shipments", "unknown units": a count and its noun in agreement."""
    if isinstance(value, int) and not isinstance(value, bool):
        return plural(value, noun)
    return f"{_n(value)} {noun_of(None, noun)}"


class Lines:
    """Text appended in pieces, each with a rich style or none: what ``rich.text.Text``
    is to the views, without importing rich until it is printed in colour."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, str | None]] = []

    def append(self, text: str, style: str | None = None) -> Lines:
        self.pieces.append((text, style))
        return self

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def __rich__(self) -> Text:
        from recall_cli.output.terminal import styled

        return styled(self.pieces)

    def printed(self) -> str | None:
        """What rich prints of these lines to a file or a pipe (no colour, no wrap: see
        terminal.plain_text), or None when a line holds a character that rich changes
        or drops (a tab, a control or format character): the caller asks rich then."""
        text = self.plain
        if all(line.isprintable() for line in text.split("\n")):
            return text + "\n"
        return None


def plain_view(result: Result) -> str | None:
    """The text view of a `check` or `customer` answer as written to a file or a pipe,
    without rich; None for every other result, or when only rich can say it."""
    from recall_cli.tasks.tables import Document

    if not isinstance(result, Document):
        return None
    if result.kind == "check":
        return check_view(result.data, result.view["scope"], result.view["in_data"]).printed()
    if result.kind == "customer":
        return customer_view(result.view["found"]).printed()
    return None


def check_view(answer: dict[str, Any], scope: dict[str, Any], elsewhere: dict[str, int]) -> Lines:
    text = Lines()
    if answer["recalled"]:
        text.append(f"{answer['lot']}: IN RECALL", style="bold red")
        if scope.get("name"):
            text.append(f" ({scope['name']})")
        text.append("\n")
        _barcode_line(text, answer)
        if answer["shipments"]:
            text.append(
                f"  inside the scope: {_count(answer['shipments'], 'shipment')}, "
                f"{_count(answer['customers'], 'customer')}, {_count(answer['units'], 'unit')}, "
                f"shipped {answer['first_shipped']} to {answer['last_shipped']}\n"
            )
        else:
            text.append("  no shipment of this lot falls inside the scope\n")
    elif answer.get("looks_like"):
        text.append(f"{answer['lot']}: NOT ON THE RECALL LIST", style="bold yellow")
        text.append(f" (recalled lots: {', '.join(scope['lots'])})\n")
        _barcode_line(text, answer)
        near = ", ".join(answer["looks_like"])
        text.append(f"  looks like recalled {near} — check the box\n", style="bold yellow")
        if answer.get("confusable_of"):
            text.append(
                f"  {answer['lot']} holds look-alike (non-Latin) characters of "
                f"{answer['confusable_of']}: its shipments inside the scope are in review\n"
            )
    else:
        text.append(f"{answer['lot']}: NOT IN RECALL", style="bold green")
        text.append(f" (recalled lots: {', '.join(scope['lots'])})\n")
        _barcode_line(text, answer)
    doubt = answer.get("needs_review") or 0
    if doubt:
        text.append(
            f"  {_count(doubt, 'shipment')} of this lot {verb(doubt, 'needs', 'need')} review: "
            f"a person reads {'it' if doubt == 1 else 'them'} at the source (--show-rows "
            "lists them, `recall review` says why)\n",
            style="bold yellow",
        )
    text.append(
        f"  in the data: {_count(elsewhere['shipments'], 'shipment')} to "
        f"{_count(elsewhere['customers'], 'customer')} in all\n"
    )
    _support_lines(text, answer)
    return text


def _barcode_line(text: Lines, answer: dict[str, Any]) -> None:
    """What a scanned barcode said besides the lot, right under the verdict."""
    gs1 = answer.get("gs1")
    if gs1 is not None:
        labels = {"gtin": "GTIN", "expiry": "expiry", "serial": "serial"}
        fields = ", ".join(f"{label} {gs1[k] or '-'}" for k, label in labels.items())
        text.append(f"  scanned: {fields}\n")


def _support_lines(text: Lines, answer: dict[str, Any]) -> None:
    """Did-you-mean and provenance rows (support desk), when present."""
    if "suggestions" in answer:
        if answer["suggestions"]:
            text.append(f"  did you mean: {', '.join(answer['suggestions'])}?", style="yellow")
            text.append(" (not a verdict: check the suggested lot to get one)\n")
        else:
            text.append("  no known lot is close to this one\n")
    rows = answer.get("rows")
    if rows is not None:
        matched = sum(r["bucket"] == "matched" for r in rows)
        text.append(
            f"  rows of this lot in the data: {_n(len(rows))} "
            f"({_n(matched)} matched = inside the recall scope)\n"
        )
        labels = file_labels(r["file"] for r in rows)
        for r in rows:
            where = labels[r["file"]] + (f" / {r['sheet']}" if r["sheet"] else "")
            label = BUCKET_LABELS.get(r["bucket"], r["bucket"])
            qty = "" if r["quantity"] is None else _n(r["quantity"])
            text.append(
                f"    {where} row {r['row']}: {label}, {r['ship_date'] or 'no date'}, "
                f"customer {r['customer_id'] or '-'}, qty {qty or '-'}\n"
            )


_VERDICTS = {
    "affected": ("AFFECTED", "bold red"),
    "needs_review": ("NEEDS REVIEW", "bold yellow"),
    "not_affected": ("not affected", "bold green"),
}


def customer_view(found: dict[str, Any]) -> Lines:
    text = Lines()
    if not found["matches"]:
        text.append(f"no customer matches {found['query']!r}\n")
        return text
    labels = file_labels(r["file"] for m in found["matches"] for r in m["review"])
    for m in found["matches"]:
        verdict = _VERDICTS[m["verdict"]]
        text.append(f"{m['customer_id'] or '(no id)'}  {m['name']}  ")
        text.append(verdict[0], style=verdict[1])
        if m["affected"]:
            text.append(
                f"  lots {', '.join(m['lots'])}; {_count(m['units'], 'unit')} in "
                f"{_count(m['shipments'], 'shipment')}"
            )
        elif m["review"]:
            sheets = sum(1 for r in m["review"] if r["row"] is None)
            lines = len(m["review"]) - sheets
            what = [_count(lines, "shipment")] if lines else []
            what += [_count(sheets, "unread sheet")] if sheets else []
            text.append(f"  {' and '.join(what)} to read at the source first")
        text.append("\n")
        if m.get("note"):
            text.append(f"    {m['note']}\n", style="yellow")
        for r in m["review"]:
            where = label_of(r["file"], labels) + (f" / {r['sheet']}" if r["sheet"] else "")
            at = f" row {r['row']}, lot {r['lot'] or '-'}" if r["row"] is not None else ""
            text.append(f"    needs review: {where}{at}: {r['reason']}\n", style="yellow")
        contact = m.get("contact")
        if contact:
            line = ", ".join(v for v in contact.values() if v)
            if line:
                text.append(f"    {line}\n", style="dim")
    return text
