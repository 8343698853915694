"""When the recall grows: who is newly affected, and whether the scope is safe."""

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
    input_options,
    output_options,
    paths_argument,
    shipment_inputs,
)
from recall_cli.query import run as api

if TYPE_CHECKING:
    pass


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
    "--list", "which",
    type=click.Choice(("letters", "added", "changed", "removed", "unchanged")),
    default="letters", show_default=True,
    help="The list shown or written (csv, xlsx); letters = added + changed: who needs a "
    "letter now.",
)  # fmt: skip
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@pass_app
def diff(
    app: AppContext, before: Path, after: Path, which: str, fmt: str, output: str, force: bool,
    bom: bool, **kwargs: Any,
) -> None:  # fmt: skip
    """Customers newly affected, no longer affected and unchanged between two recall files.

    Both scopes are applied to one read of the data. `changed` customers were
    affected before and hold more recalled lots or units now. Send letters to the
    `letters` list, added + changed (21 CFR 806.10(d): amended report within 10
    working days).
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
