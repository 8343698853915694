"""Read raw cells from spreadsheets and delimited text. Knows nothing of recalls.

Every cell comes back as text (or missing), so lot codes, ids and postal codes
keep their zeros whatever the reader would have guessed. Real Excel dates come
back as ISO text, which normalize tells apart from typed dd/mm text.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from recall_cli.errors import InputFileError
from recall_cli.read.encoding import detect_encoding, is_code_page
from recall_cli.read.guard import reader_call
from recall_cli.read.options import LoadOptions

if TYPE_CHECKING:  # imported where cells are read: finding files needs no pandas
    import pandas as pd

    from recall_cli.read.identity import Duplicate

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".fods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
SUPPORTED = EXCEL_SUFFIXES | TEXT_SUFFIXES
FOLDER_SUFFIXES = SUPPORTED - {".txt"}  # a .txt is read when named, not found in a folder
DELIMITERS = (",", ";", "\t", "|")
# The stdlib's field limit (131,072 characters) made a long cell an internal error.
# The whole file is in memory already, so a field as long as the file costs nothing more.
csv.field_size_limit(2**31 - 1)
NFIELDS = "__nfields__"


@dataclass
class RawSheet:
    """The cells of one sheet (or one text file) with no header applied.

    `cells` has integer column labels; row i of it is sheet row `first_row + i`
    (1-based, as Excel shows it). For text files `NFIELDS` holds the number of
    fields each record really had, so ragged rows can be told apart.

    A workbook's cells arrive as an Arrow table and become a DataFrame on first
    use: decoding needs no pandas, so its import can run beside the decode.
    """

    file: Path
    sheet: str
    decoded: Any  # pd.DataFrame, or the reader's Arrow table until `cells` is read
    first_row: int = 1
    details: dict[str, object] = field(default_factory=dict)
    # Rows of `cells` (by position) the reader could not trust, with the reason:
    # normalize sends them to review whatever they hold.
    flagged: dict[int, str] = field(default_factory=dict)
    #: What the reader saw that a person must hear (a sheet cut at the format's last row).
    warnings: list[str] = field(default_factory=list)
    #: Why the sheet holds no table to read (a chart sheet), shown by `inspect`.
    skipped: str = ""

    @property
    def cells(self) -> pd.DataFrame:
        import pandas as pd

        if not isinstance(self.decoded, pd.DataFrame):
            # The cast to large_string is mostly fresh memory: both cores take page faults.
            # Columns with no cell at all (a stray cell in XFD leaves 16,000 of them) are
            # dropped before pandas sees them; the others keep their sheet position as label.
            table = self.decoded
            kept = [
                (NFIELDS if name == NFIELDS else j, c)
                for j, (name, c) in enumerate(zip(table.column_names, table.columns, strict=True))
                if c.null_count < len(c)
            ]
            columns = parallel_map(_series, [c for _, c in kept])
            self.decoded = pd.DataFrame(
                dict(zip((j for j, _ in kept), columns, strict=True)), copy=False
            )
        return self.decoded


def text_dtype() -> pd.StringDtype:
    """pandas' Arrow-backed "str", missing as NaN: the one text dtype of the rows."""
    import numpy as np
    import pandas as pd

    return pd.StringDtype("pyarrow", na_value=np.nan)


def _series(col: Any) -> pd.Series:
    """One decoded column for pandas, text as Arrow-backed "str" without a copy of its data.

    pyarrow's to_pandas copies every string; casting to large_string copies only
    the offsets, and pandas wraps the result.
    """
    import pandas as pd
    import pyarrow as pa

    if col.type in (pa.string(), pa.large_string()):
        text = col.cast(pa.large_string())
        if not isinstance(text, pa.ChunkedArray):
            text = pa.chunked_array([text])
        return pd.Series(text, dtype=text_dtype())
    return col.to_pandas()


COMPRESSED = (".gz", ".zip")  # ERPs send their CSV exports as .csv.gz or .csv.zip


def compression(path: Path) -> str | None:
    """ ".gz" or ".zip" for a compressed text export (data.csv.gz), else None."""
    suffixes = [x.lower() for x in path.suffixes[-2:]]
    if len(suffixes) == 2 and suffixes[1] in COMPRESSED and suffixes[0] in TEXT_SUFFIXES:
        return suffixes[1]
    return None


