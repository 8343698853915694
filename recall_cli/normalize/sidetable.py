"""Small side files a recall team keeps next to the shipments: a list of customers
already notified, a sheet of responses. Read with the shipment loader, header found
by alias, every value kept as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from recall_cli.errors import SchemaError
from recall_cli.normalize.columns import canonical_for, normalize_header
from recall_cli.normalize.lots import normalize_id
from recall_cli.read.load import NFIELDS, LoadOptions, read_file

HEADER_SEARCH_ROWS = 30


def _column_for(header: object, aliases: Mapping[str, frozenset[str]]) -> str | None:
    key = normalize_header(header)
    if not key:
        return None
    for canon, names in aliases.items():
        if key in names:
            return canon
    # The shipment aliases know every spelling of a customer id already.
    return (
        "customer_id"
        if "customer_id" in aliases and canonical_for(header) == "customer_id"
        else None
    )


def fold_aliases(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    return {
        canon: frozenset(normalize_header(n) for n in names) for canon, names in aliases.items()
    }


def read_side_table(
    path: Path,
    aliases: Mapping[str, frozenset[str]],
    *,
    required: str = "customer_id",
    bare_list: bool = False,
    load: LoadOptions | None = None,
) -> pd.DataFrame:
    """Rows of every sheet of `path`, with one text column per alias found.

    The header is the first row (of the first 30) naming the `required` column.
    With `bare_list`, a one-column file without such a header is a plain list of
    values for `required` (one a line).
    """
    frames: list[pd.DataFrame] = []
    for raw in read_file(path, load or LoadOptions()):
        cells = raw.cells.drop(columns=[NFIELDS], errors="ignore")
        cells = cells.fillna("").astype(str).apply(lambda c: c.str.strip())
        header_at: int | None = None
        mapping: dict[int, str] = {}
        for i in range(min(HEADER_SEARCH_ROWS, len(cells))):
            named = {j: _column_for(v, aliases) for j, v in cells.iloc[i].items()}
            found = {j: c for j, c in named.items() if c is not None}
            if required in found.values():
                header_at = i
                for j, c in found.items():
                    if c not in mapping.values():  # the first of two duplicates wins
                        mapping[int(j)] = c
                break
        if header_at is None:
            used = [j for j in cells.columns if (cells[j] != "").any()]
            if bare_list and len(used) <= 1:
                values = cells[used[0]] if used else pd.Series([], dtype=object)
                values = values[(values != "") & ~values.str.startswith("#")]
                frames.append(pd.DataFrame({required: values.to_numpy(dtype=object)}))
                continue
            raise SchemaError(
                f"no {required} column in the first {HEADER_SEARCH_ROWS} rows",
                file=path,
                sheet=raw.sheet or None,
                hint="name a column 'customer_id' (an earlier `recall affected` export has one)",
            )
        body = cells.iloc[header_at + 1 :]
        frame = pd.DataFrame({c: body[j].to_numpy(dtype=object) for j, c in mapping.items()})
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for canon in aliases:
        if canon not in out.columns:
            out[canon] = pd.Series([""] * len(out), dtype=object)
    # Our own CSV exports prefix ids such as "=C1" with "'" so Excel won't run them.
    out[required] = out[required].map(lambda v: normalize_id(_unescape(str(v))))
    return out[list(aliases)]


def _unescape(value: str) -> str:
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return value[1:]
    return value


CUSTOMER_ALIASES = fold_aliases({"customer_id": ("customer_id", "customer id", "id")})


def read_customer_ids(path: Path, load: LoadOptions | None = None) -> set[str]:
    """Customer ids from an earlier export (a customer_id column) or a plain list."""
    frame = read_side_table(path, CUSTOMER_ALIASES, bare_list=True, load=load)
    ids = frame["customer_id"]
    return set(ids[ids != ""])


NOTIFIED_ALIASES = fold_aliases(
    {"customer_id": ("customer_id", "customer id", "id"), "lots": ("lots", "lot", "lots notified")}
)


def read_notified(path: Path, load: LoadOptions | None = None) -> dict[str, set[str]] | None:
    """Per customer id, the lots an earlier export told them about (its `lots`
    column, joined with ";" as our exports write it); None when the file has no
    lots (a plain list of ids)."""
    from recall_cli.normalize.lots import normalize_lot

    frame = read_side_table(path, NOTIFIED_ALIASES, bare_list=True, load=load)
    frame = frame[frame["customer_id"] != ""]
    if not (frame["lots"].astype(str).str.strip() != "").any():
        return None
    out: dict[str, set[str]] = {}
    for cid, lots in zip(frame["customer_id"], frame["lots"].astype(str), strict=True):
        told = {normalize_lot(x) for x in lots.replace(",", ";").split(";")} - {""}
        out.setdefault(cid, set()).update(told)
    return out
