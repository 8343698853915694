"""Files as real applications write them (issue 15): Excel for Mac, LibreOffice, Gnumeric,
old and damaged workbooks.

One test per case. Fixtures are built here where the XML or bytes are simple enough to
write by hand; the few files only a real program produces are in tests/real_apps/, and
its README.md says which program and version made each one, and how.
"""

from __future__ import annotations

import datetime as dt
import io
import shlex
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from recall_cli.errors import InputFileError, RecallError
from recall_cli.query import run as api
from recall_cli.read import load, sniff

REAL = Path(__file__).parent / "real_apps"
LOT = "B201575"
START, END = dt.date(2010, 11, 30), dt.date(2011, 1, 4)
HEADER = ["Lot", "Ship Date", "Customer ID", "Name", "Quantity"]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def run(*paths: Path, lots: tuple[str, ...] = (LOT,), **kw: object) -> api.Run:
    req = api.Request.from_options(
        paths=paths, lots=lots, start=START, end=END, no_cache=True, **kw
    )
    return api.run(req)


def outcome(r: api.Run) -> list[tuple[int, str, str]]:
    rows = r.shipments.rows["row"].tolist()
    return list(zip(rows, r.result.bucket.tolist(), r.result.reason.tolist(), strict=True))


def refused(fn: object) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        fn()  # type: ignore[operator]
    return info.value


# --- a hand-written xlsx --------------------------------------------------------------


