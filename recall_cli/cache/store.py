"""A columnar copy of the normalised rows of each input file, so repeat questions are instant.

Where it lives: `platformdirs.user_cache_path("recall_cli")` (on Linux
`~/.cache/recall_cli`), or the folder named by `RECALL_CACHE_DIR`. The folder
is created 0700 and every file in it 0600, because the rows hold patient data.
`recall cache clear` deletes it; `--no-cache` neither reads nor writes it.

One entry per input file: `<path-id>-<key>.arrow` (the rows, Arrow IPC,
uncompressed so that it is memory-mapped and used in place) and
`<path-id>-<key>.json` (its SourceInfo list, written last as the commit mark).
The key hashes:

- the file's size, mtime_ns and the SHA-256 of its whole content. The hash is
  remembered in `<path-id>.hash` with the file's size, mtime, ctime, inode and device,
  and computed again whenever any of them moves: every write moves the ctime, so even an
  edit that keeps the size and restores the mtime is seen;
- the tool's version and the mtime of the modules that decide the rows, so an
  upgrade (or a development edit) never serves rows made by older code;
- the load and normalise options that change the rows (sheets, encoding,
  delimiter, column mappings, date order).

When a file changes, the next run stores a new entry and deletes the old
entries of the same path. Encrypted workbooks (a password given) are never
cached: the copy would be readable without the password. A cache file that
cannot be read is ignored and rebuilt, never an error.

Trust: the folder carries a `CACHEDIR.TAG` (the standard signature, so backup
tools skip it), and the tool reads, writes, chmods or clears only a folder it
made: one with the tag, or an empty one it adopts. A folder or entry file that
another user owns or others may write to is not used at all (said once on
stderr); the answer then comes from the files themselves.

Damage: the meta holds an xxh3 checksum of itself, of each part's schema and
of every stored column's buffers; a read checks the columns it uses, then
validates them with Arrow, before any value is looked at. A mismatch is a miss
and the entry is rebuilt. Temporary files left by a killed write are deleted
by a later run once no process holds them (an flock) and they are a minute old.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas stays off the import path of the fast queries
    import pandas as pd
    import pyarrow as pa

    from recall_cli.normalize.sheet import NormalizeOptions, Shipments, SourceInfo
    from recall_cli.read.identity import Duplicate
    from recall_cli.read.load import LoadOptions

CACHE_ENV = "RECALL_CACHE_DIR"
LAYOUT = 6  # bump when the entry layout changes
# Text columns stored as codes into their distinct values (Arrow dictionaries) where
# that is smaller. Writing fewer bytes is most of the cost of filling the cache (the
# kernel finds a fresh page for every 4 kB written), and a year of shipments repeats
# these on every row: the file path, and each customer's id, key and contact details,
# come back with every shipment. The cached answers read the codes as they are
# (arrowbits.distinct, among, filled, plain): the customer keys every count groups by
# are then codes already, and only their distinct values are checked as UTF-8. Across
# files the codes are joined (query.cached). Order ids stay plain text: they seldom repeat.
COMPACT_COLUMNS = (
    "file", "sheet", "kind", "problem", "lot", "lot_raw", "date_raw", "country", "product",
    "customer_key", "customer_id", "name", "first_name", "last_name", "email", "phone",
    "address", "address2", "city", "region", "postal_code", "unit", "prescriber",
    "prescriber_id", "ship_from",
)  # fmt: skip
# Packages whose code decides what the normalised rows hold, and how they are stored.
_ROW_PACKAGES = ("read", "normalize", "cache")

Progress = Callable[[str, int], None]


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("recall_cli", appauthor=False)


# --- whose folder it is --------------------------------------------------------

TAG_NAME = "CACHEDIR.TAG"
TAG_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
_TAG = TAG_SIGNATURE + (
    b"\n# This file is a cache directory tag created by recall_cli.\n"
    b"# `recall cache clear` deletes the files recall_cli made here.\n"
    b"# For information about cache directory tags see https://bford.info/cachedir/\n"
)
# Every name the tool gives a file in its folder; nothing else is ever deleted.
_OURS = re.compile(
    r"[0-9a-f]{16}-[0-9a-f]{32}\.(arrow|2\.arrow|json|parquet)"
    r"|[0-9a-f]{16}\.hash"
    r"|\.tmp-[A-Za-z0-9_]+\.(arrow|json|hash)"
)
_TEMP = re.compile(r"\.tmp-[A-Za-z0-9_]+\.(arrow|json|hash)")
TEMP_AGE = 60.0  # seconds: a temp file younger than this may be a write just starting

Notify = Callable[[str], None]
_notify: Notify | None = None
_said: set[str] = set()
_SAY_LOCK = threading.Lock()


def set_notifier(notify: Notify | None) -> None:
    """Where the cache's one-line notices go (the CLI's warnings); each is said once."""
    global _notify
    with _SAY_LOCK:
        _notify = notify
        _said.clear()


def _say(message: str) -> None:
    with _SAY_LOCK:
        if message in _said:
            return
        _said.add(message)
        notify = _notify
    if notify is not None:
        notify(message)
    else:
        sys.stderr.write(f"warning: {message}\n")


def is_ours(name: str) -> bool:
    """Whether a file name in the cache folder is one the tool gives its files."""
    return name == TAG_NAME or _OURS.fullmatch(name) is not None


def _tagged(d: Path) -> bool:
    try:
        with open(d / TAG_NAME, "rb") as fh:
            return fh.read(len(TAG_SIGNATURE)) == TAG_SIGNATURE
    except OSError:
        return False


def _write_tag(d: Path) -> None:
    fd = os.open(d / TAG_NAME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_TAG)


def folder_problem(d: Path) -> str | None:
    """Why the existing folder `d` must not hold cache entries, or None if it is ours.

    An untagged folder that is empty, or holds only files named as the tool
    names its own (a cache from before the tag), is adopted: tagged, and ours.
    """
    try:
        st = os.stat(d)
    except OSError as exc:
        return f"cannot be opened ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a folder"
    from recall_cli.cache.folders import distrust

    reason = distrust(st)
    if reason:
        return reason
    if _tagged(d):
        return None
    try:
        names = os.listdir(d)
    except OSError as exc:
        return f"cannot be listed ({exc.strerror or type(exc).__name__})"
    if any(not is_ours(n) for n in names):
        return f"holds files recall did not make (it has no {TAG_NAME})"
    try:
        _write_tag(d)
    except OSError as exc:
        return f"cannot be written ({exc.strerror or type(exc).__name__})"
    return None


_verdicts: dict[tuple[str, int, int, int, int], str | None] = {}


def cache_folder(*, create: bool = False) -> Path | None:
    """The cache folder if entries may be read and written there, else None.

    Missing, it is made (0700, tagged) when `create` is set. Refused, the
    reason is said once and the tool goes on without the cache.
    """
    d = cache_dir()
    try:
        st = os.stat(d)
    except FileNotFoundError:
        if not create:
            return None
        from recall_cli.cache.folders import make_private_dirs

        try:
            make_private_dirs(d)
            if not _tagged(d):
                _write_tag(d)
        except OSError:
            return None  # a read-only disk or a bad path only costs speed
        return cache_folder()
    except OSError:
        return None
    key = (str(d), st.st_ino, st.st_mode, st.st_uid, st.st_mtime_ns)
    if key not in _verdicts:
        _verdicts[key] = folder_problem(d)
    problem = _verdicts[key]
    if problem is None:
        return d
    _say(
        f"the cache folder {d} {problem}: the cache is not used "
        f"(set {CACHE_ENV} to a new folder, or fix the folder)"
    )
    return None


def _trusted_file(path: Path) -> bool:
    """An entry file that is a regular file of ours, not writable by others."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    from recall_cli.cache.folders import distrust

    reason = None if stat.S_ISREG(st.st_mode) else "is not a regular file"
    reason = reason or distrust(st)
    if reason:
        _say(f"the cache file {path} {reason}: it is not used")
        return False
    return True


