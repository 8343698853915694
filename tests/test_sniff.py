"""recall_cli.sniff: real file types, refusals with a fix, zip/XML bombs, encryption,
and the xlsx structure helpers (first row vs calamine, 1904, hidden).

Every fixture is built here, in tmp_path.
"""

from __future__ import annotations

import builtins
import datetime as dt
import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from msoffcrypto.format.ooxml import OOXMLFile
from python_calamine import CalamineWorkbook

from recall_cli.errors import InputFileError
from recall_cli.read import sniff

PATIENT = "Jane Doe"  # a "cell value" that must never reach a message

# --- builders -------------------------------------------------------------------


def make_xlsx(path: Path, rows: list[list[Any]] | None = None, *, first: tuple[int, int] = (0, 0)):
    rows = rows if rows is not None else [["lot", "customer"], ["L1", PATIENT]]
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Shipments")
    for i, row in enumerate(rows):
        ws.write_row(first[0] + i, first[1], row)
    wb.close()
    return path


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>'
)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def make_raw_xlsx(path: Path, sheet_data: str, *, prefix: str = "", workbook: str = _WB) -> Path:
    """A minimal hand-written xlsx whose sheet XML is exactly what the test says."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{_MAIN_NS}"' if prefix else f'xmlns="{_MAIN_NS}"'
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<{p}worksheet {xmlns}><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def replace_member(src: Path, dst: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == name else zin.read(info))
    return dst


def make_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding root-level streams.

    Enough for olefile and msoffcrypto to list and read; each stream is padded
    to 4096 bytes so it lives in the regular FAT, not the mini stream.
    """
    assert len(streams) <= 3
    datas = [data.ljust(4096, b"\x00") for data in streams.values()]
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # sector 0: the FAT itself; sector 1: the directory
    starts = []
    for data in datas:
        n = -(-len(data) // 512)
        start = len(fat)
        starts.append(start)
        fat.extend(range(start + 1, start + n))
        fat.append(0xFFFFFFFE)
    assert len(fat) <= 128
    fat.extend([0xFFFFFFFF] * (128 - len(fat)))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int):
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(raw), kind, 1, left, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    none = 0xFFFFFFFF
    names = list(streams)
    # Siblings as a right-leaning chain: 1 -> 2 -> 3.
    entries = [entry("Root Entry", 5, none, none, 1, 0xFFFFFFFE, 0)]
    for i, (name, data) in enumerate(zip(names, datas, strict=True)):
        right = i + 2 if i + 1 < len(names) else none
        entries.append(entry(name, 2, none, right, none, starts[i], len(data)))
    while len(entries) < 4:
        entries.append(entry("", 0, none, none, none, 0, 0))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<I", 0)
        + b"\xff" * (4 * 108)
    )
    assert len(header) == 512
    body = struct.pack("<128I", *fat) + b"".join(entries) + b"".join(datas)
    path.write_bytes(header + body)
    return path


def biff_workbook(*, encrypted: bool = False) -> bytes:
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HHH", 0x002F, 2, 0x0001) if encrypted else b""
    return bof + filepass + struct.pack("<HH", 0x000A, 0)


def calamine_first_row(path: Path, name: str) -> int:
    start = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).start
    assert start is not None
    return int(start[0]) + 1


def refused(fn: Callable[[], object]) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        fn()
    assert PATIENT not in str(info.value)
    return info.value


@pytest.fixture
def xlsx(tmp_path: Path) -> Path:
    return make_xlsx(tmp_path / "ok.xlsx")


# --- sniff ------------------------------------------------------------------------


