"""The recall scope from flags, lots files and recall.toml, and the reading options."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from recall_cli.errors import ScopeError
from recall_cli.query.scopefile import build_scope, read_lots_file, read_recall_file

from .conftest import invoke, write_csv, write_xlsx


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "ship.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Qty", "Country"],
            ["B1", "2010-12-01", "C1", "10", "USA"],
            ["B2", "2010-12-02", "C2", "20", "France"],
            ["B3", "2010-12-03", "C3", "30", "United States"],
            ["B1", "2011-02-01", "C4", "40", "FR"],
        ],
    )


def _summary(runner, *args: object) -> dict:  # type: ignore[no-untyped-def]
    result = invoke(runner, "summary", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_lot_flag_repeats_and_takes_comma_lists(runner, data: Path) -> None:  # type: ignore[no-untyped-def]
    out = _summary(runner, data, "--lot", "b1, B2", "--lot", "B3")
    assert out["recall"]["lots"] == ["B1", "B2", "B3"]
    assert out["rows"]["matched"] == 4


def test_lots_file_text_with_comments(runner, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lots = tmp_path / "lots.txt"
    lots.write_text("# recalled on 2011-01-10\nB1\n\n b2  # French site\n", encoding="utf-8")
    assert read_lots_file(lots) == ["B1", "b2"]
    out = _summary(runner, data, "--lots-file", lots)
    assert out["recall"]["lots"] == ["B1", "B2"]


def test_lots_file_csv_with_a_lot_column(tmp_path: Path) -> None:
    lots = write_csv(
        tmp_path / "lots.csv", [["Product", "N° de lot"], ["cart", "B1"], ["cart", "B3"]]
    )
    assert read_lots_file(lots) == ["B1", "B3"]
    bad = write_csv(tmp_path / "bad.csv", [["Product", "Qty"], ["cart", "1"]])
    with pytest.raises(ScopeError, match="no lot column"):
        read_lots_file(bad)


def test_recall_toml_with_relative_data_and_flag_overrides(
    runner, data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    toml = tmp_path / "recall.toml"
    toml.write_text(
        'name = "Test recall"\nlots = ["B1", "B2"]\nfrom = 2010-11-30\nto = "2011-01-04"\n'
        'countries = ["US"]\ndata = ["ship.csv"]\n',
        encoding="utf-8",
    )
    recall = read_recall_file(toml)
    assert recall.data == (tmp_path / "ship.csv",)
    assert recall.start == dt.date(2010, 11, 30)
    out = _summary(runner, "--recall", toml)
    assert out["recall"] == {
        "name": "Test recall", "lots": ["B1", "B2"], "from": "2010-11-30",
        "to": "2011-01-04", "countries": ["US"],
    }  # fmt: skip
    assert out["customers"] == 1  # C1: B2 shipped to France, C4 outside the window
    # Flags override the file key by key.
    wider = _summary(runner, "--recall", toml, "--country", "France", "--to", "2011-03-01")
    assert wider["recall"]["countries"] == ["FR"] and wider["recall"]["to"] == "2011-03-01"
    assert wider["customers"] == 2  # C2 and C4


@pytest.mark.parametrize("spelling", ["US", "usa", "United States", "U.S.A.", "États-Unis"])
def test_country_spellings(runner, data: Path, spelling: str) -> None:  # type: ignore[no-untyped-def]
    out = _summary(runner, data, "--lot", "B1,B2,B3", "--country", spelling)
    assert out["recall"]["countries"] == ["US"]
    assert sorted(out["by_country"]) == ["US"] and out["customers"] == 2


def test_unknown_recall_key_is_a_usage_error(runner, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    toml = tmp_path / "r.toml"
    toml.write_text('lots = ["B1"]\nwindow = "2010"\n', encoding="utf-8")
    result = invoke(runner, "summary", data, "--recall", toml)
    assert result.exit_code == 2 and "unknown key 'window'" in result.stderr


def test_build_scope_needs_a_lot() -> None:
    with pytest.raises(ScopeError, match="no recalled lot"):
        build_scope(recall=None, lots=[" ", ""])


def test_column_flag_maps_an_unknown_header(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = write_csv(
        tmp_path / "c.csv",
        [["Batch Code X", "Ship Date", "Customer ID"], ["B1", "2010-12-01", "C1"]],
    )
    refused = invoke(runner, "summary", f, "--lot", "B1")
    assert refused.exit_code == 1 and "'Batch Code X'" in refused.stderr
    out = _summary(runner, f, "--lot", "B1", "--column", "lot=batch code x")
    assert out["rows"]["matched"] == 1
    assert out["sources"][0]["columns"]["lot"] == "Batch Code X"
    bad = invoke(runner, "summary", f, "--lot", "B1", "--column", "colour=Batch Code X")
    assert bad.exit_code == 2 and "unknown column 'colour'" in bad.stderr


def test_sheet_option(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    header = ["Lot", "Ship Date", "Customer ID"]
    f = write_xlsx(
        tmp_path / "w.xlsx",
        {"US": [header, ["B1", "2010-12-01", "C1"]], "FR": [header, ["B1", "2010-12-02", "C2"]]},
    )
    out = _summary(runner, f, "--lot", "B1", "--sheet", "FR")
    assert [s["sheet"] for s in out["sources"]] == ["FR"] and out["customers"] == 1
    missing = invoke(runner, "summary", f, "--lot", "B1", "--sheet", "DE")
    assert missing.exit_code == 1 and "no sheet named 'DE'" in missing.stderr
    assert "'US', 'FR'" in missing.stderr


def test_encoding_and_delimiter_overrides(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "p.csv"
    f.write_bytes("Lot|Ship Date|Code client|Ville\nB1|2010-12-01|C1|Orléans\n".encode("cp1252"))
    out = _summary(runner, f, "--lot", "B1", "--input-delimiter", "|", "--encoding", "cp1252")
    assert out["rows"]["matched"] == 1
    affected = invoke(runner, "affected", f, "--lot", "B1", "--format", "json",
                      "--encoding", "cp1252")  # fmt: skip
    assert json.loads(affected.stdout)[0]["city"] == "Orléans"


@pytest.mark.parametrize(
    "content", ["Lot|Qty\nB1|1\n", "lot\nB1\n", "N° de lot\r\nB1\r\n", "B1\n"], ids=repr
)
def test_lots_file_forms_never_turn_a_header_into_a_lot(tmp_path: Path, content: str) -> None:
    lots = tmp_path / "lots.csv"
    lots.write_text(content, encoding="utf-8")
    assert read_lots_file(lots) == ["B1"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dayfirst", "--monthfirst"], "contradict"),
        (["--encoding", "nosuchenc"], "not an encoding"),
        (["--input-delimiter", ";;"], "one character"),
    ],
)
def test_reading_option_mistakes_are_usage_errors(runner, data: Path, args, needle) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "summary", data, "--lot", "B1", *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_sheet_names_match_ignoring_case(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = write_xlsx(
        tmp_path / "w.xlsx",
        {"Other": [["Lot", "Ship Date", "Customer ID"], ["B1", "2010-12-01", "C1"]]},
    )
    assert _summary(runner, f, "--lot", "B1", "--sheet", "other")["customers"] == 1


def test_empty_customer_query_is_refused(runner, data: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "customer", " ", data, "--lot", "B1")
    assert result.exit_code == 2 and "query is empty" in result.stderr


def test_stderr_reports_returns_and_lots_not_in_the_data(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = write_csv(
        tmp_path / "r.csv",
        [["Lot", "Ship Date", "Customer ID", "Qty"], ["B1", "2010-12-01", "C1", "40"],
         ["B1", "2010-12-09", "C1", "-15"], ["B1", "2010-12-09", "C2", "-5"]],
    )  # fmt: skip
    result = invoke(runner, "summary", f, "--lot", "B1,B9", "--format", "json")
    # C1: 40 - 15 of B1. C2 returned 5 of a lot it was never shipped: review, not netted.
    assert json.loads(result.stdout)["units"] == 25
    assert (
        "1 return (negative quantity) among the affected shipments was netted against their "
        "own lot and customer: -15 units" in result.stderr
    )
    assert "1 row needs review" in result.stderr
    assert "recalled lot B9 appears in no file read" in result.stderr


def test_notified_ids_from_our_own_escaped_csv(tmp_path: Path) -> None:
    from recall_cli.normalize.sidetable import read_customer_ids

    f = tmp_path / "sent.csv"
    f.write_text("customer_id,name\n'=C1,A\n'@c2,B\n'-C3,C\nC4,D\n", encoding="utf-8")
    assert read_customer_ids(f) == {"=C1", "@C2", "-C3", "C4"}


def test_rows_outside_the_asked_countries_are_never_in_review(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Issue 13 item 7: every reason a row goes to review only matters inside the scope.
    f = write_csv(tmp_path / "c.csv", [
        ["Lot", "Ship Date", "Customer ID", "Qty", "Country"],
        ["B201575", "n/a", "C1", "4", "US"],  # unreadable date
        ["", "2010-12-01", "C2", "4", "US"],  # blank lot
        ["201575", "2010-12-01", "C3", "4", "USA"],  # lost leading zeros? (lot 0201575)
        ["0201575", "2010-12-01", "C4", "-9", "US"],  # a return larger than shipped
        ["B201575", "n/a", "C5", "4", "FR"],  # inside France: review
        ["B201575", "2010-12-01", "C6", "4", ""],  # country unknown: review
        ["", "2010-12-01", "C7", "4", "France"],  # inside France: review
    ])  # fmt: skip
    args = ("--lot", "B201575,0201575", "--country", "FR", "--format", "json")
    review = json.loads(invoke(runner, "-q", "review", f, *args).stdout)
    assert [r["customer_id"] for r in review] == ["C5", "C6", "C7"]
    everywhere = json.loads(invoke(runner, "-q", "review", f, *args[:2], "--format", "json").stdout)
    assert [r["customer_id"] for r in everywhere] == ["C1", "C2", "C3", "C4", "C5", "C7"]