def _ensure_dir() -> Path:
    d = cache_folder(create=True)
    if d is None:
        raise OSError("the cache folder is not usable")
    _sweep_temp(d)
    return d


_swept: set[str] = set()


def _sweep_temp(d: Path) -> None:
    """Delete temp files that killed writes left behind: ours, old, and held by no one."""
    if str(d) in _swept:
        return
    _swept.add(str(d))
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(d):
            if not _TEMP.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime < TEMP_AGE:
                    continue
                if _unheld(entry.path):
                    os.unlink(entry.path)


def _unheld(path: str) -> bool:
    """True when no live writer holds the file's lock (a killed one released it)."""
    try:
        import fcntl
    except ImportError:  # no flock: age alone decides
        return True
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the lock
    return True


def _hold(fd: int) -> None:
    """Lock a temp file for the time of its write, so a sweep leaves it alone."""
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def content_hash(path: Path) -> str:
    """The file's SHA-256 (read.identity), reused while its stat says it cannot have changed.

    Any write to a file moves its ctime, which no user tool can set back, so
    an edit that keeps the size and restores the mtime is still hashed again.
    The hash is remembered in the cache folder for later runs, and in this
    process for the duplicate check and the audit log, which use the same hash.
    """
    from recall_cli.read import identity

    st = path.stat()
    stamp = _stamp(st)
    memo = _hash_memo_path(path)
    trusted = cache_folder() is not None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if trusted and _trusted_file(memo):
            saved = json.loads(memo.read_text(encoding="utf-8"))
            if saved["stat"] == stamp and saved["check"] == _seal([stamp, _HASH, saved["hash"]]):
                identity.remember(identity.stamp_of(st), str(saved["hash"]))
                return str(saved["hash"])
    digest = identity.sha256_file(path)  # once per process: the audit log may have it
    if _stat_stamp(path) != stamp:
        return digest  # it moved while it was hashed: not worth remembering
    with contextlib.suppress(OSError):
        _ensure_dir()
        record = {"stat": stamp, "hash": digest, "check": _seal([stamp, _HASH, digest])}
        payload = json.dumps(record).encode("utf-8")
        _atomic_write(memo, lambda fh: fh.write(payload))
    return digest


