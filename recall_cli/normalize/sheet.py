"""Raw cells → canonical shipment rows: header, columns, lots, dates, row kinds.

Every row below the header comes out, whatever it holds: a row kind
(`data`, `blank`, `total`, `header`, `note`, `bad`) and a `problem` text let
the query put it in exactly one bucket. Nothing is dropped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recall_cli.errors import SchemaError
from recall_cli.normalize import arrowbits
from recall_cli.normalize import dates as dates_mod
from recall_cli.normalize import postal as postal_mod
from recall_cli.normalize import quantities as qty_mod
from recall_cli.normalize.arrowbits import indices, trimmed
from recall_cli.normalize.columns import (
    CANONICAL,
    DAY_FIRST_LANGUAGES,
    REQUIRED_HINT,
    ambiguous_header,
    canonical_for,
    date_order_hint,
    header_language,
    is_known_header,
    missing_required,
)
from recall_cli.normalize.columns import normalize_header as fold
from recall_cli.normalize.countries import to_iso2
from recall_cli.normalize.distinct import Distinct, spread
from recall_cli.normalize.lots import lot_digest, normalize_id, normalize_lot
from recall_cli.normalize.options import NormalizeOptions
from recall_cli.normalize.problems import UNREADABLE_QUANTITY
from recall_cli.read.load import NFIELDS, RawSheet, find_inputs, parallel_map, read_file, text_dtype
from recall_cli.read.options import LoadOptions
from recall_cli.words import plural, verb

HEADER_SEARCH_ROWS = 30
NOT_SHIPMENTS = "not a shipment table"

KINDS = ("data", "blank", "total", "header", "note", "bad")

ROW_COLUMNS = (
    "source", "file", "sheet", "row", "kind", "problem", "lot_raw", "date_raw",
    "customer_key", *CANONICAL,
)  # fmt: skip

# "Total", "Grand total", "Sous-total", and Excel's Subtotal labels "B201575 Total".
# A cell that is only a totals label: "Total", "TOTAL:", "Grand Total", "Sous-total",
# "Total général", "Total (units)", "Total 160"; or Excel's Subtotal label after a
# value, "B201575 Total", "12/1/2010 Count". Not "Total Care Pharmacy".
_TOTAL = re.compile(
    r"^\s*(grand\s*[- ]?\s*)?(sub\s*[- ]?\s*|sous\s*[- ]?\s*)?"
    r"(totals?|totaux|sum|somme|summe|count)\b"
    r"(\s*(g[ée]n[ée]ral|general|overall|qty|quantity|units?|unit[ée]s|:|-|\([^)]*\)|[\d.,/:]+))*"
    r"\s*$"
    r"|\S\s+(total|totals|totaux|count)\s*:?\s*$",
    re.IGNORECASE,
)
_EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA"}
)


DEFAULT_LOAD = LoadOptions(known_header=is_known_header)
DEFAULT_NORMALIZE = NormalizeOptions()


@dataclass
class SourceInfo:
    """What was found in one sheet (or text file): `inspect` prints this."""

    file: str
    sheet: str
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical → header as found
    ignored_columns: list[str] = field(default_factory=list)
    date_order: str = ""
    date_order_reason: str = ""
    rows_read: int = 0
    skipped: str = ""
    warnings: list[str] = field(default_factory=list)
    details: dict[str, object] = field(default_factory=dict)
    # A skipped sheet's cells as lots (lot_digest), so a query can tell whether it
    # holds a recalled lot; digests, not the values, which may be ids or postcodes.
    lot_digests: list[str] = field(default_factory=list)
    lot_digests_capped: bool = False  # more distinct cells than were kept


# A column's codes (Shipments.codes), or the call that makes them.
Coded = Distinct | Callable[[], Distinct]


@dataclass
class Shipments:
    """All rows read, one per input row below a header, plus where they came from."""

    rows: pd.DataFrame
    sources: list[SourceInfo]
    # Inputs not read because an earlier one is the same file or has the same bytes:
    # {"path", "same_as", "how"} (read.identity.Duplicate.to_dict).
    duplicates: list[dict[str, str]] = field(default_factory=list)
    # Columns of `rows` the normaliser coded as it built them: column -> (the Arrow
    # array it coded, its codes). Read through `coded`, which checks the column is
    # still that array; empty when the rows were joined from several frames or read
    # from the cache. Codes still to renumber are a call that makes them (first_order):
    # made when asked, after the normaliser's own arrays are gone.
    codes: dict[str, tuple[pa.ChunkedArray, Coded]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def read_sources(self) -> list[SourceInfo]:
        return [s for s in self.sources if not s.skipped]

    def coded(self, column: str) -> Distinct | None:
        """The column as codes into its distinct values in the order they first occur
        (what `arrowbits.distinct` gives), when the normaliser has them; else None.

        Only while `rows[column]` is the very array that was coded: a column
        replaced, a frame sliced or joined has other arrays, and is coded anew.
        """
        held = self.codes.get(column)
        if held is None or column not in self.rows.columns:
            return None
        array, found = held
        col = self.rows[column]
        if col.dtype != STR or col.array.__arrow_array__() is not array:
            return None
        if not isinstance(found, Distinct):
            found = found()
            self.codes[column] = (array, found)
        return found if len(found.codes) == len(col) else None


# --- headers -----------------------------------------------------------------


def find_header(
    cells: pd.DataFrame, overrides: Mapping[str, str]
) -> tuple[int, dict[int, str], list[str]] | None:
    """The header row index, the column → canonical mapping, and the duplicate headers.

    Linear in cells: the top rows are one object grid read by position, so a
    sheet 16,384 columns wide (a stray cell in XFD) costs no more than its cells.
    """
    keys = {fold(h): canon for canon, h in overrides.items()}
    data_cols = [c for c in cells.columns if c != NFIELDS]
    # One small block of objects: a row of fourteen Arrow-backed columns is slow to pick.
    grid = cells[data_cols].head(HEADER_SEARCH_ROWS).to_numpy(dtype=object)
    idx = _best_header_row(grid, keys)
    if idx is None:
        return None
    header = list(zip(data_cols, grid[idx].tolist(), strict=True))
    mapping, duplicates = _map_header(header, keys)
    if idx > 0:
        _carry_group_labels(header, grid[idx - 1].tolist(), mapping, keys)
    if idx + 1 < len(grid) and _join_second_row(header, grid[idx + 1].tolist(), mapping, keys):
        idx += 1  # the second row of the header is not data
    return idx, mapping, duplicates


def _best_header_row(grid: np.ndarray, keys: Mapping[str, str]) -> int | None:
    """The first row naming the most known columns (at least two)."""
    known: dict[object, str | None] = {}  # each distinct cell text is folded once
    best: tuple[int, int] | None = None
    for i in range(len(grid)):
        found = set()
        for v in grid[i]:
            if v not in known:
                known[v] = _canonical(v, keys)
            found.add(known[v])
        found.discard(None)
        if len(found) >= 2 and (best is None or len(found) > best[1]):
            best = (i, len(found))
    return None if best is None else best[0]


def _map_header(
    header: list[tuple[Any, Any]], keys: Mapping[str, str]
) -> tuple[dict[int, str], list[str]]:
    """Column → canonical name; a second column of the same name is a duplicate.

    Weak names (a bare `Date`) map only where no column claims them precisely.
    """
    mapping: dict[int, str] = {}
    duplicates: list[str] = []
    for j, value in header:
        canon = _canonical(value, keys)
        if canon is None:
            continue
        if canon in mapping.values():
            duplicates.append(str(value).strip())
            continue
        mapping[j] = canon
    row_texts = [v for _, v in header if isinstance(v, str)]
    for j, value in header:
        if j in mapping or not isinstance(value, str):
            continue
        # "Nombre" is a count in French and a name in Spanish: the row's language says.
        meant = ambiguous_header(value, row_texts)
        if meant is not None and meant not in mapping.values():
            mapping[j] = meant
            continue
        weak = canonical_for(value, weak=True)
        if weak is not None and weak not in mapping.values():
            mapping[j] = weak
    return mapping, duplicates


def _carry_group_labels(
    header: list[tuple[Any, Any]],
    above: list[Any],
    mapping: dict[int, str],
    keys: Mapping[str, str],
) -> None:
    """A group label above the header ("Customer" merged over "ID | Name | ZIP"): a
    merged label stands in its first cell only, so it is carried right."""
    carried: str | None = None
    for (j, b), a in zip(header, above, strict=True):
        if isinstance(a, str) and a.strip():
            carried = a.strip()
        if j in mapping or not carried or not (isinstance(b, str) and b.strip()):
            continue
        canon = _canonical(f"{carried} {b.strip()}", keys)
        if canon is not None and canon not in mapping.values():
            mapping[j] = canon


def _join_second_row(
    header: list[tuple[Any, Any]],
    below: list[Any],
    mapping: dict[int, str],
    keys: Mapping[str, str],
) -> bool:
    """A header over two rows ("Ship" above "Date"): names that only map once joined
    are added; True when the header therefore ends one row lower."""
    joined: dict[int, str] = {}
    for (j, a), b in zip(header, below, strict=True):
        if j in mapping or not (isinstance(a, str) and isinstance(b, str) and b.strip()):
            continue
        canon = _canonical(f"{a.strip()} {b.strip()}", keys)
        if canon is not None and canon not in {*mapping.values(), *joined.values()}:
            joined[j] = canon
    mapping.update(joined)
    return bool(joined)


def _canonical(value: object, override_keys: Mapping[str, str]) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    key = fold(value)
    if key in override_keys:
        return override_keys[key]
    canon = canonical_for(value)
    # A column the user mapped by hand wins over the alias table.
    if canon is not None and canon in override_keys.values():
        return None
    return canon


def _row_mapping(values: Iterable[tuple[object, object]], keys: Mapping[str, str]) -> dict:
    """Column → canonical name of one row read as a header (the first of each name wins)."""
    out: dict[object, str] = {}
    for j, v in values:
        canon = _canonical(v, keys)
        if canon is not None and canon not in out.values():
            out[j] = canon
    return out


def later_headers(
    cells: pd.DataFrame, header_idx: int, mapping: Mapping[int, str], overrides: Mapping[str, str]
) -> list[tuple[int, dict]]:
    """Rows below the header that are a header with other columns, each with its own mapping.

    Two exports pasted one under the other: the second one's header names the
    columns in another order. A row repeating the first header is not one of
    these (it is a header row, not data). Only rows whose lot or date cell is a
    column name are looked at closely, so a million rows cost two passes.
    """
    keys = {fold(h): canon for canon, h in overrides.items()}
    data_cols = [c for c in cells.columns if c != NFIELDS]
    header = cells.iloc[header_idx][data_cols].tolist()
    strong = _row_mapping(zip(data_cols, header, strict=True), keys)

    def names_a_column(j: object) -> np.ndarray:
        codes, uniques = pd.factorize(cells[j], use_na_sentinel=True)
        named = np.array([_canonical(u, keys) is not None for u in uniques] + [False], dtype=bool)
        return named[codes]  # the sentinel -1 picks the trailing False

    rows = np.zeros(len(cells), dtype=bool)
    # The two columns are hashed on both cores (Arrow's hashing releases the GIL).
    for named_rows in parallel_map(
        names_a_column, [j for j, c in mapping.items() if c in ("lot", "ship_date")]
    ):
        rows |= named_rows
    rows[: header_idx + 1] = False
    found = []
    for r in np.flatnonzero(rows).tolist():
        values = cells.iloc[r][data_cols].tolist()
        m = _row_mapping(zip(data_cols, values, strict=True), keys)
        if len(m) < 2 or all(strong.get(j) == c for j, c in m.items()):
            continue  # a repeat of the header (or a lone word): not another table
        found.append((r, m))
    return found


def split_tables(raw: RawSheet, options: NormalizeOptions) -> list[RawSheet]:
    """The sheet as one table per header: a second, different header starts a new table.

    A different header that lacks a required column cannot be read by itself:
    it and the rows under it (to the next table) go to review, with the reason.
    """
    pieces: list[RawSheet] = []
    rest: RawSheet | None = raw
    while rest is not None:
        table, rest = _first_table(rest, options)
        pieces.append(table)
    return pieces


def _first_table(raw: RawSheet, options: NormalizeOptions) -> tuple[RawSheet, RawSheet | None]:
    """The sheet's first table, and what follows its end (None when it is the whole sheet)."""
    cells = raw.cells
    found = find_header(cells, options.columns) if len(cells) else None
    if found is None:
        return raw, None
    idx, mapping, _ = found
    later = later_headers(cells, idx, mapping, options.columns)
    end = next((r for r, m in later if not missing_required(set(m.values()))), len(cells))
    where = f"row {raw.first_row + idx}"
    flagged = dict(raw.flagged)
    for r, m in later:
        if r >= end:
            break
        reason = (
            f"below a header at row {raw.first_row + r} whose columns differ from the "
            f"header at {where} and lack {', '.join(missing_required(set(m.values())))}: "
            "read it by hand"
        )
        for k in range(r, end):
            flagged.setdefault(k, reason)
    if end == len(cells):
        if flagged == raw.flagged:
            return raw, None
        return RawSheet(raw.file, raw.sheet, cells, raw.first_row, raw.details, flagged=flagged,
                        warnings=raw.warnings), None  # fmt: skip
    at = raw.first_row + end
    head = RawSheet(
        raw.file, raw.sheet, cells.iloc[:end].reset_index(drop=True), raw.first_row,
        dict(raw.details), flagged={i: v for i, v in flagged.items() if i < end},
        warnings=[*raw.warnings, f"a header at row {at} names the columns in another order "
                  "(two exports pasted together?): the rows below it are read as a table "
                  "of their own"],
    )  # fmt: skip
    tail = RawSheet(
        raw.file, raw.sheet, cells.iloc[end:].reset_index(drop=True), at, dict(raw.details),
        flagged={i - end: v for i, v in flagged.items() if i >= end},
        warnings=[f"a table of its own, below the one with its header at {where}"],
    )  # fmt: skip
    return head, tail


