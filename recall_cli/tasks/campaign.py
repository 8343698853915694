"""Campaign exports: one file per channel (email, letters, doctors, courier) and the workbook.

Each KIND is a small builder registered in :data:`KINDS`; ``recall export KIND`` looks it
up, writes its frame with the format writers of ``export.py`` (atomic, 0600, formula-safe)
and appends one line to the audit log.

Channels partition the affected customers, so nobody is forgotten::

    email (valid address) + postal (no valid email, usable address) + uncontactable
        = affected customers

Another module can add kinds with :func:`register_kind` (``regulator.py`` does for the
FDA 806 and FSMA reports). This module imports ``recall_cli.regulator`` at its bottom
when that module exists, so ``KINDS`` is complete whoever imports it first; an error
inside ``regulator`` is not hidden.

No click and no rich here; messages never carry a patient value.
"""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from recall_cli.errors import ExportError, ScopeError
from recall_cli.output.frames import (
    LIST_SEPARATOR,
    WriteOptions,
    Written,
    add_sheet,
    new_workbook,
    write_frame,
)
from recall_cli.output.safe_write import atomic_output
from recall_cli.query.result import (
    AFFECTED_COLUMNS,
    RecallResult,
    prescriber_keys,
    summarize,
)
from recall_cli.query.result import units_by_week as _units_by_week
from recall_cli.query.tally import (
    EMAIL,
    POSTAL,
    UNCONTACTABLE,
    channel,
    has_postal_address,
)
from recall_cli.tasks.audit_log import append_audit, make_entry

if TYPE_CHECKING:
    from recall_cli.query.run import Run

__all__ = [
    "FRENCH_COUNTRIES",
    "KINDS",
    "Campaign",
    "Channels",
    "ExportReport",
    "Kind",
    "Params",
    "export",
    "language_for",
    "pick_format",
    "register_kind",
    "split_name",
]

