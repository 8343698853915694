"""JSON output for every command, without pandas (the cached `check` prints JSON too)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any


def jsonable(value: Any) -> Any:
    """Plain JSON types: dates as ISO text, numpy numbers as numbers, NaN and NaT as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):  # pandas' Timestamp and NaT are datetimes too
        return value.date().isoformat() if value == value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    np = sys.modules.get("numpy")  # numpy numbers exist only once numpy is imported
    if np is not None and isinstance(value, np.integer):
        return int(value)
    if np is not None and isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def dumps(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False) + "\n"
