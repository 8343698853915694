"""A column's decimal mark decides `1.000`: a thousand in a German export, one in SAP's."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from recall_cli.normalize.quantities import AMBIGUOUS, decimal_mark, is_undecided, parse_quantity

from .conftest import invoke, write_csv


@pytest.mark.parametrize(
    ("values", "mark"),
    [(["1.000", "2,5", "12"], ","),         # 2,5: a decimal comma
     (["1.234,5"], ","), (["1.000.000"], ","),
     (["1,000", "2.5"], "."), (["1,234.5"], "."), (["1,000,000"], "."),
     (["1234.000"], "."),                   # four digits before: not a group
     (["1.000", "12"], None), (["2,5", "2.5"], AMBIGUOUS), (["40 EA", "(3)", ""], None)],
)  # fmt: skip
def test_the_columns_mark(values: list[str], mark: str | None) -> None:
    assert decimal_mark(values) == mark


@pytest.mark.parametrize(
    ("cell", "mark", "value"),
    [("1.000", ",", 1000), ("1.500,5", ",", 1500.5), ("2,5", ",", 2.5), ("1,000", ",", 1.0),
     ("1.000", ".", 1.0), ("1,000", ".", 1000), ("1,500.5", ".", 1500.5),
     ("1,000", None, 1000), ("2,5", AMBIGUOUS, 2.5), ("40 EA", None, 40), ("(3)", ",", -3),
     ("1 000", ",", 1000), ("abc", None, math.nan), ("1e400", None, math.nan)],
)  # fmt: skip
def test_a_cell_read_with_its_columns_mark(cell: str, mark: str | None, value: float) -> None:
    got = parse_quantity(cell, mark)
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_what_no_mark_can_settle() -> None:
    assert is_undecided("1.000", None) and not is_undecided("1,000", None)
    assert is_undecided("1.000", AMBIGUOUS) and is_undecided("1,000", AMBIGUOUS)
    assert not is_undecided("2,5", AMBIGUOUS) and not is_undecided("1.000", ",")
    # Where the file writes a decimal comma, not even 1,000 is read without evidence.
    assert is_undecided("1,000", None, comma_hint=True)
    assert not is_undecided("1,000", ".", comma_hint=True)


def _rows(runner: CliRunner, path: Path) -> list[dict[str, object]]:
    done = invoke(runner, "sql", "SELECT row, quantity, bucket, reason FROM shipments", path,
                  "--lot", "B201575", "--no-cache", "--format", "json")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def test_a_german_export_counts_a_thousand(runner: CliRunner, tmp_path: Path) -> None:
    # 1.000 was read as 1.0: the units reported a thousand times too few.
    path = write_csv(tmp_path / "de.csv", [
        ["Versanddatum", "Kunden-Nr", "Name", "Land", "Charge", "Menge"],
        ["01.12.2010", "C1", "Anna", "DE", "B201575", "1.000"],
        ["02.12.2010", "C2", "Ben", "DE", "B201575", "12"],
        ["03.12.2010", "C3", "Cem", "DE", "B201575", "1.500,5"],
    ], delimiter=";", encoding="cp1252")  # fmt: skip
    assert [r["quantity"] for r in _rows(runner, path)] == [1000, 12, 1500.5]
    # Without a cell that shows the mark, a German export's 1.000 goes to a person.
    path = write_csv(tmp_path / "de2.csv", [
        ["Versanddatum", "Kunden-Nr", "Name", "Land", "Charge", "Menge"],
        ["01.12.2010", "C1", "Anna", "DE", "B201575", "1.000"],
        ["02.12.2010", "C2", "Ben", "DE", "B201575", "1,000"],
        ["02.12.2010", "C3", "Cem", "DE", "B201575", "12"],
    ], delimiter=";", encoding="cp1252")  # fmt: skip
    assert [r["bucket"] for r in _rows(runner, path)] == ["needs_review", "needs_review",
                                                           "matched"]  # fmt: skip


def test_a_column_that_cannot_say_sends_the_row_to_review(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "mixed.csv", [
        ["Ship Date", "Customer ID", "Name", "Country", "Lot", "Qty"],
        ["2010-12-01", "C1", "Ann", "US", "B201575", "1.000"],
        ["2010-12-02", "C2", "Bob", "US", "B201575", "2.5"],
        ["2010-12-03", "C3", "Cy", "US", "B201575", "2,5"],
        ["2010-12-04", "C4", "Di", "US", "B201999", "1.000"],
    ])  # fmt: skip
    rows = _rows(runner, path)
    assert [r["bucket"] for r in rows] == ["needs_review", "matched", "matched", "not_matched"]
    assert rows[0]["reason"] == ("quantity '1.000' could be 1,000 or 1 (the column shows both "
                                 "a decimal comma and a decimal point)")  # fmt: skip
    assert _rows(runner, write_csv(tmp_path / "sap.csv", [
        ["Ship Date", "Customer ID", "Name", "Country", "Lot", "Qty"],
        ["2010-12-01", "C1", "Ann", "US", "B201575", "1.000"],
        ["2010-12-02", "C2", "Bob", "US", "B201575", "1,000"],
    ]))[1]["quantity"] == 1000  # fmt: skip
    done = invoke(runner, "summary", path, "--lot", "B201575", "--no-cache")
    assert "2 quantities such as '1.000' could be whole or decimal" in done.stderr
    assert done.stderr.count("could be whole or decimal") == 1
