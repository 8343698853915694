"""The `recall` command: parse options, call one library function, print.

Results go to stdout, progress, warnings and counts to stderr. Domain errors
become one line and exit status 1 (2 for usage); `--debug` shows tracebacks.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from . import api
from .errors import RecallError

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    debug: bool = False
    quiet: bool = False
    no_color: bool = False
    _consoles: dict[bool, Any] = field(default_factory=dict)

    def console(self, *, stderr: bool = False) -> Any:
        if stderr not in self._consoles:
            from .report import make_console

            self._consoles[stderr] = make_console(stderr=stderr, no_color=self.no_color)
        return self._consoles[stderr]

    def out(self, renderable: Any) -> None:
        self.console().print(renderable)

    def info(self, renderable: Any) -> None:
        if not self.quiet:
            self.console(stderr=True).print(renderable)

    def warn(self, message: str) -> None:
        if not self.quiet:
            self.console(stderr=True).print(f"[yellow]warning:[/yellow] {message}", markup=True)


pass_app = click.make_pass_decorator(AppContext, ensure=True)


# --- parameter types ---------------------------------------------------------


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2010-11-30", param, ctx)


class ColumnMapping(click.ParamType):
    name = "CANONICAL=HEADER"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, str]:
        from .schema import CANONICAL

        if isinstance(value, tuple):
            return value
        key, sep, header = str(value).partition("=")
        key = key.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not header.strip():
            self.fail(f"{value!r} should look like lot=\"Batch Code\"", param, ctx)
        if key not in CANONICAL:
            self.fail(f"unknown column {key!r}; one of: {', '.join(CANONICAL)}", param, ctx)
        return key, header.strip()


# --- option bundles ------------------------------------------------------------


def _bundle(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(fn: F) -> F:
        for d in reversed(decorators):
            fn = d(fn)
        return fn

    return apply


scope_options = _bundle(
    click.option("--lot", "lots", multiple=True, help="Recalled lot; repeat or comma-separate."),
    click.option(
        "--lots-file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Text file with one lot a line (# comments), or a CSV with a lot column.",
    ),
    click.option("--from", "start", type=IsoDate(), help="First ship date in the recall (inclusive)."),
    click.option("--to", "end", type=IsoDate(), help="Last ship date in the recall (inclusive)."),
    click.option(
        "--country", "countries", multiple=True, help="Only these countries (US, FR, France...)."
    ),
    click.option(
        "--recall",
        "recall_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="recall.toml with name, lots, from, to, countries and data; flags override it.",
    ),
)

input_options = _bundle(
    click.option("--sheet", "sheets", multiple=True, help="Only read sheets with this name."),
    click.option("--encoding", help="CSV encoding (default: detected)."),
    click.option("--delimiter", help="CSV delimiter (default: sniffed from , ; tab |)."),
    click.option(
        "--column",
        "columns",
        multiple=True,
        type=ColumnMapping(),
        help='Map a header by hand, e.g. --column lot="Batch Code". Repeatable.',
    ),
    click.option("--dayfirst", "date_order", flag_value="day-first", help="Read a/b/yyyy as dd/mm."),
    click.option("--monthfirst", "date_order", flag_value="month-first", help="Read a/b/yyyy as mm/dd."),
    click.option(
        "--password",
        envvar="RECALL_PASSWORD",
        help="Password of encrypted workbooks (or set RECALL_PASSWORD).",
    ),
    click.option(
        "--max-unzipped-mb",
        type=click.IntRange(1),
        help="Refuse workbooks that unzip to more than this (default 2048).",
    ),
)


def output_options(formats: tuple[str, ...], default: str) -> Callable[[F], F]:
    return _bundle(
        click.option(
            "--format", "fmt", type=click.Choice(formats), default=default, show_default=True
        ),
        click.option(
            "-o", "--output", default="-", show_default=True, help="Output file; - is stdout."
        ),
        click.option("--force", is_flag=True, help="Overwrite an existing output file."),
    )


paths_argument = click.argument(
    "paths", nargs=-1, type=click.Path(path_type=Path), metavar="PATHS..."
)


def _request(kwargs: dict[str, Any]) -> api.Request:
    """Turn the bundles' options into the library's request object."""
    try:
        return api.Request.from_options(**kwargs)
    except RecallError:
        raise
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


# --- group ---------------------------------------------------------------------


class RecallGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecallError as exc:
            app = ctx.find_object(AppContext) or AppContext()
            if app.debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            app = ctx.find_object(AppContext) or AppContext()
            if app.debug:
                raise
            # The message of an unexpected error may quote a cell: show its type only.
            click.echo(
                f"Error: internal error ({type(exc).__name__}); run again with --debug "
                "for the traceback and report it",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=RecallGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="recall_cli")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, warnings or counts on stderr.")
@click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, no_color: bool) -> None:
    """Find the customers affected by a product recall in shipment spreadsheets.

    Every row read ends in exactly one bucket: matched, not matched, not data,
    or needs review; the counts are checked to add up.
    """
    ctx.obj = AppContext(debug=debug, quiet=quiet, no_color=no_color)


def _emit_rows_line(app: AppContext, summary_rows: dict[str, int]) -> None:
    from .report import bucket_line

    app.info(bucket_line(summary_rows))


def _warnings(app: AppContext, run: api.Run) -> None:
    for message in run.warnings():
        app.warn(message)


def _write_text(output: str, text: str, force: bool) -> None:
    from .safe_write import atomic_output

    with atomic_output(output, force=force) as stream:
        stream.write(text.encode("utf-8"))


# --- commands ------------------------------------------------------------------


@cli.command()
@paths_argument
@scope_options
@input_options
@output_options(("table", "json"), "table")
@pass_app
def summary(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Counts for the regulator: customers, units, shipments by lot and country."""
    run = api.run(_request(kwargs))
    result = api.summarize(run.result)
    _warnings(app, run)
    if fmt == "json":
        _write_text(output, api.dumps(result), force)
    else:
        from .report import summary_view

        _render(app, output, force, summary_view(result, api.units_by_week(run.result)))
    _emit_rows_line(app, result["rows"])


