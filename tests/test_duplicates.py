"""Issue 13 item 5: the same file twice, and the same shipment line in two files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from recall_cli.cache import store as cache
from recall_cli.read import identity
from recall_cli.words import plural

from .conftest import SAMPLE, invoke, write_csv

SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")
HEADER = ["Order", "Lot", "Customer ID", "Ship Date", "Qty", "Country"]
JAN = [
    ["O1", "B201575", "C1", "2010-12-01", 40, "US"],
    ["O2", "B201575", "C2", "2010-12-02", 20, "US"],
    ["O3", "B209999", "C3", "2010-12-02", 30, "US"],
]
FEB = [["O4", "B201575", "C4", "2010-12-20", 10, "US"]]


def _summary(runner: CliRunner, *args: Any) -> tuple[dict[str, Any], list[str]]:
    done = invoke(runner, "summary", *args, "--format", "json")
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout), done.stderr.splitlines()


def _counts(summary: dict[str, Any]) -> tuple[int, int, int]:
    return summary["customers"], summary["units"], summary["shipments"]


# --- whole files ------------------------------------------------------------------


def _layout(tmp_path: Path, how: str) -> tuple[list[Path], Path]:
    """Inputs naming us.xlsx twice in the way `how` says, and the name left out."""
    us = tmp_path / "us.xlsx"
    shutil.copy(SAMPLE / "us_shipments_2010.xlsx", us)
    if how == "given twice":
        return [us, us], us
    if how == "folder and file":
        return [tmp_path, us], us
    other = tmp_path / "sub" / "copy_of_us.xlsx"
    other.parent.mkdir()
    if how == "copy":
        shutil.copy(us, other)
    elif how == "symlink":
        other.symlink_to(us)
    else:
        os.link(us, other)
    return [us, other], other


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
@pytest.mark.parametrize("how", ["given twice", "folder and file", "copy", "symlink", "hard link"])
def test_the_same_file_under_two_names_is_read_once(
    runner: CliRunner, tmp_path: Path, cache_home: Path, how: str, cached: bool
) -> None:
    inputs, left_out = _layout(tmp_path, how)
    us = tmp_path / "us.xlsx"
    extra = [] if cached else ["--no-cache"]
    once, _ = _summary(runner, us, *SCOPE, *extra)
    if cached:
        cache.flush()
    twice, stderr = _summary(runner, *inputs, *SCOPE, *extra)
    if cached:  # answered from the cache: the check runs on the way there
        assert cache.last_stats.hits == 1
    assert _counts(twice) == _counts(once) and twice["rows"] == once["rows"]
    kind = {"copy": "same content", "symlink": "same file", "hard link": "same file"}
    assert twice["files_duplicate"] == [
        {"path": str(left_out), "same_as": str(us), "how": kind.get(how, "given twice")}
    ]
    said = {
        "copy": f"{left_out} has the same content as {us} (byte for byte): read once, as {us}",
        "symlink": f"{left_out} is the same file as {us} (a link): read once, as {us}",
        "hard link": f"{left_out} is the same file as {us} (a link): read once, as {us}",
    }.get(how, f"{us} was given twice: read once")
    assert stderr.count(f"warning: {said}") == 1
    note = {
        "copy": "(us.xlsx and copy_of_us.xlsx are the same bytes, read once)",
        "symlink": "(us.xlsx and copy_of_us.xlsx are the same file, read once)",
        "hard link": "(us.xlsx and copy_of_us.xlsx are the same file, read once)",
    }.get(how, "(us.xlsx given twice, read once)")
    assert stderr[-1] == (
        "rows read 1,912 = matched 14 + not matched 1,893 + not data 5 + needs review 0  "
        f"✓ every row accounted for {note}"
    )


def test_files_of_one_size_but_other_bytes_are_both_read(runner: CliRunner, tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [HEADER, JAN[0]])
    b = write_csv(tmp_path / "b.csv", [HEADER, ["O9", "B201575", "C9", "2010-12-01", 40, "US"]])
    assert a.stat().st_size == b.stat().st_size
    summary, stderr = _summary(runner, a, b, *SCOPE, "--no-cache")
    assert summary["files_duplicate"] == [] and _counts(summary) == (2, 80, 2)
    assert stderr[-1].endswith("✓ every row accounted for")


def test_each_file_is_hashed_once_for_the_check_the_cache_and_the_audit_log(
    runner: CliRunner, tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write_csv(tmp_path / "a.csv", [HEADER, *JAN])
    b = tmp_path / "b.csv"
    shutil.copy(a, b)
    hashed: list[int] = []
    real = identity._digest

    def counting(fh: Any) -> str:
        hashed.append(os.fstat(fh.fileno()).st_ino)
        return real(fh)

    monkeypatch.setattr(identity, "_digest", counting)
    monkeypatch.setattr(identity, "_memo", {})
    log = tmp_path / "audit.jsonl"
    done = invoke(runner, "export", "replacements", a, b, *SCOPE, "-o", tmp_path / "out.csv",
                  "--audit-log", log)  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert sorted(hashed) == sorted({a.stat().st_ino, b.stat().st_ino})
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert [i["path"] for i in entry["inputs"]] == [str(a)]
    import hashlib

    assert entry["inputs"][0]["sha256"] == hashlib.sha256(a.read_bytes()).hexdigest()


# --- lines repeated across files -----------------------------------------------------


@pytest.fixture
def cumulative(tmp_path: Path) -> tuple[Path, Path]:
    jan = write_csv(tmp_path / "jan.csv", [HEADER, *JAN])
    both = write_csv(tmp_path / "jan_feb.csv", [HEADER, *JAN, *FEB])
    return jan, both


def _warning(jan: Path, both: Path) -> str:
    return (
        f"warning: possible double counting: 3 shipment lines (90 units) in {both} are also "
        f"in {jan}, with the same order id, lot, customer, ship date and quantity (first: "
        f"{both} row 2 = {jan} row 2); 2 of them (60 units) are in the recall and counted "
        f"twice. If {both} is a cumulative export, run again with --dedupe-lines to count "
        "each line once"
    )


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_a_line_in_two_files_is_possible_double_counting(
    runner: CliRunner, cumulative: tuple[Path, Path], cache_home: Path, cached: bool
) -> None:
    jan, both = cumulative
    extra = [] if cached else ["--no-cache"]
    for _ in range(2 if cached else 1):  # the second run answers from the cache
        cache.flush()
        summary, stderr = _summary(runner, jan, both, *SCOPE, *extra)
        assert stderr.count(_warning(jan, both)) == 1
        assert _counts(summary) == (3, 130, 5)  # counted twice, as the warning says
        assert summary["lines_duplicate"] == [{
            "file": str(both), "same_as": str(jan), "order_id": True, "lines": 3,
            "units": 90, "lines_in_recall": 2, "units_in_recall": 60, "set_aside": False,
            "first": {"sheet": "", "row": 2, "same_as_sheet": "", "same_as_row": 2},
        }]  # fmt: skip
    if cached:
        assert cache.last_stats.hits == 2
    # -q hides warnings, not a doubt about the counts.
    quiet = invoke(runner, "-q", "summary", jan, both, *SCOPE, *extra)
    assert quiet.exit_code == 0
    assert quiet.stderr.splitlines() == [
        "rows read 7 = matched 5 + not matched 2 + not data 0 + needs review 0  ✓ every row "
        "accounted for; POSSIBLE DOUBLE COUNTING: 3 lines (2 in the recall) also in another "
        "file (--dedupe-lines counts them once)"
    ]


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_dedupe_lines_counts_each_line_once_and_the_copies_as_not_data(
    runner: CliRunner, cumulative: tuple[Path, Path], cache_home: Path, cached: bool
) -> None:
    jan, both = cumulative
    extra = [] if cached else ["--no-cache"]
    alone, _ = _summary(runner, both, *SCOPE, "--no-cache")
    for _ in range(2 if cached else 1):
        cache.flush()
        summary, stderr = _summary(runner, jan, both, *SCOPE, "--dedupe-lines", *extra)
        assert _counts(summary) == _counts(alone) == (3, 70, 3)
        assert summary["rows"] == {"read": 7, "matched": 3, "not_matched": 1, "not_data": 3,
                                   "needs_review": 0}  # fmt: skip
        assert summary["lines_duplicate"][0]["set_aside"] is True
        assert stderr.count(
            f"warning: --dedupe-lines: 3 shipment lines (90 units) in {both} are copies of "
            f"lines in {jan} (first: {both} row 2 = {jan} row 2): each is counted once, from "
            f"{jan}; the copies are counted as not data"
        ) == 1  # fmt: skip
        assert stderr[-1] == (
            "rows read 7 = matched 3 + not matched 1 + not data 3 + needs review 0  ✓ every "
            "row accounted for; 3 copied lines of another file counted as not data "
            "(--dedupe-lines)"
        )
    # Every command that counts applies the same rule.
    affected = invoke(runner, "affected", jan, both, *SCOPE, "--dedupe-lines", "--format",
                      "json", *extra)  # fmt: skip
    assert sum(c["units"] for c in json.loads(affected.stdout)) == 70
    out = jan.parent / "courier.csv"
    export = invoke(runner, "export", "replacements", jan, both, *SCOPE, "--dedupe-lines",
                    "-o", out, "--audit-log", jan.parent / "audit.jsonl", *extra)  # fmt: skip
    assert export.exit_code == 0, export.stderr
    import csv

    with out.open(encoding="utf-8-sig") as fh:
        assert sum(int(r["units_to_replace"]) for r in csv.DictReader(fh)) == 70
    check = invoke(runner, "check", "B201575", jan, both, *SCOPE, "--dedupe-lines", "--format",
                   "json", *extra)  # fmt: skip
    assert check.exit_code == 0
    answer = json.loads(check.stdout)
    assert (answer["units"], answer["shipments"]) == (70, 3)
    customer = invoke(runner, "customer", "C1", jan, both, *SCOPE, "--dedupe-lines",
                      "--format", "json", *extra)  # fmt: skip
    assert customer.exit_code == 0
    assert json.loads(customer.stdout)["matches"][0]["units"] == 40


def test_lines_repeated_inside_one_file_are_real_orders(runner: CliRunner, tmp_path: Path) -> None:
    one = write_csv(tmp_path / "one.csv", [HEADER, JAN[0], JAN[0], JAN[1]])
    summary, stderr = _summary(runner, one, *SCOPE, "--no-cache", "--dedupe-lines")
    assert _counts(summary) == (2, 100, 3) and summary["lines_duplicate"] == []
    assert not any("double counting" in line or "copies" in line for line in stderr)


def test_a_line_twice_in_the_later_file_once_in_the_first_has_one_copy(
    runner: CliRunner, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "a.csv", [HEADER, JAN[0]])
    later = write_csv(tmp_path / "b.csv", [HEADER, JAN[0], JAN[0]])
    summary, _ = _summary(runner, first, later, *SCOPE, "--no-cache", "--dedupe-lines")
    assert summary["lines_duplicate"][0]["lines"] == 1
    assert _counts(summary) == (1, 80, 2)  # the later file's second line is a new one


def test_lines_without_an_order_id_are_reported_and_never_set_aside(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = [["", *r[1:]] for r in JAN]
    jan = write_csv(tmp_path / "jan.csv", [HEADER, *rows])
    both = write_csv(tmp_path / "jan_feb.csv", [HEADER, *rows, *FEB])
    for extra in ([], ["--dedupe-lines"]):
        summary, stderr = _summary(runner, jan, both, *SCOPE, "--no-cache", *extra)
        assert _counts(summary) == (3, 130, 5)
        assert summary["rows"]["not_data"] == 0
        assert stderr.count(
            f"warning: 3 shipment lines without an order id (90 units) in {both} have the "
            f"same lot, customer, ship date and quantity as lines in {jan} (first: {both} row "
            f"2 = {jan} row 2): they may be counted twice, but without an order id a copy "
            "cannot be told from a repeat order, so they are counted (2 of them (60 units) "
            "are in the recall and counted twice); --dedupe-lines leaves them: check them at "
            "the source"
        ) == 1  # fmt: skip
        assert stderr[-1].endswith(
            "✓ every row accounted for; POSSIBLE DOUBLE COUNTING: 3 lines without an order id "
            "(2 in the recall) look the same as another file's"
        )


MAR = [["O5", "B201575", "C5", "2010-12-28", 5, "US"]]


def _copy(later: Path, first: Path, lines: int, units: int, row: int, same_row: int,
          aside: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"file": str(later), "same_as": str(first), "order_id": True, "lines": lines,
            "units": units, "lines_in_recall": lines, "units_in_recall": units,
            "set_aside": aside, "first": {"sheet": "", "row": row, "same_as_sheet": "",
                                          "same_as_row": same_row}}  # fmt: skip


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_with_three_files_every_pair_that_holds_copies_is_reported(
    runner: CliRunner, tmp_path: Path, cache_home: Path, cached: bool
) -> None:
    """jan, jan+feb, jan+feb+mar: each copy is reported once, against the first file
    with its line, and the entries add up to the lines counted twice."""
    in_recall = [JAN[0], JAN[1]]
    jan = write_csv(tmp_path / "1_jan.csv", [HEADER, *in_recall])
    feb = write_csv(tmp_path / "2_feb.csv", [HEADER, *in_recall, *FEB])
    mar = write_csv(tmp_path / "3_mar.csv", [HEADER, *in_recall, *FEB, *MAR])
    extra = [] if cached else ["--no-cache"]
    for _ in range(2 if cached else 1):
        summary, stderr = _summary(runner, jan, feb, mar, *SCOPE, *extra)
        assert summary["lines_duplicate"] == [
            _copy(feb, jan, 2, 60, 2, 2), _copy(mar, jan, 2, 60, 2, 2),
            _copy(mar, feb, 1, 10, 4, 4),
        ]  # fmt: skip
        assert _counts(summary) == (4, 205, 9)  # 60 + 70 + 75: 130 units counted twice
        assert stderr.count(
            f"warning: possible double counting: 1 shipment line (10 units) in {mar} is also "
            f"in {feb}, with the same order id, lot, customer, ship date and quantity (first: "
            f"{mar} row 4 = {feb} row 4); it is in the recall and counted twice. If {mar} is "
            "a cumulative export, run again with --dedupe-lines to count each line once"
        ) == 1  # fmt: skip
        assert stderr[-1].endswith("POSSIBLE DOUBLE COUNTING: 5 lines (5 in the recall) also "
                                   "in another file (--dedupe-lines counts them once)")  # fmt: skip
    summary, stderr = _summary(runner, jan, feb, mar, *SCOPE, "--dedupe-lines", *extra)
    assert summary["lines_duplicate"] == [
        _copy(feb, jan, 2, 60, 2, 2, True), _copy(mar, jan, 2, 60, 2, 2, True),
        _copy(mar, feb, 1, 10, 4, 4, True),
    ]  # fmt: skip
    assert _counts(summary) == (4, 75, 4) and summary["rows"]["not_data"] == 5
    assert stderr.count(
        f"warning: --dedupe-lines: 1 shipment line (10 units) in {mar} is a copy of a line in "
        f"{feb} (first: {mar} row 4 = {feb} row 4): each is counted once, from {feb}; the "
        "copy is counted as not data"
    ) == 1  # fmt: skip


def test_one_line_without_an_order_id_is_said_in_the_singular(
    runner: CliRunner, tmp_path: Path
) -> None:
    jan = write_csv(tmp_path / "jan.csv", [HEADER, ["", *JAN[2][1:]]])
    feb = write_csv(tmp_path / "feb.csv", [HEADER, ["", *JAN[2][1:]], FEB[0]])
    _, stderr = _summary(runner, jan, feb, *SCOPE, "--no-cache")
    assert stderr.count(
        f"warning: 1 shipment line without an order id (30 units) in {feb} has the same lot, "
        f"customer, ship date and quantity as a line in {jan} (first: {feb} row 2 = {jan} "
        "row 2): it may be counted twice, but without an order id a copy cannot be told from "
        "a repeat order, so it is counted (it is not in the recall); --dedupe-lines leaves "
        "it: check it at the source"
    ) == 1  # fmt: skip


def test_a_line_that_differs_in_one_field_is_not_a_copy(runner: CliRunner, tmp_path: Path) -> None:
    jan = write_csv(tmp_path / "jan.csv", [HEADER, JAN[0]])
    for i, value in ((0, "O9"), (1, "B201578"), (2, "C9"), (3, "2010-12-03"), (4, 41)):
        changed = list(JAN[0])
        changed[i] = value
        other = write_csv(tmp_path / f"other{i}.csv", [HEADER, changed])
        summary, _ = _summary(runner, jan, other, "--lot", "B201575,B201578", "--no-cache")
        assert summary["lines_duplicate"] == [], value


def test_normalised_values_are_compared(runner: CliRunner, tmp_path: Path) -> None:
    """A US date and a lower-case lot in the later file are the same line."""
    jan = write_csv(tmp_path / "jan.csv", [HEADER, JAN[0]])
    other = write_csv(tmp_path / "feb.csv", [HEADER, ["O1", "b201575", "C1", "12/1/2010",
                                                      "40.0", "United States"]])  # fmt: skip
    summary, _ = _summary(runner, jan, other, *SCOPE, "--no-cache", "--dedupe-lines")
    assert summary["lines_duplicate"][0]["lines"] == 1 and _counts(summary) == (1, 40, 1)


def test_an_export_says_it_may_count_lines_twice_even_with_q(
    runner: CliRunner, cumulative: tuple[Path, Path]
) -> None:
    jan, both = cumulative
    args = ("-q", "export", "replacements", jan, both, *SCOPE, "-o", jan.parent / "r.csv",
            "--audit-log", jan.parent / "audit.jsonl", "--no-cache")  # fmt: skip
    done = invoke(runner, *args)
    assert done.exit_code == 0
    assert done.stderr.splitlines() == [
        "replacements: POSSIBLE DOUBLE COUNTING: 3 lines (2 in the recall) also in another "
        "file (--dedupe-lines counts them once)"
    ]
    deduped = invoke(runner, *args, "--dedupe-lines", "--force")
    assert deduped.exit_code == 0 and deduped.stderr == ""


def test_lines_whose_key_mixes_collide_are_still_told_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The search sorts by a 64-bit mix of each line's key; should every key mix to one
    value, the lines are still compared field by field."""
    import numpy as np
    import pyarrow as pa

    from recall_cli.query import copies

    monkeypatch.setattr(copies, "_mix", lambda keys: np.zeros(len(keys[0]), dtype=np.uint64))
    lines = [("O1", "B1", "C1", 40.0), ("O2", "B1", "C1", 40.0), ("O1", "B2", "C1", 40.0)]
    rows = [*lines, *lines[::-1], lines[0]]  # the second file: reversed, the first line twice
    table = pa.table({
        "kind": ["data"] * len(rows),
        "order_id": [r[0] for r in rows],
        "lot": [r[1] for r in rows],
        "customer_key": [r[2] for r in rows],
        "ship_date": pa.array([np.datetime64("2010-12-01", "s")] * len(rows)),
        "quantity": [r[3] for r in rows],
        "country": ["US"] * len(rows),
        "problem": [""] * len(rows),
    })  # fmt: skip
    found = copies.find_copies(table, np.array([0, 0, 0, 1, 1, 1, 1]), ["a.csv", "b.csv"])
    assert found.of.tolist() == [-1, -1, -1, 2, 1, 0, -1]


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_check_and_customer_warn_when_their_counts_hold_copies(
    runner: CliRunner, cumulative: tuple[Path, Path], cache_home: Path, cached: bool
) -> None:
    jan, both = cumulative
    extra = [] if cached else ["--no-cache"]
    if cached:
        invoke(runner, "summary", jan, both, *SCOPE)
        cache.flush()
    tail = (
        "also in another file, with the same order id, lot, customer, ship date and "
        "quantity: `recall summary` names the files; --dedupe-lines counts each line once"
    )
    check = invoke(runner, "check", "B201575", jan, both, *SCOPE, *extra)
    assert check.exit_code == 0
    assert check.stderr.splitlines() == [
        f"warning: possible double counting: 2 shipment lines (60 units) counted for lot "
        f"B201575 are {tail}"
    ]
    customer = invoke(runner, "customer", "C1", jan, both, *SCOPE, *extra)
    assert customer.exit_code == 0
    assert customer.stderr.splitlines() == [
        f"warning: possible double counting: 1 shipment line (40 units) counted for these "
        f"customers is {tail}"
    ]
    if cached:
        assert cache.last_stats.hits == 2
    # The JSON says it too, in the warning's words (recall serve's API writes these bytes).
    for command, asked, lines, units, what in (
        ("check", "B201575", 2, 60, "lot B201575 are"),
        ("customer", "C1", 1, 40, "these customers is"),
    ):
        done = invoke(runner, command, asked, jan, both, *SCOPE, "--format", "json", *extra)
        assert json.loads(done.stdout)["double_counting"] == {
            "lines": lines, "units": units,
            "warning": f"possible double counting: {plural(lines, 'shipment line')} "
                       f"({units} units) counted for {what} {tail}",
        }  # fmt: skip
    alone = invoke(runner, "check", "B201575", jan, *SCOPE, "--format", "json", *extra)
    assert json.loads(alone.stdout)["double_counting"] is None
    for command, target in (("check", "B201575"), ("customer", "C1")):
        deduped = invoke(runner, command, target, jan, both, *SCOPE, "--dedupe-lines", *extra)
        assert deduped.exit_code == 0 and deduped.stderr == ""
    alone = invoke(runner, "check", "B201575", both, *SCOPE, *extra)
    assert alone.exit_code == 0 and alone.stderr == ""


