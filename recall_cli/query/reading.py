"""Whether every file was read, and whether the "✓ every row accounted for" may be printed.

A sheet without a shipment table inside a workbook that has one (a "Read me"
sheet, a pivot) is reported and skipped. A whole FILE that yields no shipment
table is another matter: its patients would be missing from every count. It
stops the run (exit 1), unless the user says to go on without it
(--skip-unreadable); then every answer names it, and the ✓ is never printed.
No numpy or pandas here: the cached support path calls it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recall_cli.errors import InputFileError

FIX_HINT = (
    'map its headers by hand with --column lot="..." (and ship_date, customer_id), '
    "read one sheet with --sheet NAME, or leave it out with --skip-unreadable"
)


def files_not_read(sources: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """[{file, sheet, reason}] for each file none of whose sheets gave a shipment table
    (sheet "": the whole file).

    `sources` are SourceInfo as dicts, in file order; a file's reason joins the
    reasons of its sheets.
    """
    by_file: dict[str, list[Mapping[str, Any]]] = {}
    for s in sources:
        by_file.setdefault(str(s["file"]), []).append(s)
    out = []
    for file, sheets in by_file.items():
        if all(s["skipped"] for s in sheets):
            reasons = [
                (f"sheet {s['sheet']!r}: " if s["sheet"] else "") + str(s["skipped"])
                for s in sheets
            ]
            out.append({"file": file, "sheet": "", "reason": "; ".join(reasons)})
    return out


def sheets_holding_recalled_lots(
    sources: Sequence[Mapping[str, Any]], lots: Sequence[str]
) -> list[dict[str, str]]:
    """[{file, sheet, reason}] for each skipped sheet of a file that was read whose cells
    hold a recalled lot (or more cells than were kept to tell).

    A notes or pivot sheet is skipped rightly; one whose header was not recognised but
    that lists shipments of a recalled lot holds patients no count would include, so the
    ✓ is not printed for it.
    """
    from recall_cli.normalize.lots import lot_digest

    wanted = {lot_digest(lot): lot for lot in lots}
    read = {str(s["file"]) for s in sources if not s["skipped"]}
    out = []
    for s in sources:
        if not s["skipped"] or str(s["file"]) not in read:
            continue
        held = sorted({wanted[d] for d in s.get("lot_digests", ()) if d in wanted})
        if held:
            what = f"holds recalled lot{'s' if len(held) > 1 else ''} {', '.join(held)}"
        elif s.get("lot_digests_capped"):
            what = "has more distinct cells than were searched for recalled lots"
        else:
            continue
        out.append({"file": str(s["file"]), "sheet": str(s["sheet"]),
                    "reason": f"skipped ({s['skipped']}), yet it {what}"})  # fmt: skip
    return out


def not_read_line(not_read: Sequence[Mapping[str, str]], labels: Mapping[str, str]) -> str:
    """The ✗ mark for what was not read: whole files, sheets, or both, each named."""
    from recall_cli.words import plural

    names = ", ".join(
        labels.get(f["file"], f["file"]) + (f" / {f['sheet']}" if f.get("sheet") else "")
        for f in not_read
    )
    sheets = sum(1 for f in not_read if f.get("sheet"))
    files = len(not_read) - sheets
    if not sheets:
        return f"✗ NOT EVERY FILE WAS READ: {plural(files, 'file')} not read ({names})"
    parts = " and ".join([*([plural(files, "file")] if files else []), plural(sheets, "sheet")])
    return f"✗ NOT EVERYTHING WAS READ: {parts} not read ({names})"


def check_files_read(sources: Sequence[Mapping[str, Any]], *, skip_unreadable: bool) -> None:
    """Raise for the first file that gave no shipment table, unless told to go on."""
    if skip_unreadable:
        return
    missing = files_not_read(sources)
    if missing:
        first = missing[0]
        more = f" (and {len(missing) - 1} more files)" if len(missing) > 1 else ""
        raise InputFileError(
            f"no shipment table in this file{more}: {first['reason']}",
            file=first["file"],
            hint=FIX_HINT,
        )


def accounted_for(rows: Mapping[str, int], not_read: Sequence[Mapping[str, str]]) -> bool:
    """The one test behind "✓ every row accounted for": the buckets add up to the
    rows read AND every file given was read."""
    parts = sum(rows[b] for b in ("matched", "not_matched", "not_data", "needs_review"))
    return parts == rows["read"] and not not_read


def read_once_note(duplicates: Sequence[Mapping[str, str]]) -> str:
    """What the ✓ line adds about inputs skipped as copies of another: their rows are
    not in "rows read", and nothing is missing ("" when there are none)."""
    if not duplicates:
        return ""
    import os

    if len(duplicates) == 1:
        d = duplicates[0]
        if d["how"] == "given twice":
            return f" ({os.path.basename(d['path'])} given twice, read once)"
        what = "bytes" if d["how"] == "same content" else "file"
        return (f" ({os.path.basename(d['same_as'])} and {os.path.basename(d['path'])} are "
                f"the same {what}, read once)")  # fmt: skip
    names = ", ".join(os.path.basename(d["path"]) for d in duplicates)
    return f" ({len(duplicates)} inputs the same as an earlier one, read once: {names})"


def copies_note(copies: Sequence[Mapping[str, Any]]) -> str:
    """What the ✓ line adds about lines repeated across files ("" when there are none)."""
    from recall_cli.words import plural

    parts = []
    aside = [g for g in copies if g["set_aside"]]
    proven = [g for g in copies if g["order_id"] and not g["set_aside"]]
    unproven = [g for g in copies if not g["order_id"]]
    if aside:
        n = sum(g["lines"] for g in aside)
        parts.append(f"{plural(n, 'copied line')} of another file counted as not data "
                     "(--dedupe-lines)")  # fmt: skip
    if proven:
        n = sum(g["lines"] for g in proven)
        inside = sum(g["lines_in_recall"] for g in proven)
        parts.append(f"POSSIBLE DOUBLE COUNTING: {plural(n, 'line')} ({inside:,} in the "
                     "recall) also in another file (--dedupe-lines counts them once)")  # fmt: skip
    if unproven:
        n = sum(g["lines"] for g in unproven)
        inside = sum(g["lines_in_recall"] for g in unproven)
        parts.append(f"POSSIBLE DOUBLE COUNTING: {plural(n, 'line')} without an order id "
                     f"({inside:,} in the recall) look the same as another file's")  # fmt: skip
    return "".join(f"; {p}" for p in parts)


def in_doubt(copies: Sequence[Mapping[str, Any]]) -> bool:
    """Lines repeated across files are counted twice: said even with -q."""
    return any(not g["set_aside"] for g in copies)
