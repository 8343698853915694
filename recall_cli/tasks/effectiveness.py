"""Effectiveness checks (21 CFR 7.42(b)(3)): which consignees to contact.

Levels: A = 100%, B = a percentage between 10 and 100 (exclusive), C = 10%,
D = 2%, E = no check. The draw is stratified by country so a small foreign
market is never left out, and reproducible: the same seed and the same
affected list give the same customers.
"""

from __future__ import annotations

import math
import secrets

import numpy as np
import pandas as pd

from recall_cli.errors import ScopeError

LEVELS: dict[str, float | None] = {"A": 100.0, "B": None, "C": 10.0, "D": 2.0, "E": 0.0}


def level_percent(level: str, percent: float | None) -> float:
    """The share of consignees a level asks for; B needs the user's percent."""
    level = level.upper()
    if level not in LEVELS:
        raise ScopeError(f"unknown level {level!r}", hint="one of A, B, C, D, E")
    fixed = LEVELS[level]
    if fixed is not None:
        if percent is not None:
            raise ScopeError(f"--percent only goes with level B (level {level} is {fixed:g}%)")
        return fixed
    if percent is None or not 10 < percent < 100:
        raise ScopeError(
            "level B needs --percent strictly between 10 and 100",
            hint="10% is level C and 100% is level A",
        )
    return float(percent)


def new_seed() -> int:
    return secrets.randbelow(2**31)


def stratum_sizes(counts: pd.Series, percent: float) -> dict[str, int]:
    """Per country: percent of its customers rounded up, at least one (none at 0%)."""
    if percent <= 0:
        return {str(c): 0 for c in counts.index}
    return {
        str(c): min(int(n), max(1, math.ceil(n * percent / 100 - 1e-9))) for c, n in counts.items()
    }


def draw_sample(customers: pd.DataFrame, percent: float, seed: int) -> pd.DataFrame:
    """The drawn rows of `customers` (an affected table), sorted by country then id.

    Strata are visited in sorted country order and rows in their given order, so
    the draw depends only on the seed and the list, not on how it was read.
    """
    country = customers["country"].fillna("").astype(str)
    counts = country.value_counts().sort_index()
    sizes = stratum_sizes(counts, percent)
    rng = np.random.default_rng(seed)
    picked: list[np.ndarray] = []
    for c in counts.index:
        where = np.flatnonzero((country == c).to_numpy())
        n = sizes[str(c)]
        if n:
            picked.append(np.sort(rng.choice(where, size=n, replace=False)))
    index = np.concatenate(picked) if picked else np.array([], dtype=np.int64)
    out = customers.iloc[index].copy()
    out.insert(0, "stratum", country.iloc[index].replace("", "unknown").to_numpy())
    return out.sort_values(["stratum", "customer_id"], kind="stable").reset_index(drop=True)


def sample_customers(
    customers: pd.DataFrame, level: str, percent: float | None = None, seed: int | None = None
) -> tuple[pd.DataFrame, int, float]:
    """The drawn customers, the seed used (new if none given) and the share drawn."""
    share = level_percent(level, percent)
    used = new_seed() if seed is None else seed
    return draw_sample(customers, share, used), used, share
