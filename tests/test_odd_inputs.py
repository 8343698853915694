"""Odd inputs a bad day brings: each is read right, sent to review with a reason, or refused
with one line; never a dropped row, a wrong count, a hang or an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import as_json, invoke, write_csv

HEADER = ["lot", "ship_date", "customer_id", "name", "quantity"]
SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")


def _summary(runner: CliRunner, *paths: Path, extra: tuple[str, ...] = ()) -> dict:
    return as_json(invoke(runner, "summary", *paths, *SCOPE, "--format", "json", *extra))


def _review(runner: CliRunner, *paths: Path) -> list[dict]:
    return as_json(invoke(runner, "review", *paths, *SCOPE, "--format", "json"))


# --- quantities (item 4) ------------------------------------------------------

ODD_QUANTITIES = ["abc", "inf", "-inf", "Infinity", "1e400", "nan", "NaN", str(2**63),
                  str(2**53), "-" + str(2**64)]  # fmt: skip


@pytest.mark.parametrize("quantity", ODD_QUANTITIES)
@pytest.mark.parametrize("command", ["summary", "affected", "inspect", "fda-806", "fsma"])
def test_an_unreadable_quantity_is_one_rule_and_never_a_crash(
    runner: CliRunner, tmp_path: Path, quantity: str, command: str
) -> None:
    data = write_csv(
        tmp_path / "q.csv",
        [
            HEADER,
            ["B201575", "2010-12-01", "C1", "Ann", "5"],
            ["B201575", "2010-12-02", "C2", "Bob", quantity],
        ],
    )
    args = {
        "fda-806": ("export", "fda-806", data, *SCOPE, "-o", tmp_path / "o.csv"),
        "fsma": ("export", "fsma", data, *SCOPE, "-o", tmp_path / "o.csv"),
    }.get(command, (command, data, *SCOPE, "--format", "json"))
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.stderr
    assert "internal error" not in result.stderr
    assert "unreadable quantity" in result.stderr + result.stdout
    if command == "summary":
        summary = json.loads(result.stdout)
        assert summary["rows"]["matched"] == 1 and summary["rows"]["needs_review"] == 1
        assert summary["units"] == 5
    if command == "affected":
        assert [c["customer_id"] for c in json.loads(result.stdout)] == ["C1"]
    if command in ("fda-806", "fsma"):
        text = (tmp_path / "o.csv").read_text(encoding="utf-8-sig")
        assert "C2" not in text and "-9223372036854775808" not in text


def test_the_largest_exact_quantity_is_read_and_its_sums_do_not_overflow(
    runner: CliRunner, tmp_path: Path
) -> None:
    big = 2**53 - 1
    rows = [["B201575", "2010-12-01", "C1", "Ann", str(big)] for _ in range(2048)]
    data = write_csv(tmp_path / "big.csv", [HEADER, *rows])
    summary = _summary(runner, data)
    assert summary["rows"]["matched"] == 2048
    assert summary["units"] == pytest.approx(big * 2048, rel=1e-12)
    affected = as_json(invoke(runner, "affected", data, *SCOPE, "--format", "json"))
    assert affected[0]["units"] == summary["units"] > 2**63
    out = tmp_path / "806.csv"
    assert invoke(runner, "export", "fda-806", data, *SCOPE, "-o", out).exit_code == 0
    import csv

    [row] = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert int(row["units"]) == pytest.approx(summary["units"], rel=1e-12)


def test_review_names_an_unreadable_quantity(runner: CliRunner, tmp_path: Path) -> None:
    data = write_csv(
        tmp_path / "q.csv",
        [
            HEADER,
            ["B201575", "2010-12-02", "C2", "Bob", "inf"],
            ["B999999", "2010-12-02", "C3", "Cy", "inf"],
        ],
    )
    review = _review(runner, data)
    # Only the recalled row needs a person: an unrecalled one is not matched whatever its units.
    assert [(r["customer_id"], r["reason"]) for r in review] == [("C2", "unreadable quantity")]


# --- pipes and devices (item 16), long cells (item 15) -------------------------


def _recall(*args: object, env: dict[str, str] | None = None, timeout: float = 60):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "recall_cli", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_a_device_is_refused_and_nothing_hangs(tmp_path: Path, kind: str) -> None:
    import os

    if kind == "fifo":
        target = tmp_path / "shipments.csv"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    # Before the fix the error printed, then the cache's hash thread read forever.
    done = _recall("summary", target, *SCOPE, env={"RECALL_CACHE_DIR": str(tmp_path / "c")},
                   timeout=30)  # fmt: skip
    assert done.returncode == 1
    assert "not a regular file" in done.stderr
    assert "FIFO" in done.stderr if kind == "fifo" else "device" in done.stderr


def test_a_cell_longer_than_the_csv_field_limit_is_read(runner: CliRunner, tmp_path: Path) -> None:
    name = "x" * 1_000_000
    rows = [
        HEADER,
        ["B201575", "2010-12-01", "C1", name, "5"],
        ["B201575", "2010-12-02", "C2", "Bob", "2"],
    ]
    data = write_csv(tmp_path / "long.csv", rows)
    summary = _summary(runner, data)
    assert summary["rows"]["matched"] == 2 and summary["units"] == 7
    affected = as_json(invoke(runner, "affected", data, *SCOPE, "--format", "json"))
    assert affected[0]["name"] == name


# --- stray quotes (item 1) -------------------------------------------------------------


def test_a_stray_quote_does_not_swallow_the_rows_after_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "stray.csv"
    data.write_text(
        "lot,ship_date,customer_id,name,quantity\n"
        "B201575,2010-12-01,C1,Ann,5\n"
        'B201575,2010-12-02,C2,"Unclosed name,5\n'
        "B201575,2010-12-03,C3,Cy,4\n"
        "B201575,2010-12-04,C4,Di,3\n",
        encoding="utf-8",
    )
    result = invoke(runner, "summary", data, *SCOPE, "--format", "json")
    summary = json.loads(result.stdout)
    # Before: 2 rows read, C3 and C4 inside C2's name, and the check mark printed.
    assert summary["rows"]["read"] == 4
    assert summary["rows"]["needs_review"] == 3 and summary["rows"]["matched"] == 1
    assert "field 4 of line 3 is never closed" in result.stderr
    assert "lines 3-5" in result.stderr
    review = _review(runner, data)
    assert [(r["row"], r["customer_id"]) for r in review] == [(3, "C2"), (4, "C3"), (5, "C4")]
    assert all(r["reason"].startswith("unclosed quote in field 4 of line 3") for r in review)


def test_a_stray_quote_in_a_long_file_is_found_and_the_lines_counted(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = [["B201575", "2010-12-01", f"C{i}", f"N{i}", "1"] for i in range(20_000)]
    data = write_csv(tmp_path / "long.csv", [HEADER, *rows])
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5000] = lines[5000].replace(",N4999,", ',"N4999,')
    lines[5011] = lines[5011].replace(",N5010,", ',N5010",')  # closes 11 lines on
    data.write_text("".join(lines), encoding="utf-8")
    summary = _summary(runner, data)
    assert summary["rows"]["read"] == 20_000
    assert summary["rows"]["needs_review"] == 12  # lines 5001-5012, one row each
    assert summary["rows"]["matched"] == 20_000 - 12


def test_quoted_line_breaks_are_kept_and_the_line_count_is_said(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "addr.csv"
    data.write_text(
        "lot,ship_date,customer_id,name,address,quantity\n"
        'B201575,2010-12-01,C1,Ann,"12 rue X\nApt 4",5\n'
        '"B201575\n",2010-12-02,C2,Bob,1 Main,2\n'
        'B201575,2010-12-03,C3,Cy,1 Main,"3\n"\n',
        encoding="utf-8",
    )
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    affected = as_json(result)
    assert [(c["customer_id"], c["units"]) for c in affected] == [("C1", 5), ("C2", 2), ("C3", 3)]
    assert affected[0]["address"] == "12 rue X\nApt 4"
    assert "7 lines were read as 4 rows: 3 line breaks inside quoted cells" in result.stderr


# --- NUL bytes (item 19) ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_one_nul_byte_sends_its_row_to_review_not_the_file_away(
    runner: CliRunner, tmp_path: Path, encoding: str
) -> None:
    data = tmp_path / "nul.csv"
    text = "lot,ship_date,customer_id,name,quantity\nB201575,2010-12-01,C1,Anné,5\n"
    text += "B201575,2010-12-02,C2,Bo\x00b,5\nB201575,2010-12-03,C3,Cy,4\n"
    data.write_bytes(text.encode(encoding))
    summary = _summary(runner, data)
    assert summary["rows"] == {"read": 3, "matched": 2, "not_matched": 0, "not_data": 0,
                               "needs_review": 1}  # fmt: skip
    [row] = _review(runner, data)
    assert row["customer_id"] == "C2" and "NUL byte" in row["reason"]


def test_a_binary_file_is_still_refused(runner: CliRunner, tmp_path: Path) -> None:
    import random

    rng = random.Random(1)
    data = tmp_path / "blob.csv"
    data.write_bytes(bytes(rng.choice([0, 0, 0, 1, 65, 66, 200]) for _ in range(20_000)))
    result = invoke(runner, "summary", data, *SCOPE)
    assert result.exit_code == 1 and "binary" in result.stderr


# --- very wide sheets (item 14) ---------------------------------------------------------


def test_a_stray_cell_in_column_xfd_is_read_as_an_ordinary_sheet(
    runner: CliRunner, tmp_path: Path
) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(29):
        ws.append(["B201575", "2010-12-01", f"C{i}", f"N{i}", 2])
    ws.cell(row=5, column=16384, value="stray")
    wb.save(tmp_path / "xfd.xlsx")
    summary = _summary(runner, tmp_path / "xfd.xlsx")
    assert summary["rows"]["matched"] == 29 and summary["units"] == 58
    inspected = as_json(invoke(runner, "inspect", tmp_path / "xfd.xlsx", "--format", "json"))
    assert inspected[0]["header_row"] == 1


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_a_csv_with_10000_columns_is_read(runner: CliRunner, tmp_path: Path, filled: bool) -> None:
    extra = [f"x{i}" for i in range(9_995)]
    body = [
        ["B201575", "2010-12-01", f"C{i}", f"N{i}", "3"]
        + ([str(j) for j in range(9_995)] if filled else [""] * 9_995)
        for i in range(30)
    ]
    data = write_csv(tmp_path / "wide.csv", [HEADER + extra, *body])
    summary = _summary(runner, data)
    assert summary["rows"]["matched"] == 30 and summary["units"] == 90


def test_trailing_separators_make_no_columns_and_no_ragged_rows(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "trailing.csv"
    lines = ["lot,ship_date,customer_id,name,quantity" + "," * 5000]
    lines += [f"B201575,2010-12-01,C{i},N{i},1" + "," * (i % 7) for i in range(20)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = _summary(runner, data)
    assert summary["rows"]["matched"] == 20 and summary["rows"]["needs_review"] == 0


# --- a second header mid-file (item 2) -----------------------------------------------------

FIRST = (
    "lot,ship_date,customer_id,name,quantity\n"
    "B201575,2010-12-01,C1,Ann,5\nB999999,2010-12-02,C2,Bob,5\n"
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_second_header_in_another_order_starts_a_table_of_its_own(
    runner: CliRunner, tmp_path: Path, suffix: str
) -> None:
    text = FIRST + "customer_id,name,lot,ship_date,quantity\nC3,Cy,B201575,2010-12-03,4\n"
    text += "C4,Di,B999999,2010-12-04,3\nlot,ship_date,customer_id,name,quantity\n"
    text += "B201575,2010-12-05,C5,Ed,2\n"
    rows = [line.split(",") for line in text.splitlines()]
    if suffix == ".csv":
        data = write_csv(tmp_path / "two.csv", rows)
    else:
        from tests.conftest import write_xlsx

        data = write_xlsx(tmp_path / "two.xlsx", {"Shipments": rows})
    result = invoke(runner, "affected", data, *SCOPE, "--format", "json")
    # Before: C3's row, read in the first header's order, was "not matched".
    assert {c["customer_id"]: c["units"] for c in as_json(result)} == {"C1": 5, "C3": 4, "C5": 2}
    assert "a header at row 4 names the columns in another order" in result.stderr
    summary = _summary(runner, data)
    assert [s["header_row"] for s in summary["sources"]] == [1, 4, 7]
    assert summary["rows"] == {"read": 5, "matched": 3, "not_matched": 2, "not_data": 0,
                               "needs_review": 0}  # fmt: skip


def test_an_identical_repeated_header_is_not_data_and_not_a_new_table(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "same.csv"
    data.write_text(FIRST + FIRST.replace("C1", "C3").replace("C2", "C4"), encoding="utf-8")
    result = invoke(runner, "summary", data, *SCOPE, "--format", "json")
    summary = as_json(result)
    assert len(summary["sources"]) == 1
    assert summary["rows"]["not_data"] == 1 and summary["rows"]["matched"] == 2
    assert "another order" not in result.stderr


def test_a_different_header_missing_columns_sends_what_follows_to_review(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = tmp_path / "part.csv"
    data.write_text(FIRST + "name,lot,quantity\nCy,B201575,4\n", encoding="utf-8")
    review = _review(runner, data)
    assert [r["row"] for r in review] == [4, 5]
    assert all("below a header at row 4 whose columns differ" in r["reason"] for r in review)


# --- folders, .csv.gz and .csv.zip (item 18) ------------------------------------------------


def _one(customer: str) -> str:
    return f"lot,ship_date,customer_id,name,quantity\nB201575,2010-12-01,{customer},N,2\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    import gzip
    import zipfile

    root = tmp_path / "exports"
    (root / "2010" / "december").mkdir(parents=True)
    (root / "a.csv").write_text(_one("A1"), encoding="utf-8")
    (root / "b.csv.gz").write_bytes(gzip.compress(_one("G1").encode()))
    with zipfile.ZipFile(root / "c.csv.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("export/c.csv", _one("Z1"))
        zf.writestr("__MACOSX/export/._c.csv", b"\x00\x05\x16\x07")
    (root / "notes.txt").write_text(_one("T1"), encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4")
    (root / "old.tar.gz").write_bytes(gzip.compress(b"x"))
    (root / "2010" / "d.csv").write_text(_one("D1"), encoding="utf-8")
    (root / "2010" / "december" / "e.csv").write_text(_one("E1"), encoding="utf-8")
    return root


def test_a_folder_says_what_it_skipped_and_reads_compressed_exports(
    runner: CliRunner, folder: Path
) -> None:
    result = invoke(runner, "affected", folder, *SCOPE, "--format", "json")
    assert [c["customer_id"] for c in as_json(result)] == ["A1", "G1", "Z1"]
    line = [ln for ln in result.stderr.splitlines() if "not read" in ln]
    assert line == [
        f"warning: {folder}: not read: 1 subfolder (read them with --recursive); "
        "1 .txt file (name one to read it); 2 other files (.gz, .pdf)"
    ]
    deep = invoke(runner, "affected", folder, *SCOPE, "--format", "json", "--recursive")
    assert [c["customer_id"] for c in as_json(deep)] == ["A1", "D1", "E1", "G1", "Z1"]
    assert "subfolder" not in deep.stderr
    review = as_json(invoke(runner, "summary", folder, *SCOPE, "--format", "json"))
    assert {(Path(s["file"]).name, s["sheet"]) for s in review["sources"]} == {
        ("a.csv", ""), ("b.csv.gz", ""), ("c.csv.zip", "export/c.csv")}  # fmt: skip


def test_a_gzip_bomb_and_an_over_limit_gzip_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    import gzip

    big = tmp_path / "big.csv.gz"
    with gzip.open(big, "wb") as fh:
        fh.write(_one("C1").encode())
        for _ in range(2):
            fh.write(b"B201575,2010-12-01,C1,N,2\n" * 100_000)
    result = invoke(runner, "summary", big, *SCOPE, "--max-unzipped-mb", "1")
    assert result.exit_code == 1 and "more than the 1 MB limit" in result.stderr
    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(_one("C1").encode())
        zeros = b"\n" * 2**20
        for _ in range(120):
            fh.write(zeros)
    result = invoke(runner, "summary", bomb, *SCOPE)
    assert result.exit_code == 1 and "zip bomb" in result.stderr


def test_a_damaged_or_empty_compressed_export_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    import gzip

    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(_one("C1").encode() * 1000)[:-40])
    result = invoke(runner, "summary", cut, *SCOPE)
    assert result.exit_code == 1 and "is damaged" in result.stderr
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.csv.zip", "w") as zf:
        zf.writestr("readme.md", "nothing")
    result = invoke(runner, "summary", tmp_path / "empty.csv.zip", *SCOPE)
    assert result.exit_code == 1 and "holds no .csv" in result.stderr