_HASH = "sha256"  # in the memo's seal: a memo of another algorithm is not reused


def _seal(value: object) -> str:
    """The checksum of a JSON-able value, as it reads back from JSON."""
    import xxhash

    text = json.dumps(json.loads(json.dumps(value, default=str)), sort_keys=True)
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _hash_memo_path(path: Path) -> Path:
    return cache_dir() / f"{path_id(path)}.hash"


def _code_stamp() -> str:
    from recall_cli.version import __version__ as v

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
    """The entry's meta if its checksum holds, else None (missing, damaged, not ours)."""
    if cache_folder() is None or not _trusted_file(entry.meta):
        return None
    try:
        meta = json.loads(entry.meta.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("layout") != LAYOUT:
            return None
        check = meta.pop("check", None)
        if check != _seal(meta):
            return None
    except Exception:  # damaged bytes may fail in many ways; all of them are a miss
        return None
    return meta


def _fingerprint(name: str, column: Any) -> str:
    """xxh3 of a column as Arrow sees it: name, type, lengths, null counts, every buffer.

    Only buffer sizes and bytes are read, never a value through its offsets or
    codes: damage is caught before anything could read past a buffer.
    """
    import xxhash

    h = xxhash.xxh3_128()
    h.update(f"{name}\0{column.type}\0{column.num_chunks}".encode())
    for chunk in column.chunks:
        _feed(h, chunk)
    return str(h.hexdigest())


def _feed(h: Any, array: Any) -> None:
    import pyarrow as pa

    h.update(struct.pack("<3q", len(array), array.offset, array.null_count))
    if pa.types.is_dictionary(array.type):
        _feed(h, array.indices)
        _feed(h, array.dictionary)
        return
    for buf in array.buffers():
        if buf is None:
            h.update(b"-")
        else:
            h.update(struct.pack("<q", buf.size))
            h.update(memoryview(buf))


def _schema_print(schema: Any) -> str:
    import xxhash

    return str(xxhash.xxh3_128_hexdigest(memoryview(schema.serialize())))


def _mapped(path: Path) -> pa.Table:
    """A part file's columns, memory-mapped and used in place (uncompressed: nothing is
    decoded). Feather V2 is the Arrow IPC file format: read with pyarrow.ipc, part of
    the import floor, rather than pyarrow.feather, which imports pandas_compat."""
    import pyarrow as pa

    with pa.ipc.open_file(pa.memory_map(str(path))) as reader:
        return reader.read_all()


def _part_prints(path: Path) -> dict[str, Any]:
    """What read_table checks of one part file, read back as a reader will see it."""
    table = _mapped(path)
    return {
        "schema": _schema_print(table.schema),
        "columns": {name: _fingerprint(name, table[name]) for name in table.column_names},
    }


def read_table(
    entry: Entry, columns: Sequence[str] | None = None
) -> tuple[pa.Table, dict[str, Any]] | None:
    """The memory-mapped rows of one cached file and its meta; None if missing or unreadable.

    `columns` (default: all) are the ones checked and returned: a question pays
    the checksum of the columns it reads only. No pandas: the cached support
    answers (quick.py) use the table as it is.
    """
    meta = read_meta(entry)
    if meta is None:
        return None
    try:
        import pyarrow as pa

        wanted = list(meta["columns"] if columns is None else dict.fromkeys(columns))
        aliases = meta.get("aliases", {})
        if any(name not in meta["columns"] for name in wanted):
            return None  # an entry without a column this path reads: the full run rebuilds it
        stored = {aliases.get(name, name) for name in wanted}
        found: dict[str, Any] = {}
        for path, prints in zip(entry.parts, meta["parts"], strict=True):
            if not _trusted_file(path):
                return None
            part = _mapped(path)
            if part.num_rows != meta["rows"] or _schema_print(part.schema) != prints["schema"]:
                return None
            for name in stored.intersection(part.column_names):
                column = part[name]
                if _fingerprint(name, column) != prints["columns"].get(name):
                    return None
                found[name] = column
        if len(found) != len(stored):
            return None
        table = pa.table([found[aliases.get(n, n)] for n in wanted], names=wanted)
        _validate_full(table)  # offsets, codes and UTF-8 in range: never a crash below
    except Exception:  # a damaged entry is rebuilt, never an error
        return None
    return table, meta


def _validate_full(table: pa.Table) -> None:
    """`table.validate(full=True)`, the codes of coded columns checked in numpy.

    Arrow checks a coded column's codes one by one, some 5 ms for a million rows;
    the smallest and largest code say as much in a tenth of that. Everything else
    is Arrow's own check: the buffers' sizes first, then each dictionary in full.
    """
    import pyarrow as pa

    from recall_cli.normalize.arrowbits import codes_in_range

    table.validate()
    for column in table.columns:
        for chunk in column.chunks:
            if not pa.types.is_dictionary(chunk.type):
                chunk.validate(full=True)
                continue
            chunk.validate()
            chunk.dictionary.validate(full=True)
            if not codes_in_range(chunk):
                raise pa.ArrowInvalid("a code points outside its dictionary")


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
    import tempfile  # writing only: a cached answer does not import it

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        os.fchmod(fd, 0o600)
        _hold(fd)  # released when the file is closed, or the process killed
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
    buffer, which a Python file object would need.
    """
    import tempfile

    import pyarrow as pa
    import pyarrow.feather as feather

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        os.fchmod(fd, 0o600)
        _hold(fd)  # held until the rename: a sweep by another process leaves it alone
        with pa.OSFile(tmp, "wb") as sink:  # the file exists: it keeps its 0600 mode
            feather.write_feather(
                table, sink, compression="uncompressed", chunksize=max(table.num_rows, 1)
            )
        os.fsync(fd)  # a copy half on disk after a crash must not pass for rows
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)


_PROBE = 65_536  # rows coded first, to see whether codes can pay


def _encoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as codes into its distinct values, if that takes fewer bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from recall_cli.normalize.arrowbits import codes_type

    if len(column) > 4 * _PROBE:
        # Coding a column of distinct values (a list of patients, one row each) costs
        # a full hash pass and saves nothing: when nearly all the first rows differ,
        # it is not tried. A year of 50,000 customers stays well below that bar.
        probe = pc.dictionary_encode(column.slice(0, _PROBE)).combine_chunks()
        if len(probe.dictionary) > _PROBE - _PROBE // 16:
            return column
    encoded = pc.dictionary_encode(column).combine_chunks()
    encoded = encoded.cast(codes_type(len(encoded.dictionary), encoded.type.value_type))
    return pa.chunked_array([encoded]) if encoded.nbytes < column.nbytes else column


def _compact(table: pa.Table) -> pa.Table:
    """Every column in one chunk, the COMPACT_COLUMNS coded where that takes fewer bytes.

    Column by column: a text column streamed from a CSV comes in one chunk per
    batch, and joining it is a copy. Made one at a time and coded at once, only
    the columns being worked on are held twice, not the whole table.
    """
    from recall_cli.read.load import parallel_map

    compact = set(COMPACT_COLUMNS)

    def stored(i: int) -> pa.ChunkedArray:
        column = _one_chunk(table.column(i))
        return _encoded(column) if table.field(i).name in compact else column

    # Joining and dictionary_encode run without the GIL: the columns are done on both cores.
    columns = parallel_map(stored, list(range(table.num_columns)))
    for i, column in enumerate(columns):
        field = table.field(i)
        if column.type == field.type:
            table = table.set_column(i, field, column)
        else:
            table = table.set_column(i, field.name, column)
    return table


def _one_chunk(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column in one chunk, as Table.combine_chunks makes it (one chunk or none is kept)."""
    import pyarrow as pa

    if column.num_chunks <= 1:
        return column
    return pa.chunked_array([column.combine_chunks()], column.type)


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
        table = pa.Table.from_pandas(frame, preserve_index=False)
        # Before any column is joined or coded: it compares the columns' buffers. A
        # column in several chunks is joined into buffers of its own, so it is no alias.
        aliases = _aliases(table)
        # One chunk per column: taking rows from a chunked column copies it whole.
        stored = _compact(table.drop_columns(list(aliases)))
        # Most of a write is the kernel finding fresh pages for the file: two
        # files written on two cores take about half the time of one.
        parallel_map(
            lambda part: _atomic_write_table(*part),
            list(zip(entry.parts, _halves(stored), strict=True)),
        )
        meta: dict[str, Any] = {
            "layout": LAYOUT,
            "rows": len(frame),
            "columns": table.column_names,
            "aliases": aliases,
            "sources": [asdict(s) for s in sources],
            "parts": [_part_prints(p) for p in entry.parts],
        }
        meta["check"] = _seal(meta)
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
    from recall_cli.read import stamps
    from recall_cli.read.load import parallel_map

    global last_stats
    last_stats = Stats()
    cached = use_cache and _cacheable(load_options) and cache_folder(create=True) is not None
    try:
        if cached:
            flush()  # an earlier load's entries are complete before this one looks for them

        def one(path: Path) -> Shipments:
            entry: Entry | None = None
            later: _Later | None = None
            before: list[int] | None = None

            def name() -> Entry:
                return entry_for(path, entry_key(path, load_options, options))

            if progress:
                progress(f"reading {path.name}", 0)
            if cached and not has_entries(path):
                # A sure miss: hash the file on the other core while it decodes.
                later = _Later(path, name)
                last_stats.add("misses")
            elif cached:
                before = _stat_stamp(path)  # taken before the key's hash reads the file
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
            elif entry is not None and (before is None or _stat_stamp(path) != before):
                # Edited while it was read: these rows may be of neither version's key.
                entry = None
            if entry is not None:
                _store_in_background(entry, fresh)
            return fresh

        files, duplicates = input_files(paths, load_options, use_cache=cached)
        stamps.take(files)  # before any row is read: the audit checks they did not move
        parts = parallel_map(one, files)
        from recall_cli.normalize.sheet import combine

        shipments = combine(parts)
        shipments.duplicates = [d.to_dict() for d in duplicates]
        return shipments
    finally:
        close = getattr(progress, "close", None)
        if close is not None:
            close()


def input_files(
    paths: Iterable[str | Path], load_options: LoadOptions, *, use_cache: bool
) -> tuple[list[Path], list[Duplicate]]:
    """The files to read, each once, and the inputs left out as the same file or the
    same bytes as an earlier one (read.load.find_inputs). With the cache, the bytes
    are compared by the hash the entry keys use, remembered across runs."""
    from recall_cli.read.load import find_inputs

    usable = use_cache and _cacheable(load_options) and cache_folder() is not None
    return find_inputs(paths, load_options.recursive, content_hash if usable else None)


def has_entries(path: Path) -> bool:
    """Whether any entry of this path is stored, whatever its key."""
    d = cache_folder()
    return d is not None and any(d.glob(f"{path_id(path)}-*.json"))


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
# Modules above the cache that a first query will need after the decode. The layers that
# need them name them (warm_also), so the cache imports nothing above itself by name.
_ALSO_WARM: list[str] = []


def warm_also(*modules: str) -> None:
    """Add modules to import beside the next decode (called by the layer that needs them)."""
    _ALSO_WARM.extend(m for m in modules if m not in _ALSO_WARM)


def warm_up() -> None:
    """Import what comes after the decode on the other core, once per process.

    pandas and friends are slow to import; calamine releases the GIL while it
    decodes a workbook, so importing them meanwhile costs no wall time.
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
        "email_validator",
        *_ALSO_WARM,
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


def _our_files(d: Path) -> list[Path]:
    try:
        return [d / n for n in sorted(os.listdir(d)) if _OURS.fullmatch(n) and (d / n).is_file()]
    except OSError:
        return []


def info() -> dict[str, Any]:
    d = cache_dir()
    files = _our_files(d) if d.is_dir() else []
    problem = folder_problem(d) if d.is_dir() else None
    return {
        "path": str(d),
        "entries": sum(1 for p in files if p.suffix == ".json" and not p.name.startswith(".")),
        "bytes": sum(p.stat().st_size for p in files),
        "problem": problem,
    }


def clear() -> dict[str, Any]:
    """Delete the files the tool made in its folder, then the folder if nothing else is left.

    A folder that is not ours (no tag and other files in it, another owner) is
    refused, and nothing in it is touched.
    """
    from recall_cli.errors import CacheError

    before = info()
    d = cache_dir()
    if not d.is_dir():
        return before
    problem = before["problem"]
    if problem is not None and not (problem == "is writable by other users" and _tagged(d)):
        raise CacheError(
            f"the folder {problem}; nothing was deleted",
            file=d,
            hint=f"point {CACHE_ENV} at the recall cache folder, or delete its files by hand",
        )
    for p in _our_files(d):
        with contextlib.suppress(OSError):
            p.unlink()
    with contextlib.suppress(OSError):
        if os.listdir(d) == [TAG_NAME]:  # a file someone else put there keeps folder and tag
            (d / TAG_NAME).unlink()
            d.rmdir()
    return before
