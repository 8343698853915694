"""When the recall grows and how it closes: diff, audit-scope, regulator tables, sample, status.

Every fixture is a small shipment file written here, so each expected answer is
known row by row (see SHIPMENTS).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from recall_cli.errors import ScopeError
from recall_cli.query import run as api
from recall_cli.tasks.effectiveness import draw_sample, level_percent, stratum_sizes
from recall_cli.tasks.regulator import fda806_frame, fda806_totals, fsma_frame
from recall_cli.tasks.scope_audit import audit_scope
from recall_cli.tasks.scope_diff import compare_scopes

from .conftest import as_json, invoke, write_csv, write_xlsx

HEADER = ["Lot", "Ship Date", "Customer ID", "Customer Name", "Phone", "Address", "City", "ZIP",
          "Country", "Qty", "Order ID", "Product"]  # fmt: skip

# (lot, date, customer, country, qty) and why each row is there.
SHIPMENTS = [
    ("A100001", "2011-01-10", "C001", "US", 10),  # affected before and after
    ("A100002", "2011-01-12", "C002", "US", 20),  # lot added by the amendment
    ("A100001", "2011-02-10", "C003", "FR", 5),  # window widened to 02-15
    ("A100001", "2010-12-20", "C004", "US", 7),  # before the window (week of 12-20)
    ("A100009", "2011-01-15", "C005", "US", 3),  # look-alike of A100001, inside
    ("B999999", "2011-01-15", "C006", "US", 4),  # unrelated lot
    ("A100001", "2011-03-01", "C007", "US", 6),  # after the window (week of 02-28)
    ("A10001", "2011-01-20", "C008", "US", 2),  # look-alike (a 0 lost), inside
    ("A100004", "2011-06-01", "C009", "US", 1),  # look-alike, but outside the window
    ("A100001", "2010-12-21", "C004", "US", 3),  # second line before the window
]


def _toml(path: Path, lots: list[str], start: str, end: str) -> Path:
    path.write_text(
        f'name = "Test recall"\nlots = {json.dumps(lots)}\nfrom = "{start}"\nto = "{end}"\n'
        'data = ["ships.csv"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def case(tmp_path: Path) -> dict[str, Path]:
    rows = [HEADER]
    for i, (lot, day, cid, country, qty) in enumerate(SHIPMENTS):
        rows.append([lot, day, cid, f"Name {cid}", f"555-01{i:02d}", f"{i} Main St", "Town",
                     f"0{i}100", country, qty, f"SO-{i:03d}", "Cartridge"])  # fmt: skip
    write_csv(tmp_path / "ships.csv", rows)
    return {
        "dir": tmp_path,
        "before": _toml(tmp_path / "before.toml", ["A100001"], "2011-01-01", "2011-01-31"),
        "after": _toml(
            tmp_path / "after.toml", ["A100001", "A100002", "A100003"], "2011-01-01", "2011-02-15"
        ),
        "narrow": _toml(tmp_path / "narrow.toml", ["A100002"], "2011-01-01", "2011-02-15"),
    }


def _csv_column(text: str, column: str) -> list[str]:
    return [r[column] for r in csv.DictReader(io.StringIO(text))]


# --- diff ----------------------------------------------------------------------


def test_diff_lists_newly_affected_when_the_scope_grows(runner: CliRunner, case: dict) -> None:
    got = as_json(invoke(runner, "diff", "--before", case["before"], "--after", case["after"],
                         "--format", "json"))  # fmt: skip
    assert got == {"added": ["C002", "C003"], "removed": [], "changed": [], "unchanged": 1}


def test_diff_lists_customers_no_longer_affected(runner: CliRunner, case: dict) -> None:
    result = invoke(runner, "diff", "--before", case["after"], "--after", case["narrow"],
                    "--format", "json")  # fmt: skip
    assert as_json(result) == {"added": [], "removed": ["C001", "C003"], "changed": [],
                               "unchanged": 1}  # fmt: skip
    assert "added 0, removed 2, changed 0, unchanged 1" in result.stderr


def test_diff_json_equals_the_library_call(runner: CliRunner, case: dict) -> None:
    request = api.Request.from_options(recall_file=case["after"])
    library = compare_scopes(case["before"], request).to_json()
    cli = as_json(invoke(runner, "diff", "--before", case["before"], "--after", case["after"],
                         "--format", "json"))  # fmt: skip
    assert cli == library


@pytest.mark.parametrize(("which", "ids"), [("added", ["C002", "C003"]), ("unchanged", ["C001"]),
                                            ("removed", [])])  # fmt: skip
def test_diff_exports_each_list_as_csv(
    runner: CliRunner, case: dict, which: str, ids: list
) -> None:
    result = invoke(runner, "diff", "--before", case["before"], "--after", case["after"],
                    "--format", "csv", "--list", which)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _csv_column(result.stdout, "customer_id") == ids


def test_diff_exports_xlsx(runner: CliRunner, case: dict) -> None:
    out = case["dir"] / "added.xlsx"
    result = invoke(runner, "diff", "--before", case["before"], "--after", case["after"],
                    "--format", "xlsx", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    col = values[0].index("customer_id")
    assert [r[col] for r in values[1:]] == ["C002", "C003"]


def test_diff_table_shows_counts(runner: CliRunner, case: dict) -> None:
    result = invoke(runner, "diff", "--before", case["before"], "--after", case["after"])
    assert result.exit_code == 0, result.stderr
    assert "newly affected (first letter)                    │ 2" in result.stdout
    assert "Customers letters (2)" in result.stdout


@pytest.mark.parametrize("form", ["csv-export", "xlsx-export", "plain-list"])
def test_affected_exclude_notified(runner: CliRunner, case: dict, form: str) -> None:
    d = case["dir"]
    if form == "plain-list":
        notified = d / "told.txt"
        notified.write_text("# sent 2011-01-12\nc001\n", encoding="utf-8")
    else:
        notified = d / f"told.{form[:4].rstrip('-')}"
        fmt = "xlsx" if form.startswith("xlsx") else "csv"
        first = invoke(runner, "affected", "--recall", case["before"], "--format", fmt,
                       "-o", notified)  # fmt: skip
        assert first.exit_code == 0, first.stderr
    result = invoke(runner, "affected", "--recall", case["after"], "--exclude-notified", notified,
                    "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _csv_column(result.stdout, "customer_id") == ["C002", "C003"]
    assert "left out 1 customer already notified; 2 remain" in result.stderr


def test_exclude_notified_needs_a_customer_id_column(runner: CliRunner, case: dict) -> None:
    bad = write_csv(case["dir"] / "bad.csv", [["who", "when"], ["C001", "2011-01-02"]])
    result = invoke(runner, "affected", "--recall", case["after"], "--exclude-notified", bad)
    assert result.exit_code == 1
    assert "no customer_id column" in result.stderr


# --- audit-scope -----------------------------------------------------------------


def test_audit_scope_json(runner: CliRunner, case: dict) -> None:
    result = invoke(runner, "audit-scope", "--recall", case["after"], "--format", "json")
    assert as_json(result) == {
        "outside_window": {
            "A100001": {"before": 2, "after": 1},
            "A100002": {"before": 0, "after": 0},
            "A100003": {"before": 0, "after": 0},
        },
        "lookalikes": [
            {"lot": "A100009", "near": "A100001", "shipments": 1},
            {"lot": "A10001", "near": "A100001", "shipments": 1},
        ],
        "missing_lots": ["A100003"],
    }
    assert "1 recalled lot never appears in the data: A100003" in result.stderr


def test_audit_scope_weeks_and_table(runner: CliRunner, case: dict) -> None:
    request = api.Request.from_options(recall_file=case["after"])
    audit = audit_scope(api.run(request).result)
    assert audit.weeks == [
        {"lot": "A100001", "side": "before", "week": dt.date(2010, 12, 20), "shipments": 2,
         "units": 10},
        {"lot": "A100001", "side": "after", "week": dt.date(2011, 2, 28), "shipments": 1,
         "units": 6},
    ]  # fmt: skip
    table = invoke(runner, "audit-scope", "--recall", case["after"])
    assert table.exit_code == 0, table.stderr
    assert "recalled lot A100003 never appears in the data" in table.stdout
    assert "2010-12-20" in table.stdout


# --- regulator tables ------------------------------------------------------------------


def test_fda806_consignees_and_totals(case: dict) -> None:
    result = api.run(api.Request.from_options(recall_file=case["after"])).result
    frame = fda806_frame(result)
    assert frame[["lot", "consignee_id", "country", "distribution", "units"]].values.tolist() == [
        ["A100001", "C001", "US", "domestic", 10],
        ["A100001", "C003", "FR", "foreign", 5],
        ["A100002", "C002", "US", "domestic", 20],
    ]
    assert frame["ship_date"].tolist() == [dt.date(2011, 1, 10), dt.date(2011, 2, 10),
                                           dt.date(2011, 1, 12)]  # fmt: skip
    assert frame["phone"].tolist() == ["555-0100", "555-0102", "555-0101"]
    totals = fda806_totals(result)
    rows = {(r.lot, r.distribution): (r.consignees, r.units) for r in totals.itertuples()}
    assert rows[("A100001", "domestic")] == (1, 10)
    assert rows[("A100001", "foreign")] == (1, 5)
    assert rows[("A100003", "all")] == (0, 0)
    assert rows[("all lots", "all")] == (3, 35)
    # Seen from France, the US consignees are the foreign ones.
    assert (
        fda806_totals(result, domestic="FR")
        .set_index(["lot", "distribution"])
        .loc[("all lots", "foreign"), "units"]
        == 30
    )


def test_fsma_rows_per_shipment_line(case: dict) -> None:
    result = api.run(api.Request.from_options(recall_file=case["after"])).result
    frame = fsma_frame(result, ship_from="Plant 1, Memphis TN")
    assert list(frame.columns) == [
        "traceability_lot_code", "quantity", "unit_of_measure", "product_description",
        "ship_to_location", "ship_from_location", "ship_date", "reference_document_type",
        "reference_document_number",
    ]  # fmt: skip
    assert frame["traceability_lot_code"].tolist() == ["A100001", "A100001", "A100002"]
    assert frame["reference_document_number"].tolist() == ["SO-000", "SO-002", "SO-001"]
    assert set(frame["ship_from_location"]) == {"Plant 1, Memphis TN"}
    assert set(frame["unit_of_measure"]) == {"each"}
    assert frame["ship_to_location"][0] == "Name C001, 0 Main St, Town, 00100, US"


def test_fsma_ship_from_column_wins(tmp_path: Path) -> None:
    write_csv(tmp_path / "s.csv", [["Lot", "Ship Date", "Customer ID", "Qty", "Warehouse"],
                                   ["L1", "2011-01-02", "X1", "4", "DC East"],
                                   ["L1", "2011-01-03", "X2", "5", ""]])  # fmt: skip
    request = api.Request.from_options(paths=[tmp_path / "s.csv"], lots=["L1"])
    frame = fsma_frame(api.run(request).result, ship_from="HQ")
    assert frame["ship_from_location"].tolist() == ["DC East", "HQ"]


@pytest.mark.parametrize(("kind", "ids"), [("fda-806", ["C001", "C003", "C002"])])
def test_export_kinds_registered(runner: CliRunner, case: dict, kind: str, ids: list) -> None:
    out = case["dir"] / f"{kind}.json"
    result = invoke(runner, "export", kind, "--recall", case["after"], "--format", "json",
                    "-o", out, "--audit-log", case["dir"] / "audit.jsonl")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [r["consignee_id"] for r in json.loads(out.read_text())] == ids
    fsma = case["dir"] / "fsma.csv"
    result = invoke(runner, "export", "fsma", "--recall", case["after"], "-o", fsma,
                    "--audit-log", case["dir"] / "audit.jsonl")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _csv_column(fsma.read_text(), "quantity") == ["10", "5", "20"]


# --- effectiveness sample -------------------------------------------------------------


@pytest.fixture
def many(tmp_path: Path) -> Path:
    rows = [["Lot", "Ship Date", "Customer ID", "Country", "Qty"]]
    strata = {"US": 50, "FR": 7, "DE": 1}
    for country, n in strata.items():
        rows += [["L1", "2011-01-05", f"{country}-{i:03d}", country, 1] for i in range(n)]
    rows.append(["L2", "2011-01-05", "US-999", "US", 1])  # not affected
    return write_csv(tmp_path / "many.csv", rows)


@pytest.mark.parametrize(
    ("args", "per_country"),
    [
        (["--level", "A"], {"DE": 1, "FR": 7, "US": 50}),
        (["--level", "C"], {"DE": 1, "FR": 1, "US": 5}),
        (["--level", "D"], {"DE": 1, "FR": 1, "US": 1}),
        (["--level", "B", "--percent", "50"], {"DE": 1, "FR": 4, "US": 25}),
        (["--level", "E"], {}),
    ],
)
def test_sample_levels_and_strata(
    runner: CliRunner, many: Path, args: list, per_country: dict
) -> None:
    result = invoke(runner, "sample", many, "--lot", "L1", "--seed", "42", "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    drawn = list(csv.DictReader(io.StringIO(result.stdout)))
    counts: dict[str, int] = {}
    for row in drawn:
        counts[row["country"]] = counts.get(row["country"], 0) + 1
        assert row["stratum"] == row["country"]
        assert row["customer_id"].startswith(row["country"] + "-")
    assert counts == per_country
    assert len({r["customer_id"] for r in drawn}) == len(drawn)  # one row per customer
    assert "US-999" not in {r["customer_id"] for r in drawn}


def test_sample_is_reproducible_with_the_seed(runner: CliRunner, many: Path) -> None:
    def ids(seed: str) -> list[str]:
        result = invoke(runner, "sample", many, "--lot", "L1", "--level", "C", "--seed", seed,
                        "--format", "json")  # fmt: skip
        return [r["customer_id"] for r in as_json(result)]

    assert ids("7") == ids("7")
    assert ids("7") != ids("8")
    unseeded = invoke(runner, "sample", many, "--lot", "L1", "--level", "C", "--format", "csv")
    seed = unseeded.stderr.split("--seed ")[1].split()[0]
    assert _csv_column(unseeded.stdout, "customer_id") == ids(seed)


def test_sample_library_matches_level_percentages() -> None:
    assert [level_percent(x, None) for x in "ACDE"] == [100.0, 10.0, 2.0, 0.0]
    assert level_percent("b", 25) == 25.0
    for level, percent in (("B", None), ("B", 10), ("B", 100), ("C", 20), ("Z", None)):
        with pytest.raises(ScopeError):
            level_percent(level, percent)
    import pandas as pd

    assert stratum_sizes(pd.Series({"FR": 3, "US": 200}), 2.0) == {"FR": 1, "US": 4}
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(20)], "country": ["US"] * 20})
    assert draw_sample(frame, 10.0, 1).equals(draw_sample(frame, 10.0, 1))


@pytest.mark.parametrize(("args", "message"), [
    (["--level", "B"], "level B needs --percent"),
    (["--level", "B", "--percent", "100"], "level B needs --percent"),
    (["--level", "A", "--percent", "50"], "--percent only goes with level B"),
])  # fmt: skip
def test_sample_bad_level_is_a_usage_error(runner: CliRunner, many: Path, args: list,
                                           message: str) -> None:  # fmt: skip
    result = invoke(runner, "sample", many, "--lot", "L1", *args)
    assert result.exit_code == 2
    assert message in result.stderr


# --- status -------------------------------------------------------------------------

STATUS = {
    "notified": 3,
    "responded": 2,
    "not_responded": 1,
    "units_affected": 35,
    "units_returned": 12,
    "units_on_hand": 3,
    "units_outstanding": 23,
    "percent_accounted": 66.7,
    "unexpected_responses": ["C006"],
}


def _responses_csv(path: Path) -> Path:
    return write_csv(path, [
        ["Customer ID", "Response Date", "Units Returned", "Units on hand"],
        ["C001", "2011-03-01", "10", ""],
        ["C002", "", "", ""],  # listed but silent: not a response
        ["C003", "2011-03-02", "2", "3"],
        ["C006", "2011-03-03", "4", ""],  # not affected: flagged, not counted
    ])  # fmt: skip


def test_status_json(runner: CliRunner, case: dict) -> None:
    responses = _responses_csv(case["dir"] / "responses.csv")
    result = invoke(runner, "status", "--recall", case["after"], "--responses", responses,
                    "--format", "json")  # fmt: skip
    assert as_json(result) == STATUS
    assert "1 response from customers who are not affected" in result.stderr


def test_status_reads_french_xlsx_and_several_files(runner: CliRunner, case: dict) -> None:
    d = case["dir"]
    first = write_xlsx(d / "reponses.xlsx", {"Réponses": [
        ["Suivi du rappel"],
        ["Code client", "Date de réponse", "Unités retournées", "En stock"],
        ["C001", "01/03/2011", "10", None],
        ["C006", "03/03/2011", "4", None],
    ]})  # fmt: skip
    second = write_csv(d / "more.csv", [["customer_id", "units_returned", "units_on_hand"],
                                        ["C003", "2", "3"]])  # fmt: skip
    result = invoke(runner, "status", "--recall", case["after"], "--responses", first,
                    "--responses", second, "--format", "json")  # fmt: skip
    assert as_json(result) == STATUS


def test_status_not_responded_list(runner: CliRunner, case: dict) -> None:
    responses = _responses_csv(case["dir"] / "responses.csv")
    follow_up = case["dir"] / "follow_up.csv"
    result = invoke(runner, "status", "--recall", case["after"], "--responses", responses,
                    "--list", "not-responded", "--format", "csv",
                    "--not-responded-out", follow_up)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _csv_column(result.stdout, "customer_id") == ["C002"]
    assert _csv_column(follow_up.read_text(encoding="utf-8"), "customer_id") == ["C002"]
    unexpected = invoke(runner, "status", "--recall", case["after"], "--responses", responses,
                        "--list", "unexpected", "--format", "csv")  # fmt: skip
    assert _csv_column(unexpected.stdout, "customer_id") == ["C006"]


def test_status_table(runner: CliRunner, case: dict) -> None:
    responses = _responses_csv(case["dir"] / "responses.csv")
    result = invoke(runner, "status", "--recall", case["after"], "--responses", responses)
    assert result.exit_code == 0, result.stderr
    assert "% of consignees accounted for           │ 66.7%" in result.stdout
    assert "units outstanding (affected − returned) │    23" in result.stdout


def test_export_ship_from_and_domestic_options(runner: CliRunner, case: dict) -> None:
    log = case["dir"] / "audit.jsonl"
    fsma = invoke(runner, "export", "fsma", "--recall", case["after"], "--ship-from", "Plant 1",
                  "--format", "json", "--audit-log", log)  # fmt: skip
    assert {r["ship_from_location"] for r in as_json(fsma)} == {"Plant 1"}
    totals = invoke(runner, "export", "fda-806-totals", "--recall", case["after"],
                    "--domestic", "France", "--format", "json", "--audit-log", log)  # fmt: skip
    rows = {(r["lot"], r["distribution"]): r["units"] for r in as_json(totals)}
    assert rows[("all lots", "domestic")] == 5
    assert rows[("all lots", "foreign")] == 30


def test_cli_export_kinds_are_the_registered_kinds() -> None:
    # The CLI spells them out so that building it does not import pandas.
    from recall_cli.cli.campaign import EXPORT_KINDS, ROWS_FORMATS
    from recall_cli.tasks import sql
    from recall_cli.tasks.exports import KINDS

    assert sorted(EXPORT_KINDS) == sorted([*KINDS, sql.ROWS_KIND])  # rows: the sql engine's
    assert ROWS_FORMATS == sql.ROWS_FORMATS


def test_status_counts_only_readable_responses_and_refuses_negative_units(
    runner: CliRunner, case: dict
) -> None:
    responses = write_csv(case["dir"] / "odd.csv", [
        ["Customer ID", "Response Date", "Units Returned", "Units on hand"],
        ["C001", "soon", "abc", ""],  # nothing readable: not a response
        ["C002", "2011-03-02", "-5", "-3"],  # responded, but no negative units counted
        ["C003", "", "2", ""],
    ])  # fmt: skip
    result = invoke(runner, "status", "--recall", case["after"], "--responses", responses,
                    "--format", "json")  # fmt: skip
    counts = as_json(result)
    assert counts["responded"] == 2 and counts["not_responded"] == 1
    assert counts["units_returned"] == 2 and counts["units_on_hand"] == 0
    assert "1 response line with an unreadable date and no readable units" in result.stderr
    assert "1 response with negative units returned" in result.stderr
    assert "1 response with negative units on hand" in result.stderr


# --- customers whose recalled lots grew (issue 13 item 3) --------------------------


@pytest.fixture
def grown(tmp_path: Path) -> dict[str, Path]:
    rows = [["Lot", "Ship Date", "Customer ID", "Customer Name", "Address", "City", "ZIP",
             "Country", "Qty"]]  # fmt: skip
    for lot, day, cid, qty in [
        ("A1", "2011-01-10", "C1", 10),  # affected under both, nothing added
        ("A1", "2011-01-10", "C2", 10),  # affected under both...
        ("A2", "2011-01-11", "C2", 20),  # ...and gets lot A2 from the amendment
        ("A1", "2011-01-10", "C3", 5),  # affected under both...
        ("A1", "2010-12-28", "C3", 7),  # ...and more units once the window starts earlier
        ("A2", "2011-01-12", "C4", 8),  # newly affected
    ]:
        rows.append([lot, day, cid, f"Name {cid}", "1 Main St", "Boston", "02110", "US", qty])
    write_csv(tmp_path / "ships.csv", rows)
    return {
        "dir": tmp_path,
        "v1": _toml(tmp_path / "v1.toml", ["A1"], "2011-01-01", "2011-01-31"),
        "v2": _toml(tmp_path / "v2.toml", ["A1", "A2"], "2010-12-15", "2011-01-31"),
    }


def test_diff_lists_customers_whose_lots_or_units_grew(runner: CliRunner, grown: dict) -> None:
    got = as_json(invoke(runner, "diff", "--before", grown["v1"], "--after", grown["v2"],
                         "--format", "json"))  # fmt: skip
    assert got == {
        "added": ["C4"],
        "removed": [],
        "changed": [
            {"customer_id": "C2", "lots_added": ["A2"], "units_added": 20},
            {"customer_id": "C3", "lots_added": [], "units_added": 7},
        ],
        "unchanged": 1,
    }
    changed = invoke(runner, "diff", "--before", grown["v1"], "--after", grown["v2"],
                     "--format", "csv", "--list", "changed")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(changed.stdout)))
    assert [(r["customer_id"], r["lots_added"], r["units_added"]) for r in rows] == [
        ("C2", "A2", "20"), ("C3", "", "7")
    ]  # fmt: skip
    # The default list is who needs a letter now: added + changed.
    letters = invoke(runner, "diff", "--before", grown["v1"], "--after", grown["v2"],
                     "--format", "csv")  # fmt: skip
    assert [(r["customer_id"], r["why"]) for r in csv.DictReader(io.StringIO(letters.stdout))] == [
        ("C2", "changed"), ("C3", "changed"), ("C4", "added")
    ]  # fmt: skip


def test_exclude_notified_keeps_a_customer_whose_lots_grew(runner: CliRunner, grown: dict) -> None:
    d = grown["dir"]
    sent = d / "sent-v1.csv"
    first = invoke(runner, "-q", "affected", "--recall", grown["v1"], "--format", "csv", "-o", sent)
    assert first.exit_code == 0
    result = invoke(runner, "affected", "--recall", grown["v2"], "--exclude-notified", sent,
                    "--format", "csv")  # fmt: skip
    # C1 and C3 were told about A1, all they hold; C2 now holds A2 too and stays in.
    assert _csv_column(result.stdout, "customer_id") == ["C2", "C4"]
    assert "left out 2 customers already notified; kept 1 notified customer whose recalled " \
        "lots grew; 2 remain" in " ".join(result.stderr.split())  # fmt: skip
    ids = d / "ids.txt"
    ids.write_text("C1\nC2\nC3\n", encoding="utf-8")
    plain = invoke(runner, "affected", "--recall", grown["v2"], "--exclude-notified", ids,
                   "--format", "csv")  # fmt: skip
    assert _csv_column(plain.stdout, "customer_id") == ["C4"]
    assert "has no lots column: each customer listed is assumed told about every lot" in " ".join(
        plain.stderr.split()
    )


def test_territories_of_an_asked_country_go_to_review_and_count_as_domestic(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Puerto Rico and Guam are in FDA's jurisdiction, Martinique is France: under
    # --country US a shipment there is neither silently "elsewhere" nor assumed covered.
    rows = [HEADER]
    for i, country in enumerate(["US", "PR", "Guam", "MX", "Martinique"]):
        rows.append(["A100001", "2011-01-10", f"C{i}", f"Name {i}", "555-0100", "1 Main St",
                     "Town", "00901", country, 10, f"SO-{i}", "Cartridge"])  # fmt: skip
    ships = write_csv(tmp_path / "ships.csv", rows)
    scope = ["--lot", "A100001", "--from", "2011-01-01", "--to", "2011-01-31"]
    done = invoke(runner, "summary", ships, *scope, "--country", "US", "--format", "json",
                  "--no-cache")  # fmt: skip
    got = as_json(done)["rows"]
    assert (got["matched"], got["not_matched"], got["needs_review"]) == (1, 2, 2)
    review = invoke(runner, "review", ships, *scope, "--country", "US", "--format", "csv",
                    "--no-cache")  # fmt: skip
    reasons = {r["customer_id"]: r["reason"] for r in csv.DictReader(io.StringIO(review.stdout))}
    assert set(reasons) == {"C1", "C2"}
    assert reasons["C1"].startswith("shipped to PR, a territory of US")
    assert "--country GU" in reasons["C2"]
    # Asked for, a territory is simply in scope; and FDA's domestic takes it in.
    result = api.run(
        api.Request.from_options(
            paths=[ships], lots=["A100001"], countries=["US", "PR"], no_cache=True
        )
    ).result
    totals = fda806_totals(result).set_index(["lot", "distribution"])
    assert totals.loc[("A100001", "domestic"), "consignees"] == 2
    assert fda806_frame(result)["distribution"].tolist() == ["domestic", "domestic"]
