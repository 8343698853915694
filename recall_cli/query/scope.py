"""The recall scope: what is recalled. No numpy, so parsing a command line stays light."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from recall_cli.errors import ScopeError
from recall_cli.normalize.countries import to_iso2
from recall_cli.normalize.lots import normalize_lot


@dataclass(frozen=True)
class RecallScope:
    """What is recalled: lots (normalised), an inclusive ship-date window, countries."""

    lots: tuple[str, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    countries: tuple[str, ...] = ()
    name: str = ""

    @classmethod
    def create(
        cls,
        lots: Iterable[object],
        start: dt.date | None = None,
        end: dt.date | None = None,
        countries: Iterable[str] = (),
        name: str = "",
    ) -> RecallScope:
        normalized = sorted({normalize_lot(v) for v in lots} - {""})
        if not normalized:
            raise ScopeError(
                "no recalled lot given", hint="pass --lot, --lots-file or --recall FILE.toml"
            )
        if start and end and start > end:
            raise ScopeError(
                f"--from {start.isoformat()} is after --to {end.isoformat()}",
                hint="swap the dates",
            )
        codes = []
        for c in countries:
            code = to_iso2(c)
            if code is None:
                raise ScopeError(
                    f"unknown country {c!r}", hint="use an ISO code such as US or FR, or a name"
                )
            codes.append(code)
        return cls(tuple(normalized), start, end, tuple(sorted(set(codes))), name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lots": list(self.lots),
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "countries": list(self.countries),
        }
