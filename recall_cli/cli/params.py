"""Parameter types and the option bundles every command shares, each defined once."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from recall_cli.cli.app import AppContext
from recall_cli.errors import RecallError, UsageError
from recall_cli.output.formats import FORMATS, choose_format
from recall_cli.output.rowwriters import WriteOptions
from recall_cli.query import run as api

F = TypeVar("F", bound=Callable[..., Any])


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
    click.option(
        "--input-encoding",
        "--encoding",
        "encoding",
        help="Encoding of the CSV files read (default: detected).",
    ),
    click.option(
        "--input-delimiter",
        "delimiter",
        help="Delimiter of the CSV files read (default: sniffed from , ; tab |).",
    ),
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
        "--recursive",
        is_flag=True,
        help="Also read the files in the subfolders of a folder given.",
    ),
    click.option(
        "--skip-unreadable",
        is_flag=True,
        help="Go on without files that hold no shipment table (they are named, and the "
        "counts are marked incomplete).",
    ),
    click.option(
        "--dedupe-lines",
        is_flag=True,
        help="Count a shipment line that a later file repeats (same order id, lot, "
        "customer, ship date and quantity: a cumulative export) once; the copies are "
        "counted as not data.",
    ),
    click.option(
        "--no-cache",
        is_flag=True,
        help="Neither read nor write the cache of normalised rows (see `recall cache info`).",
    ),
)


ALL_FORMATS = ("table", "csv", "json", "xlsx")  # parquet: only where rows are the answer
VIEW_FORMATS = ("table", "json")  # answers read on screen or by a script


def output_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """--format, -o, --force, and the CSV options where the command writes CSV."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),  # any: choose_format names what this command writes
            metavar=f"[{'|'.join(formats)}]",
            help=f"{' | '.join(formats)} (default: from the -o suffix, else {formats[0]}).",
        ),
        click.option(
            "-o",
            "--output",
            default="-",
            show_default=True,
            help="Output file; - is stdout. Its suffix picks the format: .csv .tsv .json "
            f".xlsx{' .parquet' if 'parquet' in formats else ''} .txt.",
        ),
        click.option(
            "--force", is_flag=True, help="Overwrite an existing output file; follow a symlink."
        ),
    ]
    if "csv" in formats:
        options += [
            click.option("--excel", "bom", is_flag=True, help="csv: a UTF-8 BOM for Excel."),
            click.option(
                "--output-delimiter",
                "out_delimiter",
                help="csv: the delimiter written (default ',', tab for .tsv); ';' for "
                "European Excel.",
            ),
            click.option(
                "--no-escape-formulas",
                is_flag=True,
                help="csv: keep cells starting with = + - @ as they are.",
            ),
        ]
    return _bundle(*options)


audit_option = click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit log file (default: $RECALL_AUDIT_LOG, else the user data folder).",
)


@dataclass(frozen=True)
class OutputPlan:
    """How one command writes its result: decided before any file is read."""

    command: str
    fmt: str
    output: str
    force: bool
    options: WriteOptions


_CSV_ONLY = (("bom", "--excel"), ("out_delimiter", "--output-delimiter"),
             ("no_escape_formulas", "--no-escape-formulas"))  # fmt: skip


def output_plan(kwargs: dict[str, Any], offered: tuple[str, ...], default: str | None = None,
                command: str | None = None) -> OutputPlan:  # fmt: skip
    """Pop the output options from ``kwargs`` and decide the format (UsageError, exit 2,
    when --format, the -o suffix and the command disagree, or a CSV option is given for
    another format)."""
    ctx = click.get_current_context()
    name = command or ctx.command_path.partition(" ")[2] or ctx.info_name or "recall"
    output = kwargs.pop("output")
    choice = choose_format(name, offered, kwargs.pop("fmt"), output, default or offered[0])
    csv_opts = {key: kwargs.pop(key, None) for key, _ in _CSV_ONLY}
    if choice.format != "csv":
        for key, option in _CSV_ONLY:
            if csv_opts[key]:
                raise UsageError(f"{option} is a CSV option, and this writes {choice.format}")
    delimiter = csv_opts["out_delimiter"] or ("\t" if choice.tab_separated else ",")
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    if len(delimiter) != 1:
        raise UsageError(f"--output-delimiter {delimiter!r} must be one character (or 'tab')")
    options = WriteOptions(escape_formulas=not csv_opts["no_escape_formulas"],
                           bom=bool(csv_opts["bom"]), delimiter=delimiter)  # fmt: skip
    return OutputPlan(name, choice.format, output, kwargs.pop("force"), options)


def given(name: str) -> bool:
    """Whether the option ``name`` was typed (not its default)."""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (None, click.core.ParameterSource.DEFAULT)


def refuse_unless(applies: bool, name: str, option: str, why: str) -> None:
    """A UsageError when the option (parameter ``name``) was typed but does not apply."""
    if not applies and given(name):
        raise UsageError(f"{option} {why}")


paths_argument = click.argument(
    "paths", nargs=-1, type=click.Path(path_type=Path), metavar="PATHS..."
)


# PATHS plus the scope and reading options: what every question about shipments takes.
shipment_inputs = _bundle(paths_argument, scope_options, input_options)


def _request(kwargs: dict[str, Any]) -> api.Request:
    """Turn the bundles' options into the library's request object."""
    try:
        request = api.Request.from_options(**{"progress": _load_progress(), **kwargs})
    except RecallError:
        raise
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    _say_skipped(request)
    return request


def _say_skipped(request: api.Request) -> None:
    """One line per folder given, counting what in it is not read (subfolders, .txt, .pdf...)."""
    from recall_cli.read.load import folder_notes

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    if app is not None:
        for note in folder_notes(request.paths, recursive=request.load.recursive):
            app.warn(note)


def _load_progress() -> Any:
    """A progress bar on stderr for long loads: only on a terminal, never with --quiet."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    if app is None or app.quiet or not sys.stderr.isatty():
        return None
    from recall_cli.output.terminal import load_progress

    return load_progress(app.console(stderr=True))
