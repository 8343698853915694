"""Campaign: the affected customers as files, one per channel, and the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import _emit_rows_line, _warnings, emit, read_files
from recall_cli.cli.params import (
    ALL_FORMATS,
    _request,
    audit_option,
    given,
    input_options,
    output_options,
    output_plan,
    paths_argument,
    scope_options,
    shipment_inputs,
)
from recall_cli.errors import UsageError
from recall_cli.query import run as api
from recall_cli.query.reading import not_read_line
from recall_cli.read.names import file_labels
from recall_cli.words import plural

AFFECTED_EXAMPLES = """\b
Examples:
  recall affected --recall recall.toml -o letters.csv
  recall affected --recall recall.toml -o affected.xlsx
  recall affected --recall recall.toml -o eu.csv --excel --output-delimiter ';'
"""


@cli.command(epilog=AFFECTED_EXAMPLES)
@shipment_inputs
@output_options(ALL_FORMATS)
@click.option(
    "--exclude-notified", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Leave out customers in this earlier export (customer_id column) or id list.",
)  # fmt: skip
@audit_option
@pass_app
def affected(
    app: AppContext, exclude_notified: Path | None, audit_log: Path | None, **kwargs: Any
) -> None:
    """One row per affected customer, sorted by customer id."""
    from recall_cli.tasks import reports

    plan = output_plan(kwargs, ALL_FORMATS)
    request = _request(kwargs)
    if exclude_notified is None:
        from recall_cli.query import cached as quick

        tally = quick.tallied(request)  # from the cache without pandas when it can be
        _warnings(app, tally)
        scope = request.scope.to_dict() if request.scope else {}
        emit(app, plan, reports.affected(*tally.affected_rows()), files=read_files(tally),
             scope=scope, audit_log=audit_log)  # fmt: skip
        _emit_rows_line(app, tally.bucket_counts(), tally.files_not_read(), tally)
        return
    from recall_cli.tasks.scope_diff import affected_excluding

    run = api.run(request)
    done = affected_excluding(run.result, exclude_notified)
    frame = done.table
    _warnings(app, run)
    for note in done.notes:
        app.warn(note)
    kept = (f"; kept {plural(done.kept_grown, 'notified customer')} whose recalled lots grew"
            if done.kept_grown else "")  # fmt: skip
    app.info(f"left out {plural(done.left_out, 'customer')} already notified{kept}; "
             f"{len(frame):,} remain")  # fmt: skip
    emit(app, plan, reports.affected_frame(frame), files=read_files(run),
         scope=run.result.scope.to_dict(), audit_log=audit_log)  # fmt: skip
    _emit_rows_line(app, run.result.bucket_counts(), run.files_not_read(), run.result.tally)


# tasks.exports.KINDS and tasks.sql.ROWS_KIND, spelled out so building the CLI does not
# import pandas (a test checks they agree).
EXPORT_KINDS = ("email", "fda-806", "fda-806-totals", "fsma", "hcp", "postal", "replacements",
                "rows", "workbook")  # fmt: skip
ROWS_FORMATS = ("csv", "parquet", "xlsx", "json")  # tasks.sql.ROWS_FORMATS

EXPORT_EXAMPLES = """\b
Examples:
  recall export email --recall recall.toml -o email.csv
  recall export postal --recall recall.toml -o letters.csv --excel --output-delimiter ';'
  recall export workbook --recall recall.toml -o recall.xlsx
  recall export rows --recall recall.toml -o rows.parquet
