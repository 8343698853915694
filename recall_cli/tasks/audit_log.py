"""The audit log: one JSON line per export, saying who exported what, from which files.

The log answers "which patient list left this machine, when, by whom, from which input
files (by hash) and for which recall scope". It never holds patient data: an entry has
no free-form field, its scope only accepts known keys (lots, dates, countries, recall
name) with plain scalar values, and inputs are paths, hashes and sizes.

The log lives in ``$RECALL_AUDIT_LOG`` if set, else in the user data folder
(``platformdirs.user_data_path("recall_cli") / "audit.jsonl"``). Its folder is created
with mode 0700 and the file with mode 0600.

No click and no rich here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import operator
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from recall_cli.cache.folders import make_private_dirs
from recall_cli.errors import ExportError, InputFileError
from recall_cli.read import stamps

__all__ = [
    "AUDIT_ENV",
    "SCOPE_KEYS",
    "AuditEntry",
    "append_audit",
    "default_audit_path",
    "make_entry",
    "read_audit",
]

AUDIT_ENV = "RECALL_AUDIT_LOG"

#: The only keys a scope may have. Values: lot codes, dates, country codes, a recall name
#: or the recall file path -- never patient data.
SCOPE_KEYS: frozenset[str] = frozenset(
    {"name", "lots", "from", "to", "countries", "recall", "recall_name", "recall_file"}
)

_INPUT_KEYS = frozenset({"path", "sha256", "size"})
_Scalar = str | int | float | bool | None


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file: the one content hash, computed once per version of the file
    (read.identity: the cache key and the duplicate check use it too). OSError if it
    cannot be read."""
    from recall_cli.read.identity import sha256_file as digest

    return digest(path)


def default_audit_path() -> Path:
    """``$RECALL_AUDIT_LOG`` if set (and not empty), else the user data folder's audit.jsonl."""
    env = os.environ.get(AUDIT_ENV)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_data_path("recall_cli") / "audit.jsonl"


def _now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers)
        getuid = getattr(os, "getuid", None)
        return str(getuid()) if getuid is not None else "unknown"


def _tool_version() -> str:
    from recall_cli.version import __version__

    return __version__


def _scalar(value: object, where: str) -> _Scalar:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date):  # date and datetime
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)  # type: ignore[no-any-return]
    raise TypeError(f"audit {where}: unsupported value type {type(value).__name__}")


def _normalise_scope(scope: Mapping[str, object]) -> dict[str, _Scalar | list[_Scalar]]:
    unknown = set(scope) - SCOPE_KEYS
    if unknown:
        raise ValueError(
            f"audit scope: unknown keys {sorted(unknown)}; allowed: {sorted(SCOPE_KEYS)}"
        )
    out: dict[str, _Scalar | list[_Scalar]] = {}
    for key, value in scope.items():
        if isinstance(value, list | tuple):
            out[key] = [_scalar(v, f"scope[{key!r}]") for v in value]
        elif isinstance(value, set | frozenset):
            out[key] = sorted((_scalar(v, f"scope[{key!r}]") for v in value), key=str)
        else:
            out[key] = _scalar(value, f"scope[{key!r}]")
    return out


def _normalise_inputs(inputs: Iterable[Mapping[str, object]]) -> list[dict[str, _Scalar]]:
    out: list[dict[str, _Scalar]] = []
    for item in inputs:
        unknown = set(item) - _INPUT_KEYS
        if unknown:
            raise ValueError(f"audit input: unknown keys {sorted(unknown)}")
        out.append({key: _scalar(value, f"input[{key!r}]") for key, value in item.items()})
    return out


