"""A columnar copy of the normalised rows of each input file, so repeat questions are instant.

Where it lives: `platformdirs.user_cache_path("recall_cli")` (on Linux
`~/.cache/recall_cli`), or the folder named by `RECALL_CACHE_DIR`. The folder
is created 0700 and every file in it 0600, because the rows hold patient data.
`recall cache clear` deletes it; `--no-cache` neither reads nor writes it.

One entry per input file: `<path-id>-<key>.arrow` (the rows, Arrow IPC,
uncompressed so that it is memory-mapped and used in place: about 450 MB per
million rows) and `<path-id>-<key>.json` (its SourceInfo list, written last as
the commit mark). The key hashes:

- the file's size, mtime_ns and a BLAKE2b hash of its whole content (about
  0.1-0.2 s per 100 MB). The hash is remembered in `<path-id>.hash` with the
  file's size, mtime, ctime, inode and device, and computed again whenever any
  of them moves: every write moves the ctime, so even an edit that keeps the
  size and restores the mtime is seen;
- the tool's version and the mtime of the modules that decide the rows, so an
  upgrade (or a development edit) never serves rows made by older code;
- the load and normalise options that change the rows (sheets, encoding,
  delimiter, column mappings, date order).

When a file changes, the next run stores a new entry and deletes the old
entries of the same path. Encrypted workbooks (a password given) are never
cached: the copy would be readable without the password. A cache file that
cannot be read is ignored and rebuilt, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas stays off the import path of the fast queries
    import pandas as pd
    import pyarrow as pa

    from recall_cli.normalize.sheet import NormalizeOptions, Shipments, SourceInfo
    from recall_cli.read.load import LoadOptions

CACHE_ENV = "RECALL_CACHE_DIR"
LAYOUT = 4  # bump when the entry layout changes
# Text columns stored as codes into their distinct values (Arrow dictionaries)
# where that is smaller. Writing fewer bytes is most of the cost of filling the
# cache (the kernel finds a fresh page for every 4 kB written), and a year of
# shipments repeats these on every row: the file path alone is 50 MB of text on
# a million rows, and each customer's contact details come back with every
# shipment. The cached answers read the codes as they are (arrowbits.distinct,
# filled, plain). Customer keys and order ids stay plain text: the keys are
# matched across files, and order ids seldom repeat.
COMPACT_COLUMNS = (
    "file", "sheet", "kind", "problem", "lot", "lot_raw", "date_raw", "country", "product",
    "name", "first_name", "last_name", "email", "phone", "address", "address2", "city",
    "region", "postal_code", "unit", "prescriber", "prescriber_id", "ship_from",
)  # fmt: skip
# Packages whose code decides what the normalised rows hold, and how they are stored.
_ROW_PACKAGES = ("read", "normalize", "cache")
_HASH_CHUNK = 4 * 1024 * 1024

Progress = Callable[[str, int], None]


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("recall_cli", appauthor=False)


def _ensure_dir() -> Path:
    d = cache_dir()
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(d, 0o700)  # mkdir's mode is masked by the umask, and an old folder may be wider
    return d


def content_hash(path: Path) -> str:
    """The file's BLAKE2b, reused while its stat says it cannot have changed.

    Any write to a file moves its ctime, which no user tool can set back, so
    an edit that keeps the size and restores the mtime is still hashed again.
    """
    stamp = _stamp(path.stat())
    memo = _hash_memo_path(path)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved["stat"] == stamp:
            return str(saved["hash"])
    digest = _hash_bytes(path)
    with contextlib.suppress(OSError):
        _ensure_dir()
        payload = json.dumps({"stat": stamp, "hash": digest}).encode("utf-8")
        _atomic_write(memo, lambda fh: fh.write(payload))
    return digest


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _hash_memo_path(path: Path) -> Path:
    return cache_dir() / f"{path_id(path)}.hash"


def _hash_bytes(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    # Non-blocking, and only a regular file: a FIFO must never hang the hash thread.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _code_stamp() -> str:
    from recall_cli import __version__ as v

    root = Path(__file__).resolve().parent.parent
    stamps = []
    # Every module of those packages by name, size and mtime: a file added, moved or
    # edited gives a new key, so rows made by other code are never served.
    for package in _ROW_PACKAGES:
        for module in sorted((root / package).rglob("*.py")):
            with contextlib.suppress(OSError):
                st = module.stat()
                stamps.append(f"{module.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}")
    return f"{LAYOUT}:{v}:{','.join(stamps)}"


def path_id(path: Path) -> str:
    return hashlib.blake2b(str(path.resolve()).encode(), digest_size=8).hexdigest()


def entry_key(path: Path, load_options: LoadOptions, options: NormalizeOptions) -> str:
    st = path.stat()
    parts = {
        "code": _code_stamp(),
        "path": str(path),  # rows quote the path as given, so it is part of the key
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "hash": content_hash(path),
        "sheets": list(load_options.sheets),
        "encoding": load_options.encoding,
        "delimiter": load_options.delimiter,
        "columns": sorted(dict(options.columns).items()),
        "date_order": options.date_order,
    }
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Entry:
    rows: Path
    meta: Path

    @property
    def parts(self) -> tuple[Path, Path]:
        """The two files the columns are split between (see write_entry)."""
        return self.rows, self.rows.with_suffix(".2.arrow")


def entry_for(path: Path, key: str) -> Entry:
    stem = f"{path_id(path)}-{key}"
    d = cache_dir()
    return Entry(d / f"{stem}.arrow", d / f"{stem}.json")


# --- reading -----------------------------------------------------------------


def read_meta(entry: Entry) -> dict[str, Any] | None:
    try:
        meta = json.loads(entry.meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("layout") != LAYOUT:
        return None
    return meta


def read_table(entry: Entry) -> tuple[pa.Table, dict[str, Any]] | None:
    """The memory-mapped rows of one cached file and its meta; None if missing or unreadable.

    No pandas: the cached support answers (quick.py) use the table as it is.
    """
    meta = read_meta(entry)
    if meta is None:
        return None
    try:
        import pyarrow as pa
        import pyarrow.feather as feather

        # Memory-mapped and uncompressed: the columns are used in place, not decoded.
        parts = [feather.read_table(p, memory_map=True) for p in entry.parts]
        if any(part.num_rows != meta["rows"] for part in parts):
            return None
        columns = {name: part[name] for part in parts for name in part.column_names}
        for name, same in meta.get("aliases", {}).items():
            columns[name] = columns[same]
        table = pa.table([columns[name] for name in meta["columns"]], names=meta["columns"])
    except Exception:  # a damaged entry is rebuilt, never an error
        return None
    return table, meta


def read_entry(entry: Entry) -> tuple[list[SourceInfo], pd.DataFrame] | None:
    """The sources and rows of one cached file, or None if missing or unreadable."""
    got = read_table(entry)
    if got is None:
        return None  # before importing pandas: a miss decodes first (read_and_normalize)
    from recall_cli.normalize.sheet import SourceInfo

    table, meta = got
    try:
        sources = [SourceInfo(**s) for s in meta["sources"]]
        frame = _expand(table).to_pandas()
        frame["ship_date"] = frame["ship_date"].astype("datetime64[s]")
    except Exception:  # a damaged entry is rebuilt, never an error
        return None
    return sources, frame


# --- writing -----------------------------------------------------------------


def _atomic_write(target: Path, write: Callable[[Any], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _atomic_write_table(target: Path, table: Any) -> None:
    """The rows as uncompressed Arrow IPC, written whole or not at all, mode 0600.

    Arrow's own file sink writes without the GIL and without a Python call per
    buffer: 0.45 s for a million rows against 1.2 s through a Python file.
    """
    import pyarrow as pa
    import pyarrow.feather as feather

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        os.fchmod(fd, 0o600)
        os.close(fd)
        with pa.OSFile(tmp, "wb") as sink:  # the file exists: it keeps its 0600 mode
            feather.write_feather(
                table, sink, compression="uncompressed", chunksize=max(table.num_rows, 1)
            )
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # a copy half on disk after a crash must not pass for rows
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_PROBE = 65_536  # rows coded first, to see whether codes can pay


def _encoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as codes into its distinct values, if that takes fewer bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from recall_cli.normalize.arrowbits import codes_type

    if len(column) > 4 * _PROBE:
        # Coding a million distinct values (a list of patients, one row each) takes
        # 0.4 s and saves nothing: when nearly all the first rows differ, it is not
        # tried. 50,000 customers over a year fill 56% of them with distinct values.
        probe = pc.dictionary_encode(column.slice(0, _PROBE)).combine_chunks()
        if len(probe.dictionary) > _PROBE - _PROBE // 16:
            return column
    encoded = pc.dictionary_encode(column).combine_chunks()
    encoded = encoded.cast(codes_type(len(encoded.dictionary), encoded.type.value_type))
    return pa.chunked_array([encoded]) if encoded.nbytes < column.nbytes else column


def _compact(table: pa.Table) -> pa.Table:
    from recall_cli.read.load import parallel_map

    names = [name for name in COMPACT_COLUMNS if name in table.column_names]
    # dictionary_encode runs without the GIL: the columns are coded on both cores.
    coded = parallel_map(_encoded, [table[name] for name in names])
    for name, column in zip(names, coded, strict=True):
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return table


def _aliases(table: pa.Table) -> dict[str, str]:
    """Columns that are another column's very buffers, each named with the first such column.

    A sheet without first names, units or prescribers gets one shared blank
    column for all of them, and clean customer ids are their own keys: each is
    stored once, not once per name.
    """
    import pyarrow as pa

    first: dict[tuple[object, ...], str] = {}
    aliases: dict[str, str] = {}
    for name in table.column_names:
        column = table[name]
        if column.num_chunks != 1:
            continue
        a = column.chunk(0)
        if pa.types.is_dictionary(a.type):  # its buffers say nothing of its dictionary
            continue
        same = (str(a.type), a.offset, len(a), *(b.address if b else 0 for b in a.buffers()))
        if same in first:
            aliases[name] = first[same]
        else:
            first[same] = name
    return aliases


def _expand(table: pa.Table) -> pa.Table:
    """The compact columns as plain text again, for pandas."""
    import pyarrow as pa

    from recall_cli.normalize.arrowbits import plain

    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, plain(table[field.name]))
    return table


def _halves(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The columns in two tables of about the same size, each column whole."""
    sizes = {name: table[name].nbytes for name in table.column_names}
    first: list[str] = []
    second: list[str] = []
    for name in sorted(sizes, key=sizes.__getitem__, reverse=True):
        smaller = first if sum(sizes[c] for c in first) <= sum(sizes[c] for c in second) else second
        smaller.append(name)
    return table.select(first), table.select(second)


