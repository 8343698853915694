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
import hashlib
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from recall_cli.errors import ExportError

if TYPE_CHECKING:  # atomic_output serves the cached `check`, which never imports pandas
    import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "atomic_output",
    "escape_formula",
    "escape_frame",
    "sha256_file",
]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP list, plus LF).
FORMULA_TRIGGERS: frozenset[str] = frozenset({"=", "+", "-", "@", "\t", "\r", "\n"})

# A phone number or a plain number: optional sign, then only ASCII digits, spaces and
# ( ) . / -, with at least one digit. No letters, no quotes, no "!", "|", ":" or "@",
# so no function name, cell reference, DDE link or string can appear in it.
# Written for both Python's re and RE2 (pyarrow-backed string columns use RE2).
_PLAIN_NUMBER = r"[+-]?[0-9 ()./-]*[0-9][0-9 ()./-]*"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)

_CHUNK = 1024 * 1024


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

    Any other value (including one starting with ``'`` or a space) is returned unchanged.
    """
    if value and value[0] in FORMULA_TRIGGERS and not _PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def _escape_series(col: pd.Series) -> tuple[pd.Series, int]:
    """Escape the string cells of one object/string column; (new column, cells changed)."""
    import numpy as np

    try:
        accessor = col.str
    except AttributeError:  # an object column without any string in it
        return col, 0
    first = accessor[:1]
    triggered = np.asarray(first.isin(list(FORMULA_TRIGGERS)), dtype=bool)
    if not triggered.any():
        return col, 0
    # Only the triggered cells (always str: bytes and other objects never match) are looked
    # at again, so the regex runs on a handful of cells, not on the whole column.
    candidates = col[triggered]
    plain = np.asarray(candidates.str.fullmatch(_PLAIN_NUMBER, na=False), dtype=bool)
    to_change = candidates[~plain]
    if to_change.empty:
        return col, 0
    out = col.copy()
    out.loc[to_change.index] = "'" + to_change
    return out, len(to_change)


def _escape_categorical(col: pd.Series) -> tuple[pd.Series, int]:
    """Escape a categorical column through its categories (written as-is by to_csv)."""
    import numpy as np
    import pandas as pd

    categories = col.cat.categories
    if not (
        pd.api.types.is_object_dtype(categories.dtype)
        or pd.api.types.is_string_dtype(categories.dtype)
    ):
        return col, 0
    cats = pd.Series(categories, dtype=categories.dtype)
    new_cats, changed = _escape_series(cats)
    if changed == 0:
        return col, 0
    differs = np.asarray(cats.ne(new_cats), dtype=bool)
    changed_codes = np.flatnonzero(differs)
    cells = int(np.isin(col.cat.codes.to_numpy(), changed_codes).sum())
    if new_cats.is_unique:
        return col.cat.rename_categories(list(new_cats)), cells
    # "=x" and "'=x" both present: categories would collide, fall back to plain strings.
    as_text, _ = _escape_series(col.astype(object))
    return as_text, cells


def escape_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Return a copy of ``df`` with :func:`escape_formula` applied to every string cell.

    Object and string columns are handled (non-string cells in object columns, such as
    numbers, ``None`` or NaN, are left alone), and so are categorical columns with text
    categories. The work is vectorised: a mask on the first character picks the few
    candidate cells, and only those are tested against the phone/number pattern.
    Column labels and the index are not escaped: write with ``index=False`` and use
    the project's own headers.

    Returns ``(new_frame, number_of_cells_changed)``; ``df`` itself is never modified.
    """
    import pandas as pd

    out = df.copy()
    total = 0
    for position in range(out.shape[1]):
        col = out.iloc[:, position]
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            new, changed = _escape_categorical(col)
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            new, changed = _escape_series(col)
        else:
            continue
        if changed:
            out.isetitem(position, new)
            total += changed
    return out, total


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


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str], *, force: bool = False, mode: int = 0o600
) -> Iterator[BinaryIO]:
    """Open an output for writing, all or nothing. Yields a binary file object.

    ``path == "-"`` yields ``sys.stdout.buffer`` (no temporary file, ``mode`` unused; what
    was written before an error cannot be taken back). Otherwise:

    * refuses (:class:`ExportError`) if the target exists and ``force`` is false, if it
      is a folder, or if its parent folder does not exist;
    * writes to a temporary file in the same folder, created with
      ``os.open(O_CREAT | O_EXCL | O_WRONLY, 0o600)``, so nobody else can read it while
      it is being written (the umask can only make it stricter);
    * on a clean exit, flushes, sets exactly ``mode`` with ``fchmod`` (whatever the
      umask), fsyncs and ``os.replace``-s it onto the target. Without ``force`` the final
      step is a hard link, which fails if a file appeared meanwhile;
    * on any exception (including KeyboardInterrupt), removes the temporary file and
      re-raises: no target is created and an existing target stays untouched.
    """
    if str(path) == "-":
        stdout = getattr(sys.stdout, "buffer", None)
        if stdout is None:
            raise ExportError("standard output does not accept bytes", file="-")
        yield stdout
        stdout.flush()
        return

    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ExportError("the output path is a folder", file=target, hint="add a file name")
    if not folder.is_dir():
        raise ExportError(
            "the folder of the output file does not exist",
            file=target,
            hint=f"create {folder} first or choose another output path",
        )
    if not force and os.path.lexists(target):
        raise _exists_error(target)

    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(10):
        tmp = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise ExportError(
                f"cannot create a file in the output folder ({exc.strerror})",
                file=target,
                hint="check that the folder is writable",
            ) from None
    else:  # pragma: no cover - ten random-name collisions in a row
        raise ExportError("cannot create a temporary file", file=target)

    try:
        with os.fdopen(fd, "wb") as handle:
            fd = -1  # now owned by handle
            yield handle
            try:
                handle.flush()
                # Exactly `mode` whatever the umask, set only once the content is complete.
                if hasattr(os, "fchmod"):
                    os.fchmod(handle.fileno(), stat.S_IMODE(mode))
                else:  # pragma: no cover - Windows
                    os.chmod(tmp, stat.S_IMODE(mode))
                os.fsync(handle.fileno())
            except OSError as exc:
                raise ExportError(
                    f"cannot finish writing the export ({exc.strerror})",
                    file=target,
                    hint="check the free space on the disk",
                ) from None
        _publish(tmp, target, force=force)
    except BaseException:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


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
    """Hex SHA-256 of a file, read in 1 MiB chunks. OSError if it cannot be read."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
