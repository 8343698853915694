"""Writing a command's result to stdout or -o, and its messages to stderr."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from recall_cli.cli.app import AppContext
from recall_cli.query import run as api

if TYPE_CHECKING:
    from recall_cli.query.tally import Tally


def _emit_rows_line(
    app: AppContext, summary_rows: dict[str, int], not_read: list[dict[str, str]] | None = None
) -> None:
    from recall_cli.output.terminal import bucket_line

    line = bucket_line(summary_rows, not_read or [])
    if not_read:  # files left out with --skip-unreadable: said even with -q
        app.console(stderr=True).print(line)
    else:
        app.info(line)


def _warnings(app: AppContext, run: api.Run | Tally) -> None:
    if app.quiet:
        return  # some warnings cost a pass over the data: skip what nobody will see
    for message in run.warnings():
        app.warn(message)


def _write_text(output: str, text: str, force: bool) -> None:
    from recall_cli.output.safe_write import atomic_output

    with atomic_output(output, force=force) as stream:
        stream.write(text.encode("utf-8"))


def _render(app: AppContext, output: str, force: bool, renderable: Any) -> None:
    if output == "-":
        app.out(renderable)
        return
    from recall_cli.output.terminal import make_console

    console = make_console(stderr=False, no_color=True)
    with console.capture() as cap:
        console.print(renderable)
    _write_text(output, cap.get(), force)


def _write_table(
    app: AppContext, frame: Any, fmt: str, output: str, force: bool, *, title: str,
    bom: bool = False, escape: bool = True,
) -> None:  # fmt: skip
    if fmt != "xlsx":
        from recall_cli.output.frames import frame_rows

        _write_rows(app, *frame_rows(frame), fmt, output, force, title=title, bom=bom,
                    escape=escape)  # fmt: skip
        return
    if output == "-" and sys.stdout.isatty():
        raise click.UsageError("xlsx is binary: give -o FILE.xlsx or pipe stdout to a file")
    from recall_cli.output.frames import WriteOptions, write_frame

    options = WriteOptions(escape_formulas=escape, bom=bom, force=force)
    _report_written(app, write_frame(frame, output, fmt, options), output)


def _write_rows(
    app: AppContext, columns: list[str], rows: list[list[Any]], fmt: str, output: str,
    force: bool, *, title: str, bom: bool = False, escape: bool = True,
) -> None:  # fmt: skip
    """A table as a rich table, CSV or JSON (rowwriters: no pandas needed)."""
    if fmt == "table":
        from recall_cli.output.terminal import rows_table

        _render(app, output, force, rows_table(columns, rows, title))
        return
    from recall_cli.output.rowwriters import ROW_WRITERS, WriteOptions, Written
    from recall_cli.output.safe_write import atomic_output

    options = WriteOptions(escape_formulas=escape, bom=bom, force=force)
    with atomic_output(output, force=force) as stream:
        escaped = ROW_WRITERS[fmt](columns, rows, stream, options)
        stream.flush()
    _report_written(app, Written(output, len(rows), escaped), output)


def _report_written(app: AppContext, written: Any, output: str) -> None:
    if written.escaped:
        app.warn(f"{written.escaped} cells starting with = + - @ were prefixed with ' for Excel")
    if output != "-":
        app.info(f"wrote {written.rows:,} rows to {output}")
