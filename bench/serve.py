#!/usr/bin/env python3
"""Time `recall serve`'s answers at 1M rows, server-side, against a cached `recall check`.

Makes the 1M-row set with sample_data/generate.py into --data (once), fills the cache,
starts `recall serve` as an agent would, and asks each question over HTTP. The
server-side time of an answer is the one its access log prints (the Guard's clock,
from the request's arrival to the last byte sent); the round trip is the client's. Each
round first runs one cached `recall check` process (the baseline: what an agent waits
today), then each question once; a ratio is the median of the per-round ratios.
Prints the rows for bench/RESULTS.md (`## serve`).

    .venv/bin/python bench/serve.py --data /tmp/recall-bench-1m --rounds 15
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RECALL = [PY, "-m", "recall_cli", "-q"]
ROWS = 1_000_000
GTIN = "00312345678906"
_LOG = re.compile(r"^\S+ (GET|POST) (\S+) (\d+) ([\d.]+) ms$")


def make_data(folder: Path) -> Path:
    if not (folder / "recall.toml").exists():
        print(f"generating {ROWS:,} rows into {folder} ...", file=sys.stderr)
        subprocess.run([PY, str(ROOT / "sample_data" / "generate.py"), "--rows", str(ROWS),
                        "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return folder / "recall.toml"


def people(folder: Path) -> dict[str, str]:
    """A customer of the data, as an agent would type them (from the CSV twin)."""
    with open(next(folder.glob("*.csv")), encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        row = next(r for n, r in enumerate(reader) if n == 5000)
    lower = {k.lower(): v for k, v in row.items()}
    pick = {k: next((v for h, v in lower.items() if k in h), "") for k in
            ("customer id", "name", "phone", "zip")}  # fmt: skip
    return {
        "id": pick["customer id"],
        "name": pick["name"],
        "phone": re.sub(r"\D", "", pick["phone"])[-7:],
        "postal": pick["zip"],
    }


def questions(who: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    scan = f"01{GTIN}10B201575\x1d17120630"
    return [
        ("check a recalled lot", "/api/check", {"code": "B201575"}),
        ("check a recalled lot, with its rows", "/api/check", {"code": "B201575", "rows": "1"}),
        ("check a look-alike (B2O1575)", "/api/check", {"code": "B2O1575"}),
        ("check an unknown lot (suggestions)", "/api/check", {"code": "ZZ99999"}),
        ("check a raw GS1 scan", "/api/check", {"code": scan}),
        ("customer by id", "/api/customer", {"q": who["id"]}),
        ("customer by phone digits", "/api/customer", {"q": who["phone"]}),
        ("customer by postal code", "/api/customer", {"q": who["postal"]}),
        ("customer by full name", "/api/customer", {"q": who["name"]}),
        ("page: a lot, routed and rendered", "/answer", {"q": "B201575"}),
        ("page: a customer id, routed and rendered", "/answer", {"q": who["id"]}),
    ]


def baseline(recall: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*RECALL, "check", "B201575", "--recall", str(recall)], env=env,
                   stdout=subprocess.DEVNULL, check=False)  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--data", type=Path, default=Path("/tmp/recall-bench-1m"))
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args(argv)
    recall = make_data(args.data)
    env = {**os.environ, "RECALL_CACHE_DIR": str(args.data / "cache"), "NO_COLOR": "1",
           "RECALL_AUDIT_LOG": str(args.data / "audit.jsonl")}  # fmt: skip
    # Fill the cache, as any earlier command on these files would have.
    subprocess.run([*RECALL, "summary", "--recall", str(recall)], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "recall_cli", "serve", "--recall", str(recall)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip().removeprefix("recall serve: ")
    base, token = url.split("/?token=")
    asked = questions(people(args.data))
    server: dict[str, list[float]] = {q[0]: [] for q in asked}
    trip: dict[str, list[float]] = {q[0]: [] for q in asked}
    ratios: dict[str, list[float]] = {q[0]: [] for q in asked}
    base_s: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as http:  # fmt: skip
        http.get("/api/status")
        load_s = time.perf_counter() - started
        for _label, path, params in asked:  # once each, unmeasured: imports, first touches
            http.get(path, params=params).raise_for_status()
        order: list[str] = []
        for _ in range(args.rounds):
            base_s.append(baseline(recall, env))
            for label, path, params in asked:
                t = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                trip[label].append(time.perf_counter() - t)
                order.append(label)
    rss_mb = _rss_of(proc.pid)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    lines = [m for m in map(_LOG.match, err.splitlines()) if m]
    timed = [float(m.group(4)) for m in lines]
    timed = timed[len(asked) :]  # the warm-up answers
    for label, ms in zip(order, timed, strict=True):
        server[label].append(ms)
    for k, label in enumerate(order):
        ratios[label].append(server[label][k // len(asked)] / 1000 / base_s[k // len(asked)])
    print(f"`bench/serve.py` on {dt.date.today().isoformat()}: {os.cpu_count()} cores shared "
          f"with other work, Python {platform.python_version()}, {args.rounds} rounds, 1,000,000 "
          f"rows in one xlsx (cached). Server load to first answer {load_s:.1f} s, its RSS "
          f"{rss_mb:.0f} MB. Baseline: one cached `recall check B201575` process, median "
          f"{statistics.median(base_s):.2f} s.\n")  # fmt: skip
    print(
        "| question | server ms (median) | server ms (max) | round trip ms (median) "
        "| ratio to a cached `recall check` | rounds' ratios |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, _, _ in asked:
        s, r = server[label], ratios[label]
        print(f"| {label} | {statistics.median(s):.1f} | {max(s):.1f} | "
              f"{statistics.median(trip[label]) * 1000:.1f} | {statistics.median(r):.3f} | "
              f"{min(r):.3f}–{max(r):.3f} |")  # fmt: skip
    return 0


def _rss_of(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    kb = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(kb.group(1)) / 1024 if kb else float("nan")


if __name__ == "__main__":
    raise SystemExit(main())
