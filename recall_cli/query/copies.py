"""Shipment lines that appear in two files: possible double counting.

A site that sends a cumulative export (January, then January and February)
repeats every earlier line in the later file. The same line is the same order
id, lot, customer, ship date and quantity, after normalisation. Lines repeated
inside one file are left alone: a customer can order the same thing twice on
one day, and only another file proves a repeat is a copy.

Lines are matched as multisets: the n-th occurrence of a line in a file is a
copy when an earlier file holds the line n times or more, and it is a copy of
the n-th occurrence in the first such file. So a cumulative file that holds a
line twice, against once in the first file, has one copy and one new line.

Without an order id, a repeat cannot be told from a real second order: such
lines are reported, never set aside. With --dedupe-lines the copies that have
an order id are set aside by the bucket rule as "not data" (buckets.classify_codes),
so each row read still ends in one bucket and the buckets still add up.

Numpy and Arrow only: the cached path and the DataFrame path both call it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from recall_cli.normalize import arrowbits as ab
from recall_cli.query.buckets import RuleInputs, rule_inputs
from recall_cli.words import plural, verb

# The columns find_copies and Copies.report read, beside the bucket rule's.
COPY_COLUMNS = ("order_id", "quantity", "sheet", "row")


@dataclass(frozen=True)
class Copies:
    """Each row's copy status: `of` is the position of the line it copies (-1: none)."""

    of: np.ndarray  # int64
    provable: np.ndarray  # bool: a copy with an order id
    dedupe: bool  # --dedupe-lines: the provable copies are set aside as not data

    @classmethod
    def none(cls, n: int, dedupe: bool = False) -> Copies:
        return cls(np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool), dedupe)

    @property
    def set_aside(self) -> np.ndarray | None:
        """The rows the bucket rule puts in "not data" (None when there are none)."""
        if not self.dedupe or not self.provable.any():
            return None
        return self.provable

    def report(
        self, table: pa.Table, source: np.ndarray, files: Sequence[str], matched: np.ndarray
    ) -> list[dict[str, Any]]:
        """Per pair of files (the later, the first) and kind of copy: how many lines and
        units, how many of them of lines in the recall, and the first pair of rows.

        With three files or more every pair that holds a copy has its entry, and each
        copy is in exactly one: the pair of its file and the first file that has its
        line (the one --dedupe-lines counts it from), so the entries add up to the
        copies.

        `files` is the file of each source, `matched` whether each row is matched; a
        copy set aside counts as in the recall when the line it copies is.
        """
        at = np.flatnonzero(self.of >= 0)
        if not len(at):
            return []
        kept = self.of[at]
        quantity = np.nan_to_num(ab.fixed(table["quantity"], "float64", np.nan)[at], nan=0.0)
        in_recall = matched[kept]
        names = list(dict.fromkeys(files))
        file_of = np.array([names.index(f) for f in files], dtype=np.int64)[source]
        # One group per (later file, first file, with an order id or not), in file order.
        group = (file_of[at] * len(names) + file_of[kept]) * 2 + self.provable[at]
        codes, first, which = np.unique(group, return_index=True, return_inverse=True)
        lines = np.bincount(which, minlength=len(codes))
        units = np.bincount(which, weights=quantity, minlength=len(codes))
        inside = np.bincount(which, weights=in_recall, minlength=len(codes))
        units_inside = np.bincount(which, weights=np.where(in_recall, quantity, 0.0),
                                   minlength=len(codes))  # fmt: skip
        out = []
        for g in np.argsort(first, kind="stable").tolist():
            pos, same = int(at[first[g]]), int(kept[first[g]])
            provable = bool(self.provable[pos])
            out.append({
                "file": files[int(source[pos])], "same_as": files[int(source[same])],
                "order_id": provable, "lines": int(lines[g]), "units": int(np.rint(units[g])),
                "lines_in_recall": int(inside[g]),
                "units_in_recall": int(np.rint(units_inside[g])),
                "set_aside": self.dedupe and provable,
                "first": {**_where(table, pos, ""), **_where(table, same, "same_as_")},
            })  # fmt: skip
        return out


