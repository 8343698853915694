"""When the recall grows: who is newly affected, and whether the scope is safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _warnings, emit, read_files
from recall_cli.cli.params import (
    ALL_FORMATS,
    VIEW_FORMATS,
    _request,
    audit_option,
    input_options,
    output_options,
    output_plan,
    paths_argument,
    refuse_unless,
    shipment_inputs,
)
from recall_cli.query import run as api
from recall_cli.words import plural

_recall_toml = click.Path(exists=True, dir_okay=False, path_type=Path)

DIFF_EXAMPLES = """\b
Examples:
  recall diff --before recall-v1.toml --after recall-v2.toml
  recall diff --before recall-v1.toml --after recall-v2.toml -o first-letters.csv
  recall diff --before recall-v1.toml --after recall-v2.toml --list removed -o removed.xlsx
"""


@cli.command(epilog=DIFF_EXAMPLES)
@paths_argument
@click.option("--before", required=True, type=_recall_toml, help="The recall.toml as first sent.")
@click.option(
    "--after", required=True, type=_recall_toml,
    help="The amended recall.toml; its data files are read when no PATHS are given.",
)  # fmt: skip
@input_options
@output_options(ALL_FORMATS)
@click.option(
    "--list", "which",
    type=click.Choice(("letters", "added", "changed", "removed", "unchanged")),
    default="letters", show_default=True,
    help="The list shown (table) or written (csv, xlsx); letters = added + changed: who needs a "
    "letter now.",
)  # fmt: skip
@audit_option
@pass_app
def diff(
    app: AppContext, before: Path, after: Path, which: str, audit_log: Path | None, **kwargs: Any
) -> None:
    """Customers newly affected, no longer affected and unchanged between two recall files.

    Both scopes are applied to one read of the data. `changed` customers were
    affected before and hold more recalled lots or units now. Send letters to the
    `letters` list, added + changed (21 CFR 806.10(d): amended report within 10
    working days).
    """
    from recall_cli.tasks import reports
    from recall_cli.tasks.scope_diff import compare_scopes

    plan = output_plan(kwargs, ALL_FORMATS)
    refuse_unless(plan.fmt != "json", "which", "--list",
                  "does not apply to json, which holds every list")  # fmt: skip
    request = _request({**kwargs, "recall_file": after, "lots": (), "lots_file": None,
                        "start": None, "end": None, "countries": ()})  # fmt: skip
    changed = compare_scopes(before, request)
    counts = changed.counts()
    emit(app, plan, reports.diff(changed, which), files=read_files(changed.after),
         scope=changed.after.scope.to_dict(), audit_log=audit_log)  # fmt: skip
    app.info(", ".join(f"{k} {v:,}" for k, v in counts.items()))


AUDIT_SCOPE_EXAMPLES = """\b
Examples:
  recall audit-scope --recall recall.toml
  recall audit-scope --recall recall.toml --format json -o scope-check.json
"""


@cli.command(name="audit-scope", epilog=AUDIT_SCOPE_EXAMPLES)
@shipment_inputs
@output_options(VIEW_FORMATS)
@pass_app
def audit_scope_command(app: AppContext, **kwargs: Any) -> None:
    """Is the scope safe? Recalled lots shipped outside the window, look-alike lots
    inside it, and recalled lots that never appear in the data."""
    from recall_cli.tasks import reports
    from recall_cli.tasks.scope_audit import audit_scope

    plan = output_plan(kwargs, VIEW_FORMATS)
    run = api.run(_request(kwargs))
    audit = audit_scope(run.result)
    _warnings(app, run)
    emit(app, plan, reports.scope_audit(audit))
    if audit.missing_lots:
        lots = plural(len(audit.missing_lots), "recalled lot")
        verb = "never appears" if len(audit.missing_lots) == 1 else "never appear"
        app.warn(f"{lots} {verb} in the data: " + ", ".join(audit.missing_lots))
