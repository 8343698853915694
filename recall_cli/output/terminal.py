"""Results → rich renderables. Nothing here prints: the CLI does."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table as RichTable
from rich.text import Text

from recall_cli.output.lines import BUCKET_LABELS, _n, check_view, customer_view
from recall_cli.read.names import file_labels
from recall_cli.tasks.reports import STATUS_PAIRS, duplicate_pairs, scope_line
from recall_cli.tasks.tables import Document, Result, Table

if TYPE_CHECKING:
    from collections.abc import Callable

#: Width of a table written to a file or a pipe: wide enough that cells are seldom folded.
PLAIN_WIDTH = 160


def make_console(*, stderr: bool, no_color: bool = False) -> Console:
    """Colour only on a terminal, and never when NO_COLOR is set to a non-empty value
    (no-color.org: an empty NO_COLOR= does not count)."""
    stream = sys.stderr if stderr else sys.stdout
    plain = no_color or bool(os.environ.get("NO_COLOR")) or not stream.isatty()
    return Console(
        file=stream,
        no_color=plain,
        color_system=None if plain else "auto",
        highlight=False,
        soft_wrap=True,  # a warning or a verdict is one line in a log, never cut
        width=None if stream.isatty() else 160,
    )


def styled(pieces: Iterable[tuple[str, str | None]]) -> Text:
    """Lines (output.lines) as rich Text: each piece in its style."""
    out = Text()
    for text, style in pieces:
        out.append(text, style=style)
    return out


def bucket_line(
    rows: dict[str, int],
    not_read: Sequence[dict[str, str]] = (),
    duplicates: Sequence[dict[str, str]] = (),
    copies: Sequence[dict[str, Any]] = (),
) -> Text:
    """`read 2,345 = matched 120 + not matched 2,000 + ...`, with the check: green,
    yellow when lines may be counted twice, red when rows or files are missing."""
    from recall_cli.query.reading import in_doubt

    line, ok = bucket_text(rows, not_read, duplicates, copies)
    return Text(line, style="red" if not ok else "yellow" if in_doubt(copies) else "green")


def bucket_text(
    rows: dict[str, int],
    not_read: Sequence[dict[str, str]] = (),
    duplicates: Sequence[dict[str, str]] = (),
    copies: Sequence[dict[str, Any]] = (),
) -> tuple[str, bool]:
    """The bucket line as plain text (the terminal and `recall serve`'s page), and
    whether every row is accounted for.

    The ✓ is printed only when query.reading.accounted_for says so: the buckets
    add up and every file given was read. It says which inputs were read once
    (the same bytes as another), and lines that another file repeats.
    """
    from recall_cli.query.reading import accounted_for, copies_note, not_read_line, read_once_note

    parts = " + ".join(f"{BUCKET_LABELS[b]} {_n(rows[b])}" for b in BUCKET_LABELS)
    ok = accounted_for(rows, not_read)
    if ok:
        mark = "✓ every row accounted for"
    elif not_read:
        mark = not_read_line(not_read, file_labels(f["file"] for f in not_read))
    else:
        mark = "✗ DOES NOT ADD UP"
    mark += read_once_note(duplicates) + copies_note(copies)
    return f"rows read {_n(rows['read'])} = {parts}  {mark}", ok


def summary_view(summary: dict[str, Any], weeks: Sequence[tuple[dt.date, int]]) -> Group:
    head = RichTable(
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
    head.add_row("  uncontactable", _n(summary["uncontactable"]))
    head.add_row("affected units (net, each)", _n(summary["units"]))
    head.add_row("affected shipment lines", _n(summary["shipments"]))
    head.add_row("prescribers (HCPs)", _n(summary["hcps"]))
    head.add_row("customers in all data", _n(summary["customers_total"]))
    for label, value in duplicate_pairs(summary):
        head.add_row(label, Text(str(value), style="yellow"))

    lots = RichTable(title="By lot", title_justify="left")
    for col in ("lot", "customers", "units", "shipments"):
        lots.add_column(col, justify="left" if col == "lot" else "right")
    for lot, s in summary["by_lot"].items():
        lots.add_row(lot, _n(s["customers"]), _n(s["units"]), _n(s["shipments"]))

    countries = RichTable(title="By country", title_justify="left")
    for col in ("country", "customers", "units", "shipments"):
        countries.add_column(col, justify="left" if col == "country" else "right")
    for c, s in summary["by_country"].items():
        countries.add_row(c, _n(s["customers"]), _n(s["units"]), _n(s["shipments"]))

    rows = RichTable(title="Rows", title_justify="left")
    for col in ("file", "sheet", "header row", "date order", *BUCKET_LABELS.values(), "read"):
        rows.add_column(
            col, justify="right" if col not in ("file", "sheet", "date order") else "left"
        )
    labels = file_labels(src["file"] for src in summary["sources"])
    for src in summary["sources"]:
        r = src["rows"]
        rows.add_row(
            labels[src["file"]],
            src["sheet"],
            _n(src["header_row"]),
            src["date_order"],
            *(_n(r[b]) for b in BUCKET_LABELS),
            _n(r["read"]),
        )
    t = summary["rows"]
    rows.add_row(
        "total", "", "", "", *(_n(t[b]) for b in BUCKET_LABELS), _n(t["read"]), style="bold"
    )
    return Group(head, lots, countries, rows, week_chart(weeks))


def week_chart(weeks: Sequence[tuple[dt.date, int]], width: int = 40) -> RichTable:
    chart = RichTable(title="Affected units per ship week", title_justify="left", show_header=False)
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


def rows_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> RichTable:
    rows = list(rows)
    table = RichTable(title=f"{title} ({len(rows):,})", title_justify="left")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def table_view(table: Table) -> RichTable:
    return rows_table(table.columns, table.rows, table.title)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    # NaN and NaT are the values not equal to themselves; a Timestamp is a datetime.
    if value is None or (isinstance(value, float | dt.datetime) and value != value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _n(value) if isinstance(value, int) else str(value)


def inspect_view(sources: list[dict[str, Any]]) -> Group:
    parts: list[Any] = []
    for src in sources:
        title = f"{src['file']}" + (f" / {src['sheet']}" if src["sheet"] else "")
        table = RichTable(title=title, show_header=False, title_justify="left")
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
            table.add_row("rows", ", ".join(f"{k} {_n(v)}" for k, v in src["rows"].items()))
            if src.get("buckets"):
                table.add_row("buckets", bucket_line(src["buckets"]))
        for key, value in src["details"].items():
            table.add_row(key, _cell(value))
        for warning in src["warnings"]:
            table.add_row("warning", Text(warning, style="yellow"))
        parts.append(table)
    return Group(*parts)


# --- When the recall grows, and closing it: diff, scope audit, status (issue 7) ---


def _pairs_table(title: str, pairs: Sequence[tuple[str, object]]) -> RichTable:
    table = RichTable(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for what, value in pairs:
        table.add_row(what, _cell(value))
    return table


def diff_view(counts: dict[str, int], listed: Table, caption: str) -> Group:
    head = _pairs_table(
        "Scope change",
        [("newly affected (first letter)", counts["added"]),
         ("affected before, more lots or units now (letter)", counts["changed"]),
         ("no longer affected", counts["removed"]),
         ("affected before and after, nothing added", counts["unchanged"])],
    )  # fmt: skip
    return Group(Text(caption), head, table_view(listed))


def scope_audit_view(
    audit: dict[str, Any],
    weeks: Sequence[dict[str, Any]],
    suggestions: dict[str, list[str]],
    scope: dict[str, Any],
) -> Group:
    outside = RichTable(title="Recalled lots shipped outside the window", title_justify="left")
    for col in ("lot", "before", "after"):
        outside.add_column(col, justify="left" if col == "lot" else "right")
    for lot, n in audit["outside_window"].items():
        style = "yellow" if n["before"] or n["after"] else None
        outside.add_row(lot, _n(n["before"]), _n(n["after"]), style=style)
    by_week = RichTable(title="Outside the window, by ship week", title_justify="left")
    for col in ("lot", "side", "week of", "shipments", "units"):
        by_week.add_column(col, justify="right" if col in ("shipments", "units") else "left")
    for w in weeks:
        by_week.add_row(w["lot"], w["side"], _cell(w["week"]), _n(w["shipments"]), _n(w["units"]))
    if not weeks:
        by_week.add_row("(none)", "", "", "0", "0")
    looks = RichTable(title="Look-alike lots shipped inside the window (one edit away)",
                  title_justify="left")  # fmt: skip
    for col in ("lot", "near recalled lot", "shipments"):
        looks.add_column(col, justify="right" if col == "shipments" else "left")
    for item in audit["lookalikes"]:
        looks.add_row(item["lot"], item["near"], _n(item["shipments"]), style="yellow")
    if not audit["lookalikes"]:
        looks.add_row("(none)", "", "0")
    missing = Text()
    if audit["missing_lots"]:
        for lot in audit["missing_lots"]:
            missing.append(f"recalled lot {lot} never appears in the data", style="bold red")
            near = suggestions.get(lot) or []
            missing.append(f"; did you mean {', '.join(near)}?\n" if near else "\n")
    else:
        missing.append("every recalled lot appears in the data\n", style="green")
    return Group(Text(scope_line(scope)), outside, by_week, looks, missing)


def status_view(counts: dict[str, Any], caption: str) -> Group:
    pairs: list[tuple[str, object]] = [(label, counts[key]) for label, key in STATUS_PAIRS]
    pairs[-1] = (pairs[-1][0], f"{counts['percent_accounted']:.1f}%")
    parts: list[Any] = [Text(caption), _pairs_table("Recall status (21 CFR 7.53)", pairs)]
    unexpected = counts["unexpected_responses"]
    if unexpected:
        parts.append(Text(f"{len(unexpected):,} responses from customers who are not affected "
                          f"(not counted): {', '.join(unexpected)}", style="yellow"))  # fmt: skip
    return Group(*parts)


# --- the `table` format: one view per document kind ---------------------------

VIEWS: dict[str, Callable[[Document], Any]] = {
    "summary": lambda d: summary_view(d.data, d.view["weeks"]),
    "inspect": lambda d: inspect_view(d.data),
    "check": lambda d: check_view(d.data, d.view["scope"], d.view["in_data"]),
    "customer": lambda d: customer_view(d.view["found"]),
    "diff": lambda d: diff_view(d.view["counts"], d.tables[-1], d.view["caption"]),
    "audit-scope": lambda d: scope_audit_view(
        d.data, d.view["weeks"], d.view["suggestions"], d.view["scope"]
    ),
    "status": lambda d: status_view(d.data, d.view["caption"]),
}


def render(result: Result) -> Any:
    """The rich renderable of a result: a table, or its document's own view."""
    if isinstance(result, Table):
        return table_view(result)
    view = VIEWS.get(result.kind)
    if view is not None:
        return view(result)
    return Group(*(table_view(t) for t in result.tables))


def plain_text(renderable: Any) -> str:
    """A renderable as plain text for a file or a pipe: no colour, a fixed width."""
    console = Console(
        file=io.StringIO(), no_color=True, color_system=None, highlight=False,
        soft_wrap=True, width=PLAIN_WIDTH,
    )  # fmt: skip
    with console.capture() as cap:
        console.print(renderable)
    return cap.get()


# --- load progress (speed at scale) -------------------------------------------


class LoadProgress:
    """`progress(label, rows)` for load_shipments: a transient bar on stderr.

    The bar only shows once a load has taken longer than `delay` seconds, so
    quick and cached runs print nothing; `close()` removes it before results print.
    """

    def __init__(self, console: Console, delay: float = 1.0) -> None:
        import threading

        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[rows]:,} rows read"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("reading", rows=0)
        self._lock = threading.Lock()
        self._started = self._closed = False
        self._timer = threading.Timer(delay, self._start)
        self._timer.daemon = True
        self._timer.start()

    def _start(self) -> None:
        with self._lock:
            if not self._closed:
                self._progress.start()
                self._started = True

    def __call__(self, label: str, rows: int) -> None:
        task = self._progress.tasks[0]
        self._progress.update(self._task, description=label, rows=task.fields["rows"] + rows)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._started:
                self._progress.stop()


def load_progress(console: Console, delay: float = 1.0) -> LoadProgress:
    return LoadProgress(console, delay)
