"""`recall sql`: one SQL query, with DuckDB, over read-only views of the bucketed rows.

The views are built from what every command computes (query.cached.bucketed): the
normalised rows with the bucket and reason the one bucket rule gave them, and the
affected customers of tally.py. Nothing is computed twice, so a query answers what
`summary`, `affected` and `review` answer, and more.

Locked down, in two layers:

* before any data is read, the statement is parsed by DuckDB itself and only one
  SELECT (WITH ... SELECT, DESCRIBE, SUMMARIZE) is let through: COPY,
  ATTACH, INSTALL/LOAD, SET/PRAGMA, writing statements are refused, each with its
  own message;
* the connection is in memory with external access off (no file, no network, no
  extension can be reached by any function: read_csv('/etc/passwd') is DuckDB's
  own refusal), no extension autoloading, no Python variable readable as a table,
  no spilling of rows to a temporary folder, and its configuration locked. The
  views are views: nothing is writable.

A query runs for at most ``timeout`` seconds: DuckDB has no statement timeout, so a
timer interrupts the connection.

duckdb is imported only here, by the calls that need it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recall_cli.errors import RecallError, UsageError
from recall_cli.read.names import file_labels
from recall_cli.tasks.tables import Table, from_arrow

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from recall_cli.query.cached import Bucketed
    from recall_cli.query.request import Request

__all__ = ["DEFAULT_TIMEOUT", "ROWS_KIND", "VIEWS", "Answer", "Column", "View", "query", "schema"]

DEFAULT_TIMEOUT = 30.0
#: `recall export rows`: the shipments view as a file (parquet, csv, xlsx, json).
ROWS_KIND = "rows"
ROWS_FORMATS = ("csv", "parquet", "xlsx", "json")
ALL_ROWS = "SELECT * FROM shipments"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as DuckDB's DESCRIBE names it
    meaning: str


@dataclass(frozen=True)
class View:
    name: str
    meaning: str
    columns: tuple[Column, ...]


def _c(name: str, type_: str, meaning: str) -> Column:
    return Column(name, type_, meaning)


T, D, N, I = "VARCHAR", "DATE", "DOUBLE", "BIGINT"  # noqa: E741

# The one table of what each view holds: `recall sql --schema`, docs/sql.md (cog) and
# the views themselves are made from it, and a test checks DuckDB describes the views so.
# fmt: off
VIEWS: tuple[View, ...] = (
    View("shipments", "every row read, one per row below a header, in file order", (
        _c("file", T, "the file's name as `review` prints it (folders too where two share it)"),
        _c("path", T, "the file as it was given (with its folder)"),
        _c("sheet", T, "the sheet; NULL for a CSV file"),
        _c("row", I, "the row number as Excel shows it (the line, in a CSV file)"),
        _c("bucket", T, "matched, not_matched, not_data or needs_review: exactly one per row"),
        _c("reason", T, "why a needs_review row needs a person; NULL in the other buckets"),
        _c("kind", T, "data, blank, total, header, note or bad (wrong number of fields)"),
        _c("problem", T, "what normalising found wrong with the row; NULL when nothing"),
        _c("lot", T, "the lot, normalised (trimmed, upper case)"),
        _c("lot_raw", T, "the lot cell as written"),
        _c("ship_date", D, "the ship date as read; NULL when blank or unreadable"),
        _c("date_raw", T, "the ship-date cell as written"),
        _c("customer_id", T, "the customer (or patient) id"),
        _c("customer_key", T, "who the row counts for: the id, else name and postal code"),
        _c("name", T, "customer name"),
        _c("first_name", T, "first name, where the file has its own column"),
        _c("last_name", T, "last name, where the file has its own column"),
        _c("email", T, "email address"),
        _c("phone", T, "phone number"),
        _c("address", T, "street address"),
        _c("address2", T, "second address line"),
        _c("city", T, "city"),
        _c("region", T, "state, province or region (TX, Ontario...)"),
        _c("postal_code", T, "postal code, leading zeros kept"),
        _c("country", T, "country as a two-letter ISO code (US, FR); as written if unknown"),
        _c("quantity", N, "units on the line; negative for a return; NULL if unreadable"),
        _c("unit", T, "unit of measure, where the file has one"),
        _c("order_id", T, "order or invoice number"),
        _c("product", T, "product name or code"),
        _c("prescriber", T, "prescribing doctor"),
        _c("prescriber_id", T, "prescriber id (NPI, RPPS)"),
        _c("ship_from", T, "ship-from site, warehouse or distributor, where the file has one"),
    )),
    View("affected", "one row per affected customer, as `recall affected` gives it", (
        _c("customer_id", T, "the customer id"),
        _c("name", T, "name, from the customer's latest shipment with one"),
        _c("email", T, "email, from the latest shipment with one"),
        _c("phone", T, "phone, from the latest shipment with one"),
        _c("address", T, "street, from the latest shipment with an address"),
        _c("city", T, "city, with that address"),
        _c("region", T, "state or region, with that address"),
        _c("postal_code", T, "postal code, with that address"),
        _c("country", T, "country (ISO code), with that address"),
        _c("lots", "VARCHAR[]", "the recalled lots the customer received (a list)"),
        _c("units", I, "net units of recalled lots in the window (returns subtracted)"),
        _c("shipments", I, "matched shipment lines"),
        _c("first_shipped", D, "first matched ship date"),
        _c("last_shipped", D, "last matched ship date"),
        _c("prescriber", T, "prescriber, from the latest shipment with one"),
        _c("prescriber_id", T, "prescriber id"),
        _c("customer_key", T, "the key that joins to shipments.customer_key"),
    )),
    View("review", "the needs-review rows, as `recall review` prints them", (
        _c("file", T, "the file's name"),
        _c("sheet", T, "the sheet; NULL for a CSV file"),
        _c("row", I, "the row number as Excel shows it"),
        _c("reason", T, "why the row needs a person"),
        _c("lot", T, "the lot cell as written"),
        _c("ship_date", T, "the ship-date cell as written"),
        _c("customer_id", T, "the customer id"),
        _c("name", T, "customer name"),
        _c("quantity", N, "units on the line"),
        _c("country", T, "country (ISO code)"),
    )),
    View("scope", "one row: the recall scope applied", (
        _c("recall", T, "the recall's name (recall.toml), NULL without one"),
        _c("lots", "VARCHAR[]", "the recalled lots, normalised"),
        _c("from_date", D, "first ship date in the recall (inclusive); NULL: no bound"),
        _c("to_date", D, "last ship date in the recall (inclusive); NULL: no bound"),
        _c("countries", "VARCHAR[]", "only these countries; empty: all"),
    )),
)
# fmt: on
VIEW_NAMES = tuple(v.name for v in VIEWS)
_BY_NAME = {v.name: v for v in VIEWS}


def schema() -> Table:
    """The views and their columns, one line of meaning each (`recall sql --schema`)."""
    rows = [[v.name, c.name, c.type, c.meaning] for v in VIEWS for c in v.columns]
    return Table("Views of recall sql", ("view", "column", "type", "meaning"), rows, "Schema")


# --- the query -------------------------------------------------------------------------


@dataclass
class Answer:
    result: Table  # the query's rows, kept in Arrow
    rows: Bucketed  # what the views were made of (counts, warnings, files read)


def query(request: Request, sql: str, *, timeout: float = DEFAULT_TIMEOUT,
          title: str = "Query result", name: str = "Result") -> Answer:  # fmt: skip
    """Run one SELECT over the views of the request's rows.

    Raises QueryError (exit 2) for a statement that is refused or does not parse or
    bind, RecallError when it stops (timeout, memory) or fails on the data.
    """
    from recall_cli.query import cached

    connection = connect()
    try:
        check_statement(connection, sql)  # refused before a single row is read
        wanted = _views_named(connection, sql)
        rows = cached.bucketed(request)
        register_views(connection, rows, wanted)
        table = execute(connection, sql, timeout)
    finally:
        # Closed here, in this thread: a connection left to the garbage collector can
        # be destroyed during interpreter shutdown, from whichever thread drops it last,
        # and DuckDB then aborts the process (duckdb/duckdb#13904).
        connection.close()
    return Answer(from_arrow(table, title, name), rows)


def export_rows(request: Request, *, timeout: float = DEFAULT_TIMEOUT) -> Answer:
    """`recall export rows`: the shipments view, every column, in file order."""
    return query(request, ALL_ROWS, timeout=timeout, title="Normalised rows", name="Rows")


class QueryError(UsageError):
    """A query that cannot run as written: refused, not SQL, an unknown name. Exit 2."""


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reaches nothing outside its own views."""
    import duckdb

    return duckdb.connect(
        ":memory:",
        config={
            "enable_external_access": False,  # no file, no network, no extension
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "python_enable_replacements": False,  # no Python variable is a table
            "temp_directory": "",  # never spill patient rows to a temporary folder
            "lock_configuration": True,  # no SET or PRAGMA can undo the above
        },
    )