def test_shell_warns_as_check_and_customer_do(
    runner: CliRunner, cumulative: tuple[Path, Path]
) -> None:
    jan, both = cumulative
    tail = (
        "also in another file, with the same order id, lot, customer, ship date and "
        "quantity: `recall summary` names the files; --dedupe-lines counts each line once"
    )
    done = invoke(runner, "shell", jan, both, *SCOPE, "--no-cache",
                  input="B201575\ncustomer C1\nB201578\n")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "counted for" in line]
    assert said == [
        f"warning: possible double counting: 2 shipment lines (60 units) counted for lot "
        f"B201575 are {tail}",
        f"warning: possible double counting: 1 shipment line (40 units) counted for these "
        f"customers is {tail}",
    ]  # B201578 has no line in two files: nothing said


def test_the_saved_summary_says_what_was_read_once_and_counted_twice(
    runner: CliRunner, cumulative: tuple[Path, Path]
) -> None:
    jan, both = cumulative
    copy = jan.parent / "copy_of_jan.csv"
    shutil.copy(jan, copy)
    cases = (
        ([], "3 (90 units): 2 in the recall, counted twice"),
        (["--dedupe-lines"], "3 (90 units): counted once (--dedupe-lines)"),
    )
    for extra, said in cases:
        done = invoke(runner, "-q", "summary", jan, copy, both, *SCOPE, "--format", "csv",
                      "--no-cache", *extra)  # fmt: skip
        assert done.exit_code == 0
        import csv

        rows = list(csv.reader(done.stdout.splitlines()))
        assert ["Summary", "inputs read once (the same as an earlier one)",
                "copy_of_jan.csv = jan.csv"] in rows  # fmt: skip
        assert ["Summary", "lines of jan_feb.csv also in jan.csv", said] in rows
    plain = invoke(runner, "-q", "summary", both, *SCOPE, "--format", "csv", "--no-cache")
    assert "read once" not in plain.stdout and "also in" not in plain.stdout