def test_sniff_real_types(tmp_path: Path, xlsx: Path) -> None:
    assert sniff.sniff(xlsx) == "xlsx"

    ods = tmp_path / "a.ods"
    pd.DataFrame({"lot": ["L1"], "customer": [PATIENT]}).to_excel(ods, engine="odf", index=False)
    assert sniff.sniff(ods) == "ods"

    xlsb = tmp_path / "a.xlsb"
    with zipfile.ZipFile(xlsb, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert sniff.sniff(xlsb) == "xlsb"

    other_zip = tmp_path / "exports.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert sniff.sniff(other_zip) == "zip"

    xls = make_cfb(tmp_path / "a.xls", {"Workbook": biff_workbook()})
    assert sniff.sniff(xls) == "xls"
    assert sniff.check_readable(xls, expected_from_suffix="xls") == "xls"
    doc = make_cfb(tmp_path / "a.doc", {"WordDocument": b"x"})
    assert sniff.sniff(doc) == "ole"
    broken_ole = tmp_path / "broken.xls"
    broken_ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 3000)
    assert sniff.sniff(broken_ole) == "damaged-ole"

    (tmp_path / "e").write_bytes(b"")
    assert sniff.sniff(tmp_path / "e") == "empty"
    (tmp_path / "p").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert sniff.sniff(tmp_path / "p") == "pdf"
    (tmp_path / "h").write_bytes(b"\xef\xbb\xbf  <!DOCTYPE html><html><body><table>")
    assert sniff.sniff(tmp_path / "h") == "html"
    (tmp_path / "h2").write_text('<html xmlns:o="urn:schemas-microsoft-com:office:office">')
    assert sniff.sniff(tmp_path / "h2") == "html"
    (tmp_path / "x").write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
    )
    assert sniff.sniff(tmp_path / "x") == "xml"
    (tmp_path / "bin").write_bytes(bytes(range(256)) * 8)
    assert sniff.sniff(tmp_path / "bin") == "unknown"