_WHY = {
    "COPY": "COPY reads or writes files; write the result with -o FILE (.csv .json .xlsx .parquet)",
    "EXPORT": "EXPORT DATABASE writes files; write the result with -o FILE",
    "COPY_DATABASE": "COPY FROM DATABASE writes another database",
    "ATTACH": "ATTACH opens another database; recall sql reads only its views",
    "DETACH": "DETACH changes the databases; recall sql reads only its views",
    "LOAD": "INSTALL and LOAD bring in extensions, which recall sql does not allow",
    "EXTENSION": "extensions are not allowed in recall sql",
    "SET": "SET, PRAGMA and USE change settings, which are locked in recall sql",
    "VARIABLE_SET": "SET VARIABLE changes the session, which is locked in recall sql",
    "PRAGMA": "PRAGMA changes settings, which are locked in recall sql",
    # EXPLAIN ANALYZE runs the statement it explains, whatever that is.
    "EXPLAIN": "EXPLAIN is not offered (EXPLAIN ANALYZE would run any statement)",
    "CALL": "CALL runs a procedure; a table function reads as SELECT * FROM f()",
}
_ALLOWED = frozenset({"SELECT"})  # WITH, DESCRIBE, SUMMARIZE and SHOW are SELECTs


def check_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    """One statement, and a reading one (DuckDB's own parser decides what it is)."""
    import duckdb

    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise _query_error(exc) from None
    if not statements:
        raise QueryError("no SQL statement given", hint='e.g. recall sql "SELECT * FROM scope"')
    if len(statements) > 1:
        raise QueryError(
            f"{len(statements)} statements given: recall sql runs one query at a time",
            hint="run them one by one, or join them with WITH ... SELECT",
        )
    kind = statements[0].type.name
    if kind in _ALLOWED:
        return
    if kind == "MULTI":  # PIVOT and UNPIVOT as statements make a table first
        raise QueryError("PIVOT as a statement is not allowed: write SELECT * FROM (PIVOT ...)")
    why = _WHY.get(kind, "the views are read-only")
    raise QueryError(f"refused: {why}", hint="only a SELECT (or WITH ... SELECT) query runs")


