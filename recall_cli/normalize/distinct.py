"""A text column as codes into its distinct values: rules run once per value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Distinct:
    """A text column as codes per row into its distinct values.

    Lots, countries and row kinds repeat a lot: each rule is decided once per
    distinct value and spread to the rows with the codes.
    """

    codes: np.ndarray
    values: list[str]

    def where(self, test: Callable[[str], bool]) -> np.ndarray:
        table = np.array([test(v) for v in self.values] or [False], dtype=bool)
        return spread(table, self.codes)


def spread(flags: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """`flags[codes]`: each row's flag, from one flag per distinct value.

    Most tests hold for no value, one value or every value (the row kind "data",
    a blank lot): a comparison of the codes is some twenty times cheaper than
    looking each row up. `codes` must all be valid indexes into `flags`.
    """
    hits = np.flatnonzero(flags)
    if len(hits) == 0:
        return np.zeros(len(codes), dtype=bool)
    if len(hits) == len(flags):
        return np.ones(len(codes), dtype=bool)
    if len(hits) == 1:
        return codes == int(hits[0])
    if len(hits) == len(flags) - 1:
        return codes != int(np.flatnonzero(~flags)[0])
    return flags[codes]
