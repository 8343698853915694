"""The library calls each command makes, so the CLI stays a thin shell over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recall_cli.errors import InputFileError, SchemaError, ScopeError
from recall_cli.normalize.options import NormalizeOptions
from recall_cli.query.request import Request
from recall_cli.read.options import LoadOptions

if TYPE_CHECKING:  # pandas is imported by the calls that need it, not by `import api`
    import pandas as pd

    from recall_cli.normalize.sheet import Shipments
    from recall_cli.query.result import RecallResult

__all__ = [
    "LoadOptions",
    "NormalizeOptions",
    "Request",
    "Run",
    "affected_table",
    "inspect",
    "run",
    "summarize",
    "units_by_week",
]


def summarize(result: RecallResult) -> dict[str, Any]:
    from recall_cli.query.result import summarize as _summarize

    return _summarize(result)


def units_by_week(result: RecallResult) -> list[tuple[Any, int]]:
    from recall_cli.query.result import units_by_week as _units_by_week

    return _units_by_week(result)


@dataclass
class Run:
    request: Request
    shipments: Shipments
    result: RecallResult

    def warnings(self) -> list[str]:
        return self.result.tally.warnings()

    def files_not_read(self) -> list[dict[str, str]]:
        return self.result.tally.files_not_read()


def load(request: Request) -> Shipments:
    from recall_cli.cache import store as cache

    shipments = cache.load_shipments(
        request.paths, load_options=request.load, options=request.normalize,
        use_cache=request.use_cache, progress=request.progress,
    )  # fmt: skip
    request.check_mappings([s.columns for s in shipments.sources])
    return shipments


def run(request: Request) -> Run:
    """Load, normalise and apply the scope."""
    if request.scope is None:
        raise ScopeError("no recalled lot given", hint="pass --lot, --lots-file or --recall")
    shipments = load(request)  # pandas is imported beside the decode, not before it
    from recall_cli.normalize.sheet import NOT_SHIPMENTS, encoding_note
    from recall_cli.query.result import find_affected

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
        guessed = [s for s in shipments.sources if encoding_note(s.details)]
        raise InputFileError(
            "no sheet with a recognisable header in any file",
            file=", ".join(str(p) for p in request.paths),
            hint="run `recall inspect` to see what was found"
            + (f"; {guessed[0].file}: {encoding_note(guessed[0].details)}" if guessed else ""),
        )
    from dataclasses import asdict

    from recall_cli.query.reading import check_files_read

    check_files_read([asdict(s) for s in shipments.sources],
                     skip_unreadable=request.skip_unreadable)  # fmt: skip
    result = find_affected(shipments, request.scope, dedupe_lines=request.dedupe_lines)
    return Run(request, shipments, result)


def affected_table(result: RecallResult) -> pd.DataFrame:
    from recall_cli.query.result import AFFECTED_COLUMNS

    return result.customers[list(AFFECTED_COLUMNS)].reset_index(drop=True)


def inspect(request: Request) -> list[dict[str, Any]]:
    """How each file and sheet was read, for `recall inspect`."""
    from recall_cli.query.result import find_affected

    shipments = load(request)
    rows = shipments.rows
    buckets = (
        find_affected(shipments, request.scope, dedupe_lines=request.dedupe_lines).source_counts()
        if request.scope
        else None
    )
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
