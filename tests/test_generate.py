"""Tests for sample_data/generate.py (the deterministic recall data set generator)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "sample_data" / "generate.py"


def _load():
    spec = importlib.util.spec_from_file_location("sample_data_generate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


gen = _load()

SAMPLE_FILES = ("us_shipments_2010.xlsx", "fr_expeditions_2010.csv", "us_returns_and_late.csv")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    return out, gen.generate(out)


def test_deterministic(sample: tuple[Path, dict], tmp_path: Path) -> None:
    first, expected = sample
    second = tmp_path / "again"
    expected2 = gen.generate(second)
    assert expected == expected2
    for name in ("fr_expeditions_2010.csv", "us_returns_and_late.csv", "expected.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "recall.toml").read_bytes() == (second / "recall.toml").read_bytes()
    # xlsx is written with a fixed creation time, so it is byte-stable too
    xlsx = "us_shipments_2010.xlsx"
    assert (first / xlsx).read_bytes() == (second / xlsx).read_bytes()


def test_other_seed_differs(sample: tuple[Path, dict], tmp_path: Path) -> None:
    _, expected = sample
    assert gen.generate(tmp_path, seed=7) != expected


def test_bucket_counts_add_up(sample: tuple[Path, dict]) -> None:
    out, expected = sample
    assert json.loads((out / "expected.json").read_text(encoding="utf-8")) == expected
    rows = expected["rows"]
    parts = ("matched", "not_matched", "not_data", "needs_review")
    assert sum(rows[k] for k in parts) == rows["read"]
    assert rows["matched"] == expected["shipments"] > 0
    assert rows["needs_review"] >= 4
    assert rows["not_data"] >= 4
    for per_file in expected["files"].values():
        assert sum(per_file[k] for k in parts) == per_file["read"]
    assert sum(f["read"] for f in expected["files"].values()) == rows["read"]
    assert 1500 <= rows["read"] <= 3000
    assert 300 <= expected["customers_total"] <= 500
    assert expected["customers"] == sorted(set(expected["customers"]))
    by_lot = expected["by_lot"]
    assert set(by_lot) == set(gen.RECALLED)
    assert sum(v["shipments"] for v in by_lot.values()) == expected["shipments"]
    assert sum(v["units"] for v in by_lot.values()) == expected["units"]
    assert all(v["shipments"] > 0 for v in by_lot.values())


def test_default_set_is_small(sample: tuple[Path, dict]) -> None:
    out, _ = sample
    total = sum(p.stat().st_size for p in out.iterdir())
    assert total < 2 * 1024 * 1024


def test_recall_toml(sample: tuple[Path, dict]) -> None:
    import tomllib

    out, _ = sample
    spec = tomllib.loads((out / "recall.toml").read_text(encoding="utf-8"))
    assert spec == {
        "name": "Cartridge recall 2011-01",
        "lots": list(gen.RECALLED),
        "from": "2010-11-30",
        "to": "2011-01-04",
        "data": list(SAMPLE_FILES),
    }


def test_french_csv_is_cp1252_semicolon(sample: tuple[Path, dict]) -> None:
    out, _ = sample
    raw = (out / "fr_expeditions_2010.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "é".encode("cp1252") in raw
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["N° de lot", "Date d'expédition", "Code client"]
    assert rows[0][3:5] == ["Nom", "Prénom"]
    assert all(len(r) == 16 for r in rows)
    days = [int(r[1][:2]) for r in rows[1:] if r[1]]
    assert max(days) > 12  # provably day-first
    assert any(r[8].startswith("0") for r in rows[1:])  # postal codes like 06000


def test_returns_csv_is_utf8_bom_comma(sample: tuple[Path, dict]) -> None:
    out, _ = sample
    raw = (out / "us_returns_and_late.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfLot Number,Shipped,")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    shipped = {r[1] for r in rows[1:]}
    assert {"n/a", "", "2010-13-45"} <= shipped
    assert any(r[0] == "" for r in rows[1:])  # a row with its lot lost
    assert any(r[13].startswith("-") for r in rows[1:])  # returns


def test_xlsx_shape(sample: tuple[Path, dict]) -> None:
    out, _ = sample
    wb = openpyxl.load_workbook(out / "us_shipments_2010.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["Shipments", "Dec 2010", "Read me"]
        rows = list(wb["Shipments"].iter_rows(values_only=True))
        assert rows[0][0] == "ACME Medical – Shipment report"
        assert rows[3][:2] == ("Lot #", "Ship Date")
        assert rows[-1][0] == "TOTAL"
        assert rows.count(rows[3]) == 2  # repeated header in the middle
        dates = [r[1] for r in rows[4:]]
        assert any(isinstance(d, str) and d[2] == "/" and int(d[3:5]) > 12 for d in dates)
        assert any(isinstance(d, int | float) for d in dates)  # serial numbers
        assert any(getattr(d, "hour", 0) == 13 for d in dates)
    finally:
        wb.close()


def test_large_mode_cli(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "2000", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(proc.stdout)["rows"]["read"] == 2000
    wb = openpyxl.load_workbook(tmp_path / "shipments_2000.xlsx", read_only=True)
    try:
        ws = wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    assert len(rows) == 2001
    assert len(rows[0]) == 14
    with (tmp_path / "shipments_2000.csv").open(encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 2001
    expected = json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))
    r = expected["rows"]
    # Returns larger than what their customer got of that lot go to review.
    assert r["read"] == 2000 == r["matched"] + r["not_matched"] + r["needs_review"]
    assert 0 < r["matched"] < 300
    assert expected["customers_total"] <= 100
