"""The `recall` command: parse options, call one library function, print.

Results go to stdout, progress, warnings and counts to stderr. Domain errors
become one line and exit status 1 (2 for usage); `--debug` shows tracebacks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from recall_cli.errors import RecallError
from recall_cli.query import run as api

if TYPE_CHECKING:
    from recall_cli.query.tally import Tally

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    debug: bool = False
    quiet: bool = False
    no_color: bool = False
    _consoles: dict[bool, Any] = field(default_factory=dict)

    def console(self, *, stderr: bool = False) -> Any:
        if stderr not in self._consoles:
            from recall_cli.output.terminal import make_console

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
            self.fail(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2010-11-30", param, ctx
            )


class ColumnMapping(click.ParamType):
    name = "CANONICAL=HEADER"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, str]:
        from recall_cli.normalize.columns import CANONICAL

        if isinstance(value, tuple):
            return value
        key, sep, header = str(value).partition("=")
        key = key.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not header.strip():
            self.fail(f'{value!r} should look like lot="Batch Code"', param, ctx)
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
    click.option(
        "--from", "start", type=IsoDate(), help="First ship date in the recall (inclusive)."
    ),
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
    click.option("--dayfirst", is_flag=True, help="Read a/b/yyyy as dd/mm."),
    click.option("--monthfirst", is_flag=True, help="Read a/b/yyyy as mm/dd."),
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
    click.option(
        "--no-cache",
        is_flag=True,
        help="Neither read nor write the cache of normalised rows (see `recall cache info`).",
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


# PATHS plus the scope and reading options: what every question about shipments takes.
shipment_inputs = _bundle(paths_argument, scope_options, input_options)


def _request(kwargs: dict[str, Any]) -> api.Request:
    """Turn the bundles' options into the library's request object."""
    try:
        return api.Request.from_options(**{"progress": _load_progress(), **kwargs})
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
    prefer_system_allocator()


def prefer_system_allocator() -> None:
    """Arrow allocates with the C library's malloc, unless ARROW_DEFAULT_MEMORY_POOL is set.

    Normalising is mostly fresh memory. pyarrow's default allocator, mimalloc,
    took about three times as long as malloc to fault fresh memory in on the
    bench machine (14 string casts of a million rows: 166 ms against 49 ms), and
    normalising a million rows took 1.0-1.1 s instead of 0.6 s. Before pyarrow
    is imported the variable is enough (it is read on first use), and importing
    pyarrow here would delay the decode.
    """
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    else:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"


def _emit_rows_line(app: AppContext, summary_rows: dict[str, int]) -> None:
    from recall_cli.output.terminal import bucket_line

    app.info(bucket_line(summary_rows))


def _warnings(app: AppContext, run: api.Run | Tally) -> None:
    if app.quiet:
        return  # some warnings cost a pass over the data: skip what nobody will see
    for message in run.warnings():
        app.warn(message)


def _write_text(output: str, text: str, force: bool) -> None:
    from recall_cli.output.safe_write import atomic_output

    with atomic_output(output, force=force) as stream:
        stream.write(text.encode("utf-8"))


# --- commands ------------------------------------------------------------------

# Kept in sync with support.AFFECTED / NOT_AFFECTED / NOT_FOUND (a test checks it);
# spelled out here so `--help` does not import pandas.
SUPPORT_EXIT_HELP = (
    "Exit status: 0 affected (check: the lot is on the recall list, even with no "
    "shipment inside the scope); 3 not affected; 4 no customer matches (customer); "
    "1 error; 2 usage error."
)


@cli.command()
@shipment_inputs
@output_options(("table", "json"), "table")
@pass_app
def summary(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Counts for the regulator: customers, units, shipments by lot and country."""
    from recall_cli.query import cached as quick

    tally = quick.tallied(_request(kwargs))
    result = tally.summary()
    _warnings(app, tally)
    if fmt == "json":
        _write_text(output, api.dumps(result), force)
    else:
        from recall_cli.output.terminal import summary_view

        _render(app, output, force, summary_view(result, tally.units_by_week()))
    _emit_rows_line(app, result["rows"])


