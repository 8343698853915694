"""Quality team: counts for the regulator, the rows a person must look at, how files were read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import (
    _emit_rows_line,
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
    _emit_rows_line(app, result["rows"], result["files_not_read"])


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
    _emit_rows_line(app, run.result.bucket_counts(), run.files_not_read())


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
