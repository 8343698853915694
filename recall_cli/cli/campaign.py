"""Campaign: the affected customers as files, one per channel, and the audit log."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from recall_cli.cli.app import AppContext, cli, pass_app
from recall_cli.cli.emit import (
    _emit_rows_line,
    _render,
    _warnings,
    _write_rows,
    _write_table,
    _write_text,
)
from recall_cli.cli.params import (
    F,
    _request,
    input_options,
    output_options,
    paths_argument,
    scope_options,
    shipment_inputs,
)
from recall_cli.query import run as api

if TYPE_CHECKING:
    pass


@cli.command()
@shipment_inputs
@output_options(("table", "csv", "json", "xlsx"), "table")
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option("--no-escape-formulas", is_flag=True, help="Keep cells starting with = + - @.")
@click.option(
    "--exclude-notified", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Leave out customers in this earlier export (customer_id column) or id list.",
)  # fmt: skip
@pass_app
def affected(
    app: AppContext, fmt: str, output: str, force: bool, bom: bool, no_escape_formulas: bool,
    exclude_notified: Path | None, **kwargs: Any,
) -> None:  # fmt: skip
    """One row per affected customer, sorted by customer id."""
    request = _request(kwargs)
    escape = not no_escape_formulas
    if exclude_notified is None and fmt != "xlsx":
        from recall_cli.query import cached as quick

        tally = quick.tallied(request)  # from the cache without pandas when it can be
        _warnings(app, tally)
        columns, rows = tally.affected_rows()
        _write_rows(app, columns, rows, fmt, output, force, bom=bom, escape=escape,
                    title="Affected customers")  # fmt: skip
        _emit_rows_line(app, tally.bucket_counts(), tally.files_not_read())
        return
    from recall_cli.tasks.scope_diff import affected_excluding

    run = api.run(request)
    done = affected_excluding(run.result, exclude_notified)
    frame = done.table
    _warnings(app, run)
    for note in done.notes:
        app.warn(note)
    if exclude_notified is not None:
        kept = (f"; kept {done.kept_grown:,} notified customers whose recalled lots grew"
                if done.kept_grown else "")  # fmt: skip
        app.info(f"left out {done.left_out:,} customers already notified{kept}; "
                 f"{len(frame):,} remain")  # fmt: skip
    _write_table(app, frame, fmt, output, force, bom=bom, escape=escape,
                 title="Affected customers")  # fmt: skip
    _emit_rows_line(app, run.result.bucket_counts(), run.files_not_read())


def _swap_option(
    bundle: Callable[[F], F], name: str, replacement: Callable[[F], F]
) -> Callable[[F], F]:
    """The bundle with its option `name` replaced: export's --delimiter is the output's."""

    def apply(fn: F) -> F:
        fn = bundle(fn)
        params = fn.__click_params__  # type: ignore[attr-defined]
        fn.__click_params__ = [p for p in params if p.name != name]  # type: ignore[attr-defined]
        return replacement(fn)

    return apply


def _audit_option(fn: F) -> F:
    return click.option(
        "--audit-log",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Audit log file (default: $RECALL_AUDIT_LOG, else the user data folder).",
    )(fn)


# campaign.KINDS, spelled out so building the CLI does not import pandas (a test
# checks they agree).
EXPORT_KINDS = ("email", "fda-806", "fda-806-totals", "fsma", "hcp", "postal", "replacements",
                "workbook")  # fmt: skip


@cli.command(name="export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS), metavar="KIND")
@paths_argument
@scope_options
@_swap_option(
    input_options,
    "delimiter",
    click.option("--input-delimiter", "delimiter", help="CSV input delimiter (default: sniffed)."),
)
@output_options(("csv", "xlsx", "json"), "csv")
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
@click.option("--excel", "bom", is_flag=True, help="CSV with a UTF-8 BOM for Excel.")
@click.option(
    "--delimiter",
    "out_delimiter",
    default=",",
    show_default=True,
    help="CSV output delimiter; ';' for European Excel.",
)
@click.option("--no-escape-formulas", is_flag=True, help="Keep cells starting with = + - @.")
@_audit_option
@click.pass_context
def export_command(
    ctx: click.Context, kind: str, fmt: str, output: str, force: bool, all_postal: bool,
    with_patients: bool, bom: bool, out_delimiter: str, no_escape_formulas: bool,
    audit_log: Path | None, ship_from: str | None, domestic: str, **kwargs: Any,
) -> None:  # fmt: skip
    """Write one campaign or regulator file.

    KIND: email, postal (letters), hcp (doctors), replacements (courier), workbook
    (xlsx for the quality team), or a regulator report (fda-806, fda-806-totals, fsma).

    Without --format, the format follows the -o suffix (.csv, .xlsx, .json), else
    csv (xlsx for workbook). Every export is written atomically with mode 0600, never
    overwrites without --force, and appends one line (no patient data) to the audit log.
    """
    from recall_cli.output.frames import WriteOptions
    from recall_cli.tasks import campaign

    app = ctx.find_object(AppContext) or AppContext()
    out_delimiter = {"tab": "\t", "\\t": "\t"}.get(out_delimiter, out_delimiter)
    if len(out_delimiter) != 1:
        raise click.BadParameter("one character (or 'tab')", param_hint="--delimiter")
    defaulted = ctx.get_parameter_source("fmt") == click.core.ParameterSource.DEFAULT
    requested = None if defaulted else fmt
    chosen = campaign.pick_format(kind, requested, output)
    if chosen == "xlsx" and output == "-" and sys.stdout.isatty():
        raise click.UsageError("xlsx is binary: give -o FILE.xlsx or pipe stdout to a file")
    run = api.run(_request(kwargs))
    _warnings(app, run)
    done = campaign.export(
        run, kind, output, fmt=chosen,
        params=campaign.Params(all_postal=all_postal, with_patients=with_patients,
                               ship_from=ship_from, domestic=domestic),
        options=WriteOptions(escape_formulas=not no_escape_formulas, bom=bom,
                             delimiter=out_delimiter, force=force),
        audit_log=audit_log,
    )  # fmt: skip
    if done.escaped:
        app.warn(f"{done.escaped:,} cells starting with = + - @ tab or CR were prefixed with '")
    for note in done.notes:
        app.warn(note)
    where = "stdout" if output == "-" else output
    if not app.quiet:  # plain echo: one line, never wrapped, no markup in paths
        click.echo(f"{kind}: {done.rows:,} rows to {where}; channels: {done.channels.line()}",
                   err=True)  # fmt: skip
    not_read = run.files_not_read()
    if not_read:  # --skip-unreadable: the file is incomplete, said even with -q
        click.echo(
            f"✗ NOT EVERY FILE WAS READ: {len(not_read)} not read ("
            + ", ".join(Path(f["file"]).name for f in not_read)
            + ")",
            err=True,
        )


@cli.command(name="audit")
@_audit_option
@output_options(("table", "json"), "table")
@pass_app
def audit_command(
    app: AppContext, audit_log: Path | None, fmt: str, output: str, force: bool
) -> None:
    """Print the export audit log: who exported what, when, from which files."""
    from recall_cli.tasks.audit_log import default_audit_path, read_audit
    from recall_cli.tasks.campaign import audit_table

    log = audit_log or default_audit_path()
    entries = read_audit(log)
    if fmt == "json":
        _write_text(output, api.dumps(entries), force)
    else:
        from recall_cli.output.terminal import frame_table

        _render(app, output, force, frame_table(audit_table(entries), "Audit log"))
    app.info(f"{len(entries):,} entries in {log}")