def _found_in_folder(f: Path) -> bool:
    name = f.name.lower()
    if compression(f) is not None:
        return not name.endswith((".txt.gz", ".txt.zip"))
    return f.suffix.lower() in FOLDER_SUFFIXES


@dataclass
class FolderScan:
    files: list[Path] = field(default_factory=list)
    subfolders: int = 0
    txt: int = 0
    locks: int = 0
    other: dict[str, int] = field(default_factory=dict)  # by suffix


def scan_folder(folder: Path, recursive: bool = False) -> FolderScan:
    """The files a folder holds for reading, and what in it is not read.

    Excel's lock files (~$x.xlsx), hidden files and .txt notes are not exports;
    subfolders are read with `recursive` (never through a symbolic link, which
    could loop), hidden ones never.
    """
    out = FolderScan()
    todo = [folder]
    while todo:
        here = todo.pop()
        for f in sorted(here.iterdir()):
            if f.name.startswith("."):
                continue
            if f.is_dir():
                if recursive and not f.is_symlink():
                    todo.append(f)
                else:
                    out.subfolders += 1
            elif not f.is_file():
                continue
            elif f.name.startswith("~$"):
                out.locks += 1
            elif _found_in_folder(f):
                out.files.append(f)
            elif f.suffix.lower() == ".txt":
                out.txt += 1
            else:
                key = "".join(f.suffixes[-2:]).lower() if compression(f) else f.suffix.lower()
                out.other[key or "(no suffix)"] = out.other.get(key or "(no suffix)", 0) + 1
    out.files.sort()
    return out


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def skipped_line(scan: FolderScan) -> str:
    """What a folder holds that is not read, in one line ("" when nothing)."""
    parts = []
    if scan.subfolders:
        parts.append(_count(scan.subfolders, "subfolder") + " (read them with --recursive)")
    if scan.txt:
        parts.append(_count(scan.txt, ".txt file") + " (name one to read it)")
    if scan.locks:
        parts.append(_count(scan.locks, "Excel lock file") + " (~$)")
    if scan.other:
        kinds = sorted(scan.other, key=lambda k: (-scan.other[k], k))
        shown = ", ".join(kinds[:4]) + (", ..." if len(kinds) > 4 else "")
        parts.append(_count(sum(scan.other.values()), "other file") + f" ({shown})")
    return "not read: " + "; ".join(parts) if parts else ""


def folder_notes(paths: Iterable[str | Path], recursive: bool = False) -> list[str]:
    """For each folder given, one line saying what in it is not read."""
    notes = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            with contextlib.suppress(OSError):
                line = skipped_line(scan_folder(p, recursive))
                if line:
                    notes.append(f"{p}: {line}")
    return notes


def discover(paths: Iterable[str | Path], recursive: bool = False) -> list[Path]:
    """Expand folders into their supported files, in sorted order, each file once."""
    return find_inputs(paths, recursive)[0]


def find_inputs(
    paths: Iterable[str | Path],
    recursive: bool = False,
    digest: Callable[[Path], str] | None = None,
) -> tuple[list[Path], list[Duplicate]]:
    """The files to read (folders expanded, in order), and the inputs left out because
    an earlier one is the same file or has the same bytes (identity.distinct_files)."""
    from recall_cli.read.identity import distinct_files, sha256_file

    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            scan = scan_folder(p, recursive)
            if not scan.files:
                skipped = skipped_line(scan)
                raise InputFileError(
                    "folder holds no .xlsx, .xlsm, .xls, .xlsb, .ods, .fods, .csv, .tsv, .csv.gz "
                    "or .csv.zip file",
                    file=p,
                    hint="point at the folder with the shipment exports"
                    + (f"; {skipped}" if skipped else ""),
                )
            found.extend(scan.files)
        elif p.exists():
            refuse_special(p)
            found.append(p)
        else:
            raise InputFileError("no such file or folder", file=p, hint="check the path")
    return distinct_files(found, digest or sha256_file)


def refuse_special(path: Path) -> None:
    """Refuse a pipe, socket or device before any thread opens it.

    Reading a FIFO blocks until a writer comes and /dev/zero never ends: the
    cache's hash thread would hang the process after the error was printed.
    """
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # the reader's own checks say what is wrong with it
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise InputFileError(
            f"is {kind}, not a regular file",
            file=path,
            hint="save the data to a file first and pass that file",
        )


