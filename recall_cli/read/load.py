"""Read raw cells from spreadsheets and delimited text. Knows nothing of recalls.

Every cell comes back as text (or missing), so lot codes, ids and postal codes
keep their zeros whatever the reader would have guessed. Real Excel dates come
back as ISO text, which normalize tells apart from typed dd/mm text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from recall_cli.errors import InputFileError
from recall_cli.read.guard import reader_call
from recall_cli.read.options import LoadOptions

if TYPE_CHECKING:  # imported where cells are read: finding files needs no pandas
    import pandas as pd

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
SUPPORTED = EXCEL_SUFFIXES | TEXT_SUFFIXES
FOLDER_SUFFIXES = SUPPORTED - {".txt"}  # a .txt is read when named, not found in a folder
DELIMITERS = (",", ";", "\t", "|")
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
    #: What the reader saw that a person must hear (a sheet cut at the format's last row).
    warnings: list[str] = field(default_factory=list)
    #: Why the sheet holds no table to read (a chart sheet), shown by `inspect`.
    skipped: str = ""

    @property
    def cells(self) -> pd.DataFrame:
        import pandas as pd

        if not isinstance(self.decoded, pd.DataFrame):
            # The cast to large_string is mostly fresh memory: both cores take page faults.
            columns = parallel_map(_series, self.decoded.columns)
            self.decoded = pd.DataFrame(dict(enumerate(columns)), copy=False)
        return self.decoded


def text_dtype() -> pd.StringDtype:
    """pandas' Arrow-backed "str", missing as NaN: the one text dtype of the rows."""
    import numpy as np
    import pandas as pd

    return pd.StringDtype("pyarrow", na_value=np.nan)


def _series(col: Any) -> pd.Series:
    """One decoded column for pandas, text as Arrow-backed "str" without a copy of its data.

    pyarrow's to_pandas takes four times as long for a string column as casting it
    to large_string (only the offsets are copied) and wrapping that.
    """
    import pandas as pd
    import pyarrow as pa

    if col.type in (pa.string(), pa.large_string()):
        text = pa.chunked_array([col.cast(pa.large_string())])
        return pd.Series(text, dtype=text_dtype())
    return col.to_pandas()


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their supported files, in sorted order."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            # Excel's lock files (~$x.xlsx), hidden files and .txt notes are not exports.
            inside = sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in FOLDER_SUFFIXES
                and not f.name.startswith(("~$", "."))
            )
            if not inside:
                raise InputFileError(
                    "folder holds no .xlsx, .xlsm, .xls, .xlsb, .ods, .csv or .tsv file",
                    file=p,
                    hint="point at the folder with the shipment exports",
                )
            found.extend(inside)
        elif p.exists():
            found.append(p)
        else:
            raise InputFileError("no such file or folder", file=p, hint="check the path")
    seen: set[Path] = set()
    unique = []
    for f in found:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def read_file(path: Path, options: LoadOptions | None = None) -> Iterator[RawSheet]:
    """Yield the raw sheets of one file, checking what the bytes really are first."""
    options = options or LoadOptions()
    from recall_cli.read.sniff import check_readable

    suffix = path.suffix.lower()
    expected = "text" if suffix in TEXT_SUFFIXES else suffix.lstrip(".")
    kind = check_readable(path, expected_from_suffix=expected, password=options.password)
    if kind == "text":
        yield read_text(path, options)
    else:
        yield from read_workbook(path, kind, options)


# --- workbooks ---------------------------------------------------------------


def read_workbook(path: Path, kind: str, options: LoadOptions) -> Iterator[RawSheet]:
    from recall_cli.read import epoch, sniff

    source: Path | bytes = path
    if kind in ("xlsx", "ods", "xlsb"):
        sniff.check_zip(path, **_zip_limits(options))
    if kind in ("xlsx", "ods"):
        sniff.check_xml_parts(path)
    if kind in ("encrypted-ooxml", "encrypted-xls"):
        source = sniff.decrypt(path, options.password or "", **_zip_limits(options))
    # Decrypted bytes are read from memory with the same helpers as a file on disk.
    base = kind
    if isinstance(source, bytes):
        base = "xls" if kind == "encrypted-xls" else sniff._sniff_handle(io.BytesIO(source))
    reader = _open_fastexcel(path, source)
    with reader_call(path):
        names = list(reader.sheet_names)
    if options.sheets:
        # "--sheet other" finds "Other": names match exactly, else ignoring case.
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
        first_row = 1
        if len(cells):
            first_row = (
                sniff.xlsx_first_row(source, name, file=path)
                if is_xlsx_file
                else calamine.start(name)[0]  # type: ignore[union-attr]
            )
        details.update(hidden.get(name, {}))
        if details.get("merged_ranges"):
            # Merged ranges are in sheet coordinates; the frame starts at the first used column.
            details["first_col"] = (
                _CalamineBook(source, path) if calamine is None else calamine
            ).start(name)[1]
        warnings = _row_limit_warning(base, first_row, cells)
        yield RawSheet(path, name, cells, first_row, details, warnings=warnings)


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


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 by BOM, else the best single-byte guess."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        evens = data[:4096:2].count(0)
        return "utf-16-be" if evens > len(data[:4096]) // 4 else "utf-16-le"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=["cp1252", "latin_1", "mac_roman"]).best()
    guess = (best.encoding if best else "cp1252").replace("_", "-")
    if guess in ("latin-1", "iso8859-1"):
        # cp1252 is what Windows exports mean by "Latin-1" (it has € and curly quotes).
        guess = "cp1252"
    try:
        data.decode(guess)
    except UnicodeDecodeError:
        guess = "latin-1"
    return guess


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
    data = path.read_bytes()
    encoding = options.encoding or detect_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(
            f"cannot be decoded as {encoding}",
            file=path,
            hint="pass --encoding with the file's real encoding (e.g. cp1252, utf-16)",
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    # Excel's own hint line, "sep=;", names the delimiter; it stays as a title row.
    hint = re.match(r"sep=(.)\r?\n", text)
    delimiter = options.delimiter or (hint[1] if hint else sniff_delimiter(text))
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    width = max((len(r) for r in records), default=0)
    nfields = [len(r) for r in records]
    for r in records:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    import pandas as pd

    frame = pd.DataFrame(records, columns=range(width), dtype=object) if records else pd.DataFrame()
    frame[NFIELDS] = nfields
    details: dict[str, object] = {
        "reader": "csv",
        "encoding": encoding,
        "delimiter": {"\t": "tab"}.get(delimiter, delimiter),
    }
    return RawSheet(path, "", frame, 1, details)


# --- running per-file work ---------------------------------------------------


T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None) -> list[R]:
    """fn over items in threads, results in order.

    The xlsx reader (calamine) and Arrow's kernels release the GIL, so two files
    decode at once on two cores; the first error is raised as in a plain loop.
    RECALL_WORKERS=1 turns this off (the bench compares both).
    """
    if workers is None:
        workers = _workers()
    if len(items) < 2 or workers < 2:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def _workers() -> int:
    import os

    try:
        return max(1, int(os.environ.get("RECALL_WORKERS", "2")))
    except ValueError:
        return 2