def write_entry(entry: Entry, sources: Sequence[SourceInfo], frame: pd.DataFrame) -> bool:
    """Store one file's rows; False (and nothing left behind) if it cannot be stored."""
    try:
        import pyarrow as pa

        from recall_cli.read.load import parallel_map

        _ensure_dir()
        # One chunk per column: taking rows from a chunked column copies it whole.
        table = pa.Table.from_pandas(frame, preserve_index=False).combine_chunks()
        aliases = _aliases(table)  # before coding: it compares the columns' buffers
        stored = _compact(table.drop_columns(list(aliases)))
        # Most of a write is the kernel finding fresh pages for the file: two
        # files written on two cores take about half the time of one.
        parallel_map(
            lambda part: _atomic_write_table(*part),
            list(zip(entry.parts, _halves(stored), strict=True)),
        )
        meta = {
            "layout": LAYOUT,
            "rows": len(frame),
            "columns": table.column_names,
            "aliases": aliases,
            "sources": [asdict(s) for s in sources],
        }
        payload = json.dumps(meta, default=str).encode("utf-8")
        _atomic_write(entry.meta, lambda fh: fh.write(payload))
    except Exception:  # a full disk or a read-only cache only costs speed
        for p in (*entry.parts, entry.meta):
            with contextlib.suppress(OSError):
                p.unlink()
        return False
    _drop_stale(entry)
    return True


