"""fix_codes, found from distinct values, does what the row-by-row rule says."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from recall_cli.normalize import postal
from recall_cli.normalize.sheet import EncodedColumns
from recall_cli.read.load import text_dtype

CODES = st.sampled_from(["1000", "01000", "75001", "2134", "02134", "12", "ABC 12", "", "１２３４"])
COUNTRIES = st.sampled_from(["FR", "US", "DE", "GB", "XX", "", "fr"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(CODES, COUNTRIES), min_size=1, max_size=40))
def test_fix_codes_is_the_row_rule(pairs: list[tuple[str, str]]) -> None:
    codes = pd.Series([c for c, _ in pairs], dtype=text_dtype())
    countries = pd.Series([cc for _, cc in pairs], dtype=text_dtype())
    fix = postal.fix_codes(codes, countries)
    # The same with the columns coded by the normaliser's EncodedColumns.
    enc = EncodedColumns()
    given_codes = postal.fix_codes(codes, countries, (enc.distinct(codes), enc.distinct(countries)))
    assert given_codes.codes.tolist() == fix.codes.tolist()
    assert np.array_equal(given_codes.bad, fix.bad)
    assert (given_codes.padded, given_codes.bad_countries) == (fix.padded, fix.bad_countries)
    want_codes, want_bad, want_padded = [], [], {}
    for code, cc in pairs:
        judged = code.isascii() and code.isdigit() and len(cc) == 2 and cc.isupper()
        fixed, verdict = postal.check(code, cc) if judged else (code, postal.OK)
        want_codes.append(fixed)
        want_bad.append(verdict == postal.BAD)
        if verdict == postal.PADDED:
            count, length = want_padded.get(cc, (0, 0))
            want_padded[cc] = (count + 1, max(length, len(fixed)))
    assert fix.codes.tolist() == want_codes
    assert fix.codes.dtype == codes.dtype
    assert np.array_equal(fix.bad, np.array(want_bad))
    assert fix.padded == want_padded
    bad_ccs = {cc for (_, cc), b in zip(pairs, want_bad, strict=True) if b}
    assert fix.bad_countries == {cc: postal.example_of(cc) for cc in bad_ccs}
