"""How to normalise the cells: column mappings by hand, and a forced day/month order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DAYFIRST = "day-first"
MONTHFIRST = "month-first"


@dataclass(frozen=True)
class NormalizeOptions:
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical → header text
    date_order: str | None = None  # DAYFIRST / MONTHFIRST to force
