"""Results → rich renderables. Nothing here prints: the CLI does."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

BUCKET_LABELS = {
    "matched": "matched",
    "not_matched": "not matched",
    "not_data": "not data",
    "needs_review": "needs review",
}


def make_console(*, stderr: bool, no_color: bool = False) -> Console:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = sys.stderr if stderr else sys.stdout
    plain = no_color or "NO_COLOR" in os.environ or not stream.isatty()
    return Console(
        file=stream,
        no_color=plain,
        color_system=None if plain else "auto",
        highlight=False,
        soft_wrap=False,
        width=None if stream.isatty() else 160,
    )


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def bucket_line(rows: dict[str, int]) -> Text:
    """`read 2,345 = matched 120 + not matched 2,000 + ...`, with the check."""
    parts = " + ".join(f"{BUCKET_LABELS[b]} {_n(rows[b])}" for b in BUCKET_LABELS)
    ok = sum(rows[b] for b in BUCKET_LABELS) == rows["read"]
    mark = "✓ every row accounted for" if ok else "✗ DOES NOT ADD UP"
    return Text(f"rows read {_n(rows['read'])} = {parts}  {mark}", style="green" if ok else "red")


def scope_line(recall: dict[str, Any]) -> str:
    window = f"{recall['from'] or '…'} to {recall['to'] or '…'}"
    countries = ", ".join(recall["countries"]) or "all countries"
    name = f"{recall['name']}: " if recall.get("name") else ""
    return f"{name}lots {', '.join(recall['lots'])}; shipped {window} (inclusive); {countries}"


def summary_view(summary: dict[str, Any], weeks: Sequence[tuple[dt.date, int]]) -> Group:
    head = Table(
        title="Recall summary",
        caption=scope_line(summary["recall"]),
        show_header=False,
        title_justify="left",
        caption_justify="left",
    )
    head.add_column("what")
    head.add_column("count", justify="right")
    head.add_row("affected customers", _n(summary["customers"]))
    head.add_row("  with an email", _n(summary["with_email"]))
    head.add_row("  postal only", _n(summary["postal_only"]))
    head.add_row("affected units (net, each)", _n(summary["units"]))
    head.add_row("affected shipment lines", _n(summary["shipments"]))
    head.add_row("prescribers (HCPs)", _n(summary["hcps"]))
    head.add_row("customers in all data", _n(summary["customers_total"]))

    lots = Table(title="By lot", title_justify="left")
    for col in ("lot", "customers", "units", "shipments"):
        lots.add_column(col, justify="left" if col == "lot" else "right")
    for lot, s in summary["by_lot"].items():
        lots.add_row(lot, _n(s["customers"]), _n(s["units"]), _n(s["shipments"]))

    countries = Table(title="By country", title_justify="left")
    for col in ("country", "customers", "units", "shipments"):
        countries.add_column(col, justify="left" if col == "country" else "right")
    for c, s in summary["by_country"].items():
        countries.add_row(c, _n(s["customers"]), _n(s["units"]), _n(s["shipments"]))

    rows = Table(title="Rows", title_justify="left")
    for col in ("file", "sheet", "header row", "date order", *BUCKET_LABELS.values(), "read"):
        rows.add_column(col, justify="right" if col not in ("file", "sheet", "date order") else "left")
    for src in summary["sources"]:
        r = src["rows"]
        rows.add_row(
            os.path.basename(src["file"]),
            src["sheet"],
            _n(src["header_row"]),
            src["date_order"],
            *(_n(r[b]) for b in BUCKET_LABELS),
            _n(r["read"]),
        )
    t = summary["rows"]
    rows.add_row("total", "", "", "", *(_n(t[b]) for b in BUCKET_LABELS), _n(t["read"]), style="bold")
    return Group(head, lots, countries, rows, week_chart(weeks))


def week_chart(weeks: Sequence[tuple[dt.date, int]], width: int = 40) -> Table:
    chart = Table(title="Affected units per ship week", title_justify="left", show_header=False)
    chart.add_column("week of")
    chart.add_column("units", justify="right")
    chart.add_column("bar")
    top = max((u for _, u in weeks), default=0)
    for week, units in weeks:
        bar = "█" * (round(width * units / top) if top > 0 and units > 0 else 0)
        chart.add_row(week.isoformat(), _n(units), Text(bar, style="cyan"))
    if not weeks:
        chart.add_row("(none)", "0", "")
    return chart


def frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=f"{title} ({len(frame):,})", title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _n(value) if isinstance(value, int) else str(value)


def inspect_view(sources: list[dict[str, Any]]) -> Group:
    parts: list[Any] = []
    for src in sources:
        title = f"{src['file']}" + (f" / {src['sheet']}" if src["sheet"] else "")
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column("what")
        table.add_column("value", overflow="fold")
        if src["skipped"]:
            table.add_row("skipped", src["skipped"])
        else:
            table.add_row("header row", _n(src["header_row"]))
            for canon, header in src["columns"].items():
                table.add_row(f"  {canon}", repr(header))
            if src["ignored_columns"]:
                table.add_row("not used", ", ".join(repr(c) for c in src["ignored_columns"]))
            table.add_row("date order", f"{src['date_order']}: {src['date_order_reason']}")
            table.add_row(
                "rows", ", ".join(f"{k} {_n(v)}" for k, v in src["rows"].items())
            )
        for key, value in src["details"].items():
            table.add_row(key, _cell(value))
        for warning in src["warnings"]:
            table.add_row("warning", Text(warning, style="yellow"))
        parts.append(table)
    return Group(*parts)


def check_view(answer: dict[str, Any], scope: dict[str, Any], elsewhere: dict[str, int]) -> Text:
    text = Text()
    if answer["recalled"]:
        text.append(f"{answer['lot']}: IN RECALL", style="bold red")
        if scope.get("name"):
            text.append(f" ({scope['name']})")
        text.append("\n")
        if answer["shipments"]:
            text.append(
                f"  inside the scope: {_n(answer['shipments'])} shipments, "
                f"{_n(answer['customers'])} customers, {_n(answer['units'])} units, "
                f"shipped {answer['first_shipped']} to {answer['last_shipped']}\n"
            )
        else:
            text.append("  no shipment of this lot falls inside the scope\n")
    else:
        text.append(f"{answer['lot']}: NOT IN RECALL", style="bold green")
        text.append(f" (recalled lots: {', '.join(scope['lots'])})\n")
    text.append(
        f"  in the data: {_n(elsewhere['shipments'])} shipments to "
        f"{_n(elsewhere['customers'])} customers in all\n"
    )
    return text


def customer_view(found: dict[str, Any]) -> Text:
    text = Text()
    if not found["matches"]:
        text.append(f"no customer matches {found['query']!r}\n")
        return text
    for m in found["matches"]:
        verdict = ("AFFECTED", "bold red") if m["affected"] else ("not affected", "bold green")
        text.append(f"{m['customer_id'] or '(no id)'}  {m['name']}  ")
        text.append(verdict[0], style=verdict[1])
        if m["affected"]:
            text.append(
                f"  lots {', '.join(m['lots'])}; {_n(m['units'])} units in "
                f"{_n(m['shipments'])} shipments"
            )
        text.append("\n")
        contact = m.get("contact")
        if contact:
            line = ", ".join(v for v in contact.values() if v)
            if line:
                text.append(f"    {line}\n", style="dim")
    return text