# --- values ------------------------------------------------------------------


# Text columns are Arrow-backed strings ("str" in pandas 3): comparisons, strip
# and take run in Arrow, and no column becomes a million Python objects.
STR = text_dtype()


def nonblank(col: pd.Series) -> np.ndarray:
    """True where a text column is not blank."""
    if col.dtype == STR:
        return arrowbits.filled(col.array.__arrow_array__())
    return (as_text(col) != "").to_numpy(dtype=bool)


def as_text(col: pd.Series) -> pd.Series:
    """A column as stripped text, blanks as "" (never missing)."""
    if col.dtype != STR:
        col = col.astype(object).where(col.notna(), "").astype(str).astype(STR)
    return pd.Series(trimmed(col.array.__arrow_array__()), index=col.index, dtype=STR)


# Past this many columns, blank cells are counted over one object grid, not column by
# column: a column's fixed cost times 10,000 columns outweighs the cells themselves.
_GRID_COLUMNS = 64


def filled_cells(body: pd.DataFrame, columns: list[object]) -> np.ndarray:
    """Per row, how many of `columns` hold something other than blanks."""
    n = len(body)
    if len(columns) <= _GRID_COLUMNS:
        out = np.zeros(n, dtype=np.int64)
        for j in columns:
            out += nonblank(as_text(body[j]))
        return out
    grid = body[columns].to_numpy(dtype=object)
    filled = pd.notna(grid) & (grid != "")
    for r, c in zip(*np.nonzero(filled), strict=True):  # spaces alone are blank too
        value = grid[r, c]
        if isinstance(value, str) and not value.strip():
            filled[r, c] = False
    return filled.sum(axis=1).astype(np.int64)