@pytest.mark.parametrize(
    "data",
    [
        b"lot;customer\r\nL1;Jane Doe\r\n",
        "lot,customer\nL1,Zoë Müller €\n".encode("cp1252"),
        "lot,customer\nL1,Zoë\n".encode("utf-8-sig"),
        "lot\tcustomer\nL1\t山田\n".encode("utf-16"),  # with BOM
        "lot,customer\nL1,x\n".encode("utf-16-le"),  # without BOM
        "lot,customer\nL1,山田太郎\n".encode("shift_jis"),
    ],
)
def test_sniff_text_in_any_encoding(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(data)
    assert sniff.sniff(p) == "text"
    assert sniff.check_readable(p, expected_from_suffix="csv") == "text"


def test_sniff_reads_only_the_head_and_directory(tmp_path: Path) -> None:
    # A text file far larger than the head is still classified from the head.
    p = tmp_path / "big.csv"
    p.write_bytes(b"a,b\n" * 1_000_000 + b"\x00\x01\x02")
    assert sniff.sniff(p) == "text"


# --- check_readable -------------------------------------------------------------------


def test_missing_directory_and_empty(tmp_path: Path) -> None:
    err = refused(lambda: sniff.check_readable(tmp_path / "nope.xlsx", expected_from_suffix="xlsx"))
    assert "not found" in err.message and "check the path" in (err.hint or "")
    err = refused(lambda: sniff.check_readable(tmp_path, expected_from_suffix="xlsx"))
    assert "folder" in err.message
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    err = refused(lambda: sniff.check_readable(empty, expected_from_suffix="xlsx"))
    assert err.message == "file is empty (0 bytes)"
    assert err.file == str(empty)


def test_permission_denied(tmp_path: Path, xlsx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Running as root defeats chmod, so deny the open itself.
    def deny(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sniff, "open", deny, raising=False)
    err = refused(lambda: sniff.check_readable(xlsx, expected_from_suffix="xlsx"))
    assert "permission denied" in err.message
    monkeypatch.setattr(sniff, "open", builtins.open, raising=False)


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "export.xlsx"
    p.write_text(f"lot,customer\nL1,{PATIENT}\n", encoding="utf-8")
    err = refused(lambda: sniff.check_readable(p, expected_from_suffix="xlsx"))
    assert str(err) == f"{p}: is a text (CSV) file, not an xlsx workbook (rename it to .csv)"
    # A caller that reads by content may take it as CSV.
    assert sniff.check_readable(p, expected_from_suffix="xlsx", allow_mismatch=True) == "text"


def test_html_renamed_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "export.xlsx"
    p.write_text(f"<html><body><table><tr><td>{PATIENT}</td></tr></table></body></html>")
    err = refused(lambda: sniff.check_readable(p, expected_from_suffix="xlsx"))
    assert err.message == "is an HTML page saved with a .xlsx name"
    assert err.hint == "open it in Excel and save it as .xlsx"
    err = refused(lambda: sniff.check_readable(p, expected_from_suffix="xlsx", allow_mismatch=True))
    assert "HTML" in err.message


def test_other_refusals(tmp_path: Path, xlsx: Path) -> None:
    pdf = tmp_path / "a.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert "PDF" in refused(lambda: sniff.check_readable(pdf, expected_from_suffix="xlsx")).message
    zeros = tmp_path / "z.xlsx"
    zeros.write_bytes(bytes(5000))
    err = refused(lambda: sniff.check_readable(zeros, expected_from_suffix="xlsx"))
    assert "only zero bytes" in err.message
    junk = tmp_path / "j.xlsx"
    junk.write_bytes(bytes(range(256)) * 4)
    err = refused(lambda: sniff.check_readable(junk, expected_from_suffix="xlsx"))
    assert "unrecognised binary" in err.message
    # An xlsx renamed .xls / .csv: the fix is the right name.
    as_xls = tmp_path / "a.xls"
    as_xls.write_bytes(xlsx.read_bytes())
    err = refused(lambda: sniff.check_readable(as_xls, expected_from_suffix="xls"))
    assert err.message == "is an xlsx workbook, not an xls workbook"
    assert err.hint == "rename it to .xlsx"
    err = refused(lambda: sniff.check_readable(as_xls, expected_from_suffix="text"))
    assert err.message == "is an xlsx workbook, not a text (CSV) file"
    # xlsm (and a leading dot) map to xlsx.
    assert sniff.check_readable(xlsx, expected_from_suffix=".xlsm") == "xlsx"
    doc = make_cfb(tmp_path / "d.xls", {"WordDocument": b"x"})
    assert (
        "not an Excel"
        in refused(lambda: sniff.check_readable(doc, expected_from_suffix="xls")).message
    )


def test_encrypted_ods(tmp_path: Path) -> None:
    ods = tmp_path / "a.ods"
    pd.DataFrame({"lot": ["L1"]}).to_excel(ods, engine="odf", index=False)
    assert sniff.check_readable(ods, expected_from_suffix="ods") == "ods"
    manifest = (
        zipfile.ZipFile(ods)
        .read("META-INF/manifest.xml")
        .replace(
            b"</manifest:manifest>",
            b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
            b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
        )
    )
    locked = replace_member(ods, tmp_path / "locked.ods", "META-INF/manifest.xml", manifest)
    err = refused(lambda: sniff.check_readable(locked, expected_from_suffix="ods"))
    assert "password-protected ODS" in err.message


def test_xls_detection_and_password(tmp_path: Path) -> None:
    plain = make_cfb(tmp_path / "plain.xls", {"Workbook": biff_workbook()})
    assert sniff.check_readable(plain, expected_from_suffix="xls") == "xls"
    locked = make_cfb(tmp_path / "locked.xls", {"Workbook": biff_workbook(encrypted=True)})
    assert sniff.sniff(locked) == "xls"  # an encrypted xls is still an xls to sniff
    err = refused(lambda: sniff.check_readable(locked, expected_from_suffix="xls"))
    assert "password-protected" in err.message and "--password" in (err.hint or "")
    got = sniff.check_readable(locked, expected_from_suffix="xls", password="x")
    assert got == sniff.ENCRYPTED_XLS


# --- damaged zips and zip bombs ----------------------------------------------------------


def test_truncated_xlsx(tmp_path: Path, xlsx: Path) -> None:
    data = xlsx.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    assert sniff.sniff(cut) == "damaged-zip"
    err = refused(lambda: sniff.check_readable(cut, expected_from_suffix="xlsx"))
    assert err.message == "is damaged (not a complete xlsx zip)"
    assert "re-export" in (err.hint or "")
    assert refused(lambda: sniff.check_zip(cut)).message.startswith("is damaged")


def test_check_zip_accepts_real_workbooks(tmp_path: Path, xlsx: Path) -> None:
    sniff.check_zip(xlsx)
    sniff.check_xml_parts(xlsx)
    ods = tmp_path / "a.ods"
    pd.DataFrame({"lot": ["L1"]}).to_excel(ods, engine="odf", index=False)
    sniff.check_zip(ods)
    sniff.check_xml_parts(ods)
    wb = openpyxl.Workbook()
    wb.active.append(["lot"])  # type: ignore[union-attr]
    wb.save(tmp_path / "o.xlsx")
    sniff.check_zip(tmp_path / "o.xlsx")
    sniff.check_xml_parts(tmp_path / "o.xlsx")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("xl/workbook.xml", _WB)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                member.write(zeros)
    assert bomb.stat().st_size < 3 * 1024 * 1024
    assert sniff.check_readable(bomb, expected_from_suffix="xlsx") == "xlsx"  # type is fine
    err = refused(lambda: sniff.check_zip(bomb))
    assert "zip bomb" in err.message and "300 MB" in err.message
    # The total is under the default limit: the ratio rule is what caught it.
    err = refused(lambda: sniff.check_zip(bomb, max_ratio=1e9, max_uncompressed=200 * 1024**2))
    assert err.message == "would unzip to 300 MB, more than the 200 MB limit"
    assert err.hint == "if the file is genuine, raise the limit with --max-unzipped-mb 301"
    sniff.check_zip(bomb, max_ratio=1e9)


def test_zip_total_limit_names_the_flag(xlsx: Path) -> None:
    err = refused(lambda: sniff.check_zip(xlsx, max_uncompressed=1024))
    assert "more than the 0 MB limit" in err.message  # 1 KB rounds to 0.0
    assert "--max-unzipped-mb" in (err.hint or "")


def test_zip_too_many_entries(tmp_path: Path) -> None:
    p = tmp_path / "many.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("xl/workbook.xml", _WB)
        for i in range(30):
            zf.writestr(f"xl/media/image{i}.png", b"x")
    err = refused(lambda: sniff.check_zip(p, max_entries=10))
    assert "31 zip entries" in err.message
    sniff.check_zip(p)


def test_zip_overlapping_entries(tmp_path: Path, xlsx: Path) -> None:
    data = bytearray(xlsx.read_bytes())
    # Point the second central-directory entry at the first member's data.
    second = [m.start() for m in re.finditer(rb"PK\x01\x02", bytes(data))][1]
    struct.pack_into("<I", data, second + 42, 0)
    p = tmp_path / "overlap.xlsx"
    p.write_bytes(bytes(data))
    err = refused(lambda: sniff.check_zip(p))
    assert "overlapping" in err.message


# --- XML bombs --------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&" + ("lol" if i == 1 else f"lol{i - 1}") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)


def test_billion_laughs_in_workbook_xml(tmp_path: Path, xlsx: Path) -> None:
    laughs = LAUGHS + _WB.split("\n", 1)[1].replace('name="S"', 'name="&lol9;"')
    p = replace_member(xlsx, tmp_path / "laughs.xlsx", "xl/workbook.xml", laughs.encode())
    sniff.check_zip(p)  # small, so only the XML check can catch it
    err = refused(lambda: sniff.check_xml_parts(p))
    assert "XML entity declaration (possible XML bomb)" in err.message
    assert "xl/workbook.xml" in err.message
    # The structure helpers refuse it too (defusedxml), rather than expanding it.
    err = refused(lambda: sniff.xlsx_is_1904(p))
    assert "possible XML bomb" in err.message


def test_external_entity_and_late_doctype(tmp_path: Path, xlsx: Path) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&x;</Types>'
    )
    p = replace_member(xlsx, tmp_path / "xxe.xlsx", "[Content_Types].xml", xxe.encode())
    assert "possible XML bomb" in refused(lambda: sniff.check_xml_parts(p)).message
    # A DOCTYPE pushed past the first 4 KB by a comment, in a big part not parsed whole.
    sheet = zipfile.ZipFile(xlsx).read("xl/worksheets/sheet1.xml").decode()
    body = sheet.split("\n", 1)[1]
    late = '<?xml version="1.0"?>\n<!--' + "x" * 6000 + '-->\n<!DOCTYPE w [<!ENTITY a "b">]>' + body
    p2 = replace_member(xlsx, tmp_path / "late.xlsx", "xl/worksheets/sheet1.xml", late.encode())
    assert "possible XML bomb" in refused(lambda: sniff.check_xml_parts(p2)).message
    # Called on its own, the sheet streamer refuses the DTD rather than expanding it.
    assert "possible XML bomb" in refused(lambda: sniff.xlsx_first_row(p2, "Shipments")).message
    # UTF-16 encoded parts are scanned too.
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + LAUGHS.split("\n", 1)[1] + body).encode(
        "utf-16"
    )
    p3 = replace_member(xlsx, tmp_path / "u16.xlsx", "xl/worksheets/sheet1.xml", utf16)
    assert "possible XML bomb" in refused(lambda: sniff.check_xml_parts(p3)).message


