"""The date system of a workbook, read from the workbook itself, and its date cells
converted from their raw serials.

Excel stores a date as a day count (a serial) from one of two epochs: 1900 (Windows)
or 1904 (Excel for Mac, and any workbook with "Use 1904 date system" ticked). A
reader that takes the wrong epoch moves every date by 1,462 days and says nothing.
calamine 0.36 (inside fastexcel 0.21) does exactly that on the 1904 xlsx files
current Excel writes (docs/design/upstream.md), so a 1904 workbook's date cells are not
taken from the reader's conversion: they are read again as raw serials (fastexcel's
"duration" dtype gives the serial of a date cell and nothing for any other cell)
and converted here, with the epoch read from the file. That is right whichever
epoch the reader used, in this version or a later one.

Public API
----------
date1904(source, kind, *, file=None) -> bool
correct_1904(reader, sheet, table) -> table
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path
from typing import Any, Final

from recall_cli.read.xlsb import records

EPOCH_1904: Final = "1904-01-01"
#: How fastexcel writes a real date cell as text (xlsx, xls, xlsb: a space; ods: a T).
READER_DATETIME: Final = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"

Source = Path | bytes


def date1904(source: Source, kind: str, *, file: str | Path | None = None) -> bool:
    """True when the workbook counts its serials from 1904-01-01.

    xlsx: the workbook's own <workbookPr date1904> (sniff); xls: the DATEMODE record;
    xlsb: the f1904 bit of BrtWbProp; ods: <table:null-date> at 1904-01-01 (ods keeps
    real dates as ISO text, so only plain numbers read as serials depend on it).
    Anything that cannot be read counts as 1900, the default of every format.
    """
    if kind == "xlsx":
        from recall_cli.read import sniff

        return sniff.xlsx_is_1904(source, file=file)
    if kind == "xls":
        return _xls_1904(source)
    if kind == "xlsb":
        return _xlsb_1904(source)
    if kind == "ods":
        return _ods_1904(source)
    return False


def _open(source: Source) -> Any:
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")


def _xls_1904(source: Source) -> bool:
    """DATEMODE (0x0022) in the globals substream: 1 means 1904."""
    import olefile

    try:
        with _open(source) as fh:
            ole = olefile.OleFileIO(fh)
            try:
                name = "Workbook" if ole.exists("Workbook") else "Book"
                with ole.openstream(name) as stream:
                    data = stream.read(256 * 1024)
            finally:
                ole.close()
    except Exception:  # olefile raises many types on a broken directory
        return False
    pos = 0
    while pos + 4 <= len(data):
        rec_type, rec_len = struct.unpack_from("<HH", data, pos)
        if rec_type == 0x0022 and rec_len >= 2:
            return struct.unpack_from("<H", data, pos + 4)[0] == 1
        if rec_type == 0x000A:  # EOF of the globals
            return False
        pos += 4 + rec_len
    return False


_BRT_WB_PROP: Final = 0x0099
_BRT_BEGIN_BUNDLE_SHS: Final = 0x008F


def _xlsb_1904(source: Source) -> bool:
    try:
        with _open(source) as fh, zipfile.ZipFile(fh) as zf:
            name = next(
                (n for n in zf.namelist() if n.replace("\\", "/").lower() == "xl/workbook.bin"),
                None,
            )
            if name is None:
                return False
            with zf.open(name) as member:
                data = member.read(64 * 1024)
    except Exception:
        return False
    for rec_type, payload in records(data):
        if rec_type == _BRT_WB_PROP and len(payload) >= 4:
            return bool(struct.unpack_from("<I", payload)[0] & 0x1)
        if rec_type == _BRT_BEGIN_BUNDLE_SHS:  # the sheet list comes after the properties
            return False
    return False


_NULL_DATE_RE: Final = re.compile(rb"<table:null-date\b[^>]*table:date-value=\"(\d{4}-\d{2}-\d{2})")


def _ods_1904(source: Source) -> bool:
    """<table:null-date> sits in <table:calculation-settings>, before the first table."""
    try:
        with _open(source) as fh, zipfile.ZipFile(fh) as zf, zf.open("content.xml") as member:
            head = member.read(256 * 1024)
    except Exception:
        return False
    m = _NULL_DATE_RE.search(head.split(b"<table:table ", 1)[0])
    return m is not None and m[1] == EPOCH_1904.encode()


def correct_1904(reader: Any, sheet: str, table: Any) -> Any:
    """The sheet's text cells with every real date converted from its serial on the
    1904 epoch, whatever the reader made of it.

    Only columns holding reader-made datetime text are read again, as raw serials;
    a cell the second read gives no serial for (a typed text, a number) stays as it was.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [
        name
        for name in table.column_names
        if pa.types.is_string(table.column(name).type)
        and pc.any(pc.match_substring_regex(table.column(name), READER_DATETIME)).as_py()
    ]
    if not names:
        return table
    raw = reader.load_sheet(
        sheet, header_row=None, dtypes="duration", use_columns=names, eager=True
    )
    # Seconds from 1970 to 1904-01-01; Arrow's %S would print milliseconds of an ms stamp.
    base = -2_082_844_800
    columns = {name: table.column(name) for name in table.column_names}
    for name in names:
        serial = raw.column(name)
        if not pa.types.is_duration(serial.type) or serial.null_count == len(serial):
            continue
        seconds = pc.add(pc.divide(pc.cast(serial, pa.int64()), 1000), base)
        text = pc.strftime(pc.cast(seconds, pa.timestamp("s")), "%Y-%m-%d %H:%M:%S")
        old = columns[name]
        is_date = pc.and_(pc.is_valid(serial), pc.match_substring_regex(old, READER_DATETIME))
        columns[name] = pc.if_else(pc.fill_null(is_date, False), text, old)
    return pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))
