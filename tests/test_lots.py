from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_cli.errors import RecallError, UsageError
from recall_cli.normalize.lots import (
    ScannedCode,
    normalize_lot,
    one_edit_away,
    parse_code,
    suggest_lots,
    weighted_distance,
)

# --------------------------------------------------------------------------- normalize_lot


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("b201575", "B201575"),
        ("  B201575\t", "B201575"),
        ("b 20  15\t75", "B 20 15 75"),
        ("Ｂ２０１５７５", "B201575"),  # full-width
        ("B201575\u200b", "B201575"),  # zero-width space from a copy-paste
        ("\ufeffB201575", "B201575"),  # BOM
        ("B\u00a0201575", "B 201575"),  # no-break space
        ("12345.0", "12345"),
        ("12345.00", "12345"),
        (" 12345.0 ", "12345"),
        ("12345.5", "12345.5"),
        ("A12345.0", "A12345.0"),
        ("007", "007"),
        (12345.0, "12345"),
        (12345, "12345"),
        (1.5, "1.5"),
        (None, ""),
        (math.nan, ""),
        (float("nan"), ""),
        (Decimal("NaN"), ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_lot(value: object, expected: str) -> None:
    assert normalize_lot(value) == expected


def test_normalize_lot_pandas_missing() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    assert normalize_lot(pd.NA) == ""
    assert normalize_lot(pd.NaT) == ""
    assert normalize_lot(np.float64("nan")) == ""
    assert normalize_lot(np.float64(12345.0)) == "12345"
    assert normalize_lot(np.float32(12345.0)) == "12345"
    assert normalize_lot(np.int64(12345)) == "12345"


@given(st.one_of(st.text(), st.floats(), st.integers(), st.none()))
def test_normalize_lot_idempotent(value: object) -> None:
    once = normalize_lot(value)
    assert normalize_lot(once) == once
    assert once == once.strip()
    assert "  " not in once


# --------------------------------------------------------------------------- parse_code

EXPECTED = ScannedCode(lot="B201575", gtin="00312345678906", expiry="2012-06-30", source="gs1")


@pytest.mark.parametrize(
    "text",
    [
        "(01)00312345678906(17)120630(10)B201575",
        " (01) 00312345678906 (17) 120630 (10) B201575 ",
        "01003123456789061712063010B201575",
        "0100312345678906\x1d17120630\x1d10B201575",
        "]C101003123456789061712063010B201575",
        "]d20100312345678906\x1d1712063010B201575",
        "]Q3010031234567890617120630\x1d10B201575",
        "0100312345678906<GS>1712063010B201575",
        "0100312345678906{GS}1712063010B201575",
        "0100312345678906^]1712063010B201575",
        "0100312345678906 1712063010B201575",  # space as separator
        "0100312345678906171206301 0B201575",  # the issue: space inside the scan
        "０１００３１２３４５６７８９０６１７１２０６３０１０Ｂ２０１５７５",  # full-width
        "01003123456789061712063010b201575",  # lower-case lot is normalised
    ],
)
def test_parse_element_strings(text: str) -> None:
    assert parse_code(text) == EXPECTED


def test_parse_hri_has_same_result() -> None:
    assert parse_code("(01)00312345678906(17)120630(10)B201575") == EXPECTED


@pytest.mark.parametrize(
    "text",
    [
        "https://id.example.com/01/00312345678906/10/B201575?17=120630",
        "HTTPS://id.example.com/01/00312345678906/10/B201575?17=120630",
        "http://example.org/gtin/01/00312345678906/10/B201575?17=120630",
    ],
)
def test_parse_digital_link(text: str) -> None:
    code = parse_code(text)
    assert code.lot == "B201575"
    assert code.gtin == "00312345678906"
    assert code.expiry == "2012-06-30"
    assert code.source == "digital-link"


def test_parse_serial_and_production_date() -> None:
    code = parse_code("(01)00312345678906(11)120115(17)120630(10)B201575(21)SN42")
    assert code.serial == "SN42"
    assert code.production == "2012-01-15"
    assert code.lot == "B201575"


def test_separator_before_serial() -> None:
    code = parse_code("01003123456789061712063010B201575\x1d21SN42")
    assert code.lot == "B201575"
    assert code.serial == "SN42"


@pytest.mark.parametrize(
    ("text", "expiry"),
    [
        ("(01)00312345678906(17)120600(10)B201575", "2012-06-30"),
        ("(01)00312345678906(17)120200(10)B201575", "2012-02-29"),  # leap year
        ("(01)00312345678906(17)230200(10)B201575", "2023-02-28"),
        ("https://id.example.com/01/00312345678906/10/B201575?17=121200", "2012-12-31"),
    ],
)
def test_expiry_day_00_is_last_day_of_month(text: str, expiry: str) -> None:
    assert parse_code(text).expiry == expiry


@pytest.mark.parametrize(
    ("text", "lot"),
    [
        ("B201575", "B201575"),
        ("  b201575 ", "B201575"),
        ("12345", "12345"),
        ("0012345", "0012345"),
        ("10B201575", "10B201575"),  # starts like AI 10 but short and plain
        ("1012345678901234567", "1012345678901234567"),  # numeric lot, AI 10 not guessed
        ("17ABC", "17ABC"),
        ("LOT-2024/03", "LOT-2024/03"),
        ("0100312345678907", "0100312345678907"),  # bad GTIN check digit: plain
    ],
)
def test_plain_lots_stay_plain(text: str, lot: str) -> None:
    code = parse_code(text)
    assert code == ScannedCode(lot=lot, source="plain")


def test_a_spaced_lot_is_a_lot_only_when_known() -> None:
    assert parse_code("b 201575", {"B 201575"}.__contains__).lot == "B 201575"
    with pytest.raises(UsageError, match="'b 201575' is not a lot"):
        parse_code("b 201575")


@pytest.mark.parametrize(
    "text",
    [
        "(01)00312345678906(17)120630",
        "0100312345678906",
        "01003123456789061712063021SN42",
        "https://id.example.com/01/00312345678906?17=120630",
    ],
)
def test_barcode_without_lot(text: str) -> None:
    with pytest.raises(RecallError, match=r"no lot \(10\) element") as info:
        parse_code(text)
    assert "type the lot printed on the box" in str(info.value)


@pytest.mark.parametrize("text", ["(99", "(01)12345(10)X", "]C1garbage", "https://example.com/x"])
def test_unreadable_gs1(text: str) -> None:
    with pytest.raises(RecallError, match="cannot read"):
        parse_code(text)


@pytest.mark.parametrize("text", ["", "   ", "\x1d", "<GS>"])
def test_empty_code(text: str) -> None:
    with pytest.raises(RecallError, match="empty"):
        parse_code(text)


# One lot-shaped token (normalize.lots.typed_lot): letters and digits, inner "-".
@given(st.from_regex(r"[A-HJ-NP-Z0-9]{1,6}(-[A-HJ-NP-Z0-9]{1,5})?", fullmatch=True))
def test_short_typed_lots_are_plain(text: str) -> None:
    code = parse_code(text)
    assert code.source == "plain"
    assert code.lot == normalize_lot(text)


# --------------------------------------------------------------------------- suggestions

KNOWN = ["B201575", "B201576", "C201575", "0012345", "LOT-77", "X9"]


@pytest.mark.parametrize(
    ("typed", "expected_first"),
    [
        ("B2O1575", "B201575"),  # O for 0
        ("LOT-7I", "LOT-77"),  # one char off (I is not a 7 look-alike)
        ("B2015I5", "B201575"),  # one char off
        ("BZ01575", "B201575"),  # Z for 2
        ("8201575", "B201575"),  # 8 for B
        ("B2015S5", "B201575"),  # S for 5
        ("012345", "0012345"),  # missing leading zero
        ("00012345", "0012345"),  # extra leading zero
        ("12345", "0012345"),  # two missing leading zeros (cost 1.0)
        ("B20157", "B201575"),  # dropped character
        ("B2015755", "B201575"),  # added character
        ("B201557", "B201575"),  # transposition
    ],
)
def test_suggest_first_choice(typed: str, expected_first: str) -> None:
    suggestions = suggest_lots(typed, KNOWN)
    assert suggestions, typed
    assert suggestions[0] == expected_first


def test_suggest_confusions_i_l_g() -> None:
    known = ["A1B", "G6X"]
    assert suggest_lots("AIB", known) == ["A1B"]
    assert suggest_lots("ALB", known) == ["A1B"]
    assert suggest_lots("66X", known) == ["G6X"]


def test_suggest_nothing_close() -> None:
    assert suggest_lots("ZZZZZZ", KNOWN) == []
    assert suggest_lots("A99999", KNOWN) == []
    assert suggest_lots("", KNOWN) == []
    assert suggest_lots("B201575", []) == []
    # two ordinary substitutions: distance 2 > 1.5
    assert suggest_lots("B2X1Y75", ["B201575"]) == []
    # length gap of 3 is prefiltered away
    assert suggest_lots("B201575999", ["B201575"]) == []


def test_suggest_excludes_itself_and_normalises_query() -> None:
    assert "B201575" not in suggest_lots("b201575 ", KNOWN)
    assert suggest_lots(" b201575", KNOWN) == ["B201576", "C201575"]


def test_suggest_ranking_confusion_before_substitution_then_alphabetical() -> None:
    known = ["B2O1575X", "B201575", "B2015750", "B201576", "A201575", "B20157"]
    # 0.5 to B201575 (O/0); 1.0 to B2O1575X (added char); 1.5 to the others
    result = suggest_lots("B2O1575", known)
    assert result[0] == "B201575"
    distances = [weighted_distance("B2O1575", lot) for lot in result]
    assert distances == sorted(distances)
    # ties are alphabetical
    assert suggest_lots("B201575", ["C201575", "A201575", "D201575"]) == [
        "A201575",
        "C201575",
        "D201575",
    ]


def test_suggest_limit() -> None:
    known = [f"B20157{c}" for c in "0123456789"]
    assert len(suggest_lots("B20157X", known)) == 5
    assert len(suggest_lots("B20157X", known, limit=2)) == 2
    assert suggest_lots("B20157X", known, limit=0) == []


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("B201575", "B201575", 0.0),
        ("B2O1575", "B201575", 0.5),
        ("BZO1575", "B201575", 1.0),
        ("B201575", "B201576", 1.0),
        ("012345", "12345", 0.5),
        ("12345", "0012345", 1.0),
        ("A012345", "A12345", 1.0),  # not a leading zero
        ("B201557", "B201575", 1.0),
        ("", "ABC", 3.0),
        ("", "00", 1.0),
    ],
)
def test_weighted_distance(a: str, b: str, expected: float) -> None:
    assert weighted_distance(a, b) == expected
    assert weighted_distance(b, a) == expected


