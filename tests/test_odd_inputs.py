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
