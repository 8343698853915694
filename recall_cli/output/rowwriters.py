"""CSV and JSON for a table given as column names and rows, without pandas.

export.py hands DataFrames over as rows, and the cached `affected` (quick.py)
hands over tally.py's rows: one writer, so a list is the same bytes whichever
way it was computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from recall_cli.output.jsonout import dumps, jsonable
from recall_cli.output.safe_write import escape_formula

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class WriteOptions:
    escape_formulas: bool = True
    bom: bool = False
    delimiter: str = ","
    force: bool = False
    sheet_name: str = "Data"


@dataclass(frozen=True)
class Written:
    path: str
    rows: int
    escaped: int


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


def write_csv_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[bytes], options: WriteOptions
) -> int:
    """Write the rows as CSV (CRLF, minimal quoting); returns the cells escaped."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=options.delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    escaped = 0
    for row in rows:
        cells = []
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
        writer.writerow(cells)
    stream.write(("\ufeff" if options.bom else "").encode("utf-8") + text.getvalue().encode())
    return escaped


def write_json_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: IO[bytes], options: WriteOptions
) -> int:
    records = [jsonable(dict(zip(columns, row, strict=True))) for row in rows]
    stream.write(dumps(records).encode("utf-8"))
    return 0


ROW_WRITERS = {"csv": write_csv_rows, "json": write_json_rows}
