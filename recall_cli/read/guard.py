"""Calls into the Rust readers (fastexcel, python-calamine), made safe for a damaged file.

A bug in calamine reached by a damaged file is a Rust panic. pyo3 turns it into
`pyo3_runtime.PanicException`, which derives from BaseException (not Exception),
so `except Exception` lets it through with a Python traceback; and Rust's panic hook
has already written "thread '...' panicked at ..." (plus a backtrace when
RUST_BACKTRACE is set) straight to file descriptor 2, past sys.stderr.

`reader_call(file)` turns the panic into "is damaged" with the file name, and, while
the call runs, passes the process's stderr through a filter that drops the panic
report and forwards everything else as it comes (warnings, the progress bar).

Public API
----------
reader_call(file, sheet=None)   context manager
is_panic(exc) -> bool
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from recall_cli.errors import InputFileError

DAMAGED_HINT: Final = (
    "open it in Excel or LibreOffice and save it again as .xlsx, or re-export it from the "
    "source system"
)


def is_panic(exc: BaseException) -> bool:
    """A Rust panic surfaced by pyo3 (each extension has its own PanicException class)."""
    return type(exc).__name__ == "PanicException"


@contextlib.contextmanager
def reader_call(file: str | Path | None, sheet: str | None = None) -> Iterator[None]:
    """Run reader calls; a panic in them becomes InputFileError("is damaged ...")."""
    with _filtered_stderr():
        try:
            yield
        except BaseException as exc:
            if not is_panic(exc):
                raise
            raise InputFileError(
                "is damaged (the spreadsheet reader stopped on a broken record)",
                file=file,
                sheet=sheet or None,
                hint=DAMAGED_HINT,
            ) from None


# --- the stderr filter --------------------------------------------------------

# "thread '<unnamed>' (17882) panicked at src/xls.rs:123:45:" (Rust 1.73+; the id since 1.89) or
# "thread 'main' panicked at 'message', src/...". The message follows on the next line.
_PANIC_START: Final = re.compile(rb"^thread '[^']*'(?: \(\d+\))? panicked at")
# What Rust writes after it: the note, the backtrace header and its frames.
_PANIC_TAIL: Final = re.compile(rb"^(note: |stack backtrace:|\s+\d+: |\s+at |\s*$)")


class _PanicFilter:
    """Line by line: drop Rust's panic reports, pass everything else through at once."""

    def __init__(self, out_fd: int) -> None:
        self.out_fd = out_fd
        self.pending = b""
        self.state = 0  # 0 passing, 1 the message line after "panicked at", 2 in the tail
        self.held_blank = False

    def feed(self, data: bytes) -> None:
        self.pending += data
        while True:
            nl = self.pending.find(b"\n")
            if nl < 0:
                break
            line, self.pending = self.pending[: nl + 1], self.pending[nl + 1 :]
            self._line(line)
        # A partial line that cannot start a panic report goes out now (a progress bar
        # redraws with \r and no newline).
        head = self.pending[:8]
        if self.pending and self.state == 0 and not b"thread '".startswith(head):
            self._write(self.pending)
            self.pending = b""

    def close(self) -> None:
        if self.held_blank:
            self._write(b"\n")
        if self.pending and self.state == 0 and not _PANIC_START.match(self.pending):
            self._write(self.pending)
        self.pending = b""

    def _line(self, line: bytes) -> None:
        if self.held_blank:
            self.held_blank = False
            if not _PANIC_START.match(line):
                self._write(b"\n")
        if line == b"\n" and self.state == 0:
            self.held_blank = True  # Rust starts its report with an empty line
            return
        if _PANIC_START.match(line):
            # Old style keeps the message on the same line; new style puts it next.
            self.state = 2 if line.rstrip().endswith(b"'") or b"', " in line else 1
            return
        if self.state == 1:
            self.state = 2
            return
        if self.state == 2 and _PANIC_TAIL.match(line):
            return
        self.state = 0
        self._write(line)

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.out_fd, data)


_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None
_pump: threading.Thread | None = None
_write_end: int | None = None


def _run_pump(read_fd: int, out_fd: int) -> None:
    filt = _PanicFilter(out_fd)
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        filt.feed(chunk)
    filt.close()
    os.close(read_fd)


@contextlib.contextmanager
def _filtered_stderr() -> Iterator[None]:
    """fd 2 goes through a pipe to _PanicFilter while any reader call runs (nested and
    threaded calls share one pipe)."""
    global _depth, _saved_fd, _pump, _write_end
    with _lock:
        if _depth == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
                read_fd, write_fd = os.pipe()
                os.dup2(write_fd, 2)
            except (OSError, ValueError):  # no fd 2 (a service), or closed stderr
                saved = -1
            else:
                _saved_fd, _write_end = saved, write_fd
                _pump = threading.Thread(
                    target=_run_pump, args=(read_fd, saved), name="stderr-filter", daemon=True
                )
                _pump.start()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                with contextlib.suppress(ValueError, OSError):
                    sys.stderr.flush()
                os.dup2(_saved_fd, 2)  # closes the pipe's copy on fd 2
                assert _write_end is not None
                os.close(_write_end)
                if _pump is not None:
                    _pump.join()
                os.close(_saved_fd)
                _saved_fd = _pump = _write_end = None