def _cell(ref: str, value: object) -> str:
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="1"><v>{value}</v></c>'  # replaced by a serial below
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def excel_xlsx(
    path: Path,
    rows: list[list[object]],
    *,
    workbook_pr: str = "",
    ext_lst: str = "",
    date1904: bool = False,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A minimal xlsx laid out as Excel writes it: real dates are serials with a date style.

    `workbook_pr` and `ext_lst` go into workbook.xml where Excel puts them; dates are
    stored as serials on the 1904 epoch when `date1904`.
    """
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                serial = (value - epoch).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            else:
                cells.append(_cell(ref, value))
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}">'
        f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN_NS}" '
        f'xmlns:r="{REL_NS}"><fileVersion appName="xl"/>{workbook_pr}'
        '<sheets><sheet name="Shipments" sheetId="1" r:id="rId1"/></sheets>'
        f'<calcPr calcId="191029"/>{ext_lst}</workbook>'
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN_NS}">'
        '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" xfId="0"/>'
        '<xf numFmtId="14" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>'
    )
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    wb_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/styles.xml", styles)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


# Excel 2013+ (Windows and Mac) writes this extension into every workbook it saves.
X15_EXT = (
    '<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" '
    'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">'
    '<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst>'
)
SHIPMENTS = [
    HEADER,
    [LOT, dt.date(2010, 12, 1), "C1", "A", 1],
    [LOT, dt.date(2011, 1, 4), "C2", "B", 2],
    [LOT, dt.date(2011, 1, 5), "C3", "C", 3],
]


# --- 1. 1904 workbooks as current Excel writes them ------------------------------------


def test_1904_workbook_with_x15_extension_reads_its_own_dates(tmp_path: Path) -> None:
    p = excel_xlsx(
        tmp_path / "mac.xlsx",
        SHIPMENTS,
        workbook_pr='<workbookPr date1904="1" defaultThemeVersion="166925"/>',
        ext_lst=X15_EXT,
        date1904=True,
    )
    assert sniff.xlsx_is_1904(p) is True
    r = run(p)
    days = r.shipments.rows["ship_date"].dt.date.tolist()
    assert days == [dt.date(2010, 12, 1), dt.date(2011, 1, 4), dt.date(2011, 1, 5)]
    assert [b for _, b, _ in outcome(r)] == ["matched", "matched", "not_matched"]
    assert r.shipments.sources[0].details["date_system"] == "1904"


def test_1900_workbook_with_x15_extension_unchanged(tmp_path: Path) -> None:
    p = excel_xlsx(tmp_path / "win.xlsx", SHIPMENTS, workbook_pr="<workbookPr/>", ext_lst=X15_EXT)
    r = run(p)
    assert r.shipments.rows["ship_date"].dt.date.tolist()[0] == dt.date(2010, 12, 1)
    assert r.shipments.sources[0].details["date_system"] == "1900"


def test_1904_typed_iso_text_is_not_shifted(tmp_path: Path) -> None:
    # A typed text that looks like the reader's datetime text is no serial: kept as typed.
    rows = [HEADER, [LOT, dt.date(2010, 12, 1), "C1", "A", 1],
            [LOT, "2010-12-02 00:00:00", "C2", "B", 1]]  # fmt: skip
    p = excel_xlsx(tmp_path / "t.xlsx", rows, workbook_pr='<workbookPr date1904="1"/>',
                   ext_lst=X15_EXT, date1904=True)  # fmt: skip
    days = run(p).shipments.rows["ship_date"].dt.date.tolist()
    assert days == [dt.date(2010, 12, 1), dt.date(2010, 12, 2)]


def test_sheetjs_1904_files_date_system() -> None:
    """SheetJS test_files/1904 (Apache-2.0), saved by Excel for Mac: the same serials in
    a 1900 and a 1904 workbook, each format."""
    from recall_cli.read import epoch

    for name in ("1904.xlsx", "1904.xls", "1904.xlsb", "1904.ods"):
        assert epoch.date1904(REAL / name, name.rsplit(".", 1)[1]), name
    sheet = next(load.read_file(REAL / "1904.xlsx"))
    # Column B holds date cells, column C Excel's own TEXT(B, "YYYY-MM-DD") of them.
    got = [v[:10] for v in sheet.cells[1].tolist()]
    assert got == sheet.cells[2].tolist()
    assert sheet.details["date_system"] == "1904"


# --- 5. a panic in calamine -----------------------------------------------------------


def test_calamine_panic_is_damaged_file(tmp_path: Path) -> None:
    p = REAL / "ptgexp-truncated-operand.xls"
    err = refused(lambda: list(load.read_file(p)))
    assert err.message.startswith("is damaged") and err.file == str(p)


def test_calamine_panic_prints_no_rust_report(tmp_path: Path) -> None:
    # Rust writes its panic report to fd 2 itself: only a subprocess can see it.
    env = {"RECALL_CACHE_DIR": str(tmp_path / "c"), "RECALL_AUDIT_LOG": str(tmp_path / "a"),
           "RUST_BACKTRACE": "1", "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "recall_cli", "inspect", str(REAL / "ptgexp-truncated-operand.xls")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is damaged" in lines[0], done.stderr
    assert "panicked" not in done.stderr and "Traceback" not in done.stderr


def test_stderr_filter_keeps_other_output() -> None:
    import os

    from recall_cli.read.guard import _PanicFilter

    r, w = os.pipe()
    f = _PanicFilter(w)
    f.feed(b"before\n\nthread '<unnamed>' (17882) panicked at src/xls.rs:1:2:\nrange ")
    f.feed(b"start index 4\nstack backtrace:\n   0: rust_begin_unwind\n")
    f.feed(b"             at /rustc/x.rs:1\nnote: Some details are omitted\nafter\n\rbar 50%")
    f.close()
    os.close(w)
    assert os.read(r, 1000) == b"before\nafter\n\rbar 50%"
    os.close(r)


# --- 6. a sheet cut at the format's last row ------------------------------------------


def test_xlsx_sheet_ending_at_row_1048576_warns(tmp_path: Path) -> None:
    p = tmp_path / "cut.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Export")
    first = 1_048_576 - 4  # 0-based row of the header: data ends on the last row
    ws.write_row(first, 0, HEADER)
    for i in range(1, 4):
        ws.write_row(first + i, 0, [LOT, "2010-12-01", f"C{i}", "A", 1])
    wb.close()
    info = run(p).shipments.sources[0]
    assert any("row 1,048,576" in w and ".xlsx" in w for w in info.warnings), info.warnings
    short = tmp_path / "short.xlsx"
    wb = xlsxwriter.Workbook(str(short))
    ws = wb.add_worksheet("Export")
    ws.write_row(first - 1, 0, HEADER)
    ws.write_row(first, 0, [LOT, "2010-12-01", "C1", "A", 1])
    wb.close()
    assert not any("1,048,576" in w for w in run(short).shipments.sources[0].warnings)


def test_xls_sheet_ending_at_row_65536_warns() -> None:
    r = run(REAL / "cut_at_65536.soffice.xls")
    info = r.shipments.sources[0]
    assert any("row 65,536" in w and ".xls" in w for w in info.warnings), info.warnings
    assert "Export" in info.sheet


CUT = (
    "the sheet ends at row 65,536, the last row an .xls sheet can hold: the table was "
    "probably cut when it was saved as .xls; ask the site for an .xlsx or .csv export of "
    "the whole table"
)


def test_row_limit_warned_once_on_stderr_and_carried_in_json(tmp_path: Path) -> None:
    p = REAL / "cut_at_65536.soffice.xls"
    env = {"RECALL_CACHE_DIR": str(tmp_path / "c"), "RECALL_AUDIT_LOG": str(tmp_path / "a"),
           "PATH": "/usr/bin:/bin", "COLUMNS": "200"}  # fmt: skip
    args = [sys.executable, "-m", "recall_cli", "summary", "--format", "json", "--lot", LOT,
            "--from", "2010-11-30", "--to", "2011-01-04", str(p)]  # fmt: skip
    for _ in range(2):  # the second run answers from the cache: the same warning
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("row 65,536") == 1, done.stderr
        assert f"warning: {p} / Export: {CUT}" in done.stderr.splitlines()
        import json

        (source,) = json.loads(done.stdout)["sources"]
        assert source["sheet"] == "Export" and source["warnings"] == [CUT]


# --- 7. an xlsx re-zipped by macOS Finder ---------------------------------------------

# An AppleDouble header (magic, version 2), as in every ._ file Finder writes.
APPLEDOUBLE = struct.pack(">II", 0x00051607, 0x00020000) + b"Mac OS X        " + bytes(60)


def test_macos_resource_fork_entries_are_ignored(tmp_path: Path) -> None:
    forks = {
        f"__MACOSX/{name}": APPLEDOUBLE
        for name in ("._[Content_Types].xml", "_rels/._.rels", "xl/._workbook.xml",
                     "xl/_rels/._workbook.xml.rels", "xl/worksheets/._sheet1.xml")
    }  # fmt: skip
    p = excel_xlsx(tmp_path / "finder.xlsx", SHIPMENTS, extra=forks)
    sniff.check_xml_parts(p)
    assert [b for _, b, _ in outcome(run(p))] == ["matched", "matched", "not_matched"]


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it then writes data descriptors (flag bit 3),
    as Finder's Compress and `ditto -c -k` do."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def finder_rezip(src: Path, dest: Path) -> Path:
    """`src` re-zipped as macOS Finder does: folder entries, data descriptors, and one
    AppleDouble `__MACOSX/.../._name` entry per file."""
    out = _Unseekable()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        folders: set[str] = set()
        for info in zin.infolist():
            parts = info.filename.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                folder = "/".join(parts[:k]) + "/"
                if folder not in folders:
                    folders.add(folder)
                    zout.writestr(zipfile.ZipInfo(folder), b"")
            zout.writestr(info.filename, zin.read(info))
        zout.writestr(zipfile.ZipInfo("__MACOSX/"), b"")
        for info in zin.infolist():
            head, _, tail = info.filename.rpartition("/")
            zout.writestr(f"__MACOSX/{head + '/' if head else ''}._{tail}", APPLEDOUBLE)
    dest.write_bytes(bytes(out.data))
    return dest


def test_finder_zipped_xlsx_and_ods_read(tmp_path: Path) -> None:
    xlsx = finder_rezip(excel_xlsx(tmp_path / "a.xlsx", SHIPMENTS), tmp_path / "finder.xlsx")
    with zipfile.ZipFile(xlsx) as zf:
        assert all(i.flag_bits & 0x8 for i in zf.infolist())
    assert [b for _, b, _ in outcome(run(xlsx))] == ["matched", "matched", "not_matched"]
    ods = finder_rezip(REAL / "1904.ods", tmp_path / "finder.ods")
    assert sniff.sniff(ods) == "ods"
    sheet = next(load.read_file(ods))
    assert sheet.details["date_system"] == "1904"


# --- 8. xlsb with a chart sheet -------------------------------------------------------


def test_xlsb_chart_sheet_is_skipped() -> None:
    """calamine's tests/any_sheets.xlsb (MIT): worksheets Visible, Hidden, VeryHidden and
    a chart sheet Chart, which calamine 0.36 cannot load."""
    sheets = {s.sheet: s for s in load.read_file(REAL / "any_sheets.xlsb")}
    assert list(sheets) == ["Visible", "Hidden", "VeryHidden", "Chart"]
    assert sheets["Chart"].skipped == "a chart sheet, not a table of cells"
    assert not sheets["Visible"].skipped


# --- 2. a CSV opened in the other locale and saved as xlsx ----------------------------


def _dates_and_buckets(p: Path) -> tuple[list[dt.date], list[str]]:
    r = run(p)
    return r.shipments.rows["ship_date"].dt.date.tolist(), r.result.bucket.tolist()


@pytest.mark.parametrize(
    ("workbook", "csv"),
    [
        ("fr_ddmm_opened_enUS.soffice.xlsx", "fr_expeditions.csv"),
        ("us_mmdd_opened_frFR.soffice.xlsx", "us_shipments.csv"),
    ],
)
def test_locale_swapped_csv_saved_by_libreoffice_is_restored(workbook: str, csv: str) -> None:
    """LibreOffice 7.4 opened each CSV in the other locale and saved it as xlsx
    (tests/real_apps/README.md): the rows must read as the CSV itself reads."""
    swapped, original = run(REAL / workbook), run(REAL / csv)
    assert swapped.shipments.rows["ship_date"].tolist() == (
        original.shipments.rows["ship_date"].tolist()
    )
    assert swapped.result.bucket.tolist() == original.result.bucket.tolist()
    info = swapped.shipments.sources[0]
    assert info.details["locale_swap"] == "restored"
    assert any("swapped back in 9 rows" in w for w in info.warnings), info.warnings
    request = api.Request.from_options(paths=(REAL / workbook,), need_scope=False, no_cache=True)
    inspected = api.inspect(request)
    assert inspected[0]["details"]["locale_swap"] == "restored"
    assert inspected[0]["details"]["date_system"] == "1900"


def _opened_in_us_locale(days: list[dt.date]) -> list[object]:
    """What an en-US opener makes of dd/mm/yyyy text: a real date (month and day swapped)
    where the first number can be a month, else the text unchanged."""
    out: list[object] = []
    for d in days:
        if d.day <= 12:
            out.append(dt.date(d.year, d.day, d.month))
        else:
            out.append(f"{d:%d/%m/%Y}")
    return out


def test_locale_swap_inconclusive_goes_to_review(tmp_path: Path) -> None:
    # Text dates in December; the real dates read as Dec 11 and swapped as Nov 12 both
    # fall among them: no way to tell, so those rows go to review.
    days = [dt.date(2010, 12, 13), dt.date(2010, 12, 28), dt.date(2010, 11, 12),
            dt.date(2010, 12, 12)]  # fmt: skip
    cells = _opened_in_us_locale(days)
    rows = [HEADER, *([LOT, c, f"C{i}", "A", 1] for i, c in enumerate(cells))]
    r = run(excel_xlsx(tmp_path / "x.xlsx", rows))
    got = outcome(r)
    assert [b for _, b, _ in got] == ["matched", "matched", "needs_review", "matched"]
    assert "day and month swapped" in got[2][2]
    assert r.shipments.sources[0].details["locale_swap"] == "to review"
    # Dec 12 reads the same either way and stays matched.
    assert r.shipments.rows["ship_date"].dt.date.tolist()[3] == dt.date(2010, 12, 12)


def test_locale_swap_not_claimed_for_genuine_dates(tmp_path: Path) -> None:
    # Real dates typed in early December and a few cells typed as dd/mm text: as read
    # they sit among the text dates, swapped they would not. Nothing is changed.
    rows = [HEADER, [LOT, dt.date(2010, 12, 1), "C1", "A", 1],
            [LOT, dt.date(2010, 12, 3), "C2", "B", 1],
            [LOT, "15/12/2010", "C3", "C", 1]]  # fmt: skip
    r = run(excel_xlsx(tmp_path / "g.xlsx", rows))
    assert r.shipments.rows["ship_date"].dt.date.tolist() == [
        dt.date(2010, 12, 1), dt.date(2010, 12, 3), dt.date(2010, 12, 15)]  # fmt: skip
    assert "locale_swap" not in r.shipments.sources[0].details
    assert [b for _, b, _ in outcome(r)] == ["matched"] * 3


def test_text_shaped_like_date_cells_with_a_time_is_never_swapped(tmp_path: Path) -> None:
    # An ERP's own datetime text in a workbook reads like the reader's date cells. Here
    # swapping would look conclusive (Mar 12 is far from December, Dec 3 among it), but
    # a CSV opened in the other locale makes cells at midnight: a time of day leaves
    # the rows to a person instead of changing their dates.
    rows = [HEADER, [LOT, "2010-03-12 13:30:00", "C1", "A", 1],
            [LOT, "15/12/2010", "C2", "B", 1], [LOT, "20/12/2010", "C3", "C", 1]]  # fmt: skip
    r = run(excel_xlsx(tmp_path / "t.xlsx", rows))
    got = outcome(r)
    assert [b for _, b, _ in got] == ["needs_review", "matched", "matched"]
    assert "day and month swapped" in got[0][2]
    assert r.shipments.sources[0].details["locale_swap"] == "to review"
    assert any("time of day" in w for w in r.shipments.sources[0].warnings)
    # The same at midnight is what a locale swap makes: restored.
    rows[1][1] = "2010-03-12 00:00:00"
    r = run(excel_xlsx(tmp_path / "m.xlsx", rows))
    assert r.shipments.rows["ship_date"].dt.date.tolist()[0] == dt.date(2010, 12, 3)
    assert r.shipments.sources[0].details["locale_swap"] == "restored"


def test_locale_swap_needs_real_dates_not_csv_text(tmp_path: Path) -> None:
    # In a CSV every cell is text: ISO text beside dd/mm text is no locale swap.
    p = tmp_path / "t.csv"
    p.write_text(
        "Lot,Ship Date,Customer ID,Name,Quantity\n"
        f"{LOT},2010-01-12 00:00:00,C1,A,1\n{LOT},13/12/2010,C2,B,1\n"
    )
    r = run(p)
    assert r.shipments.rows["ship_date"].dt.date.tolist()[0] == dt.date(2010, 1, 12)
    assert "locale_swap" not in r.shipments.sources[0].details


# --- 3. lots turned into scientific numbers -------------------------------------------


def test_scientific_lot_turned_number_goes_to_review(tmp_path: Path) -> None:
    # Excel reads the lot 12E4 as 120000; a CSV it saves shows it as 1.20E+05.
    p = tmp_path / "sci.csv"
    p.write_text(
        "Lot,Ship Date,Customer ID,Name,Quantity\n"
        "12E4,2010-12-01,C1,A,1\n"  # kept as text: the recalled lot itself
        "120000,2010-12-01,C2,B,1\n"
        "1.20E+05,2010-12-01,C3,C,1\n"
        "1.30E+05,2010-12-01,C4,D,1\n"  # rounds to another number: not this lot
        "1.2E+05,2010-12-01,C5,E,1\n"
    )
    r = run(p, lots=("12E4",))
    got = outcome(r)
    assert [b for _, b, _ in got] == [
        "matched", "needs_review", "needs_review", "not_matched", "needs_review"]  # fmt: skip
    assert "12E4" in got[1][2] and "scientific" in got[1][2]
    warnings = r.shipments.sources[0].warnings
    assert any("3 lots are numbers in scientific notation" in w for w in warnings), warnings


def test_lost_zeros_rule_unchanged_beside_scientific(tmp_path: Path) -> None:
    rows = [HEADER, [12345, dt.date(2010, 12, 1), "C1", "A", 1],
            [120000, dt.date(2010, 12, 1), "C2", "B", 1]]  # fmt: skip
    got = outcome(run(excel_xlsx(tmp_path / "z.xlsx", rows), lots=("0012345", "12E4")))
    zeros = "numeric lot may be a recalled lot whose leading zeros Excel dropped"
    assert got[0][1:] == ("needs_review", zeros)
    assert got[1][1] == "needs_review" and "12E4" in got[1][2]


# --- 4. postal codes that lost their zero ---------------------------------------------


def test_postal_codes_padded_by_country_format(tmp_path: Path) -> None:
    header = ["Lot", "Ship Date", "Name", "Code postal", "Pays", "Qty"]
    rows: list[list[object]] = [
        header,
        [LOT, dt.date(2010, 12, 1), "Ann", 1000, "France", 1],  # Bourg-en-Bresse, 01000
        [LOT, dt.date(2010, 12, 2), "Ann", "01000", "FR", 2],  # the same customer, as text
        [LOT, dt.date(2010, 12, 1), "Bea", 1067, "Deutschland", 1],  # Dresden 01067
        [LOT, dt.date(2010, 12, 1), "Cid", 144, "Italia", 1],  # Roma 00144
        [LOT, dt.date(2010, 12, 1), "Dan", 8001, "Spain", 1],  # Barcelona 08001
        [LOT, dt.date(2010, 12, 1), "Eve", 2134, "US", 1],  # Boston 02134
        [LOT, dt.date(2010, 12, 1), "Flo", 1000, "Belgique", 1],  # Brussels: fits as it is
        [LOT, dt.date(2010, 12, 1), "Gus", 123456, "FR", 1],  # fits no French format
    ]
    r = run(excel_xlsx(tmp_path / "p.xlsx", rows))
    codes = r.shipments.rows["postal_code"].tolist()
    assert codes == ["01000", "01000", "01067", "00144", "08001", "02134", "1000", "123456"]
    ann = r.result.customers
    assert ann.loc[ann["name"] == "Ann", "units"].tolist() == [3]  # one customer, not two
    warnings = r.shipments.sources[0].warnings
    assert "2 FR postal codes had lost leading zeros" not in " ".join(warnings)
    for cc in ("FR", "DE", "IT", "ES", "US"):
        assert any(w.startswith(f"1 {cc} postal code had lost leading zeros") for w in warnings)
    assert any("1 postal code does not fit" in w and "FR like" in w and "rows 9" in w
               for w in warnings), warnings  # fmt: skip
    problems = r.shipments.rows["problem"].tolist()
    assert problems[-1] == "postal code does not fit its country's format"
    assert [b for _, b, _ in outcome(r)] == ["matched"] * 8  # flagged, not unmatched


# --- 10. a UTF-8 BOM read as Latin-1 --------------------------------------------------

BOM_HEADER = "ship_date,lot,customer_id,name,quantity"


@pytest.mark.parametrize(
    "name", ["bom_read_as_cp1252.soffice.csv", "bom_read_as_cp1252.soffice.xlsx"]
)
def test_bom_read_as_cp1252_by_libreoffice_is_stripped(name: str) -> None:
    """LibreOffice 7.4 opened a UTF-8 CSV with a BOM as Windows-1252 and saved it as
    UTF-8 CSV (the first header quoted: '"ï»¿ship_date"') and as xlsx."""
    r = run(REAL / name)
    assert r.shipments.sources[0].columns["ship_date"] == "ship_date"
    assert [b for _, b, _ in outcome(r)] == ["matched", "matched"]


MISREAD = "\u00ef\u00bb\u00bf"  # a UTF-8 BOM decoded as cp1252
BOM_CSV = BOM_HEADER + ",ville\n2010-12-01," + LOT + ",C1,Ann,1,Orléans\n"


@pytest.mark.parametrize(
    ("data", "given", "read_as"),
    [
        ((MISREAD + BOM_CSV).encode(), None, "utf-8"),  # "ï»¿" saved again as UTF-8
        (b"\xef\xbb\xbf" + BOM_CSV.encode("cp1252"), None, "cp1252"),  # a BOM, then cp1252
        (b"\xef\xbb\xbf" + BOM_CSV.encode("cp1252"), "cp1252", "cp1252"),
    ],
    ids=["utf8-misread", "bom-then-cp1252", "bom-then-given-cp1252"],
)
def test_misread_bom_in_csv_is_stripped(
    tmp_path: Path, data: bytes, given: str | None, read_as: str
) -> None:
    p = tmp_path / "bom.csv"
    p.write_bytes(data)
    r = run(p, encoding=given)
    info = r.shipments.sources[0]
    assert info.columns["ship_date"] == "ship_date", info.columns
    assert info.details["encoding"] == read_as
    assert r.shipments.rows["city"].tolist() == ["Orléans"]
    assert [b for _, b, _ in outcome(r)] == ["matched"]


# --- 9. code pages: "CSV (MS-DOS)" and "CSV (Macintosh)" ------------------------------

FR_ROWS = [
    "N° de lot;Date d'expédition;Code client;Nom;Quantité",
    f"{LOT};01/12/2010;C001;Müller Bäckerei;1",
    f"{LOT};15/12/2010;C002;Crème Brûlée SARL;2",
    "B201599;03/01/2011;C003;Peña & Søn;3",
]
FR_NAMES = ["Müller Bäckerei", "Crème Brûlée SARL", "Peña & Søn"]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("fr_cp850.soffice.csv", "cp850"), ("fr_macroman.soffice.csv", "mac_roman")],
)
def test_code_page_csv_written_by_libreoffice(name: str, encoding: str) -> None:
    """LibreOffice 7.4 saved the same French table as IBM850 ("CSV (MS-DOS)") and as
    Mac Roman: both read with their own code page, headers and names intact."""
    r = run(REAL / name)
    info = r.shipments.sources[0]
    assert info.details["encoding"] == encoding
    assert info.columns["ship_date"] == "Date d'expédition"
    assert r.shipments.rows["name"].tolist() == FR_NAMES
    assert [b for _, b, _ in outcome(r)] == ["matched", "matched", "not_matched"]


@pytest.mark.parametrize("encoding", ["cp1252", "cp850", "mac_roman", "latin-1"])
def test_code_page_chosen_by_known_headers(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "fr.csv"
    p.write_bytes(("\r\n".join(FR_ROWS) + "\r\n").encode(encoding))
    r = run(p)
    # latin-1 and cp1252 agree on every letter; cp1252 is what Windows writes.
    assert r.shipments.sources[0].details["encoding"] == {"latin-1": "cp1252"}.get(
        encoding, encoding
    )
    assert r.shipments.rows["name"].tolist() == FR_NAMES


@pytest.mark.parametrize("encoding", ["cp1252", "cp850", "mac_roman"])
def test_code_page_without_accented_headers_read_by_its_letters(
    tmp_path: Path, encoding: str
) -> None:
    # ASCII headers read the same in every code page: the names decide.
    p = tmp_path / "en.csv"
    names = ["Schäfer & Söhne", "Crème Brûlée", "Straße 5 Müller"]
    rows = ["Lot,Ship Date,Customer ID,Name,Qty"]
    rows += [f"{LOT},2010-12-01,C{i},{n},1" for i, n in enumerate(names)]
    p.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    r = run(p)
    assert r.shipments.sources[0].details["encoding"] == encoding
    assert r.shipments.rows["name"].tolist() == names


def test_detect_encoding_is_pure_over_the_first_bytes() -> None:
    from recall_cli.normalize.columns import is_known_header
    from recall_cli.read.encoding import detect_encoding
    from recall_cli.read.load import decode_start

    header = "N° lot;Date d'expédition\r\n"
    assert detect_encoding(header.encode("utf-8")) == "utf-8"
    assert detect_encoding(codecs_bom() + header.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(header.encode("utf-16")) == "utf-16"
    assert detect_encoding(header.encode("utf-16-le")) == "utf-16-le"
    # A head cut inside a UTF-8 sequence is still UTF-8.
    assert detect_encoding(header.encode("utf-8")[:-4] + "é".encode()[:1]) == "utf-8"
    for cp in ("cp1252", "cp850", "mac_roman"):
        data = header.encode(cp)
        assert detect_encoding(data, is_known_header) == cp
        marked = codecs_bom() + data
        assert decode_start(marked, detect_encoding(marked, is_known_header)) == (header, 3)
    assert decode_start(codecs_bom() + b"a", "utf-8-sig") == ("a", 3)
    misread = "\u00ef\u00bb\u00bf" + header  # a BOM read as cp1252, saved as UTF-8
    assert decode_start(misread.encode("utf-8"), "utf-8") == (header, 6)


def codecs_bom() -> bytes:
    import codecs

    return codecs.BOM_UTF8


def test_no_code_page_fits_hint_names_encoding(tmp_path: Path) -> None:
    # Shift-JIS headers: any bytes fit a code page, no header is found, and the
    # message says the encoding was a guess and names --encoding.
    p = tmp_path / "jp.csv"
    p.write_bytes("ロット,出荷日,顧客,数量\r\nB1,2010-12-01,C1,1\r\n".encode("shift_jis"))
    err = refused(lambda: run(p))
    assert err.message == "no sheet with a recognisable header in any file"
    assert err.hint == (
        f"run `recall inspect` to see what was found; {p}: the file was read as cp850 (a "
        "guess): if its headers look garbled, pass --encoding with its real encoding "
        "(cp1252, cp850, mac_roman, latin-1)"
    )
    # Czech headers in cp1250: the lot is known, the rest is not, and the guess is named.
    p = tmp_path / "cz.csv"
    p.write_bytes("Lot;Datum odeslání;Zákazník;Množství\r\nB1;1.12.2010;C1;1\r\n".encode("cp1250"))
    with pytest.raises(RecallError) as info:
        run(p)
    assert "pass --encoding with its real encoding" in (info.value.hint or "")
    # A header that reads right in the guessed code page is no reason to blame it.
    p = tmp_path / "ok.csv"
    p.write_bytes("N° de lot;Date d'expédition;Quantité\r\nB1;01/12/2010;1\r\n".encode("cp850"))
    with pytest.raises(RecallError) as info:
        run(p)
    assert "--encoding" not in (info.value.hint or "") and "--encoding" not in info.value.message


# --- 11. Excel 2.x-4.0 worksheets and flat ODS ----------------------------------------


def _biff_record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HH", rid, len(data)) + data


def old_excel(path: Path, version: int, rows: list[list[str]]) -> Path:
    """An Excel 2.x/3.0/4.0 worksheet: a bare BIFF stream of BOF, LABEL cells and EOF."""
    bof = {2: 0x0009, 3: 0x0209, 4: 0x0409}[version]
    out = _biff_record(bof, struct.pack("<HH", 0, 0x0010) + (b"" if version == 2 else bytes(2)))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            b = text.encode("cp1252")
            if version == 2:  # LABEL: row, col, 3 attribute bytes, 1-byte length
                out += _biff_record(0x0004, struct.pack("<HH3sB", r, c, bytes(3), len(b)) + b)
            else:  # LABEL: row, col, XF index, 2-byte length
                out += _biff_record(0x0204, struct.pack("<HHHH", r, c, 0, len(b)) + b)
    path.write_bytes(out + _biff_record(0x000A, b""))
    return path


OLD_ROWS = [HEADER, [LOT, "2010-12-01", "C1", "Ann", "1"]]


@pytest.mark.parametrize(("version", "label"), [(2, "2.x"), (3, "3.0"), (4, "4.0")])
def test_excel_2_to_4_worksheet_says_what_it_is(tmp_path: Path, version: int, label: str) -> None:
    p = old_excel(tmp_path / "old report.xls", version, OLD_ROWS)
    err = refused(lambda: run(p))
    assert err.message == (
        f"is an Excel {label} worksheet (BIFF{version}), a format older than Excel 5 (1993) "
        "that the spreadsheet readers used here cannot open"
    )
    assert err.hint == (
        f"convert it with LibreOffice: soffice --headless --convert-to xlsx '{p}', "
        "or open it in Excel and save it as .xlsx"
    )


def test_biff_bof_needs_a_known_document_type() -> None:
    # A text file starting with a tab and a NUL is no BIFF2 file.
    assert sniff._old_biff(b"\x09\x00\x04\x00\x07\x00\x99\x99rest") is None
    assert sniff._old_biff(b"\x09\x04\x06\x00\x00\x00\x00\x01\x00\x00") == "biff4"  # workbook


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_excel_4_worksheet_converted_as_the_hint_says(tmp_path: Path) -> None:
    p = old_excel(tmp_path / "old.xls", 4, OLD_ROWS)
    cmd = refused(lambda: run(p)).hint.split(": ", 1)[1].split(", or ")[0]  # type: ignore[union-attr]
    profile = f"-env:UserInstallation=file://{tmp_path}/lo"
    args = shlex.split(cmd)
    subprocess.run([args[0], profile, *args[1:], "--outdir", str(tmp_path)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    assert [b for _, b, _ in outcome(run(tmp_path / "old.xlsx"))] == ["matched"]


FODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def flat_ods(path: Path, rows: list[list[object]], *, prolog: str = "") -> Path:
    """A flat ODS laid out as LibreOffice writes it: indented, one element a line."""
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>{prolog}',
             f'<office:document {FODS_NS} office:version="1.3" '
             'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">',
             " <office:body>", "  <office:spreadsheet>",
             '   <table:table table:name="Export">']  # fmt: skip
    for row in rows:
        lines.append("    <table:table-row>")
        for v in row:
            if isinstance(v, dt.date):
                lines.append(f'     <table:table-cell office:value-type="date" '
                             f'office:date-value="{v}"><text:p>{v:%m/%d/%Y}</text:p>'
                             "</table:table-cell>")  # fmt: skip
            else:
                lines.append(f'     <table:table-cell office:value-type="string">'
                             f"<text:p>{v}</text:p></table:table-cell>")  # fmt: skip
        lines.append("    </table:table-row>")
    lines += [
        "   </table:table>",
        "  </office:spreadsheet>",
        " </office:body>",
        "</office:document>",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_flat_ods_is_read(tmp_path: Path) -> None:
    # A name in two spans keeps its space; the indentation between cells is no text.
    name = 'Crème <text:span text:style-name="T1">Brûlée</text:span> <text:s/>SARL'
    p = flat_ods(tmp_path / "x.fods", [*SHIPMENTS[:3], [LOT, dt.date(2011, 1, 5), "C3", name, 3]])
    assert sniff.sniff(p) == "fods"
    r = run(p)
    assert [b for _, b, _ in outcome(r)] == ["matched", "matched", "not_matched"]
    assert r.shipments.rows["name"].tolist()[2] == "Crème Brûlée  SARL"
    assert r.shipments.rows["ship_date"].dt.date.tolist()[0] == dt.date(2010, 12, 1)


def test_flat_ods_with_a_dtd_is_refused(tmp_path: Path) -> None:
    bomb = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    p = flat_ods(tmp_path / "b.fods", [HEADER, [LOT, "&b;", "C1", "A", "1"]], prolog=bomb)
    err = refused(lambda: run(p))
    assert "XML entity or DTD declaration" in err.message and err.file == str(p)


# --- 12. xlsb cells in SheetJS's short form -------------------------------------------


def _brt(rec_type: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: 7-bit varint type and size, then the body."""
    head = bytes([rec_type]) if rec_type < 0x80 else bytes([rec_type & 0x7F | 0x80, rec_type >> 7])
    size, out = len(body), bytearray()
    while True:
        out.append(size & 0x7F | (0x80 if size >> 7 else 0))
        size >>= 7
        if not size:
            break
    return head + bytes(out) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def tiny_xlsb(path: Path, rows: list[list[str]], *, short: bool, dim_cols: int = 0) -> Path:
    """The smallest xlsb calamine opens: a workbook.bin naming one sheet, and the sheet's
    dimension, rows and text cells; after a row's first cell, `short` writes each cell as
    BrtShortSt (record 17, no column), as SheetJS does, else as BrtCellSt (record 6)."""
    ncols = dim_cols or max(len(r) for r in rows)
    sheet = _brt(0x81) + _brt(0x94, struct.pack("<4I", 0, len(rows) - 1, 0, ncols - 1))
    sheet += _brt(0x91)  # BrtBeginSheetData
    for r, row in enumerate(rows):
        sheet += _brt(0x00, struct.pack("<IIH3sI", r, 0, 0x0140, bytes(3), 0))  # BrtRowHdr
        for c, text in enumerate(row):
            if c and short:
                sheet += _brt(0x11, bytes(4) + _wide(text))  # style, then the text
            else:
                sheet += _brt(0x06, struct.pack("<I", c) + bytes(4) + _wide(text))
    sheet += _brt(0x92) + _brt(0x82)
    bundle = struct.pack("<II", 0, 1) + _wide("rId1") + _wide("Shipments")  # BrtBundleSh
    book = _brt(0x83) + _brt(0x8F) + _brt(0x9C, bundle) + _brt(0x90) + _brt(0x84)
    rel = f'<Relationship Id="rId1" Type="{REL_NS}/%s" Target="%s"/>'
    rels = f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}">%s</Relationships>'
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Default Extension="rels" ContentType="application/'
          'vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.bin" '
          'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/><Override '
          'PartName="/xl/worksheets/sheet1.bin" ContentType="application/'
          'vnd.ms-excel.worksheet"/></Types>')  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels % (rel % ("officeDocument", "xl/workbook.bin")))
        zf.writestr("xl/workbook.bin", book)
        zf.writestr(
            "xl/_rels/workbook.bin.rels", rels % (rel % ("worksheet", "worksheets/sheet1.bin"))
        )
        zf.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


