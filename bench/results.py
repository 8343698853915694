"""Writing a generated section of bench/RESULTS.md, and leaving the rest alone.

RESULTS.md holds the tables bench scripts generate and the sections people write by
hand beside them (what a run means, what was measured alone). A script owns only
the text between its two markers:

    <!-- begin generated: NAME (bench/run.py rewrites this part; edit outside it) -->
    ...
    <!-- end generated: NAME -->

and every byte outside them is kept as it was (line endings included). A file from
before the markers has its old generated block found by its first line (`legacy`)
and the table that follows it; the hand-written notes after that table stay.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = ["begin_marker", "end_marker", "replace_section"]


def begin_marker(name: str) -> str:
    return f"<!-- begin generated: {name} (bench/run.py rewrites this part; edit outside it) -->"


def end_marker(name: str) -> str:
    return f"<!-- end generated: {name} -->"


def _marked(old: str, name: str, block: str) -> str | None:
    """`old` with the text between NAME's markers replaced, or None without markers."""
    begin = re.search(rf"^<!-- begin generated: {re.escape(name)}( [^\n]*)? -->(?=\r?$)", old,
                      re.M)  # fmt: skip
    if begin is None:
        return None
    end = re.compile(rf"^{re.escape(end_marker(name))}(?=\r?$)", re.M).search(old, begin.end())
    if end is None:
        raise ValueError(f"RESULTS.md: the section {name!r} has a begin marker and no end marker")
    newline = "\r\n" if old[begin.end() : begin.end() + 2] == "\r\n" else "\n"
    return old[: begin.end()] + newline + block + old[end.start() :]


def _legacy_span(old: str, legacy: str) -> tuple[int, int] | None:
    """Where a block from before the markers is: from the line starting with `legacy`
    to the end of the first table after it (None when there is no such line)."""
    start = re.search(rf"^{re.escape(legacy)}", old, re.M)
    if start is None:
        return None
    lines = old[start.start() :].splitlines(keepends=True)
    at, seen_table = start.start(), False
    for line in lines:
        if line.startswith("|"):
            seen_table = True
        elif seen_table:
            break
        at += len(line)
    return start.start(), at


def replace_section(results: Path, name: str, text: str, *, legacy: str = "") -> None:
    """Put `text` in RESULTS.md as the generated section NAME, keeping the rest.

    Where the markers are, only what is between them changes. Without them, the
    block from before the markers (see the module) is wrapped in them; when there is
    none either, the section is added at the end.
    """
    old = results.read_bytes().decode("utf-8") if results.exists() else ""
    block = text.rstrip("\n") + "\n"
    new = _marked(old, name, block)
    if new is None:
        wrapped = f"{begin_marker(name)}\n{block}{end_marker(name)}\n"
        span = _legacy_span(old, legacy) if legacy else None
        if span is not None:
            new = old[: span[0]] + wrapped + old[span[1] :]
        else:
            new = (old.rstrip("\n") + "\n\n" if old.strip() else "") + wrapped
    _write_atomic(results, new.encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """A reader never sees half a file, and an error leaves the old one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
