"""Handing a command's result to the output layer, and its messages to stderr."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recall_cli.cli.app import AppContext
from recall_cli.cli.params import OutputPlan
from recall_cli.query import run as api
from recall_cli.words import plural

if TYPE_CHECKING:
    from recall_cli.output.deliver import Delivered
    from recall_cli.query.result import RecallResult
    from recall_cli.query.tally import Tally
    from recall_cli.tasks.tables import Result


def _emit_rows_line(
    app: AppContext, summary_rows: dict[str, int], not_read: list[dict[str, str]] | None,
    tally: Tally,
) -> None:  # fmt: skip
    from recall_cli.output.terminal import bucket_line
    from recall_cli.query.reading import in_doubt

    duplicates = tally.files_duplicate()
    copies = tally.lines_duplicate()
    line = bucket_line(summary_rows, not_read or [], duplicates, copies)
    if not_read or in_doubt(copies):
        # Files left out with --skip-unreadable, lines maybe counted twice: said even with -q.
        app.console(stderr=True).print(line)
    else:
        app.info(line)


def _warnings(app: AppContext, run: api.Run | Tally) -> None:
    if app.quiet:
        return  # some warnings cost a pass over the data: skip what nobody will see
    for message in run.warnings():
        app.warn(message)


def read_files(run: api.Run | Tally | RecallResult) -> list[str]:
    """The data files a run read (for the audit line and the output-is-an-input check)."""
    sources = getattr(run, "sources", None)
    if sources is None:
        sources = run.shipments.sources  # type: ignore[union-attr]
    files = [s["file"] if isinstance(s, dict) else s.file for s in sources]
    return list(dict.fromkeys(files))


def request_files(request: api.Request) -> list[str]:
    """The data files a request names, folders expanded (the cached path keeps no list)."""
    from recall_cli.read.load import discover

    return [str(p) for p in discover(request.paths)]


def _param_files(ctx: click.Context) -> list[Path]:
    """Every file the command was given (recall.toml, responses, lists...)."""
    out: list[Path] = []
    for value in ctx.params.values():
        items = value if isinstance(value, tuple | list) else (value,)
        out.extend(v for v in items if isinstance(v, Path) and v.is_file())
    return out


def emit(
    app: AppContext,
    plan: OutputPlan,
    result: Result,
    *,
    files: Sequence[str] = (),
    scope: dict[str, Any] | None = None,
    kind: str = "",
    audit_log: Path | None = None,
    output: str | None = None,
    fmt: str | None = None,
    quiet_rows: bool = False,
) -> Delivered:
    """Write ``result`` through the one output path; with ``scope`` it holds patient data
    and is audited (``files`` are the data files read)."""
    from recall_cli.output.deliver import AuditInfo, deliver
    from recall_cli.output.safe_write import STDOUT

    ctx = click.get_current_context()
    inputs = [*(Path(f) for f in files), *_param_files(ctx)]
    audit = None
    if scope is not None:
        command = plan.command.split(" ")[0]
        audit = AuditInfo(command, kind or command, scope, list(files), audit_log)
    target = output if output is not None else plan.output
    done = deliver(result, fmt or plan.fmt, target, options=plan.options, force=plan.force,
                   inputs=inputs, audit=audit, show=app.out)  # fmt: skip
    if done.escaped:
        were = "was" if done.escaped == 1 else "were"
        app.warn(f"{plural(done.escaped, 'cell')} starting with = + - @ tab or CR {were} "
                 "prefixed with ' so that spreadsheets show them as text")  # fmt: skip
    for note in done.notes:
        app.warn(note)
    if done.target.kind != STDOUT and not quiet_rows:
        app.info(f"wrote {plural(done.rows, 'row')} to {target}")
    return done