@dataclass
class _Encoded:
    column: pd.Series  # kept, so that its id stays its own
    codes: np.ndarray  # per row, into uniques
    indices: pa.Array  # the same codes, as Arrow
    uniques: list[str]
    dictionary: pa.Array  # the same uniques, as Arrow


class EncodedColumns:
    """Text columns dictionary-encoded once each, then mapped once per distinct value.

    Shipment columns repeat a lot, and the lot column is asked several questions:
    encoding it once for all of them saves a pass over a million strings each.
    """

    def __init__(self) -> None:
        self._seen: dict[int, _Encoded] = {}

    def encode_all(self, cols: Iterable[pd.Series]) -> None:
        """Code these columns now, on both cores: Arrow's hashing releases the GIL.

        Each column is coded as `_encode` codes it when first asked, so the codes
        are the same whichever thread found them.
        """
        todo = list({id(c): c for c in cols if self.known(c) is None}.values())
        parallel_map(self._encode, todo)

    def uniques(self, col: pd.Series) -> list[str]:
        """The column's distinct texts."""
        return list(self._encode(col).uniques)

    def _encode(self, col: pd.Series) -> _Encoded:
        hit = self._seen.get(id(col))
        if hit is None or hit.column is not col:
            chunked = pa.chunked_array(col.astype(STR).array.__arrow_array__())
            if chunked.null_count:
                chunked = pc.fill_null(chunked, "")
            encoded = pc.dictionary_encode(chunked).combine_chunks()
            hit = _Encoded(col, encoded.indices.to_numpy(zero_copy_only=False), encoded.indices,
                           encoded.dictionary.to_pylist(), encoded.dictionary)  # fmt: skip
            self._seen[id(col)] = hit
        return hit

    def known(self, col: pd.Series) -> Distinct | None:
        """The column's codes if it was coded already (never codes it)."""
        hit = self._seen.get(id(col))
        return Distinct(hit.codes, hit.uniques) if hit is not None and hit.column is col else None

    def forget(self, col: pd.Series) -> None:
        """Drop the column's codes (asked again, it is coded again)."""
        self._seen.pop(id(col), None)

    def distinct(self, col: pd.Series) -> Distinct:
        """The column as codes into its distinct values, in the order they first occur
        (what `pc.dictionary_encode` and `pd.factorize` give), missing read as ""."""
        e = self._encode(col)
        return Distinct(e.codes, e.uniques)

    def text(self, col: pd.Series, fn: Callable[[str], str]) -> pd.Series:
        e = self._encode(col)
        values = [fn(u) for u in e.uniques]
        if values == e.uniques and col.dtype == STR and not col.hasnans:
            return col  # already in shape (ids and postal codes usually are): no copy
        # large_string is what pandas holds: a string array would be copied to it.
        mapped = pa.array(values, pa.large_string())
        out = pd.Series(pc.take(mapped, e.indices), index=col.index, dtype=STR)
        self._derived(out, e, values)
        return out

    def _derived(self, out: pd.Series, e: _Encoded, values: list[str]) -> None:
        """Remember the codes of `out`, each row's value `values[e.codes]`, without
        hashing its rows again.

        The distinct values of `out` in the order they first occur are `values` without
        repeats, in their order: e.uniques are in the order they first occur, so the
        first row holding a value holds the first unique that maps to it.
        """
        place: dict[str, int] = {}
        remap = np.array([place.setdefault(v, len(place)) for v in values], dtype=np.int32)
        codes = remap[e.codes] if len(remap) else np.zeros(len(e.codes), dtype=np.int32)
        uniques = list(place)
        self._seen[id(out)] = _Encoded(out, codes, _codes_as_arrow(codes), uniques,
                                       pa.array(uniques, pa.large_string()))  # fmt: skip

    def values(
        self, col: pd.Series, fn: Callable[[str], object], dtype: type = object
    ) -> np.ndarray:
        e = self._encode(col)
        mapped: np.ndarray = np.array([fn(u) for u in e.uniques] or [fn("")], dtype=dtype)
        if mapped.dtype == bool and len(e.uniques):
            return spread(mapped, e.codes)  # most tests hold for no value or every value
        return mapped[e.codes]

    def totals(self, col: pd.Series) -> np.ndarray:
        """Rows whose text is a totals label (_is_total), the regex run only where it can match.

        Every match holds "tot", "sum", "somme" or "count"; Arrow finds the few
        distinct values that do. Text that is not ASCII always goes to the regex,
        whose case folding knows more than ASCII's.
        """
        e = self._encode(col)
        maybe = pc.or_(
            pc.invert(pc.string_is_ascii(e.dictionary)),
            pc.match_substring_regex(e.dictionary, _TOTAL_WORDS, ignore_case=True),
        )
        table = np.zeros(max(len(e.uniques), 1), dtype=bool)
        for i in np.flatnonzero(arrowbits.bools(maybe)):
            table[i] = _is_total(e.uniques[i])
        return table[e.codes]

    def counts(self, col: pd.Series, fn: Callable[[str], str], rows: np.ndarray) -> dict[str, int]:
        """How many of `rows` map to each value of fn."""
        e = self._encode(col)
        out: dict[str, int] = {}
        codes = e.codes if rows.all() else e.codes[rows]
        per_value = np.bincount(codes, minlength=len(e.uniques))
        for u, k in zip(e.uniques, per_value.tolist(), strict=True):
            if k:
                key = fn(u)
                out[key] = out.get(key, 0) + k
        return out


_TOTAL_WORDS = "tot|sum|somme|count"