# --- encryption -------------------------------------------------------------------------


def test_encrypted_xlsx(tmp_path: Path, xlsx: Path) -> None:
    enc = tmp_path / "locked.xlsx"
    with open(xlsx, "rb") as src, open(enc, "wb") as out:
        OOXMLFile(src).encrypt("s3cret", out)
    assert sniff.sniff(enc) == "encrypted-ooxml"
    assert sniff.sniff(xlsx) == "xlsx"

    err = refused(lambda: sniff.check_readable(enc, expected_from_suffix="xlsx"))
    assert err.message == "is password-protected (encrypted)"
    assert "--password" in (err.hint or "")
    assert sniff.check_readable(enc, expected_from_suffix="xlsx", password="x") == "encrypted-ooxml"

    err = refused(lambda: sniff.decrypt(enc, "wrong"))
    assert err.message == "password did not open it"
    assert "no password" in refused(lambda: sniff.decrypt(enc, "")).message

    data = sniff.decrypt(enc, "s3cret")
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert sniff.xlsx_first_row(data, "Shipments", file=enc) == 1
    # The decrypted bytes were put through the zip checks with the given limits.
    err = refused(lambda: sniff.decrypt(enc, "s3cret", max_uncompressed=1024))
    assert "--max-unzipped-mb" in (err.hint or "")