def read_file(path: Path, options: LoadOptions | None = None) -> Iterator[RawSheet]:
    """Yield the raw sheets of one file, checking what the bytes really are first."""
    options = options or LoadOptions()
    from recall_cli.read.sniff import check_readable

    if compression(path) is not None:
        yield from compressed_sheets(path, options)
        return
    suffix = path.suffix.lower()
    expected = "text" if suffix in TEXT_SUFFIXES else suffix.lstrip(".")
    kind = check_readable(path, expected_from_suffix=expected, password=options.password)
    if kind == "text":
        yield read_text(path, options)
    else:
        yield from read_workbook(path, kind, options)


# --- workbooks ---------------------------------------------------------------


def _workbook_source(path: Path, kind: str, options: LoadOptions) -> tuple[Path | bytes, str]:
    """The workbook to hand the reader, checked, and its real kind.

    Decrypted bytes, a flat ODS made an .ods, and a Gnumeric .ods with its content.xml
    written again are read from memory with the same helpers as a file on disk.
    """
    from recall_cli.read import flatods, sniff

    source: Path | bytes = path
    if kind in ("xlsx", "ods", "xlsb"):
        sniff.check_zip(path, **_zip_limits(options))
    if kind in ("xlsx", "ods"):
        sniff.check_xml_parts(path)
    if kind in ("encrypted-ooxml", "encrypted-xls"):
        source = sniff.decrypt(path, options.password or "", **_zip_limits(options))
    elif kind == "fods":
        source = flatods.to_ods(path)
    elif kind == "ods" and flatods.is_indented(path):  # Gnumeric's .ods
        source = flatods.compact_ods(path)
    if not isinstance(source, bytes):
        return source, kind
    return source, "xls" if kind == "encrypted-xls" else sniff._sniff_handle(io.BytesIO(source))


def _wanted_sheets(names: list[str], options: LoadOptions, path: Path) -> list[str]:
    """The sheets --sheet asks for ("--sheet other" finds "Other": names match exactly,
    else ignoring case), or all of them."""
    if options.sheets:
        folded = {n.casefold(): n for n in names}
        wanted = [s if s in names else folded.get(s.casefold(), s) for s in options.sheets]
        missing = [s for s in wanted if s not in names]
        if missing:
            raise InputFileError(
                f"no sheet named {missing[0]!r}",
                file=path,
                hint="sheets in this workbook: " + ", ".join(repr(n) for n in names),
            )
        names = [n for n in names if n in wanted]
    if not names:
        raise InputFileError("workbook has no sheets", file=path, hint="re-export it from the ERP")
    return names


def read_workbook(path: Path, kind: str, options: LoadOptions) -> Iterator[RawSheet]:
    from recall_cli.read import epoch, sniff

    source, base = _workbook_source(path, kind, options)
    reader = _open_fastexcel(path, source)
    with reader_call(path):
        names = _wanted_sheets(list(reader.sheet_names), options, path)
    is_xlsx_file = base == "xlsx"
    calamine = None if is_xlsx_file else _CalamineBook(source, path)
    types = sniff.xlsx_sheet_types(source, file=path) if is_xlsx_file else calamine.types()  # type: ignore[union-attr]
    date1904 = epoch.date1904(source, base, file=path)
    # The hidden-row and merged-cell scan inflates every sheet's XML once: run it
    # on the other core while calamine (which releases the GIL) decodes the cells.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(sniff.xlsx_hidden, source, file=path) if is_xlsx_file else None
        loaded = []
        for name in names:
            if types.get(name, "worksheet") != "worksheet":
                loaded.append((name, None))
                continue
            table = _load_sheet(reader, name, path)
            if date1904 and base != "ods":  # ods keeps real dates as ISO text
                with reader_call(path, name):
                    table = epoch.correct_1904(reader, name, table)
            loaded.append((name, table))
        hidden = scan.result() if scan else {}
    del reader  # frees calamine's copy of the cells before normalising
    for name, cells in loaded:
        details: dict[str, object] = {
            "reader": "fastexcel",
            "date_system": "1904" if date1904 else "1900",
            "date1904": date1904,
        }
        if cells is None:
            label = types[name].replace("sheet", " sheet").replace("module", " module")
            yield RawSheet(
                path, name, _empty_table(), 1, details, skipped=f"a {label}, not a table of cells"
            )
            continue
        cells = _strip_misread_bom(cells)
        first_row = _first_row(source, base, name, cells, calamine, path)
        details.update(hidden.get(name, {}))
        if details.get("merged_ranges"):
            # Merged ranges are in sheet coordinates; the frame starts at the first used column.
            details["first_col"] = (
                _CalamineBook(source, path) if calamine is None else calamine
            ).start(name)[1]
        warnings = _row_limit_warning(base, first_row, cells)
        yield RawSheet(path, name, cells, first_row, details, warnings=warnings)


