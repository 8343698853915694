"""Closing the recall: effectiveness-check samples and status reports (21 CFR 7.42, 7.53)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _warnings, emit, read_files
from recall_cli.cli.params import (
    ALL_FORMATS,
    _request,
    audit_option,
    output_options,
    output_plan,
    refuse_unless,
    shipment_inputs,
)
from recall_cli.output.formats import choose_format
from recall_cli.query import run as api
from recall_cli.words import plural

SAMPLE_EXAMPLES = """\b
Examples:
  recall sample --recall recall.toml --level C --seed 2011
  recall sample --recall recall.toml --level B --percent 25 -o check-calls.xlsx
  recall sample --recall recall.toml --level D -o sample.csv
"""


@cli.command(epilog=SAMPLE_EXAMPLES)
@shipment_inputs
@output_options(ALL_FORMATS)
@click.option(
    "--level", required=True, type=click.Choice(("A", "B", "C", "D", "E"), case_sensitive=False),
    help="A 100%, B --percent, C 10%, D 2%, E none (21 CFR 7.42).",
)  # fmt: skip
@click.option("--percent", type=float, help="Level B only: a share strictly between 10 and 100.")
@click.option("--seed", type=click.IntRange(0), help="Draw the same customers again.")
@audit_option
@pass_app
def sample(
    app: AppContext, level: str, percent: float | None, seed: int | None,
    audit_log: Path | None, **kwargs: Any,
) -> None:  # fmt: skip
    """Customers for an effectiveness check, stratified by country, one row each."""
    from recall_cli.tasks import reports
    from recall_cli.tasks.effectiveness import level_percent, sample_customers

    plan = output_plan(kwargs, ALL_FORMATS)
    level_percent(level, percent)  # a wrong level or percent fails before any file is read
    run = api.run(_request(kwargs))
    drawn, used, share = sample_customers(api.affected_table(run.result), level, percent, seed)
    _warnings(app, run)
    emit(app, plan, reports.sample(drawn, level), files=read_files(run),
         scope=run.result.scope.to_dict(), audit_log=audit_log)  # fmt: skip
    app.info(f"level {level.upper()} ({share:g}%): drew {len(drawn):,} of "
             f"{plural(len(run.result.customers), 'affected customer')}; "
             f"--seed {used} draws them again")  # fmt: skip


STATUS_EXAMPLES = """\b
Examples:
  recall status --recall recall.toml --responses replies.xlsx --responses web-form.csv
  recall status --recall recall.toml --responses replies.xlsx -o status.xlsx
  recall status --recall recall.toml --responses replies.xlsx --not-responded-out follow-up.csv
"""


@cli.command(epilog=STATUS_EXAMPLES)
@shipment_inputs
@click.option(
    "--responses", multiple=True, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or xlsx: customer_id, response date, units returned / on hand. Repeatable.",
)  # fmt: skip
@output_options(ALL_FORMATS)
@click.option(
    "--list", "which", type=click.Choice(("not-responded", "unexpected")),
    help="csv and xlsx: only this list (default: the whole report, one table after another).",
)  # fmt: skip
@click.option("--not-responded-out", type=click.Path(dir_okay=False),
              help="Also write the consignees to follow up (.csv .tsv .json .xlsx).")  # fmt: skip
@audit_option
@pass_app
def status(
    app: AppContext, responses: tuple[Path, ...], which: str | None,
    not_responded_out: str | None, audit_log: Path | None, **kwargs: Any,
) -> None:  # fmt: skip
    """Status-report counts (21 CFR 7.53): notified, responded, units returned and outstanding.

    Responses from customers who are not affected are flagged and not counted.
    """
    from recall_cli.tasks import reports
    from recall_cli.tasks.responses import status_from_files

    plan = output_plan(kwargs, ALL_FORMATS)
    refuse_unless(plan.fmt in ("csv", "xlsx"), "which", "--list", "applies to csv and xlsx only")
    follow_up = None
    if not_responded_out:
        follow_up = choose_format("status --not-responded-out", ("csv", "json", "xlsx"), None,
                                  not_responded_out, "csv")  # fmt: skip
    run = api.run(_request(kwargs))
    state = status_from_files(run.result, responses)
    _warnings(app, run)
    scope = run.result.scope.to_dict()
    files = [*read_files(run), *map(str, responses)]
    emit(app, plan, reports.status(state, scope, which), files=files, scope=scope,
         audit_log=audit_log)  # fmt: skip
    if not_responded_out and follow_up is not None:
        emit(app, plan, reports.not_responded(state), files=files, scope=scope,
             audit_log=audit_log, output=not_responded_out, fmt=follow_up.format)  # fmt: skip
    for problem in state.problems:
        app.warn(problem)
    if state.unexpected:
        app.warn(f"{plural(len(state.unexpected), 'response')} from customers who are not "
                 "affected (not counted)")  # fmt: skip
