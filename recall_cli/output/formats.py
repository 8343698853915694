"""The one format vocabulary, and how a command's format is decided.

``--format`` takes ``table``, ``csv``, ``json``, ``xlsx`` or ``parquet`` (each command
offers the ones that make sense for it: parquet is written by ``sql`` and ``export
rows``). Without ``--format`` the suffix of ``-o`` decides:

====================  =========================================================
suffix                format
====================  =========================================================
``.csv``              csv
``.tsv``, ``.tab``    csv, tab-separated unless ``--output-delimiter`` says otherwise
``.json``             json
``.xlsx``             xlsx
``.parquet``          parquet
``.txt``              table (csv where the command has no table: ``export``);
                      any text format may be asked for with ``--format``
none, ``-``, a device the command's default (``table``; ``csv`` for ``export``)
anything else         a usage error without ``--format``; accepted with it
====================  =========================================================

The format never depends on whether stdout is a terminal: piped, a table is still a
table, only without colour. Scripts ask for csv or json.

A suffix that contradicts ``--format``, or names a format the command cannot write,
is a usage error (exit 2) naming the formats the command can write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from recall_cli.errors import UsageError

__all__ = ["BINARY_FORMATS", "FORMATS", "SUFFIXES", "Choice", "choose_format"]

FORMATS: tuple[str, ...] = ("table", "csv", "json", "xlsx", "parquet")
TEXT_FORMATS = frozenset({"table", "csv", "json"})
#: Formats that are bytes for a program, never for a terminal.
BINARY_FORMATS = frozenset({"xlsx", "parquet"})

#: suffix -> the formats it may hold, the first being the one it means by itself.
SUFFIXES: dict[str, tuple[str, ...]] = {
    ".csv": ("csv",),
    ".tsv": ("csv",),
    ".tab": ("csv",),
    ".json": ("json",),
    ".xlsx": ("xlsx",),
    ".parquet": ("parquet",),
    ".txt": ("table", "csv", "json"),
}
TAB_SUFFIXES = frozenset({".tsv", ".tab"})


@dataclass(frozen=True)
class Choice:
    format: str
    tab_separated: bool = False  # .tsv: the CSV's default delimiter is a tab


def _suffix(output: str) -> str:
    if output == "-" or output.startswith("/dev/"):
        return ""
    return PurePath(output).suffix.lower()


def choose_format(
    command: str, offered: tuple[str, ...], requested: str | None, output: str, default: str
) -> Choice:
    """The format to write, from ``--format`` (``requested``), the ``-o`` suffix, the default.

    Raises :class:`UsageError` (exit 2) when they disagree or the command cannot write it.
    """
    can = f"{command} can write: {', '.join(offered)}"
    suffix = _suffix(output)
    holds = SUFFIXES.get(suffix)
    tab = suffix in TAB_SUFFIXES
    if requested is not None:
        if requested not in offered:
            raise UsageError(f"--format {requested}: {can}")
        if holds is not None and requested not in holds:
            raise UsageError(
                f"-o {output}: a {suffix} file holds {' or '.join(holds)}, but --format is "
                f"{requested}; change the suffix or the format ({can})"
            )
        return Choice(requested, tab and requested == "csv")
    if not suffix:
        return Choice(default)
    if holds is None:
        raise UsageError(
            f"-o {output}: cannot tell the format from the suffix {suffix}; give --format ({can})"
        )
    usable = [f for f in holds if f in offered]
    if not usable:
        raise UsageError(f"-o {output}: {command} cannot write {' or '.join(holds)} ({can})")
    return Choice(usable[0], tab)
