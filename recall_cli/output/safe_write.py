"""Writing exports safely: no live formulas in cells, no half-written files, no open modes.

Exports hold health data, so every output file goes through :func:`atomic_output`:

* it is written to a temporary file in the target's own folder, created with mode 0600
  from the start (``os.open`` with ``O_CREAT | O_EXCL``), so no other user can ever
  read a partial export, not even for a moment;
* it is flushed and fsynced, then moved onto the target with ``os.replace``, so a
  reader sees either the old file or the complete new one, never a partial one;
* if anything goes wrong, the temporary file is removed and the target (if there was one)
  is left untouched;
* an existing file is never overwritten unless the caller passes ``force=True``.

Every text cell of a CSV goes through :func:`escape_formula` (see its docstring).

No click and no rich here: failures are :class:`~recall_cli.errors.ExportError`, whose
messages name paths and fixes, never a cell value.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from recall_cli.errors import ExportError, UsageError

__all__ = [
    "FORMULA_TRIGGERS",
    "Target",
    "atomic_output",
    "escape_formula",
    "resolve_target",
    "sha256_file",
]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP list, plus LF),
#: and their fullwidth forms (＝＋－＠), which some spreadsheets fold to ASCII on input.
FORMULA_TRIGGERS: frozenset[str] = frozenset(
    {"=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"}
)
# Invisible characters a trigger can hide behind: zero-width space, non-joiner and joiner,
# word joiner, byte order mark. Escaping costs one quote; a missed formula costs a patient
# list, so the first visible character is the one looked at.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

# A phone number or a plain number: optional sign, then only ASCII digits, spaces and
# ( ) . / -, with at least one digit. No letters, no quotes, no "!", "|", ":" or "@",
# so no function name, cell reference, DDE link or string can appear in it.
# Written for both Python's re and RE2 (pyarrow-backed string columns use RE2).
_PLAIN_NUMBER = r"[+-]?[0-9 ()./-]*[0-9][0-9 ()./-]*"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def escape_formula(value: str) -> str:
    """Neutralise a cell that a spreadsheet would run as a formula (CSV injection).

    Following OWASP, a value whose first character is ``=``, ``+``, ``-``, ``@``, a tab, a
    carriage return (or a line feed) gets a single quote ``'`` in front of it, so Excel,
    LibreOffice and Google Sheets show it as text instead of evaluating it:
    ``=HYPERLINK("http://x","y")``, ``@SUM(1)``, ``+A1`` and ``-2+3+cmd|' /C calc'!A0``
    all come back prefixed.

    Exception, to keep mail merges readable: a value that is purely a phone number or a
    number -- an optional leading ``+`` or ``-`` followed only by ASCII digits, spaces and
    ``( ) . / -`` (at least one digit) -- is returned unchanged, e.g.
    ``+33 1 23 45 67 89``, ``+1 (555) 010-1018``, ``-40``, ``-12.5``. This is safe because
    an attack needs more than those characters: a function call needs a name (letters)
    before its ``(``; a cell reference needs letters (``A1``, ``R1C1``); a DDE payload
    needs ``|`` and ``!``; a link or a string needs quotes. With digits, spaces, brackets,
    dots, slashes and signs only, the worst a spreadsheet can do is read the cell as text,
    as a number, or as constant arithmetic (``-1-1``) -- never call anything or read
    another cell.

    The fullwidth ``＝＋－＠`` count as triggers, and so does a trigger behind zero-width
    characters or a BOM (``"\u200b=1+1"``). Any other value (including one starting with
    ``'`` or a space) is returned unchanged.
    """
    if not value:
        return value
    first = value[0]
    if first in _INVISIBLE:
        visible = value.lstrip(_INVISIBLE)
        first = visible[:1]
    if first in FORMULA_TRIGGERS and not _PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); silently skipped where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exists_error(target: Path) -> ExportError:
    return ExportError(
        "the output file already exists",
        file=target,
        hint="use --force to overwrite it, or choose another output path",
    )


#: Names of standard output: ``-o /dev/stdout`` is ``-o -``.
STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})

STDOUT = "stdout"  # standard output: written as it comes, nothing to take back
FILE = "file"  # a regular file, new or replaced: atomic, 0600
STREAM = "stream"  # a character device or a FIFO that exists: written through, never replaced


@dataclass(frozen=True)
class Target:
    """Where an output goes: ``kind`` is STDOUT, FILE or STREAM; ``path`` the file written
    (a followed symlink's target); ``given`` the path as the user typed it."""

    kind: str
    path: Path | None
    given: str


def _is_stdout(output: str) -> bool:
    if output in STDOUT_NAMES:
        return True
    try:  # /dev/pts/3 when stdout is /dev/pts/3, or the file stdout is redirected to
        return os.path.samestat(os.stat(output), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def resolve_target(
    output: str | os.PathLike[str], *, force: bool = False, inputs: Iterable[Path] = ()
) -> Target:
    """Decide how ``output`` is written, refusing what must not be written.

    * ``-`` and the names of stdout (``/dev/stdout``...) are standard output;
    * a symbolic link is refused unless ``force``, which follows it: the file it points
      to is written (atomically), the link stays;
    * an existing character device or FIFO (``/dev/null``, a named pipe) is written
      through, never replaced by a regular file;
    * a folder, a block device or a socket is refused;
    * a path that is one of ``inputs`` (the same file, by device and inode) is refused:
      writing it would replace the data being read. UsageError, exit 2.
    """
    given = os.fspath(output)
    if _is_stdout(given):
        return Target(STDOUT, None, given)
    path = Path(given)
    if path.is_symlink():
        if not force:
            raise ExportError(
                "the output path is a symbolic link",
                file=path,
                hint="--force writes to the file it points to; or choose another path",
            )
        path = Path(os.path.realpath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Target(FILE, path, given)
    except OSError as exc:
        raise ExportError(f"cannot use the output path ({exc.strerror})", file=path) from None
    for item in inputs:
        with contextlib.suppress(OSError):
            if os.path.samestat(st, os.stat(item)):
                raise UsageError(
                    f"-o {given} is one of the input files: writing it would replace the "
                    "data being read",
                    hint="choose another output path",
                )
    if stat.S_ISDIR(st.st_mode):
        raise ExportError("the output path is a folder", file=path, hint="add a file name")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return Target(STREAM, path, given)
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(
            "the output path is neither a file, a FIFO nor a character device",
            file=path,
            hint="choose another output path",
        )
    return Target(FILE, path, given)


def _mount_point(folder: Path) -> str:
    """The mount point of the file system holding ``folder`` (the "device" that is full)."""
    here = Path(os.path.abspath(folder))
    try:
        dev = os.stat(here).st_dev
        while here.parent != here and os.stat(here.parent).st_dev == dev:
            here = here.parent
    except OSError:
        pass
    return str(here)


def write_error(exc: OSError, target: Path) -> ExportError:
    """An OSError while writing ``target``, as one line that names the path and the fix."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return ExportError(
            f"no space left on {_mount_point(target.parent)} writing {target}",
            hint="free some space or write elsewhere; an existing file of that name is kept",
        )
    return ExportError(
        f"cannot write the output ({exc.strerror})",
        file=target,
        hint="check the folder permissions and free space",
    )


@contextlib.contextmanager
def _write_through(target: Path) -> Iterator[BinaryIO]:
    """A FIFO or character device, opened for writing, never created or truncated."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise write_error(exc, target) from None
    if not (stat.S_ISCHR(os.fstat(fd).st_mode) or stat.S_ISFIFO(os.fstat(fd).st_mode)):
        os.close(fd)  # replaced by a file since it was looked at: never write into that
        raise ExportError("the output changed while it was opened", file=target)
    with os.fdopen(fd, "wb") as handle:
        try:
            yield handle
            handle.flush()
        except OSError as exc:
            raise write_error(exc, target) from None


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    mode: int = 0o600,
    inputs: Iterable[Path] = (),
) -> Iterator[BinaryIO]:
    """Open an output for writing, all or nothing. Yields a binary file object.

    Where it goes is decided by :func:`resolve_target`. Standard output yields
    ``sys.stdout.buffer`` (no temporary file, ``mode`` unused; what was written before
    an error cannot be taken back); a FIFO or character device is written through.
    A regular file:

    * refuses (:class:`ExportError`) if the target exists and ``force`` is false, or if
      its parent folder does not exist;
    * writes to a temporary file in the same folder, created with
      ``os.open(O_CREAT | O_EXCL | O_WRONLY, 0o600)``, so nobody else can read it while
      it is being written (the umask can only make it stricter);
    * on a clean exit, flushes, sets exactly ``mode`` with ``fchmod`` (whatever the
      umask), fsyncs and ``os.replace``-s it onto the target. Without ``force`` the final
      step is a hard link, which fails if a file appeared meanwhile;
    * on any exception (including KeyboardInterrupt, and SIGTERM/SIGHUP, which the CLI
      turns into an exception), removes the temporary file and re-raises: no target is
      created and an existing target stays untouched. A full disk is one line: "no
      space left on MOUNT writing PATH".
    """
    where = resolve_target(path, force=force, inputs=inputs)
    if where.kind == STDOUT:
        stdout = getattr(sys.stdout, "buffer", None)
        if stdout is None:
            raise ExportError("standard output does not accept bytes", file="-")
        yield stdout
        stdout.flush()
        return
    assert where.path is not None
    if where.kind == STREAM:
        with _write_through(where.path) as stream:
            yield stream
        return
    target = where.path
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(
            "the folder of the output file does not exist",
            file=target,
            hint=f"create {folder} first or choose another output path",
        )
    if not force and os.path.lexists(target):
        raise _exists_error(target)
    from secrets import token_hex  # a file written: stdout does not import it

    # A signal arrives as an exception between any two bytecodes: the temporary file's
    # name is known before it is created, so the cleanup below can always remove it.
    tmp: Path | None = None
    fd = -1
    try:
        for _attempt in range(10):
            tmp = folder / f".{target.name}.{token_hex(6)}.tmp"
            try:
                fd = os.open(tmp, _TEMP_FLAGS, 0o600)
                break
            except FileExistsError:
                tmp = None  # not ours
            except OSError as exc:
                tmp = None
                raise ExportError(
                    f"cannot create a file in the output folder ({exc.strerror})",
                    file=target,
                    hint="check that the folder is writable",
                ) from None
        else:  # pragma: no cover - ten random-name collisions in a row
            raise ExportError("cannot create a temporary file", file=target)
        try:
            # Closing flushes what is left, and fails again on a full disk: inside the try.
            with os.fdopen(fd, "wb") as handle:
                fd = -1  # now owned by handle
                yield handle
                _finish(handle, tmp, mode)
        except OSError as exc:
            raise write_error(exc, target) from None
        _publish(tmp, target, force=force)
    except BaseException:
        if fd != -1:
            with contextlib.suppress(OSError):
                os.close(fd)
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    _fsync_dir(folder)


_TEMP_FLAGS = (
    os.O_CREAT
    | os.O_EXCL
    | os.O_WRONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


def _finish(handle: BinaryIO, tmp: Path, mode: int) -> None:
    handle.flush()
    # Exactly `mode` whatever the umask, set only once the content is complete.
    if hasattr(os, "fchmod"):
        os.fchmod(handle.fileno(), stat.S_IMODE(mode))
    else:  # pragma: no cover - Windows
        os.chmod(tmp, stat.S_IMODE(mode))
    os.fsync(handle.fileno())


def _publish(tmp: Path, target: Path, *, force: bool) -> None:
    """Move the finished temporary file onto the target (no clobbering without force)."""
    try:
        if force:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # atomic "create only if absent"
        except FileExistsError:
            raise _exists_error(target) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            # File system without hard links (FAT, some network shares): best effort.
            if os.path.lexists(target):
                raise _exists_error(target) from None
            os.replace(tmp, target)
            return
        os.unlink(tmp)
    except ExportError:
        raise
    except OSError as exc:
        raise ExportError(
            f"cannot move the finished export into place ({exc.strerror})",
            file=target,
            hint="check the folder permissions and free space",
        ) from None


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file (kept here for callers of the old name)."""
    from recall_cli.tasks.audit_log import sha256_file as digest

    return digest(path)