def _views_named(connection: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    try:
        return {name.lower() for name in connection.get_table_names(sql)}
    except Exception:  # every view is made then, and the query itself says what is wrong
        return set(VIEW_NAMES)


def execute(connection: duckdb.DuckDBPyConnection, sql: str, timeout: float) -> pa.Table:
    """The query's result, interrupted after ``timeout`` seconds."""
    import duckdb

    timer = threading.Timer(timeout, connection.interrupt)
    timer.daemon = True
    timer.start()
    try:
        result = connection.sql(sql)
        table = result.to_arrow_table() if result is not None else None
    except duckdb.InterruptException:
        raise RecallError(
            f"the query was stopped after {timeout:g} seconds",
            hint="narrow it (WHERE, LIMIT), or give more time with --timeout SECONDS",
        ) from None
    except duckdb.Error as exc:
        raise _query_error(exc) from None
    finally:
        timer.cancel()
        # Joined, so that no thread is left holding the connection (through its
        # bound `interrupt`) when the process exits.
        timer.join()
    if table is None:
        raise QueryError("the statement returned no result", hint="write a SELECT")
    return _plain(table)


# DuckDB's errors that depend on the values read: they may quote a cell (a name), and
# messages never carry a patient value.
_DATA_ERRORS = ("ConversionException", "OutOfRangeException", "InvalidInputException",
                "ConstraintException")  # fmt: skip
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_SCHEMA_HINT = "`recall sql --schema` lists the views shipments, affected, review, scope"


def _query_error(exc: Exception) -> RecallError:
    import duckdb

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, duckdb.PermissionException):
        return QueryError(
            "refused: the query reaches outside the views (a file, a URL or an extension), "
            "which recall sql does not allow",
            hint="query shipments, affected, review and scope; write the result with -o FILE",
        )
    if type(exc).__name__ in _DATA_ERRORS:
        return RecallError(_QUOTED.sub("'…'", first) + " (value not shown: it may be patient data)")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return RecallError(first, hint="narrow the query: rows are not spilled to disk")
    if isinstance(exc, duckdb.CatalogException | duckdb.BinderException):
        return QueryError(first, hint=_SCHEMA_HINT)
    if isinstance(exc, duckdb.ParserException):
        return QueryError(first)
    return RecallError(first)


