"""Two sites' exports with one name are told apart wherever a file is named."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from recall_cli.read.names import file_labels

from .conftest import as_json, invoke, write_csv

HEADER = ["Ship Date", "Order ID", "Customer ID", "Name", "Country", "Lot", "Quantity"]
SCOPE = ["--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04", "--no-cache"]


def test_labels_keep_only_the_folders_that_tell_files_apart() -> None:
    got = file_labels(["exp/site_a/ship.csv", "exp/site_b/ship.csv", "exp/fr.csv",
                       "/x/2010/us/a.xlsx", "/x/2011/us/a.xlsx"])  # fmt: skip
    assert got == {"exp/site_a/ship.csv": "site_a/ship.csv",
                   "exp/site_b/ship.csv": "site_b/ship.csv", "exp/fr.csv": "fr.csv",
                   "/x/2010/us/a.xlsx": "2010/us/a.xlsx",
                   "/x/2011/us/a.xlsx": "2011/us/a.xlsx"}  # fmt: skip
    # A path that is the tail of another cannot be shortened: it is shown whole.
    got = file_labels(["a/x.csv", "/data/a/x.csv"])
    assert got == {"a/x.csv": "a/x.csv", "/data/a/x.csv": "data/a/x.csv"}


def _two_sites(tmp_path: Path) -> list[Path]:
    folders = []
    for site, customer in (("site_a", "C1"), ("site_b", "C2")):
        (tmp_path / site).mkdir()
        write_csv(tmp_path / site / "shipments.csv", [
            HEADER,
            ["2010-12-01", f"O-{site}", customer, "Ann", "US", "B201575", 10],
            ["2010-12-35", f"P-{site}", customer, "Ann", "US", "B201575", 5],
        ])  # fmt: skip
        folders.append(tmp_path / site)
    return folders


def test_review_summary_and_sql_name_each_sites_file(runner: CliRunner, tmp_path: Path) -> None:
    folders = _two_sites(tmp_path)
    review = invoke(runner, "review", *folders, *SCOPE, "--format", "csv")
    files = [r["file"] for r in csv.DictReader(io.StringIO(review.stdout))]
    assert files == ["site_a/shipments.csv", "site_b/shipments.csv"]
    table = invoke(runner, "summary", *folders, *SCOPE)
    assert "site_a/shipments.csv" in table.stdout and "site_b/shipments.csv" in table.stdout
    rows = invoke(runner, "sql", "SELECT DISTINCT file FROM shipments ORDER BY file", *folders,
                  *SCOPE, "--format", "json")  # fmt: skip
    assert [r["file"] for r in as_json(rows)] == ["site_a/shipments.csv", "site_b/shipments.csv"]
    shown = invoke(runner, "check", "B201575", *folders, *SCOPE, "--show-rows")
    assert "site_a/shipments.csv row 2" in shown.stdout
    assert "site_b/shipments.csv row 3" in shown.stdout


def test_a_lone_name_stays_a_base_name(runner: CliRunner, tmp_path: Path) -> None:
    folders = _two_sites(tmp_path)
    (folders[1] / "shipments.csv").rename(folders[1] / "other.csv")
    review = invoke(runner, "review", *folders, *SCOPE, "--format", "csv")
    files = [r["file"] for r in csv.DictReader(io.StringIO(review.stdout))]
    assert files == ["shipments.csv", "other.csv"]