TEXT_ROWS = [HEADER, [LOT, "2010-12-01", "C1", "Ann", "1"], [LOT, "2011-01-05", "C2", "Bea", "2"]]


def test_sheetjs_xlsb_short_cells_say_what_happened() -> None:
    """SheetJS 0.18.5 wrote this xlsb (tests/real_apps/README.md): every cell after the
    first of a row is a short record, which calamine 0.36 skips."""
    p = REAL / "sheetjs_short_cells.xlsb"
    err = refused(lambda: run(p))
    assert err.sheet == "Shipments" and err.file == str(p)
    assert err.message == (
        "stores 16 cells in the short form SheetJS writes, which the xlsb reader skips: "
        "only 1 of the sheet's 5 columns would be read"
    )
    assert err.hint == (
        f"re-save it with LibreOffice: soffice --headless --convert-to xlsx {p}, "
        "or open it in Excel and save it as .xlsx"
    )


def test_xlsb_short_cells_built_by_hand(tmp_path: Path) -> None:
    short = tiny_xlsb(tmp_path / "short.xlsb", TEXT_ROWS, short=True)
    # 3 rows of 4 short cells each
    assert "stores 12 cells in the short form" in refused(lambda: run(short)).message
    # The same cells in the usual form read whole.
    full = tiny_xlsb(tmp_path / "full.xlsb", TEXT_ROWS, short=False)
    assert [b for _, b, _ in outcome(run(full))] == ["matched", "not_matched"]


