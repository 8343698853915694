"""`recall serve` in a real browser: Debian's headless Chromium driven by Playwright.

Nothing is downloaded: Playwright's driver comes with its Python package and the
browser is /usr/bin/chromium (`apt-get install chromium`; .ci/run does it). Without
it these tests skip and say why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recall_cli.tasks.audit_log import read_audit

from .conftest import SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip
GTIN = "00312345678906"
GS = "\x1d"
SCANS = {
    "human-readable": f"(01){GTIN}(17)120630(10)B201575",
    "raw-gs": f"01{GTIN}10B201575{GS}17120630",
    "symbology-id": f"]d201{GTIN}17120630" + f"10B201575{GS}21SN77",
}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no browser: /usr/bin/chromium is absent (apt-get install chromium; .ci/run does)",
)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@dataclass
class Server:
    url: str
    folder: Path
    audit_log: Path
    proc: subprocess.Popen[str]


def start_server(folder: Path, audit_log: Path, *extra: str) -> Server:
    env = {**os.environ, "RECALL_AUDIT_LOG": str(audit_log)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "recall_cli", "-q", "serve", "--recall",
         str(folder / "recall.toml"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"recall serve did not start: {proc.stderr and proc.stderr.read()}")
    return Server(line.strip().removeprefix("recall serve: "), folder, audit_log, proc)


def stop(server: Server) -> str:
    server.proc.terminate()
    _, err = server.proc.communicate(timeout=30)
    return err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve") / "data"
    shutil.copytree(SAMPLE, folder)
    running = start_server(folder, folder.parent / "audit.jsonl", "--agent", "Dana")
    yield running
    stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.goto(server.url)
    tab.wait_for_selector("#q")
    yield tab
    context.close()
    assert problems == []  # no CSP refusal, no script error


def ask(page: Any, text: str) -> Any:
    """Type as an agent or a scanner does: into the focused field, then Enter."""
    page.fill("#q", "")
    page.focus("#q")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer .verdict, #answer .customers")
    return page.locator("#answer")


def test_the_page_opens_ready_to_type(page: Any, server: Server) -> None:
    assert "token=" not in page.url  # the token became a cookie
    assert page.evaluate("document.activeElement.id") == "q"
    scope = page.inner_text("#scope")
    assert "Cartridge recall 2011-01" in scope
    assert "B201575, B201578, B201583, B201590, B201602, F201611" in scope
    assert "2010-11-30 to 2011-01-04" in scope
    rows = page.inner_text("#rows-line")
    assert re.fullmatch(r"rows read 2,493 = .* ✓ every row accounted for", rows)
    page.click("#freshness summary")
    assert "us_shipments_2010.xlsx" in page.inner_text("#freshness")


def test_type_a_lot(page: Any) -> None:
    answer = ask(page, "B201575")
    assert answer.locator(".verdict").get_attribute("data-verdict") == "in-recall"
    assert answer.locator(".word").inner_text() == "IN RECALL"
    assert "Inside the scope:" in answer.inner_text()
    assert page.evaluate("document.activeElement.id") == "q"  # ready for the next one


@pytest.mark.parametrize("scan", SCANS.values(), ids=SCANS.keys())
def test_scan_a_gs1_barcode(page: Any, scan: str) -> None:
    answer = ask(page, scan)
    assert answer.locator(".word").inner_text() == "IN RECALL"
    assert f"GTIN {GTIN}, expiry 2012-06-30" in answer.locator(".scanned").inner_text()


def test_the_last_answer_goes_while_the_next_is_on_its_way(page: Any) -> None:
    ask(page, "B201575")
    held: list[Any] = []
    page.route("**/answer?*", lambda route: held.append(route))  # hold the answer back
    try:
        page.fill("#q", "B20157")
        page.keyboard.press("Enter")
        page.wait_for_selector("#answer .checking")
        assert page.inner_text("#answer") == "Checking B20157 …"
        assert page.locator("#answer .verdict").count() == 0
    finally:
        for route in held:
            route.continue_()
        page.unroute("**/answer?*")
    page.wait_for_selector("#answer .suggest")


def test_mistyped_lot_warns_and_suggests(page: Any) -> None:
    answer = ask(page, "B2O1575")
    assert answer.locator(".word").inner_text() == "NOT ON THE RECALL LIST"
    assert "Looks like recalled B201575: check the box" in answer.inner_text()
    answer = ask(page, "B20157")
    assert "Did you mean" in answer.inner_text()
    answer.locator("button.ask", has_text="B201575").click()
    page.wait_for_selector("#answer [data-verdict=in-recall]")


def test_text_that_is_not_a_lot(page: Any) -> None:
    answer = ask(page, "zz top!")
    assert answer.locator(".word").inner_text() == "NOT A LOT"


def test_rows_on_request(page: Any) -> None:
    ask(page, "B201575")
    page.click("#show-rows")
    table = page.wait_for_selector("#answer table.rows-table")
    text = table.inner_text()
    assert "matched = inside the recall scope" in text
    assert "us_shipments_2010.xlsx" in text or "fr_expeditions_2010.csv" in text
    # Scrolled down to the last row, the scope and the row line are still on screen.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 0
    for box in ("#scope", "#rows-line"):
        top = page.evaluate(f"document.querySelector('{box}').getBoundingClientRect().top")
        assert 0 <= top < 200, box


def test_look_up_a_customer_and_reveal(page: Any, server: Server) -> None:
    answer = ask(page, "C10257")
    match = answer.locator(".match").first
    assert "AFFECTED" in match.inner_text() and "Lisa Martin" in match.inner_text()
    masked = match.locator(".contact").inner_text()
    assert "***" in masked and "@" in masked
    before = len(read_audit(server.audit_log))
    match.locator("button.reveal").click()
    page.wait_for_selector("#answer .revealed")
    shown = match.locator(".contact").inner_text()
    assert "***" not in shown and "@example.com" in shown
    entries = read_audit(server.audit_log)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry["kind"], entry["customer_id"], entry["agent"]) == ("reveal", "C10257", "Dana")
    email = re.search(r"\S+@example\.com", shown)
    assert email and email.group(0) not in server.audit_log.read_text(encoding="utf-8")
    # The next scan goes to the field, not to the button: no second reveal.
    assert page.evaluate("document.activeElement.id") == "q"
    page.locator("#answer .match .who").first.click()  # focus left the field
    page.keyboard.type("B201575")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer [data-verdict=in-recall]")
    assert len(read_audit(server.audit_log)) == before + 1


def test_changed_file_banner_and_reload(browser: Any, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    running = start_server(folder, tmp_path / "audit.jsonl")
    try:
        tab = browser.new_page()
        tab.goto(running.url)
        assert tab.is_hidden("#changed")
        late = folder / "us_returns_and_late.csv"
        lines = late.read_text(encoding="utf-8-sig").splitlines()
        late.write_text("\n".join([*lines, lines[-1]]) + "\n", encoding="utf-8-sig")
        tab.wait_for_selector("#changed", state="visible", timeout=15_000)
        assert "us_returns_and_late.csv" in tab.inner_text("#changed")
        tab.click("#reload")
        tab.wait_for_selector("#rows-line:has-text('rows read 2,494')", timeout=60_000)
        assert tab.is_hidden("#changed")
    finally:
        stop(running)


@pytest.mark.parametrize("text", ["B2O1575", "C10257", "martin"])
def test_phone_width_needs_no_sideways_scroll(browser: Any, server: Server, text: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    try:
        tab.goto(server.url)
        ask(tab, text)
        if tab.locator("#show-rows").count():
            tab.click("#show-rows")
            tab.wait_for_selector("#answer table")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        assert tab.is_visible("#scope") and tab.is_visible("#rows-line")
    finally:
        context.close()
