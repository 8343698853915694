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

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "LIST_SEPARATOR", "ArrowRows", "Chart", "Document", "Result", "Table", "from_arrow",
    "from_frame",
]  # fmt: skip

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


class ArrowRows(Sequence[list[Any]]):
    """The rows of an Arrow table as lists of plain values, made a slice at a time.

    A :class:`Table` of a million SQL rows keeps them in Arrow: the parquet writer
    takes the table itself, and csv, json and xlsx see ordinary rows without a
    million lists being made at once.
    """

    _BATCH = 65_536

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...
    @overload
    def __getitem__(self, index: slice) -> ArrowRows: ...
    def __getitem__(self, index: int | slice) -> list[Any] | ArrowRows:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("ArrowRows slices go one row at a time")
            return ArrowRows(self.table.slice(start, max(stop - start, 0)))
        n = len(self)
        if not -n <= index < n:
            raise IndexError(index)
        return next(iter(self[index % n : index % n + 1]))

    def __iter__(self) -> Iterator[list[Any]]:
        for start in range(0, len(self), self._BATCH):
            part = self.table.slice(start, self._BATCH)
            columns = [column.to_pylist() for column in part.columns]
            yield from (list(row) for row in zip(*columns, strict=True))


def from_arrow(table: pa.Table, title: str, name: str = "") -> Table:
    """An Arrow table as a Table whose rows stay in Arrow until written."""
    return Table(title, tuple(table.column_names), ArrowRows(table), name)


def from_frame(frame: pd.DataFrame, title: str, name: str = "") -> Table:
    """A DataFrame as a Table of plain values (NaN and NaT as None)."""
    plain = frame.astype(object).where(frame.notna(), None)
    return Table(title, tuple(str(c) for c in frame.columns), plain.to_numpy().tolist(), name)


def pairs(title: str, items: Sequence[tuple[str, Any]], name: str = "",
          columns: tuple[str, str] = ("what", "value")) -> Table:  # fmt: skip
    """A two-column what / value table (the counts of a report)."""
    return Table(title, columns, [list(item) for item in items], name)
