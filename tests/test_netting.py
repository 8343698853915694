"""Issue 13 item 4: units are netted per customer and per lot, never below 0, one rule."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from .conftest import SAMPLE, invoke, write_csv

RECALL = SAMPLE / "recall.toml"
HEADER = ["Lot", "Ship Date", "Customer ID", "Name", "Address", "City", "ZIP", "Country", "Qty"]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_return_of_one_lot_never_cancels_a_shipment_of_another(
    runner: CliRunner, tmp_path: Path
) -> None:
    # C1 got 40 of B2 and "returned" 40 of B1, which it never got inside the scope.
    f = write_csv(tmp_path / "s.csv", [
        HEADER,
        ["B2", "2010-12-09", "C1", "Ann", "1 Main St", "Boston", "02110", "US", "40"],
        ["B1", "2010-12-10", "C1", "Ann", "1 Main St", "Boston", "02110", "US", "-40"],
        ["B1", "2010-12-01", "C2", "Bob", "2 Main St", "Boston", "02110", "US", "40"],
        ["B1", "2010-12-11", "C2", "Bob", "2 Main St", "Boston", "02110", "US", "-10"],
    ])  # fmt: skip
    scope = ("--lot", "B1,B2", "--from", "2010-11-30", "--to", "2011-01-04")
    found = json.loads(invoke(runner, "-q", "customer", "C1", f, *scope, "--format",
                              "json").stdout)  # fmt: skip
    assert [(m["lots"], m["units"]) for m in found["matches"]] == [(["B2"], 40)]
    courier = invoke(runner, "-q", "export", "replacements", f, *scope, "-o", "-")
    assert {r["reference"]: r["units_to_replace"] for r in _csv(courier.stdout)} == {
        "C1": "40",
        "C2": "30",
    }
    review = json.loads(invoke(runner, "-q", "review", f, *scope, "--format", "json").stdout)
    assert [(r["row"], r["reason"]) for r in review] == [
        (3, "returns of 40 units of B1 exceed the 0 shipped to this customer inside the scope: "
            "not netted until a person checks"),
    ]  # fmt: skip
    summary = json.loads(invoke(runner, "-q", "summary", f, *scope, "--format", "json").stdout)
    assert summary["units"] == 70
    assert summary["by_lot"]["B1"]["units"] == 30 and summary["by_lot"]["B2"]["units"] == 40


def test_one_rule_for_units_in_every_view_of_the_sample(runner: CliRunner, tmp_path: Path) -> None:
    summary = json.loads(invoke(runner, "-q", "summary", "--recall", RECALL, "--format",
                                "json").stdout)  # fmt: skip
    affected = json.loads(invoke(runner, "-q", "affected", "--recall", RECALL, "--format",
                                 "json").stdout)  # fmt: skip
    courier = _csv(invoke(runner, "-q", "export", "replacements", "--recall", RECALL,
                          "-o", "-").stdout)  # fmt: skip
    totals = _csv(invoke(runner, "-q", "export", "fda-806-totals", "--recall", RECALL,
                         "-o", "-").stdout)  # fmt: skip
    consignees = _csv(invoke(runner, "-q", "export", "fda-806", "--recall", RECALL,
                             "-o", "-").stdout)  # fmt: skip
    everything = next(r for r in totals if r["lot"] == "all lots" and r["distribution"] == "all")
    units = [c["units"] for c in affected]
    assert min(units) >= 0
    assert summary["units"] == sum(units) == sum(int(r["units_to_replace"]) for r in courier)
    assert summary["units"] == int(everything["units"])
    assert summary["units"] == sum(v["units"] for v in summary["by_lot"].values())
    assert summary["units"] == sum(v["units"] for v in summary["by_country"].values())
    for lot, stats in summary["by_lot"].items():
        row = next(r for r in totals if r["lot"] == lot and r["distribution"] == "all")
        assert int(row["units"]) == stats["units"]
        checked = json.loads(invoke(runner, "-q", "check", lot, "--recall", RECALL, "--format",
                                    "json").stdout)  # fmt: skip
        assert checked["units"] == stats["units"]
    assert all(int(r["units"]) >= 0 for r in [*totals, *consignees])
    hcp = _csv(invoke(runner, "-q", "export", "hcp", "--recall", RECALL, "-o", "-").stdout)
    assert all(int(r["units"]) >= 0 for r in hcp)
