"""The library calls each command makes, so the CLI stays a thin shell over them."""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dates import DAYFIRST, MONTHFIRST
from .errors import InputFileError, SchemaError, ScopeError, UsageError
from .export import dumps, flat
from .load import LoadOptions
from .lookup import check_lot, find_customers, lot_in_data
from .normalize import NOT_SHIPMENTS, NormalizeOptions, Shipments
from .query import (
    AFFECTED_COLUMNS,
    RecallResult,
    RecallScope,
    find_affected,
    find_customer_conflicts,
    summarize,
    units_by_week,
)
from .scopefile import RecallFile, build_scope, read_recall_file

__all__ = [
    "Request",
    "Run",
    "affected_table",
    "check_lot",
    "dumps",
    "find_customers",
    "inspect",
    "lot_in_data",
    "public_matches",
    "review_table",
    "run",
    "summarize",
    "units_by_week",
]


@dataclass(frozen=True)
class Request:
    """Everything one command needs: where the data is, how to read it, what is recalled."""

    paths: tuple[Path, ...]
    scope: RecallScope | None
    load: LoadOptions = field(default_factory=LoadOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    use_cache: bool = True  # read and write the columnar cache (cache.py); --no-cache
    progress: Callable[[str, int], None] | None = field(default=None, compare=False)

    @classmethod
    def from_options(
        cls,
        *,
        paths: Sequence[Path] = (),
        recall_file: Path | None = None,
        lots: Sequence[str] = (),
        lots_file: Path | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
        countries: Sequence[str] = (),
        sheets: Sequence[str] = (),
        encoding: str | None = None,
        delimiter: str | None = None,
        columns: Sequence[tuple[str, str]] = (),
        date_order: str | None = None,
        dayfirst: bool = False,
        monthfirst: bool = False,
        password: str | None = None,
        max_unzipped_mb: int | None = None,
        need_scope: bool = True,
        no_cache: bool = False,
        progress: Callable[[str, int], None] | None = None,
    ) -> Request:
        recall: RecallFile | None = read_recall_file(recall_file) if recall_file else None
        data = tuple(paths) or (recall.data if recall else ())
        if not data:
            raise ScopeError(
                "no data files given",
                hint="pass PATHS, or --recall FILE.toml with a data = [...] list",
            )
        given = bool(lots or lots_file or (recall and recall.lots))
        scope = (
            build_scope(
                recall=recall, lots=lots, lots_file=lots_file, start=start, end=end,
                countries=countries,
            )
            if need_scope or given
            else None
        )  # fmt: skip
        if dayfirst and monthfirst:
            raise UsageError("--dayfirst and --monthfirst contradict each other: give one")
        date_order = DAYFIRST if dayfirst else MONTHFIRST if monthfirst else date_order
        if date_order not in (None, DAYFIRST, MONTHFIRST):
            raise UsageError(f"date order {date_order!r} is not {DAYFIRST!r} or {MONTHFIRST!r}")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise UsageError(
                    f"--encoding {encoding!r} is not an encoding Python knows",
                    hint="e.g. utf-8, cp1252, latin-1, utf-16",
                ) from None
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise UsageError(f"--delimiter {delimiter!r} must be one character (or 'tab')")
        return cls(
            paths=data,
            scope=scope,
            load=LoadOptions(
                sheets=tuple(sheets),
                encoding=encoding,
                delimiter=delimiter,
                password=password,
                max_unzipped_mb=max_unzipped_mb,
            ),
            normalize=NormalizeOptions(columns=dict(columns), date_order=date_order),
            use_cache=not no_cache,
            progress=progress,
        )


@dataclass
class Run:
    request: Request
    shipments: Shipments
    result: RecallResult

    def warnings(self) -> list[str]:
        out = []
        for s in self.shipments.sources:
            where = s.file + (f" / {s.sheet}" if s.sheet else "")
            if s.skipped:
                out.append(f"{where}: skipped, {s.skipped}")
            out.extend(f"{where}: {w}" for w in s.warnings)
        conflicts = find_customer_conflicts(self.result.rows, self.result.bucket == "matched")
        if conflicts:
            out.append(
                f"{conflicts:,} customer{' has' if conflicts == 1 else 's have'} different "
                "addresses across rows: the most recent shipment's address is used"
            )
        out.extend(scope_warnings(self.result))
        review = int((self.result.bucket == "needs_review").sum())
        if review:
            out.append(f"{review:,} rows need review: run `recall review` to list them")
        return out


def scope_warnings(result: RecallResult) -> list[str]:
    """What a recall team must hear about the scope: lots not found, returns netted."""
    out = []
    rows = result.rows
    data = (rows["kind"] == "data").to_numpy()
    present = set(rows.loc[data, "lot"].unique())
    for lot in result.scope.lots:
        if lot not in present:
            out.append(
                f"recalled lot {lot} appears in no file read: check the recall list for a typo "
                "(`recall audit-scope` suggests near lots)"
            )
    matched = result.matched_columns(["quantity"])["quantity"]
    returns = matched[matched < 0]
    if len(returns):
        out.append(
            f"{len(returns):,} returns (negative quantities) among the affected shipments were "
            f"netted: {int(np.rint(returns.sum())):,} units"
        )
    return out


def load(request: Request) -> Shipments:
    from . import cache

    return cache.load_shipments(
        request.paths, load_options=request.load, options=request.normalize,
        use_cache=request.use_cache, progress=request.progress,
    )  # fmt: skip


def run(request: Request) -> Run:
    """Load, normalise and apply the scope."""
    if request.scope is None:
        raise ScopeError("no recalled lot given", hint="pass --lot, --lots-file or --recall")
    shipments = load(request)
    if not shipments.read_sources:
        tables = [s for s in shipments.sources if s.skipped.startswith(NOT_SHIPMENTS)]
        if tables:
            # Nothing usable, and a sheet looked like a table: its missing columns
            # are the likeliest fix.
            first = tables[0]
            raise SchemaError(
                first.skipped,
                file=first.file,
                sheet=first.sheet or None,
                row=first.header_row,
                hint='map a column by hand with --column lot="Header"',
            )
        raise InputFileError(
            "no sheet with a recognisable header in any file",
            file=", ".join(str(p) for p in request.paths),
            hint="run `recall inspect` to see what was found",
        )
    return Run(request, shipments, find_affected(shipments, request.scope))


def affected_table(result: RecallResult) -> pd.DataFrame:
    return result.customers[list(AFFECTED_COLUMNS)].reset_index(drop=True)


REVIEW_COLUMNS = ("file", "sheet", "row", "reason", "lot_raw", "date_raw", "customer_id", "name",
                  "quantity", "country")  # fmt: skip


def review_table(result: RecallResult) -> pd.DataFrame:
    frame = result.review_rows()
    out = frame[list(REVIEW_COLUMNS)].rename(columns={"lot_raw": "lot", "date_raw": "ship_date"})
    out["file"] = out["file"].map(lambda f: Path(f).name)
    return flat(out.reset_index(drop=True))


PUBLIC_MATCH_KEYS = ("customer_id", "name", "affected", "lots", "units", "shipments")


def public_matches(found: dict[str, Any]) -> dict[str, Any]:
    """The customer search without contact details (the JSON contract).

    An allow-list, so a field added to the matches never leaks into JSON by default.
    """
    return {
        "query": found["query"],
        "matches": [{k: m[k] for k in PUBLIC_MATCH_KEYS} for m in found["matches"]],
    }


def inspect(request: Request) -> list[dict[str, Any]]:
    """How each file and sheet was read, for `recall inspect`."""
    shipments = load(request)
    rows = shipments.rows
    buckets = find_affected(shipments, request.scope).source_counts() if request.scope else None
    out = []
    for i, s in enumerate(shipments.sources):
        mine = rows[rows["source"] == i]
        kinds = mine["kind"].value_counts()
        problems = int(((mine["kind"] == "data") & (mine["problem"] != "")).sum())
        out.append(
            {
                "file": s.file,
                "sheet": s.sheet,
                "skipped": s.skipped,
                "header_row": s.header_row,
                "columns": s.columns,
                "ignored_columns": s.ignored_columns,
                "date_order": s.date_order,
                "date_order_reason": s.date_order_reason,
                "rows": {
                    "read": s.rows_read,
                    "data": int(kinds.get("data", 0)),
                    "not_data": int(
                        sum(kinds.get(k, 0) for k in ("blank", "total", "header", "note"))
                    ),
                    "unusable": int(kinds.get("bad", 0)),
                    "with_problems": problems,
                },
                "buckets": buckets[i] if buckets else None,
                "warnings": s.warnings,
                "details": s.details,
            }
        )
    return out
