"""The tables regulators ask for, as plain DataFrames (the output layer writes them).

- `fda806_frame`: the consignee list of 21 CFR 806.10(c)(11): name, address and
  phone of each consignee with the dates and number of devices sent, per lot;
  `fda806_totals`: devices and consignees per lot (c)(9), split domestic/foreign.
- `fsma_frame`: the FSMA 204 shipping key data elements, one row per shipment
  line, as the "electronic sortable spreadsheet".
"""

from __future__ import annotations

import pandas as pd

from recall_cli.normalize.countries import PARENT
from recall_cli.query.result import RecallResult
from recall_cli.query.tally import net_units, whole_units

DOMESTIC = "US"  # a report to the US FDA: domestic means shipped to the US
DEFAULT_UNIT = "each"

FDA806_COLUMNS = (
    "lot", "consignee_id", "name", "address", "city", "region", "postal_code",
    "country", "phone", "distribution", "ship_date", "units", "shipments",
)  # fmt: skip
TOTALS_COLUMNS = ("lot", "distribution", "consignees", "units", "shipments")
FSMA_COLUMNS = (
    "traceability_lot_code", "quantity", "unit_of_measure", "product_description",
    "ship_to_location", "ship_from_location", "ship_date", "reference_document_type",
    "reference_document_number",
)  # fmt: skip


def _distribution(country: pd.Series, domestic: str) -> pd.Series:
    # FDA's "domestic" takes in Puerto Rico and the other US territories, which
    # exports list under their own codes.
    def part(c: str) -> str:
        if c == domestic or PARENT.get(c) == domestic:
            return "domestic"
        return "foreign" if c else "unknown"

    return country.map(part)


def sent_lines(matched: pd.DataFrame) -> pd.DataFrame:
    """Matched lines that are shipments, not returns (a negative quantity)."""
    return matched[~(matched["quantity"] < 0).to_numpy(dtype=bool)]


def fda806_frame(result: RecallResult, domestic: str = DOMESTIC) -> pd.DataFrame:
    """One row per lot, consignee and ship date, with the devices sent that day.

    Contact details are the consignee's latest (as in `recall affected`); sorted
    by lot, consignee and date so the regulator can read each lot's list in turn.
    Return lines are not distribution and are left out (a return on a later day
    would make that day negative); fda806_totals and summary are net of them.
    """
    matched = sent_lines(result.matched)
    if matched.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FDA806_COLUMNS})
    lines = pd.DataFrame(
        {
            "customer_key": matched["customer_key"].to_numpy(),
            "lot": matched["lot"].to_numpy(),
            "ship_date": matched["ship_date"].dt.date.to_numpy(),
            "units": matched["quantity"].fillna(0).to_numpy(),
        }
    )
    per_day = (
        lines.groupby(["lot", "customer_key", "ship_date"], sort=False)
        .agg(units=("units", "sum"), shipments=("units", "size"))
        .reset_index()
    )
    per_day["units"] = whole_units(per_day["units"].to_numpy())
    contact = result.customers.set_index("customer_key")
    cols = ["customer_id", "name", "address", "city", "region", "postal_code",
            "country", "phone"]  # fmt: skip
    info = contact.reindex(columns=cols, fill_value="").reindex(per_day["customer_key"])
    out = pd.concat([per_day.reset_index(drop=True), info.reset_index(drop=True)], axis=1)
    out = out.rename(columns={"customer_id": "consignee_id"})
    out["distribution"] = _distribution(out["country"], domestic.upper())
    out = out.sort_values(["lot", "consignee_id", "customer_key", "ship_date"], kind="stable")
    return out[list(FDA806_COLUMNS)].reset_index(drop=True)


def fda806_totals(result: RecallResult, domestic: str = DOMESTIC) -> pd.DataFrame:
    """Per lot: consignees, devices and shipment lines, domestic, foreign and all."""
    matched = result.matched
    frame = pd.DataFrame(
        {
            "lot": matched["lot"].to_numpy(),
            "distribution": _distribution(matched["country"], domestic.upper()).to_numpy(),
            "customer_key": matched["customer_key"].to_numpy(),
            "units": matched["quantity"].fillna(0).to_numpy(),
        }
    )
    rows = []
    for lot in [*result.scope.lots, "all lots"]:
        mine = frame if lot == "all lots" else frame[frame["lot"] == lot]
        for part in ("domestic", "foreign", "unknown", "all"):
            sub = mine if part == "all" else mine[mine["distribution"] == part]
            if part == "unknown" and sub.empty:
                continue  # only shown when some country is blank
            rows.append(
                {
                    "lot": lot,
                    "distribution": part,
                    "consignees": int(sub["customer_key"].nunique()),
                    "units": net_units(sub["units"].tolist()),
                    "shipments": len(sub),
                }
            )
    return pd.DataFrame(rows, columns=list(TOTALS_COLUMNS))


def _joined(*parts: pd.Series) -> pd.Series:
    frame = pd.concat([p.fillna("").astype(str).str.strip() for p in parts], axis=1)
    return frame.apply(lambda r: ", ".join(v for v in r if v), axis=1)


def fsma_frame(result: RecallResult, ship_from: str | None = None) -> pd.DataFrame:
    """FSMA 204 shipping KDEs, one row per matched shipment line, by lot then date.

    The ship-from location is the row's own column when it has one, else `ship_from`.
    """
    m = sent_lines(result.matched)  # returns are not shipping events
    if m.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FSMA_COLUMNS})
    m = m.sort_values(["lot", "ship_date", "customer_id"], kind="stable")
    order = m["order_id"].fillna("").astype(str)
    own_from = m["ship_from"].fillna("").astype(str).str.strip()
    out = pd.DataFrame(
        {
            "traceability_lot_code": m["lot"].to_numpy(),
            "quantity": whole_units(m["quantity"].fillna(0).to_numpy()),
            "unit_of_measure": m["unit"].fillna("").replace("", DEFAULT_UNIT).to_numpy(),
            "product_description": m["product"].fillna("").to_numpy(),
            "ship_to_location": _joined(
                m["name"],
                m["address"],
                m["address2"],
                m["city"],
                m["region"],
                m["postal_code"],
                m["country"],
            ).to_numpy(),
            "ship_from_location": own_from.where(own_from != "", ship_from or "").to_numpy(),
            "ship_date": m["ship_date"].dt.date.to_numpy(),
            "reference_document_type": order.map(lambda o: "order" if o else "").to_numpy(),
            "reference_document_number": order.to_numpy(),
        }
    )
    return out.reset_index(drop=True)
