"""arrowbits: Arrow to numpy through buffers gives what pyarrow's own conversion gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_cli.normalize import arrowbits as ab


def _chunked(values: list, type_: pa.DataType, cut: int) -> pa.ChunkedArray:
    """The values in two chunks, the second a slice (an offset into its buffers)."""
    whole = pa.array([None, *values], type=type_)
    return pa.chunked_array([whole.slice(1, cut), whole.slice(1 + cut)], type=type_)


@given(st.lists(st.one_of(st.none(), st.booleans()), max_size=40), st.integers(0, 40))
def test_bools_match_arrow(values: list, cut: int) -> None:
    arr = _chunked(values, pa.bool_(), min(cut, len(values)))
    assert ab.bools(arr).tolist() == [bool(v) for v in values]


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=40), st.integers(0, 40))
def test_fixed_floats_keep_nulls_apart(values: list, cut: int) -> None:
    arr = _chunked(values, pa.float64(), min(cut, len(values)))
    got = ab.fixed(arr, "float64", np.nan)
    assert [None if np.isnan(v) else v for v in got] == values


def test_fixed_casts_instead_of_reading_another_type() -> None:
    assert ab.fixed(pa.array([1, None, 3], pa.int64()), "float64", np.nan).tolist()[::2] == [
        1.0,
        3.0,
    ]
    assert ab.fixed(pa.array([7], pa.int32()), "int64").tolist() == [7]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_days_whatever_the_timestamp_unit(unit: str) -> None:
    when = [dt.datetime(2010, 12, 31, 23, 59, 59), None, dt.datetime(1969, 7, 20, 20, 17)]
    days = ab.days(pa.array(when, pa.timestamp(unit)))
    assert days[0] == np.datetime64("2010-12-31") and np.isnat(days[1])
    assert days[2] == np.datetime64("1969-07-20")
    assert ab.seconds(pa.array(when, pa.timestamp(unit)))[0] == 1293839999


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "é", "B201575"])), max_size=30),
       st.integers(0, 30))  # fmt: skip
def test_distinct_codes_point_at_the_values(values: list, cut: int) -> None:
    want = ["" if v is None else v for v in values]
    for arr in (_chunked(values, pa.large_string(), min(cut, len(values))),
                pa.array([None, *values], pa.large_string()).slice(1),
                pa.chunked_array([pa.array(values, pa.string())], pa.string())):  # fmt: skip
        d = ab.distinct(arr)
        assert [d.values[c] for c in d.codes] == want
        assert len(set(d.values)) == len(d.values)  # each value once


def test_strings_indices_and_text_round_trip() -> None:
    words = ["", "lot", "Müller", "B201575"]
    assert ab.strings(words).to_pylist() == words
    assert ab.strings([]).to_pylist() == []
    table = pa.table({"x": pa.array(["a", "b", "c", "d"])})
    assert table.take(ab.indices(np.array([3, 0]))).column("x").to_pylist() == ["d", "a"]
    assert ab.bools(pc.equal(table["x"], ab.text("c"))).tolist() == [False, False, True, False]


# Every character Arrow or Python calls whitespace, beside letters whose UTF-8
# bytes look like a space's lead byte (é is C3 A9, ぁ is E3 81 81, Ā is C4 80).
_EDGY = st.lists(
    st.sampled_from(
        [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\u00a0",
         "\u1680", "\u2000", "\u2007", "\u200a", "\u200b", "\u2028", "\u2029", "\u202f",
         "\u205f", "\u3000", "\ufeff", "a", "é", "ぁ", "Ā", "€", "B2", "0", "😀"]
    ),
    max_size=6,
).map("".join)  # fmt: skip


@given(st.lists(st.one_of(st.none(), _EDGY), max_size=30), st.integers(0, 30),
       st.sampled_from([pa.string(), pa.large_string()]))  # fmt: skip
def test_trimmed_is_arrows_trim_with_nulls_as_blank(
    values: list, cut: int, type_: pa.DataType
) -> None:
    arr = _chunked(values, type_, min(cut, len(values)))
    want = pc.utf8_trim_whitespace(pc.fill_null(arr, "")).to_pylist()
    got = ab.trimmed(arr)
    assert got.type == pa.large_string() and got.null_count == 0
    assert got.to_pylist() == want


def test_trimmed_shares_the_buffers_of_a_clean_column() -> None:
    clean = pa.array(["B201575", "Hélène", "", None], pa.large_string())
    got = ab.trimmed(clean).chunk(0)
    assert got.buffers()[2].address == clean.buffers()[2].address
    assert got.to_pylist() == ["B201575", "Hélène", "", ""]
    dirty = pa.array([" b201575 ", "x"], pa.large_string())
    assert ab.trimmed(dirty).to_pylist() == ["b201575", "x"]


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", "é"])), max_size=30),
       st.integers(0, 30), st.sampled_from([pa.string(), pa.large_string()]))  # fmt: skip
def test_filled_is_not_null_and_not_empty(values: list, cut: int, type_: pa.DataType) -> None:
    arr = _chunked(values, type_, min(cut, len(values)))
    want = [v not in (None, "") for v in values]
    assert ab.filled(arr).tolist() == want
    # A compact cached column: codes, as narrow as the cache stores them, in chunks.
    assert ab.filled(_coded(arr, pa.int8())).tolist() == want


def _coded(arr: pa.ChunkedArray, width: pa.DataType) -> pa.ChunkedArray:
    """The column as the cache stores it: codes of `width` into its distinct values."""
    coded = pa.dictionary(width, ab.value_type(arr))
    return pa.chunked_array([pc.dictionary_encode(c).cast(coded) for c in arr.chunks], coded)


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "data", "total"])), max_size=30),
       st.integers(0, 30))  # fmt: skip
def test_distinct_of_a_dictionary_column(values: list, cut: int) -> None:
    plain = _chunked(values, pa.large_string(), min(cut, len(values)))
    want = ["" if v is None else v for v in values]
    for arr in (pc.dictionary_encode(plain), pc.dictionary_encode(plain).combine_chunks(),
                _coded(pa.chunked_array([plain.combine_chunks()]), pa.int8()),
                _coded(plain, pa.int16())):  # fmt: skip
        d = ab.distinct(arr)
        assert [d.values[c] for c in d.codes] == want
        assert sorted(d.values) == sorted(set(want))  # each value present, once


@given(st.lists(st.sampled_from(["B201575", "F201611", "", "ZZZ"]), min_size=1, max_size=30),
       st.data())  # fmt: skip
def test_distinct_of_rows_taken_from_a_dictionary_column(values: list, data: st.DataObject) -> None:
    # Rows taken from a compact column keep its whole dictionary; the values no
    # taken row holds must not come back (summary lists each country found).
    column = _coded(pa.chunked_array([pa.array(values, pa.large_string())]), pa.int8())
    at = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=len(values)))
    taken = column.take(ab.indices(np.array(at, dtype=np.int64)))
    d = ab.distinct(taken)
    assert [d.values[c] for c in d.codes] == [values[i] for i in at]
    assert sorted(d.values) == sorted({values[i] for i in at})


def test_plain_gives_the_values_of_codes_and_leaves_text_alone() -> None:
    text = pa.chunked_array([pa.array(["a", None, "b", "a"], pa.large_string())])
    coded = _coded(text, pa.int8())
    assert ab.plain(coded).type == pa.large_string()
    assert ab.plain(coded).to_pylist() == text.to_pylist()
    assert ab.plain(text) is text
    assert ab.pylist(coded) == ab.pylist(text) == ["a", None, "b", "a"]
    table = pa.table({"coded": coded, "text": text, "n": pa.chunked_array([[1, 2, 3, 4]])})
    assert ab.records(table) == [
        {"coded": v, "text": v, "n": n}
        for v, n in zip(["a", None, "b", "a"], range(1, 5), strict=True)
    ]
    assert ab.value_type(coded) == ab.value_type(text) == pa.large_string()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "data", "total", "é"])), max_size=30),
       st.integers(0, 30), st.lists(st.sampled_from(["", "data", "total", "é", "gone"]),
                                    max_size=4))  # fmt: skip
def test_among_is_arrows_is_in_on_text_and_on_codes(values: list, cut: int, wanted: list) -> None:
    plain = _chunked(values, pa.large_string(), min(cut, len(values)))
    want = [v is not None and v in wanted for v in values]
    assert ab.among(plain, wanted).tolist() == want
    assert ab.among(plain.cast(pa.string()), wanted).tolist() == want
    for width in (pa.int8(), pa.int16()):
        coded = _coded(plain, width)
        assert ab.among(coded, wanted).tolist() == want
        # Rows taken from a coded column keep the whole dictionary.
        at = np.arange(len(values))[::-1].copy()
        assert ab.among(coded.take(ab.indices(at)), wanted).tolist() == want[::-1]


def test_among_a_dictionary_whose_null_slots_hold_any_code() -> None:
    # Arrow leaves the codes of null slots unspecified: they are never looked up.
    codes = pa.array(np.array([0, 7, 1, 0], dtype=np.int8), mask=np.array([0, 1, 0, 0], bool))
    coded = pa.DictionaryArray.from_arrays(codes.fill_null(0), pa.array(["a", "b"]))
    nulled = pa.DictionaryArray.from_buffers(
        coded.type,
        4,
        [codes.buffers()[0], pa.py_buffer(np.array([0, 7, 1, 0], np.int8))],
        coded.dictionary,
    )
    assert nulled.null_count == 1
    assert ab.among(nulled, ["a"]).tolist() == [True, False, False, True]
    assert ab.among(nulled, ["a", "b"]).tolist() == [True, False, True, True]
    assert ab.among(nulled, []).tolist() == [False] * 4


@given(st.lists(st.booleans(), min_size=1, max_size=6), st.data())
def test_spread_is_a_lookup_per_row(flags: list, data: st.DataObject) -> None:
    from recall_cli.normalize.distinct import spread

    table = np.array(flags, dtype=bool)
    codes = np.array(data.draw(st.lists(st.integers(0, len(flags) - 1), max_size=20)), np.int8)
    assert spread(table, codes).tolist() == table[codes].tolist()


def test_codes_in_range_looks_at_the_valid_slots_only() -> None:
    mask = pa.py_buffer(np.packbits(np.array([1, 0, 1, 1], bool), bitorder="little"))

    def coded(codes: list[int], valid: pa.Buffer | None) -> pa.DictionaryArray:
        type_ = pa.dictionary(pa.int8(), pa.large_string())
        return pa.DictionaryArray.from_buffers(
            type_, len(codes), [valid, pa.py_buffer(np.array(codes, np.int8))],
            pa.array(["a", "b"], pa.large_string()),
        )  # fmt: skip

    assert ab.codes_in_range(coded([0, 1, 1, 0], None))
    assert not ab.codes_in_range(coded([0, 2, 1, 0], None))
    assert not ab.codes_in_range(coded([0, -1, 1, 0], None))
    assert ab.codes_in_range(coded([0, 9, 1, 0], mask))  # a null slot's code means nothing
    assert not ab.codes_in_range(coded([0, 9, 2, 0], mask))
    assert ab.codes_in_range(coded([], None))
    # A dictionary longer than the codes' width addresses: a negative code still fails.
    long = pa.array([str(i) for i in range(300)], pa.large_string())
    wide = pa.DictionaryArray.from_buffers(
        pa.dictionary(pa.int8(), pa.large_string()), 2,
        [None, pa.py_buffer(np.array([5, -1], np.int8))], long,
    )  # fmt: skip
    assert not ab.codes_in_range(wide)


def test_among_a_column_of_nulls_only() -> None:
    # An empty sheet's columns come out of pandas as Arrow's null type.
    assert ab.among(pa.array([None, None], pa.null()), ["data"]).tolist() == [False, False]
    assert ab.among(pa.chunked_array([], pa.null()), ["data"]).tolist() == []
    assert ab.bools(pc.equal(pa.array([None], pa.null()), ab.text("data"))).tolist() == [False]


@given(
    st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "é", "B201575"])),
                      max_size=12), min_size=1, max_size=6),
    st.data(),
)  # fmt: skip
def test_take_is_arrows_take_whatever_the_chunks(chunks: list, data: st.DataObject) -> None:
    arr = pa.chunked_array([pa.array(c, pa.large_string()) for c in chunks], pa.large_string())
    n = len(arr)
    positions = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=n // 8 + 3))
    if not n:
        positions = []
    if data.draw(st.booleans()):
        positions = sorted(positions)
    at = np.array(positions, dtype=np.int64)
    want = arr.take(ab.indices(at))
    got = ab.take(arr, at)
    assert got.num_chunks == 1 and got.type == arr.type
    assert got.to_pylist() == want.to_pylist()
    table = pa.table({"a": arr, "b": pa.chunked_array([pa.array(range(n))])})
    assert ab.take_rows(table, at).to_pylist() == table.take(ab.indices(at)).to_pylist()


def test_take_says_so_of_a_position_outside() -> None:
    arr = pa.chunked_array([pa.array(["a"] * 20), pa.array(["b"] * 20)])
    assert ab.take(arr, np.array([39, 0])).to_pylist() == ["b", "a"]
    with pytest.raises(IndexError):
        ab.take(arr, np.array([40]))
