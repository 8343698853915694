"""Quality team: ad hoc SQL over the normalised, bucketed rows (DuckDB, locked down)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _emit_rows_line, _warnings, emit, read_files
from recall_cli.cli.params import (
    _request,
    audit_option,
    output_options,
    output_plan,
    shipment_inputs,
)
from recall_cli.errors import UsageError

# tasks.sql.ROWS_FORMATS and DEFAULT_TIMEOUT, spelled out so that building the CLI
# does not import the task (a test checks they agree).
SQL_FORMATS = ("table", "csv", "json", "xlsx", "parquet")
DEFAULT_TIMEOUT = 30.0

SQL_EXAMPLES = """\b
Examples:
  recall sql --schema
  recall sql "SELECT lot, sum(quantity) AS units FROM shipments
              WHERE bucket = 'matched' GROUP BY lot" --recall recall.toml
  recall sql "SELECT * FROM review WHERE file LIKE 'us_%'" --recall recall.toml -o r.xlsx
  recall sql "SELECT * FROM affected WHERE len(lots) >= 2" --recall recall.toml -o two.parquet
"""


@cli.command(epilog=SQL_EXAMPLES)
@click.argument("query", required=False, metavar="[QUERY]")
@shipment_inputs
@click.option("--schema", is_flag=True,
              help="Print the views and their columns, one line of meaning each.")  # fmt: skip
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
    show_default=True, help="Stop the query after this many seconds.",
)  # fmt: skip
@output_options(SQL_FORMATS)
@audit_option
@pass_app
def sql(app: AppContext, query: str | None, schema: bool, timeout: float,
        audit_log: Path | None, **kwargs: Any) -> None:  # fmt: skip
    """Run one SQL query (DuckDB) over read-only views of the rows read.

    Views: shipments (every row with its bucket, reason, file, sheet, row), affected
    (one row per affected customer), review (the needs-review rows) and scope. The
    query cannot read or write files, load extensions or change settings, and stops
    after --timeout seconds. Results hold patient data: files are 0600 and audited.
    """
    from recall_cli.tasks import sql as engine

    plan = output_plan(kwargs, SQL_FORMATS)
    if schema:
        if query:
            raise UsageError("--schema prints the views; give it without a QUERY")
        emit(app, plan, engine.schema(), quiet_rows=True)
        return
    if not query:
        raise UsageError('give a QUERY, e.g. recall sql "SELECT * FROM scope" --recall '
                         "recall.toml; --schema lists the views")  # fmt: skip
    answer = engine.query(_request(kwargs), query, timeout=timeout)
    tally = answer.rows.tally
    _warnings(app, tally)
    emit(app, plan, answer.result, files=read_files(tally), scope=tally.scope.to_dict(),
         audit_log=audit_log)  # fmt: skip
    _emit_rows_line(app, tally.bucket_counts(), tally.files_not_read(), tally)
