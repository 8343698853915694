"""The one way a result leaves the tool: rendered by the registry, written safely, audited.

Every command ends in :func:`deliver`. Whatever the format and wherever it goes:

* the bytes come from :data:`~recall_cli.output.writers.WRITERS` (no command writes its own);
* the target is decided by :func:`~recall_cli.output.safe_write.resolve_target`: a file
  is written atomically with mode 0600 and never overwritten without ``force``; a FIFO
  or character device is written through, never replaced; a symlink is followed only
  with ``force``; an output that is one of the inputs is refused;
* a result that holds patient data gets one audit line (no patient value in it) when it
  leaves the tool: written to a file, a device or FIFO, or to a stdout that is not a
  terminal (a pipe or a redirection is a copy too). A table shown on a terminal is not
  logged: nothing leaves the screen. For a file the line is appended once the file is
  in place (a failed write logs nothing); for a pipe or a device, before writing,
  because what reaches them cannot be taken back. The input files are hashed, and the
  log is checked to be appendable (not a symlink, not another user's), before the
  output is written: an unusable log refuses the export instead of leaving a file
  without its line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recall_cli.errors import ExportError, UsageError
from recall_cli.output.formats import BINARY_FORMATS
from recall_cli.output.rowwriters import WriteOptions
from recall_cli.output.safe_write import FILE, STDOUT, Target, atomic_output, resolve_target
from recall_cli.output.writers import WRITERS, Rendered
from recall_cli.tasks.tables import Result

__all__ = ["AuditInfo", "Delivered", "deliver"]

_PIECE = 1 << 16


@dataclass(frozen=True)
class AuditInfo:
    """What the audit line says about an output that holds patient data."""

    command: str
    kind: str
    scope: Mapping[str, object]
    inputs: Sequence[str | Path]
    log: Path | None = None


@dataclass
class Delivered:
    """Where the result went, what was written (None: shown on a terminal), the log."""

    target: Target
    rendered: Rendered | None = None
    audit_log: Path | None = None

    @property
    def rows(self) -> int:
        return self.rendered.rows if self.rendered else 0

    @property
    def escaped(self) -> int:
        return self.rendered.escaped if self.rendered else 0

    @property
    def notes(self) -> list[str]:
        return self.rendered.notes if self.rendered else []


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _check_log(log: Path | None) -> None:
    from recall_cli.tasks.audit_log import check_audit_log

    try:
        check_audit_log(log)
    except OSError as exc:
        raise ExportError(
            f"the audit log cannot be written ({exc.strerror}); nothing was written",
            file=log,
            hint="check the audit log folder, or set --audit-log / RECALL_AUDIT_LOG",
        ) from None


def _append(entry: Any, log: Path | None) -> Path:
    from recall_cli.tasks.audit_log import append_audit

    try:
        return append_audit(entry, log)
    except OSError as exc:
        raise ExportError(
            f"the audit log could not be appended ({exc.strerror})",
            file=log,
            hint="check the audit log folder, or set --audit-log / RECALL_AUDIT_LOG",
        ) from None


def _entry(audit: AuditInfo, output: str, rows: int) -> Any:
    from recall_cli.tasks.audit_log import make_entry

    try:
        return make_entry(
            command=audit.command, kind=audit.kind, scope=audit.scope,
            inputs=list(dict.fromkeys(str(p) for p in audit.inputs)), output=output, rows=rows,
        )  # fmt: skip
    except OSError as exc:
        raise ExportError(
            f"an input file could not be read again for the audit log ({exc.strerror})"
        ) from None


def deliver(
    result: Result,
    fmt: str,
    output: str,
    *,
    options: WriteOptions | None = None,
    force: bool = False,
    inputs: Sequence[Path] = (),
    audit: AuditInfo | None = None,
    show: Callable[[Any], None] | None = None,
) -> Delivered:
    """Write ``result`` as ``fmt`` to ``output`` (``-`` is stdout); see the module docstring.

    ``show`` prints a renderable in colour: it is used for a table on a terminal.
    ``inputs`` are the files read, which the output must not be.
    """
    target = resolve_target(output, force=force, inputs=inputs)
    terminal = target.kind == STDOUT and _stdout_is_terminal()
    if fmt in BINARY_FORMATS and terminal:
        raise UsageError(f"{fmt} is binary: give -o FILE.{fmt} or pipe stdout to a file")
    if fmt == "table" and terminal and show is not None:
        from recall_cli.output.terminal import render

        show(render(result))
        return Delivered(target)
    entry = None
    log = None
    if audit is not None and not terminal:
        _check_log(audit.log)  # refused before any patient data leaves the tool
    # The temporary file exists (0600) while the result is rendered: a signal or an
    # error at any point removes it, and an existing file stays as it was.
    with atomic_output(output, force=force, inputs=inputs) as stream:
        rendered = WRITERS[fmt](result, options or WriteOptions())
        if audit is not None and not terminal:
            entry = _entry(audit, "-" if target.kind == STDOUT else output, rendered.rows)
        if entry is not None and target.kind != FILE:
            log = _append(entry, audit.log if audit else None)
        # In pieces: a reader that goes away (`| head -1`) is noticed at the next piece.
        view = memoryview(rendered.data)
        for start in range(0, len(view), _PIECE):
            stream.write(view[start : start + _PIECE])
    if entry is not None and target.kind == FILE:
        try:
            log = _append(entry, audit.log if audit else None)
        except ExportError as exc:
            raise ExportError(f"{output} was written but {exc.message}", hint=exc.hint) from None
    return Delivered(target, rendered, log)
