"""Response tracking for the status reports of 21 CFR 7.53.

Notified = the affected customers. A customer responded when a row of the
responses carries a response date or a unit count for them; a tracking sheet
that lists every consignee with a blank date for the silent ones reads right.
Responses from customers who are not affected are flagged and not counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recall_cli.normalize.dates import is_readable_date
from recall_cli.normalize.sidetable import fold_aliases, read_side_table
from recall_cli.query import run as api
from recall_cli.query.result import RecallResult

RESPONSE_ALIASES = fold_aliases(
    {
        "customer_id": ("customer_id", "customer id", "consignee id", "id"),
        "response_date": (
            "response date", "response_date", "responded", "responded on", "date responded",
            "reply date", "date of response", "received", "date received",
            "date de reponse", "date reponse", "reponse le", "repondu le", "date retour",
        ),
        "units_returned": (
            "units returned", "units_returned", "returned", "qty returned", "quantity returned",
            "returned units", "units corrected", "unites retournees", "quantite retournee",
            "qte retournee", "retourne", "retournees",
        ),
        "units_on_hand": (
            "units on hand", "units_on_hand", "on hand", "qty on hand", "quantity on hand",
            "stock", "en stock", "unites en stock", "quantite en stock", "stock restant",
        ),
    }
)  # fmt: skip


def _units(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    text = text.map(lambda s: s.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", s) else
                    s.replace(",", "."))  # fmt: skip
    return pd.to_numeric(text, errors="coerce")


def read_responses(paths: Sequence[Path]) -> pd.DataFrame:
    """customer_id, response_date (text), units_returned, units_on_hand, one row per line."""
    frames = [read_side_table(Path(p), RESPONSE_ALIASES) for p in paths]
    out = pd.concat(frames, ignore_index=True) if frames else read_side_table_empty()
    out = out[out["customer_id"] != ""].reset_index(drop=True)
    out["units_returned"] = _units(out["units_returned"])
    out["units_on_hand"] = _units(out["units_on_hand"])
    return out


def read_side_table_empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in RESPONSE_ALIASES})


@dataclass
class RecallStatus:
    counts: dict[str, Any]
    not_responded: pd.DataFrame  # affected-table rows of the silent consignees
    unexpected: list[str]
    problems: list[str] = field(default_factory=list)  # said on stderr, never a value

    def to_json(self) -> dict[str, Any]:
        return self.counts

    def list_frame(self, which: str) -> pd.DataFrame:
        """`not-responded` (affected-table rows) or `unexpected` (ids only)."""
        if which == "unexpected":
            return pd.DataFrame({"customer_id": pd.Series(self.unexpected, dtype=object)})
        return self.not_responded


def recall_status(result: RecallResult, responses: pd.DataFrame) -> RecallStatus:
    table = api.affected_table(result)
    affected_ids = set(table["customer_id"]) - {""}
    responses = responses.copy()
    problems: list[str] = []
    for column in ("units_returned", "units_on_hand"):
        # A consignee cannot return or hold fewer than no units: such a count is not used.
        negative = responses[column] < 0
        if negative.any():
            k = int(negative.sum())
            problems.append(
                f"{k:,} response{'s' if k != 1 else ''} with negative "
                f"{column.replace('_', ' ')} (not counted; check the responses file)"
            )
            responses.loc[negative, column] = np.nan
    dated = responses["response_date"].fillna("").astype(str).map(is_readable_date)
    answered = dated | responses["units_returned"].notna() | responses["units_on_hand"].notna()
    noise = ~answered & (responses["response_date"].fillna("").astype(str).str.strip() != "")
    if noise.any():
        k = int(noise.sum())
        problems.append(
            f"{k:,} response line{'s' if k != 1 else ''} with an unreadable date and no "
            "readable units: not counted as responded"
        )
    real = responses[answered]
    mine = real["customer_id"].isin(affected_ids).to_numpy()
    expected, unexpected = real[mine], real[~mine]
    responded_ids = set(expected["customer_id"])
    silent = ~table["customer_id"].isin(responded_ids).to_numpy()
    notified = len(table)
    responded = notified - int(silent.sum())
    units_affected = int(table["units"].sum()) if notified else 0
    units_returned = round(float(np.nansum(expected["units_returned"].to_numpy(float))))
    units_on_hand = round(float(np.nansum(expected["units_on_hand"].to_numpy(float))))
    stray: list[str] = sorted(set(unexpected["customer_id"]))
    counts: dict[str, Any] = {
        "notified": notified,
        "responded": responded,
        "not_responded": notified - responded,
        "units_affected": units_affected,
        "units_returned": units_returned,
        "units_on_hand": units_on_hand,
        "units_outstanding": units_affected - units_returned,
        # Accounted for = consignees who answered, the measure a recall closes on.
        "percent_accounted": round(100 * responded / notified, 1) if notified else 100.0,
        "unexpected_responses": stray,
    }
    return RecallStatus(counts, table[silent].reset_index(drop=True), stray, problems)


def status_from_files(result: RecallResult, paths: Sequence[Path]) -> RecallStatus:
    return recall_status(result, read_responses(paths))