def _drop_stale(keep: Entry) -> None:
    """Delete older entries of the same input path: they can never be hit again."""
    prefix = keep.rows.name.split("-", 1)[0] + "-"
    for p in keep.rows.parent.glob(prefix + "*"):
        if p not in (*keep.parts, keep.meta):
            with contextlib.suppress(OSError):
                p.unlink()


# --- the loader --------------------------------------------------------------


@dataclass
class Stats:
    """What the last load did, for tests and `--debug`."""

    hits: int = 0
    misses: int = 0
    stored: int = 0

    def add(self, field_name: str) -> None:
        # Files load in threads; `+=` on a shared int is not atomic.
        with _STATS_LOCK:
            setattr(self, field_name, getattr(self, field_name) + 1)


_STATS_LOCK = threading.Lock()

last_stats = Stats()


def _cacheable(load_options: LoadOptions) -> bool:
    return not load_options.password


def load_shipments(
    paths: Iterable[str | Path],
    *,
    load_options: LoadOptions,
    options: NormalizeOptions,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> Shipments:
    """normalize.load_shipments, file by file through the cache.

    The rows are exactly those of a fresh load: entries hold the normalised
    frame of one file, and only the `source` numbers are shifted on the way out.
    """
    from recall_cli.read.load import discover, parallel_map

    global last_stats
    last_stats = Stats()
    cached = use_cache and _cacheable(load_options)
    try:
        if cached:
            flush()  # an earlier load's entries are complete before this one looks for them

        def one(path: Path) -> Shipments:
            entry: Entry | None = None
            later: _Later | None = None

            def name() -> Entry:
                return entry_for(path, entry_key(path, load_options, options))

            if progress:
                progress(f"reading {path.name}", 0)
            if cached and not has_entries(path):
                # A sure miss: hash the file on the other core while it decodes.
                later = _Later(path, name)
                last_stats.add("misses")
            elif cached:
                try:
                    entry = name()
                except OSError:
                    entry = None
                got = read_entry(entry) if entry else None
                if got is not None:
                    from recall_cli.normalize.sheet import Shipments

                    last_stats.add("hits")
                    file_sources, frame = got
                    if progress:
                        progress(f"{path.name} (cached)", len(frame))
                    return Shipments(rows=frame, sources=file_sources)
                last_stats.add("misses")
            fresh = read_and_normalize(path, load_options, options, progress)
            if later is not None:
                entry = later.result()
            if entry is not None:
                _store_in_background(entry, fresh)
            return fresh

        parts = parallel_map(one, discover(paths))
        from recall_cli.normalize.sheet import combine

        return combine(parts)
    finally:
        close = getattr(progress, "close", None)
        if close is not None:
            close()


def has_entries(path: Path) -> bool:
    """Whether any entry of this path is stored, whatever its key."""
    return any(cache_dir().glob(f"{path_id(path)}-*.json"))


class _Later:
    """An entry's name, worked out in a thread while the file decodes.

    Valid only if the file did not move meanwhile: rows decoded from one
    version must not be stored under the hash of another.
    """

    def __init__(self, path: Path, work: Callable[[], Entry]) -> None:
        self._path = path
        self._before = _stat_stamp(path)
        self._entry: Entry | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name="recall-hash")
        self._thread.start()

    def _run(self, work: Callable[[], Entry]) -> None:
        with contextlib.suppress(Exception):  # no entry only costs speed
            self._entry = work()

    def result(self) -> Entry | None:
        self._thread.join()
        if self._before is None or _stat_stamp(self._path) != self._before:
            return None
        return self._entry


