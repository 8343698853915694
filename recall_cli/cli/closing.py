"""Closing the recall: effectiveness-check samples and status reports (21 CFR 7.42, 7.53)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import (
    _render,
    _warnings,
    _write_table,
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
    for problem in state.problems:
        app.warn(problem)
    if state.unexpected:
        app.warn(f"{len(state.unexpected):,} responses from customers who are not affected "
                 "(not counted)")  # fmt: skip