# --- xlsx_first_row vs calamine -------------------------------------------------------------


def test_first_row_xlsxwriter_layouts(tmp_path: Path) -> None:
    cases: dict[str, Callable[[Any, Any], object]] = {
        "title_then_c4": lambda wb, ws: (
            ws.write(0, 0, "Shipments Q3"),
            ws.write_row(3, 2, [1, 2]),
        ),
        "c4": lambda wb, ws: ws.write_row(3, 2, ["lot", "qty"]),
        "styled_blank_first": lambda wb, ws: (
            ws.write_blank(0, 0, None, wb.add_format({"bold": True})),
            ws.write_blank(1, 3, None, wb.add_format({"bg_color": "yellow"})),
            ws.set_row(1, 30),
            ws.write_row(2, 1, ["lot", "qty"]),
        ),
        "date_first": lambda wb, ws: ws.write_datetime(
            6, 0, dt.datetime(2024, 1, 2), wb.add_format({"num_format": "yyyy-mm-dd"})
        ),
        "empty_string_cell": lambda wb, ws: (ws.write_string(4, 0, ""), ws.write(9, 0, "x")),
    }
    for label, build in cases.items():
        p = tmp_path / f"{label}.xlsx"
        wb = xlsxwriter.Workbook(str(p))
        ws = wb.add_worksheet("Data")
        build(wb, ws)
        wb.close()
        assert sniff.xlsx_first_row(p, "Data") == calamine_first_row(p, "Data"), label


def test_first_row_openpyxl_styled_rows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Data"
    ws["A1"].font = openpyxl.styles.Font(bold=True)  # style only, no value
    ws.row_dimensions[2].height = 40
    ws["B5"] = "lot"
    ws["C6"] = 3
    p = tmp_path / "o.xlsx"
    wb.save(p)
    assert sniff.xlsx_first_row(p, "Data") == calamine_first_row(p, "Data") == 5


