"""CSV for a table given as column names and rows, without pandas.

A table built from a DataFrame and the cached `affected` (tally.py's rows) are
written by this one writer, so a list is the same bytes whichever way it was computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from recall_cli.output.safe_write import escape_formula
from recall_cli.tasks.tables import LIST_SEPARATOR

__all__ = ["LIST_SEPARATOR", "WriteOptions", "cell_text", "csv_cells", "write_csv_rows"]


@dataclass(frozen=True)
class WriteOptions:
    escape_formulas: bool = True
    bom: bool = False
    delimiter: str = ","


def cell_text(value: Any) -> str | None:
    """A cell as CSV text; None for a number, which is never escaped."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(map(str, value))
    if isinstance(value, dt.datetime):  # pandas' Timestamp and NaT are datetimes too
        return value.strftime("%Y-%m-%d") if value == value else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:
        return ""
    return None


def csv_cells(row: Sequence[Any], options: WriteOptions) -> tuple[list[str], int]:
    """One row's cells as CSV text, escaped unless asked not to; and how many were escaped."""
    cells = []
    escaped = 0
    for value in row:
        cell = cell_text(value)
        if cell is None:
            cells.append(str(value))
            continue
        if options.escape_formulas:
            safe = escape_formula(cell)
            escaped += safe is not cell
            cell = safe
        cells.append(cell)
    return cells, escaped


def write_csv_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[bytes], options: WriteOptions
) -> int:
    """Write the rows as CSV (CRLF, minimal quoting); returns the cells escaped."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=options.delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    escaped = 0
    for row in rows:
        cells, changed = csv_cells(row, options)
        escaped += changed
        writer.writerow(cells)
    stream.write(("\ufeff" if options.bom else "").encode("utf-8") + text.getvalue().encode())
    return escaped