@dataclass(frozen=True)
class AuditEntry:
    """One export. ``scope`` and ``inputs`` are checked and normalised on creation.

    ``scope``: keys from :data:`SCOPE_KEYS`, values scalars or lists of scalars (dates become
    ISO strings, sets become sorted lists). ``inputs``: ``{"path", "sha256", "size"}`` dicts.
    ``output``: the output path, or ``"-"`` for standard output. ``rows``: rows exported.
    ``customer_id`` and ``agent`` are set by a reveal in ``recall serve`` only (which
    customer's contact details were shown, and the name given with ``--agent``); the
    line then has them, and never the details themselves. ``customer_ids`` are the
    customers a ``recall serve`` answer showed (a search, a lot's rows): ids only,
    never the query typed (a name, a phone number) nor what was shown.
    """

    command: str
    kind: str
    scope: dict[str, Any]
    inputs: list[dict[str, Any]]
    output: str
    rows: int
    time_utc: str = field(default_factory=_now_utc)
    user: str = field(default_factory=_current_user)
    tool_version: str = field(default_factory=_tool_version)
    customer_id: str | None = None
    agent: str | None = None
    customer_ids: list[str] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", _normalise_scope(self.scope))
        object.__setattr__(self, "inputs", _normalise_inputs(self.inputs))
        object.__setattr__(self, "output", os.fspath(self.output))
        if isinstance(self.rows, bool):
            raise TypeError("audit rows must be an int")
        rows = operator.index(self.rows)  # accepts numpy integers too
        if rows < 0:
            raise ValueError("audit rows must not be negative")
        object.__setattr__(self, "rows", rows)
        for name in ("customer_id", "agent"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"audit {name} must be text")
        if self.customer_ids is not None:
            if not all(isinstance(i, str) for i in self.customer_ids):
                raise TypeError("audit customer_ids must be a list of text")
            object.__setattr__(self, "customer_ids", list(self.customer_ids))

    def to_json(self) -> str:
        """The entry as one JSON line, without the trailing newline (and without the
        reveal's keys on other lines)."""
        record = dataclasses.asdict(self)
        for name in ("customer_id", "agent", "customer_ids"):
            if record[name] is None:
                del record[name]
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def make_entry(
    *,
    command: str,
    kind: str,
    scope: Mapping[str, object],
    inputs: Iterable[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    rows: int,
) -> AuditEntry:
    """Build an entry, hashing each input file (absolute path, sha256, size).

    ``output`` is recorded as an absolute path, or ``"-"`` for standard output.
    Raises OSError if an input cannot be read.
    """
    records: list[dict[str, Any]] = []
    for item in inputs:
        absolute = os.path.abspath(item)
        _unchanged_since_read(absolute)
        digest = sha256_file(absolute)
        _unchanged_since_read(absolute)  # the hash is of the bytes that were read
        records.append({"path": absolute, "sha256": digest, "size": os.path.getsize(absolute)})
    out = os.fspath(output)
    return AuditEntry(
        command=command,
        kind=kind,
        scope=dict(scope),
        inputs=records,
        output=out if out == "-" else os.path.abspath(out),
        rows=rows,
    )


def _unchanged_since_read(path: str) -> None:
    if stamps.changed(path):
        raise InputFileError(
            "changed after it was read: the output would not be what the audit line "
            "records, so nothing was written",
            file=path,
            hint="wait until the file is saved, then run the command again",
        )


def _ensure_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    make_private_dirs(folder)  # each folder made is 0700, whatever the umask


def _refuse(log: Path, problem: str) -> ExportError:
    return ExportError(
        f"the audit log {problem}; refusing to write to it",
        file=log,
        hint="point --audit-log / RECALL_AUDIT_LOG at a regular file of your own",
    )


def _refuse_foreign(log: Path, st: os.stat_result) -> None:
    """A log that is not a regular file of this user is never appended to."""
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(log, "is not a regular file")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise _refuse(log, "is owned by another user")


def _open_log(log: Path, flags: int) -> int:
    """The log opened for appending: a new file 0600, or an existing one of ours set to 0600.

    A symbolic link is never followed (it could point at any file the user can
    write), and a file another user owns is not appended to.
    """
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(log, flags | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if log.is_symlink():
            raise _refuse(log, "is a symbolic link") from None
        fd = os.open(log, flags)
    try:
        st = os.fstat(fd)
        _refuse_foreign(log, st)
        if hasattr(os, "fchmod") and stat.S_IMODE(st.st_mode) != 0o600:
            os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask or an older mode
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_audit_log(path: Path | None = None) -> Path:
    """Refuse now, before an output is written, an audit log that could not be appended.

    The same refusals as :func:`append_audit` (a symbolic link, not a regular file,
    another user's file, a folder that cannot be written), so that a file of patient
    data is never left on disk without its audit line. Nothing is created here.
    """
    log = Path(path) if path is not None else default_audit_path()
    try:
        st = os.lstat(log)
    except FileNotFoundError:
        folder = next((p for p in (log.parent, *log.parent.parents) if p.exists()), None)
        if folder is not None and not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
            raise _refuse(log, f"cannot be created in {folder}") from None
        return log
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(log, "is a symbolic link")
    _refuse_foreign(log, st)
    if not os.access(log, os.W_OK):
        raise _refuse(log, "cannot be written")
    return log


def append_audit(entry: AuditEntry, path: Path | None = None) -> Path:
    """Append ``entry`` as one JSON line to the audit log; return the log's path.

    Creates the folder (0700) and the file (0600) if needed. The line is written with a
    single ``write`` on an ``O_APPEND`` descriptor and fsynced. If the file ends with a
    partial line (a crash mid-write), a newline is added first so the new entry stays
    readable.
    """
    log = Path(path) if path is not None else default_audit_path()
    _ensure_folder(log.parent)
    base = os.O_RDWR | os.O_APPEND | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = _open_log(log, base)
    try:
        data = (entry.to_json() + "\n").encode("utf-8")
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return log


def read_audit(path: Path | None = None) -> list[dict[str, Any]]:
    """All entries of the audit log, oldest first; ``[]`` if there is no log yet.

    A line that is not a JSON object (damaged, truncated) comes back as
    ``{"error": "unreadable line N"}`` (N counts from 1); blank lines are skipped.
    """
    log = Path(path) if path is not None else default_audit_path()
    try:
        raw = log.read_bytes()
    except FileNotFoundError:
        return []
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            value = None
        if isinstance(value, dict):
            entries.append(value)
        else:
            entries.append({"error": f"unreadable line {number}"})
    return entries
