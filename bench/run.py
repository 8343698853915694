#!/usr/bin/env python3
"""Benchmark recall against the fastest xlsx reader, as whole processes.

Makes the 100k- and 1M-row data sets with sample_data/generate.py (once, into
bench/data/, which git ignores), then times each command as a separate
process: the median of N runs, with the peak RSS of the child (wait4 rusage).
Prints a table and writes it into its own section of bench/RESULTS.md (between
markers, see bench/results.py): the rest of the file is kept byte for byte.

    .venv/bin/python bench/run.py            # both sizes
    .venv/bin/python bench/run.py --quick    # 100k only, fewer runs
    .venv/bin/python bench/run.py --entry-check  # what checking a 1M-row entry costs
    .venv/bin/python bench/run.py --csv      # CSV 1M/5M/10M vs DuckDB, 3 xlsx vs fastexcel
    .venv/bin/python bench/run.py --sql      # recall sql at 1M rows, and the alternatives
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
# The name of the main table's section in RESULTS.md (results.py).
MAIN_SECTION = "bench/run.py"
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
    spread: tuple[float, float] | None = None  # the lowest and highest per-round ratio


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


@dataclass
class Job:
    label: str
    cmd: list[str]
    env: dict[str, str]
    cold: bool = False  # empty the cache before each run (the run fills it)
    baseline: str = ""  # label of the job this one is compared with, run by run


def rounds(jobs: list[Job], rows: int, runs: int, settle: float = 0.0) -> list[Timing]:
    """Run every job once per round, `runs` rounds, interleaved.

    The machine's speed drifts (other work, memory pressure): running a job
    right after its baseline, round after round, makes both see the same
    machine. A ratio is the median of the per-round ratios.

    `settle` seconds of idle come before each job, after emptying the cache: on
    this machine, memory freed a few seconds earlier is quick to use again, and
    fresh memory is not. Without the pause a job run right after a large process
    exits, or right after a large cache entry is deleted, starts ahead.
    """
    times: dict[str, list[tuple[float, float]]] = {j.label: [] for j in jobs}
    for _ in range(runs):
        for job in jobs:
            if job.cold:
                shutil.rmtree(CACHE, ignore_errors=True)
            time.sleep(settle)
            times[job.label].append(run_once(job.cmd, job.env))
    out = []
    for job in jobs:
        got = times[job.label]
        t = Timing(job.label, rows, statistics.median(r[0] for r in got), max(r[1] for r in got))
        if job.baseline:
            base = times[job.baseline]
            t.baseline = job.baseline
            per_round = [r[0] / b[0] for r, b in zip(got, base, strict=True)]
            t.ratio, t.spread = statistics.median(per_round), (min(per_round), max(per_round))
        versus = f"  {t.ratio:.2f} x {t.baseline}" if t.ratio else ""
        line = f"  {t.label:<48} {rows:>9,} {t.seconds:7.2f} s {t.peak_mb:7.0f} MB{versus}"
        print(line, file=sys.stderr)
        out.append(t)
    return out


FX = "fastexcel reads the xlsx into Arrow"
PANDAS = "python -c 'import pandas'"


def bench_parallel(rows: int, runs: int, env: dict[str, str]) -> list[Timing]:
    """Two files in one query: one thread, then two (the machine has two cores)."""
    out = make_data(rows)
    second = out / f"copy_{rows}.xlsx"
    if not second.exists():
        shutil.copy(out / f"shipments_{rows}.xlsx", second)
    files = [str(out / f"shipments_{rows}.xlsx"), str(second)]
    cmd = [*RECALL, "summary", *files, "--lot", "B201575", "--no-cache"]
    one = "2 files, one after the other"
    return rounds([
        Job(one, cmd, {**env, "RECALL_WORKERS": "1"}),
        Job("2 files, in two threads", cmd, {**env, "RECALL_WORKERS": "2"}, baseline=one),
    ], 2 * rows, runs)  # fmt: skip


def bench_size(
    rows: int, runs_first: int, runs_cached: int, env: dict[str, str], settle: float
) -> list[Timing]:
    out = make_data(rows)
    xlsx = str(out / f"shipments_{rows}.xlsx")
    recall = ["--recall", str(out / "recall.toml")]
    customer = json.loads((out / "expected.json").read_text())["customers"][0]
    print(f"{rows:,} rows", file=sys.stderr)
    got: list[Timing] = []
    if rows <= 100_000:
        got += rounds([Job("pandas + openpyxl, the obvious script", [PY, "-c", OBVIOUS, xlsx],
                           env)], rows, 1)  # fmt: skip
    got += rounds([
        Job(FX, [PY, "-c", FASTEXCEL, xlsx], env),
        Job("recall summary, first query (--no-cache)", [*RECALL, "summary", *recall,
            "--no-cache"], env, baseline=FX),
        Job("recall summary, first query (writes the cache)", [*RECALL, "summary", *recall],
            env, cold=True, baseline=FX),
    ], rows, runs_first, settle)  # fmt: skip
    if got[0].label.startswith("pandas"):
        got[0].baseline, got[0].ratio = FX, got[0].seconds / got[1].seconds
    run_once([*RECALL, "summary", *recall], env)  # the cache is filled for what follows
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
    jobs = [Job(PANDAS, [PY, "-c", "import pandas"], env)]
    jobs += [Job(f"recall {name}, cached", [*RECALL, *args], env, baseline=PANDAS)
             for name, args in cached.items()]  # fmt: skip
    timed = rounds(jobs, rows, runs_cached)
    timed[0].rows = 0  # the pandas import reads no rows
    return got + timed


def write_results(timings: list[Timing], settle: float, results: Path = HERE / "RESULTS.md") -> str:
    """The main table, written in its own section of RESULTS.md (results.py): the
    other benches' sections and the notes written by hand are kept byte for byte."""
    lines = [
        "# Benchmark results",
        "",
        f"Made by `bench/run.py` on {dt.date.today().isoformat()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average at the end "
        f"{os.getloadavg()[0]:.1f}. Each time is a whole process, the median of several "
        "runs; peak is the largest RSS of the process. Every job runs once per round, "
        "right after its baseline (fastexcel reading the same xlsx into Arrow, or "
        '`python -c "import pandas"`), and a ratio is the median of the per-round '
        "ratios (the lowest and highest of which are shown beside it), so the machine's "
        "drifting speed hits both alike. Each first query (and its "
        f"fastexcel baseline) starts after {settle:g} s of idle, after the cache is emptied: "
        "memory freed seconds before is quick to use again on this machine, so no run "
        "should start on what the run before it left.",
        "",
        "| what | rows | seconds | ratio | rounds' ratios | baseline | peak MB |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for t in timings:
        ratio = f"{t.ratio:.2f}" if t.ratio is not None else ""
        spread = f"{t.spread[0]:.2f}–{t.spread[1]:.2f}" if t.spread else ""
        rows = f"{t.rows:,}" if t.rows else "–"
        lines.append(
            f"| {t.label} | {rows} | {t.seconds:.2f} | {ratio} | {spread} | {t.baseline} "
            f"| {t.peak_mb:.0f} |"
        )
    lines.append("")
    text = "\n".join(lines)
    from results import replace_section

    replace_section(results, MAIN_SECTION, text, legacy="# Benchmark results")
    return text


ENTRY_CHECK = """
import sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.feather as feather
from recall_cli.cache import store
from recall_cli.query.lookup import LOOKUP_COLUMNS
from recall_cli.query.tally import READS

[meta] = [p for p in Path(sys.argv[1]).glob("*-*.json")]
entry = store.Entry(meta.with_suffix(".arrow"), meta)
def best(f, n=7):
    times = []
    for _ in range(n):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return min(times)
for label, cols in (("check", ["source", *LOOKUP_COLUMNS]),
                    ("summary", ["source", *dict.fromkeys((*LOOKUP_COLUMNS, *READS))])):
    parts = [feather.read_table(p, memory_map=True) for p in entry.parts]
    have = {n: p[n] for p in parts for n in p.column_names}
    table = pa.table({n: have[n] for n in cols if n in have})
    mapped = best(lambda: [feather.read_table(p, memory_map=True) for p in entry.parts])
    sums = best(lambda: [store._fingerprint(n, table[n]) for n in table.column_names])
    valid = best(lambda: table.validate(full=True))
    whole = best(lambda: store.read_table(entry, cols))
    print(f"| {label} | {table.nbytes / 1e6:,.0f} | {mapped:.3f} | {sums:.3f} | {valid:.3f} "
          f"| {whole:.3f} |")
"""


def bench_entry_check(env: dict[str, str]) -> str:
    """In one process: mapping a 1M-row entry, its checksums, its validation, all of read_table."""
    data = make_data(1_000_000)
    shutil.rmtree(CACHE, ignore_errors=True)
    subprocess.run([*RECALL, "-q", "summary", "--recall", str(data / "recall.toml")],
                   check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    done = subprocess.run([PY, "-c", ENTRY_CHECK, str(CACHE)], check=True, env=env,
                          capture_output=True, text=True)  # fmt: skip
    return (
        "| columns of | MB checked | map (s) | xxh3 (s) | validate(full=True) (s) "
        "| read_table, all checks (s) |\n|---|---:|---:|---:|---:|---:|\n" + done.stdout
    )


# --- recall sql (issue 20) ----------------------------------------------------------

SQL_QUERIES = {
    "by lot": "SELECT lot, count(*) AS shipments, sum(quantity) AS units FROM shipments "
    "WHERE bucket = 'matched' GROUP BY lot ORDER BY lot",
    "one customer's rows": "SELECT file, sheet, row, lot, ship_date, quantity FROM shipments "
    "WHERE customer_id = 'C100063'",  # the first customer of the 1M set's expected.json
    "by state after a date": "SELECT region, sum(quantity) AS units FROM shipments "
    "WHERE lot = 'B201583' AND ship_date > DATE '2010-12-20' GROUP BY region",
}
SQL_AFFECTED = "SELECT count(*) FROM affected WHERE len(lots) >= 2"
DUCKDB_FILE = (
    "import duckdb,sys; q=sys.argv[1].replace('FROM shipments', 'FROM ' + sys.argv[2]); "
    "print(len(duckdb.sql(q).fetchall()))"
)
IMPORTS = "import duckdb, pyarrow"

# In one process, on the shipments rows already in memory as Arrow: the engines considered.
ENGINES = r"""
import sqlite3, sys, time
import pyarrow.parquet as pq
rows = pq.read_table(sys.argv[1])
query = sys.argv[2]
def best(f, n=5):
    times = []
    for _ in range(n):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return min(times)
t = time.perf_counter(); import duckdb; duck_import = time.perf_counter() - t
t = time.perf_counter(); import polars as pl; polars_import = time.perf_counter() - t
def duck():
    con = duckdb.connect(); con.register("shipments", rows); con.sql(query).fetchall()
def polars():
    ctx = pl.SQLContext(shipments=pl.from_arrow(rows)); ctx.execute(query, eager=True)
used = ["lot", "bucket", "quantity"]
def sqlite():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE shipments (lot TEXT, bucket TEXT, quantity REAL)")
    cols = [rows[c].to_pylist() for c in used]
    con.executemany("INSERT INTO shipments VALUES (?, ?, ?)", zip(*cols))
    con.execute(query).fetchall()
for name, f, imported in (("duckdb", duck, duck_import), ("polars SQL", polars, polars_import),
                          ("sqlite3 (load 3 columns, then query)", sqlite, 0.0)):
    print(f"| {name} | {imported:.3f} | {best(f):.3f} |")
"""


def bench_sql(env: dict[str, str], runs: int) -> str:
    """`recall sql` at 1M cached rows as whole processes, against the import floor and
    DuckDB reading the same rows from CSV and Parquet; then the engines in one process."""
    data = make_data(1_000_000)
    recall = ["--recall", str(data / "recall.toml")]
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    run_once([*RECALL, "summary", *recall], env)  # the cache is filled for what follows
    files = {}
    for fmt in ("csv", "parquet"):
        files[fmt] = out / f"rows.{fmt}"
        run_once([*RECALL, "-q", "export", "rows", *recall, "-o", str(files[fmt]), "--force",
                  "--audit-log", str(out / "audit.jsonl")], env)  # fmt: skip
    floor = f"python -c '{IMPORTS}'"
    jobs = [Job(floor, [PY, "-c", IMPORTS], env)]
    for name, query in SQL_QUERIES.items():
        label = f"recall sql, cached: {name}"
        jobs.append(Job(label, [*RECALL, "sql", query, *recall, "--format", "csv"], env,
                        baseline=floor))  # fmt: skip
        for fmt, reader in (("csv", "read_csv"), ("parquet", "read_parquet")):
            jobs.append(Job(f"duckdb {reader}('rows.{fmt}'): {name}",
                            [PY, "-c", DUCKDB_FILE, query, f"{reader}('{files[fmt]}')"], env,
                            baseline=label))  # fmt: skip
    jobs.append(Job("recall sql, cached: affected with two lots",
                    [*RECALL, "sql", SQL_AFFECTED, *recall, "--format", "csv"], env,
                    baseline=floor))  # fmt: skip
    # The same classification and warnings without SQL, and without the audit line.
    jobs.append(Job("recall summary, cached", [*RECALL, "summary", *recall], env,
                    baseline=floor))  # fmt: skip
    timed = rounds(jobs, 1_000_000, runs)
    timed[0].rows = 0
    lines = ["| what | rows | seconds | ratio | rounds' ratios | baseline | peak MB |",
             "|---|---:|---:|---:|---:|---|---:|"]  # fmt: skip
    for t in timed:
        spread = f"{t.spread[0]:.2f}–{t.spread[1]:.2f}" if t.spread else ""
        ratio = f"{t.ratio:.2f}" if t.ratio is not None else ""
        lines.append(f"| {t.label} | {t.rows:,} | {t.seconds:.2f} | {ratio} | {spread} | "
                     f"{t.baseline} | {t.peak_mb:.0f} |".replace("| 0 |", "| – |", 1))  # fmt: skip
    engines = subprocess.run([PY, "-c", ENGINES, str(files["parquet"]), SQL_QUERIES["by lot"]],
                             check=True, env=env, capture_output=True, text=True)  # fmt: skip
    lines += ["", "| engine | import (s) | query, best of 5 (s) |", "|---|---:|---:|",
              engines.stdout.rstrip()]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="100k rows only, fewer runs")
    p.add_argument("--runs", type=int, default=5, help="rounds of the cached commands")
    p.add_argument("--first-runs", type=int, default=7, help="rounds of the 1M first queries")
    p.add_argument("--settle", type=float, default=8.0,
                   help="seconds of idle before each first query (see rounds)")  # fmt: skip
    p.add_argument("--entry-check", action="store_true",
                   help="only time checking a 1M-row cache entry (printed)")  # fmt: skip
    p.add_argument("--csv", action="store_true",
                   help="only the CSV rows (bench/csvbench.py), into RESULTS.md")  # fmt: skip
    p.add_argument("--csv-sizes", default="1000000,5000000,10000000",
                   help="CSV sizes for --csv, comma-separated")  # fmt: skip
    p.add_argument("--sql", action="store_true", help="only recall sql at 1M rows (printed)")
    args = p.parse_args(argv)
    if args.csv:
        import csvbench

        sizes = [int(x) for x in args.csv_sizes.split(",")]
        text = csvbench.main(sizes, min(args.runs, 3), min(args.settle, 3.0))
        csvbench.write_section(text, HERE / "RESULTS.md")
        print(text)
        return 0
    env = {**os.environ, "RECALL_CACHE_DIR": str(CACHE), "NO_COLOR": "1"}
    if args.sql:
        print(bench_sql(env, args.runs))
        return 0
    if args.entry_check:
        print(bench_entry_check(env))
        return 0
    timings = bench_size(100_000, 3, args.runs, env, args.settle)
    timings += bench_parallel(100_000, 3, env)
    if not args.quick:
        timings += bench_size(1_000_000, args.first_runs, args.runs, env, args.settle)
    print(write_results(timings, args.settle))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
