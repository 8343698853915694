"""How to read the files: which sheets, which encoding and delimiter, which password."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadOptions:
    sheets: tuple[str, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    password: str | None = None
    max_unzipped_mb: int | None = None
    recursive: bool = False  # read the subfolders of a folder too
