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
        return table[self.codes]