@pytest.mark.parametrize("cached", [False, True], ids=["fresh", "cached"])
def test_sql_sees_the_copies_as_not_data_with_dedupe_lines(
    runner: CliRunner, cumulative: tuple[Path, Path], cache_home: Path, cached: bool
) -> None:
    jan, both = cumulative
    extra = [] if cached else ["--no-cache"]
    if cached:
        invoke(runner, "summary", jan, both, *SCOPE)
        cache.flush()
    query = "select bucket, count(*) as n from shipments group by bucket order by bucket"
    args = ("sql", query, jan, both, *SCOPE, "--format", "json", "--audit-log",
            jan.parent / "audit.jsonl", *extra)  # fmt: skip
    for dedupe, expected in ((False, {"matched": 5, "not_matched": 2}),
                             (True, {"matched": 3, "not_data": 3, "not_matched": 1})):  # fmt: skip
        done = invoke(runner, *args, *(["--dedupe-lines"] if dedupe else []))
        assert done.exit_code == 0, done.stderr
        assert {r["bucket"]: r["n"] for r in json.loads(done.stdout)} == expected
        tail = ("3 copied lines of another file counted as not data (--dedupe-lines)" if dedupe
                else "POSSIBLE DOUBLE COUNTING: 3 lines (2 in the recall) also in another "
                "file (--dedupe-lines counts them once)")  # fmt: skip
        assert done.stderr.splitlines()[-1].endswith(f"✓ every row accounted for; {tail}")


