"""Issue 13 item 1: a file that yields no shipment table is never left out under a ✓."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from recall_cli.cache import store as cache

from .conftest import SAMPLE, invoke, write_xlsx

SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(SAMPLE / "us_shipments_2010.xlsx", tmp_path)
    # Finnish headers, which no alias table knows: the file cannot be read as it is.
    (tmp_path / "fi_toimitukset.csv").write_text(
        "Toimituspäivä;Erä;Asiakasnumero;Määrä\n2010-12-01;B201575;C99;40\n", encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
@pytest.mark.parametrize("command", ["summary", "affected", "review", "check", "customer"])
def test_an_unreadable_file_stops_the_run_even_with_q(
    runner: CliRunner, folder: Path, cache_home: Path, command: str, cached: bool
) -> None:
    if cached:  # every file with a cache entry: the pandas-free path answers
        invoke(runner, "summary", folder, *SCOPE, "--skip-unreadable")
        cache.flush()
    target = {"check": ["B201575"], "customer": ["C99"]}.get(command, [])
    result = invoke(runner, "-q", command, *target, folder, *SCOPE,
                    *([] if cached else ["--no-cache"]))  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{folder / 'fi_toimitukset.csv'}: no shipment table in this file" in result.stderr
    for fix in ("--column", "--sheet", "--skip-unreadable"):
        assert fix in result.stderr


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_skip_unreadable_goes_on_and_never_prints_the_tick(
    runner: CliRunner, folder: Path, cache_home: Path, cached: bool
) -> None:
    extra = [] if cached else ["--no-cache"]
    if cached:
        invoke(runner, "summary", folder, *SCOPE, "--skip-unreadable")
        cache.flush()
    result = invoke(runner, "-q", "summary", folder, *SCOPE, "--skip-unreadable", "--format",
                    "json", *extra)  # fmt: skip
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["files_not_read"] == [{
        "file": str(folder / "fi_toimitukset.csv"),
        "sheet": "",
        "reason": "no recognisable header in the first 30 rows",
    }]  # fmt: skip
    # -q hides warnings, not the fact that a file was left out.
    last = result.stderr.strip().splitlines()[-1]
    assert "✓" not in result.stderr
    assert last.endswith("✗ NOT EVERY FILE WAS READ: 1 file not read (fi_toimitukset.csv)")
    for command in ("affected", "review"):
        done = invoke(runner, command, folder, *SCOPE, "--skip-unreadable", *extra)
        assert done.exit_code == 0
        assert "✓" not in done.stderr and "1 file not read (fi_toimitukset.csv)" in done.stderr
        assert "NOT READ (no shipment table; --skip-unreadable)" in done.stderr
    export = invoke(runner, "-q", "export", "email", folder, *SCOPE, "--skip-unreadable", "-o",
                    folder / "email.csv", "--audit-log", folder / "audit.jsonl")  # fmt: skip
    assert export.exit_code == 0
    assert "NOT EVERY FILE WAS READ: 1 file not read (fi_toimitukset.csv)" in export.stderr


def test_a_notes_sheet_beside_a_shipment_sheet_is_only_skipped(
    runner: CliRunner, tmp_path: Path
) -> None:
    write_xlsx(tmp_path / "w.xlsx", {
        "Read me": [["Exported by the ERP"], ["Do not edit"]],
        "Data": [["Lot", "Ship Date", "Customer ID", "Qty"], ["B201575", "2010-12-01", "C1", 4]],
    })  # fmt: skip
    result = invoke(runner, "summary", tmp_path, *SCOPE, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files_not_read"] == []
    assert "skipped, no recognisable header" in result.stderr
    assert result.stderr.rstrip().endswith("✓ every row accounted for")


def _with_unread_sheet(path: Path) -> Path:
    # The third sheet lists shipments under headers no alias table knows.
    return write_xlsx(path, {
        "Data": [["Lot", "Ship Date", "Customer ID", "Qty"], ["L000001", "2010-12-01", "C1", 4],
                 ["B201575", "2010-12-01", "C2", 1]],
        "Read me": [["Exported by the ERP"], ["Do not edit"]],
        # A pivot lists lots, and no date beside them: not shipments.
        "Pivot": [["Row Labels", "Sum of Qty"], ["B201575", 5], ["L000001", 4]],
        "Mar": [["When", "Who", "What batch", "How many"], ["2010-12-03", "C1", "lot b201575", 2]],
    })  # fmt: skip


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_a_skipped_sheet_holding_a_recalled_lot_is_no_tick(
    runner: CliRunner, tmp_path: Path, cached: bool
) -> None:
    w = _with_unread_sheet(tmp_path / "w.xlsx")
    more = () if cached else ("--no-cache",)
    if cached:
        invoke(runner, "summary", w, *SCOPE)
    result = invoke(runner, "summary", w, *SCOPE, *more, "--format", "json")
    assert result.exit_code == 0
    (gone,) = json.loads(result.stdout)["files_not_read"]
    assert (gone["file"], gone["sheet"]) == (str(w), "Mar")
    assert "yet it holds recalled lot B201575" in gone["reason"]
    last = result.stderr.rstrip().splitlines()[-1]
    assert last.endswith("✗ NOT EVERYTHING WAS READ: 1 sheet not read (w.xlsx / Mar)")
    assert f"{w} / Mar: NOT READ: skipped (no recognisable header" in result.stderr
    # A support answer says what it leaves out, and "not affected" is not known.
    customer = invoke(runner, "customer", "C1", w, *SCOPE, *more, "--format", "json")
    assert customer.exit_code == 6
    (match,) = json.loads(customer.stdout)["matches"]
    assert match["verdict"] == "needs_review"
    assert [(r["sheet"], r["row"]) for r in match["review"]] == [("Mar", None)]
    assert "w.xlsx / Mar was not read" in customer.stderr
    assert invoke(runner, "customer", "C2", w, *SCOPE, *more).exit_code == 0
    check = invoke(runner, "check", "B201575", w, *SCOPE, *more)
    assert check.exit_code == 0 and "w.xlsx / Mar was not read" in check.stderr
    # The same sheet under a recall of other lots is only a skipped sheet.
    other = invoke(runner, "summary", w, "--lot", "B201999", *more)
    assert other.stderr.rstrip().endswith("✓ every row accounted for")
    assert invoke(runner, "customer", "C1", w, "--lot", "B201999", *more).exit_code == 3


def test_a_pivot_of_recalled_lots_is_only_a_skipped_sheet(
    runner: CliRunner, tmp_path: Path
) -> None:
    w = write_xlsx(tmp_path / "w.xlsx", {
        "Data": [["Lot", "Ship Date", "Customer ID", "Qty"], ["L000001", "2010-12-01", "C1", 4]],
        "Pivot": [["Row Labels", "Sum of Qty"], ["B201575", 5], ["Grand Total", 5]],
    })  # fmt: skip
    result = invoke(runner, "summary", w, *SCOPE, "--no-cache")
    assert result.stderr.rstrip().endswith("✓ every row accounted for")
    assert invoke(runner, "customer", "C1", w, *SCOPE, "--no-cache").exit_code == 3
