#!/usr/bin/env python3
"""Benchmark recall against the fastest xlsx reader, as whole processes.

Makes the 100k- and 1M-row data sets with sample_data/generate.py (once, into
bench/data/, which git ignores), then times each command as a separate
process: the median of N runs, with the peak RSS of the child (wait4 rusage).
Prints a table and writes bench/RESULTS.md.

    .venv/bin/python bench/run.py            # both sizes
    .venv/bin/python bench/run.py --quick    # 100k only, fewer runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
CACHE = HERE / "out" / "cache"
PY = sys.executable
RECALL = [PY, "-m", "recall_cli"]

FASTEXCEL = (
    "import fastexcel,sys; t=fastexcel.read_excel(sys.argv[1]).load_sheet(0).to_arrow(); "
    "print(t.num_rows)"
)
# The obvious script a quality engineer writes first.
OBVIOUS = """
import sys, pandas as pd
df = pd.read_excel(sys.argv[1], engine="openpyxl", dtype=str)
lots = {"B201575", "B201578", "B201583", "B201590", "B201602", "F201611"}
d = pd.to_datetime(df["Ship Date"], errors="coerce")
hit = df[df["Lot"].str.strip().str.upper().isin(lots) & d.between("2010-11-30", "2011-01-05")]
print(hit["Customer ID"].nunique(), pd.to_numeric(hit["Quantity"]).sum())
"""


@dataclass
class Timing:
    label: str
    rows: int
    seconds: float
    peak_mb: float
    baseline: str = ""
    ratio: float | None = None


def make_data(rows: int) -> Path:
    out = DATA / f"{rows}"
    xlsx = out / f"shipments_{rows}.xlsx"
    if not (xlsx.exists() and (out / "expected.json").exists()):
        print(f"generating {rows:,} rows into {out} ...", file=sys.stderr)
        subprocess.run(
            [PY, str(ROOT / "sample_data" / "generate.py"), "--rows", str(rows), "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3, 4):  # check/customer: 3 and 4 mean "not affected"
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return elapsed, usage.ru_maxrss / 1024  # KB on Linux


def measure(label: str, rows: int, cmd: list[str], runs: int, env: dict[str, str]) -> Timing:
    results = [run_once(cmd, env) for _ in range(runs)]
    t = Timing(
        label,
        rows,
        statistics.median(r[0] for r in results),
        max(r[1] for r in results),
    )
    print(f"  {label:<44} {rows:>9,} {t.seconds:7.2f} s {t.peak_mb:7.0f} MB", file=sys.stderr)
    return t


def measure_cold(label: str, rows: int, cmd: list[str], runs: int, env: dict[str, str]) -> Timing:
    """Like measure, but with an empty cache before each run (the run fills it)."""
    results = []
    for _ in range(runs):
        shutil.rmtree(CACHE, ignore_errors=True)
        results.append(run_once(cmd, env))
    t = Timing(label, rows, statistics.median(r[0] for r in results), max(r[1] for r in results))
    print(f"  {label:<44} {rows:>9,} {t.seconds:7.2f} s {t.peak_mb:7.0f} MB", file=sys.stderr)
    return t


def bench_parallel(rows: int, runs: int, env: dict[str, str]) -> list[Timing]:
    """Two files in one query: one thread, then two (the machine has two cores)."""
    out = make_data(rows)
    second = out / f"copy_{rows}.xlsx"
    if not second.exists():
        shutil.copy(out / f"shipments_{rows}.xlsx", second)
    files = [str(out / f"shipments_{rows}.xlsx"), str(second)]
    cmd = [*RECALL, "summary", *files, "--lot", "B201575", "--no-cache"]
    one = measure("2 files, one after the other", 2 * rows, cmd, runs,
                  {**env, "RECALL_WORKERS": "1"})  # fmt: skip
    two = measure("2 files, in two threads", 2 * rows, cmd, runs,
                  {**env, "RECALL_WORKERS": "2"})  # fmt: skip
    two.baseline, two.ratio = "one after the other", two.seconds / one.seconds
    return [one, two]


def bench_size(rows: int, runs_first: int, runs_cached: int, env: dict[str, str]) -> list[Timing]:
    out = make_data(rows)
    xlsx = str(out / f"shipments_{rows}.xlsx")
    recall = ["--recall", str(out / "recall.toml")]
    customer = json.loads((out / "expected.json").read_text())["customers"][0]
    print(f"{rows:,} rows", file=sys.stderr)
    got: list[Timing] = []
    fx = measure("fastexcel reads the xlsx into Arrow", rows, [PY, "-c", FASTEXCEL, xlsx],
                 runs_first, env)  # fmt: skip
    got.append(fx)
    if rows <= 100_000:
        got.append(measure("pandas + openpyxl, the obvious script", rows,
                           [PY, "-c", OBVIOUS, xlsx], 1, env))  # fmt: skip
    first = measure("recall summary, first query (--no-cache)", rows,
                    [*RECALL, "summary", *recall, "--no-cache"], runs_first, env)  # fmt: skip
    got.append(first)
    cold = measure_cold("recall summary, first query (writes the cache)", rows,
                        [*RECALL, "summary", *recall], runs_first, env)  # fmt: skip
    got.append(cold)
    for t in got[1:]:
        t.baseline, t.ratio = "fastexcel", t.seconds / fx.seconds
    cached = {
        "summary": ["summary", *recall],
        "affected": ["affected", *recall, "--format", "csv"],
        "check": ["check", "B201575", *recall],
        "check (other window, FR)": [
            "check",
            "F201611",
            *recall,
            "--country",
            "FR",
            "--from",
            "2010-12-01",
        ],
        "customer": ["customer", customer, *recall],
    }
    for name, args in cached.items():
        t = measure(f"recall {name}, cached", rows, [*RECALL, *args], runs_cached, env)
        got.append(t)
    return got


def write_results(timings: list[Timing], pandas_import: Timing) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Made by `bench/run.py` on {dt.date.today().isoformat()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work on the machine slows every row alike). "
        "Each time is a whole process, the median of "
        "several runs; peak is the largest RSS of the process. Ratios are against a "
        "baseline measured in the same run: fastexcel reading the same xlsx into Arrow, "
        f'or `python -c "import pandas"` ({pandas_import.seconds:.2f} s).',
        "",
        "| what | rows | seconds | ratio | baseline | peak MB |",
        "|---|---:|---:|---:|---|---:|",
        f'| `python -c "import pandas"` | – | {pandas_import.seconds:.2f} | 1.00 | '
        f"import pandas | {pandas_import.peak_mb:.0f} |",
    ]
    for t in timings:
        ratio = f"{t.ratio:.2f}" if t.ratio is not None else ""
        lines.append(
            f"| {t.label} | {t.rows:,} | {t.seconds:.2f} | {ratio} | {t.baseline} | "
            f"{t.peak_mb:.0f} |"
        )
    lines.append("")
    text = "\n".join(lines)
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="100k rows only, fewer runs")
    p.add_argument("--runs", type=int, default=5, help="runs per cached command")
    args = p.parse_args(argv)
    env = {**os.environ, "RECALL_CACHE_DIR": str(CACHE), "NO_COLOR": "1"}
    pandas_import = measure("python -c 'import pandas'", 0, [PY, "-c", "import pandas"],
                            args.runs, env)  # fmt: skip
    timings = bench_size(100_000, 3, args.runs, env)
    timings += bench_parallel(100_000, 3, env)
    if not args.quick:
        timings += bench_size(1_000_000, 3, args.runs, env)
    for t in timings:
        if t.label.endswith("cached"):
            t.baseline, t.ratio = "import pandas", t.seconds / pandas_import.seconds
    print(write_results(timings, pandas_import))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