def _plain(table: pa.Table) -> pa.Table:
    """Decimals (DuckDB's SUM of integers is one) as integers or floats, so every writer
    shows a number; duplicate column names refused (a JSON record would lose one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    seen: set[str] = set()
    for name in table.column_names:
        if name in seen:
            raise QueryError(f"two result columns are named {name!r}: name them with AS")
        seen.add(name)
    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            column = table.column(i)
            try:
                if field.type.scale != 0:
                    raise pa.ArrowInvalid("not whole")
                plain = pc.cast(column, pa.int64())
            except pa.ArrowInvalid:
                plain = pc.cast(column, pa.float64(), safe=False)
            table = table.set_column(i, field.name, plain)
    return table


# --- the views ----------------------------------------------------------------------


def register_views(connection: duckdb.DuckDBPyConnection, rows: Bucketed, wanted: set[str]) -> None:
    """The views, each over an Arrow table (scanned in place). `affected` costs the
    customers' contact rule, so it is made only when the query names it."""
    connection.register("_shipments", shipments_arrow(rows))
    connection.execute(_view_sql("shipments", "_shipments"))
    review = _BY_NAME["review"]
    picked = {"lot": "lot_raw", "ship_date": "date_raw"}
    columns = ", ".join(f"{picked.get(c.name, c.name)} AS {_q(c.name)}" for c in review.columns)
    connection.execute(
        f"CREATE VIEW review AS SELECT {columns} FROM shipments WHERE bucket = 'needs_review'"
    )
    connection.register("_scope", scope_arrow(rows))
    connection.execute(_view_sql("scope", "_scope"))
    if "affected" in wanted:
        connection.register("_affected", affected_arrow(rows))
        connection.execute(_view_sql("affected", "_affected"))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view_sql(view: str, source: str) -> str:
    """The view over its Arrow table: each column in its documented type; blank text
    is NULL, as SQL means "no value" (COUNT(email) counts the emails given)."""

    def expression(c: Column) -> str:
        if c.type == "VARCHAR":
            return f"NULLIF(CAST({_q(c.name)} AS VARCHAR), '') AS {_q(c.name)}"
        return f"CAST({_q(c.name)} AS {c.type}) AS {_q(c.name)}"

    columns = ", ".join(expression(c) for c in _BY_NAME[view].columns)
    return f"CREATE VIEW {view} AS SELECT {columns} FROM {source}"


