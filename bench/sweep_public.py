"""Run `recall inspect` on every workbook under some folders; count what happened.

Meant for the readers' public test files (calamine, SheetJS test_files, xlrd,
fastexcel...), which are not committed here: fetch them, point this at their
folders. Each file is read in a fresh process, as a user runs it, so a Rust panic,
an abort or a Python traceback shows as it would on a terminal. A file may be read
or refused (one "Error:" line, exit 1); a panic, a traceback, an internal error,
a crash or a timeout is a bug, and makes the exit status 1.

    python bench/sweep_public.py /path/to/calamine/tests /path/to/test_files --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".fods"}
BUGS = ("panic", "traceback", "internal error", "crash", "timeout")


def classify(returncode: int, stderr: str) -> str:
    """ "read", "refused", or one of BUGS."""
    if "panicked" in stderr or returncode in (101, -6, 134):
        return "panic"
    if "Traceback (most recent call last)" in stderr:
        return "traceback"
    if "internal error" in stderr:
        return "internal error"
    if returncode < 0:
        return "crash"
    if returncode == 0:
        return "read"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return "refused" if lines and lines[-1].startswith("Error:") else "crash"


def reason(path: Path, stderr: str) -> str:
    """The refusal with the file's own name taken out, to count alike refusals."""
    last = [ln for ln in stderr.splitlines() if ln.startswith("Error:")][-1:]
    text = last[0] if last else ""
    text = text.replace(str(path), "FILE")
    text = re.sub(r"sheet '[^']*'", "sheet 'S'", text)
    text = re.sub(r"\(convert it.*|\(re-save it.*", "", text)
    text = re.sub(r"headers found: .*", "headers found: ...", text)
    return re.sub(r"\d[\d,.]*", "N", text)[:160]


def inspect(path: Path, env: dict[str, str], timeout: float) -> dict[str, object]:
    cmd = [sys.executable, "-m", "recall_cli", "inspect", "--no-cache", "--format", "json",
           str(path)]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"file": str(path), "outcome": "timeout", "reason": ""}
    outcome = classify(done.returncode, done.stderr)
    return {
        "file": str(path),
        "outcome": outcome,
        "reason": reason(path, done.stderr) if outcome == "refused" else done.stderr[-400:],
    }


def sweep(roots: list[Path], jobs: int = 2, timeout: float = 120) -> list[dict[str, object]]:
    files = sorted(
        p for root in roots for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.stat().st_size
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RECALL_CACHE_DIR": f"{tmp}/cache",
               "RECALL_AUDIT_LOG": f"{tmp}/audit.log", "RUST_BACKTRACE": "1"}  # fmt: skip
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(lambda p: inspect(p, env, timeout), files))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", type=Path, help="write every file's outcome here")
    args = parser.parse_args()
    results = sweep(args.roots, args.jobs, args.timeout)
    outcomes = Counter(str(r["outcome"]) for r in results)
    print(f"{len(results)} files: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    refusals = Counter(str(r["reason"]) for r in results if r["outcome"] == "refused")
    for text, n in refusals.most_common():
        print(f"  {n:4d}  {text}")
    for r in results:
        if r["outcome"] in BUGS:
            print(f"BUG {r['outcome']}: {r['file']}\n    {r['reason']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 1 if any(r["outcome"] in BUGS for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
