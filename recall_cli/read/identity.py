"""Which input files are the same file, or hold the same bytes, so each is read once.

Two names for one export (a path given twice, a folder and a file inside it, a
symbolic or hard link, a copy with another name) would count its shipments
twice. A file is the same as an earlier one when it is the same file on disk
(device and inode) or when its bytes are identical (same size, same SHA-256).

SHA-256 is the one content hash of the tool: the cache keys entries with it and
the audit log records it. It is computed once per file and process, remembered
under the file's stat (size, mtime, ctime, inode, device): any write moves the
ctime, so a remembered hash is never that of another version. Only files whose
size another input shares are hashed here; the cache hashes the rest anyway.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["Duplicate", "distinct_files", "remember", "remembered", "sha256_file", "stamp_of"]

_CHUNK = 4 * 1024 * 1024
Stamp = tuple[int, int, int, int, int]

_memo: dict[Stamp, str] = {}
_LOCK = threading.Lock()


def stamp_of(st: os.stat_result) -> Stamp:
    """What must stay the same for a remembered hash to hold."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def remembered(stamp: Stamp) -> str | None:
    with _LOCK:
        return _memo.get(stamp)


def remember(stamp: Stamp, digest: str) -> None:
    with _LOCK:
        _memo[stamp] = digest


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a regular file's bytes, computed once per version of the file.

    Opened non-blocking, and refused unless it is a regular file: a FIFO must
    never hang a hashing thread. OSError if it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise OSError(f"{os.fspath(path)} is not a regular file")
        known = remembered(stamp_of(before))
        if known is not None:
            return known
        value = _digest(fh)
        after = os.fstat(fd)
    if stamp_of(after) == stamp_of(before):  # not written to while it was read
        remember(stamp_of(before), value)
    return value


def _digest(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Duplicate:
    """An input left out because an earlier one is the same file or holds the same bytes."""

    path: str  # as given (or as found in a folder)
    same_as: str  # the earlier input that is read instead
    how: str  # GIVEN_TWICE, SAME_FILE or SAME_CONTENT

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "same_as": self.same_as, "how": self.how}

    def sentence(self) -> str:
        """The warning: both names, and which one is read."""
        if self.how == GIVEN_TWICE:
            return f"{self.path} was given twice: read once"
        what = "is the same file as" if self.how == SAME_FILE else "has the same content as"
        link = " (a link)" if self.how == SAME_FILE else " (byte for byte)"
        return f"{self.path} {what} {self.same_as}{link}: read once, as {self.same_as}"


GIVEN_TWICE = "given twice"
SAME_FILE = "same file"
SAME_CONTENT = "same content"


def distinct_files(
    files: Sequence[Path], digest: Callable[[Path], str] = sha256_file
) -> tuple[list[Path], list[Duplicate]]:
    """The files to read, in order, and the later names of a file already in the list.

    Same device and inode: the same file (the same path given twice, or through
    a folder and by name; a symbolic or hard link). Otherwise the bytes decide,
    hashed only where two files share a size. A file that cannot be stat'ed or
    hashed is kept: the reader says what is wrong with it.
    """
    kept: list[Path] = []
    duplicates: list[Duplicate] = []
    by_inode: dict[tuple[int, int], Path] = {}
    by_size: dict[int, list[Path]] = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:
            kept.append(f)
            continue
        first = by_inode.get((st.st_dev, st.st_ino))
        if first is not None:
            how = GIVEN_TWICE if os.path.abspath(first) == os.path.abspath(f) else SAME_FILE
            duplicates.append(Duplicate(str(f), str(first), how))
            continue
        by_inode[(st.st_dev, st.st_ino)] = f
        same_size = by_size.setdefault(st.st_size, [])
        twin = _twin(f, same_size, digest)
        if twin is not None:
            duplicates.append(Duplicate(str(f), str(twin), SAME_CONTENT))
            continue
        same_size.append(f)
        kept.append(f)
    return kept, duplicates


def _twin(f: Path, same_size: list[Path], digest: Callable[[Path], str]) -> Path | None:
    """The first kept file of f's size with f's bytes. Only a second file of a size
    gets files hashed; `digest` remembers what it computed."""
    if not same_size:
        return None
    try:
        mine = digest(f)
        return next((earlier for earlier in same_size if digest(earlier) == mine), None)
    except OSError:
        return None  # the reader will say what is wrong with it
