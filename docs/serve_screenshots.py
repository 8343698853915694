"""Make docs/serve.png (1,024 px wide) and docs/serve-phone.png (390 px) of `recall serve`.

    .venv/bin/python docs/serve_screenshots.py

Runs `recall serve` on sample_data/ and Debian's /usr/bin/chromium (nothing downloaded);
the audit line of the reveal goes to a temporary file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip

SHOTS = (("serve.png", 1024, 720, "B201575"), ("serve-phone.png", 390, 844, "B2O1575"))


def main() -> None:
    log = Path(tempfile.mkdtemp()) / "audit.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "recall_cli", "-q", "serve", "--recall",
         str(ROOT / "sample_data" / "recall.toml")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "RECALL_AUDIT_LOG": str(log)},
    )  # fmt: skip
    assert proc.stdout is not None
    url = proc.stdout.readline().strip().removeprefix("recall serve: ")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, width, height, code in SHOTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url)
                page.fill("#q", code)
                page.keyboard.press("Enter")
                page.wait_for_selector("#answer .verdict")
                if width > 600:
                    page.click("#show-rows")
                    page.wait_for_selector("#answer table")
                page.screenshot(path=str(ROOT / "docs" / name))
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
