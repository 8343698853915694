"""Parameter types and the option bundles every command shares, each defined once."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from recall_cli.cli.app import AppContext
from recall_cli.errors import RecallError
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
        "--skip-unreadable",
        is_flag=True,
        help="Go on without files that hold no shipment table (they are named, and the "
        "counts are marked incomplete).",
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


def _load_progress() -> Any:
    """A progress bar on stderr for long loads: only on a terminal, never with --quiet."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    if app is None or app.quiet or not sys.stderr.isatty():
        return None
    from recall_cli.output.terminal import load_progress

    return load_progress(app.console(stderr=True))
