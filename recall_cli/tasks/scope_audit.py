"""Is the scope itself safe? Three ways a recall definition misses customers.

- recalled lots that also shipped just before or after the window;
- look-alike lots (one edit away from a recalled lot) shipped inside the window:
  either a typo in the data or a typo in the recall list;
- recalled lots that never appear in the data: a typo in the recall list is a
  missed recall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recall_cli.normalize.lots import one_edit_away, suggest_lots
from recall_cli.query.result import RecallResult


@dataclass
class ScopeAudit:
    scope: dict[str, Any]
    outside_window: dict[str, dict[str, int]]  # lot → {"before": n, "after": n} shipment lines
    weeks: list[dict[str, Any]]  # {lot, side, week, shipments, units}, for the table
    lookalikes: list[dict[str, Any]]  # {lot, near, shipments}
    missing_lots: list[str]
    suggestions: dict[str, list[str]] = field(default_factory=dict)  # missing lot → lots in data

    def to_json(self) -> dict[str, Any]:
        return {
            "outside_window": self.outside_window,
            "lookalikes": self.lookalikes,
            "missing_lots": self.missing_lots,
        }


def _week(day: pd.Series) -> pd.Series:
    day = day.dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date


def audit_scope(result: RecallResult) -> ScopeAudit:
    scope = result.scope
    rows = result.rows
    data = rows[rows["kind"] == "data"]
    if scope.countries:
        # Outside the countries is out of scope on purpose; outside the window may not be.
        data = data[data["country"].isin(scope.countries)]
    dated = data[data["ship_date"].notna()]
    day = dated["ship_date"].to_numpy(dtype="datetime64[D]")
    before = np.zeros(len(dated), dtype=bool)
    after = np.zeros(len(dated), dtype=bool)
    if scope.start:
        before = day < np.datetime64(scope.start, "D")
    if scope.end:
        after = day > np.datetime64(scope.end, "D")
    inside = ~before & ~after

    recalled = dated["lot"].isin(scope.lots).to_numpy()
    outside_window: dict[str, dict[str, int]] = {}
    for lot in scope.lots:
        mine = (dated["lot"] == lot).to_numpy()
        outside_window[lot] = {
            "before": int((mine & before).sum()),
            "after": int((mine & after).sum()),
        }

    weeks: list[dict[str, Any]] = []
    for side, mask in (("before", before), ("after", after)):
        hit = dated[recalled & mask]
        if hit.empty:
            continue
        units = hit["quantity"].fillna(0)
        grouped = pd.DataFrame({"lot": hit["lot"], "week": _week(hit["ship_date"]), "units": units})
        for (lot, week), g in grouped.groupby(["lot", "week"], sort=True):
            weeks.append(
                {"lot": lot, "side": side, "week": week, "shipments": len(g),
                 "units": round(float(g["units"].sum()))}
            )  # fmt: skip

    in_window = dated[inside & ~recalled]
    counts = in_window["lot"][in_window["lot"] != ""].value_counts()
    lookalikes = []
    for lot in sorted(counts.index):
        near = [r for r in scope.lots if one_edit_away(lot, r)]
        if near:
            lookalikes.append({"lot": lot, "near": near[0], "shipments": int(counts[lot])})

    seen = set(rows["lot"])
    missing = [lot for lot in scope.lots if lot not in seen]
    known = sorted(seen - {""})
    suggestions = {lot: suggest_lots(lot, known, limit=3) for lot in missing}
    return ScopeAudit(scope.to_dict(), outside_window, weeks, lookalikes, missing, suggestions)
