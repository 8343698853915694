"""Campaign exports: golden files on sample_data, the workbook, safe files, channels, audit.

Golden files are regenerated with ``RECALL_UPDATE_GOLDEN=1 pytest tests/test_campaign.py``;
read the diff before committing them.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from recall_cli.tasks import campaign
from recall_cli.tasks.campaign import split_name

from .conftest import SAMPLE, invoke, write_csv

GOLDEN = Path(__file__).parent / "golden"
RECALL = SAMPLE / "recall.toml"
CSV_KINDS = ("email", "postal", "hcp", "replacements")


@pytest.fixture(autouse=True)
def audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every export here logs to a temporary file, never the user's real audit log."""
    log = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("RECALL_AUDIT_LOG", str(log))
    return log


def assert_golden(produced: Path, name: str) -> None:
    """Whole-file byte comparison with tests/golden/NAME (CRLF line ends included)."""
    golden = GOLDEN / name
    data = produced.read_bytes()
    if os.environ.get("RECALL_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert golden.exists(), f"missing {golden}: run with RECALL_UPDATE_GOLDEN=1"
    assert data.decode("utf-8").splitlines() == golden.read_bytes().decode("utf-8").splitlines()
    assert data == golden.read_bytes()


@pytest.mark.parametrize("kind", CSV_KINDS)
def test_export_golden(runner: CliRunner, tmp_path: Path, kind: str) -> None:
    out = tmp_path / f"{kind}.csv"
    result = invoke(runner, "export", kind, "--recall", RECALL, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert_golden(out, f"export_{kind}.csv")
    assert (
        "channels: email 101 + postal 17 + uncontactable 0 = 118 affected customers ✓"
        in result.stderr
    )


def test_affected_golden(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "affected.csv"
    result = invoke(runner, "affected", "--recall", RECALL, "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert_golden(out, "affected.csv")


def test_golden_counts_match_expected() -> None:
    """The golden files agree with the generator's truth, computed without recall_cli."""
    expected = json.loads((SAMPLE / "expected.json").read_text(encoding="utf-8"))
    read = {k: pd.read_csv(GOLDEN / f"export_{k}.csv", dtype=str) for k in CSV_KINDS}
    affected = pd.read_csv(GOLDEN / "affected.csv", dtype=str)
    assert sorted(affected["customer_id"]) == sorted(expected["customers"])
    assert sorted(read["replacements"]["reference"]) == sorted(expected["customers"])
    # email + postal partition the customers (no uncontactable one in the sample).
    both = list(read["email"]["customer_id"]) + list(read["postal"]["customer_id"])
    assert sorted(both) == sorted(expected["customers"])
    assert read["hcp"]["patients_affected"].astype(int).sum() == len(expected["customers"])
    # French customers, and only they, get French.
    email = read["email"]
    assert set(email.loc[email["customer_id"].str.startswith("FR-"), "language"]) == {"fr"}
    assert set(email.loc[~email["customer_id"].str.startswith("FR-"), "language"]) == {"en"}
    # Postal codes keep their zeros (New England ZIPs start with 0).
    assert read["postal"]["postal_code"].str.fullmatch(r"\d{5}").all()


# --- a small generated input with hostile and awkward values ------------------------

HEADER = ["Lot Number", "Ship Date", "Customer ID", "Customer Name", "Email", "Phone",
          "Address", "City", "Postcode", "Country", "Quantity", "Prescriber", "NPI"]  # fmt: skip
HYPERLINK = '=HYPERLINK("http://x","y")'
PHONE = "+33 1 23 45 67 89"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    rows = [
        HEADER,
        ["L1", "2011-01-02", "C1", HYPERLINK, "a@example.com", PHONE, "1 rue X", "Paris",
         "75001", "FR", "10", "Dr A", "111"],
        ["L1", "2011-01-02", "C2", "Doe, Jane", "", "555", "2 Main St", "Boston", "02110",
         "US", "20", "Dr A", "111"],
        ["L1", "2011-01-03", "C3", "Lost Person", "not-an-email", "", "", "", "", "US", "5",
         "", ""],
        ["L1", "2011-01-03", "C4", "@SUM(1)", "bad@", "-2+3+cmd|' /C calc'!A0", "4 Elm St",
         "Reno", "89501", "GP", "7", "Dr B", "222"],
        ["L2", "2011-01-03", "C5", "Not Recalled", "n@example.com", "", "5 Oak", "Reno",
         "89501", "US", "9", "Dr B", "222"],
    ]  # fmt: skip
    return write_csv(tmp_path / "in.csv", rows)


def _export(runner: CliRunner, src: Path, kind: str, out: Path, *extra: Any) -> Any:
    return invoke(runner, "export", kind, src, "--lot", "L1", "-o", out, *extra)


def test_channel_sum_with_uncontactable(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    result = _export(runner, hostile, "postal", tmp_path / "p.csv")
    assert result.exit_code == 0, result.stderr
    assert "email 1 + postal 2 + uncontactable 1 = 4 affected customers ✓" in result.stderr
    assert "1 affected customers have neither a valid email nor a postal address" in result.stderr
    postal = pd.read_csv(tmp_path / "p.csv", dtype=str, keep_default_na=False)
    assert list(postal["customer_id"]) == ["C2", "C4"]
    assert list(postal["postal_code"]) == ["02110", "89501"]
    assert list(postal[["first_name", "last_name"]].iloc[0]) == ["Jane", "Doe"]
    assert list(postal["language"]) == ["en", "fr"]  # GP is French
    # --all: everyone with an address, emailed or not; still not the uncontactable one.
    result = _export(runner, hostile, "postal", tmp_path / "all.csv", "--all")
    assert list(pd.read_csv(tmp_path / "all.csv", dtype=str)["customer_id"]) == ["C1", "C2", "C4"]


def test_library_channels_add_up(hostile: Path) -> None:
    from recall_cli.query import run as api

    run = api.run(api.Request.from_options(paths=[hostile], lots=["L1"]))
    ch = campaign.Campaign(run.result).channels
    assert ch.to_dict() == {"email": 1, "postal": 2, "uncontactable": 1, "affected": 4}


def test_csv_formula_escaping(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    out = tmp_path / "r.csv"
    result = _export(runner, hostile, "replacements", out)
    assert result.exit_code == 0, result.stderr
    # Two names and one DDE-looking phone are prefixed; the plain phone number is not.
    assert "3 cells starting with = + - @ tab or CR were prefixed with '" in result.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    by_id = frame.set_index("reference")
    assert by_id.loc["C1", "ship_to_name"] == "'" + HYPERLINK
    assert by_id.loc["C1", "phone"] == PHONE
    assert by_id.loc["C4", "ship_to_name"] == "'@SUM(1)"
    assert by_id.loc["C4", "phone"] == "'-2+3+cmd|' /C calc'!A0"
    # Turned off on request: the raw values come back and nothing is reported.
    raw = tmp_path / "raw.csv"
    result = _export(runner, hostile, "replacements", raw, "--no-escape-formulas")
    assert "prefixed" not in result.stderr
    by_id = pd.read_csv(raw, dtype=str, keep_default_na=False).set_index("reference")
    assert by_id.loc["C1", "ship_to_name"] == HYPERLINK


def test_csv_excel_options(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    out = tmp_path / "e.csv"
    result = _export(runner, hostile, "email", out, "--excel", "--output-delimiter", ";")
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == (
        "customer_id;name;first_name;last_name;email;language;lots;units"
    )


def test_xlsx_writes_strings_not_formulas(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    out = tmp_path / "r.xlsx"
    result = _export(runner, hostile, "replacements", out)  # format from the suffix
    assert result.exit_code == 0, result.stderr
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    cells = {row[0].value: dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2)}
    assert cells["C1"]["ship_to_name"].value == HYPERLINK
    assert cells["C1"]["ship_to_name"].data_type == "s"
    assert cells["C1"]["phone"].value == PHONE
    assert cells["C1"]["phone"].data_type == "s"
    assert cells["C2"]["postal_code"].value == "02110"


def test_workbook(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "campaign.xlsx"
    result = invoke(runner, "export", "workbook", "--recall", RECALL, "-o", out)
    assert result.exit_code == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Customers", "Email", "Postal", "Doctors",
                             "Replacements", "Needs review", "Sources"]  # fmt: skip
    assert len(wb["Summary"]._charts) == 1
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, max_col=2, values_only=True)}
    assert summary["affected customers"] == 118
    assert summary["affected units"] == 5240
    week_units = wb["Summary"].iter_rows(min_row=2, min_col=5, max_col=5, values_only=True)
    # The weeks count units shipped: a return is no shipment, and would make its week negative.
    from recall_cli.query import run as api

    matched = api.run(api.Request.from_options(recall_file=RECALL)).result.matched
    shipped = int(matched["quantity"][matched["quantity"] > 0].sum())
    assert shipped > 5240
    assert sum(r[0] for r in week_units if r[0] is not None) == shipped
    customers = wb["Customers"]
    header = [c.value for c in customers[1]]
    assert customers.freeze_panes == "A2"
    assert customers.auto_filter.ref is not None
    for col in ("customer_id", "postal_code", "prescriber_id", "lots"):
        j = header.index(col)
        values = [row[j].value for row in customers.iter_rows(min_row=2)]
        assert len(values) == 118
        assert all(isinstance(v, str) for v in values), col
    zips = [r[header.index("postal_code")].value for r in customers.iter_rows(min_row=2)]
    assert any(z.startswith("0") for z in zips)
    assert customers.max_row - 1 == 118
    assert wb["Email"].max_row - 1 == 101
    assert wb["Postal"].max_row - 1 == 17
    assert wb["Needs review"].max_row - 1 == 15
    sources = [r for r in wb["Sources"].iter_rows(min_row=2, values_only=True)]
    assert {r[0] for r in sources} == {"us_shipments_2010.xlsx", "fr_expeditions_2010.csv",
                                       "us_returns_and_late.csv"}  # fmt: skip
    assert sum(r[5] for r in sources) == 2493


def test_workbook_is_xlsx_only(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        __import__("recall_cli.cli", fromlist=["cli"]).cli,
        ["export", "workbook", "--recall", str(RECALL), "--format", "csv", "-o",
         str(tmp_path / "w.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == "Error: --format csv: export workbook can write: xlsx\n"
    assert not (tmp_path / "w.csv").exists()


def test_refuses_to_overwrite(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    out = tmp_path / "e.csv"
    out.write_text("keep me")
    result = _export(runner, hostile, "email", out)
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text() == "keep me"
    result = _export(runner, hostile, "email", out, "--force")
    assert result.exit_code == 0
    assert out.read_text().startswith("customer_id,")


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("kind", ["email", "workbook"])
def test_mode_0600(runner: CliRunner, tmp_path: Path, hostile: Path, kind: str) -> None:
    out = tmp_path / ("x.xlsx" if kind == "workbook" else "x.csv")
    old = os.umask(0)
    try:
        assert _export(runner, hostile, kind, out).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_atomic_write(
    runner: CliRunner, tmp_path: Path, hostile: Path, monkeypatch: pytest.MonkeyPatch,
    audit_log: Path,
) -> None:  # fmt: skip
    from recall_cli.output import deliver

    real_open = deliver.atomic_output
    halves: list[int] = []

    class HalfThenFail:
        """Half the export reaches the temporary file, then the disk goes away."""

        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: bytes) -> int:
            halves.append(self.stream.write(data[: len(data) // 2]))
            raise RuntimeError("disk gone")

    @contextlib.contextmanager
    def failing(*args: Any, **kwargs: Any) -> Any:
        with real_open(*args, **kwargs) as stream:
            yield HalfThenFail(stream)

    monkeypatch.setattr(deliver, "atomic_output", failing)
    out = tmp_path / "e.csv"
    result = runner.invoke(
        __import__("recall_cli.cli", fromlist=["cli"]).cli,
        ["export", "email", str(hostile), "--lot", "L1", "-o", str(out)],
    )
    assert result.exit_code == 1
    assert "internal error (RuntimeError)" in result.stderr
    assert halves and halves[0] > 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert not audit_log.exists()  # nothing written, nothing logged


def test_audit_line_has_no_patient_data(
    runner: CliRunner, tmp_path: Path, hostile: Path, audit_log: Path
) -> None:
    for kind in ("email", "postal", "hcp", "replacements"):
        extra = ("--with-patients",) if kind == "hcp" else ()
        assert _export(runner, hostile, kind, tmp_path / f"{kind}.csv", *extra,
                       "--audit-log", tmp_path / "mine.jsonl").exit_code == 0  # fmt: skip
    lines = (tmp_path / "mine.jsonl").read_text(encoding="utf-8").splitlines()
    assert not audit_log.exists()  # --audit-log beats the environment variable
    assert len(lines) == 4
    entries = [json.loads(line) for line in lines]
    assert [e["kind"] for e in entries] == ["email", "postal", "hcp", "replacements"]
    assert [e["rows"] for e in entries] == [1, 2, 2, 4]
    first = entries[0]
    assert first["scope"]["lots"] == ["L1"]
    assert first["inputs"][0]["path"] == str(hostile.resolve())
    assert len(first["inputs"][0]["sha256"]) == 64
    assert first["output"] == str((tmp_path / "email.csv").resolve())
    # Without the paths, which hold pytest's numbered folders (pytest-111...).
    text = "\n".join(lines)
    for folder in {str(tmp_path.resolve()), str(hostile.resolve().parent)}:
        text = text.replace(json.dumps(folder)[1:-1], "")
    source = hostile.read_text(encoding="utf-8")
    for value in ("HYPERLINK", "Jane", "Doe", "a@example.com", "33 1 23", "rue X", "Paris",
                  "02110", "Lost Person", "Dr A", "111"):  # fmt: skip
        assert value in source
        assert value not in text


def test_audit_command(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    log = tmp_path / "a.jsonl"
    _export(runner, hostile, "email", tmp_path / "e.csv", "--audit-log", log)
    result = invoke(runner, "audit", "--audit-log", log, "--format", "json")
    assert result.exit_code == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [(e["command"], e["kind"], e["rows"]) for e in entries] == [("export", "email", 1)]
    table = invoke(runner, "audit", "--audit-log", log)
    assert "Audit log (1)" in table.stdout and "email" in table.stdout
    assert "1 entry in" in table.stderr


def test_stdout_output(runner: CliRunner, hostile: Path) -> None:
    result = invoke(runner, "export", "email", hostile, "--lot", "L1", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith('C1,"\'=HYPERLINK(""http://x"",""y"")",')
    assert "email: 1 row to stdout" in result.stderr


def test_hcp_patients_only_on_request(runner: CliRunner, tmp_path: Path, hostile: Path) -> None:
    _export(runner, hostile, "hcp", tmp_path / "h.csv")
    _export(runner, hostile, "hcp", tmp_path / "hp.csv", "--with-patients")
    plain = pd.read_csv(tmp_path / "h.csv", dtype=str)
    named = pd.read_csv(tmp_path / "hp.csv", dtype=str)
    assert list(plain.columns) == ["prescriber_id", "prescriber", "patients_affected", "units",
                                   "lots"]  # fmt: skip
    assert "Doe" not in (tmp_path / "h.csv").read_text()
    assert list(named["patients"]) == [f"'{HYPERLINK} (C1); Doe, Jane (C2)", "'@SUM(1) (C4)"]
    assert list(named["patients_affected"]) == ["2", "1"]


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Jane Doe", "Jane", "Doe"),
        ("Doe, Jane", "Jane", "Doe"),
        ("  Mary  Ann Smith ", "Mary Ann", "Smith"),
        ("Dr. Ludwig van Beethoven", "Ludwig", "van Beethoven"),
        ("Mme Cécile de la Tour", "Cécile", "de la Tour"),
        ("Cher", "", "Cher"),
        ("", "", ""),
    ],
)
def test_split_name(name: str, first: str, last: str) -> None:
    assert split_name(name) == (first, last)


def test_language() -> None:
    countries = pd.Series(["FR", "re", "MC", "BE", "US", "", None])
    assert list(campaign.language_for(countries)) == ["fr", "fr", "fr", "en", "en", "en", "en"]


def test_register_kind() -> None:
    @campaign.register_kind("test-only", help="x", formats=("json",))
    def build(c: campaign.Campaign, p: campaign.Params) -> pd.DataFrame:
        return pd.DataFrame({"n": [len(c.customers)]})

    try:
        assert campaign.KINDS["test-only"].build is build
        assert campaign.KINDS["test-only"].formats == ("json",)
        with pytest.raises(ValueError, match="registered twice"):
            campaign.register_kind("test-only", help="again")(build)
    finally:
        del campaign.KINDS["test-only"]


def test_one_channel_rule_and_units_unknown_without_a_quantity_column(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Issue 13 item 8: only lot, date and customer id.
    f = write_csv(tmp_path / "bare.csv", [["Lot", "Ship Date", "Customer ID"],
                                          ["B201575", "2010-12-01", "C1"]])  # fmt: skip
    scope = ("--lot", "B201575")
    summary = invoke(runner, "summary", f, *scope, "--format", "json")
    out = json.loads(summary.stdout)
    assert (out["with_email"], out["postal_only"], out["uncontactable"]) == (0, 0, 1)
    assert out["units"] is None and out["by_lot"]["B201575"]["units"] is None
    assert out["units_unknown_in"] == [str(f)]
    assert f"units unknown: no quantity column in {f}" in summary.stderr
    text = invoke(runner, "summary", f, *scope).stdout
    units_line = next(ln for ln in text.splitlines() if "affected units" in ln)
    assert units_line.split()[-2:] == ["unknown", "│"] or units_line.rstrip().endswith("unknown")
    postal = invoke(runner, "export", "postal", f, *scope, "-o", tmp_path / "p.csv",
                    "--audit-log", tmp_path / "a.jsonl")  # fmt: skip
    assert "email 0 + postal 0 + uncontactable 1 = 1 affected customers ✓" in postal.stderr
    assert f"units unknown: no quantity column in {f}" in postal.stderr
    affected = invoke(runner, "affected", f, *scope, "--format", "csv")
    assert f"units unknown: no quantity column in {f}" in affected.stderr


def test_affected_lines_with_a_blank_quantity_are_said(runner: CliRunner, tmp_path: Path) -> None:
    # A blank quantity cell counted as 0 units would leave the regulator's units short.
    f = write_csv(tmp_path / "q.csv", [["Lot", "Ship Date", "Customer ID", "Quantity"],
                                       ["B201575", "2010-12-01", "C1", "3"],
                                       ["B201575", "2010-12-02", "C2", ""],
                                       ["B201575", "2010-12-03", "C3", " "],
                                       ["L000001", "2010-12-03", "C4", ""]])  # fmt: skip
    summary = invoke(runner, "summary", f, "--lot", "B201575", "--format", "json")
    assert json.loads(summary.stdout)["units"] == 3
    assert (f"{f}: 2 affected shipment lines have a blank quantity: the units shown leave "
            "them out") in summary.stderr  # fmt: skip
    assert summary.stderr.count("blank quantity") == 1
    # Without a quantity column the units are unknown, and that warning says so instead.
    bare = write_csv(tmp_path / "bare.csv", [["Lot", "Ship Date", "Customer ID"],
                                             ["B201575", "2010-12-01", "C1"]])  # fmt: skip
    assert "blank quantity" not in invoke(runner, "summary", bare, "--lot", "B201575").stderr