def test_xlsb_dimension_wider_than_cells_alone_is_no_error(tmp_path: Path) -> None:
    # A dimension that counts formatted blank cells further right, with no short record.
    p = tiny_xlsb(tmp_path / "wide.xlsb", TEXT_ROWS, short=False, dim_cols=12)
    assert [b for _, b, _ in outcome(run(p))] == ["matched", "not_matched"]


# --- 13. headers French, German, Spanish and Italian ERPs write -----------------------

ERP_HEADERS = {
    "sage-fr": (
        "N° pièce;Date de livraison;Code client;Intitulé;Code postal;Ville de livraison;"
        "Référence article;N° de lot;Qté",
        ["order_id", "ship_date", "customer_id", "name", "postal_code", "city", "product",
         "lot", "quantity"],
    ),
    "sap-de": (
        "Lieferung;Warenausgangsdatum;Warenempfänger;Name 1;Straße;Postleitzahl;Ort;Land;"
        "Material;Charge;Liefermenge",
        ["order_id", "ship_date", "customer_id", "name", "address", "postal_code", "city",
         "country", "product", "lot", "quantity"],
    ),
    "business-central-de": (
        "Belegnr.;Lieferdatum;Verk. an Deb.-Nr.;Verk. an Name;Lief. an PLZ-Code;Lief. an Ort;"
        "Artikelnr.;Chargennr.;Menge",
        ["order_id", "ship_date", "customer_id", "name", "postal_code", "city", "product",
         "lot", "quantity"],
    ),
    "odoo-es": (
        "Documento origen;Fecha efectiva;Nº cliente;Empresa;C.P.;Población;Producto;"
        "Lote/Número de serie;Cantidad",
        ["order_id", "ship_date", "customer_id", "name", "postal_code", "city", "product",
         "lot", "quantity"],
    ),
    "it": (
        "Numero DDT;Data DDT;Codice cliente;Ragione sociale;Indirizzo;CAP;Città;Provincia;"
        "Articolo;Lotto;Quantità;Medico prescrittore",
        ["order_id", "ship_date", "customer_id", "name", "address", "postal_code", "city",
         "region", "product", "lot", "quantity", "prescriber"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("erp", list(ERP_HEADERS))
def test_erp_headers_map_to_their_columns(tmp_path: Path, erp: str) -> None:
    header, canon = ERP_HEADERS[erp]
    values = {"ship_date": "01/12/2010", "lot": LOT, "quantity": "2", "postal_code": "01000"}
    row = ";".join(values.get(c, f"x{i}") for i, c in enumerate(canon))
    p = tmp_path / f"{erp}.csv"
    p.write_text(f"{header}\n{row}\n", encoding="utf-8")
    r = run(p)
    info = r.shipments.sources[0]
    assert info.columns == dict(zip(canon, header.split(";"), strict=True))
    assert info.ignored_columns == []
    assert [b for _, b, _ in outcome(r)] == ["matched"]


def test_french_order_number_is_the_order_id(tmp_path: Path) -> None:
    p = tmp_path / "fr.csv"
    p.write_text("N° de lot;Date d'expédition;Code client;N° de commande\n"
                 f"{LOT};01/12/2010;C1;CDE-0042\n", encoding="utf-8")  # fmt: skip
    r = run(p)
    assert r.shipments.sources[0].columns["order_id"] == "N° de commande"
    assert r.shipments.rows["order_id"].tolist() == ["CDE-0042"]


def test_nombre_is_a_count_in_french_and_a_name_in_spanish(tmp_path: Path) -> None:
    fr = tmp_path / "fr.csv"
    fr.write_text(f"N° de lot;Date d'expédition;Code client;Nombre\n{LOT};01/12/2010;C1;3\n")
    es = tmp_path / "es.csv"
    es.write_text(f"Lote;Fecha de envío;Código cliente;Nombre\n{LOT};01/12/2010;C1;Ana\n")
    assert run(fr).shipments.sources[0].columns["quantity"] == "Nombre"
    info = run(es).shipments.sources[0]
    assert info.columns["name"] == "Nombre" and "quantity" not in info.columns


@pytest.mark.parametrize(
    ("header", "language"),
    [("Charge;Lieferdatum;Kundennummer", "German"), ("Lote;Fecha de envío;Código cliente",
      "Spanish"), ("Lotto;Data spedizione;Codice cliente", "Italian")],
)  # fmt: skip
def test_day_first_languages_decide_ambiguous_dates(
    tmp_path: Path, header: str, language: str
) -> None:
    # Every date could be either order and no country says: the headers' language does.
    p = tmp_path / "x.csv"
    p.write_text(f"{header}\n{LOT};01/12/2010;C1\n{LOT};05/12/2010;C2\n", encoding="utf-8")
    info = run(p).shipments.sources[0]
    assert info.date_order == "day-first"
    assert info.date_order_reason == f"every value is ambiguous; {language} headers mean day-first"
    days = run(p).shipments.rows["ship_date"].dt.date.tolist()
    assert days == [dt.date(2010, 12, 1), dt.date(2010, 12, 5)]


# --- the same shipments as LibreOffice and Gnumeric save them -------------------------


@pytest.mark.parametrize(
    "name",
    [f"us_shipments.{app}.{kind}" for app in ("soffice", "gnumeric")
     for kind in ("xlsx", "xls", "ods")] + ["us_shipments.soffice.fods"],
)  # fmt: skip
def test_saved_by_libreoffice_and_gnumeric_read_as_the_csv(name: str) -> None:
    """The first 5 lines of us_shipments.csv, opened with en-US dates and saved by
    LibreOffice 7.4 and Gnumeric 1.12 (ssconvert). Gnumeric indents content.xml in its
    .ods, which calamine 0.36 cannot read as it is."""
    r = run(REAL / name)
    csv = run(REAL / "us_shipments.csv")
    assert r.shipments.rows["ship_date"].tolist() == csv.shipments.rows["ship_date"].tolist()[:5]
    for column in ("lot", "customer_id", "name", "quantity"):
        assert r.shipments.rows[column].tolist() == csv.shipments.rows[column].tolist()[:5]
    assert r.result.bucket.tolist() == csv.result.bucket.tolist()[:5]


def test_indented_ods_too_large_to_rewrite_says_how_to_convert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall_cli.read import flatods

    monkeypatch.setattr(flatods, "MAX_BYTES", 1000)
    p = tmp_path / "big.ods"
    p.write_bytes((REAL / "us_shipments.gnumeric.ods").read_bytes())
    err = refused(lambda: run(p))
    assert "indented as Gnumeric writes it, too large to read again" in err.message
    assert err.hint == f"convert it with LibreOffice: soffice --headless --convert-to xlsx {p}"


def test_delivery_date_is_the_ship_date_only_alone(tmp_path: Path) -> None:
    # SAP's delivery date is the planned one: beside the goods-issue date it is not read.
    both = tmp_path / "both.csv"
    both.write_text(f"Charge;Lieferdatum;Warenausgangsdatum;Kundennummer\n"
                    f"{LOT};15.01.2011;01.12.2010;K1\n", encoding="utf-8")  # fmt: skip
    info = run(both).shipments.sources[0]
    assert info.columns["ship_date"] == "Warenausgangsdatum"
    alone = tmp_path / "alone.csv"
    alone.write_text(f"Charge;Lieferdatum;Kundennummer\n{LOT};01.12.2010;K1\n", encoding="utf-8")
    assert run(alone).shipments.sources[0].columns["ship_date"] == "Lieferdatum"
