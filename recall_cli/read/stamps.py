"""What each input file looked like when this process started reading it.

The audit line records a hash of every input. It is computed when the output is
written, so it is the hash of the bytes that were read only if the file did not move
in between: :func:`take` notes each file's identity (size, mtime, ctime, inode,
device) before it is read, and :func:`changed` tells the audit whether it moved since.
Every write moves the ctime, so an edit that restores the size and mtime is still seen.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

__all__ = ["changed", "take"]

_LOCK = threading.Lock()
_TAKEN: dict[str, tuple[int, ...] | None] = {}


def _identity(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def take(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Note the identity of each file now, before it is read (replacing an older note)."""
    noted = {os.path.abspath(p): _identity(os.path.abspath(p)) for p in paths}
    with _LOCK:
        _TAKEN.update(noted)


def changed(path: str | os.PathLike[str]) -> bool:
    """True if the file moved since :func:`take` noted it; False if it did not, or if it
    was never noted (a file the audit names but no load read, such as recall.toml)."""
    absolute = os.path.abspath(path)
    with _LOCK:
        if absolute not in _TAKEN:
            return False
        before = _TAKEN[absolute]
    return before is None or _identity(absolute) != before
