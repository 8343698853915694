"""File writers: one dict of formats, each safe to open in Excel.

CSV cells that Excel would run as formulas are neutralised; xlsx strings are
written as strings, never as formulas; files appear whole or not at all, with
owner-only permissions, and are never overwritten without `force`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from recall_cli.normalize.columns import TEXT_CODES
from recall_cli.output.jsonout import jsonable
from recall_cli.output.rowwriters import (
    LIST_SEPARATOR,
    WriteOptions,
    Written,
    write_csv_rows,
    write_json_rows,
)
from recall_cli.output.safe_write import atomic_output


def flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists joined, dates as ISO text, blanks as empty: the shape CSV and Excel want."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object and len(series):
            sample = series.dropna()
            first = sample.iloc[0] if len(sample) else None
            if isinstance(first, list | tuple):
                out[col] = series.map(
                    lambda v: (
                        LIST_SEPARATOR.join(map(str, v)) if isinstance(v, list | tuple) else ""
                    )
                )
            elif isinstance(first, dt.date):
                out[col] = series.map(lambda v: v.isoformat() if isinstance(v, dt.date) else "")
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[col] = series.dt.strftime("%Y-%m-%d").fillna("")
    return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [jsonable(r) for r in frame.to_dict(orient="records")]


# --- writers: (frame, binary stream, options) -> cells escaped ---------------


def frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of plain Python values (NaN and NaT as None)."""
    out = frame.astype(object).where(frame.notna(), None)
    return [str(c) for c in frame.columns], out.to_numpy().tolist()


def write_csv(frame: pd.DataFrame, stream: IO[bytes], options: WriteOptions) -> int:
    return write_csv_rows(*frame_rows(frame), stream, options)


def write_json(frame: pd.DataFrame, stream: IO[bytes], options: WriteOptions) -> int:
    return write_json_rows(*frame_rows(frame), stream, options)


def write_xlsx(frame: pd.DataFrame, stream: IO[bytes], options: WriteOptions) -> int:
    buffer = io.BytesIO()
    with new_workbook(buffer) as workbook:
        add_sheet(workbook, options.sheet_name, frame)
    stream.write(buffer.getvalue())
    return 0


WRITERS: dict[str, Callable[[pd.DataFrame, IO[bytes], WriteOptions], int]] = {
    "csv": write_csv,
    "json": write_json,
    "xlsx": write_xlsx,
}


def write_frame(
    frame: pd.DataFrame, output: str | Path, fmt: str, options: WriteOptions | None = None
) -> Written:
    """Write a table in one of WRITERS' formats, atomically; `-` is stdout."""
    options = options or WriteOptions()
    with atomic_output(output, force=options.force) as stream:
        escaped = WRITERS[fmt](frame, stream, options)
        stream.flush()
    return Written(str(output), len(frame), escaped)


# --- xlsx helpers ------------------------------------------------------------


def new_workbook(target: Any) -> Any:
    import xlsxwriter

    # Strings stay strings: no formula, number or URL is made from a cell's text.
    return xlsxwriter.Workbook(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": True,
            "default_date_format": "yyyy-mm-dd",
        },
    )


def add_sheet(workbook: Any, name: str, frame: pd.DataFrame) -> Any:
    """A sheet with a styled, frozen header, an autofilter and readable widths."""
    sheet = workbook.add_worksheet(name[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text_fmt = workbook.add_format({"num_format": "@"})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    out = frame.copy()
    for col in out.columns:
        if (
            out[col].dtype == object
            and len(out)
            and isinstance(
                out[col].dropna().iloc[0] if out[col].notna().any() else None, list | tuple
            )
        ):
            out[col] = out[col].map(
                lambda v: LIST_SEPARATOR.join(map(str, v)) if isinstance(v, list | tuple) else ""
            )
    columns = [str(c) for c in out.columns]
    for j, col in enumerate(columns):
        sheet.write_string(0, j, col, bold)
    for j, col in enumerate(out.columns):
        values = out[col].tolist()
        is_code = str(col) in TEXT_CODES or str(col).endswith("_id")
        width = len(str(col))
        for i, v in enumerate(values, start=1):
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
                continue
            if isinstance(v, dt.datetime | pd.Timestamp):
                sheet.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), date_fmt)
                width = max(width, 10)
            elif isinstance(v, dt.date):
                sheet.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), date_fmt)
                width = max(width, 10)
            elif isinstance(v, bool | np.bool_):
                sheet.write_boolean(i, j, bool(v))
            elif isinstance(v, int | float | np.integer | np.floating) and not is_code:
                sheet.write_number(i, j, float(v))
                width = max(width, len(str(v)))
            else:
                s = str(v)
                sheet.write_string(i, j, s, text_fmt if is_code else None)
                width = max(width, len(s))
        sheet.set_column(j, j, min(max(width + 2, 8), 60), text_fmt if is_code else None)
    sheet.freeze_panes(1, 0)
    if len(columns):
        sheet.autofilter(0, 0, max(len(out), 1), len(columns) - 1)
    return sheet
