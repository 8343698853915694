"""How to read the files: which sheets, which encoding and delimiter, which password."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadOptions:
    sheets: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    password: str | None = None
    max_unzipped_mb: int | None = None
    recursive: bool = False  # read the subfolders of a folder too
    #: Whether a cell text is a known column name: picks the code page of a CSV that is
    #: not UTF-8 (read.encoding). normalize knows the names; read only asks.
    known_header: Callable[[str], bool] | None = field(default=None, compare=False)
