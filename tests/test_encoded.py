"""The normaliser's codes: a column's codes, however they were found, are the codes
that hashing its rows gives (the distinct values in the order they first occur)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recall_cli import load_shipments
from recall_cli.normalize import arrowbits as ab
from recall_cli.normalize import dates
from recall_cli.normalize.distinct import Distinct
from recall_cli.normalize.sheet import EncodedColumns, first_order
from recall_cli.query import buckets, result
from recall_cli.query.buckets import RULE_COLUMNS, RecallScope
from recall_cli.query.tally import Tally
from recall_cli.read.load import text_dtype

from .conftest import write_csv

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


SAMPLES = Path(__file__).parent.parent / "sample_data"


def _same(a: Distinct, b: Distinct) -> None:
    assert a.values == b.values
    assert a.codes.tolist() == b.codes.tolist()


def _rows_with_everything(tmp_path: Path) -> Path:
    """Data, blank, totals, repeated header, ragged and name-keyed rows, odd countries."""
    rows = [
        ["Lot", "Ship Date", "Customer ID", "Name", "Postal Code", "Country", "Qty"],
        ["B201575", "12/01/2010", "C1", "Ann", "1000", "France", "2"],
        ["b201575 ", "12/02/2010", "", "Bob", "02134", "US", "1"],
        ["", "", "", "", "", "", ""],
        ["Total", "", "", "", "", "", "3"],
        ["Lot", "Ship Date", "Customer ID", "Name", "Postal Code", "Country", "Qty"],
        ["B201578", "13/12/2010", "C2", "Cy", "75001", "FR", "x"],
        ["B201578", "12/03/2010", "C2", "Cy"],
        ["#N/A", "12/04/2010", "C3", "Di", "12", "DE", "1,5"],
    ]
    return write_csv(tmp_path / "everything.csv", rows)


@pytest.mark.parametrize(
    "name", ["fr_expeditions_2010.csv", "us_returns_and_late.csv", "us_shipments_2010.xlsx", None]
)
def test_the_normalisers_codes_are_the_rule_inputs_hashed(tmp_path: Path, name: str | None) -> None:
    path = SAMPLES / name if name else _rows_with_everything(tmp_path)
    shipments = load_shipments([path])
    table = pa.Table.from_pandas(shipments.rows[list(RULE_COLUMNS)], preserve_index=False)
    hashed = buckets.rule_inputs(table)
    given_codes = result.rule_inputs(shipments)
    for column in ("kind", "lot", "country", "problem", "key"):
        _same(getattr(given_codes, column), getattr(hashed, column))
    if len(shipments.sources) == 1:  # one table: the codes came from the normaliser
        assert shipments.coded("kind") is not None and shipments.coded("lot") is not None


def test_codes_of_a_replaced_column_are_not_used(tmp_path: Path) -> None:
    shipments = load_shipments([_rows_with_everything(tmp_path)])
    assert shipments.coded("lot") is not None
    shipments.rows["lot"] = shipments.rows["lot"].str.lower()
    assert shipments.coded("lot") is None
    shipments.rows.loc[0, "country"] = "XX"
    assert shipments.coded("country") is None
    table = pa.Table.from_pandas(shipments.rows[list(RULE_COLUMNS)], preserve_index=False)
    _same(result.rule_inputs(shipments).lot, buckets.rule_inputs(table).lot)
    _same(result.rule_inputs(shipments).country, buckets.rule_inputs(table).country)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 7), max_size=60), st.integers(0, 40))
def test_first_order_is_the_order_hashing_gives(codes: list[int], spread_out: int) -> None:
    k = 8 + spread_out  # past 32 distinct codes the other way of finding first rows is taken
    texts = [f"t{i}" for i in range(k)]
    at = np.array([c * (1 + spread_out) % k for c in codes], dtype=np.int32)
    got = first_order(at, k, texts)
    _same(got, ab.distinct(pa.array([texts[c] for c in at.tolist()], pa.large_string())))
    many = np.arange(40, dtype=np.int32)[::-1]
    _same(first_order(many, 40, [f"t{i}" for i in range(40)]),
          ab.distinct(pa.array([f"t{i}" for i in many.tolist()], pa.large_string())))  # fmt: skip


@pytest.mark.parametrize("name", ["fr_expeditions_2010.csv", "us_shipments_2010.xlsx", None])
def test_a_tally_on_the_rules_codes_says_what_it_says_on_its_own(
    tmp_path: Path, name: str | None
) -> None:
    path = SAMPLES / name if name else _rows_with_everything(tmp_path)
    shipments = load_shipments([path])
    lots = ("B201575", "B201578", "NOPE1")
    found = result.find_affected(shipments, RecallScope(lots=lots))
    given_codes = found.tally
    assert given_codes.coded is not None
    alone = Tally(given_codes.table, found.codes, given_codes.source, given_codes.sources,
                  found.scope, copies=found.copies, duplicates=shipments.duplicates)  # fmt: skip
    assert given_codes.is_data.tolist() == alone.is_data.tolist()
    assert given_codes.summary() == alone.summary()
    assert given_codes.warnings() == alone.warnings()
    assert given_codes.customers() == alone.customers()