def _names_column(canon: str, text: str) -> bool:
    return canonical_for(text, weak=True) == canon


def _is_total(text: str) -> bool:
    return bool(_TOTAL.search(text))


def _country_code(text: str) -> str:
    return to_iso2(text) or text.upper()


def _main_country(counts: Mapping[str, int]) -> str | None:
    """The country of most rows, when one dominates (90%): it hints the date order."""
    known = {c: k for c, k in counts.items() if re.fullmatch(r"[A-Z]{2}", c)}
    if not known:
        return None
    top = max(known, key=known.__getitem__)
    return top if known[top] >= 0.9 * sum(known.values()) else None


def fill_merged(
    cells: pd.DataFrame, ranges: Iterable[tuple[int, int, int, int]], first_row: int, first_col: int
) -> tuple[pd.DataFrame, int]:
    """Copy each vertically merged range's top value into the blank cells below it.

    Excel keeps a merged value only in the top-left cell; a lot merged down over
    three shipments would otherwise leave two of them with a blank lot.
    Ranges are (first row 1-based, first col 0-based, last row, last col).
    """
    columns: dict[int, np.ndarray] = {}
    filled = 0
    n = len(cells)
    for r1, c1, r2, c2 in ranges:
        top, bottom = r1 - first_row, min(r2 - first_row, n - 1)
        if bottom <= top or top < 0:
            continue
        for c in range(c1, c2 + 1):
            j = c - first_col
            if j not in cells.columns:
                continue
            col = columns.get(j)
            if col is None:
                col = columns[j] = cells[j].to_numpy(dtype=object).copy()
            value = col[top]
            if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
                continue
            seg = col[top + 1 : bottom + 1]
            blank = pd.isna(seg) | (seg == "")
            seg[blank] = value
            filled += int(blank.sum())
    if not columns:
        return cells, 0
    cells = cells.copy()
    for j, col in columns.items():
        cells[j] = col
    return cells, filled


# --- one sheet ---------------------------------------------------------------


def encoding_note(details: Mapping[str, object], headers: Iterable[str] | None = None) -> str:
    """For a CSV whose code page was guessed: the guess may be why no header fits.

    Not when the header was found and every header with a non-ASCII letter is a
    known name: those read right, so the guess did.
    """
    if not details.get("encoding_guessed"):
        return ""
    if headers is not None and all(
        h.isascii() or canonical_for(h, weak=True) is not None for h in headers
    ):
        return ""
    return (
        f"the file was read as {details['encoding']} (a guess): if its headers look "
        "garbled, pass --encoding with its real encoding (cp1252, cp850, mac_roman, latin-1)"
    )


def normalize_sheet(
    raw: RawSheet, source_id: int, options: NormalizeOptions
) -> tuple[SourceInfo, pd.DataFrame | None]:
    info, frame, _ = _normalized(raw, source_id, options)
    return info, frame


# The columns the steps of normalize_sheet code, whatever the sheet holds.
_ASKED_COLUMNS = ("lot", "customer_id", "name", "country", "ship_date", "quantity", "postal_code")
# The columns whose codes the normaliser hands to the query (Shipments.codes).
CODED_COLUMNS = ("kind", "lot", "country", "customer_key", "problem")


def _normalized(
    raw: RawSheet, source_id: int, options: NormalizeOptions
) -> tuple[SourceInfo, pd.DataFrame | None, dict[str, tuple[pa.ChunkedArray, Coded]]]:
    """As normalize_sheet, with the codes of CODED_COLUMNS that are known already."""
    info = SourceInfo(file=str(raw.file), sheet=raw.sheet, details=dict(raw.details))
    info.warnings.extend(raw.warnings)
    if raw.skipped:
        info.skipped = raw.skipped
        return info, None, {}
    cells = _fill_merged_cells(raw, info)
    header = _header_or_skip(raw, info, cells, options)
    if header is None:
        info.lot_digests, info.lot_digests_capped = _skipped_lots(cells)
        return info, None, {}
    b = _body(raw, info, cells, *header)
    n = b.n
    # Every sheet's steps ask these columns questions per distinct value.
    b.distinct.encode_all(b.text[c] for c in _ASKED_COLUMNS)
    lot_raw = b.text["lot"]
    lot_error = b.distinct.values(lot_raw, lambda v: v.upper() in _EXCEL_ERRORS, bool)
    lot = b.distinct.text(lot_raw, lambda v: "" if v.upper() in _EXCEL_ERRORS else normalize_lot(v))
    kind = _row_kinds(b)
    is_blank = kind == _KIND["blank"]
    is_data = kind == 0
    problem = _Problems(n)
    problem.set(lot_error, "lot cell holds an Excel error")
    _lot_problems(b, is_data, problem)
    is_data = _mark_ragged(b, kind, is_data, is_blank, problem)
    _apply_flags(raw.flagged, b.header_idx, kind, problem)
    is_data &= kind == 0
    country = b.distinct.text(b.text["country"], _country_code)
    hints = _locale_hints(b, is_data)
    ship_date, guesses = _ship_dates(b, is_data, problem, options, hints)
    b.distinct.forget(b.text["ship_date"])  # no later step asks the date text
    quantity = _quantities(b, is_data, problem, hints)
    customer_id, postal, customer_key = _customers(b, is_data, country, problem)
    problem.append(is_data, guesses)  # after every other problem: a row keeps both
    out: dict[str, object] = {
        "source": np.full(n, source_id, dtype=np.int32),
        "file": constant_text(str(raw.file), n),
        "sheet": constant_text(raw.sheet, n),
        "row": np.arange(n, dtype=np.int64) + raw.first_row + b.header_idx + 1,
        "kind": coded_text(_KIND_ARRAY, kind),
        "problem": problem.series(),
        "lot_raw": lot_raw,
        "date_raw": b.text["ship_date"],
        "customer_key": customer_key,
    }
    for canon in CANONICAL:
        out[canon] = b.text[canon]
    out["lot"] = lot
    out["ship_date"] = ship_date.to_numpy()
    out["quantity"] = quantity
    out["customer_id"] = customer_id
    out["postal_code"] = postal
    out["country"] = country
    frame = pd.DataFrame(out)
    texts = list(problem.texts)
    known: dict[str, Coded | None] = {
        "kind": lambda: first_order(kind, len(KINDS), KINDS),
        "problem": lambda: first_order(problem.codes, len(texts), texts),
        "lot": b.distinct.known(lot),
        "country": b.distinct.known(country),
        "customer_key": b.distinct.known(customer_key),
    }
    codes = {c: (frame[c].array.__arrow_array__(), d) for c, d in known.items() if d is not None}
    return info, frame, codes


