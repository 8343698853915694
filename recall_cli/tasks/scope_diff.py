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

import numpy as np
import pandas as pd

from recall_cli.normalize.sidetable import read_customer_ids, read_notified
from recall_cli.query import run as api
from recall_cli.query.result import RecallResult, find_affected
from recall_cli.query.scopefile import build_scope, read_recall_file

LISTS = ("added", "removed", "changed", "unchanged")
# The default list of `recall diff`: who needs a letter now. A customer affected
# under both scopes whose recalled lots or units grew was told about other lots
# only: 806.10(d) amendments are exactly this case, so they get a letter too.
LETTERS = "letters"


@dataclass
class ScopeDiff:
    before: RecallResult
    after: RecallResult
    lists: dict[str, pd.DataFrame]  # LISTS and LETTERS → affected-table rows (+ what grew)

    def to_json(self) -> dict[str, Any]:
        changed = self.lists["changed"]
        return {
            "added": customer_ids(self.lists["added"]),
            "removed": customer_ids(self.lists["removed"]),
            "changed": [
                {"customer_id": str(c), "lots_added": list(lots), "units_added": int(units)}
                for c, lots, units in zip(
                    changed["customer_id"],
                    changed["lots_added"],
                    changed["units_added"],
                    strict=True,
                )
            ],
            "unchanged": len(self.lists["unchanged"]),
        }

    def counts(self) -> dict[str, int]:
        return {name: len(self.lists[name]) for name in LISTS}


def customer_ids(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame["customer_id"]]


def _keyed(result: RecallResult) -> pd.DataFrame:
    """The affected table indexed by the customer key the query deduplicated on."""
    table = api.affected_table(result)
    table.index = pd.Index(result.customers["customer_key"].to_numpy(), name="customer_key")
    return table


def diff_results(before: RecallResult, after: RecallResult) -> ScopeDiff:
    """Added, removed, changed (affected under both, but with more recalled lots or
    more units inside the scope now) and unchanged, each as the affected table as it
    stands now (removed: as it stood), with lots_added and units_added."""
    old, new = _keyed(before), _keyed(after)
    both = new[new.index.isin(old.index)]
    was = old.reindex(both.index)
    lots_added = [
        sorted(set(now) - set(then)) for now, then in zip(both["lots"], was["lots"], strict=True)
    ]
    units_added = (both["units"].to_numpy() - was["units"].to_numpy()).clip(min=0)
    grew = np.array([bool(a) for a in lots_added], dtype=bool) | (units_added > 0)
    both = both.assign(lots_added=lots_added, units_added=units_added.astype("int64"))
    added = new[~new.index.isin(old.index)]
    added = added.assign(lots_added=added["lots"], units_added=added["units"])
    removed = old[~old.index.isin(new.index)]
    removed = removed.assign(lots_added=[[] for _ in range(len(removed))], units_added=0)
    changed, unchanged = both[grew], both[~grew]
    letters = pd.concat([added.assign(why="added"), changed.assign(why="changed")]).sort_values(
        "customer_id", kind="stable"
    )
    lists = {
        name: frame.reset_index(drop=True)
        for name, frame in (("added", added), ("removed", removed), ("changed", changed),
                            ("unchanged", unchanged), (LETTERS, letters))
    }  # fmt: skip
    return ScopeDiff(before, after, lists)


def compare_scopes(before_file: Path, request: api.Request) -> ScopeDiff:
    """Apply the earlier recall file and the request's (later) scope to one read of the data."""
    after = api.run(request)
    before_scope = build_scope(recall=read_recall_file(before_file))
    before = find_affected(after.shipments, before_scope, dedupe_lines=request.dedupe_lines)
    return diff_results(before, after.result)


@dataclass
class Excluded:
    table: pd.DataFrame  # the affected table without the customers already told
    left_out: int
    kept_grown: int  # notified customers kept because their lots grew since
    notes: list[str]


def affected_excluding(result: RecallResult, notified: Path | None) -> Excluded:
    """The affected table without the customers listed in `notified`.

    `notified` is an earlier export with a customer_id column (and a lots
    column, as `recall affected` writes it) or a list of ids. A listed customer
    who now holds a recalled lot the file does not give them is kept: they were
    never told about it. Without a lots column the file cannot say so: every
    listed customer is assumed told about all their lots, and a note says it.
    A customer known only by name and postal code cannot be matched and stays in.
    """
    table = api.affected_table(result)
    if notified is None:
        return Excluded(table, 0, 0, [])
    told = read_notified(notified)
    notes = []
    if told is None:
        ids = read_customer_ids(notified)
        listed = table["customer_id"].isin(ids).to_numpy()
        drop = listed
        grown = np.zeros(len(table), dtype=bool)
        if listed.any():
            notes.append(
                f"{notified} has no lots column: each customer listed is assumed told about "
                "every lot they hold now; one whose lots grew since would be left out (use "
                "`recall diff`, or an export with its lots column)"
            )
    else:
        listed = table["customer_id"].isin(set(told)).to_numpy()
        grown = np.array(
            [bool(set(lots) - told.get(str(cid), set())) for cid, lots in
             zip(table["customer_id"], table["lots"], strict=True)], dtype=bool,
        ) & listed  # fmt: skip
        drop = listed & ~grown
    return Excluded(table[~drop].reset_index(drop=True), int(drop.sum()), int(grown.sum()), notes)
