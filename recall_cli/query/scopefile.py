"""Recall definitions from files: `recall.toml` and lists of lots."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from recall_cli.errors import ScopeError
from recall_cli.normalize.columns import canonical_for
from recall_cli.query.scope import RecallScope

RECALL_KEYS = frozenset({"name", "lots", "from", "to", "countries", "data"})


@dataclass(frozen=True)
class RecallFile:
    name: str = ""
    lots: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    countries: tuple[str, ...] = ()
    data: tuple[Path, ...] = ()
    path: Path | None = None  # the file read, named in errors about its keys


def _date(value: object, key: str, path: Path) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScopeError(
            f"{key} = {value!r} is not an ISO date", file=path, hint="write it as 2010-11-30"
        ) from None


def _strings(value: object, key: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ScopeError(f"{key} must be a list of strings", file=path)


def read_recall_file(path: Path) -> RecallFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ScopeError(
            "recall file not found", file=path, hint="check the --recall path"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScopeError(f"is not valid TOML: {exc}", file=path) from None
    unknown = sorted(set(data) - RECALL_KEYS)
    if unknown:
        raise ScopeError(
            f"unknown key {unknown[0]!r}",
            file=path,
            hint="keys: " + ", ".join(sorted(RECALL_KEYS)),
        )
    base = path.parent
    return RecallFile(
        name=str(data.get("name", "")),
        lots=_strings(data.get("lots"), "lots", path),
        start=_date(data.get("from"), "from", path),
        end=_date(data.get("to"), "to", path),
        countries=_strings(data.get("countries"), "countries", path),
        data=tuple(base / p for p in _strings(data.get("data"), "data", path)),
        path=path,
    )


def read_lots_file(path: Path) -> list[str]:
    """One lot a line with `#` comments, or a CSV with a lot column."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ScopeError(
            "lots file not found", file=path, hint="check the --lots-file path"
        ) from None
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    first = lines[0]
    delim = next((d for d in (",", ";", "\t", "|") if d in first), None)
    if delim:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        header = rows[0]
        for j, h in enumerate(header):
            if canonical_for(h) == "lot":
                return [r[j] for r in rows[1:] if len(r) > j and r[j].strip()]
        raise ScopeError(
            "CSV lots file has no lot column",
            file=path,
            hint="name a column 'Lot', or give one lot a line",
        )
    lots = [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]
    if lots and canonical_for(lots[0]) == "lot":
        lots = lots[1:]  # a one-column CSV: "Lot" is its header, not a lot
    return lots


def split_lots(values: Iterable[str]) -> list[str]:
    """`--lot A,B --lot C` → [A, B, C]."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def build_scope(
    *,
    recall: RecallFile | None,
    lots: Sequence[str] = (),
    lots_file: Path | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    countries: Sequence[str] = (),
    name: str | None = None,
) -> RecallScope:
    """Flags override the recall file, key by key."""
    rf = recall or RecallFile()
    first, last = start or rf.start, end or rf.end
    if first and last and first > last:
        # Name where each date came from: a flag, or a key of the recall file.
        said = [f"--from {first}" if start else f"from = {first}",
                f"--to {last}" if end else f"to = {last}"]  # fmt: skip
        raise ScopeError(
            f"{said[0]} is after {said[1]}",
            file=rf.path if not (start and end) else None,
            hint="swap the dates",
        )
    given = split_lots(lots)
    if lots_file:
        given += read_lots_file(lots_file)
    return RecallScope.create(
        lots=given or list(rf.lots),
        start=start or rf.start,
        end=end or rf.end,
        countries=split_lots(countries) or list(rf.countries),
        name=name if name is not None else rf.name,
    )
