"""DataFrame helpers for the writers: the shape CSV and Excel want, plain Python rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from recall_cli.output.jsonout import jsonable
from recall_cli.tasks.tables import LIST_SEPARATOR

__all__ = ["flat", "frame_rows", "jsonable"]


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


def frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of plain Python values (NaN and NaT as None)."""
    out = frame.astype(object).where(frame.notna(), None)
    return [str(c) for c in frame.columns], out.to_numpy().tolist()
