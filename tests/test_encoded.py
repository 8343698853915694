"""The normaliser's codes: a column's codes, however they were found, are the codes
that hashing its rows gives (the distinct values in the order they first occur)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from recall_cli.normalize import dates
from recall_cli.normalize.sheet import EncodedColumns
from recall_cli.read.load import text_dtype

TEXTS = st.lists(
    st.one_of(st.none(), st.sampled_from(["", " a", "A", "b", "B ", "é", "12/01/2010", "x"])),
    max_size=40,
)


def _hashed(col: pd.Series) -> tuple[list[int], list[str]]:
    arr = pc.fill_null(pa.chunked_array(col.array.__arrow_array__()), "")
    encoded = pc.dictionary_encode(arr).combine_chunks()
    return encoded.indices.to_pylist(), encoded.dictionary.to_pylist()


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from([str.upper, str.strip, lambda v: v[:1], lambda v: "", str]))
def test_a_mapped_columns_codes_are_its_own(values: list, fn) -> None:  # type: ignore[no-untyped-def]
    col = pd.Series(values, dtype=text_dtype())
    enc = EncodedColumns()
    out = enc.text(col, fn)
    assert out.tolist() == [fn("" if v is None else v) for v in values]
    got = enc.distinct(out)
    codes, uniques = _hashed(out)
    assert got.codes.tolist() == codes and got.values == uniques
    # The questions asked of the mapped column see its own values.
    assert enc.uniques(out) == uniques
    assert enc.values(out, lambda v: v == "A", bool).tolist() == [v == "A" for v in out]
    rows = np.array([i % 2 == 0 for i in range(len(out))], dtype=bool)
    want: dict[str, int] = {}
    for v, r in zip(out.tolist(), rows.tolist(), strict=True):
        if r:
            want[v.lower()] = want.get(v.lower(), 0) + 1
    assert enc.counts(out, str.lower, rows) == want


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["01/02/2010", "13/02/2010", "2010-02-01", "", "x", "2/1/10"]),
                max_size=30))  # fmt: skip
def test_dates_from_given_codes_are_the_dates_hashed(values: list[str]) -> None:
    col = pd.Series(values, dtype=text_dtype())
    want_dates, want_problem, want_order, want_notes = dates.parse_dates(col)
    got_dates, got_problem, got_order, got_notes = dates.parse_dates(
        col, encoded=EncodedColumns().distinct(col)
    )
    assert got_dates.equals(want_dates) and got_order == want_order
    assert [got_problem.values[c] for c in got_problem.codes] == [
        want_problem.values[c] for c in want_problem.codes
    ]
    assert [got_notes.values[c] for c in got_notes.codes] == [
        want_notes.values[c] for c in want_notes.codes
    ]
