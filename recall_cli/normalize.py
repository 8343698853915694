"""Raw cells → canonical shipment rows: header, columns, lots, dates, row kinds.

Every row below the header comes out, whatever it holds: a row kind
(`data`, `blank`, `total`, `header`, `note`, `bad`) and a `problem` text let
the query put it in exactly one bucket. Nothing is dropped here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import dates as dates_mod
from .countries import to_iso2
from .errors import SchemaError
from .load import NFIELDS, LoadOptions, RawSheet, discover, read_file
from .lots import normalize_lot
from .schema import CANONICAL, REQUIRED_HINT, canonical_for, looks_french, missing_required
from .schema import normalize_header as fold

HEADER_SEARCH_ROWS = 30

KINDS = ("data", "blank", "total", "header", "note", "bad")
TEXT_COLUMNS = tuple(c for c in CANONICAL if c not in ("ship_date", "quantity"))
ROW_COLUMNS = (
    "source", "file", "sheet", "row", "kind", "problem", "lot_raw", "date_raw",
    "customer_key", *CANONICAL,
)  # fmt: skip

# "Total", "Grand total", "Sous-total", and Excel's Subtotal labels "B201575 Total".
_TOTAL = re.compile(
    r"^\s*(grand\s*[- ]?\s*)?(sub\s*[- ]?\s*|sous\s*[- ]?\s*)?(totals?|totaux|total\s+general|"
    r"sum|somme|summe|count)\b|\b(total|totals|totaux|count)\s*:?\s*$",
    re.IGNORECASE,
)
_EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA"}
)


@dataclass(frozen=True)
class NormalizeOptions:
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical → header text
    date_order: str | None = None  # dates.DAYFIRST / dates.MONTHFIRST to force


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


@dataclass
class Shipments:
    """All rows read, one per input row below a header, plus where they came from."""

    rows: pd.DataFrame
    sources: list[SourceInfo]

    @property
    def read_sources(self) -> list[SourceInfo]:
        return [s for s in self.sources if not s.skipped]


# --- headers -----------------------------------------------------------------


def _cell_text(col: pd.Series) -> pd.Series:
    return col.fillna("").astype(str).str.strip()


def find_header(
    cells: pd.DataFrame, overrides: Mapping[str, str]
) -> tuple[int, dict[int, str], list[str]] | None:
    """The header row index, the column → canonical mapping, and the duplicate headers."""
    override_keys = {fold(h): canon for canon, h in overrides.items()}
    data_cols = [c for c in cells.columns if c != NFIELDS]
    best: tuple[int, int] | None = None
    top = cells.head(HEADER_SEARCH_ROWS)
    for i in range(len(top)):
        values = top.iloc[i][data_cols]
        found = {_canonical(v, override_keys) for v in values}
        found.discard(None)
        score = len(found)
        if score >= 2 and (best is None or score > best[1]):
            best = (i, score)
    if best is None:
        return None
    idx = best[0]
    mapping: dict[int, str] = {}
    duplicates: list[str] = []
    for j in data_cols:
        canon = _canonical(top.iloc[idx][j], override_keys)
        if canon is None:
            continue
        if canon in mapping.values():
            duplicates.append(str(top.iloc[idx][j]).strip())
            continue
        mapping[j] = canon
    for j in data_cols:
        value = top.iloc[idx][j]
        if j in mapping or not isinstance(value, str):
            continue
        weak = canonical_for(value, weak=True)
        if weak is not None and weak not in mapping.values():
            mapping[j] = weak
    # A header over two rows ("Ship" above "Date"): names that only map once joined
    # move the header down to the second row, which then is not read as data.
    if idx + 1 < len(top):
        upper, below = top.iloc[idx], top.iloc[idx + 1]
        joined: dict[int, str] = {}
        for j in data_cols:
            a, b = upper[j], below[j]
            if j in mapping or not (isinstance(a, str) and isinstance(b, str) and b.strip()):
                continue
            canon = _canonical(f"{a.strip()} {b.strip()}", override_keys)
            if canon is not None and canon not in {*mapping.values(), *joined.values()}:
                joined[j] = canon
        if joined:
            mapping.update(joined)
            idx += 1
    return idx, mapping, duplicates


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


# --- values ------------------------------------------------------------------


def _map_unique(col: pd.Series, fn: Callable[[str], object]) -> np.ndarray:
    """Apply fn once per distinct value: shipment columns repeat a lot."""
    codes, uniques = pd.factorize(col, sort=False)
    mapped = np.array([fn(u) for u in uniques] or [None], dtype=object)
    return mapped[codes] if len(codes) else np.array([], dtype=object)


def normalize_id(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    s = " ".join(s.split()).upper()
    if re.fullmatch(r"\d+\.0+", s):
        s = s.split(".")[0]
    return s


_UNIT_SUFFIX = re.compile(r"^([-+(]?[\d.,\s\u00a0\u202f]+\)?)\s*[^\W\d_]{1,12}\.?$")


def _parse_quantity(text: str) -> float:
    s = text.strip()
    if m := _UNIT_SUFFIX.match(s):  # "40 EA", "40 units", "40 u."
        s = m[1]
    s = s.replace("\u00a0", "").replace(" ", "").replace("\u202f", "")
    if not s:
        return np.nan
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+,\d+", s):
        s = s.replace(",", ".")  # decimal comma from European exports
    if s.startswith("(") and s.endswith(")"):
        s = "-" + s[1:-1]  # accounting negative
    try:
        return float(s)
    except ValueError:
        return np.nan


def _names_column(canon: str, text: str) -> bool:
    return canonical_for(text, weak=True) == canon


def _is_total(text: str) -> bool:
    return bool(_TOTAL.search(text))


def _main_country(country: pd.Series) -> str | None:
    """The country of most rows, when one dominates (90%): it hints the date order."""
    known = country[country.str.fullmatch(r"[A-Z]{2}").fillna(False).astype(bool)]
    if known.empty:
        return None
    top = known.value_counts()
    return str(top.index[0]) if top.iloc[0] >= 0.9 * len(known) else None


def _fold_name(text: str) -> str:
    return fold(text)


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


def normalize_sheet(
    raw: RawSheet, source_id: int, options: NormalizeOptions
) -> tuple[SourceInfo, pd.DataFrame | None]:
    info = SourceInfo(file=str(raw.file), sheet=raw.sheet, details=dict(raw.details))
    cells = raw.cells
    merged = info.details.pop("merged_ranges", None)
    if merged:
        first_col = int(raw.details.get("first_col", 0))  # type: ignore[call-overload]
        cells, filled = fill_merged(cells, merged, raw.first_row, first_col)
        if filled:
            info.details["merged_cells_filled"] = filled
            info.warnings.append(
                f"{filled} empty cells inside merged ranges took the value of the range's top cell"
            )
    found = find_header(cells, options.columns) if len(cells) else None
    if found is None:
        info.skipped = f"no recognisable header in the first {HEADER_SEARCH_ROWS} rows"
        return info, None
    header_idx, mapping, duplicates = found
    header_cells = cells.iloc[header_idx]
    mapped = set(mapping.values())
    missing = missing_required(mapped)
    if missing:
        headers = [str(v).strip() for v in header_cells if isinstance(v, str) and v.strip()]
        raise SchemaError(
            f"missing required column {', '.join(missing)}; headers found: "
            + ", ".join(repr(h) for h in headers),
            file=raw.file,
            sheet=raw.sheet or None,
            row=raw.first_row + header_idx,
            hint=f"{REQUIRED_HINT}; map one by hand with --column lot=\"Header\"",
        )
    info.header_row = raw.first_row + header_idx
    info.columns = {canon: str(header_cells[j]).strip() for j, canon in mapping.items()}
    info.ignored_columns = [
        str(header_cells[j]).strip()
        for j in cells.columns
        if j != NFIELDS and j not in mapping and isinstance(header_cells[j], str)
        and header_cells[j].strip()
    ]
    if duplicates:
        info.warnings.append(
            "duplicate columns ignored (the first one is used): " + ", ".join(duplicates)
        )
    body = cells.iloc[header_idx + 1 :]
    n = len(body)
    info.rows_read = n
    out: dict[str, object] = {}
    text: dict[str, pd.Series] = {}
    for j, canon in mapping.items():
        text[canon] = _cell_text(body[j]).reset_index(drop=True)
    blank_col = pd.Series([""] * n, dtype=object)
    for canon in CANONICAL:
        if canon not in text:
            text[canon] = blank_col

    data_cols = [c for c in cells.columns if c != NFIELDS]
    nonempty = np.zeros(n, dtype=np.int64)
    for j in data_cols:
        nonempty += (_cell_text(body[j]) != "").to_numpy()

    # First and last names: a French "Nom" beside "Prénom" is the family name.
    if "first_name" in mapping.values() and "last_name" not in mapping.values() and "name" in mapped:
        text["last_name"], text["name"] = text["name"], blank_col
    if (text["name"] == "").all() and ("first_name" in mapped or "last_name" in mapped):
        text["name"] = (text["first_name"] + " " + text["last_name"]).str.strip()

    lot_raw = text["lot"]
    lot = pd.Series(_map_unique(lot_raw, normalize_lot), dtype=object)
    lot_error = lot_raw.str.upper().isin(_EXCEL_ERRORS).to_numpy()
    lot = lot.where(~lot_error, "")

    # Row kinds, most specific first.
    kind = np.full(n, "data", dtype=object)
    is_blank = nonempty == 0
    header_like = np.zeros(n, dtype=bool)
    lot_head = _map_unique(lot_raw, lambda v: canonical_for(v) == "lot").astype(bool)
    if lot_head.any():
        votes = np.zeros(n, dtype=np.int64)
        for j, canon in mapping.items():
            col = _cell_text(body[j]).reset_index(drop=True)
            votes += _map_unique(col, functools.partial(_names_column, canon)).astype(bool)
        header_like = lot_head & (votes >= min(2, len(mapping)))
    # A totals label only makes a totals row when the row is not a whole shipment:
    # "Total Care Pharmacy" with a lot, a date and an id is a customer to tell.
    label = np.zeros(n, dtype=bool)
    for canon in mapping.values():
        if canon not in ("ship_date", "quantity"):
            label |= _map_unique(text[canon], _is_total).astype(bool)
    first_col = _cell_text(body[data_cols[0]]).reset_index(drop=True)
    label |= _map_unique(first_col, _is_total).astype(bool)
    lot_label = _map_unique(lot_raw, _is_total).astype(bool)
    total_like = label & (
        lot_label
        | (lot_raw == "").to_numpy()
        | (text["ship_date"] == "").to_numpy()
        | ((text["customer_id"] == "") & (text["name"] == "")).to_numpy()
    )

    date_raw = text["ship_date"]
    identity_blank = ((text["customer_id"] == "") & (text["name"] == "")).to_numpy()
    lot_blank = (lot_raw == "").to_numpy()
    date_blank = (date_raw == "").to_numpy()
    qty_blank = (text["quantity"] == "").to_numpy()
    core_blank = lot_blank & date_blank & identity_blank
    kind[core_blank & ~qty_blank] = "total"
    kind[core_blank & qty_blank] = "note"
    kind[(lot_raw != "").to_numpy() & date_blank & identity_blank & qty_blank] = "note"
    kind[total_like] = "total"
    kind[header_like] = "header"
    kind[is_blank] = "blank"

    problem = np.full(n, "", dtype=object)
    problem[lot_error] = "lot cell holds an Excel error"
    # Workbook readers give Excel errors (#N/A, #REF!) and formulas never calculated as empty.
    problem[(kind == "data") & lot_blank] = (
        "lot blank"
        if NFIELDS in cells.columns
        else "lot blank (or an Excel error / uncalculated formula)"
    )
    digit_lots = int(((kind == "data") & lot_raw.str.fullmatch(r"\d+(\.0+)?").to_numpy()).sum())
    if digit_lots:
        info.warnings.append(
            f"{digit_lots} lots are digits only: if Excel stored them as numbers, leading zeros "
            "(or text such as 1E5) are lost and cannot be recovered; check them at the source"
        )
    if NFIELDS in cells.columns:
        width = int(header_cells[NFIELDS])
        fields = body[NFIELDS].to_numpy()
        beyond = np.zeros(n, dtype=bool)
        for j in data_cols[width:]:
            beyond |= (_cell_text(body[j]) != "").to_numpy()
        # Extra trailing separators with nothing after them are not ragged.
        ragged = ((fields < width) | beyond) & ~is_blank & (kind == "data")
        kind[ragged] = "bad"
        for i in np.flatnonzero(ragged):
            problem[i] = f"row has {fields[i]} fields where the header has {width}"

    data_mask = pd.Series(kind == "data")
    country_raw = text["country"]
    country = pd.Series(
        _map_unique(country_raw, lambda v: to_iso2(v) or v.upper()), dtype=object
    )
    french = sum(looks_french(h) for h in info.columns.values()) >= 2
    ship_date, date_problem, order = dates_mod.parse_dates(
        date_raw,
        forced=options.date_order,
        french_headers=french,
        country_hint=_main_country(country[data_mask.to_numpy()]),
        date1904=bool(raw.details.get("date1904", False)),
        evidence_mask=data_mask,
    )
    info.date_order, info.date_order_reason = order.order, order.reason
    date_problem = date_problem.to_numpy()

    quantity = pd.Series(_map_unique(text["quantity"], _parse_quantity), dtype="float64")
    bad_qty = (~qty_blank) & quantity.isna().to_numpy() & (kind == "data")
    if bad_qty.any():
        info.warnings.append(f"{int(bad_qty.sum())} rows with an unreadable quantity (counted as 0)")

    customer_id = pd.Series(_map_unique(text["customer_id"], normalize_id), dtype=object)
    name_key = pd.Series(_map_unique(text["name"], _fold_name), dtype=object)
    postal = pd.Series(_map_unique(text["postal_code"], normalize_id), dtype=object)
    by_name = (customer_id == "") & (name_key != "") & (postal != "")
    customer_key = customer_id.where(~by_name, "~" + name_key + "|" + postal)

    postal_fixed = postal.where(
        ~((country == "US") & postal.str.fullmatch(r"\d{4}")), "0" + postal
    )
    padded = int((postal_fixed != postal).sum())
    if padded:
        info.warnings.append(
            f"{padded} US ZIP codes had 4 digits (Excel dropped the leading zero); padded to 5"
        )

    out = {
        "source": np.full(n, source_id, dtype=np.int32),
        "file": str(raw.file),
        "sheet": raw.sheet,
        "row": np.arange(n, dtype=np.int64) + raw.first_row + header_idx + 1,
        "kind": kind,
        "problem": problem,
        "lot_raw": lot_raw.to_numpy(dtype=object),
        "date_raw": date_raw.to_numpy(dtype=object),
        "customer_key": customer_key.to_numpy(dtype=object),
    }
    for canon in CANONICAL:
        out[canon] = text[canon].to_numpy(dtype=object)
    out["lot"] = lot.to_numpy(dtype=object)
    out["ship_date"] = ship_date.to_numpy()
    out["quantity"] = quantity.to_numpy()
    out["customer_id"] = customer_id.to_numpy(dtype=object)
    out["postal_code"] = postal_fixed.to_numpy(dtype=object)
    out["country"] = country.to_numpy(dtype=object)
    frame = pd.DataFrame(out)
    # Date problems only matter for data rows; keep the first problem found.
    is_data = frame["kind"].to_numpy() == "data"
    no_problem = frame["problem"].to_numpy() == ""
    frame.loc[is_data & no_problem, "problem"] = date_problem[is_data & no_problem]
    return info, frame


# --- many files --------------------------------------------------------------


def load_shipments(
    paths: Iterable[str | Path],
    *,
    load_options: LoadOptions = LoadOptions(),
    options: NormalizeOptions = NormalizeOptions(),
    progress: Callable[[str, int], None] | None = None,
) -> Shipments:
    """Read every sheet of every file and normalise it, keeping every row."""
    files = discover(paths)
    sources: list[SourceInfo] = []
    frames: list[pd.DataFrame] = []
    for path in files:
        for raw in read_file(path, load_options):
            info, frame = normalize_sheet(raw, len(sources), options)
            sources.append(info)
            if frame is not None:
                frames.append(frame)
            if progress:
                progress(f"{path.name}{' / ' + raw.sheet if raw.sheet else ''}", info.rows_read)
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    return Shipments(rows=rows, sources=sources)


def empty_rows() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in ROW_COLUMNS})
    frame["source"] = frame["source"].astype(np.int32)
    frame["row"] = frame["row"].astype(np.int64)
    frame["ship_date"] = pd.Series([], dtype="datetime64[s]")
    frame["quantity"] = pd.Series([], dtype="float64")
    return frame