def _first_row(
    source: Path | bytes, base: str, name: str, cells: Any, calamine: Any, path: Path
) -> int:
    """The sheet row (1-based) of the first row of `cells`; for an xlsb, also refuse a
    sheet whose SheetJS short cell records calamine skipped (read.xlsb)."""
    from recall_cli.read import sniff, xlsb

    if not len(cells):
        return 1
    if base == "xlsx":
        return sniff.xlsx_first_row(source, name, file=path)
    first_row, first_col = calamine.start(name)
    if base == "xlsb":
        xlsb.check_short_cells(source, name, first_col + cells.num_columns, file=path)
    return int(first_row)


#: The last row a sheet of each format can hold; a sheet that ends exactly there was
#: probably cut when a larger table was saved in that format (LibreOffice and
#: Gnumeric truncate without asking when they save .xls).
ROW_LIMITS: dict[str, int] = {"xls": 65_536, "xlsx": 1_048_576, "xlsb": 1_048_576,
                              "ods": 1_048_576}  # fmt: skip


def _row_limit_warning(kind: str, first_row: int, cells: Any) -> list[str]:
    limit = ROW_LIMITS.get(kind)
    if limit is None or not len(cells) or first_row + len(cells) - 1 != limit:
        return []
    return [
        f"the sheet ends at row {limit:,}, the last row an .{kind} sheet can hold: the table "
        f"was probably cut when it was saved as .{kind}; ask the site for an .xlsx or .csv "
        "export of the whole table"
    ]


def _empty_table() -> Any:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([], names=[])


# A UTF-8 byte order mark decoded as Latin-1 or cp1252 (LibreOffice opening a CSV with
# no import filter keeps it in cell A1, and saving as UTF-8 CSV makes it text).
MISREAD_BOM = "\u00ef\u00bb\u00bf"


_LEADING_BOM = re.compile(f"^(?:{MISREAD_BOM}|\ufeff)+")