def _render(app: AppContext, output: str, force: bool, renderable: Any) -> None:
    if output == "-":
        app.out(renderable)
        return
    from recall_cli.output.terminal import make_console

    console = make_console(stderr=False, no_color=True)
    with console.capture() as cap:
        console.print(renderable)
    _write_text(output, cap.get(), force)


@cli.command()
@shipment_inputs
@output_options(("table", "csv", "json", "xlsx"), "table")
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option("--no-escape-formulas", is_flag=True, help="Keep cells starting with = + - @.")
@click.option(
    "--exclude-notified", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Leave out customers in this earlier export (customer_id column) or id list.",
)  # fmt: skip
@pass_app
def affected(
    app: AppContext, fmt: str, output: str, force: bool, bom: bool, no_escape_formulas: bool,
    exclude_notified: Path | None, **kwargs: Any,
) -> None:  # fmt: skip
    """One row per affected customer, sorted by customer id."""
    request = _request(kwargs)
    escape = not no_escape_formulas
    if exclude_notified is None and fmt != "xlsx":
        from recall_cli.query import cached as quick

        tally = quick.tallied(request)  # from the cache without pandas when it can be
        _warnings(app, tally)
        columns, rows = tally.affected_rows()
        _write_rows(app, columns, rows, fmt, output, force, bom=bom, escape=escape,
                    title="Affected customers")  # fmt: skip
        _emit_rows_line(app, tally.bucket_counts())
        return
    from recall_cli.tasks.scope_diff import affected_excluding

    run = api.run(request)
    frame, excluded = affected_excluding(run.result, exclude_notified)
    _warnings(app, run)
    if exclude_notified is not None:
        app.info(f"left out {excluded:,} customers already notified; {len(frame):,} remain")
    _write_table(app, frame, fmt, output, force, bom=bom, escape=escape,
                 title="Affected customers")  # fmt: skip
    _emit_rows_line(app, run.result.bucket_counts())


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


