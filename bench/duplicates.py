#!/usr/bin/env python3
"""What the duplicate checks cost: the content hash, and the search for copied lines.

    .venv/bin/python bench/duplicates.py

1. The one content hash (SHA-256, shared by the cache key, the audit log and the
   identical-file check) against the BLAKE2b the cache used before, on one file.
2. copies.find_copies on 1M rows in two files (none copied; the same lines
   under other order ids; a cumulative export), against the bucket rule
   (classify_codes) on the same rows, timed in the same sitting. Both are given
   the rule's inputs (rule_inputs), computed once, as the commands do.

Best of 5 in one process; prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa


def best(fn: Callable[[], object], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _hash(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def bench_hash(mb: int = 200) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.bin"
        path.write_bytes(os.urandom(mb * 1024 * 1024))
        sha = best(lambda: _hash(path, "sha256"))
        blake = best(lambda: _hash(path, "blake2b"))
    return [
        f"| BLAKE2b of a {mb} MB file (the cache's hash before) | {blake:.3f} | 1.00 |",
        f"| SHA-256 of the same file (the one hash now) | {sha:.3f} | {sha / blake:.2f} |",
    ]


def _lines(rng: np.random.Generator, half: int, prefix: str) -> dict[str, object]:
    return {
        "order_id": [f"{prefix}-{i:08d}" for i in range(half)],
        "lot": rng.choice(["B201575", "B201578", "B209999", "F201611"], half).tolist(),
        "customer_key": [f"C{v}" for v in rng.integers(10_000, 60_000, half)],
        "ship_date": rng.integers(14_500, 14_900, half).astype("datetime64[D]"),
        "quantity": rng.choice([10.0, 20.0, 40.0, -40.0], half),
    }


CASES = {
    "other lines": "no line copied",
    "other order ids": "the same lines under other order ids (the worst case)",
    "copied": "the second file repeats the first (cumulative)",
}


def _table(n: int, case: str) -> tuple[pa.Table, np.ndarray, list[str]]:
    rng = np.random.default_rng(1)
    half = n // 2
    first = _lines(rng, half, "SO")
    second = {
        "other lines": lambda: _lines(rng, half, "SX"),
        "other order ids": lambda: {**first, "order_id": [f"SX-{i:08d}" for i in range(half)]},
        "copied": lambda: dict(first),
    }[case]()
    columns = {k: np.concatenate([np.asarray(first[k]), np.asarray(second[k])]) for k in first}
    table = pa.table({
        "kind": pa.array(["data"] * n, pa.large_string()),
        "order_id": pa.array(columns["order_id"].tolist(), pa.large_string()),
        "lot": pa.array(columns["lot"].tolist(), pa.large_string()),
        "customer_key": pa.array(columns["customer_key"].tolist(), pa.large_string()),
        "ship_date": pa.array(columns["ship_date"].astype("datetime64[s]")),
        "quantity": pa.array(columns["quantity"]),
        "country": pa.array(["US"] * n, pa.large_string()),
        "problem": pa.array([""] * n, pa.large_string()),
        "sheet": pa.array([""] * n, pa.large_string()),
        "row": pa.array(np.arange(n) % half + 2),
    })  # fmt: skip
    source = np.repeat(np.array([0, 1], dtype=np.int32), [half, n - half])
    return table, source, ["jan.csv", "jan_feb.csv"]


def bench_copies(n: int = 1_000_000) -> list[str]:
    from recall_cli.query.buckets import classify_codes, rule_inputs
    from recall_cli.query.copies import find_copies
    from recall_cli.query.scope import RecallScope

    scope = RecallScope.create(["B201575", "B201578"])
    out = []
    for case, what in CASES.items():
        table, source, files = _table(n, case)
        rules = rule_inputs(table)  # the rule's inputs, which find_copies reuses
        rule = best(lambda r=rules: classify_codes(r, scope))
        found = best(lambda t=table, s=source, f=files, r=rules:
                     find_copies(t, s, f, dedupe=True, rules=r), n=3)  # fmt: skip
        out.append(f"| find_copies, {n:,} rows in 2 files, {what} | {found:.3f} | "
                   f"{found / rule:.2f} (of classify_codes, {rule:.3f} s) |")  # fmt: skip
    return out


def main() -> None:
    print("| what | seconds (best of 5) | ratio |")
    print("|---|---:|---:|")
    for line in (*bench_hash(), *bench_copies()):
        print(line)


if __name__ == "__main__":
    main()