TAIL = '<row r="5"><c r="B5"><v>1</v></c></row>'
RAW_CASES = [
    ("no_r_attributes", "<row/><row><c/></row><row><c><v>1</v></c></row>", ""),
    ("cell_r_only", '<row><c r="C3"><v>1</v></c></row>', ""),
    ("empty_numeric_v", '<row r="2"><c r="A2"><v></v></c></row>' + TAIL, ""),
    ("formula_no_cache", '<row r="2"><c r="A2"><f>1+1</f></c></row>' + TAIL, ""),
    (
        "empty_inline_string",
        '<row r="3"><c r="A3" t="inlineStr"><is><t/></is></c></row>' + TAIL,
        "",
    ),
    ("empty_str_formula", '<row r="2"><c r="A2" t="str"><f>""</f><v></v></c></row>' + TAIL, ""),
    ("error_value", '<row r="4"><c r="D4" t="e"><v>#N/A</v></c></row>', ""),
    (
        "sdk_prefix",
        '<x:row r="6"><x:c r="A6" s="1"/>'
        '<x:c r="B6" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>',
        "x",
    ),
]


@pytest.mark.parametrize(("label", "sheet_data", "prefix"), RAW_CASES)
def test_first_row_raw_xml(tmp_path: Path, label: str, sheet_data: str, prefix: str) -> None:
    p = make_raw_xlsx(tmp_path / f"{label}.xlsx", sheet_data, prefix=prefix)
    assert sniff.xlsx_first_row(p, "S") == calamine_first_row(p, "S")


def test_first_row_stops_early(tmp_path: Path) -> None:
    # Anything after the first value is never parsed: here it is not even XML.
    rows = '<row r="2"><c r="B2"><v>1</v></c></row>' + "<row <<garbage" * 100_000
    p = make_raw_xlsx(tmp_path / "early.xlsx", rows)
    assert sniff.xlsx_first_row(p, "S") == 2


def test_first_row_errors(tmp_path: Path, xlsx: Path) -> None:
    err = refused(lambda: sniff.xlsx_first_row(xlsx, "Nope"))
    assert err.message == "no sheet named 'Nope'" and "'Shipments'" in (err.hint or "")
    p = make_raw_xlsx(tmp_path / "bad.xlsx", "<row><c><v>1</row>")
    assert "cannot be read" in refused(lambda: sniff.xlsx_first_row(p, "S")).message


# --- 1904 and hidden ----------------------------------------------------------------------


def test_1904(tmp_path: Path, xlsx: Path) -> None:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    wb.active.append([1])  # type: ignore[union-attr]
    p = tmp_path / "mac.xlsx"
    wb.save(p)
    assert sniff.xlsx_is_1904(p) is True
    assert sniff.xlsx_is_1904(xlsx) is False


def test_hidden(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Visible"
    for i in range(1, 21):
        ws.append([f"L{i}", i])
    ws.row_dimensions[3].hidden = True
    ws.row_dimensions[4].hidden = True
    ws.column_dimensions["B"].hidden = True
    ws.auto_filter.ref = "A1:B20"
    hidden = wb.create_sheet("Old")
    hidden.append(["x"])
    hidden.sheet_state = "hidden"
    very = wb.create_sheet("Lookup")
    very.sheet_state = "veryHidden"
    p = tmp_path / "h.xlsx"
    wb.save(p)
    got = sniff.xlsx_hidden(p)
    assert got == {
        "Visible": {"state": "visible", "hidden_rows": 2, "hidden_cols": 1, "autofilter": True},
        "Old": {"state": "hidden", "hidden_rows": 0, "hidden_cols": 0, "autofilter": False},
        "Lookup": {"state": "veryHidden", "hidden_rows": 0, "hidden_cols": 0, "autofilter": False},
    }


def test_hidden_rows_across_chunk_boundaries(tmp_path: Path) -> None:
    # Enough rows that the 1 MB chunks split row tags; every 7th row hidden.
    hide = ' hidden="1"'
    rows = "".join(
        f'<row r="{r}"{hide if r % 7 == 0 else ""}><c r="A{r}"><v>{r}</v></c></row>'
        for r in range(1, 60_001)
    )
    p = make_raw_xlsx(tmp_path / "many.xlsx", rows)
    assert sniff.xlsx_hidden(p)["S"]["hidden_rows"] == 60_000 // 7
