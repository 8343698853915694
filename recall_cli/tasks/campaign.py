"""Campaign exports: one file per channel (email, letters, doctors, courier) and the workbook.

Each KIND is a small builder registered in :data:`KINDS`; ``recall export KIND`` looks it
up and hands its table (or the workbook's document) to the output layer, which writes it
(atomic, 0600, formula-safe) and appends one line to the audit log. Nothing here writes.

Channels partition the affected customers, so nobody is forgotten::

    email (valid address) + postal (no valid email, usable address) + uncontactable
        = affected customers

Another module can add kinds with :func:`register_kind`; :mod:`recall_cli.tasks.exports`
adds the regulator's FDA 806 and FSMA tables and is where the complete ``KINDS`` is read.

No click and no rich here; messages never carry a patient value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
from recall_cli.read.names import file_labels
from recall_cli.tasks import reports
from recall_cli.tasks.tables import LIST_SEPARATOR, Chart, Document, Result, Table, from_frame

if TYPE_CHECKING:
    pass

__all__ = [
    "FRENCH_COUNTRIES",
    "KINDS",
    "Campaign",
    "Channels",
    "ExportBuild",
    "Kind",
    "Params",
    "language_for",
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


#: Params field -> its option, to refuse an option a kind does not use.
PARAM_OPTIONS = {"all_postal": "--all", "with_patients": "--with-patients",
                 "ship_from": "--ship-from", "domestic": "--domestic"}  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One export kind. ``build`` returns the table; ``document`` (optional) builds a
    several-sheet result instead (the workbook). ``uses``: the Params fields it reads."""

    name: str
    help: str
    build: Callable[[Campaign, Params], pd.DataFrame]
    formats: tuple[str, ...] = ("csv", "xlsx", "json")
    sheet: str = "Data"
    document: Callable[[Campaign, Params], Document] | None = None
    uses: frozenset[str] = frozenset()


KINDS: dict[str, Kind] = {}
Builder = Callable[["Campaign", Params], pd.DataFrame]


def register_kind(
    name: str,
    *,
    help: str,
    formats: tuple[str, ...] = ("csv", "xlsx", "json"),
    sheet: str | None = None,
    document: Callable[[Campaign, Params], Document] | None = None,
    uses: tuple[str, ...] = (),
) -> Callable[[Builder], Builder]:
    """Decorator: ``@register_kind("fsma", help="...")`` over ``def build(campaign, params)``."""

    def decorate(build: Builder) -> Builder:
        if name in KINDS:
            raise ValueError(f"export kind {name!r} is registered twice")
        unknown = set(uses) - set(PARAM_OPTIONS)
        if unknown:
            raise ValueError(f"export kind {name!r} uses unknown params {sorted(unknown)}")
        KINDS[name] = Kind(name, help, build, formats, sheet or name.title(), document,
                           frozenset(uses))  # fmt: skip
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
    uses=("all_postal",),
)
def postal_frame(campaign: Campaign, params: Params) -> pd.DataFrame:
    c = campaign.customers
    rows = c[c["has_address"]] if params.all_postal else campaign.of(POSTAL)
    cols = ("customer_id", "name", "first_name", "last_name", "address", "address2", "city",
            "region", "postal_code", "country", "language", "lots", "units")  # fmt: skip
    return _pick(rows, {c: c for c in cols})


@register_kind(
    "hcp",
    help="One row per prescriber of an affected customer (doctors' letters).",
    uses=("with_patients",),
)
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
    labels = file_labels(info.file for info in result.shipments.sources)
    for info, counts in zip(result.shipments.sources, result.source_counts(), strict=True):
        out.append(
            {
                "file": labels[info.file],
                "sheet": info.sheet,
                "header_row": info.header_row if info.header_row is not None else "",
                "columns": LIST_SEPARATOR.join(f"{k}={v}" for k, v in info.columns.items()),
                "date_order": info.date_order,
                **{f"rows_{k}": v for k, v in counts.items()},
                "skipped": info.skipped,
            }
        )
    return pd.DataFrame(out)


def workbook_document(campaign: Campaign, params: Params) -> Document:
    """The quality team's workbook: the summary with a chart of units by week, every
    channel, the rows to review and how each sheet was read."""
    weeks = Table("Affected units by ship week", ("week of (Monday)", "affected units"),
                  [[w, u] for w, u in _units_by_week(campaign.result)])  # fmt: skip
    summary = from_frame(summary_frame(campaign), "Summary")
    summary = Table(summary.title, summary.columns, summary.rows, "Summary",
                    Chart("Affected units by ship week", weeks, "units (each)"))  # fmt: skip
    sheets: dict[str, pd.DataFrame] = {
        "Customers": customers_frame(campaign),
        "Email": email_frame(campaign, params),
        "Postal": postal_frame(campaign, params),
        "Doctors": hcp_frame(campaign, params),
        "Replacements": replacements_frame(campaign, params),
    }
    tables = [summary, *(from_frame(frame, name) for name, frame in sheets.items())]
    tables.append(reports.review_rows(campaign.result))
    tables.append(from_frame(sources_frame(campaign), "Sources"))
    data = {"channels": campaign.channels.to_dict(), "customers": len(sheets["Customers"])}
    return Document("workbook", data, tuple(tables))


register_kind(
    "workbook",
    help="One .xlsx for the quality team: summary with chart, every channel, review, sources.",
    formats=("xlsx",),
    document=workbook_document,
    uses=("all_postal", "with_patients"),
)(lambda campaign, params: customers_frame(campaign))


# --- the one call the CLI makes ---------------------------------------------------------


@dataclass(frozen=True)
class ExportBuild:
    """One export, built: the result to write, the channel sums, notes for stderr."""

    kind: str
    result: Result
    rows: int
    channels: Channels
    notes: list[str]


def notes_for(kind: str, campaign: Campaign) -> list[str]:
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
