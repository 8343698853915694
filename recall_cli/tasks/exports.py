"""Every `recall export` KIND in one registry: the campaign files and the regulator's.

Campaign kinds register themselves in :mod:`recall_cli.tasks.campaign`; the regulator's
tables (:mod:`recall_cli.tasks.regulator`) are registered here, so neither module
imports the other. Import ``KINDS`` from here to see them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from recall_cli.errors import ScopeError
from recall_cli.normalize.countries import to_iso2
from recall_cli.tasks.campaign import (
    KINDS,
    PARAM_OPTIONS,
    Campaign,
    ExportBuild,
    Params,
    notes_for,
    register_kind,
)
from recall_cli.tasks.regulator import DOMESTIC, fda806_frame, fda806_totals, fsma_frame
from recall_cli.tasks.tables import Result, from_frame

if TYPE_CHECKING:
    from recall_cli.query.run import Run

__all__ = ["KINDS", "build_export", "unused_params"]

_NO_PARAMS = Params()


def _domestic(params: Params) -> str:
    given = params.domestic or DOMESTIC
    return to_iso2(given) or given.strip().upper()


@register_kind(
    "fda-806",
    help="21 CFR 806.10(c)(11) consignee list: name, address, phone, date and devices per lot.",
    sheet="Consignees",
    uses=("domestic",),
)
def _fda806_kind(campaign: Campaign, params: Params) -> pd.DataFrame:
    return fda806_frame(campaign.result, _domestic(params))


@register_kind(
    "fda-806-totals",
    help="21 CFR 806.10(c)(9): consignees, devices and shipments per lot, domestic/foreign.",
    sheet="Totals",
    uses=("domestic",),
)
def _fda806_totals_kind(campaign: Campaign, params: Params) -> pd.DataFrame:
    return fda806_totals(campaign.result, _domestic(params))


@register_kind(
    "fsma",
    help="FSMA 204 shipping KDEs, one row per shipment line (sortable spreadsheet).",
    sheet="FSMA 204",
    uses=("ship_from",),
)
def _fsma_kind(campaign: Campaign, params: Params) -> pd.DataFrame:
    return fsma_frame(campaign.result, params.ship_from)


def unused_params(kind: str, given: set[str]) -> list[str]:
    """The options among ``given`` (Params field names) that ``kind`` does not read."""
    uses = KINDS[kind].uses
    return [PARAM_OPTIONS[p] for p in sorted(given) if p not in uses]


def build_export(run: Run, kind: str, params: Params = _NO_PARAMS) -> ExportBuild:
    """Build one kind's table (or the workbook's document); the output layer writes it."""
    if kind not in KINDS:
        raise ScopeError(f"unknown export kind {kind!r}", hint=f"one of: {', '.join(KINDS)}")
    spec = KINDS[kind]
    campaign = Campaign(run.result)
    result: Result
    if spec.document is not None:
        result = spec.document(campaign, params)
        rows = len(campaign.customers)
    else:
        result = from_frame(spec.build(campaign, params), spec.help, spec.sheet)
        rows = len(result.rows)
    return ExportBuild(kind, result, rows, campaign.channels, notes_for(kind, campaign))