def first_order(codes: np.ndarray, k: int, texts: Iterable[str]) -> Distinct:
    """Codes into k distinct texts, renumbered as hashing the rows' texts numbers
    them (`arrowbits.distinct`): the texts present, in the order they first occur."""
    names = list(texts)
    n = len(codes)
    present = np.flatnonzero(np.bincount(codes, minlength=k)) if n else np.zeros(0, np.intp)
    if len(present) <= 32:
        first = np.array([int(np.argmax(codes == c)) for c in present.tolist()], dtype=np.int64)
    else:
        at = np.full(k, n, dtype=np.int64)
        np.minimum.at(at, codes, np.arange(n, dtype=np.int64))
        first = at[present]
    order = present[np.argsort(first, kind="stable")]
    remap = np.zeros(max(k, 1), dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    renumbered = remap[codes] if n else np.zeros(0, np.int32)
    return Distinct(renumbered, [names[c] for c in order.tolist()])


#: Distinct cells of a skipped sheet kept as digests; past this, it may hold anything.
SKIPPED_LOTS_KEPT = 50_000
_WORDS = re.compile(r"[^0-9A-Z]+")


def _skipped_lots(cells: pd.DataFrame) -> tuple[list[str], bool]:
    """The digests of every lot a skipped sheet's shipment-like rows could hold, and
    whether some were left out.

    A row is shipment-like when one of its cells reads as a date: a pivot of units per
    lot, or a list of lots, has none beside its lots. Each cell of such a row counts as
    a lot, and so does each word of it ("LOT B201575" holds B201575).
    """
    coded = [pd.factorize(as_text(cells[j]).to_numpy(dtype=object)) for j in cells.columns]
    dated = np.zeros(len(cells), dtype=bool)
    for codes, uniques in coded:
        readable = np.array([dates_mod.is_readable_date(str(u)) for u in uniques] or [False])
        dated |= readable[codes] & (codes >= 0)
    seen: set[str] = set()
    for codes, uniques in coded:
        for k in np.unique(codes[dated & (codes >= 0)]).tolist():
            lot = normalize_lot(str(uniques[k]))
            if not lot:
                continue
            seen.add(lot)
            seen.update(w for w in _WORDS.split(lot.upper()) if len(w) >= 3)
            if len(seen) > SKIPPED_LOTS_KEPT:
                return sorted(lot_digest(v) for v in seen), True
    return sorted(lot_digest(v) for v in seen), False


def _fill_merged_cells(raw: RawSheet, info: SourceInfo) -> pd.DataFrame:
    cells = raw.cells
    merged = info.details.pop("merged_ranges", None)
    if merged:
        first_col = int(raw.details.get("first_col", 0))  # type: ignore[call-overload]
        ranges = cast(list[tuple[int, int, int, int]], merged)
        cells, filled = fill_merged(cells, ranges, raw.first_row, first_col)
        if filled:
            info.details["merged_cells_filled"] = filled
            info.warnings.append(
                f"{filled} empty cells inside merged ranges took the value of the range's top cell"
            )
    return cells


def _header_or_skip(
    raw: RawSheet, info: SourceInfo, cells: pd.DataFrame, options: NormalizeOptions
) -> tuple[int, dict[int, str]] | None:
    """The header row and its mapping; None (with info.skipped) for a sheet to skip.

    A table with the lot and a date or customer but a required column missing is an
    error: it is shipments, and cannot be read right.
    """
    found = find_header(cells, options.columns) if len(cells) else None
    if found is None:
        note = encoding_note(raw.details)
        info.skipped = f"no recognisable header in the first {HEADER_SEARCH_ROWS} rows" + (
            f"; {note}" if note else ""
        )
        return None
    header_idx, mapping, duplicates = found
    header_cells = cells.iloc[header_idx]
    mapped = set(mapping.values())
    missing = missing_required(mapped)
    if missing:
        headers = [str(v).strip() for v in header_cells if isinstance(v, str) and v.strip()]
        found_list = ", ".join(repr(h) for h in headers)
        if "lot" not in mapped or not mapped & {"ship_date", "customer_id", "name", "last_name"}:
            # A lot summary, a contacts list, a lookup table: not shipments. Skipped
            # and reported; the query turns it into the error if no sheet is usable.
            info.skipped = (
                f"{NOT_SHIPMENTS}: missing required column {', '.join(missing)}; "
                f"headers found: {found_list}"
                + (f"; {note}" if (note := encoding_note(raw.details, headers)) else "")
            )
            info.header_row = raw.first_row + header_idx
            return None
        also = "; if this sheet is not shipments, read the others with --sheet NAME"
        raise SchemaError(
            f"missing required column {', '.join(missing)}; headers found: {found_list}",
            file=raw.file,
            sheet=raw.sheet or None,
            row=raw.first_row + header_idx,
            hint=(f"{note}; " if (note := encoding_note(raw.details, headers)) else "")
            + f'{REQUIRED_HINT}; map one by hand with --column lot="Header"'
            + (also if raw.sheet else ""),
        )
    info.header_row = raw.first_row + header_idx
    info.columns = {canon: str(header_cells[j]).strip() for j, canon in mapping.items()}
    info.ignored_columns = [
        str(header_cells[j]).strip()
        for j in cells.columns
        if j != NFIELDS
        and j not in mapping
        and isinstance(header_cells[j], str)
        and header_cells[j].strip()
    ]
    if duplicates:
        info.warnings.append(
            "duplicate columns ignored (the first one is used): " + ", ".join(duplicates)
        )
    _warn_other_lot_columns(info, duplicates)
    return header_idx, mapping


def _warn_other_lot_columns(info: SourceInfo, duplicates: list[str]) -> None:
    """Say so when a second column names a lot: its cells are never compared with the
    recall list, so a recalled lot there would be "not matched" with nothing said."""
    lot = info.columns.get("lot")
    if lot is None:
        return
    if any(canonical_for(h) == "lot" or fold(h) == fold(lot) for h in duplicates):
        info.warnings.append(
            f"a second column headed {lot!r} is not searched, only the first: if the "
            "recalled lot can be in it, give it a header of its own and run again with "
            '--column lot="THAT HEADER"'
        )
    others = [h for h in info.ignored_columns
              if h not in duplicates and _LOT_WORD.search(fold(h))]  # fmt: skip
    if others:
        shown = ", ".join(repr(h) for h in others)
        info.warnings.append(
            f"lot column {lot!r} is the one searched; {shown} "
            f"{verb(len(others), 'is', 'are')} not: if the recalled lot can be "
            f"there, run again with --column lot={others[0]!r}"
        )


# A header naming a lot or batch that the column mapping left unused ("Lot 2",
# "Component lot", a second "Lot").
_LOT_WORD = re.compile(r"\b(?:lot|lots|batch|lote|charge|chargen|partie)\b")


@dataclass
class _Body:
    """The rows under a header, as the steps of normalize_sheet see them."""

    raw: RawSheet
    info: SourceInfo
    cells: pd.DataFrame
    header_idx: int
    mapping: dict[int, str]
    body: pd.DataFrame
    text: dict[str, pd.Series]  # every canonical column, stripped text ("" if absent)
    nonempty: np.ndarray  # filled cells per row, mapped or not
    distinct: EncodedColumns = field(default_factory=lambda: EncodedColumns())
    _blanks: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.body)

    @property
    def header_cells(self) -> pd.Series:
        return self.cells.iloc[self.header_idx]

    @property
    def data_cols(self) -> list[Any]:
        return [c for c in self.cells.columns if c != NFIELDS]

    def blank(self, canon: str) -> np.ndarray:
        """Rows whose cell in this column is blank (computed once per column)."""
        if canon not in self._blanks:
            self._blanks[canon] = ~nonblank(self.text[canon])
        return self._blanks[canon]