def test_a_sheet_repeating_another_sheets_lines_is_said(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hidden backup sheet holds the shipments a second time: every line counted twice,
    # with nothing said, because copies were only looked for between files.
    import openpyxl

    header = ["Ship Date", "Order ID", "Customer ID", "Name", "Lot", "Qty"]
    lines = [["2010-12-01", "O1", "C1", "Ann", "B201575", 10],
             ["2010-12-02", "O2", "C2", "Bob", "B201575", 5]]  # fmt: skip
    book = openpyxl.Workbook()
    book.active.title = "Shipments"
    for row in [header, *lines]:
        book.active.append(row)
    backup = book.create_sheet("Backup")
    for row in [header, *lines, ["2010-12-03", "O3", "C3", "Cy", "B201575", 1]]:
        backup.append(row)
    backup.sheet_state = "hidden"
    other = book.create_sheet("February")
    for row in [header, ["2011-02-01", "O9", "C1", "Ann", "B201575", 3]]:
        other.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    monkeypatch.setenv("RECALL_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):  # read, then from the cache
        done = invoke(runner, "summary", path, "--lot", "B201575")
        said = [line for line in done.stderr.splitlines() if "also in sheet" in line]
        assert said == [
            f"warning: {path} / Backup: 2 shipment lines of sheet 'Backup' (hidden) are also "
            "in sheet 'Shipments' of this workbook, with the same order id, lot, customer, ship "
            "date and quantity: if one sheet is a copy (a hidden backup, a pivot's source), "
            "they are counted twice; read the right one with --sheet NAME"
        ]
