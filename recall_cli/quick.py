"""`check`, `customer` and `shell` answered from the cache, without pandas.

When every input file has a cache entry for the request's options, the rows
are the memory-mapped Arrow tables themselves: nothing is decoded, pandas is
never imported (0.3-0.5 s of a 0.5 s budget), and only the rows a question
touches are classified. Otherwise (a file changed, --no-cache, a password,
an unreadable entry) the answer comes from a full run, which fills the cache.
Both ways the answer is computed by lookup.py with rules.classify.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import cache
from .lookup import LOOKUP_COLUMNS, Classified
from .options import Request

if TYPE_CHECKING:
    import pyarrow as pa


def classified(request: Request) -> Classified:
    """The rows a support question reads, with the request's recall scope."""
    found = cached_table(request)
    if found is not None and request.scope is not None:
        return Classified(found, request.scope)
    from . import api

    return Classified.from_result(api.run(request).result)


def cached_table(request: Request) -> pa.Table | None:
    """Every file's cached rows as one Arrow table in file order, or None on any miss."""
    cache.last_stats = cache.Stats()
    if not request.use_cache or request.load.password:
        return None
    from .load import discover

    tables = []
    usable = False
    for path in discover(request.paths):
        table, read_any = _cached(path, request)
        if table is None:
            return None
        tables.append(table)
        usable |= read_any
    if not usable:
        return None  # no usable sheet anywhere: the full run says why
    import pyarrow as pa

    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _cached(path: Path, request: Request) -> tuple[pa.Table | None, bool]:
    try:
        entry = cache.entry_for(path, cache.entry_key(path, request.load, request.normalize))
    except OSError:
        return None, False
    meta = cache.read_meta(entry)
    if meta is None:
        return None, False
    try:
        import pyarrow.feather as feather

        # Selecting on read copies the columns; selecting after mapping does not.
        table = feather.read_table(entry.rows, memory_map=True).select(list(LOOKUP_COLUMNS))
    except Exception:  # a damaged entry: the full run rebuilds it
        return None, False
    if table.num_rows != meta["rows"]:
        return None, False
    cache.last_stats.add("hits")
    return table, any(not s.get("skipped") for s in meta["sources"])