def _body(
    raw: RawSheet, info: SourceInfo, cells: pd.DataFrame, header_idx: int, mapping: dict[int, str]
) -> _Body:
    body = cells.iloc[header_idx + 1 :].reset_index(drop=True)
    n = len(body)
    info.rows_read = n
    # Arrow's string kernels release the GIL: strip the columns on both cores.
    stripped = parallel_map(as_text, [body[j] for j in mapping])
    text: dict[str, pd.Series] = dict(zip(mapping.values(), stripped, strict=True))
    blank_col = constant_text("", n)
    for canon in CANONICAL:
        if canon not in text:
            text[canon] = blank_col
    data_cols = [c for c in cells.columns if c != NFIELDS]
    nonempty = np.zeros(n, dtype=np.int64)
    for j in mapping:
        nonempty += nonblank(text[mapping[j]])
    nonempty += filled_cells(body, [j for j in data_cols if j not in mapping])
    # First and last names: a French "Nom" beside "Prénom" is the family name.
    mapped = set(mapping.values())
    has_name = "name" in mapped
    if "first_name" in mapped and "last_name" not in mapped and has_name:
        text["last_name"], text["name"] = text["name"], blank_col
        has_name = False
    if not has_name and ("first_name" in mapped or "last_name" in mapped):
        text["name"] = (text["first_name"] + " " + text["last_name"]).str.strip()
    return _Body(raw, info, cells, header_idx, mapping, body, text, nonempty)


def _row_kinds(b: _Body) -> np.ndarray:
    """The kind of every row (indexes KINDS; 0 is "data"), most specific last."""
    text, distinct, n = b.text, b.distinct, b.n
    lot_raw = text["lot"]
    kind = np.zeros(n, dtype=np.int8)
    header_like = np.zeros(n, dtype=bool)
    lot_head = distinct.values(lot_raw, lambda v: canonical_for(v) == "lot", bool)
    if lot_head.any():
        # Only the few rows whose lot cell says "Lot" can repeat the header.
        rows_at = np.flatnonzero(lot_head)
        votes = np.zeros(len(rows_at), dtype=np.int64)
        for canon in b.mapping.values():
            values = text[canon].to_numpy(dtype=object)[rows_at]
            votes += np.array([_names_column(canon, v) for v in values], dtype=bool)
        header_like[rows_at] = votes >= min(2, len(b.mapping))
    # A totals label makes a totals row only when, apart from its labels, the row
    # has no lot and no customer: "Total Care Pharmacy" with a lot is a shipment
    # (to tell, or to review), and so is a product "Test strips, 50 count".
    lot_blank = b.blank("lot")
    lot_label = distinct.totals(lot_raw)
    id_label = distinct.totals(text["customer_id"])
    name_label = distinct.totals(text["name"])
    id_blank, name_blank = b.blank("customer_id"), b.blank("name")
    identity_blank = id_blank & name_blank
    date_blank, qty_blank = b.blank("ship_date"), b.blank("quantity")
    candidates = np.flatnonzero(
        (lot_label | lot_blank) & (id_blank | id_label) & (name_blank | name_label)
    )
    label_columns = [text[c] for c in sorted(set(b.mapping.values()) & _LABEL_COLUMNS)]
    if b.data_cols[0] not in b.mapping:
        label_columns.append(as_text(b.body[b.data_cols[0]]))
    # A "Total" customer without a date is a totals row, whatever its lot column
    # counted (an Excel COUNTA of the lots).
    total_like = (id_label | name_label) & date_blank
    for col in label_columns:
        values = col.take(candidates).tolist() if len(candidates) else []
        total_like[candidates] |= np.array([_is_total(v) for v in values], dtype=bool)
    core_blank = lot_blank & date_blank & identity_blank
    kind[core_blank & ~qty_blank] = _KIND["total"]
    kind[core_blank & qty_blank] = _KIND["note"]
    kind[~lot_blank & date_blank & identity_blank & qty_blank] = _KIND["note"]
    kind[total_like] = _KIND["total"]
    kind[header_like] = _KIND["header"]
    kind[b.nonempty == 0] = _KIND["blank"]
    return kind


def _lot_problems(b: _Body, is_data: np.ndarray, problem: _Problems) -> None:
    lot_raw = b.text["lot"]
    # Workbook readers give Excel errors (#N/A, #REF!) and formulas never calculated as empty.
    problem.set(
        is_data & b.blank("lot"),
        "lot blank"
        if NFIELDS in b.cells.columns
        else "lot blank (or an Excel error / uncalculated formula)",
    )
    digit_lots = int((is_data & b.distinct.values(lot_raw, _DIGITS_ONLY.fullmatch, bool)).sum())
    sci_lots = int((is_data & b.distinct.values(lot_raw, _SCIENTIFIC.fullmatch, bool)).sum())
    if sci_lots:
        b.info.warnings.append(
            f"{sci_lots:,} lot{'s are numbers' if sci_lots != 1 else ' is a number'} in "
            "scientific notation (1.20E+05): Excel turns codes such as 12E4 into numbers and "
            "may round them; check them at the source"
        )
    if digit_lots:
        b.info.warnings.append(
            f"{digit_lots:,} lots are digits only: if Excel stored them as numbers, leading zeros "
            "(or text such as 1E5) are lost and cannot be recovered; check them at the source"
        )


def _mark_ragged(
    b: _Body, kind: np.ndarray, is_data: np.ndarray, is_blank: np.ndarray, problem: _Problems
) -> np.ndarray:
    """CSV rows with the wrong number of fields become "bad"; the data mask without them."""
    if NFIELDS not in b.cells.columns:
        return is_data
    header_cells, data_cols, body = b.header_cells, b.data_cols, b.body
    # The header's width up to its last name: empty trailing fields are no columns.
    named = [j for j in data_cols if isinstance(header_cells[j], str) and header_cells[j]]
    width = min(int(header_cells[NFIELDS]), int(named[-1]) + 1 if named else 0)
    fields = body[NFIELDS].to_numpy()
    beyond = filled_cells(body, [j for j in data_cols if j >= width]) > 0
    # Extra trailing separators with nothing after them are not ragged.
    ragged = ((fields < width) | beyond) & ~is_blank & is_data
    kind[ragged] = _KIND["bad"]
    for i in np.flatnonzero(ragged):
        problem.set(int(i), f"row has {fields[i]} fields where the header has {width}")
    return is_data & ~ragged


@dataclass(frozen=True)
class _LocaleHints:
    """What a sheet says of its writers' habits beside its cells: the header's language
    (as DAY_FIRST_LANGUAGES names it, else None) and the country of most rows."""

    language: str | None
    country: str | None


def _locale_hints(b: _Body, is_data: np.ndarray) -> _LocaleHints:
    headers = [str(b.header_cells[j]) for j in b.data_cols if isinstance(b.header_cells[j], str)]
    return _LocaleHints(
        language=DAY_FIRST_LANGUAGES.get(header_language(headers) or ""),
        country=_main_country(b.distinct.counts(b.text["country"], _country_code, is_data)),
    )


