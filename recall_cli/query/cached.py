"""`check`, `customer`, `summary` and `affected` answered from the cache, without pandas.

When every input file has a cache entry for the request's options, the rows are the
memory-mapped Arrow tables themselves: nothing is decoded, pandas is never imported (its
import alone would take most of a support answer's time), and only the rows a question
touches are classified. Otherwise (a file changed, --no-cache, a password, an unreadable
entry) the answer comes from a full run, which fills the cache. Both ways the answer is
computed by lookup.py with rules.classify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recall_cli.cache import store as cache
from recall_cli.normalize.columns import CANONICAL
from recall_cli.query.request import Request

# numpy, pyarrow and the rule modules load on a hit only: on a miss, the
# decode starts first and they load beside it (cache.warm_up).
if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from recall_cli.query.buckets import RuleInputs
    from recall_cli.query.copies import Copies
    from recall_cli.query.lookup import Classified
    from recall_cli.query.tally import Tally


def classified(request: Request, *, lot: bool = False, show_rows: bool = False) -> Classified:
    """The rows a support question reads, with the request's recall scope.

    From the cache only the columns the question reads are checked and mapped:
    `lot` for `check` (with `show_rows`, where each row is), else all a
    `customer` answer reads. A full run gives them all.
    """
    inputs = _worth_trying(request)
    if inputs is not None and request.scope is not None:
        from recall_cli.query.lookup import Classified, support_columns

        # With two files or more, the order ids too: a line may be in both.
        several = len(inputs.paths) > 1
        wanted = support_columns(lot=lot, show_rows=show_rows, several=several)
        found = _cached_rows(request, inputs, wanted)
        if found is not None:
            from recall_cli.query.reading import check_files_read, sheets_holding_recalled_lots

            check_files_read(found.sources, skip_unreadable=request.skip_unreadable)
            copies = _copies(found, request, None) if request.dedupe_lines else None
            unread = sheets_holding_recalled_lots(found.sources, request.scope.lots)
            return Classified(found.table, request.scope,
                              set_aside=copies.set_aside if copies else None,
                              not_read=unread)  # fmt: skip
    from recall_cli.query import run as api
    from recall_cli.query.lookup import Classified

    return Classified.from_result(api.run(request).result)


def tallied(request: Request) -> Tally:
    """Every row classified, for `summary`: straight from the cache when it can be."""
    inputs = _worth_trying(request)
    found = None
    if inputs is not None and request.scope is not None:
        from recall_cli.query.buckets import RULE_COLUMNS
        from recall_cli.query.tally import READS, TALLY_COLUMNS

        # What `summary` reads: the bucket rule's columns, the customers', and with
        # two files or more the columns that tell a line copied from another file.
        # Not where each row is (file, sheet, row): the counts never say.
        more = TALLY_COLUMNS if len(inputs.paths) > 1 else READS
        found = _cached_rows(request, inputs, tuple(dict.fromkeys((*RULE_COLUMNS, *more))))
    if found is None or request.scope is None:
        from recall_cli.query import run as api

        return api.run(request).result.tally
    return _tally(found, request)[0]


def _tally(
    found: _Rows, request: Request, *, reasons: bool = False
) -> tuple[Tally, Any, Any, RuleInputs]:
    """The one rule over the cached rows: (tally, bucket codes, reasons, rule inputs).

    The reasons (None unless asked) are for `recall sql`; counts need the buckets only.
    """
    from recall_cli.query.buckets import bucket_codes, classify_codes, rule_inputs
    from recall_cli.query.reading import check_files_read
    from recall_cli.query.tally import Tally

    assert request.scope is not None
    check_files_read(found.sources, skip_unreadable=request.skip_unreadable)
    inputs = rule_inputs(found.table)
    copies = _copies(found, request, inputs)
    if reasons:
        codes, reason = classify_codes(inputs, request.scope, copies.set_aside)
    else:
        codes, reason = bucket_codes(inputs, request.scope, copies.set_aside), None
    tally = Tally(found.table, codes, found.source, found.sources, request.scope,
                  copies=copies, duplicates=found.duplicates)  # fmt: skip
    tally.keys = inputs.key  # the same codes of the same column: one pass over the keys
    tally.check_sums()
    return tally, codes, reason, inputs


def _copies(found: _Rows, request: Request, rules: RuleInputs | None) -> Copies:
    from recall_cli.query.copies import find_copies

    files = [s["file"] for s in found.sources]
    return find_copies(found.table, found.source, files, dedupe=request.dedupe_lines,
                       rules=rules)  # fmt: skip


# Every column of the normalised rows (normalize.sheet.ROW_COLUMNS, spelled out here
# so that this module does not import pandas; a test checks they agree).
ALL_ROW_COLUMNS = ("file", "sheet", "row", "kind", "problem", "lot_raw", "date_raw",
                   "customer_key", *CANONICAL)  # fmt: skip


@dataclass
class Bucketed:
    """Every normalised row in file order with its bucket and reason: what `recall sql` reads.

    `table` holds ALL_ROW_COLUMNS (and `source`), as Arrow: memory-mapped from the
    cache when every file has an entry, else converted from a full run.
    """

    table: pa.Table
    codes: np.ndarray  # each row's bucket, as its index in BUCKETS
    reason: np.ndarray  # the review reason of each row ("" outside review)
    tally: Tally
    from_cache: bool

    @property
    def sources(self) -> list[dict[str, Any]]:
        return self.tally.sources


def bucketed(request: Request) -> Bucketed:
    """Every row read, bucketed by the request's scope: from the cache when it can be."""
    paths = _worth_trying(request)
    found = None
    if paths is not None and request.scope is not None:
        found = _cached_rows(request, paths, ALL_ROW_COLUMNS)
    if found is None or request.scope is None:
        import pyarrow as pa

        from recall_cli.query import run as api

        result = api.run(request).result
        rows = result.rows[["source", *ALL_ROW_COLUMNS]]
        table = pa.Table.from_pandas(rows, preserve_index=False)
        return Bucketed(table, result.codes, result.reason, result.tally, from_cache=False)
    tally, codes, reason, _ = _tally(found, request, reasons=True)
    return Bucketed(found.table, codes, reason, tally, from_cache=True)