# French is the only official language in France, its overseas departments and
# collectivities, and Monaco. Belgium, Switzerland, Luxembourg and Canada are multilingual:
# the data cannot tell a French speaker from a Dutch or German one, so they get `en` and a
# person decides (a wrong-language letter is worse than an English one there).
FRENCH_COUNTRIES: frozenset[str] = frozenset(
    {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF", "MC"}
)


@dataclass(frozen=True)
class Params:
    """Options that change what a kind contains (not how it is written)."""

    all_postal: bool = False  # --all: letters to every affected customer with an address
    with_patients: bool = False  # --with-patients: patient names in the doctors' file
    ship_from: str | None = None  # --ship-from: fsma ship-from where the data has no column
    domestic: str = "US"  # --domestic: fda-806 domestic country (a US FDA report by default)


@dataclass(frozen=True)
class Kind:
    """One export kind. ``build`` returns the table; ``write`` (optional) writes the whole
    file itself (the workbook) and returns what was written."""

    name: str
    help: str
    build: Callable[[Campaign, Params], pd.DataFrame]
    formats: tuple[str, ...] = ("csv", "xlsx", "json")
    sheet: str = "Data"
    write: Callable[[Campaign, Params, str, WriteOptions], Written] | None = None


KINDS: dict[str, Kind] = {}
Builder = Callable[["Campaign", Params], pd.DataFrame]


def register_kind(
    name: str,
    *,
    help: str,
    formats: tuple[str, ...] = ("csv", "xlsx", "json"),
    sheet: str | None = None,
    write: Callable[[Campaign, Params, str, WriteOptions], Written] | None = None,
) -> Callable[[Builder], Builder]:
    """Decorator: ``@register_kind("fsma", help="...")`` over ``def build(campaign, params)``."""

    def decorate(build: Builder) -> Builder:
        if name in KINDS:
            raise ValueError(f"export kind {name!r} is registered twice")
        KINDS[name] = Kind(name, help, build, formats, sheet or name.title(), write)
        return build

    return decorate


# --- names and languages -------------------------------------------------------

_TITLES = re.compile(
    r"^(mr|mrs|ms|miss|mx|dr|prof|m|mme|mlle|monsieur|madame|mademoiselle|docteur|pr)\.?\s+",
    re.IGNORECASE,
)
# Family-name particles: "Ludwig van Beethoven" → Ludwig / van Beethoven.
_PARTICLES = frozenset(
    ("van", "von", "der", "den", "de", "du", "des", "da", "di", "del", "della", "le", "la",
     "los", "las", "st", "st.", "saint", "ten", "ter", "dos")
)  # fmt: skip


def split_name(name: str) -> tuple[str, str]:
    """(first, last) from a full name: "Doe, Jane" and "Jane Doe" both give Jane / Doe.

    A single word is taken as the family name (letters are addressed "Dear Mr Doe"
    more safely than "Dear Jane"). Titles (Dr, Mme...) are dropped.
    """
    text = " ".join(str(name).split())
    if "," in text:
        last, _, first = text.partition(",")
        return _TITLES.sub("", first.strip()).strip(), last.strip()
    text = _TITLES.sub("", text)
    words = text.split(" ") if text else []
    if len(words) <= 1:
        return "", text
    cut = len(words) - 1
    for i in range(1, len(words) - 1):
        if words[i].lower() in _PARTICLES:
            cut = i
            break
    return " ".join(words[:cut]), " ".join(words[cut:])


def language_for(countries: pd.Series) -> pd.Series:
    """`fr` for French customers (see FRENCH_COUNTRIES), else `en`."""
    iso = countries.fillna("").astype(str).str.strip().str.upper()
    return pd.Series(np.where(iso.isin(FRENCH_COUNTRIES), "fr", "en"), index=countries.index)


# --- the campaign: affected customers with their channel ------------------------


@dataclass(frozen=True)
class Channels:
    email: int
    postal: int
    uncontactable: int
    affected: int

    @property
    def adds_up(self) -> bool:
        return self.email + self.postal + self.uncontactable == self.affected

    def line(self) -> str:
        mark = "✓" if self.adds_up else "✗ DOES NOT ADD UP"
        return (
            f"email {self.email:,} + postal {self.postal:,} + uncontactable "
            f"{self.uncontactable:,} = {self.affected:,} affected customers {mark}"
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "email": self.email,
            "postal": self.postal,
            "uncontactable": self.uncontactable,
            "affected": self.affected,
        }


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[col].fillna("").astype(str).str.strip()


@dataclass
class Campaign:
    """The affected customers with names split, language and channel, computed once."""

    result: RecallResult
    customers: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        c = self.result.customers.copy().reset_index(drop=True)
        for col in ("first_name", "last_name", "address2"):
            c[col] = _text(c, col)
        # Split `name` only where the file gave no first/last name at all.
        need = (c["first_name"] == "") & (c["last_name"] == "")
        if need.any():
            parts = c.loc[need, "name"].fillna("").astype(str).map(split_name)
            c.loc[need, "first_name"] = parts.map(lambda p: p[0])
            c.loc[need, "last_name"] = parts.map(lambda p: p[1])
        c["language"] = language_for(c["country"]) if len(c) else pd.Series([], dtype=object)
        # The one channel rule (query.tally.channel), as summary counts it.
        parts = [_text(c, col).tolist() for col in ("address", "address2", "city", "postal_code")]
        c["has_address"] = pd.Series(
            [has_postal_address(*p) for p in zip(*parts, strict=True)], index=c.index, dtype=bool
        )
        columns = [_text(c, "email").tolist(), *parts]
        c["channel"] = pd.Series(
            [channel(*v) for v in zip(*columns, strict=True)], index=c.index, dtype=object
        )
        self.customers = c

    @property
    def channels(self) -> Channels:
        counts = self.customers["channel"].value_counts()
        return Channels(
            email=int(counts.get(EMAIL, 0)),
            postal=int(counts.get(POSTAL, 0)),
            uncontactable=int(counts.get(UNCONTACTABLE, 0)),
            affected=len(self.customers),
        )

    def of(self, *channels: str) -> pd.DataFrame:
        return self.customers[self.customers["channel"].isin(channels)]


def _pick(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Columns renamed as the receiving tool expects, in order, with a clean index."""
    return frame[list(columns)].rename(columns=columns).reset_index(drop=True)


# --- kinds -------------------------------------------------------------------------


@register_kind("email", help="One row per affected customer with a valid email address.")
def email_frame(campaign: Campaign, params: Params) -> pd.DataFrame:
    cols = ("customer_id", "name", "first_name", "last_name", "email", "language", "lots",
            "units")  # fmt: skip
    return _pick(campaign.of(EMAIL), {c: c for c in cols})


@register_kind(
    "postal",
    help="Letters: affected customers without a valid email (--all: everyone with an address).",
)
def postal_frame(campaign: Campaign, params: Params) -> pd.DataFrame:
    c = campaign.customers
    rows = c[c["has_address"]] if params.all_postal else campaign.of(POSTAL)
    cols = ("customer_id", "name", "first_name", "last_name", "address", "address2", "city",
            "region", "postal_code", "country", "language", "lots", "units")  # fmt: skip
    return _pick(rows, {c: c for c in cols})


@register_kind("hcp", help="One row per prescriber of an affected customer (doctors' letters).")
def hcp_frame(campaign: Campaign, params: Params) -> pd.DataFrame:
    c = campaign.customers
    columns = ["prescriber_id", "prescriber", "patients_affected", "units", "lots"]
    if params.with_patients:
        columns.append("patients")
    if c.empty:
        return pd.DataFrame({col: pd.Series([], dtype=object) for col in columns})
    c = c.assign(_key=prescriber_keys(c))
    c = c[c["_key"] != ""]
    out = []
    for _key, g in c.groupby("_key", sort=False):
        ids = sorted(set(g["prescriber_id"].fillna("").astype(str)) - {""})
        names = g["prescriber"].fillna("").astype(str)
        names = names[names != ""]
        row: dict[str, Any] = {
            "prescriber_id": ids[0] if ids else "",
            # The spelling most of their patients' rows use.
            "prescriber": names.value_counts().index[0] if len(names) else "",
            "patients_affected": int(g["customer_key"].nunique()),
            "units": int(g["units"].sum()),
            "lots": sorted({lot for lots in g["lots"] for lot in lots}),
        }
        if params.with_patients:
            row["patients"] = "; ".join(
                f"{n} ({i})" for i, n in sorted(zip(g["customer_id"], g["name"], strict=True))
            )
        out.append(row)
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values(["prescriber_id", "prescriber"], kind="stable").reset_index(drop=True)


@register_kind("replacements", help="Courier upload: one row per affected customer.")
def replacements_frame(campaign: Campaign, params: Params) -> pd.DataFrame:
    c = campaign.customers.copy()
    # Net units can be 0 or negative when returns fall inside the window: nothing to send.
    c["units_to_replace"] = c["units"].clip(lower=0) if len(c) else c["units"]
    return _pick(
        c,
        {
            "customer_id": "reference",
            "name": "ship_to_name",
            "address": "address_line1",
            "address2": "address_line2",
            "city": "city",
            "region": "region",
            "postal_code": "postal_code",
            "country": "country",
            "phone": "phone",
            "email": "email",
            "units_to_replace": "units_to_replace",
            "lots": "lots",
        },
    )


def customers_frame(campaign: Campaign) -> pd.DataFrame:
    """The affected customers as `recall affected` shows them, plus language and channel."""
    c = campaign.customers
    return c[[*AFFECTED_COLUMNS, "first_name", "last_name", "address2", "language",
              "channel"]].reset_index(drop=True)  # fmt: skip


def summary_frame(campaign: Campaign) -> pd.DataFrame:
    """What / value rows for the Summary sheet: scope, unit of measure, counts."""
    s = summarize(campaign.result)
    ch = campaign.channels
    recall = campaign.result.scope.to_dict()
    rows: list[tuple[str, object]] = [
        ("recall", recall["name"] or ""),
        ("lots", ", ".join(recall["lots"])),
        ("shipped from (inclusive)", recall["from"] or ""),
        ("shipped to (inclusive)", recall["to"] or ""),
        ("countries", ", ".join(recall["countries"]) or "all countries"),
        ("unit of measure", "each (net units shipped, returns subtracted)"),
        ("affected customers", ch.affected),
        ("  by email", ch.email),
        ("  by letter", ch.postal),
        ("  uncontactable (see Customers, channel column)", ch.uncontactable),
        ("affected units", s["units"]),
        ("affected shipment lines", s["shipments"]),
        ("prescribers (HCPs)", s["hcps"]),
        ("customers in all data", s["customers_total"]),
    ]
    rows += [(f"rows {k.replace('_', ' ')}", v) for k, v in s["rows"].items()]  # type: ignore[attr-defined]
    for lot, st in s["by_lot"].items():  # type: ignore[attr-defined]
        rows.append((f"lot {lot}: customers / units / shipments",
                     f"{st['customers']} / {st['units']} / {st['shipments']}"))  # fmt: skip
    for country, st in s["by_country"].items():  # type: ignore[attr-defined]
        rows.append((f"country {country}: customers / units / shipments",
                     f"{st['customers']} / {st['units']} / {st['shipments']}"))  # fmt: skip
    return pd.DataFrame(rows, columns=["what", "value"])


def sources_frame(campaign: Campaign) -> pd.DataFrame:
    """Files, sheets, header rows, column mapping and bucket counts per sheet."""
    result = campaign.result
    out = []
    for info, counts in zip(result.shipments.sources, result.source_counts(), strict=True):
        out.append(
            {
                "file": Path(info.file).name,
                "sheet": info.sheet,
                "header_row": info.header_row if info.header_row is not None else "",
                "columns": LIST_SEPARATOR.join(f"{k}={v}" for k, v in info.columns.items()),
                "date_order": info.date_order,
                **{f"rows_{k}": v for k, v in counts.items()},
                "skipped": info.skipped,
            }
        )
    return pd.DataFrame(out)


def _write_workbook(
    campaign: Campaign, params: Params, output: str, options: WriteOptions
) -> Written:
    from recall_cli.query.run import review_table

    sheets: dict[str, pd.DataFrame] = {
        "Customers": customers_frame(campaign),
        "Email": email_frame(campaign, params),
        "Postal": postal_frame(campaign, params),
        "Doctors": hcp_frame(campaign, params),
        "Replacements": replacements_frame(campaign, params),
        "Needs review": review_table(campaign.result),
        "Sources": sources_frame(campaign),
    }
    buffer = io.BytesIO()
    with new_workbook(buffer) as workbook:
        summary = summary_frame(campaign)
        sheet = add_sheet(workbook, "Summary", summary)
        _week_chart(workbook, sheet, _units_by_week(campaign.result), first_col=3)
        for name, frame in sheets.items():
            add_sheet(workbook, name, frame)
    with atomic_output(output, force=options.force) as stream:
        stream.write(buffer.getvalue())
    return Written(output, len(sheets["Customers"]), 0)


def _week_chart(workbook: Any, sheet: Any, weeks: list[Any], first_col: int) -> None:
    """A week / units table beside the counts, and a native column chart of it."""
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, first_col, "week of (Monday)", bold)
    sheet.write_string(0, first_col + 1, "affected units", bold)
    for i, (week, units) in enumerate(weeks, start=1):
        sheet.write_datetime(i, first_col, pd.Timestamp(week).to_pydatetime(), date_fmt)
        sheet.write_number(i, first_col + 1, units)
    sheet.set_column(first_col, first_col + 1, 16)
    chart = workbook.add_chart({"type": "column"})
    last = max(len(weeks), 1)
    chart.add_series(
        {
            "name": "affected units",
            "categories": ["Summary", 1, first_col, last, first_col],
            "values": ["Summary", 1, first_col + 1, last, first_col + 1],
        }
    )
    chart.set_title({"name": "Affected units by ship week"})
    chart.set_x_axis({"name": "week of", "date_axis": False, "num_format": "yyyy-mm-dd"})
    chart.set_y_axis({"name": "units (each)"})
    chart.set_legend({"none": True})
    sheet.insert_chart(1, first_col + 3, chart)


register_kind(
    "workbook",
    help="One .xlsx for the quality team: summary with chart, every channel, review, sources.",
    formats=("xlsx",),
    write=_write_workbook,
)(lambda campaign, params: customers_frame(campaign))


# --- the one call the CLI makes ---------------------------------------------------------


@dataclass(frozen=True)
class ExportReport:
    kind: str
    output: str
    format: str
    rows: int
    escaped: int
    channels: Channels
    audit_log: Path
    notes: list[str]


_SUFFIX_FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json"}


def pick_format(kind: str, requested: str | None, output: str) -> str:
    """The format asked for, else the one the output's suffix names, else the kind's first."""
    spec = KINDS[kind]
    guessed = None if output == "-" else _SUFFIX_FORMATS.get(Path(output).suffix.lower())
    fmt = requested or (guessed if guessed in spec.formats else None) or spec.formats[0]
    if fmt not in spec.formats:
        raise ScopeError(
            f"export {kind} cannot be written as {fmt}",
            hint=f"use --format {' or '.join(spec.formats)}",
        )
    return fmt


def export(
    run: Run,
    kind: str,
    output: str,
    *,
    fmt: str | None = None,
    params: Params = Params(),
    options: WriteOptions | None = None,
    audit_log: Path | None = None,
    command: str = "export",
) -> ExportReport:
    """Build one kind, write it safely, append the audit line; return what was done."""
    if kind not in KINDS:
        raise ScopeError(f"unknown export kind {kind!r}", hint=f"one of: {', '.join(KINDS)}")
    spec = KINDS[kind]
    fmt = pick_format(kind, fmt, output)
    options = options or WriteOptions()
    campaign = Campaign(run.result)
    if spec.write is not None:
        written = spec.write(campaign, params, output, options)
    else:
        frame = spec.build(campaign, params)
        written = write_frame(frame, output, fmt, _with_sheet(options, spec.sheet))
    files = list(dict.fromkeys(s.file for s in run.shipments.sources))
    try:
        entry = make_entry(
            command=command, kind=kind, scope=run.result.scope.to_dict(), inputs=files,
            output=output, rows=written.rows,
        )  # fmt: skip
        log = append_audit(entry, audit_log)
    except OSError as exc:
        raise ExportError(
            f"the export was written but the audit log could not be appended ({exc.strerror})",
            file=audit_log,
            hint="check the audit log folder, or set --audit-log / RECALL_AUDIT_LOG",
        ) from None
    return ExportReport(
        kind=kind, output=output, format=fmt, rows=written.rows, escaped=written.escaped,
        channels=campaign.channels, audit_log=log, notes=_notes(kind, campaign),
    )  # fmt: skip


def _with_sheet(options: WriteOptions, sheet: str) -> WriteOptions:
    from dataclasses import replace

    return replace(options, sheet_name=sheet)


def _notes(kind: str, campaign: Campaign) -> list[str]:
    """Counts worth a warning on stderr (never a patient value)."""
    c = campaign.customers
    notes = []
    if campaign.channels.uncontactable:
        notes.append(
            f"{campaign.channels.uncontactable:,} affected customers have neither a valid email "
            "nor a postal address: see the Customers sheet of `recall export workbook`"
        )
    if kind == "replacements":
        no_address = int((~c["has_address"]).sum())
        nothing = int((c["units"] <= 0).sum())
        if no_address:
            notes.append(f"{no_address:,} rows have no usable address: the courier needs one")
        if nothing:
            notes.append(f"{nothing:,} rows have 0 units to replace (returned inside the window)")
    if kind in ("fda-806", "fsma"):
        returns = int((campaign.result.matched["quantity"] < 0).sum())
        if returns:
            notes.append(
                f"{returns:,} return lines are not listed (they are not shipments); "
                "fda-806-totals and summary are net of them"
            )
    if kind == "hcp":
        keys = prescriber_keys(c) if len(c) else pd.Series([], dtype=object)
        missing = int((keys == "").sum())
        if missing:
            notes.append(f"{missing:,} affected customers have no prescriber: not in this file")
    return notes


def audit_table(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """The audit log as a table: one row per export, inputs shown by name and hash prefix."""
    rows = []
    for e in entries:
        scope = e.get("scope") or {}
        inputs = e.get("inputs") or []
        rows.append(
            {
                "time_utc": e.get("time_utc", e.get("error", "")),
                "user": e.get("user", ""),
                "command": e.get("command", ""),
                "kind": e.get("kind", ""),
                "rows": e.get("rows", ""),
                "lots": ", ".join(map(str, scope.get("lots", []))),
                "window": f"{scope.get('from') or '…'} to {scope.get('to') or '…'}"
                if scope
                else "",
                "inputs": ", ".join(
                    f"{Path(str(i.get('path', ''))).name} ({str(i.get('sha256', ''))[:12]})"
                    for i in inputs
                ),
                "output": e.get("output", ""),
            }
        )
    columns = ["time_utc", "user", "command", "kind", "rows", "lots", "window", "inputs", "output"]
    return pd.DataFrame(rows, columns=columns)


# Optional kinds from other modules (see the module docstring).
if importlib.util.find_spec(f"{__package__}.regulator") is not None:
    from recall_cli.tasks import regulator  # noqa: F401
