"""The command line: exact output, exit codes, and proof that it is a thin shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recall_cli.output.frames import jsonable
from recall_cli.query import run as api

from .conftest import SAMPLE, as_json, invoke, write_csv

RECALL = SAMPLE / "recall.toml"


def test_summary_json_equals_library_call(runner) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "summary", "--recall", RECALL, "--format", "json"))
    request = api.Request.from_options(recall_file=RECALL)
    library = jsonable(api.summarize(api.run(request).result))
    assert out == library
    assert list(out) == [
        "recall", "rows", "customers_total", "customers", "units", "shipments", "by_lot",
        "by_country", "with_email", "postal_only", "uncontactable", "hcps", "sources",
        "files_not_read", "files_duplicate", "lines_duplicate", "units_unknown_in",
    ]  # fmt: skip


def test_summary_matches_sample_truth(runner) -> None:  # type: ignore[no-untyped-def]
    expected = json.loads((SAMPLE / "expected.json").read_text())
    out = as_json(invoke(runner, "summary", "--recall", RECALL, "--format", "json"))
    assert out["rows"] == expected["rows"]
    assert out["customers"] == len(expected["customers"])
    assert out["units"] == expected["units"]
    assert out["by_lot"] == expected["by_lot"]
    assert out["with_email"] + out["postal_only"] + out["uncontactable"] == out["customers"]
    rows = out["rows"]
    assert rows["read"] == sum(
        rows[k] for k in ("matched", "not_matched", "not_data", "needs_review")
    )


def test_stderr_states_that_the_buckets_add_up(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "summary", "--recall", RECALL, "--format", "json")
    r = json.loads(result.stdout)["rows"]
    line = (
        f"rows read {r['read']:,} = matched {r['matched']:,} + not matched {r['not_matched']:,}"
        f" + not data {r['not_data']:,} + needs review {r['needs_review']:,}"
        "  ✓ every row accounted for"
    )
    assert line in result.stderr.splitlines()


def test_quiet_keeps_stderr_empty(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "--quiet", "summary", "--recall", RECALL, "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""


def test_affected_csv_has_the_contract_columns(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "affected", "--recall", RECALL, "--format", "csv")
    header = result.stdout.splitlines()[0]
    assert header == (
        "customer_id,name,email,phone,address,city,region,postal_code,country,lots,units,"
        "shipments,first_shipped,last_shipped,prescriber,prescriber_id"
    )
    expected = json.loads((SAMPLE / "expected.json").read_text())
    ids = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert ids == expected["customers"]  # sorted by customer id


def test_affected_json_records(runner) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "affected", "--recall", RECALL, "--format", "json"))
    first = out[0]
    assert isinstance(first["lots"], list) and isinstance(first["units"], int)
    assert len(first["first_shipped"]) == 10


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "s.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Name", "Email", "Phone", "Qty"],
            ["B1", "2010-12-01", "C1", "Zoé Martin", "zoe@example.com", "+1 555 010 1018", "40"],
            ["B1", "2010-12-02", "C2", "Al Hart", "", "", "20"],
            ["B2", "2010-12-02", "C3", "Bo Lin", "", "", "10"],
            ["B1", "bad", "C4", "Cy Dunn", "", "", "5"],
        ],
    )


def test_check_json(runner, small: Path) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "check", "b1 ", small, "--lot", "B1", "--format", "json"))
    assert {k: out[k] for k in (
        "lot", "recalled", "customers", "units", "shipments", "first_shipped", "last_shipped"
    )} == {
        "lot": "B1", "recalled": True, "customers": 2, "units": 60, "shipments": 2,
        "first_shipped": "2010-12-01", "last_shipped": "2010-12-02",
    }  # fmt: skip


def test_check_text_verdicts(runner, small: Path) -> None:  # type: ignore[no-untyped-def]
    yes = invoke(runner, "check", "B1", small, "--lot", "B1")
    assert yes.stdout.splitlines()[0] == "B1: IN RECALL"
    no = invoke(runner, "check", "B2", small, "--lot", "B1")
    assert no.stdout.splitlines()[0].startswith("B2: NOT IN RECALL")


def test_customer_json_by_name_ignoring_accents(runner, small: Path) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "customer", "zoe", small, "--lot", "B1", "--format", "json"))
    assert out["query"] == "zoe"
    assert [(m["customer_id"], m["affected"], m["lots"], m["units"]) for m in out["matches"]] == [
        ("C1", True, ["B1"], 40)
    ]
    by_phone = as_json(
        invoke(runner, "customer", "0101018", small, "--lot", "B1", "--format", "json")
    )
    assert [m["customer_id"] for m in by_phone["matches"]] == ["C1"]
    other = invoke(runner, "customer", "C3", small, "--lot", "B1", "--format", "json")
    assert other.exit_code == 3  # "not affected" is not an error
    matches = json.loads(other.stdout)["matches"]
    assert [(m["customer_id"], m["affected"]) for m in matches] == [("C3", False)]


def test_review_lists_file_row_and_reason(runner, small: Path) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "review", small, "--lot", "B1", "--format", "json"))
    assert out == [
        {
            "file": "s.csv", "sheet": "", "row": 5, "reason": "ship date unreadable",
            "lot": "B1", "ship_date": "bad", "customer_id": "C4", "name": "Cy Dunn",
            "quantity": 5.0, "country": "",
        }
    ]  # fmt: skip


def test_inspect_json(runner) -> None:  # type: ignore[no-untyped-def]
    out = as_json(invoke(runner, "inspect", "--recall", RECALL, "--format", "json"))
    by_name = {(Path(s["file"]).name, s["sheet"]): s for s in out}
    readme = by_name[("us_shipments_2010.xlsx", "Read me")]
    assert readme["skipped"].startswith("no recognisable header")
    fr = by_name[("fr_expeditions_2010.csv", "")]
    assert fr["date_order"] == "day-first"
    assert fr["columns"]["lot"] == "N° de lot"
    assert fr["details"]["delimiter"] == ";"
    # With the recall's lots, each sheet's buckets too, adding up to the truth.
    expected = json.loads((SAMPLE / "expected.json").read_text())
    for (name, sheet), src in by_name.items():
        if not src["skipped"] and not sheet:
            assert src["buckets"] == expected["files"][name], name
    plain = as_json(
        invoke(runner, "inspect", SAMPLE / "fr_expeditions_2010.csv", "--format", "json")
    )
    assert plain[0]["buckets"] is None


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["summary", "nope.csv", "--lot", "B1"], 1, "nope.csv: no such file or folder"),
        (["summary", "{small}"], 2, "no recalled lot given"),
        (["summary", "{small}", "--lot", "B1", "--from", "2011-01-04", "--to", "2010-11-30"], 2,
         "--from 2011-01-04 is after --to 2010-11-30"),
        (["summary", "{small}", "--lot", "B1", "--from", "30/11/2010"], 2, "is not a date"),
        (["summary", "{small}", "--lot", "B1", "--country", "Atlantis"], 2, "unknown country"),
        (["summary", "{bad}", "--lot", "B1"], 1, "missing required column"),
        (["check", "B1"], 2, "no data files given"),
    ],
    ids=["missing-file", "no-lot", "from-after-to", "bad-date", "bad-country", "no-column",
         "no-data"],
)  # fmt: skip
def test_exit_codes(runner, small: Path, tmp_path: Path, args, code, needle) -> None:  # type: ignore[no-untyped-def]
    bad = write_csv(tmp_path / "bad.csv", [["Lot", "Qty"], ["B1", "1"]])
    args = [a.format(small=small, bad=bad) for a in args]
    result = invoke(runner, *args)
    assert result.exit_code == code
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    # one clear line, naming the problem
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("Error")]) == 1


def test_no_patient_data_in_errors(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = write_csv(tmp_path / "p.csv", [["Lot", "Name", "Qty"], ["B1", "Secret Person", "1"]])
    result = invoke(runner, "summary", f, "--lot", "B1")
    assert result.exit_code == 1 and "Secret Person" not in result.stderr


def test_python_m_and_console_script(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "recall_cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "version" in out.stdout


def test_output_file_and_no_overwrite(runner, small: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.csv"
    first = invoke(runner, "affected", small, "--lot", "B1", "--format", "csv", "-o", target)
    assert first.exit_code == 0 and target.read_text().startswith("customer_id,")
    again = invoke(runner, "affected", small, "--lot", "B1", "--format", "csv", "-o", target)
    assert again.exit_code == 1 and "--force" in again.stderr
    forced = invoke(runner, "affected", small, "--lot", "B1", "--format", "csv", "-o", target,
                    "--force")  # fmt: skip
    assert forced.exit_code == 0


def test_no_color_off_a_terminal(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "summary", "--recall", RECALL)
    assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr


def test_arrow_allocates_with_malloc_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from recall_cli.read.memory import prefer_system_allocator

    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        prefer_system_allocator()
        assert pa.default_memory_pool().backend_name == "mimalloc"
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        prefer_system_allocator()
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)
    # In a fresh process nothing has loaded pyarrow yet: the variable does it.
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    code = (
        "import sys; from recall_cli.read.memory import prefer_system_allocator; "
        "prefer_system_allocator(); assert 'pyarrow' not in sys.modules; "
        "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "system", out.stderr
