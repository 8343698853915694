"""`recall sql` and `recall export rows` (issue 20): the views, the worked examples of
docs/sql.md, the lock-down, agreement with `summary`, and the output path."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from .conftest import ROOT, SAMPLE, as_json, invoke, write_csv

RECALL = SAMPLE / "recall.toml"
DOC = ROOT / "docs" / "sql.md"
RECALLED = ("B201575", "B201578", "B201583", "B201590", "B201602", "F201611")
WINDOW = (dt.date(2010, 11, 30), dt.date(2011, 1, 4))


def sql(runner: CliRunner, query: str, *args: Any) -> Any:
    return invoke(runner, "-q", "sql", query, *args)


def sample_csv(runner: CliRunner, query: str) -> str:
    result = sql(runner, query, "--recall", RECALL, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the worked examples of docs/sql.md ------------------------------------------------


def doc_examples() -> dict[str, tuple[str, str]]:
    """Each `<!-- example: NAME -->` section's first sql block and first csv block."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for part in text.split("<!-- example: ")[1:]:
        name = part.split(" -->", 1)[0]
        query = re.search(r"```sql\n(.*?)```", part, re.S)
        answer = re.search(r"```csv\n(.*?)```", part, re.S)
        assert query and answer, name
        out[name] = (query.group(1), answer.group(1))
    return out


EXAMPLES = doc_examples()