def _where(table: pa.Table, pos: int, prefix: str) -> dict[str, Any]:
    """The sheet ("" in a text file) and the row as Excel shows it, of one line."""
    return {f"{prefix}sheet": table["sheet"][pos].as_py() or "",
            f"{prefix}row": table["row"][pos].as_py()}  # fmt: skip


def _place(file: str, sheet: str, row: object) -> str:
    return f"{file}" + (f" / {sheet}" if sheet else "") + f" row {row}"


def find_copies(
    table: pa.Table,
    source: np.ndarray,
    files: Sequence[str],
    *,
    dedupe: bool = False,
    rules: RuleInputs | None = None,
) -> Copies:
    """The lines of a later file that are lines of an earlier one (see the module).

    `table` holds the rows in file order (COPY_COLUMNS at least), `source` each
    row's source number and `files` the file of each source. `rules` are the
    bucket rule's inputs of the same rows, when the caller has them: their
    kinds, lots, customer keys, days and quantities are the line's key.
    """
    n = table.num_rows
    file_ids = {f: i for i, f in enumerate(dict.fromkeys(files))}
    if len(file_ids) < 2 or n == 0:
        return Copies.none(n, dedupe)
    file_of = np.array([file_ids[f] for f in files], dtype=np.int64)[source]
    if rules is None:
        rules = rule_inputs(table)
    at = np.flatnonzero(rules.kind.where(lambda v: v == "data"))
    # Only lines whose lot, customer, date and quantity are in two files can be
    # copies: the order ids (nearly all distinct, the costly column) of those only.
    keys = _key_columns(rules, at)
    at, keys = _in_two_files(at, keys, file_of[at])
    of = np.full(n, -1, dtype=np.int64)
    if len(at):
        orders = ab.distinct(table["order_id"].take(ab.indices(at))).codes.astype(np.int64)
        line = _line_numbers([orders, *keys])
        order = np.argsort(line, kind="stable")  # file order inside each line
        line, at = line[order], at[order]
        files_sorted = file_of[at]
        # The n-th occurrence of a line in its file: runs of one (line, file).
        start = np.r_[True, (line[1:] != line[:-1]) | (files_sorted[1:] != files_sorted[:-1])]
        run_start = np.maximum.accumulate(np.where(start, np.arange(len(at)), 0))
        nth = np.arange(len(at)) - run_start
        _, first, which = np.unique(line * (nth.max() + 1) + nth, return_index=True,
                                    return_inverse=True)  # fmt: skip
        keeper = at[first[which]]
        copy = keeper != at
        of[at[copy]] = keeper[copy]
    has_order = ab.filled(table["order_id"])
    return Copies(of, (of >= 0) & has_order, dedupe)


def _key_columns(rules: RuleInputs, at: np.ndarray) -> list[np.ndarray]:
    """Lot, customer, ship date and quantity at the rows `at`, as int64 columns."""
    columns = [rules.lot.codes[at].astype(np.int64), rules.key.codes[at].astype(np.int64)]
    columns.append(rules.day[at].astype(np.int64))  # NaT: one value
    quantity = rules.quantity[at] + 0.0  # -0.0 is 0.0
    quantity = np.where(np.isnan(quantity), np.nan, quantity)  # one NaN: blank is blank
    columns.append(quantity.view(np.int64))
    return columns


