"""What one command asks for: the files, how to read them, what is recalled.

No pandas, numpy or Arrow here: the CLI builds a Request before it knows
whether the cached support path (quick.py) can answer without them.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recall_cli.errors import ScopeError, UsageError
from recall_cli.normalize.columns import is_known_header
from recall_cli.normalize.options import DAYFIRST, MONTHFIRST, NormalizeOptions
from recall_cli.query.scope import RecallScope
from recall_cli.query.scopefile import RecallFile, build_scope, read_recall_file
from recall_cli.read.options import LoadOptions


@dataclass(frozen=True)
class Request:
    """Everything one command needs: where the data is, how to read it, what is recalled."""

    paths: tuple[Path, ...]
    scope: RecallScope | None
    load: LoadOptions = field(default_factory=LoadOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    use_cache: bool = True  # read and write the columnar cache (cache.py); --no-cache
    skip_unreadable: bool = False  # go on without files that hold no shipment table
    dedupe_lines: bool = False  # set aside lines copied from an earlier file (copies.py)
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
        recursive: bool = False,
        need_scope: bool = True,
        no_cache: bool = False,
        skip_unreadable: bool = False,
        dedupe_lines: bool = False,
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
                    f"--input-encoding {encoding!r} is not an encoding Python knows",
                    hint="e.g. utf-8, cp1252, latin-1, utf-16",
                ) from None
        if delimiter is not None:
            delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
            if len(delimiter) != 1:
                raise UsageError(
                    f"--input-delimiter {delimiter!r} must be one character (or 'tab')"
                )
        return cls(
            paths=data,
            scope=scope,
            load=LoadOptions(
                sheets=tuple(sheets),
                encoding=encoding,
                delimiter=delimiter,
                password=password,
                max_unzipped_mb=max_unzipped_mb,
                recursive=recursive,
                known_header=is_known_header,
            ),
            normalize=NormalizeOptions(columns=dict(columns), date_order=date_order),
            use_cache=not no_cache,
            skip_unreadable=skip_unreadable,
            dedupe_lines=dedupe_lines,
            progress=progress,
        )

    def check_mappings(self, found: Sequence[Mapping[str, str]]) -> None:
        """Refuse a ``--column`` mapping whose header no sheet has (UsageError, exit 2)."""
        from recall_cli.normalize.columns import unused_mappings

        unused = unused_mappings(self.normalize.columns, found)
        if unused:
            canon, header = unused[0]
            raise UsageError(
                f"--column {canon}={header}: no sheet read has a header called {header!r}",
                hint="check the spelling against `recall inspect`, or drop the mapping",
            )
