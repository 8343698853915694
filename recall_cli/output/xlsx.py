"""xlsx from tables: strings stay strings, codes stay text, one sheet per table.

xlsxwriter is told never to turn a cell's text into a formula, a number or a link, so
``=HYPERLINK(...)`` in a name is shown, not run. Lots, ids, phones and postal codes are
written as text (zeros kept). A table longer than a sheet continues on the next sheet
(``Data``, ``Data (2)``...), and the split is reported: a sheet never drops a row.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from typing import Any

from recall_cli.normalize.columns import TEXT_CODES
from recall_cli.output.rowwriters import LIST_SEPARATOR
from recall_cli.tasks.tables import Chart, Document, Table
from recall_cli.words import plural

__all__ = ["sheet_rows", "write_xlsx"]

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_rows() -> int:
    """Rows a sheet holds, header included: xlsxwriter's own limit (Excel's 1,048,576)."""
    from xlsxwriter.worksheet import Worksheet

    return int(Worksheet().xls_rowmax)


def _new_workbook(target: Any) -> Any:
    import xlsxwriter

    return xlsxwriter.Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": True,  # no temporary files of patient data outside the output
            "default_date_format": "yyyy-mm-dd",
        },
    )


class _Sheets:
    """Unique, valid sheet names (31 characters, no []:*?/\\)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def name(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARS.sub(" ", wanted).strip("' ")[:31] or "Sheet"
        name, n = base, 1
        while name.lower() in self.used:
            n += 1
            tail = f" ({n})"
            name = base[: 31 - len(tail)] + tail
        self.used.add(name.lower())
        return name


def _checked(result: int) -> None:
    # xlsxwriter returns -1 for a cell outside the sheet instead of raising: a lost cell.
    if result == -1:
        raise RuntimeError("xlsxwriter refused a cell outside the sheet")


def _write_cell(sheet: Any, i: int, j: int, value: Any, is_code: bool, fmts: dict[str, Any]) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, dt.datetime):  # pandas' Timestamp too; NaT is not equal to itself
        if value != value:
            return 0
        _checked(sheet.write_datetime(i, j, value.replace(tzinfo=None), fmts["date"]))
        return 10
    if isinstance(value, dt.date):
        _checked(sheet.write_datetime(i, j, dt.datetime(value.year, value.month, value.day),
                                      fmts["date"]))  # fmt: skip
        return 10
    if isinstance(value, bool):
        _checked(sheet.write_boolean(i, j, value))
        return 5
    if isinstance(value, int | float) and not is_code:
        _checked(sheet.write_number(i, j, float(value)))
        return len(str(value))
    listed = isinstance(value, list | tuple)
    text = LIST_SEPARATOR.join(map(str, value)) if listed else str(value)
    _checked(sheet.write_string(i, j, text, fmts["text"] if is_code else None))
    return len(text)


def _add_table(workbook: Any, names: _Sheets, table: Table, fmts: dict[str, Any],
               per_sheet: int) -> list[str]:  # fmt: skip
    """The table on one sheet, or on as many as it needs; returns the sheet names."""
    columns = list(table.columns)
    codes = [c in TEXT_CODES or c.endswith("_id") for c in columns]
    rows = table.rows
    chunks = [rows[i : i + per_sheet] for i in range(0, len(rows), per_sheet)] or [rows]
    written = []
    for chunk in chunks:
        sheet_name = names.name(table.section)
        written.append(sheet_name)
        sheet = workbook.add_worksheet(sheet_name)
        widths = [len(c) for c in columns]
        for j, col in enumerate(columns):
            _checked(sheet.write_string(0, j, col, fmts["bold"]))
        for i, row in enumerate(chunk, start=1):
            for j, value in enumerate(row):
                widths[j] = max(widths[j], _write_cell(sheet, i, j, value, codes[j], fmts))
        for j, width in enumerate(widths):
            sheet.set_column(j, j, min(max(width + 2, 8), 60), fmts["text"] if codes[j] else None)
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, max(len(chunk), 1), len(columns) - 1)
        if table.chart is not None:
            _chart(workbook, sheet, sheet_name, table.chart, len(columns) + 1, fmts)
    return written


def _chart(workbook: Any, sheet: Any, sheet_name: str, chart: Chart, first_col: int,
           fmts: dict[str, Any]) -> None:  # fmt: skip
    """The chart's table beside the sheet's table, and a native column chart of it."""
    table = chart.table
    for j, col in enumerate(table.columns):
        sheet.write_string(0, first_col + j, col, fmts["bold"])
    for i, row in enumerate(table.rows, start=1):
        for j, value in enumerate(row):
            _write_cell(sheet, i, first_col + j, value, False, fmts)
    sheet.set_column(first_col, first_col + len(table.columns) - 1, 16)
    drawn = workbook.add_chart({"type": "column"})
    last = max(len(table.rows), 1)
    drawn.add_series(
        {
            "name": table.columns[1],
            "categories": [sheet_name, 1, first_col, last, first_col],
            "values": [sheet_name, 1, first_col + 1, last, first_col + 1],
        }
    )
    drawn.set_title({"name": chart.title})
    drawn.set_x_axis({"name": table.columns[0], "date_axis": False, "num_format": "yyyy-mm-dd"})
    drawn.set_y_axis({"name": chart.y_axis or table.columns[1]})
    drawn.set_legend({"none": True})
    sheet.insert_chart(1, first_col + len(table.columns) + 1, drawn)


def write_xlsx(tables: Sequence[Table], *, per_sheet: int | None = None) -> tuple[bytes, list[str]]:
    """The workbook's bytes, and notes for stderr (tables split over several sheets)."""
    per_sheet = per_sheet or sheet_rows() - 1  # the header takes a row
    buffer = io.BytesIO()
    notes = []
    with _new_workbook(buffer) as workbook:
        fmts = {
            "bold": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "text": workbook.add_format({"num_format": "@"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        }
        names = _Sheets()
        for table in tables:
            sheets = _add_table(workbook, names, table, fmts, per_sheet)
            if len(sheets) > 1:
                notes.append(
                    f"{table.section}: {plural(len(table.rows), 'row')} do not fit one sheet "
                    f"({per_sheet:,} rows each): written to {len(sheets)} sheets, "
                    + ", ".join(sheets)
                )
    return buffer.getvalue(), notes


def tables_of(result: Table | Document) -> tuple[Table, ...]:
    return (result,) if isinstance(result, Table) else result.tables
