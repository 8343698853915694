"""Support desk: one lot or one customer while a patient is on the phone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import (
    _render,
    _warnings,
    _write_text,
)
from recall_cli.cli.params import (
    _request,
    output_options,
    shipment_inputs,
)
from recall_cli.query import run as api

if TYPE_CHECKING:
    pass


# Kept in sync with support.AFFECTED / NOT_AFFECTED / NOT_FOUND (a test checks it);
# spelled out here so `--help` does not import pandas.
SUPPORT_EXIT_HELP = (
    "Exit status: 0 affected (check: the lot is on the recall list, even with no "
    "shipment inside the scope); 3 not affected; 4 no customer matches (customer); "
    "5 not on the list but looks like a recalled lot: check the box (check); "
    "1 error; 2 usage error (check: text that is not a lot)."
)


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
