#!/usr/bin/env python3
"""A large shipment CSV of the shape ERPs export, made fast with Arrow.

14 columns (ship date, order id, customer id, name, email, address, city,
postal code, country, product, lot, quantity, prescriber, prescriber id),
50,000 customers, 2,000 lots, rows sorted by ship date. The values are built
per customer and per lot, then taken row by row, so 10M rows take seconds
rather than the minutes a Python loop would.

    .venv/bin/python bench/csvgen.py --rows 5000000 --out /tmp/recall-bench/csv_5000000.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa

HEADER = (
    "Ship Date", "Order ID", "Customer ID", "Customer Name", "Email", "Address", "City",
    "Postal Code", "Country", "Product", "Lot", "Quantity", "Prescriber", "Prescriber ID",
)  # fmt: skip
RECALLED = ("B201575", "B201578", "B201583", "B201590", "B201602", "F201611")
CUSTOMERS = 50_000
LOTS = 2_000
FIRST = dt.date(2010, 1, 1)
DAYS = 730


def _text(values: list[str]) -> pa.Array:
    return pa.array(values, pa.string())


def make(rows: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    first = ["Ann", "Bob", "Chloé", "Dan", "Eve", "François", "Gus", "Hana", "Ian", "Jo"]
    last = ["Smith", "Martin", "Durand", "O'Neil", "Lee", "Müller", "Brown", "Petit"]
    cities = ["Boston", "Lyon", "Paris", "Austin", "Denver", "Lille", "Nantes", "Salem"]
    ids = [f"C{i:06d}" for i in range(CUSTOMERS)]
    names = [f"{first[i % 10]} {last[(i // 10) % 8]} {i}" for i in range(CUSTOMERS)]
    fr = rng.random(CUSTOMERS) < 0.1
    customers = {
        "Customer ID": _text(ids),
        "Customer Name": _text(names),
        "Email": _text([f"c{i}@example.com" for i in range(CUSTOMERS)]),
        # Some addresses hold the delimiter, so the file has quoted fields.
        "Address": _text(
            [f"{i % 999 + 1} Main St{', Suite 2' if i % 7 == 0 else ''}" for i in range(CUSTOMERS)]
        ),
        "City": _text([cities[i % 8] for i in range(CUSTOMERS)]),
        "Postal Code": _text([f"{(i * 37) % 90000 + 10000:05d}" for i in range(CUSTOMERS)]),
        "Country": _text(["FR" if f else "US" for f in fr]),
    }
    lots = [*RECALLED, *(f"L{i:06d}" for i in range(LOTS - len(RECALLED)))]
    days = np.sort(rng.integers(0, DAYS, rows))
    day_text = _text([(FIRST + dt.timedelta(days=int(d))).isoformat() for d in range(DAYS)])
    who = rng.integers(0, CUSTOMERS, rows)
    lot = rng.integers(0, LOTS, rows)
    prescriber = rng.integers(0, 3_000, rows)
    cols: dict[str, pa.Array] = {
        "Ship Date": day_text.take(pa.array(days)),
        "Order ID": pa.array(np.char.add("SO", np.arange(rows).astype(str)).astype(object)),
    }
    for name in HEADER[2:9]:
        cols[name] = customers[name].take(pa.array(who))
    cols["Product"] = _text(["Cartridge 50", "Lancet, fine", "Strips 25"]).take(pa.array(lot % 3))
    cols["Lot"] = _text(lots).take(pa.array(lot))
    cols["Quantity"] = pa.array(rng.integers(1, 40, rows).astype(str).astype(object))
    cols["Prescriber"] = _text([f"Dr {last[i % 8]} {i}" for i in range(3_000)]).take(
        pa.array(prescriber)
    )
    cols["Prescriber ID"] = _text([f"{1_000_000_000 + i * 7919}" for i in range(3_000)]).take(
        pa.array(prescriber)
    )
    return pa.table([cols[h] for h in HEADER], names=list(HEADER))


def _lines(table: pa.Table) -> bytes:
    """CSV lines quoted only where a value holds the delimiter, as exports usually are."""
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        needs = pc.match_substring(col, ",")
        cols.append(pc.if_else(needs, pc.binary_join_element_wise('"', col, '"', ""), col))
    joined = pc.binary_join_element_wise(*cols, ",")
    return ("\n".join(joined.to_pylist()) + "\n").encode()


def write(rows: int, out: Path) -> Path:
    """Write the CSV (and a recall.toml beside it) unless it is there already."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        table = make(rows)
        tmp = out.with_suffix(".part")
        with tmp.open("wb") as fh:
            fh.write((",".join(HEADER) + "\n").encode())
            step = 1_000_000
            for start in range(0, rows, step):
                fh.write(_lines(table.slice(start, step)))
        tmp.rename(out)
    toml = out.with_name(out.stem + ".toml")
    toml.write_text(
        f'name = "bench"\nlots = {list(RECALLED)!r}\n'.replace("'", '"')
        + 'from = "2010-11-30"\nto = "2011-01-04"\n'
        + f'data = ["{out.name}"]\n',
        encoding="utf-8",
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    print(write(args.rows, args.out))


if __name__ == "__main__":
    main()
