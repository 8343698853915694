"""Support desk: one lot or one customer while a patient is on the phone."""

from __future__ import annotations

import sys
from typing import Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _warnings, emit, request_files
from recall_cli.cli.params import (
    VIEW_FORMATS,
    _request,
    audit_option,
    output_options,
    output_plan,
    shipment_inputs,
)
from recall_cli.errors import UsageError
from recall_cli.query import run as api

# Kept in sync with support.AFFECTED / NOT_AFFECTED / NOT_FOUND (a test checks it);
# spelled out here so `--help` does not import pandas.
SUPPORT_EXIT_HELP = (
    "Exit status: 0 affected (check: the lot is on the recall list, even with no "
    "shipment inside the scope); 3 not affected; 4 no customer matches (customer); "
    "5 not on the list but looks like a recalled lot: check the box (check); "
    "6 needs review: no matching customer is affected but one has a shipment a person "
    "must read first (customer); 1 error; 2 usage error (check: text that is not a lot)."
)

CHECK_EXAMPLES = """\b
Examples:
  recall check B201575 --recall recall.toml
  recall check '(01)00312345678906(17)120630(10)B201575' --recall recall.toml
  recall check B201575 --recall recall.toml --show-rows --format json
"""

CUSTOMER_EXAMPLES = """\b
Examples:
  recall customer martin --recall recall.toml
  recall customer C10003 --recall recall.toml --format json
  recall customer 555-0101 --recall recall.toml --reveal
"""


def _not_blank(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        what = "lot code" if param.name == "code" else "customer query"
        raise UsageError(f"the {what} is empty", hint="type what to look up")
    return value


@cli.command(epilog=f"{SUPPORT_EXIT_HELP}\n\n{CHECK_EXAMPLES}")
@click.argument("code", metavar="CODE", callback=_not_blank)
@shipment_inputs
@output_options(VIEW_FORMATS)
@click.option(
    "--show-rows", is_flag=True, help="List file, sheet and Excel row of each shipment of the lot."
)
@audit_option
@pass_app
def check(app: AppContext, code: str, show_rows: bool, audit_log: Any, **kwargs: Any) -> None:
    """Is CODE recalled, and how much of it shipped inside the scope?

    CODE is a lot as printed on the box, or a scanned GS1/UDI barcode: with
    parentheses, without them (GS/FNC1 after variable-length fields), or a GS1
    Digital Link URL. An unknown lot gets did-you-mean suggestions. With
    --show-rows the answer names customers: written to a file or a pipe, it is
    audited.
    """
    from recall_cli.query import cached as quick
    from recall_cli.tasks import support

    plan = output_plan(kwargs, VIEW_FORMATS)
    request = _request(kwargs)
    rows = quick.classified(request, lot=True, show_rows=show_rows)
    found = support.answer_check(rows, code, show_rows=show_rows)
    for note in found.notes:
        app.warn(note)
    scope = rows.scope.to_dict()
    emit(app, plan, found.result, quiet_rows=True, files=request_files(request),
         scope=scope if show_rows else None, audit_log=audit_log)  # fmt: skip
    click.get_current_context().exit(found.status)


@cli.command(epilog=f"{SUPPORT_EXIT_HELP}\n\n{CUSTOMER_EXAMPLES}")
@click.argument("query", callback=_not_blank)
@shipment_inputs
@output_options(VIEW_FORMATS)
@click.option("--reveal", is_flag=True, help="Show email, phone and street address unmasked.")
@audit_option
@pass_app
def customer(app: AppContext, query: str, reveal: bool, audit_log: Any, **kwargs: Any) -> None:
    """Find customers by id, email, phone digits or part of a name; affected or not.

    Email, phone and street address are masked (j***@example.com, ***-1018)
    unless --reveal; the verdict and the lots are always shown. JSON never
    carries contact details. Written to a file or a pipe, the answer is audited.
    """
    from recall_cli.query import cached as quick
    from recall_cli.tasks import support

    plan = output_plan(kwargs, VIEW_FORMATS)
    request = _request(kwargs)
    rows = quick.classified(request)
    found = support.answer_customer(rows, query, reveal=reveal)
    for note in found.notes:
        app.warn(note)
    emit(app, plan, found.result, quiet_rows=True, files=request_files(request),
         scope=rows.scope.to_dict(), audit_log=audit_log)  # fmt: skip
    click.get_current_context().exit(found.status)


SHELL_EXAMPLES = """\b
Examples:
  recall shell --recall recall.toml
  printf 'B201575\\nB2O1575\\n' | recall -q shell --recall recall.toml
"""


@cli.command(epilog=SHELL_EXAMPLES)
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
    rows = Classified.from_result(run.result).index()  # a session: codes once
    stdin = sys.stdin
    interactive = stdin.isatty()
    if interactive:
        app.info("ready: type help, or quit")
    answered = run_shell(rows, read_lines(stdin, interactive=interactive), app.out,
                         lambda message: click.echo(f"Error: {message}", err=True),
                         reveal=reveal, warn=app.warn)  # fmt: skip
    from recall_cli.words import plural

    app.info(plural(answered, "answer"))


SERVE_EXAMPLES = """\b
Examples:
  recall serve --recall recall.toml --open
  recall serve --recall recall.toml --port 8765 --agent "Dana (desk 2)"
"""


@cli.command(epilog=SERVE_EXAMPLES)
@shipment_inputs
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port (default: a free one)."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on. Any other than loopback prints a warning: anyone who "
    "can reach it and has the token can look up patients.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
@click.option("--agent", help="Name written to the audit log with each reveal, beside the OS user.")
@audit_option
@pass_app
def serve(app: AppContext, port: int, host: str, open_browser: bool, agent: str | None,
          audit_log: Any, **kwargs: Any) -> None:  # fmt: skip
    """Load the data once and answer lots and customers in a local web page.

    Prints the page's address with a random token (keep it to yourself: it is
    the key). One field takes a lot, a scanned barcode or a customer query; the
    verdict, the scope and the data's freshness are always on the page. Contact
    details are masked; each answer that names customers, and each reveal, is
    written to the audit log. The same
    answers as JSON: /api/check?code=... and /api/customer?q=... (what
    `check` and `customer --format json` print). Ctrl-C stops the server.
    """
    from recall_cli.serve.desk import Desk
    from recall_cli.serve.server import bind, run

    request = _request(kwargs)  # a bad option fails before the port is taken
    watch = tuple(p for p in (kwargs.get("recall_file"), kwargs.get("lots_file")) if p)
    desk = Desk(lambda: api.Request.from_options(**kwargs), watch=watch, agent=agent,
                audit_log=audit_log)  # fmt: skip
    bound = bind(host, port)
    if not bound.local_only:
        app.warn(
            f"listening on {host}, not only on this machine: anyone who can reach port "
            f"{bound.port} and has the token can look up patients, over plain http"
        )
    app.info("loading the data…")
    desk.load(request)
    for message in desk.loaded.warnings:
        app.warn(message)
    app.info(_rows_summary(desk))
    click.echo(f"recall serve: {bound.url}")
    app.info("Ctrl-C stops the server")
    run(desk, bound, open_browser=open_browser, quiet=app.quiet)


def _rows_summary(desk: Any) -> Any:
    from recall_cli.output.terminal import bucket_line

    loaded = desk.loaded
    return bucket_line(loaded.buckets, loaded.not_read, loaded.files_duplicate,
                       loaded.lines_duplicate)  # fmt: skip
