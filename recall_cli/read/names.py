"""How a file is named to a person: its base name, unless that names two files.

Exports from several sites often share a name (`site_a/shipments.csv`,
`site_b/shipments.csv`). A table of rows to review that says `shipments.csv` twice
sends a person to the wrong file, so where base names collide each file keeps as
many of its folders as tell it from the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import PurePath

__all__ = ["file_labels", "label_of"]


def file_labels(files: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """Each file (as given) → the shortest tail of its path no other file of the set ends with."""
    paths = list(dict.fromkeys(str(f) for f in files))
    parts = {p: PurePath(p).parts for p in paths}
    labels: dict[str, str] = {}
    for p in paths:
        mine = parts[p]
        others = [parts[q] for q in paths if q != p]
        for depth in range(1, len(mine) + 1):
            tail = mine[-depth:]
            if all(o[-depth:] != tail for o in others):
                labels[p] = "/".join(tail)
                break
        else:  # one path is a tail of another ("a/x.csv" and "/data/a/x.csv")
            labels[p] = p
    return labels


def label_of(file: str, labels: dict[str, str]) -> str:
    """The label of a file, its base name when the set did not hold it."""
    return labels.get(file) or os.path.basename(file)
