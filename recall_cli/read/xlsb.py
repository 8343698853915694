"""What an .xlsb sheet's own records say, to catch what the reader leaves out.

An xlsb cell record comes in two forms ([MS-XLSB] 2.5.9 Cell, 2.5.10 ShortCell): the
usual one starts with the cell's column; the "short" one (BrtShortBlank ...
BrtShortIsst, record types 12-18) leaves it out, meaning "the column after the
previous cell". Excel writes only the usual form; SheetJS writes the short form for
every cell after the first of a row. calamine 0.36 skips short records, so such a
sheet reads as its column A alone, with no error (docs/design/upstream.md).

A sheet is refused when it holds short records AND the cells read are narrower
than the sheet's own dimension record (BrtWsDim) says: the second condition keeps a
future calamine that reads them, or a sheet whose dimension merely counts formatted
blank cells, from being refused.

Public API
----------
records(data) -> iterator of (record type, payload)
check_short_cells(source, sheet, width, *, file) -> None, or raises InputFileError
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from defusedxml import DefusedXmlException

from recall_cli.errors import InputFileError

Source = Path | bytes

_BRT_BUNDLE_SH: Final = 0x009C
_BRT_END_BUNDLE_SHS: Final = 0x0090
_BRT_WS_DIM: Final = 0x0094
_BRT_BEGIN_SHEET_DATA: Final = 0x0091
_SHORT_CELLS: Final = frozenset(range(0x000C, 0x0013))
#: Bytes of a sheet part scanned for short records: SheetJS writes them in every row.
SCAN_BYTES: Final = 1024 * 1024
_REL_NS: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type, payload) of each BIFF12 record: 7-bit varint type (1-2 bytes) and size (1-4).
    Stops at the first record cut short."""
    pos, n = 0, len(data)
    while pos < n:
        rec_type = data[pos] & 0x7F
        if data[pos] & 0x80:
            if pos + 1 >= n:
                return
            rec_type |= (data[pos + 1] & 0x7F) << 7
            pos += 1
        pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= n:
                return
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if pos + size > n:
            return
        yield rec_type, data[pos : pos + size]
        pos += size


def check_short_cells(source: Source, sheet: str, width: int, *, file: Path) -> None:
    """Refuse `sheet` when it holds short cell records and the `width` columns read
    (counted from column A) fall short of its dimension record."""
    head = _sheet_head(source, sheet)
    if head is None:
        return
    some = "" if len(head) < SCAN_BYTES else "at least "  # only the part's start is read
    dim_cols: int | None = None
    short = 0
    for rec_type, payload in records(head):
        if rec_type == _BRT_WS_DIM and len(payload) >= 16:
            dim_cols = struct.unpack_from("<I", payload, 12)[0] + 1  # colLast, 0-based
        elif rec_type in _SHORT_CELLS:
            short += 1
    if not short or dim_cols is None or width >= dim_cols:
        return
    from recall_cli.read.flatods import convert_hint

    raise InputFileError(
        f"stores {some}{short:,} cells in the short form SheetJS writes, which the xlsb "
        f"reader skips: only {width} of the sheet's {dim_cols} columns would be read",
        file=file,
        sheet=sheet,
        hint=convert_hint(file, "xlsx").replace("convert", "re-save", 1)
        + ", or open it in Excel and save it as .xlsx",
    )


def _sheet_head(source: Source, sheet: str) -> bytes | None:
    """The first SCAN_BYTES of `sheet`'s part, found through workbook.bin and its rels."""
    try:
        with (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as fh,
            zipfile.ZipFile(fh) as zf,
        ):
            names = {n.replace("\\", "/").lower(): n for n in zf.namelist()}
            book = names.get("xl/workbook.bin")
            rels = names.get("xl/_rels/workbook.bin.rels")
            if book is None or rels is None:
                return None
            with zf.open(book) as member:
                rel_id = _rel_id_of(member.read(4 * 1024 * 1024), sheet)
            target = _target(zf.read(rels), rel_id) if rel_id else None
            if target is None:
                return None
            # A target is relative to xl/, or absolute from the package root.
            where = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            part = names.get(posixpath.normpath(where).lower())
            if part is None:
                return None
            with zf.open(part) as member:
                return member.read(SCAN_BYTES)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, EOFError, SyntaxError,
            struct.error, DefusedXmlException):  # fmt: skip
        return None  # the reader's own errors say what is wrong with the file


def _wide(payload: bytes, pos: int) -> tuple[str | None, int]:
    (count,) = struct.unpack_from("<I", payload, pos)
    if count == 0xFFFFFFFF:
        return None, pos + 4
    end = pos + 4 + 2 * count
    return payload[pos + 4 : end].decode("utf-16-le", errors="replace"), end


def _rel_id_of(book: bytes, sheet: str) -> str | None:
    """The relationship id of the sheet named `sheet` (BrtBundleSh: state, tab id,
    relationship id, name)."""
    for rec_type, payload in records(book):
        if rec_type == _BRT_BUNDLE_SH and len(payload) >= 12:
            rel_id, pos = _wide(payload, 8)
            name, _ = _wide(payload, pos)
            if name == sheet:
                return rel_id
        elif rec_type == _BRT_END_BUNDLE_SHS:
            break
    return None


def _target(rels: bytes, rel_id: str) -> str | None:
    import defusedxml.ElementTree as DefusedET

    root = DefusedET.fromstring(rels)
    for rel in root.iter(f"{_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            return rel.get("Target")
    return None
