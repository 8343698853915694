"""What a command hands the output layer: a table, or a document of several tables.

Tasks build these and return them; ``recall_cli.output`` writes them in any format
(table, csv, json, xlsx). Nothing here writes bytes or imports pandas at import time.

* :class:`Table`: columns, rows of plain Python values, a title. Its JSON is a list
  of records; its CSV and xlsx are the table itself.
* :class:`Document`: a result made of several tables (``summary``, ``status``...).
  ``data`` is its JSON (the command's documented contract); ``tables`` are what CSV
  (one section after another) and xlsx (one sheet each) carry; ``kind`` picks the
  terminal view, which gets ``data`` and ``view``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LIST_SEPARATOR", "Chart", "Document", "Result", "Table", "from_frame"]

#: How a list in a cell (the lots of a customer) is joined in CSV and xlsx.
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Chart:
    """A small category/value table drawn as a column chart beside its table (xlsx)."""

    title: str
    table: Table
    y_axis: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    name: str = ""  # the sheet or CSV section name; the title when empty
    chart: Chart | None = None

    @property
    def section(self) -> str:
        return self.name or self.title

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Document:
    kind: str
    data: Any
    tables: tuple[Table, ...]
    view: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(len(t.rows) for t in self.tables)


Result = Table | Document


def from_frame(frame: pd.DataFrame, title: str, name: str = "") -> Table:
    """A DataFrame as a Table of plain values (NaN and NaT as None)."""
    plain = frame.astype(object).where(frame.notna(), None)
    return Table(title, tuple(str(c) for c in frame.columns), plain.to_numpy().tolist(), name)


def pairs(title: str, items: Sequence[tuple[str, Any]], name: str = "",
          columns: tuple[str, str] = ("what", "value")) -> Table:  # fmt: skip
    """A two-column what / value table (the counts of a report)."""
    return Table(title, columns, [list(item) for item in items], name)
