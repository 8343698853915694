"""When the recall grows: who is newly affected, who no longer is, who was already told.

21 CFR 806.10(d) asks for an amended report when lots are added, and only the
newly affected customers should get a first letter. Both scopes are applied to
the SAME rows, read once, so a difference is a change of scope and never a
change of reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from recall_cli.normalize.sidetable import read_customer_ids
from recall_cli.query import run as api
from recall_cli.query.result import RecallResult, find_affected
from recall_cli.query.scopefile import build_scope, read_recall_file

LISTS = ("added", "removed", "unchanged")


@dataclass
class ScopeDiff:
    before: RecallResult
    after: RecallResult
    lists: dict[str, pd.DataFrame]  # added / removed / unchanged → affected-table rows

    def to_json(self) -> dict[str, Any]:
        return {
            "added": customer_ids(self.lists["added"]),
            "removed": customer_ids(self.lists["removed"]),
            "unchanged": len(self.lists["unchanged"]),
        }

    def counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.lists.items()}


def customer_ids(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["customer_id"]]


def _keyed(result: RecallResult) -> pd.DataFrame:
    """The affected table indexed by the customer key the query deduplicated on."""
    table = api.affected_table(result)
    table.index = pd.Index(result.customers["customer_key"].to_numpy(), name="customer_key")
    return table


def diff_results(before: RecallResult, after: RecallResult) -> ScopeDiff:
    old, new = _keyed(before), _keyed(after)
    added = new[~new.index.isin(old.index)]
    removed = old[~old.index.isin(new.index)]
    # Unchanged customers are shown as they stand now (their lots and units may have grown).
    unchanged = new[new.index.isin(old.index)]
    lists = {
        name: frame.reset_index(drop=True)
        for name, frame in (("added", added), ("removed", removed), ("unchanged", unchanged))
    }
    return ScopeDiff(before, after, lists)


def compare_scopes(before_file: Path, request: api.Request) -> ScopeDiff:
    """Apply the earlier recall file and the request's (later) scope to one read of the data."""
    after = api.run(request)
    before_scope = build_scope(recall=read_recall_file(before_file))
    return diff_results(find_affected(after.shipments, before_scope), after.result)


def affected_excluding(result: RecallResult, notified: Path | None) -> tuple[pd.DataFrame, int]:
    """The affected table without the customers listed in `notified`, and how many left out.

    `notified` is an earlier export with a customer_id column or a list of ids;
    a customer known only by name and postal code cannot be matched and stays in.
    """
    table = api.affected_table(result)
    if notified is None:
        return table, 0
    ids = read_customer_ids(notified)
    told = table["customer_id"].isin(ids).to_numpy()
    return table[~told].reset_index(drop=True), int(told.sum())
