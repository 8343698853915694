"""The one registry from format to writer: ``WRITERS[fmt](result, options) -> Rendered``.

Every command's result (a :class:`~recall_cli.tasks.tables.Table` or a
:class:`~recall_cli.tasks.tables.Document`) is turned into bytes here, and only here:

* ``table``: the terminal view as plain text (``output.terminal`` draws it);
* ``csv``: a Table as one CSV table; a Document as its tables one after another, each
  block a header row whose first cell is ``section`` and rows that start with the
  section's name, blocks separated by an empty line. A spreadsheet shows each block
  under its name, ready to copy into a report, and a script keeps the rows whose first
  cell is the section it wants. Cells that a spreadsheet would run are escaped;
* ``json``: a Table as a list of records; a Document as its ``data`` (the contract);
* ``xlsx``: one sheet per table (split over more sheets past Excel's row limit);
* ``parquet``: one Table as a Parquet file (rows kept in Arrow stay in Arrow; cells
  are data to a program, so nothing is escaped). A Document has no single table to
  write, and no command offers parquet for one.

Writers return; :mod:`recall_cli.output.deliver` puts the bytes where they belong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from recall_cli.errors import UsageError
from recall_cli.output.jsonout import dumps, jsonable
from recall_cli.output.rowwriters import WriteOptions, csv_cells, write_csv_rows
from recall_cli.tasks.tables import ArrowRows, Document, Result, Table

__all__ = ["WRITERS", "Rendered", "render"]


@dataclass
class Rendered:
    data: bytes
    rows: int
    escaped: int = 0
    notes: list[str] = field(default_factory=list)


def _rows(result: Result) -> int:
    return len(result.rows) if isinstance(result, Table) else result.rows


def write_table(result: Result, options: WriteOptions) -> Rendered:
    from recall_cli.output.lines import plain_view

    text = plain_view(result)  # a support-desk answer needs no rich to be written
    if text is None:
        from recall_cli.output.terminal import plain_text, render

        text = plain_text(render(result))
    return Rendered(text.encode("utf-8"), _rows(result))


def write_csv(result: Result, options: WriteOptions) -> Rendered:
    stream = io.BytesIO()
    if isinstance(result, Table):
        escaped = write_csv_rows(result.columns, result.rows, stream, options)
        return Rendered(stream.getvalue(), len(result.rows), escaped)
    text = io.StringIO()
    writer = csv.writer(text, delimiter=options.delimiter, lineterminator="\r\n")
    escaped = 0
    for n, table in enumerate(result.tables):
        if n:
            writer.writerow([])
        writer.writerow(["section", *table.columns])
        for row in table.rows:
            cells, changed = csv_cells(row, options)
            escaped += changed
            writer.writerow([table.section, *cells])
    data = ("\ufeff" if options.bom else "").encode("utf-8") + text.getvalue().encode("utf-8")
    return Rendered(data, result.rows, escaped)


def write_json(result: Result, options: WriteOptions) -> Rendered:
    data = [jsonable(r) for r in result.records()] if isinstance(result, Table) else result.data
    return Rendered(dumps(data).encode("utf-8"), _rows(result))


def write_xlsx(result: Result, options: WriteOptions) -> Rendered:
    from recall_cli.output.xlsx import tables_of
    from recall_cli.output.xlsx import write_xlsx as workbook

    data, notes = workbook(tables_of(result))
    return Rendered(data, _rows(result), notes=notes)


def write_parquet(result: Result, options: WriteOptions) -> Rendered:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(result, Table):
        raise UsageError(f"{result.kind} has several tables: parquet holds one; write xlsx or csv")
    if isinstance(result.rows, ArrowRows):
        table = result.rows.table
    else:
        columns = list(zip(*result.rows, strict=True)) or [() for _ in result.columns]
        table = pa.table([_arrow_column(c) for c in columns], names=list(result.columns))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return Rendered(sink.getvalue().to_pybytes(), table.num_rows)


def _arrow_column(values: Sequence[Any]) -> Any:
    """A column of Python values in Arrow: its own type, or text when the values mix types."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


WRITERS: dict[str, Callable[[Result, WriteOptions], Rendered]] = {
    "table": write_table,
    "csv": write_csv,
    "json": write_json,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}


def render(result: Result, fmt: str, options: WriteOptions | None = None) -> Rendered:
    return WRITERS[fmt](result, options or WriteOptions())


def is_document(result: Result) -> bool:
    return isinstance(result, Document)