def _stat_stamp(path: Path) -> list[int] | None:
    try:
        return _stamp(path.stat())
    except OSError:
        return None


def read_and_normalize(
    path: Path, load_options: LoadOptions, options: NormalizeOptions, progress: Progress | None
) -> Shipments:
    """Decode one file, then normalise it; the heavy imports load while it decodes."""
    from recall_cli.read.load import read_file

    warm_up()
    sheets = list(read_file(path, load_options))  # calamine: no pandas needed
    from recall_cli.normalize.sheet import normalize_file

    return normalize_file(path, sheets, options, progress)


_WARM = threading.Lock()
_warming: list[threading.Thread] = []


def warm_up() -> None:
    """Import what comes after the decode on the other core, once per process.

    pandas and friends take 0.3-0.5 s to import; calamine releases the GIL
    while it decodes a workbook for seconds, so the import costs no wall time.
    """
    with _WARM:
        if _warming:
            return
        thread = threading.Thread(target=_import_heavy, name="recall-warm-up", daemon=True)
        _warming.append(thread)
    thread.start()


def _import_heavy() -> None:
    import importlib

    for name in (
        "pandas",  # first: a CSV read beside a workbook wants it within milliseconds
        "recall_cli.normalize.sheet",
        "recall_cli.query.result",
        "email_validator",
        "recall_cli.output.terminal",
    ):
        with contextlib.suppress(Exception):  # the main thread reports any real failure
            importlib.import_module(name)


_pending: list[threading.Thread] = []


def _store_in_background(entry: Entry, fresh: Shipments) -> None:
    """Write the entry while the caller goes on with the query.

    Arrow's writer releases the GIL, so the copy costs the first query little
    wall time. The thread is not a daemon: the process waits for it at exit,
    and an entry is either complete or absent (write_entry is atomic).
    """

    def store() -> None:
        if write_entry(entry, fresh.sources, fresh.rows):
            last_stats.add("stored")

    thread = threading.Thread(target=store, name="recall-cache-write")
    thread.start()
    _pending.append(thread)


def flush() -> None:
    """Wait for entries still being written."""
    while _pending:
        _pending.pop().join()


# --- housekeeping --------------------------------------------------------------


def info() -> dict[str, Any]:
    d = cache_dir()
    files = [p for p in d.glob("*") if p.is_file()] if d.is_dir() else []
    return {
        "path": str(d),
        "entries": sum(1 for p in files if p.suffix == ".json"),
        "bytes": sum(p.stat().st_size for p in files),
    }


def clear() -> dict[str, Any]:
    """Delete every cache file (and the folder if it ends up empty)."""
    before = info()
    d = cache_dir()
    if d.is_dir():
        for p in d.glob("*"):
            if p.is_file() and (
                p.suffix in (".arrow", ".parquet", ".json", ".hash") or p.name.startswith(".tmp-")
            ):
                with contextlib.suppress(OSError):
                    p.unlink()
        with contextlib.suppress(OSError):
            d.rmdir()
    return before