@cli.command()
@shipment_inputs
@output_options(("table", "csv", "json", "xlsx"), "table")
@pass_app
def review(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Rows that need a person: file, sheet, row (as Excel shows it), raw values, reason."""
    run = api.run(_request(kwargs))
    frame = api.review_table(run.result)
    _warnings(app, run)
    _write_table(app, frame, fmt, output, force, title="Needs review")
    _emit_rows_line(app, run.result.bucket_counts())


@cli.command(epilog=SUPPORT_EXIT_HELP)
@click.argument("code", metavar="CODE")
@shipment_inputs
@output_options(("text", "json"), "text")
@click.option(
    "--show-rows", is_flag=True, help="List file, sheet and Excel row of each shipment of the lot."
)
@pass_app
def check(
    app: AppContext, code: str, fmt: str, output: str, force: bool, show_rows: bool, **kwargs: Any
) -> None:  # fmt: skip
    """Is CODE recalled, and how much of it shipped inside the scope?

    CODE is a lot as printed on the box, or a scanned GS1/UDI barcode: with
    parentheses, without them (GS/FNC1 after variable-length fields), or a GS1
    Digital Link URL. An unknown lot gets did-you-mean suggestions.
    """
    from recall_cli.query import cached as quick
    from recall_cli.tasks import support

    rows = quick.classified(_request(kwargs))
    found = support.check_code(rows, code, show_rows=show_rows)
    if fmt == "json":
        _write_text(output, api.dumps(found.answer), force)
    else:
        from recall_cli.output.terminal import check_view

        scope = rows.scope.to_dict()
        _render(app, output, force, check_view(found.answer, scope, found.in_data))
    click.get_current_context().exit(found.exit_status)


@cli.command(epilog=SUPPORT_EXIT_HELP)
@click.argument("query")
@shipment_inputs
@output_options(("text", "json"), "text")
@click.option("--reveal", is_flag=True, help="Show email, phone and street address unmasked.")
@pass_app
def customer(
    app: AppContext, query: str, fmt: str, output: str, force: bool, reveal: bool, **kwargs: Any
) -> None:  # fmt: skip
    """Find customers by id, email, phone digits or part of a name; affected or not.

    Email, phone and street address are masked (j***@example.com, ***-1018)
    unless --reveal; the verdict and the lots are always shown. JSON never
    carries contact details.
    """
    from recall_cli.query import cached as quick
    from recall_cli.tasks import support

    found = support.customer_lookup(quick.classified(_request(kwargs)), query, reveal=reveal)
    if fmt == "json":
        _write_text(output, api.dumps(api.public_matches(found)), force)
    else:
        from recall_cli.output.terminal import customer_view

        _render(app, output, force, customer_view(found))
    click.get_current_context().exit(support.customer_exit_status(found))


@cli.command()
@shipment_inputs
@output_options(("table", "json"), "table")
@pass_app
def inspect(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """How each file and sheet was read: header, columns, date order, row kinds.

    With a recall scope (--lot or --recall), also the rows in each bucket.
    """
    request = _request({**kwargs, "need_scope": False})
    sources = api.inspect(request)
    if fmt == "json":
        _write_text(output, api.dumps(sources), force)
    else:
        from recall_cli.output.terminal import inspect_view

        _render(app, output, force, inspect_view(sources))


# --- Support desk: answer 'is my lot affected?' from a typed or scanned code ---


@cli.command()
@shipment_inputs
@click.option("--reveal", is_flag=True, help="Show email, phone and street address unmasked.")
@pass_app
def shell(app: AppContext, reveal: bool, **kwargs: Any) -> None:
    """Load the data once, then answer `check CODE`, `customer QUERY` or a bare code
    typed at a prompt (history for the session only), or one a line from piped input."""
    from recall_cli.cli.shell import read_lines, run_shell
    from recall_cli.query.lookup import Classified

    # A session: the full run's warnings are worth the second it costs.
    run = api.run(_request(kwargs))
    _warnings(app, run)
    rows = Classified.from_result(run.result)
    stdin = sys.stdin
    interactive = stdin.isatty()
    if interactive:
        app.info("ready: type help, or quit")
    answered = run_shell(rows, read_lines(stdin, interactive=interactive), app.out,
                         lambda message: click.echo(f"Error: {message}", err=True),
                         reveal=reveal)  # fmt: skip
    app.info(f"{answered:,} answers")


# --- Campaign exports: email, letters, doctors, replacements and the recall workbook ---


def _swap_option(
    bundle: Callable[[F], F], name: str, replacement: Callable[[F], F]
) -> Callable[[F], F]:
    """The bundle with its option `name` replaced: export's --delimiter is the output's."""

    def apply(fn: F) -> F:
        fn = bundle(fn)
        params = fn.__click_params__  # type: ignore[attr-defined]
        fn.__click_params__ = [p for p in params if p.name != name]  # type: ignore[attr-defined]
        return replacement(fn)

    return apply


def _audit_option(fn: F) -> F:
    return click.option(
        "--audit-log",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Audit log file (default: $RECALL_AUDIT_LOG, else the user data folder).",
    )(fn)


# campaign.KINDS, spelled out so building the CLI does not import pandas (a test
# checks they agree).
EXPORT_KINDS = ("email", "fda-806", "fda-806-totals", "fsma", "hcp", "postal", "replacements",
                "workbook")  # fmt: skip


@cli.command(name="export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS), metavar="KIND")
@paths_argument
@scope_options
@_swap_option(
    input_options,
    "delimiter",
    click.option("--input-delimiter", "delimiter", help="CSV input delimiter (default: sniffed)."),
)
@output_options(("csv", "xlsx", "json"), "csv")
@click.option(
    "--all",
    "all_postal",
    is_flag=True,
    help="postal: every affected customer with an address, emailed or not.",
)
@click.option("--with-patients", is_flag=True, help="hcp: add the patients' names and ids.")
@click.option("--ship-from", help="fsma: ship-from location for rows without a ship-from column.")
@click.option(
    "--domestic",
    default="US",
    show_default=True,
    help="fda-806: the country counted as domestic; the others are foreign.",
)
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option(
    "--delimiter",
    "out_delimiter",
    default=",",
    show_default=True,
    help="CSV output delimiter; ';' for European Excel.",
)
@click.option("--no-escape-formulas", is_flag=True, help="Keep cells starting with = + - @.")
@_audit_option
@click.pass_context
def export_command(
    ctx: click.Context, kind: str, fmt: str, output: str, force: bool, all_postal: bool,
    with_patients: bool, bom: bool, out_delimiter: str, no_escape_formulas: bool,
    audit_log: Path | None, ship_from: str | None, domestic: str, **kwargs: Any,
) -> None:  # fmt: skip
    """Write one campaign or regulator file.

    KIND: email, postal (letters), hcp (doctors), replacements (courier), workbook
    (xlsx for the quality team), or a regulator report (fda-806, fda-806-totals, fsma).

    Without --format, the format follows the -o suffix (.csv, .xlsx, .json), else
    csv (xlsx for workbook). Every export is written atomically with mode 0600, never
    overwrites without --force, and appends one line (no patient data) to the audit log.
    """
    from recall_cli.output.frames import WriteOptions
    from recall_cli.tasks import campaign

    app = ctx.find_object(AppContext) or AppContext()
    out_delimiter = {"tab": "\t", "\\t": "\t"}.get(out_delimiter, out_delimiter)
    if len(out_delimiter) != 1:
        raise click.BadParameter("one character (or 'tab')", param_hint="--delimiter")
    defaulted = ctx.get_parameter_source("fmt") == click.core.ParameterSource.DEFAULT
    requested = None if defaulted else fmt
    chosen = campaign.pick_format(kind, requested, output)
    if chosen == "xlsx" and output == "-" and sys.stdout.isatty():
        raise click.UsageError("xlsx is binary: give -o FILE.xlsx or pipe stdout to a file")
    run = api.run(_request(kwargs))
    _warnings(app, run)
    done = campaign.export(
        run, kind, output, fmt=chosen,
        params=campaign.Params(all_postal=all_postal, with_patients=with_patients,
                               ship_from=ship_from, domestic=domestic),
        options=WriteOptions(escape_formulas=not no_escape_formulas, bom=bom,
                             delimiter=out_delimiter, force=force),
        audit_log=audit_log,
    )  # fmt: skip
    if done.escaped:
        app.warn(f"{done.escaped:,} cells starting with = + - @ tab or CR were prefixed with '")
    for note in done.notes:
        app.warn(note)
    where = "stdout" if output == "-" else output
    if not app.quiet:  # plain echo: one line, never wrapped, no markup in paths
        click.echo(f"{kind}: {done.rows:,} rows to {where}; channels: {done.channels.line()}",
                   err=True)  # fmt: skip


@cli.command(name="audit")
@_audit_option
@output_options(("table", "json"), "table")
@pass_app
def audit_command(
    app: AppContext, audit_log: Path | None, fmt: str, output: str, force: bool
) -> None:
    """Print the export audit log: who exported what, when, from which files."""
    from recall_cli.tasks.audit_log import default_audit_path, read_audit
    from recall_cli.tasks.campaign import audit_table

    log = audit_log or default_audit_path()
    entries = read_audit(log)
    if fmt == "json":
        _write_text(output, api.dumps(entries), force)
    else:
        from recall_cli.output.terminal import frame_table

        _render(app, output, force, frame_table(audit_table(entries), "Audit log"))
    app.info(f"{len(entries):,} entries in {log}")


# --- When the recall grows, and what the regulator asks for ---


_recall_toml = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.command()
@paths_argument
@click.option("--before", required=True, type=_recall_toml, help="The recall.toml as first sent.")
@click.option(
    "--after", required=True, type=_recall_toml,
    help="The amended recall.toml; its data files are read when no PATHS are given.",
)  # fmt: skip
@input_options
@output_options(("table", "json", "csv", "xlsx"), "table")
@click.option(
    "--list", "which", type=click.Choice(("added", "removed", "unchanged")), default="added",
    show_default=True, help="The list shown or written (csv, xlsx).",
)  # fmt: skip
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@pass_app
def diff(
    app: AppContext, before: Path, after: Path, which: str, fmt: str, output: str, force: bool,
    bom: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Customers newly affected, no longer affected and unchanged between two recall files.

    Both scopes are applied to one read of the data. Send first letters to the
    `added` list (21 CFR 806.10(d): amended report within 10 working days).
    """
    from recall_cli.tasks.scope_diff import compare_scopes

    request = _request({**kwargs, "recall_file": after, "lots": (), "lots_file": None,
                        "start": None, "end": None, "countries": ()})  # fmt: skip
    changed = compare_scopes(before, request)
    counts = changed.counts()
    if fmt == "json":
        _write_text(output, api.dumps(changed.to_json()), force)
    elif fmt == "table":
        from recall_cli.output.terminal import diff_view, scope_line

        caption = (f"before: {scope_line(changed.before.scope.to_dict())}\n"
                   f"after:  {scope_line(changed.after.scope.to_dict())}")  # fmt: skip
        _render(app, output, force, diff_view(counts, changed.lists[which], which, caption))
    else:
        _write_table(app, changed.lists[which], fmt, output, force, bom=bom,
                     title=f"Customers {which}")  # fmt: skip
    app.info(", ".join(f"{k} {v:,}" for k, v in counts.items()))


@cli.command(name="audit-scope")
@shipment_inputs
@output_options(("table", "json"), "table")
@pass_app
def audit_scope_command(app: AppContext, fmt: str, output: str, force: bool, **kwargs: Any) -> None:
    """Is the scope safe? Recalled lots shipped outside the window, look-alike lots
    inside it, and recalled lots that never appear in the data."""
    from recall_cli.tasks.scope_audit import audit_scope

    run = api.run(_request(kwargs))
    audit = audit_scope(run.result)
    _warnings(app, run)
    if fmt == "json":
        _write_text(output, api.dumps(audit.to_json()), force)
    else:
        from recall_cli.output.terminal import scope_audit_view

        view = scope_audit_view(audit.to_json(), audit.weeks, audit.suggestions, audit.scope)
        _render(app, output, force, view)
    if audit.missing_lots:
        app.warn(f"{len(audit.missing_lots)} recalled lots never appear in the data: "
                 + ", ".join(audit.missing_lots))  # fmt: skip


@cli.command()
@shipment_inputs
@output_options(("csv", "json", "table", "xlsx"), "csv")
@click.option(
    "--level", required=True, type=click.Choice(("A", "B", "C", "D", "E"), case_sensitive=False),
    help="A 100%, B --percent, C 10%, D 2%, E none (21 CFR 7.42).",
)  # fmt: skip
@click.option("--percent", type=float, help="Level B only: a share strictly between 10 and 100.")
@click.option("--seed", type=click.IntRange(0), help="Draw the same customers again.")
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@pass_app
def sample(
    app: AppContext, level: str, percent: float | None, seed: int | None, fmt: str, output: str,
    force: bool, bom: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Customers for an effectiveness check, stratified by country, one row each."""
    from recall_cli.tasks.effectiveness import level_percent, sample_customers

    level_percent(level, percent)  # a wrong level or percent fails before any file is read
    run = api.run(_request(kwargs))
    drawn, used, share = sample_customers(api.affected_table(run.result), level, percent, seed)
    _warnings(app, run)
    _write_table(app, drawn, fmt, output, force, bom=bom, title=f"Effectiveness check, level "
                 f"{level.upper()}")  # fmt: skip
    app.info(f"level {level.upper()} ({share:g}%): drew {len(drawn):,} of "
             f"{len(run.result.customers):,} affected customers; "
             f"--seed {used} draws them again")  # fmt: skip


@cli.command()
@shipment_inputs
@click.option(
    "--responses", multiple=True, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or xlsx: customer_id, response date, units returned / on hand. Repeatable.",
)  # fmt: skip
@output_options(("table", "json", "csv", "xlsx"), "table")
@click.option(
    "--list", "which", type=click.Choice(("not-responded", "unexpected")),
    default="not-responded", show_default=True, help="The list csv and xlsx write.",
)  # fmt: skip
@click.option("--not-responded-out", type=click.Path(dir_okay=False),
              help="Also write the consignees to follow up (.csv or .xlsx).")  # fmt: skip
@pass_app
def status(
    app: AppContext, responses: tuple[Path, ...], which: str, not_responded_out: str | None,
    fmt: str, output: str, force: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Status-report counts (21 CFR 7.53): notified, responded, units returned and outstanding.

    Responses from customers who are not affected are flagged and not counted.
    """
    from recall_cli.tasks.responses import status_from_files

    run = api.run(_request(kwargs))
    state = status_from_files(run.result, responses)
    _warnings(app, run)
    if fmt == "json":
        _write_text(output, api.dumps(state.to_json()), force)
    elif fmt == "table":
        from recall_cli.output.terminal import scope_line, status_view

        caption = scope_line(run.result.scope.to_dict())
        _render(app, output, force, status_view(state.counts, caption))
    else:
        _write_table(app, state.list_frame(which), fmt, output, force, title=which)
    if not_responded_out:
        suffix = "xlsx" if not_responded_out.lower().endswith(".xlsx") else "csv"
        _write_table(app, state.not_responded, suffix, not_responded_out, force,
                     title="Not responded")  # fmt: skip
    if state.unexpected:
        app.warn(f"{len(state.unexpected):,} responses from customers who are not affected "
                 "(not counted)")  # fmt: skip


# --- Speed at scale: a year of shipments queried at the speed of the fastest xlsx reader ---


def _load_progress() -> Any:
    """A progress bar on stderr for long loads: only on a terminal, never with --quiet."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    if app is None or app.quiet or not sys.stderr.isatty():
        return None
    from recall_cli.output.terminal import load_progress

    return load_progress(app.console(stderr=True))


@cli.group("cache")
def cache_group() -> None:
    """The cache of normalised rows that makes repeat questions fast.

    It holds patient data: the folder is 0700 and its files 0600. Set
    RECALL_CACHE_DIR to move it; --no-cache on any command skips it.
    """


@cache_group.command("info")
@pass_app
def cache_info(app: AppContext) -> None:
    """Where the cache lives, how many files it holds and their size."""
    from recall_cli.cache import store as cache

    found = cache.info()
    click.echo(f"path: {found['path']}")
    click.echo(f"entries: {found['entries']}")
    click.echo(f"size: {found['bytes'] / 1e6:,.1f} MB")


@cache_group.command("clear")
@pass_app
def cache_clear(app: AppContext) -> None:
    """Delete every cached copy of your data."""
    from recall_cli.cache import store as cache

    gone = cache.clear()
    app.info(f"deleted {gone['entries']} cached files ({gone['bytes'] / 1e6:,.1f} MB) "
             f"from {gone['path']}")  # fmt: skip


def main() -> None:  # pragma: no cover - console entry for python -m
    cli(prog_name="recall")


__all__ = ["cli", "main"]