def _in_two_files(
    at: np.ndarray, keys: list[np.ndarray], file_of: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Only the rows whose key may be in two files: a 64-bit mix of the key first, so
    that the exact sort runs on the candidates only (a collision only adds one)."""
    if not len(at):
        return at, keys
    mixed = _mix(keys)
    # Stable: inside a run of one value, rows stay in file order, so the run's first
    # and last rows hold its lowest and highest file.
    order = np.argsort(mixed, kind="stable")
    sorted_mix, sorted_file = mixed[order], file_of[order]
    starts = np.flatnonzero(np.r_[True, sorted_mix[1:] != sorted_mix[:-1]])
    ends = np.r_[starts[1:], len(at)] - 1
    spread = sorted_file[starts] != sorted_file[ends]
    keep = np.zeros(len(at), dtype=bool)
    keep[order] = np.repeat(spread, ends - starts + 1)
    return at[keep], [column[keep] for column in keys]


def _mix(keys: list[np.ndarray]) -> np.ndarray:
    """A 64-bit mix of the key columns: equal keys give equal values."""
    mixed = np.zeros(len(keys[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in keys:
            mixed = (mixed ^ column.view(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
            mixed ^= mixed >> np.uint64(29)
    return mixed


def _line_numbers(keys: list[np.ndarray]) -> np.ndarray:
    """One number per distinct line, exact: sorted by the mix of its key, then checked
    column by column; should two keys share a mix value, they are sorted by the keys."""
    order = np.argsort(_mix(keys), kind="stable")
    ranked = [column[order] for column in keys]
    new = np.zeros(len(order), dtype=bool)
    new[0] = True
    for column in ranked:
        new[1:] |= column[1:] != column[:-1]
    sorted_mix = _mix(ranked)
    if np.any(new[1:] & (sorted_mix[1:] == sorted_mix[:-1])):
        order = np.lexsort(keys[::-1])
        ranked = [column[order] for column in keys]
        new[1:] = False
        for column in ranked:
            new[1:] |= column[1:] != column[:-1]
    numbers = np.empty(len(order), dtype=np.int64)
    numbers[order] = np.cumsum(new) - 1
    return numbers


def warnings(report: Sequence[dict[str, Any]]) -> list[str]:
    """The lines a recall team must read about copies, one per pair of files and kind."""
    out = []
    for g in report:
        f = g["first"]
        first = (f"first: {_place(g['file'], f['sheet'], f['row'])} = "
                 f"{_place(g['same_as'], f['same_as_sheet'], f['same_as_row'])}")  # fmt: skip
        lines = plural(g["lines"], "shipment line")
        units = plural(g["units"], "unit")
        if g["set_aside"]:
            out.append(
                f"--dedupe-lines: {lines} ({units}) in {g['file']} "
                f"{verb(g['lines'], 'is a copy of a line', 'are copies of lines')} in "
                f"{g['same_as']} ({first}): each is counted once, from {g['same_as']}; "
                f"{verb(g['lines'], 'the copy is', 'the copies are')} counted as not data"
            )
        elif g["order_id"]:
            out.append(
                f"possible double counting: {lines} ({units}) in {g['file']} "
                f"{verb(g['lines'], 'is', 'are')} also in "
                f"{g['same_as']}, with the same order id, lot, customer, ship date and "
                f"quantity ({first}); {_in_recall(g)}. If {g['file']} is a cumulative "
                "export, run again with --dedupe-lines to count each line once"
            )
        else:
            out.append(
                f"{lines} without an order id ({units}) in {g['file']} "
                f"{verb(g['lines'], 'has', 'have')} the same lot, customer, ship date and "
                f"quantity as {verb(g['lines'], 'a line', 'lines')} in {g['same_as']} "
                f"({first}): {verb(g['lines'], 'it', 'they')} may be counted twice, but "
                "without an order id a copy cannot be told "
                f"from a repeat order, so {verb(g['lines'], 'it is', 'they are')} counted "
                f"({_in_recall(g)}); "
                f"--dedupe-lines leaves {verb(g['lines'], 'it: check it', 'them: check them')} "
                "at the source"
            )
    return out


def _in_recall(g: dict[str, Any]) -> str:
    n = g["lines_in_recall"]
    if g["lines"] == 1:
        return "it is in the recall and counted twice" if n else "it is not in the recall"
    if not n:
        return "none of them is in the recall"
    units = plural(g["units_in_recall"], "unit")
    return f"{n:,} of them ({units}) {verb(n, 'is', 'are')} in the recall and counted twice"