@dataclass
class _Rows:
    table: pa.Table
    source: np.ndarray  # each row's source number, counted across files
    sources: list[dict[str, Any]]  # SourceInfo of each source, as stored
    duplicates: list[dict[str, str]]  # inputs not read: the same bytes as an earlier one


@dataclass
class _Inputs:
    paths: list[Path]  # each file once
    duplicates: list[dict[str, str]]  # the inputs left out as copies of one of them


def _worth_trying(request: Request) -> _Inputs | None:
    """The input files, if each has a cache entry to try; None for a sure miss.

    Checked before numpy, pyarrow and the rule modules load: on a miss the
    decode starts first, and they load beside it (cache.warm_up).
    """
    cache.last_stats = cache.Stats()
    if not request.use_cache or request.load.password:
        return None
    from recall_cli.read import stamps

    paths, duplicates = cache.input_files(request.paths, request.load, use_cache=True)
    stamps.take(paths)  # before any row is read: the audit checks they did not move
    if not all(cache.has_entries(path) for path in paths):
        return None
    return _Inputs(paths, [d.to_dict() for d in duplicates])


def _cached_rows(request: Request, inputs: _Inputs, columns: Sequence[str]) -> _Rows | None:
    """Every file's cached rows in file order, or None on any miss."""
    import numpy as np
    import pyarrow as pa

    from recall_cli.normalize import arrowbits as ab

    tables: list[pa.Table] = []
    sources: list[dict[str, Any]] = []
    source: list[np.ndarray] = []
    for path in inputs.paths:
        got = _cached(path, request, columns)
        if got is None:
            return None
        table, meta = got
        tables.append(table)
        numbers = ab.fixed(table["source"], "int32")  # read-only: the mapped buffer itself
        source.append(numbers + np.int32(len(sources)) if sources else numbers)
        sources.extend(meta["sources"])
    if not any(not s["skipped"] for s in sources):
        return None  # no usable sheet anywhere: the full run says why
    request.check_mappings([s["columns"] for s in sources])
    if len(tables) > 1:
        tables = _alike(tables)
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    joined = np.concatenate(source) if len(source) > 1 else source[0]
    return _Rows(table, joined, sources, inputs.duplicates)


def _alike(tables: list[pa.Table]) -> list[pa.Table]:
    """The files' columns in types that concatenate and take rows across files.

    Each entry stores a column as codes only where that is smaller, with codes
    as narrow as its dictionary allows. Taking rows across files joins the
    dictionaries, so the codes must be wide enough for all of them together;
    a column coded in one file and not in another is decoded.
    """
    import pyarrow as pa

    from recall_cli.normalize.arrowbits import codes_type

    out = list(tables)
    for name in out[0].column_names:
        columns = [t[name] for t in out if name in t.column_names]
        if not any(pa.types.is_dictionary(c.type) for c in columns):
            continue
        if all(pa.types.is_dictionary(c.type) for c in columns):
            joined = sum(len(chunk.dictionary) for c in columns for chunk in c.chunks)
            wanted = codes_type(joined, columns[0].type.value_type)
        else:
            wanted = next(c.type.value_type for c in columns if pa.types.is_dictionary(c.type))
        for k, table in enumerate(out):
            i = table.schema.get_field_index(name)
            if i >= 0 and table.schema.field(i).type != wanted:
                out[k] = table.set_column(i, name, table[name].cast(wanted))
    return out


def _cached(
    path: Path, request: Request, columns: Sequence[str]
) -> tuple[pa.Table, dict[str, Any]] | None:
    try:
        entry = cache.entry_for(path, cache.entry_key(path, request.load, request.normalize))
    except OSError:
        return None
    # Only the columns this question reads are checked and mapped (a missing one is a miss).
    got = cache.read_table(entry, ["source", *columns])
    if got is None:
        return None
    table, meta = got
    cache.last_stats.add("hits")
    return table, meta
