"""Support desk: scanned codes, did-you-mean, provenance rows, masking, exit statuses, shell."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from recall_cli.cli.support import SUPPORT_EXIT_HELP
from recall_cli.tasks import support

from .conftest import invoke, write_csv, write_xlsx

HEADER = ["Lot #", "Ship Date", "Customer ID", "Customer Name", "E-mail", "Phone", "Address",
          "City", "ZIP", "Country", "Qty"]  # fmt: skip
LOT_COLUMN = 1  # "Lot #" is column A in both sheets
GTIN = "00312345678906"
D = dt.datetime


PEOPLE = {
    "C1": ("Jane Doe", "jane.doe@example.com", "+1 555 010 1018", "12 Oak Ave", "Boston", "02110"),
    "C2": ("John Roe", "jroe@example.org", "(617) 555-2222", "9 Elm St", "Boston", "02111"),
    "C3": ("Ann Poe", "ann@example.net", "617 555 3333", "3 Pine St", "Salem", "01970"),
    "C4": ("Bob Moe", "bob@example.com", "617 555 4444", "4 Lake Rd", "Lynn", "01901"),
    "C5": ("Eve Zoe", "eve@example.com", "617 555 5555", "5 Main St", "Quincy", "02169"),
}


def _row(lot: str, day: dt.datetime, cid: str, qty: int) -> list[Any]:
    name, email, phone, street, city, zip_code = PEOPLE[cid]
    return [lot, day, cid, name, email, phone, street, city, zip_code, "US", qty]


# Recalled: B201575 and B201590, shipped 2010-11-30 to 2011-01-04 inclusive.
# B201590 only shipped outside the window; 0012345 and XK4471 are not recalled.
SHIPMENTS = [
    ["Shipments export, Q4 2010"],
    [],
    HEADER,
    _row("B201575", D(2010, 12, 1), "C1", 40),
    _row("XK4471", D(2010, 12, 2), "C5", 10),
    _row("B201575", D(2010, 11, 29, 16, 0), "C3", 30),  # the day before the window
    _row("0012345", D(2010, 12, 3), "C4", 5),
    _row("B201590", D(2011, 1, 5), "C4", 7),  # the day after the window
]
DECEMBER = [
    HEADER,
    [],
    _row("B201575", D(2011, 1, 4, 13, 30), "C2", 20),  # last day of the window, afternoon
    _row("XK4471", D(2010, 12, 20), "C5", 10),
]
SCOPE = ("--lot", "B201575,B201590", "--from", "2010-11-30", "--to", "2011-01-04")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write_xlsx(tmp_path / "shipments.xlsx", {"Shipments": SHIPMENTS, "Dec 2010": DECEMBER})
    write_csv(
        tmp_path / "late.csv",
        [
            HEADER,
            _row("B201575", D(2010, 12, 28), "C1", 15),
            _row("XK4471", D(2011, 2, 1), "C5", 3),
        ],
    )
    return tmp_path


def run(runner: CliRunner, data: Path, command: str, *args: str) -> Any:
    return invoke(runner, "-q", command, *args, str(data), *SCOPE)


# --- scanned codes ---------------------------------------------------------------

GS = "\x1d"
SCANS = {
    "parentheses": f"(01){GTIN}(17)120630(10)B201575(21)SN77",
    "fnc1": f"01{GTIN}10B201575{GS}17120630{GS.join(['', '21SN77'])}",
    "digital-link": f"https://id.gs1.org/01/{GTIN}/10/B201575/21/SN77?17=120630",
}


@pytest.mark.parametrize("code", SCANS.values(), ids=SCANS.keys())
def test_barcode_forms_give_the_lot_and_gs1_fields(
    runner: CliRunner, data: Path, code: str
) -> None:
    result = run(runner, data, "check", code, "--format", "json")
    assert result.exit_code == support.AFFECTED, result.stderr
    # In scope: C1 40 (2010-12-01) + C2 20 (2011-01-04 13:30) + C1 15 (CSV, 2010-12-28).
    assert json.loads(result.stdout) == {
        "lot": "B201575",
        "recalled": True,
        "customers": 2,
        "units": 75,
        "shipments": 3,
        "first_shipped": "2010-12-01",
        "last_shipped": "2011-01-04",
        "needs_review": 0,
        "gs1": {"gtin": GTIN, "expiry": "2012-06-30", "serial": "SN77"},
        "looks_like": [],
        "confusable_of": None,
        "double_counting": None,
    }


def test_barcode_fields_shown_next_to_the_verdict(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "check", SCANS["parentheses"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "B201575: IN RECALL"
    assert lines[1] == f"  scanned: GTIN {GTIN}, expiry 2012-06-30, serial SN77"


def test_plain_lot_has_no_gs1_key(runner: CliRunner, data: Path) -> None:
    answer = json.loads(run(runner, data, "check", " b201575 ", "--format", "json").stdout)
    assert answer["lot"] == "B201575"
    assert "gs1" not in answer and "suggestions" not in answer


def test_barcode_without_lot_is_an_error(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "check", f"(01){GTIN}(17)120630")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "has no lot (10) element" in result.stderr


# --- did you mean ----------------------------------------------------------------

SLIPS = {
    "one character off": ("B201576", ["B201575"]),
    "O for 0": ("B2O1575", ["B201575"]),
    "I for 1": ("B20I575", ["B201575"]),
    "S for 5": ("B201S75", ["B201575"]),
    "8 for B": ("8201575", ["B201575"]),
    "missing leading zeros": ("12345", ["0012345"]),
    "dropped character": ("XK471", ["XK4471"]),
    "added character": ("B2015905", ["B201590"]),
    "nothing close": ("ZZ9999", []),
}


@pytest.mark.parametrize(("typed", "expected"), SLIPS.values(), ids=SLIPS.keys())
def test_suggestions_for_each_slip(
    runner: CliRunner, data: Path, typed: str, expected: list[str]
) -> None:
    result = run(runner, data, "check", typed, "--format", "json")
    answer = json.loads(result.stdout)
    assert answer["recalled"] is False
    assert answer["suggestions"] == expected
    # A slip of a recalled lot is not a plain "not in recall": it has its own status.
    recalled = [lot for lot in expected if lot in ("B201575", "B201590")]
    assert answer["looks_like"] == recalled
    assert result.exit_code == (support.LOOKS_LIKE if recalled else support.NOT_AFFECTED)


def test_suggestion_is_not_a_verdict(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "check", "B2O1575")
    assert result.exit_code == support.LOOKS_LIKE
    lines = result.stdout.splitlines()
    assert lines[0] == "B2O1575: NOT ON THE RECALL LIST (recalled lots: B201575, B201590)"
    assert lines[1] == "  looks like recalled B201575 — check the box"
    assert (
        lines[3] == "  did you mean: B201575? (not a verdict: check the suggested lot to get one)"
    )
    nothing = run(runner, data, "check", "ZZ9999").stdout.splitlines()
    assert nothing[2] == "  no known lot is close to this one"


def test_no_suggestions_for_a_lot_in_the_data(runner: CliRunner, data: Path) -> None:
    answer = json.loads(run(runner, data, "check", "0012345", "--format", "json").stdout)
    assert answer["recalled"] is False
    assert "suggestions" not in answer


# --- provenance ------------------------------------------------------------------


def _lot_cells(path: Path, lot: str) -> set[tuple[str, int]]:
    """Independently: every (sheet, row) whose lot cell holds this lot."""
    wb = openpyxl.load_workbook(path, read_only=True)
    found = set()
    for ws in wb.worksheets:
        for i, row in enumerate(ws.iter_rows(min_col=LOT_COLUMN, max_col=LOT_COLUMN), start=1):
            if row and row[0].value == lot:
                found.add((ws.title, i))
    wb.close()
    return found


def test_show_rows_point_at_the_lot_cell(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "check", "B201575", "--show-rows", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["rows"]
    xlsx = [r for r in rows if r["file"].endswith(".xlsx")]
    assert {(r["sheet"], r["row"]) for r in xlsx} == _lot_cells(data / "shipments.xlsx", "B201575")
    assert {(r["sheet"], r["row"]) for r in xlsx} == {("Shipments", 4), ("Shipments", 6),
                                                      ("Dec 2010", 3)}  # fmt: skip
    wb = openpyxl.load_workbook(data / "shipments.xlsx")
    for r in xlsx:
        assert wb[r["sheet"]].cell(row=r["row"], column=LOT_COLUMN).value == "B201575"
    # The CSV line as Excel numbers it (header is line 1).
    csv_rows = [r for r in rows if r["file"].endswith(".csv")]
    assert [(r["sheet"], r["row"], r["bucket"]) for r in csv_rows] == [("", 2, "matched")]
    # Matched rows lead; the one shipped the day before the window is not matched.
    assert [r["bucket"] for r in rows] == ["matched", "matched", "matched", "not_matched"]
    assert rows[-1] == {"file": rows[-1]["file"], "sheet": "Shipments", "row": 6,
                        "bucket": "not_matched", "ship_date": "2010-11-29",
                        "customer_id": "C3", "quantity": 30}  # fmt: skip


def test_show_rows_text_says_what_matched_means(runner: CliRunner, data: Path) -> None:
    out = run(runner, data, "check", "B201575", "--show-rows").stdout
    assert "  rows of this lot in the data: 4 (3 matched = inside the recall scope)\n" in out
    assert "    shipments.xlsx / Dec 2010 row 3: matched, 2011-01-04, customer C2, qty 20\n" in out
    assert "    late.csv row 2: matched, 2010-12-28, customer C1, qty 15\n" in out


# --- minimum necessary -----------------------------------------------------------


def test_customer_contact_masked_by_default(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "customer", "C1")
    assert result.exit_code == support.AFFECTED
    assert result.stdout == (
        "C1  Jane Doe  AFFECTED  lots B201575; 55 units in 2 shipments\n"
        "    j***@example.com, ***-1018, ***, Boston, 02110, US\n\n"
    )
    for secret in ("jane.doe", "555 010", "12 Oak"):
        assert secret not in result.stdout


def test_customer_reveal_shows_contact(runner: CliRunner, data: Path) -> None:
    result = run(runner, data, "customer", "C1", "--reveal")
    assert result.exit_code == 0
    assert (
        "    jane.doe@example.com, +1 555 010 1018, 12 Oak Ave, Boston, 02110, US\n"
        in result.stdout
    )


@pytest.mark.parametrize("reveal", [(), ("--reveal",)], ids=["masked", "reveal"])
def test_customer_json_never_has_contact(
    runner: CliRunner, data: Path, reveal: tuple[str, ...]
) -> None:
    result = run(runner, data, "customer", "Jane", "--format", "json", *reveal)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "query": "Jane",
        "matches": [{"customer_id": "C1", "name": "Jane Doe", "affected": True,
                     "verdict": "affected", "lots": ["B201575"], "units": 55, "shipments": 2,
                     "review": [], "note": ""}],
        "double_counting": None,
    }  # fmt: skip
    assert "example.com" not in result.stdout and "1018" not in result.stdout


@pytest.mark.parametrize("cached", [False, True])
def test_customer_found_when_excel_dropped_the_ids_zeros(
    runner: CliRunner, tmp_path: Path, cached: bool
) -> None:
    # The CRM says 00123; the shipment sheet stored the id as a number: 123.
    f = write_csv(
        tmp_path / "ids.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Name", "Quantity"],
            ["B201575", "2010-12-01", "123", "Ann", "1"],
            ["B201575", "2010-12-01", "1230", "Bob", "1"],
            ["B201575", "2010-12-01", "00456", "Cy", "1"],
        ],
    )
    scope = ("--lot", "B201575", *(() if cached else ("--no-cache",)))
    if cached:
        invoke(runner, "summary", f, *scope)
    for query, found in (("00123", "123"), ("0123", "123"), ("456", "00456")):
        result = invoke(runner, "customer", query, f, *scope, "--format", "json")
        assert result.exit_code == 0, result.output
        (match,) = json.loads(result.stdout)["matches"]
        assert (match["customer_id"], match["verdict"]) == (found, "affected")
        assert match["note"].startswith(f"found as id {found}, not {query}: Excel drops")
    exact = json.loads(invoke(runner, "customer", "123", f, *scope, "--format", "json").stdout)
    assert [(m["customer_id"], m["note"]) for m in exact["matches"]] == [("123", "")]
    shown = invoke(runner, "customer", "00123", f, *scope).stdout
    assert "found as id 123, not 00123" in shown


# --- exit statuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "query", "status"),
    [
        ("check", "B201575", 0),
        ("check", "B201590", 0),  # recalled, but nothing shipped inside the scope
        ("check", "XK4471", 3),
        ("check", "ZZ9999", 3),
        ("customer", "C1", 0),
        ("customer", "C5", 3),
        ("customer", "C4", 3),  # only B201590 after the window, and a non-recalled lot
        ("customer", "nobody-here", 4),
    ],
)
def test_exit_statuses(
    runner: CliRunner, data: Path, command: str, query: str, status: int
) -> None:
    assert run(runner, data, command, query).exit_code == status


def test_recalled_lot_outside_scope_says_so(runner: CliRunner, data: Path) -> None:
    lines = run(runner, data, "check", "B201590").stdout.splitlines()
    assert lines[:2] == ["B201590: IN RECALL", "  no shipment of this lot falls inside the scope"]


def test_usage_error_is_2_and_help_documents_statuses(runner: CliRunner, data: Path) -> None:
    assert invoke(runner, "check").exit_code == 2
    assert invoke(runner, "check", "B201575", str(data), "--from", "x").exit_code == 2
    assert f"{support.NOT_AFFECTED} not affected" in SUPPORT_EXIT_HELP
    assert f"{support.NOT_FOUND} no customer matches" in SUPPORT_EXIT_HELP
    assert f"{support.AFFECTED} affected" in SUPPORT_EXIT_HELP
    assert (
        f"{support.LOOKS_LIKE} not on the list but looks like a recalled lot" in SUPPORT_EXIT_HELP
    )
    assert f"{support.NEEDS_REVIEW} needs review" in SUPPORT_EXIT_HELP
    for command in ("check", "customer"):
        help_text = " ".join(invoke(runner, command, "--help").stdout.split())
        assert "Exit status: 0 affected" in help_text and "3 not affected" in help_text


# --- shell -----------------------------------------------------------------------


def test_shell_answers_piped_lines(runner: CliRunner, data: Path) -> None:
    lines = [
        "B201575",
        "",
        "# a comment",
        f"check (01){GTIN}(17)120630",  # no lot: an error line, the session goes on
        "customer C5",
        "check B2O1575",
        "quit",
        "B201575",  # after quit: not answered
    ]
    result = invoke(runner, "shell", str(data), *SCOPE, input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.count("B201575: IN RECALL") == 1
    assert (
        "C5  Eve Zoe  not affected\n    e***@example.com, ***-5555, ***, Quincy, 02169, US\n" in out
    )
    assert "B2O1575: NOT ON THE RECALL LIST" in out and "did you mean: B201575?" in out
    assert "looks like recalled B201575 — check the box" in out
    assert "Error: barcode" in result.stderr and "has no lot (10) element" in result.stderr
    assert result.stderr.rstrip().endswith("3 answers")


def test_shell_reveal_and_rows(runner: CliRunner, data: Path) -> None:
    result = invoke(runner, "-q", "shell", str(data), *SCOPE, "--reveal",
                    input="customer C1\nB201590 --rows\n")  # fmt: skip
    assert result.exit_code == 0
    assert "jane.doe@example.com" in result.stdout
    assert (
        "    shipments.xlsx / Shipments row 8: not matched, 2011-01-05, customer C4, qty 7\n"
        in (result.stdout)
    )


# --- text around a lot (issue 13 item 2) and two lots in one barcode (issue 16 item 19)


@pytest.mark.parametrize(
    "typed",
    ["Lot: B201575", "LOT B201575", "Lot No. B201575", "Lot # B201575", "N° de lot : B201575",
     "No de lot B201575", "Batch: B201575", "(10) B201575", "lot:b201575"],
)  # fmt: skip
def test_a_lot_label_is_read_past(runner: CliRunner, data: Path, typed: str) -> None:
    result = run(runner, data, "check", typed, "--format", "json")
    assert result.exit_code == support.AFFECTED, result.stderr
    assert json.loads(result.stdout)["lot"] == "B201575"


@pytest.mark.parametrize("typed", ["B201575 x", "B201575,", "Lot: B201575 please", "B201575?"])
def test_text_that_is_not_a_lot_is_refused_not_answered(
    runner: CliRunner, data: Path, typed: str
) -> None:
    result = invoke(runner, "check", typed, str(data), *SCOPE)
    assert result.exit_code == 2
    assert result.stdout == ""  # no verdict at all, least of all NOT IN RECALL
    assert f"{typed!r} is not a lot" in result.stderr


def test_a_known_lot_with_a_space_or_punctuation_is_a_lot(
    runner: CliRunner, tmp_path: Path
) -> None:
    write_csv(tmp_path / "s.csv", [HEADER, _row("AB 12/7", D(2010, 12, 1), "C1", 4),
                                   _row("B201575", D(2010, 12, 1), "C2", 4)])  # fmt: skip
    seen = invoke(runner, "-q", "check", "ab 12/7", str(tmp_path), *SCOPE, "--format", "json")
    assert seen.exit_code == support.NOT_AFFECTED
    assert json.loads(seen.stdout)["lot"] == "AB 12/7"
    unseen = invoke(runner, "-q", "check", "AB 12/8", str(tmp_path), *SCOPE)
    assert unseen.exit_code == 2


def test_a_barcode_with_two_lots_is_refused(runner: CliRunner, data: Path) -> None:
    code = f"(01){GTIN}(10)B201575(10)XK4471"
    result = invoke(runner, "check", code, str(data), *SCOPE)
    assert result.exit_code == 1
    assert "holds 2 different lots (10): B201575, XK4471" in result.stderr
    assert result.stdout == ""


def test_shell_parses_its_flags(runner: CliRunner, data: Path) -> None:
    lines = ["check B201590 --show-rows", "--rows B201590", "B201575 x", "check B201575 --bogus"]
    result = invoke(runner, "-q", "shell", str(data), *SCOPE, input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    assert result.stdout.count("B201590: IN RECALL") == 2
    assert result.stdout.count("shipments.xlsx / Shipments row 8: not matched") == 2
    assert "'B201575 x' is not a lot" in result.stderr
    assert "unknown option '--bogus'" in result.stderr
    assert "NOT IN RECALL" not in result.stdout


# --- look-alikes in the data (issue 13 item 6) and Unicode confusables (issue 16 item 6)


@pytest.mark.parametrize("typed", ["B2O1575", "8201575", "201575", "B201576", "B2015755"])
def test_a_look_alike_in_the_data_still_warns(
    runner: CliRunner, tmp_path: Path, typed: str
) -> None:
    write_csv(tmp_path / "s.csv", [HEADER, _row("B201575", D(2010, 12, 1), "C1", 4),
                                   _row(typed, D(2010, 12, 2), "C2", 5)])  # fmt: skip
    result = invoke(runner, "-q", "check", typed, str(tmp_path), *SCOPE, "--format", "json")
    assert result.exit_code == support.LOOKS_LIKE
    answer = json.loads(result.stdout)
    assert answer["recalled"] is False and answer["looks_like"] == ["B201575"]
    text = invoke(runner, "-q", "check", typed, str(tmp_path), *SCOPE).stdout
    assert "looks like recalled B201575 — check the box" in text


def test_a_cyrillic_look_alike_goes_to_review_and_check_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    cyrillic = "\u0412201575"  # В, CYRILLIC CAPITAL LETTER VE
    write_csv(tmp_path / "s.csv", [HEADER, _row(cyrillic, D(2010, 12, 2), "C2", 5),
                                   _row(cyrillic, D(2011, 2, 2), "C3", 5)])  # fmt: skip
    review = json.loads(invoke(runner, "-q", "review", str(tmp_path), *SCOPE, "--format",
                               "json").stdout)  # fmt: skip
    assert [(r["customer_id"], r["reason"]) for r in review] == [
        ("C2", f"lot {cyrillic} looks like recalled B201575 (Unicode look-alike characters): "
               "check the box"),
    ]  # fmt: skip
    result = invoke(runner, "-q", "check", cyrillic, str(tmp_path), *SCOPE, "--format", "json")
    assert result.exit_code == support.LOOKS_LIKE
    answer = json.loads(result.stdout)
    assert answer["confusable_of"] == "B201575" and answer["looks_like"] == ["B201575"]
    text = invoke(runner, "-q", "check", cyrillic, str(tmp_path), *SCOPE).stdout
    assert "its shipments inside the scope are in review" in text
    # Suggestions compare the folded text too.
    other = invoke(runner, "-q", "check", "\u0412201599", str(tmp_path), *SCOPE, "--format",
                   "json")  # fmt: skip
    assert json.loads(other.stdout)["suggestions"][:1] == ["B201590"]


def test_counts_agree_with_their_nouns(runner: CliRunner, data: Path) -> None:
    # C2 has one shipment inside the scope: "1 shipment", never "1 shipments".
    out = run(runner, data, "customer", "C2").stdout
    assert "in 1 shipment\n" in out
    assert "1 shipments" not in out


def test_a_customer_whose_shipment_needs_review_is_not_not_affected(
    runner: CliRunner, tmp_path: Path
) -> None:
    # C5's only shipment of a recalled lot has a date that is no calendar date: the
    # row is in review, and "not affected" (exit 3) would be a verdict nobody made.
    path = write_csv(tmp_path / "s.csv", [
        ["Ship Date", "Customer ID", "Name", "Email", "Country", "Lot", "Quantity"],
        ["2010-12-01", "C1", "Ann Lee", "a@x.org", "US", "B201575", 10],
        ["2010-12-02", "C6", "Flo Lee", "f@x.org", "US", "XK4471", 5],
        ["2010-12-35", "C5", "Ed Lee", "e@x.org", "US", "B201575", 5],
    ])  # fmt: skip
    scope = ["--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04"]
    for cache in (["--no-cache"], [], []):  # a full run, then (twice) from the cache
        done = invoke(runner, "customer", "C5", path, *scope, *cache)
        assert done.exit_code == support.NEEDS_REVIEW == 6
        assert "NEEDS REVIEW" in done.stdout and "not affected" not in done.stdout
        assert "s.csv row 4, lot B201575: ship date not a real calendar date" in done.stdout
        got = json.loads(invoke(runner, "customer", "C5", path, *scope, *cache,
                                "--format", "json").stdout)  # fmt: skip
        (m,) = got["matches"]
        assert (m["verdict"], m["affected"], m["shipments"]) == ("needs_review", False, 0)
        assert m["review"] == [{"file": str(path), "sheet": "", "row": 4, "lot": "B201575",
                                "reason": "ship date not a real calendar date"}]  # fmt: skip
    # An affected customer stays affected, one with nothing in review not affected.
    assert invoke(runner, "customer", "C1", path, *scope).exit_code == support.AFFECTED
    assert invoke(runner, "customer", "C6", path, *scope).exit_code == support.NOT_AFFECTED
    # Several matches: affected first, then the one in review, then the rest.
    found = json.loads(invoke(runner, "customer", "Lee", path, *scope, "--format",
                              "json").stdout)  # fmt: skip
    assert [m["customer_id"] for m in found["matches"]] == ["C1", "C5", "C6"]
    assert invoke(runner, "customer", "Lee", path, *scope).exit_code == support.AFFECTED


def test_a_lot_cell_holding_a_recalled_lot_among_other_text_goes_to_review(
    runner: CliRunner, tmp_path: Path
) -> None:
    # "LOT B201575" and "B201575 / B201999" were "not matched": patients of a recalled
    # lot not told. A person reads such a cell; a longer code (B2015750) is another lot.
    path = write_csv(tmp_path / "s.csv", [
        ["Ship Date", "Customer ID", "Name", "Country", "Lot", "Quantity"],
        ["2010-12-01", "C1", "Ann", "US", "B201575", 10],
        ["2010-12-02", "C2", "Bob", "US", "LOT B201575", 5],
        ["2010-12-03", "C3", "Cy", "US", "B201575 / B201999", 5],
        ["2010-12-04", "C4", "Di", "US", "B-201575", 5],
        ["2010-12-04", "C5", "Ed", "US", "B2015750", 5],
        ["2011-03-01", "C6", "Fa", "US", "LOT B201575", 5],  # outside the window
        ["2010-12-04", "C7", "Gu", "FR", "LOT B201575", 5],  # outside --country US
    ])  # fmt: skip
    scope = ["--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04", "--country", "US"]
    for cache in (["--no-cache"], [], []):
        done = invoke(runner, "review", path, *scope, *cache, "--format", "json")
        got = {r["customer_id"]: r["reason"] for r in json.loads(done.stdout)}
        assert set(got) == {"C2", "C3", "C4"}
        assert got["C2"] == ("lot cell 'LOT B201575' holds recalled lot B201575 among other "
                             "characters: read the cell at the source")  # fmt: skip
        check = invoke(runner, "check", "B201575", path, *scope, *cache, "--format", "json")
        answer = json.loads(check.stdout)
        assert (answer["shipments"], answer["needs_review"]) == (1, 3)
        shown = invoke(runner, "check", "B201575", path, *scope, *cache, "--show-rows")
        assert "3 shipments of this lot need review" in shown.stdout
        assert "s.csv row 3: needs review" in shown.stdout
        # The agent reads the label off the data: never a bare NOT IN RECALL.
        typed = invoke(runner, "check", "LOT B201575", path, *scope, *cache)
        assert typed.exit_code == support.LOOKS_LIKE
        assert "looks like recalled B201575" in typed.stdout
    summary = json.loads(invoke(runner, "summary", path, *scope, "--format", "json").stdout)
    assert summary["rows"] == {"read": 7, "matched": 1, "not_matched": 3, "not_data": 0,
                               "needs_review": 3}  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "held"),
    [("LOT B201575", "B201575"), ("B201575/B201999", "B201575"), ("B-201575", "B201575"),
     ("N° DE LOT: B201575", "B201575"), ("B201575", None), ("B2015750", None),
     ("XB201575", None), ("", None), ("B 2015 75", "B201575")],
)  # fmt: skip
def test_embedded_lot(cell: str, held: str | None) -> None:
    from recall_cli.query.buckets import embedded_lot

    assert embedded_lot(cell, ("B201575", "F201611")) == held


def test_a_recalled_number_in_scientific_notation_goes_to_review(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Excel shows the numeric lot 120000 as 12E4 or 1.20E+05: "not matched" told no one.
    path = write_csv(tmp_path / "s.csv", [
        ["Ship Date", "Customer ID", "Name", "Country", "Lot", "Quantity"],
        ["2010-12-01", "C1", "Ann", "US", "120000", 10],
        ["2010-12-02", "C2", "Bob", "US", "12E4", 5],
        ["2010-12-03", "C3", "Cy", "US", "1.2E+05", 5],
        ["2010-12-04", "C4", "Di", "US", "1.20E+05", 5],
        ["2010-12-04", "C5", "Ed", "US", "1.3E+05", 5],  # another number
        ["2010-12-04", "C6", "Fa", "US", "1.23E+05", 5],  # 123456 at three digits
        ["2010-12-04", "C7", "Gu", "US", "12E3", 5],
    ])  # fmt: skip
    scope = ["--lot", "120000,123456,B201575", "--from", "2010-11-30", "--to", "2011-01-04"]
    excel = "Excel may have turned the lot into a number; read the cell at the source"
    for cache in (["--no-cache"], [], []):
        done = invoke(runner, "review", path, *scope, *cache, "--format", "json")
        got = {r["customer_id"]: r["reason"] for r in json.loads(done.stdout)}
        assert got == {
            "C2": f"lot cell '12E4' is recalled lot 120000 in scientific notation: {excel}",
            "C3": f"lot cell '1.2E+05' is recalled lot 120000 in scientific notation or may "
                  f"be recalled lot 123456, rounded to the digits Excel shows: {excel}",
            "C4": f"lot cell '1.20E+05' is recalled lot 120000 in scientific notation: {excel}",
            "C6": f"lot cell '1.23E+05' may be recalled lot 123456, rounded to the digits "
                  f"Excel shows: {excel}",
        }  # fmt: skip
        verdict = invoke(runner, "customer", "C2", path, *scope, *cache)
        assert verdict.exit_code == support.NEEDS_REVIEW
        check = invoke(runner, "check", "120000", path, *scope, *cache, "--format", "json")
        answer = json.loads(check.stdout)
        assert check.exit_code == support.AFFECTED
        assert (answer["shipments"], answer["needs_review"]) == (1, 3)
        shown = invoke(runner, "check", "120000", path, *scope, *cache, "--show-rows").stdout
        assert "3 shipments of this lot need review" in shown
        assert "s.csv row 3: needs review" in shown and "customer C5" not in shown
        typed = invoke(runner, "check", "12E4", path, *scope, *cache)
        assert typed.exit_code == support.LOOKS_LIKE
        assert "looks like recalled 120000" in typed.stdout
    sql = invoke(runner, "sql", "select customer_id, bucket from shipments order by row",
                 path, *scope, "--format", "json")  # fmt: skip
    buckets = [r["bucket"] for r in json.loads(sql.stdout)]
    assert buckets == ["matched", "needs_review", "needs_review", "needs_review",
                       "not_matched", "needs_review", "not_matched"]  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "could"),
    [("12E4", ["120000"]), ("1.2E+05", ["120000", "123456"]), ("1.2E5", ["120000"]),
     ("120E3", ["120000"]), ("1.20E+05", ["120000"]), ("1.3E+05", None), ("12E3", None),
     ("1.23E+05", ["123456"]), ("1.234E+05", None), ("1.2345E+05", None),
     ("12345", ["0012345"]), ("B201575", None), ("1.5E0", None)],
)  # fmt: skip
def test_a_cell_excel_may_have_made_of_a_recalled_number(
    cell: str, could: list[str] | None
) -> None:
    from recall_cli.query.buckets import could_be, recalled_numbers

    found = could_be(cell, recalled_numbers(("120000", "123456", "0012345", "B201575")))
    assert (found[0] if found else None) == could
