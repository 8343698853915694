"""Fault injection: damaged cache entries, killed cache writes, a full disk under the cache.

Each fault runs in a subprocess, so a segfault or a hang fails the test instead of
ending the suite. The promise checked is docs/promises.md ("promises under faults"):
the right answer, or the entry rebuilt; never a wrong answer, a crash, or patient
data left readable by others. (Signals during exports belong to the export tests.)
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, write_csv

SCOPE = ["--recall", str(SAMPLE / "recall.toml")]
HEADER = ["lot", "ship_date", "customer_id", "name", "email", "address", "postal_code",
          "country", "quantity"]  # fmt: skip


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "RECALL_CACHE_DIR": str(cache), "RECALL_WORKERS": "1"}


def _recall(cache: Path, *args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recall_cli", "-q", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=_env(cache),
    )  # fmt: skip


def _shipments(path: Path, rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    lots = ["B201575", "B201578", "F201611", "B200001", "B200002"]
    body = [
        [rng.choice(lots), f"2010-12-{rng.randint(1, 28):02d}", f"C{rng.randint(1, rows // 4 + 1)}",
         f"Name {i}", f"p{i}@example.org", f"{i} Main St", f"{10000 + i % 9000}",
         rng.choice(["US", "FR"]), str(rng.randint(-2, 40))]
        for i in range(rows)
    ]  # fmt: skip
    return write_csv(path, [HEADER, *body])


# --- bit flips -------------------------------------------------------------------------

# One process runs the trials: each restores the pristine entry, flips bits, asks
# again in-process and prints a verdict line. A crash ends the process, so the last
# "trial N" line says which flip did it.
_TRIALS = textwrap.dedent(
    """
    import json, random, sys
    from pathlib import Path
    from click.testing import CliRunner
    from recall_cli.cache import store
    from recall_cli.cli import cli

    cache, data, seed, trials = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    expected = json.loads(Path(sys.argv[5]).read_text())
    scope = sys.argv[6:]
    pristine = {p: p.read_bytes() for p in cache.iterdir() if p.suffix in (".arrow", ".json")}
    files = sorted(pristine)
    rng = random.Random(seed)
    runner = CliRunner()
    for trial in range(trials):
        store.flush()
        for p in cache.iterdir():
            if p not in pristine and p.name != "CACHEDIR.TAG":
                p.unlink()
        for p, raw in pristine.items():
            p.write_bytes(raw)
        target = rng.choice(files)
        raw = bytearray(pristine[target])
        for _ in range(rng.randint(1, 8)):
            bit = rng.randrange(len(raw) * 8)
            raw[bit // 8] ^= 1 << (bit % 8)
        target.write_bytes(bytes(raw))
        print(f"trial {trial} {target.name}", file=sys.stderr, flush=True)
        got = {}
        for name, args in (("affected", ["affected", data, *scope, "--format", "json"]),
                           ("check", ["check", "B201575", data, *scope, "--format", "json"]),
                           ("summary", ["summary", data, *scope, "--format", "json"])):
            result = runner.invoke(cli, args)
            if result.exit_code != 0:
                print(json.dumps({"trial": trial, "error": name, "out": result.output[-300:]}))
                sys.exit(3)
            got[name] = json.loads(result.stdout)
            got[name + "_hits"] = store.last_stats.hits
        if {k: got[k] for k in expected} != expected:
            print(json.dumps({"trial": trial, "wrong": target.name}))
            sys.exit(4)
        print(json.dumps({"trial": trial, "hit": got["affected_hits"]}), flush=True)
    """
)


def _strip(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "sources"}


def test_random_bit_flips_give_the_right_answer_or_a_rebuild(tmp_path: Path) -> None:
    data = _shipments(tmp_path / "shipments.csv", 400)
    cache = tmp_path / "cache"
    expected = {}
    for name, args in (("affected", ["affected"]), ("check", ["check", "B201575"]),
                       ("summary", ["summary"])):  # fmt: skip
        done = _recall(cache, *args, data, *SCOPE, "--format", "json", "--no-cache")
        assert done.returncode == 0, done.stderr
        expected[name] = json.loads(done.stdout)
    assert _recall(cache, "summary", data, *SCOPE).returncode == 0  # fills the cache
    assert len(list(cache.glob("*.arrow"))) == 2
    answers = tmp_path / "expected.json"
    answers.write_text(json.dumps(expected), encoding="utf-8")
    trials = 120
    done = subprocess.run(
        [sys.executable, "-c", _TRIALS, cache, data, "2011", str(trials), answers, *SCOPE],
        capture_output=True, text=True, timeout=900, env=_env(cache),
    )  # fmt: skip
    last = done.stderr.strip().splitlines()[-1:] or [""]
    assert done.returncode == 0, f"exit {done.returncode} after {last[0]}: {done.stdout[-500:]}"
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(verdicts) == trials
    # Some flips land where nothing is read (padding, a column this question skips):
    # those are hits; every other is a miss and a rebuild. All answers were right.
    rebuilt = sum(1 for v in verdicts if v["hit"] == 0)
    assert 0 < rebuilt < trials


# --- killed cache writes --------------------------------------------------------------------


def _private(cache: Path) -> list[str]:
    """Files in the cache folder that someone other than the owner could read."""
    return [
        p.name
        for p in cache.iterdir()
        if stat.S_IMODE(p.lstat().st_mode) & 0o077 or p.lstat().st_uid != os.geteuid()
    ]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_a_cache_write_killed_midway_leaves_nothing_readable_and_the_next_answer_right(
    tmp_path: Path, sig: signal.Signals
) -> None:
    data = _shipments(tmp_path / "shipments.csv", 150_000)
    cache = tmp_path / "cache"
    fresh = _recall(cache, "summary", data, *SCOPE, "--format", "json", "--no-cache")
    assert fresh.returncode == 0, fresh.stderr
    caught = False
    for _attempt in range(3):  # the write may finish before it is seen; try again
        proc = subprocess.Popen(
            [sys.executable, "-m", "recall_cli", "-q", "summary", str(data), *SCOPE],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(cache),
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if cache.is_dir() and list(cache.glob(".tmp-*.arrow")):  # the rows being written
                proc.send_signal(sig)
                caught = True
                break
            time.sleep(0.002)
        proc.wait(timeout=120)
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700
        assert _private(cache) == []
        if caught:
            assert list(cache.glob(".tmp-*.arrow")) or sig == signal.SIGTERM
            break
        for p in cache.iterdir():  # the write won the race: empty it and go again
            if p.name != "CACHEDIR.TAG":
                p.unlink()
    again = _recall(cache, "summary", data, *SCOPE, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert _strip(json.loads(again.stdout)) == _strip(json.loads(fresh.stdout))
    # The orphans of the killed write go once they are old enough to be nobody's.
    old = time.time() - 3600
    for p in cache.glob(".tmp-*"):
        os.utime(p, (old, old))
    data.write_text(data.read_text(encoding="utf-8") + "B201575,2010-12-01,C1,N,,,,US,1\n")
    assert _recall(cache, "summary", data, *SCOPE).returncode == 0
    assert not list(cache.glob(".tmp-*"))
    assert _private(cache) == []


# --- a full disk under the cache ------------------------------------------------------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "full"
    mount.mkdir()
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a 1 MB tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:100]}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_under_the_cache_only_costs_speed(tmp_path: Path, tiny_tmpfs: Path) -> None:
    data = _shipments(tmp_path / "shipments.csv", 30_000)  # an entry of several MB
    cache = tiny_tmpfs / "cache"
    fresh = _recall(cache, "summary", data, *SCOPE, "--format", "json", "--no-cache")
    for _ in range(2):
        done = _recall(cache, "summary", data, *SCOPE, "--format", "json")
        assert done.returncode == 0, done.stderr
        assert "internal error" not in done.stderr
        assert _strip(json.loads(done.stdout)) == _strip(json.loads(fresh.stdout))
        left = {p.name for p in cache.iterdir()}
        assert not [n for n in left if n.startswith(".tmp-") or n.endswith(".arrow")], left
        assert not [n for n in left if n.endswith(".json")]  # no entry half-written