def test_suggest_finds_the_lot_among_5000() -> None:
    # How long this takes is measured in bench/, never asserted here.
    known = [f"L{n:07d}" for n in range(0, 50_000, 10)]
    assert suggest_lots("LOO12340", known)[0] == "L0012340"


lot_text = st.text(alphabet="AB0O1I58SZ2G6L-", min_size=0, max_size=8)


@given(lot_text, st.lists(lot_text, max_size=20))
def test_suggest_never_returns_query_and_stays_within_known(typed: str, known: list[str]) -> None:
    result = suggest_lots(typed, known)
    assert normalize_lot(typed) not in result
    assert set(result) <= set(known)
    assert len(result) == len(set(result)) <= 5
    for lot in result:
        assert weighted_distance(normalize_lot(typed), lot) <= 1.5


# --------------------------------------------------------------------------- one_edit_away


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("B201575", "B201576", True),  # substitution
        ("B201575", "B20157", True),  # deletion
        ("B20157", "B201575", True),  # insertion
        ("B201575", "XB201575", True),
        ("B201575", "B201557", True),  # adjacent swap
        ("AB", "BA", True),
        ("B201575", "B201575", False),
        ("B201575", "B201", False),
        ("B201575", "B210576", False),
        ("ABC", "CBA", False),
        ("", "A", True),
        ("", "", False),
    ],
)
def test_one_edit_away(a: str, b: str, expected: bool) -> None:
    assert one_edit_away(a, b) is expected
    assert one_edit_away(b, a) is expected


def _osa(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@given(st.text(alphabet="ABC", max_size=6), st.text(alphabet="ABC", max_size=6))
def test_one_edit_away_matches_damerau(a: str, b: str) -> None:
    assert one_edit_away(a, b) is (_osa(a, b) == 1)


def test_wrong_gtin_check_digit_in_hri_keeps_lot_drops_gtin() -> None:
    code = parse_code("(01)00312345678907(10)B201575")
    assert code.lot == "B201575"
    assert code.gtin is None


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789()\x1d ]CdQ13ABhtps:/.?=", max_size=60),
        st.from_regex(r"(01|02|00|17|11)[0-9]{14,30}( [0-9A-Z]{1,10})?", fullmatch=True),
    )
)
def test_parse_code_fails_only_with_recall_error(text: str) -> None:
    try:
        code = parse_code(text)
    except RecallError:
        return
    assert code.lot
    assert code.lot == normalize_lot(code.lot)


@pytest.mark.parametrize("text", ["'", " ' ", "'\u200b"])
def test_a_code_that_normalises_to_nothing_is_empty(text: str) -> None:
    # Found by the property above: a lone Excel apostrophe left an empty lot.
    with pytest.raises(RecallError, match="empty lot or barcode"):
        parse_code(text)