def shipments_arrow(rows: Bucketed) -> pa.Table:
    """The shipments view's columns, mostly the stored columns themselves."""
    import pyarrow as pa

    from recall_cli.normalize import arrowbits as ab
    from recall_cli.query.buckets import BUCKETS, NEEDS_REVIEW

    table = rows.table
    files = ab.distinct(table["file"])
    labels = file_labels(files.values)
    made: dict[str, Any] = {
        "file": _coded(files.codes, [labels[f] for f in files.values]),
        "path": _coded(files.codes, files.values),
        "bucket": _coded(rows.codes, list(BUCKETS)),
        "reason": _reasons(rows.reason, rows.codes == BUCKETS.index(NEEDS_REVIEW)),
    }
    names = [c.name for c in _BY_NAME["shipments"].columns]
    return pa.table([made[n] if n in made else table[n] for n in names], names=names)


def _coded(codes: Any, values: list[str], valid: Any = None) -> pa.Array:
    """Codes into ``values`` as an Arrow dictionary array, from the numpy buffers as they
    are (``pa.array`` of a numpy array would import pandas, a third of a cached query)."""
    import numpy as np
    import pyarrow as pa

    from recall_cli.normalize import arrowbits as ab

    data = np.ascontiguousarray(codes, dtype=np.int32)
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = 0 if valid is None else int(len(valid) - np.count_nonzero(valid))
    indices = pa.Array.from_buffers(pa.int32(), len(data), [bitmap, pa.py_buffer(data)], nulls)
    return pa.DictionaryArray.from_arrays(indices, ab.strings(values))


def _reasons(reason: Any, review: Any) -> pa.Array:
    """The review reasons as codes into the few distinct reasons; null elsewhere."""
    import numpy as np

    texts, which = np.unique(reason[review].astype(str), return_inverse=True)
    codes = np.zeros(len(reason), dtype=np.int32)
    codes[review] = which
    return _coded(codes, texts.tolist(), review)


def affected_arrow(rows: Bucketed) -> pa.Table:
    import pyarrow as pa

    customers = rows.tally.customers()
    made: dict[str, Callable[[list[Any]], pa.Array]] = {
        "lots": _lists, "units": _ints, "shipments": _ints, "first_shipped": _dates,
        "last_shipped": _dates,
    }  # fmt: skip
    names = [c.name for c in _BY_NAME["affected"].columns]
    return pa.table([made.get(n, _texts)(customers[n]) for n in names], names=names)


def scope_arrow(rows: Bucketed) -> pa.Table:
    import pyarrow as pa

    scope = rows.tally.scope
    columns = [_texts([scope.name]), _lists([list(scope.lots)]), _dates([scope.start]),
               _dates([scope.end]), _lists([list(scope.countries)])]  # fmt: skip
    return pa.table(columns, names=[c.name for c in _BY_NAME["scope"].columns])


# Arrow arrays made from their buffers: pa.array of Python values imports pandas, which
# would be a third of a cached query's time. Blank text is NULL in the views (_view_sql).


def _texts(values: list[Any]) -> pa.Array:
    from recall_cli.normalize import arrowbits as ab

    return ab.strings(["" if v is None else str(v) for v in values])


def _ints(values: list[int]) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    data = np.array(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _lists(values: list[list[str]]) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    starts = pa.Array.from_buffers(pa.int32(), len(offsets), [None, pa.py_buffer(offsets)])
    return pa.ListArray.from_arrays(starts, _texts([x for v in values for x in v]))


def _dates(values: list[dt.date | None]) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    epoch = dt.date(1970, 1, 1)
    valid = np.array([v is not None for v in values], dtype=bool)
    days = np.array([(v - epoch).days if v is not None else 0 for v in values], dtype=np.int32)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    nulls = int(len(values) - np.count_nonzero(valid))
    return pa.Array.from_buffers(pa.date32(), len(days), [bitmap, pa.py_buffer(days)], nulls)
