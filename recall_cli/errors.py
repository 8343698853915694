"""The project's own exceptions. No click here: cli.py translates them at the edge.

Messages name the file, the sheet, the row and the fix, and never carry a
patient value (a name, an email, an address): they end up in terminals,
tickets and logs.
"""

from __future__ import annotations

from pathlib import Path


class RecallError(Exception):
    """Base class: a problem the user can fix. Exit status 1."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        sheet: str | None = None,
        row: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.sheet = sheet
        self.row = row
        self.hint = hint
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row:
            parts.append(f"row {self.row}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputFileError(RecallError):
    """A file that cannot be read: missing, empty, not a spreadsheet, damaged, encrypted."""


class SchemaError(RecallError):
    """A sheet whose header lacks a required column."""


class UsageError(RecallError):
    """Options that cannot work together or cannot be used as given. Exit status 2."""

    exit_code = 2


class NotALotError(UsageError):
    """Typed text that is not a lot (spaces or punctuation, and no known lot is spelled
    so): never answered NOT IN RECALL. Exit status 2."""


class ScopeError(UsageError):
    """An unusable recall scope: no lot, --from after --to, a bad recall file. Exit status 2."""


class ExportError(RecallError):
    """An output that cannot be written (exists without --force, bad folder...)."""


class CacheError(RecallError):
    """A cache folder the tool will not touch (not its own, another user's)."""
