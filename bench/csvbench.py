"""CSV exports at 1M, 5M and 10M rows against DuckDB, and three 1M-row xlsx against fastexcel.

Run by `bench/run.py --csv`. The data is made once under $RECALL_BENCH_DATA
(default /tmp/recall-bench), never in git: bench/csvgen.py writes the CSVs in
seconds; the xlsx comes from sample_data/generate.py. Every job is a whole
process timed with its peak RSS (wait4), interleaved with its baseline round
by round as in run.py. The rows go under `## CSV streaming` in RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from run import CACHE, FASTEXCEL, FX, PY, RECALL, ROOT, Job, Timing, rounds

DATA = Path(os.environ.get("RECALL_BENCH_DATA", "/tmp/recall-bench"))
LOTS = ["B201575", "B201578", "B201583", "B201590", "B201602", "F201611"]

# The same recall query for every engine: lots (trimmed, upper case) in the window,
# per customer the shipments and units.
DUCKDB = """
import sys, duckdb
q = '''select "Customer ID", count(*), sum(try_cast(Quantity as double))
from read_csv(?, all_varchar=true, header=true)
where upper(trim(Lot)) in (select unnest(?))
  and try_cast(trim("Ship Date") as date) between date '2010-11-30' and date '2011-01-04'
group by 1'''
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
print(len(con.execute(q, [sys.argv[1], sys.argv[2].split(",")]).fetchall()))
"""
PYARROW = """
import sys, datetime as dt, pyarrow as pa, pyarrow.csv as pcsv, pyarrow.compute as pc
names = pcsv.open_csv(sys.argv[1]).schema.names
reader = pcsv.open_csv(sys.argv[1], read_options=pcsv.ReadOptions(use_threads=False),
    parse_options=pcsv.ParseOptions(newlines_in_values=True),
    convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
lots = pa.array(sys.argv[2].split(","))
first, last = dt.datetime(2010, 11, 30), dt.datetime(2011, 1, 4)
hits = []
for b in reader:
    lot = pc.utf8_upper(pc.utf8_trim_whitespace(b.column("Lot")))
    day = pc.strptime(pc.utf8_trim_whitespace(b.column("Ship Date")), "%Y-%m-%d", "s",
                      error_is_null=True)
    keep = pc.and_(pc.is_in(lot, lots), pc.and_(pc.greater_equal(day, first),
                                                pc.less_equal(day, last)))
    hits.append(b.filter(pc.fill_null(keep, False)).select(["Customer ID", "Quantity"]))
t = pa.Table.from_batches(hits)
t = t.set_column(1, "Quantity", pc.cast(t["Quantity"], pa.float64()))
print(t.group_by("Customer ID").aggregate([("Quantity", "sum"), ("Quantity", "count")]).num_rows)
"""
POLARS = """
import sys, datetime as dt, polars as pl
lf = pl.scan_csv(sys.argv[1], infer_schema=False)
day = pl.col("Ship Date").str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
out = (lf.filter(pl.col("Lot").str.strip_chars().str.to_uppercase().is_in(sys.argv[2].split(","))
                 & day.is_between(dt.date(2010, 11, 30), dt.date(2011, 1, 4)))
         .group_by("Customer ID").agg(pl.len(), pl.col("Quantity").cast(pl.Float64).sum())
         .collect())
print(out.height)
"""
FLOOR = "import numpy, pyarrow, pyarrow.compute, pyarrow.ipc"
FASTEXCEL3 = (
    "import fastexcel,sys\n"
    "for f in sys.argv[1:]: print(fastexcel.read_excel(f).load_sheet(0).to_arrow().num_rows)"
)

DUCK = "DuckDB read_csv, the same lot + window query"
FLOOR_LABEL = "python -c 'import numpy, pyarrow, pyarrow.compute, pyarrow.ipc' (import floor)"
FX3 = "three fastexcel reads, one after the other"


def csv_data(rows: int) -> Path:
    out = DATA / f"csv_{rows}.csv"
    if not out.exists():
        print(f"generating {rows:,} CSV rows into {out} ...", file=sys.stderr)
    subprocess.run([PY, str(ROOT / "bench" / "csvgen.py"), "--rows", str(rows), "--out",
                    str(out)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return out


def xlsx_data(rows: int, files: int) -> list[Path]:
    """`files` different workbooks of `rows` rows (generate.py with seeds 2011, 2012, ...).

    Byte copies of one workbook would be read once (read.identity.distinct_files), so
    they would not measure many files at all.
    """
    out = DATA / f"xlsx{files}_{rows}"
    made = []
    for k in range(files):
        seed = 2011 + k
        path = out / f"shipments_{seed}_{rows}.xlsx"
        if not path.exists():
            print(f"generating {rows:,} xlsx rows (seed {seed}) into {path} ...", file=sys.stderr)
            scratch = out / f".seed{seed}"
            subprocess.run([PY, str(ROOT / "sample_data" / "generate.py"), "--rows", str(rows),
                            "--seed", str(seed), "--out", str(scratch)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            (scratch / f"shipments_{rows}.xlsx").replace(path)
            shutil.rmtree(scratch)
        made.append(path)
    return made


def bench_csv(rows: int, runs: int, env: dict[str, str], settle: float,
              engines: bool = True) -> list[Timing]:  # fmt: skip
    path = csv_data(rows)
    query = ["--lot", ",".join(LOTS), "--from", "2010-11-30", "--to", "2011-01-04"]
    summary = [*RECALL, "summary", str(path), *query]
    print(f"CSV, {rows:,} rows", file=sys.stderr)
    args = [str(path), ",".join(LOTS)]
    jobs = [Job(DUCK, [PY, "-c", DUCKDB, *args], env)]
    if engines:
        jobs += [
            Job("pyarrow.csv serial stream, the same query", [PY, "-c", PYARROW, *args], env,
                baseline=DUCK),
            Job("polars scan_csv, the same query", [PY, "-c", POLARS, *args], env,
                baseline=DUCK),
        ]  # fmt: skip
    jobs += [
        Job("recall summary, first query (--no-cache)", [*summary, "--no-cache"], env,
            baseline=DUCK),
        Job("recall summary, first query (writes the cache)", summary, env, cold=True,
            baseline=DUCK),
    ]  # fmt: skip
    got = rounds(jobs, rows, runs, settle)
    subprocess.run([*summary, "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
    cached = [
        Job(FLOOR_LABEL, [PY, "-c", FLOOR], env),
        Job("recall summary, cached", summary, env, baseline=FLOOR_LABEL),
        Job("recall check, cached", [*RECALL, "check", LOTS[0], str(path), *query], env,
            baseline=FLOOR_LABEL),
    ]  # fmt: skip
    timed = rounds(cached, rows, runs)
    timed[0].rows = 0
    return got + timed


def bench_xlsx3(rows: int, runs: int, env: dict[str, str], settle: float) -> list[Timing]:
    files = [str(f) for f in xlsx_data(rows, 3)]
    query = ["--lot", ",".join(LOTS), "--from", "2010-11-30", "--to", "2011-01-04"]
    print(f"3 xlsx x {rows:,} rows", file=sys.stderr)
    return rounds([
        Job(FX3, [PY, "-c", FASTEXCEL3, *files], env),
        Job("recall summary of the three, first query (--no-cache)",
            [*RECALL, "summary", *files, *query, "--no-cache"], env, baseline=FX3),
    ], 3 * rows, runs, settle)  # fmt: skip


def bench_xlsx1(rows: int, runs: int, env: dict[str, str], settle: float) -> list[Timing]:
    """One of the three workbooks alone: its first query against one fastexcel read, and
    the cached answers against the import floor (the issue's single-workbook targets)."""
    xlsx = str(xlsx_data(rows, 3)[0])
    query = ["--lot", ",".join(LOTS), "--from", "2010-11-30", "--to", "2011-01-04"]
    summary = [*RECALL, "summary", xlsx, *query]
    print(f"1 xlsx x {rows:,} rows", file=sys.stderr)
    got = rounds([
        Job(FX, [PY, "-c", FASTEXCEL, xlsx], env),
        Job("recall summary of one, first query (--no-cache)", [*summary, "--no-cache"], env,
            baseline=FX),
    ], rows, runs, settle)  # fmt: skip
    subprocess.run([*summary, "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
    timed = rounds([
        Job(FLOOR_LABEL, [PY, "-c", FLOOR], env),
        Job("recall summary of one xlsx, cached", summary, env, baseline=FLOOR_LABEL),
        Job("recall check of one xlsx, cached", [*RECALL, "check", LOTS[0], xlsx, *query], env,
            baseline=FLOOR_LABEL),
    ], rows, runs)  # fmt: skip
    timed[0].rows = 0
    return got + timed


def section(timings: list[Timing], note: str) -> str:
    lines = [
        "## CSV streaming",
        "",
        f"Made by `bench/run.py --csv` on {dt.date.today().isoformat()}: {os.cpu_count()} cores "
        f"shared with other work, Python {platform.python_version()}, load average at the end "
        f"{os.getloadavg()[0]:.1f}. Whole processes, each run right after its baseline "
        "(DuckDB's `read_csv` doing the same lot + window query; the import floor; three "
        "sequential fastexcel reads), the ratio the median of the per-round ratios. Data "
        "from `bench/csvgen.py` (14 columns, 50,000 customers, 2,000 lots, sorted by ship "
        "date) and `sample_data/generate.py` (xlsx). " + note,
        "",
        "| what | rows | seconds | ratio | rounds' ratios | baseline | peak MB |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for t in timings:
        ratio = f"{t.ratio:.2f}" if t.ratio is not None else ""
        spread = f"{t.spread[0]:.2f}–{t.spread[1]:.2f}" if t.spread else ""
        rows = f"{t.rows:,}" if t.rows else "–"
        lines.append(f"| {t.label} | {rows} | {t.seconds:.2f} | {ratio} | {spread} "
                     f"| {t.baseline} | {t.peak_mb:.0f} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def write_section(text: str, results: Path) -> None:
    """Put the section in RESULTS.md in place of the one before, keeping the rest
    (the notes written under the table included) byte for byte."""
    from results import replace_section

    replace_section(results, "bench/run.py --csv", text, legacy="## CSV streaming")


def main(sizes: list[int], runs: int, settle: float) -> str:
    env = {**os.environ, "RECALL_CACHE_DIR": str(CACHE), "NO_COLOR": "1"}
    timings: list[Timing] = []
    for rows in sizes:
        timings += bench_csv(rows, runs if rows <= 5_000_000 else 1, env, settle,
                             engines=rows <= 5_000_000)  # fmt: skip
    timings += bench_xlsx1(1_000_000, runs, env, settle)
    timings += bench_xlsx3(1_000_000, runs, env, settle)
    note = f"{runs} rounds ({'one at 10M' if 10_000_000 in sizes else ''}), {settle:g} s idle "
    return section(timings, note.replace(" ()", "") + "before each first query.")