def _ship_dates(
    b: _Body,
    is_data: np.ndarray,
    problem: _Problems,
    options: NormalizeOptions,
    hints: _LocaleHints,
) -> tuple[pd.Series, Distinct]:
    info = b.info
    ship_date, date_problem, order, guesses = dates_mod.parse_dates(
        b.text["ship_date"],
        forced=options.date_order,
        dayfirst_language=hints.language,
        country_hint=hints.country,
        header_hint=date_order_hint(info.columns.get("ship_date")),
        date1904=bool(b.raw.details.get("date1904", False)),
        evidence_mask=pd.Series(is_data),
        encoded=b.distinct.distinct(b.text["ship_date"]),
        reader_dates=NFIELDS not in b.cells.columns,  # a workbook: real date cells exist
    )
    info.date_order, info.date_order_reason = order.order, order.reason
    if order.locale_swap:
        info.details["locale_swap"] = "restored" if order.swap_restored else "to review"
        info.warnings.append(f"ship date column: {order.locale_swap}")
    # Date problems only matter for data rows; keep the first problem found.
    problem.fill(is_data, date_problem)
    return ship_date, guesses


def _quantities(
    b: _Body, is_data: np.ndarray, problem: _Problems, hints: _LocaleHints
) -> np.ndarray:
    text = b.text["quantity"]
    mark = qty_mod.decimal_mark(b.distinct.uniques(text))
    # Where the file writes a decimal comma, not even 1,000 is read without evidence.
    hint = mark is None and (hints.language is not None or hints.country in _DECIMAL_COMMA)
    quantity = b.distinct.values(text, lambda v: qty_mod.parse_quantity(v, mark), float)
    said = b.distinct.values(
        text, lambda v: qty_mod.undecided_problem(v.strip(), mark)
        if qty_mod.is_undecided(v, mark, hint) else "", object
    )  # fmt: skip
    undecided = (said != "") & is_data
    if undecided.any():
        quantity[undecided] = np.nan
        for text_of in set(said[undecided].tolist()):  # a few distinct cells
            problem.set(undecided & (problem.codes == 0) & (said == text_of), text_of)
        k = int(undecided.sum())
        example = str(text[undecided].iat[0]).strip()
        what = f"quantity {example!r}" if k == 1 else f"{k:,} quantities such as {example!r}"
        b.info.warnings.append(
            f"{what} could be whole or decimal ({qty_mod.mark_note(mark)}): a recalled "
            "one goes to review"
        )
    bad_qty = (~b.blank("quantity")) & np.isnan(quantity) & is_data & ~undecided
    if bad_qty.any():
        problem.set(bad_qty & (problem.codes == 0), UNREADABLE_QUANTITY)
        k = int(bad_qty.sum())
        b.info.warnings.append(
            f"{plural(k, 'row')} with an unreadable quantity (not a number, "
            "infinite or too large): a recalled one goes to review"
        )
    fractional = is_data & ~np.isnan(quantity) & (quantity != np.round(quantity))
    if fractional.any():
        k = int(fractional.sum())
        b.info.warnings.append(
            f"{plural(k, 'row')} {verb(k, 'has', 'have')} a fractional quantity; units are "
            "whole, so sums are rounded to the nearest unit"
        )
    return quantity


# Countries that write a decimal comma: a quantity column of theirs that shows no mark
# of its own is not read with the decimal point's habits.
_DECIMAL_COMMA = frozenset({
    "FR", "DE", "ES", "IT", "BE", "NL", "AT", "PT", "DK", "SE", "NO", "FI", "PL", "LU", "GR",
    "CZ", "SK", "HU", "RO", "BG", "HR", "SI", "TR", "RU", "UA", "BR", "AR", "CL", "CO", "ID",
    "VN", "GP", "MQ", "RE", "GF", "YT",
})  # fmt: skip


def _customers(
    b: _Body, is_data: np.ndarray, country: pd.Series, problem: _Problems
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Customer ids, postal codes (zeros restored by country) and the customer key."""
    customer_id = b.distinct.text(b.text["customer_id"], normalize_id)
    postal = b.distinct.text(b.text["postal_code"], normalize_id)
    # Before the customer key is built: "2134" and "02134" are one customer.
    fix = postal_mod.fix_codes(
        postal, country, encoded=(b.distinct.distinct(postal), b.distinct.distinct(country))
    )
    postal = fix.codes
    _postal_warnings(b.info, fix, is_data, b.raw.first_row + b.header_idx + 1)
    problem.fill(is_data & fix.bad, _postal_problem(fix))
    customer_key = customer_id
    by_name = ~nonblank(customer_id) & ~b.blank("name") & nonblank(postal)
    if by_name.any():
        name_key = b.distinct.text(b.text["name"], fold)
        customer_key = customer_id.where(~by_name, "~" + name_key + "|" + postal)
    return customer_id, postal, customer_key


def _apply_flags(
    flagged: Mapping[int, str], header_idx: int, kind: np.ndarray, problem: _Problems
) -> None:
    """Rows the reader could not trust (RawSheet.flagged) go to review with its reason."""
    for at, reason in flagged.items():
        i = at - header_idx - 1
        if 0 <= i < len(kind):
            kind[i] = _KIND["bad"]
            problem.set(i, reason)


def _postal_warnings(
    info: SourceInfo, fix: postal_mod.PostalFix, is_data: np.ndarray, first: int
) -> None:
    for cc, (count, length) in sorted(fix.padded.items()):
        info.warnings.append(
            f"{count:,} {cc} postal code{'s' if count != 1 else ''} had lost leading zeros "
            f"(Excel stored {'them' if count != 1 else 'it'} as a number); padded to {length} "
            "digits"
        )
    bad = np.flatnonzero(fix.bad & is_data)
    if len(bad):
        rows = ", ".join(str(first + int(i)) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
        formats = ", ".join(
            f"{cc} like {ex}" if ex else cc for cc, ex in sorted(fix.bad_countries.items())
        )
        info.warnings.append(
            f"{len(bad):,} postal code{'s do' if len(bad) != 1 else ' does'} not fit the "
            f"country's format ({formats}), rows {rows}: check the address before a letter "
            "is sent"
        )


def _postal_problem(fix: postal_mod.PostalFix) -> Distinct:
    codes = np.where(fix.bad, 1, 0).astype(np.intp)
    return Distinct(codes, ["", "postal code does not fit its country's format"])


class _Problems:
    """The problem of each row, as codes into the few texts a sheet's rows share."""

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int32)
        self.texts = [""]
        self._code = {"": 0}

    def _code_of(self, text: str) -> int:
        if text not in self._code:
            self._code[text] = len(self.texts)
            self.texts.append(text)
        return self._code[text]

    def set(self, rows: np.ndarray | int, text: str) -> None:
        self.codes[rows] = self._code_of(text)

    def fill(self, rows: np.ndarray, other: Distinct) -> None:
        """Give `rows` that have no problem yet the problem `other` found."""
        translate = np.array([self._code_of(t) for t in other.values], dtype=np.int32)
        free = rows & (self.codes == 0)
        self.codes[free] = translate[other.codes[free]]

    def append(self, rows: np.ndarray, notes: Distinct) -> None:
        """Add `notes` to the problem of `rows` (after it, if they have one already)."""
        noted = rows & (notes.codes != notes.values.index(""))
        if not noted.any():
            return
        pairs = self.codes[noted].astype(np.int64) * len(notes.values) + notes.codes[noted]
        found, which = np.unique(pairs, return_inverse=True)
        new = []
        for pair in found.tolist():
            old, note = divmod(pair, len(notes.values))
            old, note = self.texts[old], notes.values[note]
            new.append(self._code_of(f"{old}; {note}" if old else note))
        self.codes[noted] = np.array(new, dtype=np.int32)[which]

    def series(self) -> pd.Series:
        return coded_text(pa.array(self.texts, pa.large_string()), self.codes)


