#!/usr/bin/env python3
"""What the audit line of a `recall serve` customer answer costs, in-process.

Loads sample_data/ into a Desk and asks /api/customer?q=martin through Starlette's
test client, N times with the audit line (the fsynced append every such answer now
writes) and N times with record_seen replaced by a no-op, alternating, in the same
process; a ratio is the median of the per-round ratios. The log goes to a temporary
folder (on this machine's disk, not tmpfs, when --log-dir says so). Prints the row for
bench/RESULTS.md (`## serve: audit line per answer`).

    .venv/bin/python bench/serve_audit.py --rounds 7 --per-round 100
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--per-round", type=int, default=100)
    p.add_argument("--log-dir", default=None, help="folder for the audit log (default: tmp)")
    args = p.parse_args()
    folder = tempfile.mkdtemp(dir=args.log_dir)
    os.environ["RECALL_AUDIT_LOG"] = os.path.join(folder, "audit.jsonl")
    from starlette.testclient import TestClient

    from recall_cli.query.request import Request
    from recall_cli.serve.desk import Desk
    from recall_cli.serve.web import Keys, make_app

    recall = ROOT / "sample_data" / "recall.toml"
    desk = Desk(lambda: Request.from_options(recall_file=recall), watch=(recall,))
    desk.load()
    keys = Keys.new(8123, ("127.0.0.1",))
    client = TestClient(make_app(desk, keys), base_url="http://127.0.0.1:8123",
                        headers={"Authorization": f"Bearer {keys.token}"})  # fmt: skip
    audited = Desk.record_seen

    def per_answer() -> float:
        start = time.perf_counter()
        for _ in range(args.per_round):
            assert client.get("/api/customer", params={"q": "martin"}).status_code == 200
        return (time.perf_counter() - start) / args.per_round

    offs, ons, ratios = [], [], []
    for _ in range(args.rounds):
        Desk.record_seen = lambda self, *a, **kw: None  # type: ignore[method-assign]
        off = per_answer()
        Desk.record_seen = audited  # type: ignore[method-assign]
        on = per_answer()
        offs.append(off)
        ons.append(on)
        ratios.append(on / off)
    print(f"| /api/customer, no audit line | {statistics.median(offs) * 1000:.2f} ms | | |")
    print(f"| /api/customer, with its audit line | {statistics.median(ons) * 1000:.2f} ms | "
          f"{statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} |")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}, {args.rounds} rounds of {args.per_round}")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
