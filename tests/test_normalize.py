"""Headers, dates, lots and row kinds, through the library API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from recall_cli import RecallScope, find_affected, load_shipments
from recall_cli.errors import SchemaError
from recall_cli.normalize.columns import canonical_for
from recall_cli.normalize.dates import DAYFIRST, INCONSISTENT, MONTHFIRST, NOT_NEEDED
from recall_cli.normalize.sheet import NormalizeOptions

from .conftest import write_csv, write_xlsx

SYNONYMS = {
    "lot": ["Lot", "Lot #", "Lot No.", "Lot Number", "Batch", "N° de lot", "Numéro de lot"],
    "ship_date": ["Ship Date", "Shipped", "Date shipped", "Shipping date", "Date d'expédition"],
    "customer_id": ["Customer ID", "Patient ID", "Account", "Code client", "Code patient"],
    "email": ["Email", "E-mail", "Courriel"],
    "city": ["Ville", "City"],
    "postal_code": ["ZIP", "Postcode", "Code postal"],
    "country": ["Pays", "Country"],
    "quantity": ["Qty", "Quantity", "Units", "Quantité"],
    "prescriber": ["Prescriber", "Physician", "Médecin prescripteur"],
    "prescriber_id": ["NPI", "RPPS"],
    "name": ["Name", "Customer Name", "Nom du patient"],
    "phone": ["Phone", "Téléphone"],
    "address": ["Address", "Adresse"],
    "region": ["State", "Région"],
    "order_id": ["Order ID", "N° commande"],
    "product": ["Product", "Produit"],
}


@pytest.mark.parametrize(
    ("header", "canonical"),
    [(h, c) for c, hs in SYNONYMS.items() for h in hs],
    ids=lambda v: str(v),
)
def test_every_synonym_maps(header: str, canonical: str) -> None:
    assert canonical_for(header) == canonical
    # Case, accents, punctuation and spacing are ignored.
    assert canonical_for(f"  {header.upper()}\u00a0") == canonical


def test_unknown_header_maps_to_nothing() -> None:
    assert canonical_for("Notes") is None
    assert canonical_for("") is None


def _ship(path: Path, rows: list[list[object]], header: list[str] | None = None) -> Path:
    header = header or ["Lot", "Ship Date", "Customer ID", "Qty"]
    return write_csv(path, [header, *rows])


def _run(paths: list[Path], lots: list[str], start=None, end=None, **opts):  # type: ignore[no-untyped-def]
    shipments = load_shipments(paths, options=NormalizeOptions(**opts))
    scope = RecallScope.create(lots, start, end)
    return find_affected(shipments, scope)


def _buckets(result) -> list[str]:  # type: ignore[no-untyped-def]
    return list(result.bucket)


def test_lot_normalisation_and_numeric_lots(tmp_path: Path) -> None:
    f = _ship(
        tmp_path / "a.csv",
        [
            [" b201575 ", "2010-12-01", "C1", "40"],
            ["B201575", "2010-12-01", "C2", "40"],
            ["ｂ２０１５７５", "2010-12-01", "C3", "40"],
            ["12345.0", "2010-12-01", "C4", "40"],
            ["B201576", "2010-12-01", "C5", "40"],
        ],
    )
    result = _run([f], ["B201575", "12345"])
    assert _buckets(result) == ["matched"] * 4 + ["not_matched"]


def test_title_rows_and_header_row_number(tmp_path: Path) -> None:
    f = write_xlsx(
        tmp_path / "t.xlsx",
        {
            "Ship": [
                ["ACME shipment report"],
                [],
                ["Lot #", "Ship Date", "Customer ID", "Qty"],
                ["B1", dt.datetime(2010, 12, 1), "C1", 40],
            ],
            "Read me": [["This workbook lists shipments."], ["Ask quality for details."]],
        },
    )
    shipments = load_shipments([f])
    info = shipments.sources[0]
    assert info.header_row == 3
    assert shipments.rows["row"].tolist() == [4]
    assert shipments.sources[1].skipped.startswith("no recognisable header")


def test_missing_required_column_names_file_sheet_and_headers(tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "t.xlsx", {"S": [["Lot", "Qty", "Customer ID"], ["B1", 1, "C1"]]})
    with pytest.raises(SchemaError) as err:
        load_shipments([f])
    msg = str(err.value)
    assert "t.xlsx" in msg and "'S'" in msg and "ship_date" in msg and "'Qty'" in msg


def test_name_and_postcode_is_enough_identity(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "n.csv",
        [["Lot", "Date shipped", "Name", "ZIP"], ["B1", "2010-12-01", "Ann Lee", "02134"]],
    )
    result = _run([f], ["B1"])
    assert result.customers["name"].tolist() == ["Ann Lee"]
    assert result.customers["postal_code"].tolist() == ["02134"]


@pytest.mark.parametrize(
    ("values", "expected_order", "expected"),
    [
        # a first part above 12 makes the column day-first
        (["13/12/2010", "01/12/2010"], DAYFIRST, ["2010-12-13", "2010-12-01"]),
        # a second part above 12 makes it month-first
        (["12/13/2010", "12/01/2010"], MONTHFIRST, ["2010-12-13", "2010-12-01"]),
        # ISO text, Excel serials and yyyymmdd need no order
        (["2010-12-01", "40513", "20101201"], NOT_NEEDED, ["2010-12-01"] * 3),
        # text month names, English and French
        (["1-Dec-2010", "1 déc. 2010", "Dec 1, 2010"], NOT_NEEDED, ["2010-12-01"] * 3),
        (["1er décembre 2010", "December 1st, 2010", "01-Dec-10"], NOT_NEEDED, ["2010-12-01"] * 3),
        # times of day, offsets and AM/PM are ignored: calendar dates count
        (
            ["2010-12-01T23:30:00+01:00", "2010-12-01 13:30:00.123", "13/12/2010 1:30 PM"],
            DAYFIRST,
            ["2010-12-01", "2010-12-01", "2010-12-13"],
        ),
    ],
)
def test_date_forms(
    tmp_path: Path, values: list[str], expected_order: str, expected: list[str]
) -> None:
    f = _ship(tmp_path / "d.csv", [["B1", v, f"C{i}", "1"] for i, v in enumerate(values)])
    shipments = load_shipments([f])
    assert shipments.sources[0].date_order == expected_order
    got = shipments.rows["ship_date"].dt.strftime("%Y-%m-%d").tolist()
    assert got == expected


def test_inconsistent_column_sends_ambiguous_recalled_rows_to_review(tmp_path: Path) -> None:
    f = _ship(
        tmp_path / "d.csv",
        [
            ["B1", "13/12/2010", "C1", "1"],  # only day-first
            ["B1", "12/13/2010", "C2", "1"],  # only month-first
            ["B1", "05/12/2010", "C3", "1"],  # either: undecidable
            ["B2", "05/12/2010", "C4", "1"],  # undecidable too, whatever the lot
            ["B2", "13/12/2010", "C5", "1"],  # decided: another lot
        ],
    )
    result = _run([f], ["B1"], dt.date(2010, 11, 30), dt.date(2011, 1, 4))
    assert result.shipments.sources[0].date_order == INCONSISTENT
    assert _buckets(result) == ["matched", "matched", "needs_review", "needs_review", "not_matched"]
    assert "ambiguous" in result.reason[2] and "ambiguous" in result.reason[3]


def test_all_ambiguous_uses_french_headers_then_flags(tmp_path: Path) -> None:
    fr = _ship(
        tmp_path / "fr.csv",
        [["B1", "01/12/2010", "C1", "1"]],
        header=["N° de lot", "Date d'expédition", "Code client", "Quantité"],
    )
    en = _ship(tmp_path / "en.csv", [["B1", "01/12/2010", "C1", "1"]])
    assert load_shipments([fr]).rows["ship_date"].iloc[0] == pd.Timestamp("2010-12-01")
    assert load_shipments([en]).rows["ship_date"].iloc[0] == pd.Timestamp("2010-01-12")
    forced = load_shipments([en], options=NormalizeOptions(date_order=DAYFIRST))
    assert forced.rows["ship_date"].iloc[0] == pd.Timestamp("2010-12-01")
    assert forced.sources[0].date_order_reason == "--dayfirst given"


def test_window_is_inclusive_by_calendar_date(tmp_path: Path) -> None:
    f = write_xlsx(
        tmp_path / "w.xlsx",
        {
            "S": [
                ["Lot", "Ship Date", "Customer ID", "Qty"],
                ["B1", dt.datetime(2010, 11, 29, 23, 59), "C0", 1],
                ["B1", dt.datetime(2010, 11, 30, 0, 0), "C1", 1],
                ["B1", dt.datetime(2011, 1, 4, 13, 30), "C2", 1],
                ["B1", dt.datetime(2011, 1, 5, 0, 0), "C3", 1],
            ]
        },
    )
    result = _run([f], ["B1"], dt.date(2010, 11, 30), dt.date(2011, 1, 4))
    assert _buckets(result) == ["not_matched", "matched", "matched", "not_matched"]


def test_every_row_in_exactly_one_bucket(tmp_path: Path) -> None:
    f = _ship(
        tmp_path / "b.csv",
        [
            ["B1", "2010-12-01", "C1", "40"],  # matched
            ["B2", "2010-12-01", "C2", "40"],  # not matched: other lot
            ["B1", "2009-12-01", "C3", "40"],  # not matched: outside window
            ["", "", "", ""],  # blank
            ["TOTAL", "", "", "120"],  # totals
            ["Lot", "Ship Date", "Customer ID", "Qty"],  # repeated header
            ["B1", "n/a", "C4", "40"],  # recalled, unreadable date
            ["B1", "", "C5", "40"],  # recalled, blank date
            ["B2", "n/a", "C6", "40"],  # not recalled: the date does not matter
            ["", "2010-12-01", "C7", "40"],  # lot blank
            ["B1", "2010-12-01", "", "40"],  # matched but nobody to tell
            ["#N/A", "2010-12-01", "C8", "40"],  # lot cell holds an error
            ["B1", "2010-13-45", "C9", "40"],  # impossible date
        ],
    )
    result = _run([f], ["B1"], dt.date(2010, 11, 30), dt.date(2011, 1, 4))
    assert _buckets(result) == [
        "matched", "not_matched", "not_matched", "not_data", "not_data", "not_data",
        "needs_review", "needs_review", "not_matched", "needs_review", "needs_review",
        "needs_review", "needs_review",
    ]  # fmt: skip
    counts = result.bucket_counts()
    assert counts == {
        "read": 13, "matched": 1, "not_matched": 3, "not_data": 3, "needs_review": 6
    }  # fmt: skip
    reasons = [r for r in result.reason if r]
    assert all(reasons) and len(reasons) == 6


def test_leading_zero_lost_goes_to_review(tmp_path: Path) -> None:
    f = _ship(tmp_path / "z.csv", [["12345", "2010-12-01", "C1", "1"]])
    result = _run([f], ["0012345"])
    assert _buckets(result) == ["needs_review"]
    assert "leading zeros" in result.reason[0]


def test_customers_merge_across_files_latest_contact_wins(tmp_path: Path) -> None:
    header = ["Lot", "Ship Date", "Customer ID", "Qty", "Address", "City", "Email"]
    a = write_csv(
        tmp_path / "a.csv",
        [header, ["B1", "2010-12-01", "c1", "40", "1 Old St", "Boston", "old@example.com"]],
    )
    b = write_csv(
        tmp_path / "b.csv",
        [header, ["B2", "2010-12-20", " C1 ", "-10", "2 New St", "Salem", ""],
         ["B1", "2010-12-05", "C1", "-10", "", "", ""]],
    )  # fmt: skip
    result = _run([a, b], ["B1", "B2"])
    (row,) = result.customers.to_dict(orient="records")
    assert row["customer_id"] == "C1"
    assert row["address"] == "2 New St" and row["city"] == "Salem"
    assert row["email"] == "old@example.com"  # latest non-blank email
    # Per lot: B1 is 40 - 10; B2's return exceeds what C1 got of B2 and goes to review.
    assert row["units"] == 30 and row["shipments"] == 2
    assert row["lots"] == ["B1"]
    assert row["first_shipped"] == dt.date(2010, 12, 1)
    assert row["last_shipped"] == dt.date(2010, 12, 5)
    assert result.reason[result.bucket == "needs_review"].tolist() == [
        "returns of 10 units of B2 exceed the 0 shipped to this customer inside the scope: "
        "not netted until a person checks"
    ]


def test_french_nom_prenom_and_semicolon_cp1252(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "fr.csv",
        [
            ["N° de lot", "Date d'expédition", "Code client", "Nom", "Prénom", "Pays"],
            ["f201611", "13/12/2010", "FR-1", "Lefèvre", "Hélène", "France"],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    result = _run([f], ["F201611"])
    (row,) = result.customers.to_dict(orient="records")
    assert row["name"] == "Hélène Lefèvre"
    assert row["country"] == "FR"
    assert result.shipments.sources[0].details["encoding"] == "cp1252"
    assert result.shipments.sources[0].details["delimiter"] == ";"


def test_country_filter_and_unknown_country(tmp_path: Path) -> None:
    f = _ship(
        tmp_path / "c.csv",
        [
            ["B1", "2010-12-01", "C1", "1", "USA"],
            ["B1", "2010-12-01", "C2", "1", "France"],
            ["B1", "2010-12-01", "C3", "1", ""],
        ],
        header=["Lot", "Ship Date", "Customer ID", "Qty", "Country"],
    )
    shipments = load_shipments([f])
    result = find_affected(shipments, RecallScope.create(["B1"], countries=["United States"]))
    assert _buckets(result) == ["matched", "not_matched", "needs_review"]


def test_generated_data_matches_its_truth(tmp_path: Path, generator) -> None:  # type: ignore[no-untyped-def]
    from recall_cli.query.result import summarize
    from recall_cli.query.scopefile import build_scope, read_recall_file

    expected = generator.generate(tmp_path, seed=7)
    recall = read_recall_file(tmp_path / "recall.toml")
    result = find_affected(load_shipments(recall.data), build_scope(recall=recall))
    summary = summarize(result)
    assert summary["rows"] == expected["rows"]
    assert sorted(result.customers["customer_id"]) == expected["customers"]
    assert summary["units"] == expected["units"]
    assert summary["shipments"] == expected["shipments"]
    assert summary["by_lot"] == expected["by_lot"]
    assert summary["customers_total"] == expected["customers_total"]


def test_vague_date_header_used_when_no_specific_one(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "d.csv",
        [["Lot", "Date", "Customer #", "Qty"], ["B1", "2010-12-01", "C1", "40 EA"]],
    )
    result = _run([f], ["B1"])
    assert result.shipments.sources[0].columns == {
        "lot": "Lot", "ship_date": "Date", "customer_id": "Customer #", "quantity": "Qty"
    }  # fmt: skip
    assert _buckets(result) == ["matched"]
    assert result.customers["units"].tolist() == [40]


def test_totals_labels_never_hide_a_real_shipment(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "t.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Name", "Qty"],
            ["B1", "2010-12-01", "C1", "Total Care Pharmacy", "40"],
            ["B1 Total", "", "", "", "40"],  # Excel's Subtotal feature
            ["Grand Total", "", "", "", "40"],
            ["", "", "", "Sous-total", "40"],
        ],
    )
    result = _run([f], ["B1"])
    assert _buckets(result) == ["matched", "not_data", "not_data", "not_data"]


def test_ambiguous_dates_follow_the_rows_country(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "c.csv",
        [["Lot", "Ship Date", "Customer ID", "Country"], ["B1", "01/12/2010", "C1", "France"]],
    )
    shipments = load_shipments([f])
    assert shipments.rows["ship_date"].iloc[0] == pd.Timestamp("2010-12-01")
    assert "FR" in shipments.sources[0].date_order_reason


def test_excel_sep_hint_line(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("sep=;\nLot;Ship Date;Customer ID\nB1;2010-12-01;C1\n", encoding="utf-8")
    result = _run([f], ["B1"])
    assert result.shipments.sources[0].header_row == 2
    assert _buckets(result) == ["matched"]


def test_english_lot_and_date_headers_are_not_french(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "e.csv", [["Lot", "Date", "Customer ID"], ["B1", "01/12/2010", "C1"]])
    shipments = load_shipments([f])
    assert shipments.sources[0].date_order == MONTHFIRST
    assert shipments.rows["ship_date"].iloc[0] == pd.Timestamp("2010-01-12")


def test_no_header_alias_names_two_columns() -> None:
    from recall_cli.normalize.columns import _ALIASES, normalize_header

    seen: dict[str, str] = {}
    clashes = []
    for canon, names in _ALIASES.items():
        for name in names:
            key = normalize_header(name)
            if seen.setdefault(key, canon) != canon:
                clashes.append((name, seen[key], canon))
    assert clashes == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Ship Date (MM/DD/YYYY)", "2010-01-12"), ("Date d'expédition (JJ/MM/AAAA)", "2010-12-01")],
)
def test_date_format_in_the_header_decides_ambiguous_columns(
    tmp_path: Path, header: str, expected: str
) -> None:
    f = write_csv(tmp_path / "h.csv", [["Lot", header, "Customer ID"], ["B1", "01/12/2010", "C1"]])
    shipments = load_shipments([f])
    assert shipments.rows["ship_date"].dt.strftime("%Y-%m-%d").tolist() == [expected]
    assert "the header says" in shipments.sources[0].date_order_reason


def test_folder_reads_exports_only(tmp_path: Path) -> None:
    from recall_cli.read.load import discover

    for name in ("b.csv", "a.xlsx", "~$a.xlsx", ".hidden.csv", "notes.txt", "recall.toml"):
        (tmp_path / name).write_text(name)  # each its own bytes: no copies
    assert [p.name for p in discover([tmp_path])] == ["a.xlsx", "b.csv"]


def test_excel_text_apostrophe_is_not_part_of_the_lot(tmp_path: Path) -> None:
    f = _ship(tmp_path / "a.csv", [["'0012345", "2010-12-01", "C1", "1"]])
    assert _buckets(_run([f], ["0012345"])) == ["matched"]


def test_french_words_decide_ambiguous_dates_without_exact_aliases(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "fr.csv",
        [
            ["N° lot", "Date", "N° client", "Qté"],
            ["B1", "03/01/2011", "C1", "10"],
            ["B1", "05/12/2010", "C2", "10"],
            ["B1", "12/01/2010", "C3", "10"],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    result = _run([f], ["B1"], dt.date(2010, 11, 30), dt.date(2011, 1, 4))
    assert result.shipments.sources[0].date_order == DAYFIRST
    assert _buckets(result) == ["matched", "matched", "not_matched"]


def test_labels_in_other_columns_never_hide_a_recalled_shipment(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "c.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Product", "Qty"],
            ["B1", "2010-12-01", "C1", "Test strips, 50 count", "50"],
            ["B1", "2010-12-02", "", "Test strips, 50 count", "50"],
            ["B1", "", "C3", "Total Care kit", "50"],
            ["", "2010-12-03", "C4", "Test strips, 50 count", "50"],
            ["", "2010-12-03", "", "Total", "150"],  # a day's subtotal
        ],
    )
    result = _run([f], ["B1"], dt.date(2010, 11, 30), dt.date(2011, 1, 4))
    assert _buckets(result) == [
        "matched", "needs_review", "needs_review", "needs_review", "not_data"
    ]  # fmt: skip


def test_zip_that_lost_its_zero_is_the_same_customer(tmp_path: Path) -> None:
    header = ["Lot", "Ship Date", "Name", "ZIP", "Country", "Qty"]
    a = write_xlsx(
        tmp_path / "a.xlsx", {"S": [header, ["B1", "2010-12-01", "Ann Lee", 2134, "US", 10]]}
    )
    b = write_csv(tmp_path / "b.csv", [header, ["B1", "2010-12-02", "Ann Lee", "02134", "US", "5"]])
    result = _run([a, b], ["B1"])
    assert result.customers["postal_code"].tolist() == ["02134"]
    assert result.customers["units"].tolist() == [15]


def test_a_row_with_only_a_country_does_not_replace_the_address(tmp_path: Path) -> None:
    header = ["Lot", "Ship Date", "Customer ID", "Address", "City", "ZIP", "Country"]
    f = write_csv(
        tmp_path / "a.csv",
        [header, ["B1", "2010-12-01", "C1", "4 rue Z", "Lyon", "69001", "FR"],
         ["B1", "2010-12-20", "C1", "", "", "", "FR"]],
    )  # fmt: skip
    (row,) = _run([f], ["B1"]).customers.to_dict(orient="records")
    assert (row["address"], row["city"], row["postal_code"]) == ("4 rue Z", "Lyon", "69001")


def test_group_label_above_the_header(tmp_path: Path) -> None:
    f = write_xlsx(
        tmp_path / "g.xlsx",
        {
            "S": [
                ["Shipment", None, "Customer", None, None],
                ["Lot", "Ship Date", "ID", "Name", "ZIP"],
                ["B1", dt.datetime(2010, 12, 1), "C1", "Ann Lee", "02134"],
                ["B1", dt.datetime(2010, 12, 2), "C1", "Ann Lee", "02139"],
            ]
        },
    )
    result = _run([f], ["B1"])
    assert result.shipments.sources[0].columns["customer_id"] == "ID"
    assert result.customers["customer_id"].tolist() == ["C1"]


@pytest.mark.parametrize(
    ("header", "canonical"),
    [("Client Code", "customer_id"), ("Consignee ID", "customer_id"), ("Contact No", "customer_id"),
     ("N° de client", "customer_id"), ("Prescriber No", "prescriber_id"), ("Client", "name")],
)  # fmt: skip
def test_numbered_names_are_ids(header: str, canonical: str) -> None:
    assert canonical_for(header) == canonical


def test_subtotals_by_date_and_counted_totals_are_not_data(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "s.csv",
        [
            ["Lot", "Ship Date", "Customer ID", "Name", "Qty"],
            ["B1", "2010-12-01", "C1", "Ann", "10"],
            ["", "12/1/2010 Total", "", "", "10"],  # Excel Subtotal at each change in date
            ["", "Grand Total", "", "", "10"],
            ["8", "", "Total", "", "10"],  # COUNTA of lots beside a "Total" label
            ["B1", "", "C9", "Total Care Pharmacy", "5"],  # a customer: date blank → review
        ],
    )
    result = _run([f], ["B1"])
    assert _buckets(result) == ["matched", "not_data", "not_data", "not_data", "needs_review"]
    assert customers_total_of(result) == 2


def customers_total_of(result) -> int:  # type: ignore[no-untyped-def]
    from recall_cli.query.result import summarize

    return int(summarize(result)["customers_total"])


def test_a_lot_summary_sheet_is_skipped_not_fatal(tmp_path: Path) -> None:
    f = write_xlsx(
        tmp_path / "p.xlsx",
        {
            "Shipments": [["Lot", "Ship Date", "Customer ID"], ["B1", "2010-12-01", "C1"]],
            "Pivot": [["Lot", "Qty"], ["B1", 10]],
            "Contacts": [["Name", "Email", "Phone"], ["Quality desk", "q@example.com", "555"]],
        },
    )
    result = _run([f], ["B1"])
    skipped = {s.sheet: s.skipped for s in result.shipments.sources if s.skipped}
    assert set(skipped) == {"Pivot", "Contacts"}
    assert skipped["Pivot"].startswith("not a shipment table: missing required column ship_date")
    assert _buckets(result) == ["matched"]