def coded_text(texts: pa.Array, codes: np.ndarray) -> pd.Series:
    """Each row's text, given as its position in a few texts."""
    return pd.Series(pc.take(texts, _codes_as_arrow(codes)), dtype=STR)


_INT_TYPES = {np.dtype(t): pa.from_numpy_dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)}


def _codes_as_arrow(codes: np.ndarray) -> pa.Array:
    """The codes as an Arrow integer array of their own width, sharing their memory
    (take reads any integer width: a row of int8 codes need not become eight bytes)."""
    kind = _INT_TYPES.get(codes.dtype)
    if kind is None:
        return indices(codes)
    data = np.ascontiguousarray(codes)
    return pa.Array.from_buffers(kind, len(data), [None, pa.py_buffer(data)])


def constant_text(value: str, n: int) -> pd.Series:
    """The same text on n rows, repeated by Arrow rather than built as a Python list."""
    return pd.Series(pa.repeat(pa.scalar(value, pa.large_string()), n), dtype=STR)


_KIND = {k: i for i, k in enumerate(KINDS)}
_KIND_ARRAY = pa.array(KINDS, pa.large_string())
_DIGITS_ONLY = re.compile(r"\d+(\.0+)?")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE][+-]\d{1,3}")
# Columns where a totals label ("Total", "B201575 Total") can stand.
_LABEL_COLUMNS = frozenset(
    {"lot", "ship_date", "customer_id", "name", "first_name", "last_name", "order_id", "product",
     "prescriber", "city", "region", "country"}
)  # fmt: skip


# --- many files --------------------------------------------------------------


def load_file(
    path: Path,
    load_options: LoadOptions = DEFAULT_LOAD,
    options: NormalizeOptions = DEFAULT_NORMALIZE,
    progress: Callable[[str, int], None] | None = None,
) -> Shipments:
    """One file's sheets, normalised, with source numbers counted from 0."""
    return normalize_file(path, read_file(path, load_options), options, progress)


def normalize_file(
    path: Path,
    sheets: Iterable[RawSheet],
    options: NormalizeOptions = DEFAULT_NORMALIZE,
    progress: Callable[[str, int], None] | None = None,
) -> Shipments:
    """The sheets read from one file, normalised, with source numbers counted from 0."""
    sources: list[SourceInfo] = []
    frames: list[pd.DataFrame] = []
    codes: dict[str, tuple[pa.ChunkedArray, Coded]] = {}
    for raw in sheets:
        for table in split_tables(raw, options):
            info, frame, codes = _normalized(table, len(sources), options)
            sources.append(info)
            if frame is not None:
                frames.append(frame)
        if progress:
            progress(f"{path.name}{' / ' + raw.sheet if raw.sheet else ''}", info.rows_read)
    if len(frames) > 1:
        _warn_sheet_copies(sources, frames)
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    # One frame's codes are the rows' (Shipments.coded checks they still are).
    return Shipments(rows=rows, sources=sources, codes=codes if len(frames) == 1 else {})


# What makes two shipment lines the same line (as query.copies compares files).
_LINE_COLUMNS = ("order_id", "lot", "customer_key", "ship_date", "quantity")


def _warn_sheet_copies(sources: list[SourceInfo], frames: list[pd.DataFrame]) -> None:
    """Say so when a sheet repeats lines of an earlier sheet of the same workbook.

    A hidden backup sheet, or the source of a pivot, holds the shipments a second
    time: read whole, every repeated line is counted twice. Lines between files are
    query.copies' work; within one workbook only a warning names the sheets (a
    person knows which sheet is the copy), and only for lines with an order id.
    """
    seen: list[tuple[int, np.ndarray]] = []
    for frame in frames:
        data = frame[(frame["kind"] == "data").to_numpy() & nonblank(frame["order_id"])]
        if data.empty:
            continue
        lines = pd.util.hash_pandas_object(data[list(_LINE_COLUMNS)], index=False).to_numpy()
        source = int(frame["source"].iat[0])
        for earlier, earlier_lines in seen:
            k = int(np.isin(lines, earlier_lines).sum())
            if k:
                info, first = sources[source], sources[earlier]
                sources[source].warnings.append(
                    f"{plural(k, 'shipment line')} of sheet {_sheet_named(info)} "
                    f"{verb(k, 'is', 'are')} also in sheet {_sheet_named(first)} of this "
                    "workbook, with the same order id, lot, customer, ship date and quantity: "
                    "if one sheet is a copy (a hidden backup, a pivot's source), they are "
                    "counted twice; read the right one with --sheet NAME"
                )
                break
        seen.append((source, lines))


def _sheet_named(info: SourceInfo) -> str:
    state = info.details.get("state")
    return f"{info.sheet!r}" + (" (hidden)" if state in ("hidden", "veryHidden") else "")


def combine(parts: Iterable[Shipments]) -> Shipments:
    """Join per-file results in order, renumbering their sources."""
    sources: list[SourceInfo] = []
    frames: list[pd.DataFrame] = []
    codes: dict[str, tuple[pa.ChunkedArray, Coded]] = {}
    for part in parts:
        frame = part.rows
        if sources and len(frame):
            frame = frame.assign(source=frame["source"] + len(sources))
        sources.extend(part.sources)
        if len(frame):
            frames.append(frame)
            codes = part.codes
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    return Shipments(rows=rows, sources=sources, codes=codes if len(frames) == 1 else {})


def load_shipments(
    paths: Iterable[str | Path],
    *,
    load_options: LoadOptions = DEFAULT_LOAD,
    options: NormalizeOptions = DEFAULT_NORMALIZE,
    progress: Callable[[str, int], None] | None = None,
) -> Shipments:
    """Read every sheet of every file and normalise it, keeping every row."""
    files, duplicates = find_inputs(paths, recursive=load_options.recursive)
    shipments = combine(
        parallel_map(lambda path: load_file(path, load_options, options, progress), files)
    )
    shipments.duplicates = [d.to_dict() for d in duplicates]
    return shipments


def empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in ROW_COLUMNS})
    frame["source"] = frame["source"].astype(np.int32)
    frame["row"] = frame["row"].astype(np.int64)
    frame["ship_date"] = pd.Series([], dtype="datetime64[s]")
    frame["quantity"] = pd.Series([], dtype="float64")
    return frame