"""


@cli.command(name="export", epilog=EXPORT_EXAMPLES)
@click.argument("kind", type=click.Choice(EXPORT_KINDS), metavar="KIND")
@paths_argument
@scope_options
@input_options
@output_options(("csv", "json", "xlsx", "parquet"))
@click.option(
    "--all",
    "all_postal",
    is_flag=True,
    help="postal: every affected customer with an address, emailed or not.",
)
@click.option("--with-patients", is_flag=True, help="hcp: add the patients' names and ids.")
@click.option("--ship-from", help="fsma: ship-from location for rows without a ship-from column.")
@click.option(
    "--domestic",
    default="US",
    show_default=True,
    help="fda-806: the country counted as domestic; the others are foreign.",
)
@audit_option
@pass_app
def export_command(
    app: AppContext, kind: str, all_postal: bool, with_patients: bool, ship_from: str | None,
    domestic: str, audit_log: Path | None, **kwargs: Any,
) -> None:  # fmt: skip
    """Write one campaign or regulator file.

    KIND: email, postal (letters), hcp (doctors), replacements (courier), workbook
    (xlsx for the quality team), a regulator report (fda-806, fda-806-totals, fsma),
    or rows: every row read with its bucket and reason (the shipments view of `recall
    sql`; csv, parquet, xlsx or json).

    Without --format, the format follows the -o suffix (.csv, .tsv, .xlsx, .json,
    .parquet), else csv (xlsx for workbook). Every export is written atomically with mode 0600,
    never overwrites without --force, and appends one line (no patient data) to the
    audit log. An option the KIND does not use is refused.
    """
    from recall_cli.normalize.countries import to_iso2
    from recall_cli.tasks import campaign, exports

    if kind == "rows":
        _export_rows(app, audit_log, kwargs)
        return
    spec = exports.KINDS[kind]
    plan = output_plan(kwargs, spec.formats, command=f"export {kind}")
    typed = {p for p in campaign.PARAM_OPTIONS if given(p)}
    unused = exports.unused_params(kind, typed)
    if unused:
        raise UsageError(f"{', '.join(unused)} {'does' if len(unused) == 1 else 'do'} not "
                         f"apply to export {kind}")  # fmt: skip
    code = to_iso2(domestic)
    if code is None:
        raise UsageError(f"--domestic: unknown country {domestic!r}",
                         hint="use an ISO code such as US or FR, or a name")  # fmt: skip
    run = api.run(_request(kwargs))
    _warnings(app, run)
    params = campaign.Params(all_postal=all_postal, with_patients=with_patients,
                             ship_from=ship_from, domestic=code)  # fmt: skip
    built = exports.build_export(run, kind, params)
    done = emit(app, plan, built.result, files=read_files(run), kind=kind,
                scope=run.result.scope.to_dict(), audit_log=audit_log, quiet_rows=True)  # fmt: skip
    for note in built.notes:
        app.warn(note)
    where = "stdout" if done.target.kind == "stdout" else plan.output
    if not app.quiet:  # plain echo: one line, never wrapped, no markup in paths
        click.echo(f"{kind}: {plural(built.rows, 'row')} to {where}; channels: "
                   f"{built.channels.line()}", err=True)  # fmt: skip
    not_read = run.files_not_read()
    if not_read:  # --skip-unreadable: the file is incomplete, said even with -q
        click.echo(not_read_line(not_read, file_labels(f["file"] for f in not_read)), err=True)
    from recall_cli.query.reading import copies_note, in_doubt

    copies = run.result.tally.lines_duplicate()
    if in_doubt(copies):  # lines in two files: the file may count them twice, said even with -q
        click.echo(f"{kind}: {copies_note(copies).removeprefix('; ')}", err=True)


def _export_rows(app: AppContext, audit_log: Path | None, kwargs: dict[str, Any]) -> None:
    """`export rows`: the shipments view of `recall sql`, through the same output path."""
    from recall_cli.tasks import sql as engine

    plan = output_plan(kwargs, ROWS_FORMATS, command="export rows")
    kind_options = {"all_postal": "--all", "with_patients": "--with-patients",
                    "ship_from": "--ship-from", "domestic": "--domestic"}  # fmt: skip
    typed = [option for name, option in kind_options.items() if given(name)]
    if typed:
        raise UsageError(f"{', '.join(typed)} {'does' if len(typed) == 1 else 'do'} not apply "
                         "to export rows")  # fmt: skip
    answer = engine.export_rows(_request(kwargs))
    tally = answer.rows.tally
    _warnings(app, tally)
    done = emit(app, plan, answer.result, files=read_files(tally), kind="rows",
                scope=tally.scope.to_dict(), audit_log=audit_log, quiet_rows=True)  # fmt: skip
    where = "stdout" if done.target.kind == "stdout" else plan.output
    app.info(f"rows: {plural(len(answer.result.rows), 'row')} to {where}")
    _emit_rows_line(app, tally.bucket_counts(), tally.files_not_read(), tally)


AUDIT_EXAMPLES = """\b
Examples:
  recall audit
  recall audit --format json
  recall audit --audit-log /srv/recall/audit.jsonl -o audit.xlsx
"""


@cli.command(name="audit", epilog=AUDIT_EXAMPLES)
@audit_option
@output_options(ALL_FORMATS)
@pass_app
def audit_command(app: AppContext, audit_log: Path | None, **kwargs: Any) -> None:
    """Print the export audit log: who exported what, when, from which files."""
    from recall_cli.tasks import reports
    from recall_cli.tasks.audit_log import default_audit_path, read_audit

    plan = output_plan(kwargs, ALL_FORMATS)
    log = audit_log or default_audit_path()
    entries = read_audit(log)
    emit(app, plan, reports.audit_log(entries), quiet_rows=True)
    app.info(f"{plural(len(entries), 'entry', 'entries')} in {log}")