def _render(app: AppContext, output: str, force: bool, renderable: Any) -> None:
    if output == "-":
        app.out(renderable)
        return
    from .report import make_console

    console = make_console(stderr=False, no_color=True)
    with console.capture() as cap:
        console.print(renderable)
    _write_text(output, cap.get(), force)


@cli.command()
@paths_argument
@scope_options
@input_options
@output_options(("table", "csv", "json", "xlsx"), "table")
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option("--no-escape-formulas", is_flag=True, help="Keep cells starting with = + - @.")
@pass_app
def affected(
    app: AppContext, fmt: str, output: str, force: bool, bom: bool, no_escape_formulas: bool,
    **kwargs: Any,
) -> None:  # fmt: skip
    """One row per affected customer, sorted by customer id."""
    run = api.run(_request(kwargs))
    frame = api.affected_table(run.result)
    _warnings(app, run)
    _write_table(app, frame, fmt, output, force, bom=bom, escape=not no_escape_formulas,
                 title="Affected customers")  # fmt: skip
    _emit_rows_line(app, run.result.bucket_counts())


def _write_table(
    app: AppContext, frame: Any, fmt: str, output: str, force: bool, *, title: str,
    bom: bool = False, escape: bool = True,
) -> None:  # fmt: skip
    if fmt == "table":
        from .report import frame_table

        _render(app, output, force, frame_table(frame, title))
        return
    if fmt == "xlsx" and output == "-" and sys.stdout.isatty():
        raise click.UsageError("xlsx is binary: give -o FILE.xlsx or pipe stdout to a file")
    from .export import WriteOptions, write_frame

    written = write_frame(
        frame, output, fmt, WriteOptions(escape_formulas=escape, bom=bom, force=force)
    )
    if written.escaped:
        app.warn(f"{written.escaped} cells starting with = + - @ were prefixed with ' for Excel")
    if output != "-":
        app.info(f"wrote {written.rows:,} rows to {output}")


@cli.command()
@paths_argument
@scope_options
@input_options
@output_options(("table", "csv", "json", "xlsx"), "table")
@pass_app
def review(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Rows that need a person: file, sheet, row (as Excel shows it), raw values, reason."""
    run = api.run(_request(kwargs))
    frame = api.review_table(run.result)
    _warnings(app, run)
    _write_table(app, frame, fmt, output, force, title="Needs review")
    _emit_rows_line(app, run.result.bucket_counts())


@cli.command()
@click.argument("lot")
@paths_argument
@scope_options
@input_options
@output_options(("text", "json"), "text")
@pass_app
def check(app: AppContext, lot: str, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Is LOT recalled, and how much of it shipped inside the scope?"""
    run = api.run(_request(kwargs))
    answer = api.check_lot(run.result, lot)
    if fmt == "json":
        _write_text(output, api.dumps(answer), force)
    else:
        from .report import check_view

        elsewhere = api.lot_in_data(run.result, lot)
        _render(app, output, force, check_view(answer, run.result.scope.to_dict(), elsewhere))


@cli.command()
@click.argument("query")
@paths_argument
@scope_options
@input_options
@output_options(("text", "json"), "text")
@pass_app
def customer(app: AppContext, query: str, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Find customers by id, email, phone digits or part of a name; affected or not."""
    run = api.run(_request(kwargs))
    found = api.find_customers(run.result, query)
    if fmt == "json":
        _write_text(output, api.dumps(api.public_matches(found)), force)
    else:
        from .report import customer_view

        _render(app, output, force, customer_view(found))


@cli.command()
@paths_argument
@input_options
@click.option("--recall", "recall_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the files from this recall.toml.")  # fmt: skip
@output_options(("table", "json"), "table")
@pass_app
def inspect(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """How each file and sheet was read: header, columns, date order, row kinds."""
    request = _request({**kwargs, "lots": (), "lots_file": None, "start": None, "end": None,
                        "countries": (), "need_scope": False})  # fmt: skip
    sources = api.inspect(request)
    if fmt == "json":
        _write_text(output, api.dumps(sources), force)
    else:
        from .report import inspect_view

        _render(app, output, force, inspect_view(sources))


def main() -> None:  # pragma: no cover - console entry for python -m
    cli(prog_name="recall")


__all__ = ["cli", "main"]
_ = (functools, json)