def _strip_misread_bom(table: Any) -> Any:
    """The first column with a leading misread BOM (or a stray real one) removed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not table.num_columns or not pa.types.is_string(table.column(0).type):
        return table
    first = table.column(0)
    pattern = f"^(?:{MISREAD_BOM}|\ufeff)+"
    if not pc.any(pc.match_substring_regex(first, pattern)).as_py():
        return table
    fixed = pc.replace_substring_regex(first, pattern, "")
    return pa.RecordBatch.from_arrays([fixed, *table.columns[1:]], names=table.schema.names)


def _zip_limits(options: LoadOptions) -> dict[str, int]:
    if options.max_unzipped_mb is None:
        return {}
    return {"max_uncompressed": options.max_unzipped_mb * 1024 * 1024}


def _open_fastexcel(path: Path, source: Path | bytes):  # type: ignore[no-untyped-def]
    import fastexcel

    try:
        with reader_call(path):
            return fastexcel.read_excel(source if isinstance(source, bytes) else str(source))
    except InputFileError:
        raise
    except Exception as exc:  # the reader's errors carry no cell values, only structure
        raise InputFileError(
            f"cannot be opened as a workbook ({type(exc).__name__})",
            file=path,
            hint="open it in Excel and save it again as .xlsx",
        ) from exc


def _load_sheet(reader, name: str, path: Path) -> Any:  # type: ignore[no-untyped-def]
    try:
        with reader_call(path, name):
            table = reader.load_sheet(name, header_row=None, dtypes="string", eager=True)
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(
            f"sheet cannot be read ({type(exc).__name__})",
            file=path,
            sheet=name,
            hint="open it in Excel and save it again as .xlsx",
        ) from exc
    return table


_SHEET_TYPES = {
    "WorkSheet": "worksheet",
    "ChartSheet": "chartsheet",
    "DialogSheet": "dialogsheet",
    "MacroSheet": "macrosheet",
    "Vba": "vbamodule",
}


class _CalamineBook:
    """python-calamine, opened once per file, for what fastexcel does not say:
    the type of each sheet and where its used range starts."""

    def __init__(self, source: Path | bytes, path: Path) -> None:
        import python_calamine

        self.path = path
        try:
            with reader_call(path):
                self.book = (
                    python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
                    if isinstance(source, bytes)
                    else python_calamine.CalamineWorkbook.from_path(str(source))
                )
        except InputFileError:
            raise
        except Exception as exc:
            raise InputFileError(
                f"cannot be opened as a workbook ({type(exc).__name__})",
                file=path,
                hint="open it in Excel and save it again as .xlsx",
            ) from exc

    def types(self) -> dict[str, str]:
        """Sheet name -> "worksheet", "chartsheet", "dialogsheet", "macrosheet"..."""
        with reader_call(self.path):
            meta = self.book.sheets_metadata
        out = {}
        for m in meta:
            typ = str(m.typ).rpartition(".")[2]  # a pyo3 enum: no .name
            out[m.name] = _SHEET_TYPES.get(typ, typ.lower())
        return out

    def start(self, name: str) -> tuple[int, int]:
        """Sheet row (1-based) and column (0-based) where the used range starts.

        fastexcel drops leading empty rows and columns; calamine knows where they
        ended. Used for formats other than plain xlsx, and for merged cells.
        """
        try:
            with reader_call(self.path, name):
                start = self.book.get_sheet_by_name(name).start
        except InputFileError:
            raise
        except Exception as exc:
            raise InputFileError(
                f"sheet cannot be read ({type(exc).__name__})",
                file=self.path,
                sheet=name,
                hint="open it in Excel and save it again as .xlsx",
            ) from exc
        return (int(start[0]) + 1, int(start[1])) if start else (1, 0)


# --- delimited text ----------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    """The delimiter whose field count is most consistent over the first lines."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()][:60]
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        score = (multi.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_text(path: Path, options: LoadOptions) -> RawSheet:
    """The cells of a delimited text file: streamed in Arrow batches where that reads the same."""
    from recall_cli.read import csvstream

    try:
        table, details, flagged, warnings = csvstream.read_stream(path, options)
    except csvstream.Fallback:
        return text_sheet(path, path.read_bytes(), options)
    return RawSheet(path, "", table, 1, details, flagged=flagged, warnings=warnings)


def text_encoding(data: bytes, options: LoadOptions) -> str:
    """The encoding to read delimited text in: the one asked for, or detected on `data`."""
    return options.encoding or detect_encoding(data, options.known_header)


def decode_start(data: bytes, encoding: str) -> tuple[str, int]:
    """`data` (a whole file or its head) decoded, with what comes before the first
    header removed, and how many bytes that was.

    A UTF-8 BOM before single-byte text is skipped (cp1252 would read it as "ï»¿"),
    and so is a BOM once decoded as Latin-1 and saved again as UTF-8 ("ï»¿ship_date",
    LibreOffice opening a CSV without an import filter). Raises UnicodeDecodeError
    or LookupError. Both the streamed and the whole read start here.
    """
    # utf-8-sig would drop its mark unseen, and the stream seeks by these bytes.
    codec = "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    text = data[skip:].decode(codec)
    mark = _LEADING_BOM.match(text)
    if mark:
        skip += len(mark.group().encode(codec))
        text = text[mark.end() :]
    return text, skip


def delimiter_of(text: str, options: LoadOptions) -> str:
    """The delimiter asked for, named by Excel's hint line ("sep=;"), or sniffed."""
    hint = re.match(r"sep=(.)\r?\n", text)
    return options.delimiter or (hint[1] if hint else sniff_delimiter(text))


def fix_first_cell(records: list[list[str]]) -> None:
    """A quoted first header keeps a misread BOM inside its quotes: '"ï»¿ship_date",...'."""
    if records and records[0]:
        records[0][0] = _LEADING_BOM.sub("", records[0][0], count=1)


def text_details(encoding: str, delimiter: str, options: LoadOptions) -> dict[str, object]:
    """What `inspect` and the warnings say of how a delimited file was read."""
    return {
        "reader": "csv",
        "encoding": encoding,
        # Any bytes fit a code page: when no header is found, the guess may be why.
        **({"encoding_guessed": True} if not options.encoding and is_code_page(encoding) else {}),
        "delimiter": {"\t": "tab"}.get(delimiter, delimiter),
    }


def text_sheet(path: Path, data: bytes, options: LoadOptions, sheet: str = "") -> RawSheet:
    """The cells of delimited text (a file's bytes, or a member of a .csv.zip)."""
    encoding = text_encoding(data, options)
    try:
        text, _ = decode_start(data, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(
            f"cannot be decoded as {encoding}",
            file=path,
            hint="pass --encoding with the file's real encoding (e.g. cp1252, cp850, utf-16)",
        ) from exc
    # Excel's own hint line, "sep=;", names the delimiter; it stays as a title row.
    delimiter = delimiter_of(text, options)
    records, ends = _records(text, delimiter)
    fix_first_cell(records)
    flagged: dict[int, str] = {}
    warnings: list[str] = []
    if ends is not None:  # some record spans lines: quoted line breaks, or a stray quote
        lines = io.StringIO(text, newline="").readlines()
        records, flagged, notes = split_stray_quotes(records, ends, lines, delimiter)
        warnings.extend(notes)
        warnings.extend(_line_count_warning(len(lines), records))
    if "\x00" in text:
        for i, reason in nul_rows(records).items():
            flagged.setdefault(i, reason)
            records[i] = [v.replace("\x00", "") for v in records[i]]
    width = used_width(records)  # trailing separators make no columns
    nfields = [len(r) for r in records]
    for i, r in enumerate(records):
        if len(r) < width:
            r.extend([""] * (width - len(r)))
        elif len(r) > width:
            records[i] = r[:width]  # only empty fields go
    import pandas as pd

    frame = pd.DataFrame(records, columns=range(width), dtype=object) if records else pd.DataFrame()
    frame[NFIELDS] = nfields
    details = text_details(encoding, delimiter, options)
    return RawSheet(path, sheet, frame, 1, details, flagged=flagged, warnings=warnings)


# --- compressed text ----------------------------------------------------------


Opener = Callable[[], contextlib.AbstractContextManager[Any]]


def compressed_members(path: Path, options: LoadOptions) -> list[tuple[str, Opener]]:
    """The CSV members of a .csv.gz or .csv.zip, each with a way to open it for reading.

    The zip is checked from its directory first (sniff.check_zip: entries,
    declared sizes, ratio, layout). Each opened member is read through
    `_Inflated`, which counts the bytes coming out, so a size that lies cannot
    carry a bomb past --max-unzipped-mb or the ratio limit.
    """
    from recall_cli.read import sniff

    refuse_special(path)
    size = path.stat().st_size
    if size == 0:
        raise InputFileError("file is empty (0 bytes)", file=path, hint="re-export it")
    limit = (options.max_unzipped_mb or sniff.DEFAULT_MAX_UNCOMPRESSED // 2**20) * 2**20
    if compression(path) == ".gz":
        import gzip

        @contextlib.contextmanager
        def gz() -> Iterator[_Inflated]:
            with gzip.open(path, "rb") as fh:
                yield _Inflated(fh, path, size, limit)

        return [("", gz)]
    import zipfile

    with _damage_named(path):
        sniff.check_zip(path, **_zip_limits(options))
        with zipfile.ZipFile(path) as zf:
            names = [
                i for i in zf.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                and not Path(i.filename).name.startswith(".")
                and Path(i.filename).suffix.lower() in TEXT_SUFFIXES
            ]  # fmt: skip
    if not names:
        raise InputFileError(
            "is a zip archive that holds no .csv, .tsv or .txt file",
            file=path,
            hint="unzip it and pass the spreadsheet inside",
        )

    def member(info: Any) -> Opener:
        @contextlib.contextmanager
        def opened() -> Iterator[_Inflated]:
            with zipfile.ZipFile(path) as zf, zf.open(info) as fh:
                yield _Inflated(fh, path, size, limit)

        return opened

    return [(info.filename, member(info)) for info in names]


@contextlib.contextmanager
def _damage_named(path: Path) -> Iterator[None]:
    """zlib, gzip and zipfile damage as the one-line error that says what to do."""
    try:
        yield
    except InputFileError:
        raise
    except (OSError, EOFError, ValueError, RuntimeError) as exc:
        kind = compression(path)
        raise InputFileError(
            f"is damaged (not a complete {kind.lstrip('.') if kind else ''} file: "
            f"{type(exc).__name__})",
            file=path,
            hint="the download or copy was probably cut short: fetch it again",
        ) from None


def read_compressed(path: Path, options: LoadOptions) -> list[tuple[str, bytes]]:
    """The CSV members of a .csv.gz or .csv.zip, inflated whole (within the limits)."""
    members = compressed_members(path, options)
    return [(name, inflate_member(path, name, opener)) for name, opener in members]


def inflate_member(path: Path, name: str, opener: Opener) -> bytes:
    """One member's bytes, refused unless they are text."""
    from recall_cli.read import sniff

    with _damage_named(path), opener() as fh:
        data = fh.read()
    if sniff._sniff_handle(io.BytesIO(data)) not in ("text", "empty"):
        raise InputFileError(
            f"holds {name or 'data'} that is not a text (CSV) file",
            file=path,
            hint="unzip it and check what it is",
        )
    return bytes(data)


def compressed_sheets(path: Path, options: LoadOptions) -> Iterator[RawSheet]:
    """Each CSV member of a .csv.gz or .csv.zip as a sheet: streamed, or inflated whole."""
    from recall_cli.read import csvstream, sniff

    for name, opener in compressed_members(path, options):
        try:
            with _damage_named(path), opener() as fh:
                head = fh.read(sniff.HEAD_BYTES * 2)
            if sniff._sniff_handle(io.BytesIO(head)) != "text":
                raise csvstream.Fallback("not text, or too small to tell")
            with _damage_named(path):
                table, details, flagged, warnings = csvstream.read_stream(path, options, opener)
        except csvstream.Fallback:
            yield text_sheet(path, inflate_member(path, name, opener), options, sheet=name)
            continue
        yield RawSheet(path, name, table, 1, details, flagged=flagged, warnings=warnings)


class _Inflated:
    """A member's inflated bytes, read through the size and ratio limits."""

    def __init__(self, fh: Any, path: Path, packed: int, limit: int) -> None:
        self.fh, self.path, self.packed, self.limit = fh, path, packed, limit
        self.total = 0

    def _counted(self, data: bytes) -> bytes:
        from recall_cli.read import sniff

        self.total += len(data)
        if self.total > self.limit:
            raise InputFileError(
                f"would unzip to more than the {self.limit // 2**20:,} MB limit",
                file=self.path,
                hint=f"if the file is genuine, raise the limit with {sniff.MAX_UNZIPPED_FLAG}",
            )
        if self.total > sniff.RATIO_MIN_SIZE and self.total > sniff.DEFAULT_MAX_RATIO * self.packed:
            raise InputFileError(
                f"expands more than {sniff.DEFAULT_MAX_RATIO:,.0f} times (a zip bomb?); "
                "refusing to read it",
                file=self.path,
                hint="if the file is genuine, unzip it and pass the CSV",
            )
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = bytearray()
            while chunk := self.read(4 * 2**20):
                out += chunk
            return bytes(out)
        return self._counted(self.fh.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._counted(self.fh.readline(size))

    def seek(self, offset: int) -> int:
        """Forward from the start only: the bytes skipped are read (and counted)."""
        left = offset - self.total
        while left > 0 and (chunk := self.read(min(left, 4 * 2**20))):
            left -= len(chunk)
        return self.total


def used_width(records: Sequence[Sequence[str]]) -> int:
    """The number of columns up to the last one any record fills (empty trailing ones dropped).

    Only records longer than the width found so far are looked at, from their end.
    """
    used = 0
    for r in records:
        k = len(r)
        while k > used and not r[k - 1]:
            k -= 1
        used = max(used, k)
    return used


def _records(text: str, delimiter: str) -> tuple[list[list[str]], list[int] | None]:
    """The CSV records, and the physical line each ends on (None when every record is one line)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records = list(reader)
    if reader.line_num == len(records):
        return records, None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    records, ends = [], []
    for record in reader:
        records.append(record)
        ends.append(reader.line_num)
    return records, ends


def table_width(records: Sequence[Sequence[str]]) -> int:
    """The field count most records have (a title line of one field does not count)."""
    from collections import Counter

    counts = Counter(len(r) for r in records if len(r) > 1)
    return counts.most_common(1)[0][0] if counts else 0


def _unquoted(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quoting=csv.QUOTE_NONE))


def is_stray_quote(span: Sequence[str], delimiter: str, width: int) -> bool:
    """Whether a record over several lines is a quote left open, not a quoted line break.

    A genuine quoted line break (an address over two lines) leaves at most one
    of its lines looking like a whole row on its own; a stray quote swallows
    lines that each are one.
    """
    whole = sum(1 for line in span if width > 1 and len(_unquoted(line, delimiter)) >= width)
    return whole >= 2


def split_stray_quotes(
    records: list[list[str]], ends: Sequence[int], lines: Sequence[str], delimiter: str
) -> tuple[list[list[str]], dict[int, str], list[str]]:
    """Records with every stray-quote record re-read as its lines, one row each, unquoted.

    Returns the records, the rows flagged for review (by position), each
    reason naming the line and field where the quote was opened, and one
    warning per stray quote.
    """
    width = table_width(records)
    out: list[list[str]] = []
    flagged: dict[int, str] = {}
    notes: list[str] = []
    start = 1
    for record, end in zip(records, ends, strict=True):
        span = lines[start - 1 : end]
        if end > start and is_stray_quote(span, delimiter, width):
            first = _unquoted(span[0], delimiter)
            field_no = next(
                (k + 1 for k, v in enumerate(first) if v.startswith('"') and not v.endswith('"')),
                None,
            )
            where = f"field {field_no} of line {start}" if field_no else f"line {start}"
            reason = (
                f"unclosed quote in {where}: lines {start}-{end} were read one per row, "
                "without quotes; check them at the source"
            )
            notes.append(
                f"a quote opened in {where} is never closed: it ran over lines "
                f"{start}-{end}, which were read one per row and sent to review"
            )
            for line in span:
                flagged[len(out)] = reason
                out.append(_unquoted(line, delimiter))
        else:
            out.append(record)
        start = end + 1
    return out, flagged, notes


def _line_count_warning(lines: int, records: Sized) -> list[str]:
    """Physical lines against rows read: they differ by the quoted line breaks kept."""
    if lines == len(records):
        return []
    joined = lines - len(records)
    return [
        f"{lines:,} lines were read as {len(records):,} rows: {joined:,} line "
        f"break{'s' if joined != 1 else ''} inside quoted cells {'were' if joined != 1 else 'was'}"
        " kept in the value"
    ]


# A text file with a NUL here and there (a damaged export, a cell pasted from a
# binary field) is still a text file; the rows that hold one are not trusted.
NUL_REASON = "a cell holds a NUL byte (damaged bytes in the export); check the row at the source"


def nul_rows(records: Sequence[Sequence[str]]) -> dict[int, str]:
    """The records (by position) with a NUL character in any field."""
    return {i: NUL_REASON for i, r in enumerate(records) if any("\x00" in v for v in r)}


# --- running per-file work ---------------------------------------------------


T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None) -> list[R]:
    """fn over items in threads, results in order.

    The xlsx reader (calamine) and Arrow's kernels release the GIL, so two files
    decode at once on two cores; the first error is raised as in a plain loop.
    RECALL_WORKERS=1 turns this off (the bench compares both).

    Plain threads rather than concurrent.futures: the cache is written in the
    background while the command exits, and an executor refuses new work once
    interpreter shutdown has begun, which would silently leave the entry unwritten.
    """
    if workers is None:
        workers = _workers()
    if len(items) < 2 or workers < 2:
        return [fn(item) for item in items]
    import threading

    results: list[Any] = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)
    todo = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as exc:  # raised in the caller's thread below
                errors[i] = exc

    threads = [threading.Thread(target=work, name="recall-worker")
               for _ in range(min(workers, len(items)))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


def _workers() -> int:
    import os

    try:
        return max(1, int(os.environ.get("RECALL_WORKERS", "2")))
    except ValueError:
        return 2
