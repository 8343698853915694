"""Quality team: counts for the regulator, the rows a person must look at, how files were read."""

from __future__ import annotations

from typing import Any

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _emit_rows_line, _warnings, emit, read_files
from recall_cli.cli.params import (
    ALL_FORMATS,
    VIEW_FORMATS,
    _request,
    audit_option,
    output_options,
    output_plan,
    shipment_inputs,
)
from recall_cli.query import run as api

SUMMARY_EXAMPLES = """\b
Examples:
  recall summary --recall recall.toml
  recall summary --recall recall.toml -o summary.xlsx     # one sheet per table
  recall summary exports/ --lot B201575,B201578 --from 2010-11-30 --to 2011-01-04
"""


@cli.command(epilog=SUMMARY_EXAMPLES)
@shipment_inputs
@output_options(ALL_FORMATS)
@pass_app
def summary(app: AppContext, **kwargs: Any) -> None:
    """Counts for the regulator: customers, units, shipments by lot and country.

    csv writes the tables one after another (first column: section); xlsx one sheet
    each, with a chart of units per ship week.
    """
    from recall_cli.query import cached as quick
    from recall_cli.tasks import reports

    plan = output_plan(kwargs, ALL_FORMATS)
    tally = quick.tallied(_request(kwargs))
    result = tally.summary()
    _warnings(app, tally)
    emit(app, plan, reports.summary(result, tally.units_by_week()), files=read_files(tally))
    _emit_rows_line(app, result["rows"], result["files_not_read"], tally)


REVIEW_EXAMPLES = """\b
Examples:
  recall review --recall recall.toml
  recall review --recall recall.toml -o review.xlsx
  recall review exports/ --lot B201575 --format csv -o review.csv
"""


@cli.command(epilog=REVIEW_EXAMPLES)
@shipment_inputs
@output_options(ALL_FORMATS)
@audit_option
@pass_app
def review(app: AppContext, audit_log: Any, **kwargs: Any) -> None:
    """Rows that need a person: file, sheet, row (as Excel shows it), raw values, reason."""
    from recall_cli.tasks import reports

    plan = output_plan(kwargs, ALL_FORMATS)
    run = api.run(_request(kwargs))
    _warnings(app, run)
    emit(app, plan, reports.review_rows(run.result), files=read_files(run),
         scope=run.result.scope.to_dict(), audit_log=audit_log)  # fmt: skip
    _emit_rows_line(app, run.result.bucket_counts(), run.files_not_read(), run.result.tally)


INSPECT_EXAMPLES = """\b
Examples:
  recall inspect exports/
  recall inspect --recall recall.toml            # with the rows in each bucket
  recall inspect us_shipments.xlsx --format json -o how-read.json
"""


@cli.command(epilog=INSPECT_EXAMPLES)
@shipment_inputs
@output_options(VIEW_FORMATS)
@pass_app
def inspect(app: AppContext, **kwargs: Any) -> None:
    """How each file and sheet was read: header, columns, date order, row kinds.

    With a recall scope (--lot or --recall), also the rows in each bucket.
    """
    from recall_cli.tasks import reports

    plan = output_plan(kwargs, VIEW_FORMATS)
    request = _request({**kwargs, "need_scope": False})
    sources = api.inspect(request)
    emit(app, plan, reports.inspect(sources))
