"""What a file really is, and whether it is safe to hand to a spreadsheet reader.

Sites rename CSV exports to .xlsx, save web pages as .xls, send password-protected
workbooks, truncated downloads and, now and then, something hostile. Everything
here looks at bytes, never at the extension, and reads as little as it can: the
first few KB, the zip central directory or the OLE2 directory. No cell value ever
reaches a message.

Public API
----------
sniff(path) -> kind
check_readable(path, *, expected_from_suffix, password=None, allow_mismatch=False) -> kind
check_zip(source, *, max_uncompressed, max_entries, max_ratio)
check_xml_parts(source, *, file=None)
decrypt(path, password, *, max_uncompressed, max_entries, max_ratio) -> bytes
xlsx_first_row(source, sheet_name, *, file=None) -> int
xlsx_is_1904(source, *, file=None) -> bool
xlsx_sheet_types(source, *, file=None) -> {sheet name: "worksheet" | "chartsheet" | ...}
xlsx_hidden(source, *, file=None) -> {sheet name: {"state", "hidden_rows", "hidden_cols",
                                                   "autofilter"}}

`source` is a path, or the bytes of a workbook (a decrypted one); `file` is then the
name to put in messages.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final
from xml.parsers import expat

import defusedxml.ElementTree as DefusedET
import olefile
from defusedxml import DefusedXmlException

from recall_cli.errors import InputFileError

Source = Path | bytes

# --- kinds --------------------------------------------------------------------

#: What sniff() can answer. The first group is in the brief; the second names
#: things worth a precise message.
KINDS: Final = frozenset(
    {
        "xlsx",  # also xlsm/xltx/xltm: a zip with xl/workbook.xml
        "xlsb",
        "ods",
        "encrypted-ooxml",  # OLE2 with an EncryptedPackage stream (password-protected xlsx/xlsb)
        "xls",
        "zip",  # a zip that is not a workbook (docx, an archive of exports...)
        "html",
        "pdf",
        "text",
        "empty",
        "unknown",
        # extra
        "xml",  # XML that is not HTML: usually an Excel 2003 "XML Spreadsheet"
        "ole",  # OLE2 that is neither xls nor encrypted OOXML (a .doc, an Outlook .msg)
        "damaged-zip",  # zip signature, but no readable central directory (truncated)
        "damaged-ole",  # OLE2 signature, but no readable directory
        "fods",  # a flat (single XML file) OpenDocument spreadsheet
        "biff2",  # Excel 2.x, 3.0 and 4.0 .xls: a bare BIFF stream, no OLE2 container
        "biff3",
        "biff4",
    }
)

#: check_readable() also returns this, for an xls with a password to open when a
#: password was given (decrypt() opens it).
ENCRYPTED_XLS: Final = "encrypted-xls"

HEAD_BYTES: Final = 8192
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ODS_MIMETYPES: Final = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)

# --- zip limits ---------------------------------------------------------------

#: Total declared uncompressed size of a workbook zip. A genuine 14-column sheet
#: measures ~800 bytes of XML per row (xlsxwriter, 50,000 rows of shipment-like
#: data: 39.8 MB unzipped, 5.4 MB zipped), so a full 1,048,576-row sheet is
#: ~0.85 GB. 2 GiB admits that with 2.4x headroom for wider sheets and shared
#: strings, and still stops a zip bomb long before memory runs out.
DEFAULT_MAX_UNCOMPRESSED: Final = 2 * 1024**3
#: A workbook has one part per sheet, drawing, comment... Thousands is already odd.
DEFAULT_MAX_ENTRIES: Final = 10_000
#: Real sheet XML deflates 3x-15x (measured 7.4x for text, 3.3x for numbers, 13x
#: for a million style-only rows); a bomb is ~1000x. Only parts over RATIO_MIN_SIZE
#: are judged, so small, very regular parts never trip it.
DEFAULT_MAX_RATIO: Final = 200.0
RATIO_MIN_SIZE: Final = 100 * 1024**2
#: Parts parsed whole with defusedxml ([Content_Types].xml, workbook.xml, rels).
SMALL_PART_MAX: Final = 16 * 1024**2
#: The prolog (where a DTD must be) is searched in the first 4 KB of every XML
#: part, and followed up to 64 KB if comments or processing instructions fill it.
XML_PROLOG_BYTES: Final = 4096
XML_PROLOG_MAX: Final = 64 * 1024
MAX_UNZIPPED_FLAG: Final = "--max-unzipped-mb"
PASSWORD_FLAG: Final = "--password"

_MB: Final = 1024 * 1024

# Everything the zip and zlib modules raise on a damaged or hostile archive.
_ZIP_ERRORS: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,  # "File is encrypted"
    KeyError,
    IndexError,
    OverflowError,
)


# --- sniff --------------------------------------------------------------------


def sniff(path: Path) -> str:
    """The real type of the file from its bytes (one of KINDS)."""
    with open(path, "rb") as fh:
        return _sniff_handle(fh)


def _sniff_handle(fh: IO[bytes]) -> str:
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return "empty"
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    if head.startswith(_ZIP_MAGICS):
        return _sniff_zip(fh, head)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(fh)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    old_xls = _old_biff(head)
    if old_xls:
        return old_xls
    text = _head_text(head, complete=size <= len(head))
    if text is None:
        return "unknown"
    return _markup_kind(text) or "text"


def _sniff_zip(fh: IO[bytes], head: bytes) -> str:
    eocd = _read_eocd(fh)
    if eocd is None:
        return "damaged-zip"
    if eocd.cd_size > 8 * _MB:
        # A central directory this size is hostile or absurd; do not build
        # hundreds of thousands of ZipInfo objects just to name it. check_zip refuses it.
        return _guess_from_local_header(head) or "zip"
    try:
        with zipfile.ZipFile(fh) as zf:
            names = {n.replace("\\", "/").lower(): n for n in zf.namelist()}
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "mimetype" in names:
                with zf.open(names["mimetype"]) as m:
                    mimetype = m.read(200).strip()
                if mimetype in _ODS_MIMETYPES:
                    return "ods"
            if "[content_types].xml" in names:
                info = zf.getinfo(names["[content_types].xml"])
                if info.file_size <= SMALL_PART_MAX:
                    with zf.open(info) as m:
                        types = m.read(SMALL_PART_MAX)
                    if b"ms-excel.sheet.binary.macroenabled.main" in types.lower():
                        return "xlsb"
                    if re.search(rb"spreadsheetml\.(sheet|template)\.main|ms-excel\.", types):
                        return "xlsx"
            return "zip"
    except _ZIP_ERRORS:
        return "damaged-zip"


def _guess_from_local_header(head: bytes) -> str | None:
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return None
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    name = head[30 : 30 + name_len].lower()
    if name == b"mimetype":
        start = 30 + name_len + extra_len
        if head[start : start + 60].startswith(_ODS_MIMETYPES[0]):
            return "ods"
    if name in (b"[content_types].xml", b"_rels/.rels") or name.startswith(b"xl/"):
        return "xlsx"
    return None


def _sniff_ole(fh: IO[bytes]) -> str:
    fh.seek(0)
    try:
        ole = olefile.OleFileIO(fh)
    except Exception:  # olefile raises many types on a broken directory
        return "damaged-ole"
    try:
        if ole.exists("EncryptedPackage"):
            return "encrypted-ooxml"
        if ole.exists("Workbook") or ole.exists("Book"):
            return "xls"
        return "ole"
    except Exception:
        return "damaged-ole"
    finally:
        ole.close()


#: The BOF record that starts an Excel 2.x-4.0 file, by record id: (BIFF version, Excel).
_OLD_BOF: Final = {0x0009: ("biff2", "2.x"), 0x0209: ("biff3", "3.0"), 0x0409: ("biff4", "4.0")}
#: What a BOF's document type says the file holds.
_OLD_DOC_TYPES: Final = {0x0010: "worksheet", 0x0020: "chart", 0x0040: "macro sheet",
                         0x0100: "workbook"}  # fmt: skip


def _old_biff(head: bytes) -> str | None:
    """ "biff2", "biff3" or "biff4" for an Excel 2.x-4.0 file: a BOF record (id, a
    length of 4-16, version, a known document type) at byte 0, no container."""
    if len(head) < 8:
        return None
    rec, length, _, doc_type = struct.unpack_from("<4H", head)
    if rec in _OLD_BOF and 4 <= length <= 16 and doc_type in _OLD_DOC_TYPES:
        return _OLD_BOF[rec][0]
    return None


def old_biff_label(head: bytes) -> str:
    """ "an Excel 4.0 worksheet (BIFF4)": what the BOF record at byte 0 says."""
    rec, _, _, doc_type = struct.unpack_from("<4H", head)
    kind, excel = _OLD_BOF[rec]
    return f"an Excel {excel} {_OLD_DOC_TYPES[doc_type]} ({kind.upper()})"


_ALLOWED_CONTROLS: Final = frozenset(b"\t\n\r\x0b\x0c\x1a\x1b")


def stray_nuls(head: bytes) -> bool:
    """A few NUL bytes in text (1 in 100, or 8 in a short file): damage, not a binary file.

    Binary formats are full of zeros, and UTF-16 has one every other byte; a
    text export with a NUL pasted into a cell has one or two. The reader sends
    the rows that hold one to review.
    """
    return 0 < head.count(0) * 100 <= max(len(head), 800)


def _head_text(head: bytes, *, complete: bool) -> str | None:
    """The head decoded if it looks like text in some encoding, else None.

    UTF-16 is told by its BOM or by its zero bytes; anything else must hold no
    NUL and (almost) no control byte, which admits UTF-8, cp1252 and the
    multi-byte codepages (Shift-JIS, GBK...) and refuses binary formats.
    """
    encoding = None
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        encoding, head = "utf-16-le", head[2:]
    elif head.startswith(codecs.BOM_UTF16_BE):
        encoding, head = "utf-16-be", head[2:]
    elif b"\x00" in head:
        sample = head[:4096]
        half = max(len(sample) // 2, 1)
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.3 * half and even < 0.02 * half:
            encoding = "utf-16-le"
        elif even > 0.3 * half and odd < 0.02 * half:
            encoding = "utf-16-be"
        elif not stray_nuls(head):
            return None
    if encoding is not None:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            text = decoder.decode(head, final=complete)
        except UnicodeDecodeError:
            return None
        controls = sum(1 for ch in text if ord(ch) < 32 and ord(ch) not in _ALLOWED_CONTROLS)
        if "\x00" in text or controls > len(text) // 1000:
            return None
        return text
    controls = sum(1 for b in head if b < 32 and b not in _ALLOWED_CONTROLS and b != 0)
    if controls > len(head) // 1000:
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.decode("utf-8", errors="replace")


_HTML_STARTS: Final = (
    "<!doctype html",
    "<html",
    "<head",
    "<body",
    "<table",
    "<meta",
    "<title",
    "<style",
    "<div",
    "<tr",
    "mime-version:",  # a single-file web page (.mht) saved as .xls
)


def _markup_kind(text: str) -> str | None:
    start = text.lstrip("\ufeff \t\r\n").lower()[:4096]
    if start.startswith(_HTML_STARTS):
        return "html"
    if start.startswith(("<?xml", "<!--", "<!doctype")):
        if "<html" in start:
            return "html"
        # LibreOffice's "Flat XML ODF Spreadsheet": the mimetype follows ~2 KB of xmlns.
        if "<office:document " in text and "opendocument.spreadsheet" in text.lower():
            return "fods"
        return "xml"
    if start.startswith("<") and "urn:schemas-microsoft-com:office:spreadsheet" in start:
        return "xml"
    return None


# --- check_readable -----------------------------------------------------------

_SUFFIX_KIND: Final = {
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "xltx": "xlsx",
    "xltm": "xlsx",
    "xls": "xls",
    "xlsb": "xlsb",
    "ods": "ods",
    "fods": "fods",
    "csv": "text",
    "tsv": "text",
    "txt": "text",
    "text": "text",
}


def _label(kind: str) -> str:
    if kind == "text":
        return "a text (CSV) file"
    if kind == "ods":
        return "an ods spreadsheet"
    if kind == "fods":
        return "a flat ODS spreadsheet (.fods)"
    return f"an {kind} workbook"


def check_readable(
    path: Path,
    *,
    expected_from_suffix: str,
    password: str | None = None,
    allow_mismatch: bool = False,
) -> str:
    """Refuse, with a fix, anything a reader should not be handed; else return the real kind.

    `expected_from_suffix` is the suffix ("xlsx", ".xlsm", "csv") or "text". The
    result is "xlsx", "xlsb", "ods", "xls", "text", or, when a password is given,
    "encrypted-ooxml" / "encrypted-xls" (open those with decrypt()). With
    `allow_mismatch`, a readable kind behind the wrong suffix (a CSV named .xlsx)
    is returned instead of refused, for a caller that reads by content.
    """
    path = Path(path)
    suffix = expected_from_suffix.lower().lstrip(".")
    expected = _SUFFIX_KIND.get(suffix)
    _refuse_non_file(path)
    kind, head = _sniff_path(path)
    _refuse_kind(path, kind, head, expected, suffix)
    if kind == "encrypted-ooxml" or (kind == "xls" and _xls_has_filepass(path)):
        return _encrypted(path, kind, expected, password, allow_mismatch)
    if kind == "ods" and _ods_encrypted(path):
        raise InputFileError(
            "is a password-protected ODS spreadsheet, which cannot be decrypted here",
            file=path,
            hint="open it in LibreOffice, remove the password and save it as .xlsx",
        )
    if expected is None or kind == expected or allow_mismatch:
        return kind
    if kind == "text":
        raise InputFileError(
            f"is a text (CSV) file, not {_label(expected)}", file=path, hint="rename it to .csv"
        )
    raise InputFileError(
        f"is {_label(kind)}, not {_label(expected)}", file=path, hint=f"rename it to .{kind}"
    )


def _refuse_non_file(path: Path) -> None:
    """A path that is missing, unreadable, a folder or a device is refused before opening."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputFileError(
            "file not found", file=path, hint="check the path and the file name"
        ) from None
    except PermissionError:
        raise InputFileError(
            "permission denied: the file or its folder cannot be read",
            file=path,
            hint="check the permissions, or copy the file somewhere you can read",
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot be accessed ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="check the path; copy the file to a local disk if it is on a share",
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(
            "is a folder, not a file",
            file=path,
            hint="pass a spreadsheet file, or the folder alone",
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(
            "is not a regular file (a pipe, socket or device)",
            file=path,
            hint="save the data to a file first",
        )


def _sniff_path(path: Path) -> tuple[str, bytes]:
    """The kind the bytes say, and the first HEAD_BYTES of them."""
    try:
        with open(path, "rb") as fh:
            kind = _sniff_handle(fh)
            fh.seek(0)
            return kind, fh.read(HEAD_BYTES)
    except PermissionError:
        raise InputFileError(
            "permission denied: the file cannot be read",
            file=path,
            hint="check the permissions, close it in Excel if it is locked, or copy it",
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot be read ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="copy it to a local disk and try again",
        ) from None


#: Kinds no reader is handed: (what it is, what to do). `{expected}` is the kind the
#: suffix promised, `{suffix}` the suffix as typed.
_REFUSALS: Final[dict[str, tuple[str, str]]] = {
    "empty": (
        "file is empty (0 bytes)",
        "the export or copy did not finish: re-export it from the source system",
    ),
    "damaged-ole": (
        "is damaged (not a complete xls compound file)",
        "the download or copy was probably cut short: re-export it",
    ),
    "pdf": (
        "is a PDF document, not {expected}",
        "ask the site for the Excel or CSV export instead of the PDF",
    ),
    "html": (
        "is an HTML page saved with a .{suffix} name",
        "open it in Excel and save it as .xlsx",
    ),
    "xml": (
        "is an XML file (probably an Excel 2003 XML Spreadsheet), not {expected}",
        "open it in Excel and save it as .xlsx",
    ),
    "zip": (
        "is a zip archive that holds no Excel workbook",
        "unzip it and pass the spreadsheet inside",
    ),
    "ole": (
        "is an Office document (Word, Outlook...) but not an Excel workbook",
        "export the shipment data to .xlsx or .csv",
    ),
    "zeros": (
        "contains only zero bytes (a failed save or copy)",
        "re-export it from the source system",
    ),
    "unknown": (
        "is not a spreadsheet or a text file (unrecognised binary content)",
        "check it is the right file; if Excel opens it, save it as .xlsx",
    ),
}


def _refuse_kind(path: Path, kind: str, head: bytes, expected: str | None, suffix: str) -> None:
    if kind == "damaged-zip":
        raise _damaged(path, expected if expected in ("xlsx", "xlsb", "ods") else "xlsx")
    if kind in ("biff2", "biff3", "biff4"):
        from recall_cli.read.flatods import convert_hint

        raise InputFileError(
            f"is {old_biff_label(head)}, a format older than Excel 5 (1993) that the "
            "spreadsheet readers used here cannot open",
            file=path,
            hint=convert_hint(path, "xlsx") + ", or open it in Excel and save it as .xlsx",
        )
    if kind == "unknown" and head and not head.strip(b"\x00"):
        kind = "zeros"
    if kind not in _REFUSALS:
        return
    shown = "csv" if expected == "text" and suffix in ("text", "") else suffix
    message, hint = _REFUSALS[kind]
    raise InputFileError(
        message.format(expected=_label(expected or "xlsx"), suffix=shown or "xlsx"),
        file=path,
        hint=hint,
    )


def _encrypted(
    path: Path, kind: str, expected: str | None, password: str | None, allow_mismatch: bool
) -> str:
    if expected == "text" and not allow_mismatch:
        raise InputFileError(
            "is a password-protected Excel workbook, not a text (CSV) file",
            file=path,
            hint=f"rename it to .xlsx and pass {PASSWORD_FLAG}",
        )
    if not password:
        raise InputFileError(
            "is password-protected (encrypted)",
            file=path,
            hint=f"pass the password with {PASSWORD_FLAG}, or remove it in Excel "
            "(File > Info > Protect Workbook) and save",
        )
    return "encrypted-ooxml" if kind == "encrypted-ooxml" else ENCRYPTED_XLS


def _ods_encrypted(path: Path) -> bool:
    """An ODS with a password keeps its zip but encrypts content.xml (manifest says so)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = _member(zf, "META-INF/manifest.xml")
            if info is None or info.file_size > SMALL_PART_MAX:
                return False
            with zf.open(info) as member:
                return b"encryption-data" in member.read(SMALL_PART_MAX)
    except _ZIP_ERRORS:
        return False


def _damaged(file: str | Path | None, kind: str = "xlsx") -> InputFileError:
    return InputFileError(
        f"is damaged (not a complete {kind} zip)",
        file=file,
        hint="the download or copy was probably cut short: re-export it or copy it again",
    )


# --- zip safety ---------------------------------------------------------------


@dataclass(frozen=True)
class _Eocd:
    entries: int
    cd_size: int
    cd_offset: int


def _read_eocd(fh: IO[bytes]) -> _Eocd | None:
    """The end-of-central-directory record (zip64 aware), read from the tail only."""
    size = fh.seek(0, os.SEEK_END)
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack_from("<4s4H2LH", tail, pos)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = pos - 20
        if loc < 0 or tail[loc : loc + 4] != b"PK\x06\x07":
            return None
        (z64_offset,) = struct.unpack_from("<Q", tail, loc + 8)
        if z64_offset + 56 > size:
            return None
        fh.seek(z64_offset)
        rec = fh.read(56)
        if len(rec) < 56 or rec[:4] != b"PK\x06\x06":
            return None
        entries, cd_size, cd_offset = struct.unpack_from("<3Q", rec, 32)
    if cd_offset + cd_size > size:
        return None
    return _Eocd(entries, cd_size, cd_offset)


@contextlib.contextmanager
def _handle(source: Source, file: str | Path | None) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
        return
    try:
        fh = open(source, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise InputFileError(
            f"cannot be read ({exc.strerror or type(exc).__name__})",
            file=file,
            hint="check the path and the permissions",
        ) from None
    with fh:
        yield fh


@contextlib.contextmanager
def _open_zip(source: Source, file: str | Path | None) -> Iterator[zipfile.ZipFile]:
    with _handle(source, file) as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS:
            raise _damaged(file) from None
        with zf:
            yield zf


def _file_of(source: Source, file: str | Path | None) -> str | Path | None:
    if file is not None:
        return file
    return source if isinstance(source, Path) else None


def check_zip(
    source: Source,
    *,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> None:
    """Refuse a zip bomb or a damaged zip from its central directory alone (nothing inflated).

    Checks: a readable end record and central directory; at most `max_entries`
    members; a declared total under `max_uncompressed`; no member over 100 MB
    that expands more than `max_ratio` times; members that start with a local
    header, lie before the central directory and do not overlap (the
    overlapping-entries bomb); no encrypted member (Excel never writes one).

    Declared sizes can lie low; Python's zipfile stops at the declared size, and
    the per-member ratio bounds what a lie can hide behind the data actually present.
    """
    _check_zip(
        source,
        source if isinstance(source, Path) else None,
        max_uncompressed,
        max_entries,
        max_ratio,
    )


def _check_zip(
    source: Source,
    file: str | Path | None,
    max_uncompressed: int,
    max_entries: int,
    max_ratio: float,
) -> None:
    with _handle(source, file) as fh:
        size = fh.seek(0, os.SEEK_END)
        eocd = _read_eocd(fh)
        if eocd is None:
            raise _damaged(file)
        if eocd.entries > max_entries:
            raise _too_many(file, eocd.entries, max_entries)
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = zf.infolist()
                cd_start = zf.start_dir
        except _ZIP_ERRORS:
            raise _damaged(file) from None
        if len(infos) > max_entries:
            raise _too_many(file, len(infos), max_entries)
        total = 0
        for info in infos:
            total += info.file_size
            if info.flag_bits & 0x1:
                raise InputFileError(
                    "has encrypted zip entries, which Excel never writes",
                    file=file,
                    hint="re-export it; to protect a workbook, use Excel's own password",
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_MIN_SIZE and ratio > max_ratio:
                raise InputFileError(
                    f"has a part that would expand {ratio:,.0f} times to "
                    f"{info.file_size // _MB:,} MB (a zip bomb?); refusing to read it",
                    file=file,
                    hint=f"the limit is {max_ratio:,.0f}x for parts over "
                    f"{RATIO_MIN_SIZE // _MB} MB; if the file is genuine, "
                    "open it in Excel and save it again",
                )
        if total > max_uncompressed:
            suggest = -(-total // _MB)  # rounded up: a limit the file passes
            raise InputFileError(
                f"would unzip to {_mb(total)} MB, more than the {_mb(max_uncompressed)} MB limit",
                file=file,
                hint=f"if the file is genuine, raise the limit with {MAX_UNZIPPED_FLAG} {suggest}",
            )
        # Layout: every member's data must exist, in order, without overlap.
        ordered = sorted(infos, key=lambda i: i.header_offset)
        for idx, info in enumerate(ordered):
            end = info.header_offset + 30 + info.compress_size
            limit = ordered[idx + 1].header_offset if idx + 1 < len(ordered) else cd_start
            if end > limit or end > size:
                raise InputFileError(
                    "has overlapping or out-of-place zip entries (damaged, or a zip bomb)",
                    file=file,
                    hint="re-export it from the source system",
                )
            fh.seek(info.header_offset)
            if fh.read(4) != b"PK\x03\x04":
                raise _damaged(file)


def _mb(n: int) -> str:
    return f"{n / _MB:,.1f}".removesuffix(".0")


def _too_many(file: str | Path | None, count: int, limit: int) -> InputFileError:
    return InputFileError(
        f"holds {count:,} zip entries, more than the {limit:,} a workbook can plausibly have",
        file=file,
        hint="re-export it; a genuine workbook has one entry per sheet, drawing or comment",
    )


# --- XML safety ---------------------------------------------------------------

_SMALL_PARTS: Final = frozenset(
    {"[content_types].xml", "xl/workbook.xml", "meta-inf/manifest.xml", "_rels/.rels"}
)
_DECL_RE: Final = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _bomb(file: str | Path | None, part: str) -> InputFileError:
    return InputFileError(
        f"contains an XML entity declaration (possible XML bomb) in {_safe(part)}; "
        "refusing to read it",
        file=file,
        hint="a genuine Excel file never has one: ask the site to re-export it",
    )


def _safe(name: str) -> str:
    """A zip member name fit for a message (hostile names can hold escapes)."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name)
    return cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."


def _decode_prolog(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data[1:2] == b"\x00":
        return data.decode("utf-16-le", errors="ignore")
    if data.startswith(codecs.BOM_UTF16_BE) or data[:1] == b"\x00":
        return data.decode("utf-16-be", errors="ignore")
    return data.decode("latin-1")


def _prolog_verdict(text: str) -> str:
    """'dtd' if a declaration comes before the root element, 'ok' if the root
    comes first, 'more' if the data ends inside the prolog."""
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in "\ufeff \t\r\n":
            i += 1
        if i >= n:
            return "more"
        if text.startswith("<?", i):
            end = "?>"
        elif text.startswith("<!--", i):
            end = "-->"
        elif text.startswith("<!", i):
            return "dtd"
        else:
            return "ok"
        j = text.find(end, i + 2)
        if j < 0:
            return "more"
        i = j + len(end)


def is_resource_fork(name: str) -> bool:
    """A macOS resource-fork entry ("__MACOSX/xl/._workbook.xml"): Finder's Compress adds
    one per file. It is AppleDouble binary, not XML, and no reader opens it."""
    parts = name.replace("\\", "/").split("/")
    return parts[0].lower() == "__macosx" or parts[-1].startswith("._")


def check_xml_parts(source: Source, *, file: str | Path | None = None) -> None:
    """Refuse any XML part that declares a DTD or entities, before a parser sees it.

    Every .xml/.rels member has its prolog scanned (the first 4 KB, followed to
    64 KB at most); the small structural parts are then parsed whole with
    defusedxml, so its own protections apply too. Run check_zip first.
    """
    file = _file_of(source, file)
    with _open_zip(source, file) as zf:
        for info in zf.infolist():
            name = info.filename
            lower = name.replace("\\", "/").lower()
            if info.is_dir() or not lower.endswith((".xml", ".rels")) or is_resource_fork(lower):
                continue
            try:
                with zf.open(info) as member:
                    data = member.read(XML_PROLOG_BYTES)
                    verdict = "dtd" if _DECL_RE.search(_decode_prolog(data)) else "more"
                    if verdict == "more":
                        verdict = _prolog_verdict(_decode_prolog(data))
                    while verdict == "more" and len(data) < XML_PROLOG_MAX:
                        chunk = member.read(XML_PROLOG_BYTES)
                        if not chunk:
                            break
                        data += chunk
                        verdict = _prolog_verdict(_decode_prolog(data))
            except _ZIP_ERRORS:
                raise _damaged(file) from None
            if verdict == "dtd":
                raise _bomb(file, name)
            if verdict == "more" and len(data) >= XML_PROLOG_MAX:
                raise InputFileError(
                    f"has an XML part ({_safe(name)}) whose prolog runs past "
                    f"{XML_PROLOG_MAX // 1024} KB; refusing to read it",
                    file=file,
                    hint="a genuine Excel file never has one: ask the site to re-export it",
                )
            if (lower in _SMALL_PARTS or lower.endswith(".rels")) and (
                info.file_size <= SMALL_PART_MAX
            ):
                _parse_small(zf, info, file)


def _parse_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file: str | Path | None) -> Any:
    """Parse one small part whole with defusedxml (no DTD at all); the root element."""
    try:
        with zf.open(info) as member:
            data = member.read(SMALL_PART_MAX + 1)
    except _ZIP_ERRORS:
        raise _damaged(file) from None
    if len(data) > SMALL_PART_MAX:
        raise InputFileError(
            f"has an oversized {_safe(info.filename)} part",
            file=file,
            hint="re-export it from the source system",
        )
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _bomb(file, info.filename) from None
    except DefusedET.ParseError:
        raise InputFileError(
            f"is damaged ({_safe(info.filename)} is not well-formed XML)",
            file=file,
            hint="re-export it from the source system",
        ) from None


# --- encryption ---------------------------------------------------------------


def _xls_has_filepass(path: Path) -> bool:
    """A FILEPASS record in the globals substream: the xls has a password to open."""
    try:
        with open(path, "rb") as fh:
            ole = olefile.OleFileIO(fh)
            try:
                stream_name = "Workbook" if ole.exists("Workbook") else "Book"
                with ole.openstream(stream_name) as stream:
                    data = stream.read(64 * 1024)
            finally:
                ole.close()
    except Exception:
        return False
    pos = 0
    while pos + 4 <= len(data):
        rec_type, rec_len = struct.unpack_from("<HH", data, pos)
        if rec_type == 0x002F:  # FILEPASS
            return True
        if rec_type == 0x000A or (pos and rec_type == 0x0809):  # EOF, next BOF
            return False
        pos += 4 + rec_len
    return False


def decrypt(
    path: Path,
    password: str,
    *,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> bytes:
    """The decrypted workbook, in memory (xlsx/xlsb bytes, or xls bytes).

    A decrypted zip is put through check_zip (with these limits) and
    check_xml_parts before it is returned: encryption hides a bomb from the
    checks run on the file on disk.
    """
    import msoffcrypto
    from msoffcrypto import exceptions as mso_errors

    if not password:
        raise InputFileError(
            "is password-protected (encrypted) and no password was given",
            file=path,
            hint=f"pass the password with {PASSWORD_FLAG}",
        )
    out = io.BytesIO()
    try:
        with open(path, "rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            if getattr(office, "format", "") == "ooxml":
                office.load_key(password=password, verify_password=True)
            else:
                office.load_key(password=password)
            office.decrypt(out)
    except mso_errors.InvalidKeyError:
        raise InputFileError(
            "password did not open it",
            file=path,
            hint=f"check the password (it is case-sensitive) given with {PASSWORD_FLAG}",
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot be read ({exc.strerror or type(exc).__name__})",
            file=path,
            hint="check the path and the permissions",
        ) from None
    except Exception as exc:  # msoffcrypto/olefile raise many types on odd files
        raise InputFileError(
            f"could not be decrypted ({type(exc).__name__}: unsupported or damaged encryption)",
            file=path,
            hint="open it in Excel with the password, remove the password and save it again",
        ) from None
    data = out.getvalue()
    if data.startswith(b"PK"):
        _check_zip(data, path, max_uncompressed, max_entries, max_ratio)
        check_xml_parts(data, file=path)
    return data


# --- xlsx structure -----------------------------------------------------------

_REL_ID_SUFFIX: Final = "}id"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class _SheetRef:
    name: str
    state: str
    part: str | None  # the zip member name, or None if the relationship is missing
    rel_type: str = ""  # ".../worksheet", ".../chartsheet", ".../dialogsheet"...


@dataclass(frozen=True)
class _Workbook:
    sheets: list[_SheetRef]
    date1904: bool


def _member(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo | None:
    """A zip member by part name, forgiving case and backslashes (as Excel is)."""
    wanted = name.lstrip("/").replace("\\", "/").lower()
    for info in zf.infolist():
        if info.filename.replace("\\", "/").lower() == wanted:
            return info
    return None


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target)).lstrip("/")


def _rels(zf: zipfile.ZipFile, part: str, file: str | Path | None) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, resolved target part) for one part."""
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    info = _member(zf, rels_name)
    if info is None:
        return {}
    root = _parse_small(zf, info, file)
    found: dict[str, tuple[str, str]] = {}
    for rel in root.iter():
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        rel_id, target = rel.get("Id"), rel.get("Target")
        if rel_id and target:
            found[rel_id] = (rel.get("Type", ""), _resolve(part, target))
    return found


def _workbook(zf: zipfile.ZipFile, file: str | Path | None) -> _Workbook:
    wb_part = "xl/workbook.xml"
    for rel_type, target in _rels(zf, "", file).values():
        if rel_type.endswith("/officeDocument"):
            wb_part = target
            break
    info = _member(zf, wb_part)
    if info is None:
        raise InputFileError(
            "is damaged (it has no workbook part)",
            file=file,
            hint="re-export it from the source system",
        )
    root = _parse_small(zf, info, file)
    rels = _rels(zf, info.filename, file)
    sheets: list[_SheetRef] = []
    date1904 = _date1904(root)
    for el in root.iter():
        tag = _local(el.tag)
        if tag == "sheet":
            rel_id = next((v for k, v in el.attrib.items() if k.endswith(_REL_ID_SUFFIX)), None)
            rel = rels.get(rel_id or "")
            sheets.append(
                _SheetRef(
                    name=el.get("name", ""),
                    state=el.get("state", "visible") or "visible",
                    part=rel[1] if rel else None,
                    rel_type=rel[0] if rel else "",
                )
            )
    return _Workbook(sheets, date1904)


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _date1904(root: Any) -> bool:
    """The date1904 of the workbook's own <workbookPr>: a child of <workbook>, in its namespace.

    Excel 2013+ also writes <x15:workbookPr chartTrackingRefBase="1"/> inside <extLst>;
    it has no date1904 and says nothing about the epoch (reading the last element named
    workbookPr, as calamine 0.36 does, turns every 1904 workbook into a 1900 one).
    """
    main = _namespace(root.tag)
    for el in root:
        if _local(el.tag) == "workbookPr" and _namespace(el.tag) == main:
            return el.get("date1904", "").strip().lower() in ("1", "true")
    return False


def _sheet_ref(wb: _Workbook, sheet_name: str, file: str | Path | None) -> _SheetRef:
    for ref in wb.sheets:
        if ref.name == sheet_name:
            return ref
    names = ", ".join(repr(s.name) for s in wb.sheets[:20])
    raise InputFileError(
        f"no sheet named {sheet_name!r}",
        file=file,
        hint=f"sheets in this workbook: {names}" if names else "the workbook lists no sheets",
    )


_CELL_REF_RE: Final = re.compile(r"^\$?[A-Za-z]{1,3}\$?(\d{1,7})$")


def _row_of_ref(ref: str | None) -> int | None:
    if not ref:
        return None
    m = _CELL_REF_RE.match(ref.strip())
    return int(m.group(1)) if m else None


def xlsx_first_row(source: Source, sheet_name: str, *, file: str | Path | None = None) -> int:
    """1-based Excel row of the first cell of `sheet_name` that holds a value.

    The rule follows calamine (the engine under fastexcel), checked case by case:
    a cell counts if it has an <is> inline string, or a <v> with text, or an
    empty <v> on a t="str"/"d" cell; style-only cells (<c r="A1" s="1"/>),
    formulas without a cached value and empty numeric <v></v> do not. The sheet
    is streamed through expat and parsing stops at the first such cell. Returns 1 for a sheet
    with no value at all (the caller only asks for sheets that have rows).
    """
    file = _file_of(source, file)
    with _open_zip(source, file) as zf:
        wb = _workbook(zf, file)
        ref = _sheet_ref(wb, sheet_name, file)
        info = _member(zf, ref.part) if ref.part else None
        if info is None:
            return 1
        try:
            with zf.open(info) as member:
                found = _scan_first_row(member)
        except _DtdFound:
            raise _bomb(file, info.filename) from None
        except (expat.ExpatError, *_ZIP_ERRORS):
            raise InputFileError(
                "is damaged (the sheet's XML cannot be read)",
                file=file,
                sheet=sheet_name,
                hint="open it in Excel and save it again, or re-export it",
            ) from None
        return found or 1


class _Found(Exception):
    def __init__(self, row: int) -> None:
        self.row = row


class _DtdFound(Exception):
    pass


def _scan_first_row(member: IO[bytes]) -> int | None:
    """Feed the sheet XML to expat in 64 KB chunks; stop at the first cell with a value.

    Plain expat callbacks, no tree, flat memory: the usual sheet (data within
    the first rows) costs one chunk; a pathological one with 4.5 million
    style-only cells before its data costs a few seconds. A DTD or entity
    declaration raises instead of being expanded.
    """
    # Hot path: one start and one end callback per element, so keep them tiny.
    # In sheet XML, <v> and <is> only ever occur inside <c>; <v> has no children.
    row_num = 0
    cell_ref: str | None = None
    cell_type = "n"
    collecting = False
    text: list[str] = []
    local: dict[str, str] = {}

    def found() -> _Found:
        return _Found(_row_of_ref(cell_ref) or max(row_num, 1))

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_num, cell_ref, cell_type, collecting
        tag = local.get(name)
        if tag is None:
            tag = local[name] = name.rpartition(":")[2]
        if tag == "c":
            cell_ref = attrs.get("r")
            cell_type = attrs.get("t", "n")
        elif tag == "row":
            r = attrs.get("r", "").strip()
            row_num = int(r) if r.isdigit() and len(r) <= 7 else row_num + 1
        elif tag == "v":
            if cell_type != "inlineStr":
                text.clear()
                collecting = True
        elif tag == "is":
            raise found()

    def end(name: str) -> None:
        nonlocal collecting
        if collecting:  # the end of that <v>
            collecting = False
            value = "".join(text)
            if cell_type in ("str", "d") or (value.strip() if cell_type == "b" else value):
                raise found()

    def chars(data: str) -> None:
        if collecting:
            text.append(data)

    try:
        _feed(_dtd_refusing_parser(start, end, chars), member)
    except _Found as hit:
        return hit.row
    return None


def _refuse_dtd(*args: Any) -> None:
    raise _DtdFound


def _dtd_refusing_parser(
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    chars: Callable[[str], None],
) -> Any:
    """An expat parser with these callbacks that raises on a DTD or entity declaration."""
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _feed(parser: Any, member: IO[bytes]) -> None:
    while chunk := member.read(64 * 1024):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def xlsx_sheet_types(source: Source, *, file: str | Path | None = None) -> dict[str, str]:
    """Sheet name -> "worksheet", "chartsheet", "dialogsheet" or "macrosheet", from the
    type of its relationship (a sheet whose relationship is missing counts as a worksheet,
    and the reader decides)."""
    file = _file_of(source, file)
    with _open_zip(source, file) as zf:
        wb = _workbook(zf, file)
    out = {}
    for ref in wb.sheets:
        kind = ref.rel_type.rsplit("/", 1)[-1].lower()
        out[ref.name] = "macrosheet" if kind == "xlmacrosheet" else (kind or "worksheet")
    return out


def xlsx_is_1904(source: Source, *, file: str | Path | None = None) -> bool:
    """True if the workbook counts dates from 1904 (<workbookPr date1904="1"/>)."""
    file = _file_of(source, file)
    with _open_zip(source, file) as zf:
        return _workbook(zf, file).date1904


_ROW_TAG_RE: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_COL_TAG_RE: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\b([^>]*)>")
_HIDDEN_RE: Final = re.compile(rb"""\bhidden\s*=\s*["'](?:1|true)["']""")
_MIN_RE: Final = re.compile(rb"""\bmin\s*=\s*["'](\d+)["']""")
_MAX_RE: Final = re.compile(rb"""\bmax\s*=\s*["'](\d+)["']""")
_AUTOFILTER_RE: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?autoFilter\b")
_CHUNK: Final = 1024 * 1024
# <mergeCell ref="A2:A5"/> sits after sheetData; collected by the same streaming scan.
_MERGE_RE: Final = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"'
)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def xlsx_hidden(source: Source, *, file: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Per sheet name: {"state": "visible"|"hidden"|"veryHidden", "hidden_rows": int,
    "hidden_cols": int, "autofilter": bool}, plus "merged_ranges" (first row, first col
    0-based, last row, last col) when the sheet has merged cells.

    Each sheet's XML is streamed once in 1 MB chunks and scanned with a regex
    (no tree is built), so even a 1,000,000-row sheet costs a few seconds at most.
    """
    file = _file_of(source, file)
    result: dict[str, dict[str, Any]] = {}
    with _open_zip(source, file) as zf:
        wb = _workbook(zf, file)
        for ref in wb.sheets:
            info = _member(zf, ref.part) if ref.part else None
            counts = {"hidden_rows": 0, "hidden_cols": 0, "autofilter": False}
            if info is not None:
                try:
                    with zf.open(info) as member:
                        counts = _scan_hidden(member)
                except _ZIP_ERRORS:
                    raise InputFileError(
                        "is damaged (the sheet's XML cannot be read)",
                        file=file,
                        sheet=ref.name,
                        hint="open it in Excel and save it again, or re-export it",
                    ) from None
            result[ref.name] = {"state": ref.state, **counts}
    return result


def _scan_hidden(member: IO[bytes]) -> dict[str, Any]:
    hidden_rows = hidden_cols = 0
    autofilter = False
    merged: list[tuple[int, int, int, int]] = []
    tail = b""
    while True:
        chunk = member.read(_CHUNK)
        buf = tail + chunk
        if not buf:
            break
        cut = buf.rfind(b"<") if chunk else -1
        if cut < 0 or len(buf) - cut > 64 * 1024:
            cut = len(buf)
        body, tail = buf[:cut], buf[cut:]
        if b"hidden" not in body:
            pass  # the common case: nothing hidden in this chunk, skip the row scan
        else:
            for m in _ROW_TAG_RE.finditer(body):
                if _HIDDEN_RE.search(m.group(1)):
                    hidden_rows += 1
        if b"hidden" in body and b"<col" in body:
            for m in _COL_TAG_RE.finditer(body):
                attrs = m.group(1)
                if _HIDDEN_RE.search(attrs):
                    lo, hi = _MIN_RE.search(attrs), _MAX_RE.search(attrs)
                    if lo and hi:
                        hidden_cols += max(0, min(int(hi.group(1)), 16384) - int(lo.group(1)) + 1)
        if not autofilter and b"autoFilter" in body and _AUTOFILTER_RE.search(body):
            autofilter = True
        if b"mergeCell" in body:
            merged.extend(
                (int(m[2]), _col_index(m[1]), int(m[4]), _col_index(m[3]))
                for m in _MERGE_RE.finditer(body)
            )
        if not chunk:
            break
    out: dict[str, Any] = {
        "hidden_rows": hidden_rows,
        "hidden_cols": hidden_cols,
        "autofilter": autofilter,
    }
    if merged:
        # (first row 1-based, first col 0-based, last row, last col); only when present.
        out["merged_ranges"] = merged
    return out