def test_the_doc_has_the_issues_four_questions() -> None:
    assert set(EXAMPLES) == {"texas", "two-lots", "most-units", "review-by-site",
                             "summary-by-lot"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_doc_example_prints_the_answer_shown(runner: CliRunner, name: str) -> None:
    query, answer = EXAMPLES[name]
    assert sample_csv(runner, query).replace("\r\n", "\n") == answer


def _day(value: object, dayfirst: bool) -> dt.date | None:
    """A ship-date cell as a date, the plain pandas way (no help from the tool)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int | float) and value == value:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    for fmt in ("%Y-%m-%d", "%d/%m/%Y" if dayfirst else "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    return None


def _take(frame: pd.DataFrame, file: str, names: dict[str, str], dayfirst: bool) -> pd.DataFrame:
    out = frame[list(names)].rename(columns=names)
    out["file"] = file
    out["day"] = [_day(v, dayfirst) for v in out["date"]]
    return out


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The three sample files read with pandas alone: the independent answer."""
    us = {"Customer ID": "customer", "Lot #": "lot", "Ship Date": "date", "State": "region",
          "Qty": "quantity"}  # fmt: skip
    frames = [
        _take(pd.read_excel(SAMPLE / "us_shipments_2010.xlsx", sheet_name=sheet, header=header,
                            dtype=object, engine="openpyxl"), "us_shipments_2010.xlsx", us, False)
        for sheet, header in (("Shipments", 3), ("Dec 2010", 0))
    ]  # fmt: skip
    late = pd.read_csv(SAMPLE / "us_returns_and_late.csv", dtype=str, encoding="utf-8-sig")
    frames.append(_take(late, "us_returns_and_late.csv", {
        "Patient ID": "customer", "Lot Number": "lot", "Shipped": "date", "State": "region",
        "Quantity": "quantity"}, False))  # fmt: skip
    fr = pd.read_csv(SAMPLE / "fr_expeditions_2010.csv", dtype=str, sep=";", encoding="cp1252")
    fr["region"] = ""
    frames.append(_take(fr, "fr_expeditions_2010.csv", {
        "Code client": "customer", "N° de lot": "lot", "Date d'expédition": "date",
        "region": "region", "Quantité": "quantity"}, True))  # fmt: skip
    rows = pd.concat(frames, ignore_index=True)
    for column in ("customer", "lot", "region"):
        rows[column] = rows[column].fillna("").astype(str).str.strip().str.upper()
    rows["quantity"] = pd.to_numeric(rows["quantity"], errors="coerce")
    return rows


def _in_recall(raw: pd.DataFrame) -> pd.DataFrame:
    inside = raw["day"].map(lambda d: d is not None and WINDOW[0] <= d <= WINDOW[1])
    return raw[raw["lot"].isin(RECALLED) & inside & (raw["customer"] != "")]


def test_texas_units_agree_with_pandas(runner: CliRunner, raw: pd.DataFrame) -> None:
    (got,) = records(sample_csv(runner, EXAMPLES["texas"][0]))
    after = raw["day"].map(lambda d: d is not None and d > dt.date(2010, 12, 20))
    hit = raw[(raw["lot"] == "B201583") & (raw["region"] == "TX") & after]
    assert int(got["shipments"]) == len(hit) > 0
    assert float(got["units"]) == hit["quantity"].sum()


def test_two_lot_customers_agree_with_pandas(runner: CliRunner, raw: pd.DataFrame) -> None:
    got = {
        r["customer_id"]: r["lots"] for r in records(sample_csv(runner, EXAMPLES["two-lots"][0]))
    }
    shipped = _in_recall(raw)
    shipped = shipped[shipped["quantity"] > 0]
    lots = shipped.groupby("customer")["lot"].agg(lambda s: ";".join(sorted(set(s))))
    assert got == {c: v for c, v in lots.items() if ";" in v}
    assert got


def test_most_units_agree_with_pandas(runner: CliRunner, raw: pd.DataFrame) -> None:
    got = records(sample_csv(runner, EXAMPLES["most-units"][0]))
    units = _in_recall(raw).groupby("customer")["quantity"].sum()
    top = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert [(r["customer_id"], int(r["units"])) for r in got] == [(c, int(u)) for c, u in top]


def test_review_by_site_agrees_with_review_itself(runner: CliRunner) -> None:
    # `recall review` takes the DataFrame path; the view is DuckDB over the cached Arrow.
    got = records(sample_csv(runner, EXAMPLES["review-by-site"][0]))
    shown = invoke(runner, "-q", "review", "--recall", RECALL, "--format", "csv")
    review = pd.read_csv(io.StringIO(shown.stdout), dtype=str)
    want = []
    for file, rows in review.groupby("file"):
        reason = rows["reason"]
        want.append({"file": file, "rows": str(len(rows)),
                     "returns_too_large": str(reason.str.startswith("returns of ").sum()),
                     "ship_date": str(reason.str.startswith("ship date ").sum()),
                     "lot": str(reason.str.startswith("lot ").sum())})  # fmt: skip
    assert got == sorted(want, key=lambda r: (-int(r["rows"]), r["file"]))


def test_summary_by_lot_example_is_summarys_figures(runner: CliRunner) -> None:
    got = records(sample_csv(runner, EXAMPLES["summary-by-lot"][0]))
    summary = as_json(invoke(runner, "-q", "summary", "--recall", RECALL, "--format", "json"))
    assert {r["lot"]: {k: int(r[k]) for k in ("customers", "units", "shipments")}
            for r in got} == summary["by_lot"]  # fmt: skip


def test_ship_from_example_on_a_file_with_a_warehouse_column(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = [["Lot", "Ship Date", "Customer ID", "Quantity", "Warehouse"]]
    sites = ("Memphis DC", "Reno DC", "Memphis DC", "Lyon", "Reno DC", "Memphis DC", "Reno DC")
    for i, site in enumerate(sites):
        lot = "B201575" if i != 3 else "B100000"
        rows.append([lot, f"2010-12-{10 + i}", f"C{i % 3}", str(10 * (i + 1)), site])
    data = write_csv(tmp_path / "sites.csv", rows)
    query = DOC.read_text(encoding="utf-8").split("is `ship_from`")[1]
    query = re.search(r"```sql\n(.*?)```", query, re.S).group(1)  # type: ignore[union-attr]
    result = sql(runner, query, data, "--lot", "B201575", "--format", "csv")
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame = frame[frame["Lot"] == "B201575"].assign(q=lambda f: f["Quantity"].astype(float))
    by_site = frame.groupby("Warehouse").agg(
        customers=("Customer ID", "nunique"), units=("q", "sum")
    )
    by_site = by_site.sort_values("units", ascending=False)
    want = [[site, str(int(r.customers)), f"{r.units:.1f}"] for site, r in by_site.iterrows()]
    assert list(csv.reader(io.StringIO(result.stdout)))[1:] == want


# --- the views --------------------------------------------------------------------------


def test_the_views_are_as_the_schema_table_says(runner: CliRunner) -> None:
    from recall_cli.tasks import sql as engine

    for view in engine.VIEWS:
        described = records(sample_csv(runner, f"DESCRIBE {view.name}"))
        assert [(r["column_name"], r["column_type"]) for r in described] == [
            (c.name, c.type) for c in view.columns
        ], view.name


def test_schema_prints_every_column_with_its_meaning(runner: CliRunner) -> None:
    from recall_cli.tasks import sql as engine

    result = invoke(runner, "sql", "--schema", "--format", "csv")
    assert result.exit_code == 0 and result.stderr == ""
    columns = [[v.name, c.name, c.type, c.meaning] for v in engine.VIEWS for c in v.columns]
    want = [["view", "column", "type", "meaning"], *columns]
    assert list(csv.reader(io.StringIO(result.stdout))) == want
    assert all(c.meaning for v in engine.VIEWS for c in v.columns)
    both = invoke(runner, "sql", "SELECT 1", "--schema")
    assert both.exit_code == 2
    assert both.stderr == "Error: --schema prints the views; give it without a QUERY\n"


def test_review_and_affected_views_are_the_commands(runner: CliRunner) -> None:
    review = invoke(runner, "-q", "review", "--recall", RECALL, "--format", "csv")
    assert sample_csv(runner, "SELECT * FROM review") == review.stdout
    affected = invoke(runner, "-q", "affected", "--recall", RECALL, "--format", "csv")
    view = sample_csv(runner, "SELECT * EXCLUDE (customer_key) FROM affected")
    assert view == affected.stdout


def test_shipments_has_every_row_once_with_file_sheet_row(runner: CliRunner) -> None:
    rows = records(sample_csv(runner, "SELECT file, sheet, row, bucket FROM shipments"))
    summary = as_json(invoke(runner, "-q", "summary", "--recall", RECALL, "--format", "json"))
    assert len(rows) == summary["rows"]["read"]
    assert len({(r["file"], r["sheet"], r["row"]) for r in rows}) == len(rows)
    for bucket in ("matched", "not_matched", "not_data", "needs_review"):
        assert sum(r["bucket"] == bucket for r in rows) == summary["rows"][bucket]
    # Row 931 of the Shipments sheet is the blank-date row `review` names.
    hit = [r for r in rows if r["sheet"] == "Shipments" and r["row"] == "931"]
    assert hit == [{"file": "us_shipments_2010.xlsx", "sheet": "Shipments", "row": "931",
                    "bucket": "needs_review"}]  # fmt: skip


def test_scope_view_is_the_scope_applied(runner: CliRunner) -> None:
    result = sql(runner, "SELECT * FROM scope", "--recall", RECALL, "--country", "fr",
                 "--format", "json")  # fmt: skip
    assert as_json(result) == [{"recall": "Cartridge recall 2011-01", "lots": list(RECALLED),
                                "from_date": "2010-11-30", "to_date": "2011-01-04",
                                "countries": ["FR"]}]  # fmt: skip


def test_blank_text_is_null(runner: CliRunner) -> None:
    (got,) = records(sample_csv(runner, "SELECT count(*) FILTER (WHERE email = '') AS empty, "
                                "count(*) FILTER (WHERE reason IS NULL) AS no_reason, "
                                "count(*) FILTER (WHERE bucket <> 'needs_review') AS others "
                                "FROM shipments"))  # fmt: skip
    assert got["empty"] == "0" and got["no_reason"] == got["others"]


def test_cached_and_uncached_rows_are_the_same(runner: CliRunner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from recall_cli.cache import store
    from recall_cli.query import cached
    from recall_cli.query.request import Request

    monkeypatch.setenv("RECALL_CACHE_DIR", str(tmp_path / "cache"))
    first = sample_csv(runner, "SELECT * FROM shipments")  # a miss: read, then stored
    store.flush()
    assert cached.bucketed(Request.from_options(recall_file=RECALL)).from_cache
    assert sample_csv(runner, "SELECT * FROM shipments") == first
    fresh = sql(runner, "SELECT * FROM shipments", "--recall", RECALL, "--no-cache",
                "--format", "csv")  # fmt: skip
    assert fresh.stdout == first


def test_row_columns_are_the_normalised_columns() -> None:
    from recall_cli.normalize.sheet import ROW_COLUMNS
    from recall_cli.query.cached import ALL_ROW_COLUMNS

    assert ("source", *ALL_ROW_COLUMNS) == ROW_COLUMNS


def test_cli_constants_are_the_tasks() -> None:
    from recall_cli.cli import sql as command
    from recall_cli.tasks import sql as engine

    assert command.DEFAULT_TIMEOUT == engine.DEFAULT_TIMEOUT


# --- agreement with summary on generated data ------------------------------------------

BY_LOT = """
SELECT s.lot, count(DISTINCT m.customer_key) AS customers,
       greatest(0, round(coalesce(sum(m.quantity), 0)))::BIGINT AS units, count(m.lot) AS shipments
FROM (SELECT unnest(lots) AS lot FROM scope) s
LEFT JOIN shipments m ON m.lot = s.lot AND m.bucket = 'matched'
GROUP BY s.lot"""
BY_COUNTRY = """
SELECT coalesce(country, 'unknown') AS country, count(DISTINCT customer_key) AS customers,
       greatest(0, round(coalesce(sum(quantity), 0)))::BIGINT AS units, count(*) AS shipments
FROM shipments WHERE bucket = 'matched' GROUP BY 1"""
TOTAL = """
SELECT count(DISTINCT customer_key) AS customers,
       greatest(0, round(coalesce(sum(quantity), 0)))::BIGINT AS units, count(*) AS shipments
FROM shipments WHERE bucket = 'matched'"""


@pytest.mark.parametrize("seed", [7, 12])
def test_sql_over_shipments_reproduces_summary(
    runner: CliRunner, generator: Any, tmp_path: Path, seed: int
) -> None:
    generator.generate(tmp_path, seed=seed)
    scope = ["--recall", tmp_path / "recall.toml", "--format", "json"]
    summary = as_json(invoke(runner, "-q", "summary", *scope))
    stats = ("customers", "units", "shipments")
    by_lot = {r.pop("lot"): r for r in as_json(sql(runner, BY_LOT, *scope))}
    assert by_lot == summary["by_lot"]
    by_country = {r.pop("country"): r for r in as_json(sql(runner, BY_COUNTRY, *scope))}
    assert by_country == summary["by_country"]
    (total,) = as_json(sql(runner, TOTAL, *scope))
    assert total == {k: summary[k] for k in stats}
    assert summary["customers"] > 0 and len(by_country) > 1


# --- lock-down ----------------------------------------------------------------------------

ONLY = " (only a SELECT (or WITH ... SELECT) query runs)"
OUTSIDE = ("Error: refused: the query reaches outside the views (a file, a URL or an extension),"
           " which recall sql does not allow (query shipments, affected, review and scope; "
           "write the result with -o FILE)")  # fmt: skip
REFUSED = {
    "COPY shipments TO 'out.csv'": "refused: COPY reads or writes files; write the result with "
    "-o FILE (.csv .json .xlsx .parquet)" + ONLY,
    "COPY shipments FROM '/etc/passwd'": "refused: COPY reads or writes files; write the result "
    "with -o FILE (.csv .json .xlsx .parquet)" + ONLY,
    "ATTACH 'other.db' AS other": "refused: ATTACH opens another database; recall sql reads "
    "only its views" + ONLY,
    "INSTALL httpfs": "refused: INSTALL and LOAD bring in extensions, which recall sql does not "
    "allow" + ONLY,
    "LOAD httpfs": "refused: INSTALL and LOAD bring in extensions, which recall sql does not "
    "allow" + ONLY,
    "SET enable_external_access = true": "refused: SET, PRAGMA and USE change settings, which "
    "are locked in recall sql" + ONLY,
    "PRAGMA threads = 1": "refused: SET, PRAGMA and USE change settings, which are locked in "
    "recall sql" + ONLY,
    "INSERT INTO shipments (lot) VALUES ('X')": "refused: the views are read-only" + ONLY,
    "DELETE FROM shipments": "refused: the views are read-only" + ONLY,
    "CREATE TABLE t AS SELECT * FROM shipments": "refused: the views are read-only" + ONLY,
    "DROP VIEW shipments": "refused: the views are read-only" + ONLY,
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1": "refused: EXPLAIN is not offered (EXPLAIN "
    "ANALYZE would run any statement)" + ONLY,
    "CALL pragma_version()": "refused: CALL runs a procedure; a table function reads as "
    "SELECT * FROM f()" + ONLY,
    "SELECT 1; SELECT 2": "2 statements given: recall sql runs one query at a time (run them "
    "one by one, or join them with WITH ... SELECT)",
}


@pytest.mark.parametrize("query", list(REFUSED))
def test_writing_and_reaching_out_are_refused_before_reading(
    runner: CliRunner, tmp_path: Path, query: str
) -> None:
    # The data file does not exist: the refusal comes before any file is read.
    result = sql(runner, query, tmp_path / "missing.csv", "--lot", "B201575")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {REFUSED[query]}\n"
    assert not (tmp_path / "out.csv").exists()


def test_a_refused_word_inside_a_string_is_only_text(runner: CliRunner) -> None:
    # DuckDB's parser decides what a statement is, not a list of keywords.
    assert sample_csv(runner, "SELECT 'COPY x TO y; ATTACH' AS words") == (
        "words\nCOPY x TO y; ATTACH\n"
    )


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('x.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_json('https://example.com/x.json')",
    "SELECT count(*) FROM shipments WHERE lot IN (SELECT column0 FROM read_csv('/etc/passwd'))",
])  # fmt: skip
def test_reading_a_file_inside_a_select_is_refused_by_duckdb(runner: CliRunner, query: str) -> None:
    result = sql(runner, query, "--recall", RECALL)
    assert result.exit_code == 2
    assert result.stderr == OUTSIDE + "\n"


@pytest.mark.parametrize("statement", [
    "COPY (SELECT 1) TO '{tmp}/x.csv'", "ATTACH '{tmp}/x.db'", "LOAD httpfs", "INSTALL httpfs",
    "SELECT * FROM read_csv('/etc/passwd')", "EXPORT DATABASE '{tmp}/db'",
])  # fmt: skip
def test_the_connection_itself_reaches_nothing(tmp_path: Path, statement: str) -> None:
    # Below the statement check: DuckDB's own configuration refuses the same.
    import duckdb

    from recall_cli.tasks import sql as engine

    connection = engine.connect()
    with pytest.raises(duckdb.PermissionException):
        connection.execute(statement.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "setting",
    [
        "enable_external_access = true",
        "threads = 1",
        "temp_directory = '/tmp'",
        "lock_configuration = false",
    ],
)
def test_the_connections_settings_are_locked(setting: str) -> None:
    import duckdb

    from recall_cli.tasks import sql as engine

    connection = engine.connect()
    with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
        connection.execute(f"SET {setting}")


def test_a_python_variable_is_not_a_table() -> None:
    import duckdb

    from recall_cli.tasks import sql as engine

    secret = pa.table({"x": [1]})  # noqa: F841 - DuckDB would find it by its name
    with pytest.raises(duckdb.CatalogException):
        engine.connect().sql("SELECT * FROM secret").fetchall()


def test_a_long_query_is_stopped_after_the_timeout(runner: CliRunner) -> None:
    result = sql(runner, "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b",
                 "--recall", RECALL, "--timeout", "0.5")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the query was stopped after 0.5 seconds (narrow it "
        "(WHERE, LIMIT), or give more time with --timeout SECONDS)\n"
    )


def test_an_error_on_a_value_does_not_show_it(runner: CliRunner) -> None:
    result = sql(runner, "SELECT CAST(name AS INTEGER) FROM shipments WHERE kind = 'data'",
                 "--recall", RECALL)  # fmt: skip
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: Conversion Error: ") and "(value not shown" in line
    names = set(pd.read_csv(SAMPLE / "us_returns_and_late.csv", dtype=str)["Patient Name"])
    assert not any(name in line for name in names if isinstance(name, str))


@pytest.mark.parametrize(("query", "message"), [
    ("SELEC 1", 'Error: Parser Error: syntax error at or near "SELEC"'),
    ("SELECT * FROM customers",
     "Error: Catalog Error: Table with name customers does not exist! (`recall sql --schema` "
     "lists the views shipments, affected, review, scope)"),
    ("", "Error: give a QUERY, e.g. recall sql \"SELECT * FROM scope\" --recall recall.toml; "
     "--schema lists the views"),
    ("SELECT lot AS a, lot AS a FROM shipments",
     "Error: two result columns are named 'a': name them with AS"),
])  # fmt: skip
def test_a_query_that_cannot_run_says_why_in_one_line(
    runner: CliRunner, query: str, message: str
) -> None:
    result = sql(runner, query, "--recall", RECALL)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


# --- output: the writers, parquet, export rows ------------------------------------------


def test_sql_writes_parquet_0600_and_audited(runner: CliRunner, tmp_path: Path) -> None:
    out, log = tmp_path / "two.parquet", tmp_path / "audit.jsonl"
    query = "SELECT customer_id, lots, units, first_shipped FROM affected ORDER BY customer_id"
    result = sql(runner, query, "--recall", RECALL, "-o", out, "--audit-log", log)
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.schema.field("lots").type == pa.list_(pa.string())
    assert table.schema.field("first_shipped").type == pa.date32()
    affected = as_json(invoke(runner, "-q", "affected", "--recall", RECALL, "--format", "json"))
    assert table.column("customer_id").to_pylist() == [a["customer_id"] for a in affected]
    assert table.column("units").to_pylist() == [a["units"] for a in affected]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert (entry["command"], entry["output"], entry["rows"]) == ("sql", str(out), len(affected))


def test_a_suffix_that_contradicts_the_format_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    result = sql(runner, "SELECT 1", "--recall", RECALL, "-o", tmp_path / "x.csv",
                 "--format", "parquet")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (f"Error: -o {tmp_path / 'x.csv'}: a .csv file holds csv, but "
                             "--format is parquet; change the suffix or the format (sql can "
                             "write: table, csv, json, xlsx, parquet)\n")  # fmt: skip
    other = invoke(runner, "summary", "--recall", RECALL, "-o", tmp_path / "s.parquet")
    assert other.exit_code == 2
    assert "summary cannot write parquet" in other.stderr


def test_sums_of_integers_are_numbers_in_every_format(runner: CliRunner) -> None:
    query = "SELECT sum(shipments) AS lines, sum(units) / 3 AS third FROM affected"
    (got,) = as_json(sql(runner, query, "--recall", RECALL, "--format", "json"))
    assert isinstance(got["lines"], int) and isinstance(got["third"], float)


def test_export_rows_is_the_shipments_view(runner: CliRunner, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    out = tmp_path / "rows.parquet"
    done = invoke(runner, "export", "rows", "--recall", RECALL, "-o", out, "--audit-log", log)
    assert done.exit_code == 0, done.stderr
    assert re.search(r"^rows: 2,493 rows to .*rows\.parquet$", done.stderr, re.M)
    from recall_cli.tasks import sql as engine

    table = pq.read_table(out)
    assert table.column_names == [c.name for c in engine.VIEWS[0].columns]
    view = sample_csv(runner, "SELECT * FROM shipments")
    assert table.num_rows == len(records(view))
    as_csv = tmp_path / "rows.csv"
    invoke(runner, "export", "rows", "--recall", RECALL, "-o", as_csv, "--audit-log", log)
    assert as_csv.read_text(encoding="utf-8") == view
    assert stat.S_IMODE(as_csv.stat().st_mode) == 0o600
    kinds = [json.loads(line)["kind"] for line in log.read_text().splitlines()]
    assert kinds == ["rows", "rows"]
    refused = invoke(runner, "export", "rows", "--recall", RECALL, "--ship-from", "X")
    assert refused.exit_code == 2
    assert refused.stderr == "Error: --ship-from does not apply to export rows\n"


def test_export_rows_xlsx_splits_past_a_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    from recall_cli.output import xlsx
    from recall_cli.tasks.tables import ArrowRows, from_arrow

    monkeypatch.setattr(ArrowRows, "_BATCH", 3)  # batches that end inside a sheet
    table = pa.table(
        {"lot": [f"L{i}" for i in range(10)], "quantity": [float(i) for i in range(10)]}
    )
    data, notes = xlsx.write_xlsx([from_arrow(table, "Rows", "Rows")], per_sheet=4)
    (tmp_path / "r.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    cells = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert book.sheetnames == ["Rows", "Rows (2)", "Rows (3)"]
    assert [c for c in cells if c[0] != "lot"] == [(f"L{i}", i) for i in range(10)]
    assert notes and "written to 3 sheets" in notes[0]


def test_arrow_rows_behave_as_a_list_of_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_cli.tasks.tables import ArrowRows

    monkeypatch.setattr(ArrowRows, "_BATCH", 2)
    rows = ArrowRows(pa.table({"a": [1, 2, 3, 4, 5], "b": list("vwxyz")}))
    want = [[1, "v"], [2, "w"], [3, "x"], [4, "y"], [5, "z"]]
    assert list(rows) == want and len(rows) == 5
    assert rows[-1] == [5, "z"] and list(rows[1:4]) == want[1:4] and list(rows[9:]) == []
    with pytest.raises(IndexError):
        rows[5]


def test_other_commands_do_not_import_duckdb(tmp_path: Path) -> None:
    code = ("import sys\nfrom recall_cli.cli import cli\n"
            "try:\n    cli(sys.argv[1:], standalone_mode=False)\nfinally:\n"
            "    print('duckdb' in sys.modules)")  # fmt: skip
    env = {**os.environ, "RECALL_CACHE_DIR": str(tmp_path)}
    for args in (["--help"], ["-q", "summary", "--recall", str(RECALL), "--format", "json"]):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, env=env, check=True)  # fmt: skip
        assert done.stdout.rstrip().endswith("False"), args


def test_a_cached_query_does_not_import_pandas(tmp_path: Path) -> None:
    # pandas' import alone is a third of a cached query: the views are made from buffers.
    code = ("import sys\nfrom recall_cli.cli import cli\n"
            "try:\n    cli(sys.argv[1:], standalone_mode=False)\nfinally:\n"
            "    print('pandas' in sys.modules)")  # fmt: skip
    env = {**os.environ, "RECALL_CACHE_DIR": str(tmp_path)}
    for query in ("SELECT count(*) FROM shipments", "SELECT * FROM affected",
                  "SELECT * FROM review, scope"):  # fmt: skip
        args = ["-q", "sql", query, "--recall", str(RECALL), "--format", "json"]
        subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, check=True, env=env
        )  # fmt: skip  (the first run fills the cache)
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                              text=True, env=env, check=True)  # fmt: skip
        assert done.stdout.rstrip().endswith("False"), query


@pytest.mark.parametrize("query", ["SELECT count(*) FROM shipments", "SELECT nonsense FROM x"])
def test_the_connection_is_closed_and_no_thread_holds_it(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A connection left to the garbage collector may be destroyed during interpreter
    # shutdown from a daemon thread (the timeout's timer holds its `interrupt`), and
    # DuckDB then aborts the whole process: a `recall sql` that printed its answer and
    # died with SIGABRT.
    import contextlib
    import threading

    import duckdb

    from recall_cli.query.request import Request
    from recall_cli.tasks import sql as engine

    made: list[duckdb.DuckDBPyConnection] = []
    real = engine.connect

    def spy() -> duckdb.DuckDBPyConnection:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(engine, "connect", spy)
    monkeypatch.setenv("RECALL_CACHE_DIR", "")
    with contextlib.suppress(engine.QueryError):  # the second query does not bind
        engine.query(Request.from_options(recall_file=RECALL, no_cache=True), query)
    (connection,) = made
    with pytest.raises(duckdb.ConnectionException):
        connection.execute("SELECT 1")
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
