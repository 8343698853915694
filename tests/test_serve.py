"""`recall serve`: the answers, the API's JSON against the CLI's, routing, reveal, reload.

The security checks are in test_serve_security.py, the browser in test_serve_browser.py.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from recall_cli.cli import cli
from recall_cli.query.request import Request
from recall_cli.serve.desk import Desk
from recall_cli.serve.web import Keys, make_app
from recall_cli.tasks.audit_log import read_audit

from .conftest import SAMPLE, invoke

RECALL = SAMPLE / "recall.toml"
PORT = 8123
GTIN = "00312345678906"
GS = "\x1d"
SCANS = {
    "human-readable": f"(01){GTIN}(17)120630(10)B201575",
    "raw-gs": f"01{GTIN}10B201575{GS}17120630",
    "symbology-id": f"]d201{GTIN}17120630" + f"10B201575{GS}21SN77",
}


def make_desk(recall: Path = RECALL, **kwargs: object) -> Desk:
    desk = Desk(lambda: Request.from_options(recall_file=recall), watch=(recall,), **kwargs)  # type: ignore[arg-type]
    desk.load()
    return desk


@pytest.fixture(scope="module")
def desk() -> Desk:
    return make_desk()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.new(PORT, ("127.0.0.1", "localhost", "::1"))


def client_for(desk: Desk, keys: Keys, **kwargs: object) -> TestClient:
    headers = {"Authorization": f"Bearer {keys.token}"}
    return TestClient(make_app(desk, keys), base_url=f"http://127.0.0.1:{PORT}",
                      headers=headers, **kwargs)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def client(desk: Desk, keys: Keys) -> Iterator[TestClient]:
    with client_for(desk, keys) as c:
        yield c


@pytest.fixture(autouse=True)
def audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("RECALL_AUDIT_LOG", str(log))
    return log


# --- the API's JSON is the CLI's ------------------------------------------------------

CODES = ["B201575", "b201578", "B2O1575", "F201611", "ZZ99999", "Lot: B201583", *SCANS.values()]


@pytest.mark.parametrize("rows", [False, True], ids=["plain", "show-rows"])
@pytest.mark.parametrize("code", CODES)
def test_api_check_is_the_cli_json(
    runner: CliRunner, client: TestClient, code: str, rows: bool
) -> None:
    cli = invoke(runner, "-q", "check", code, "--recall", RECALL, "--format", "json",
                 *(["--show-rows"] if rows else []))  # fmt: skip
    got = client.get("/api/check", params={"code": code, **({"rows": "1"} if rows else {})})
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/json"
    assert got.content == cli.stdout_bytes
    assert got.headers["x-recall-exit-status"] == str(cli.exit_code)


@pytest.mark.parametrize(
    "query", ["martin", "C10003", "555-0101", "75011", "nobody at all", "C10358"]
)  # fmt: skip  (C10358: needs review, exit 6)
def test_api_customer_is_the_cli_json(runner: CliRunner, client: TestClient, query: str) -> None:
    cli = invoke(runner, "-q", "customer", query, "--recall", RECALL, "--format", "json")
    got = client.get("/api/customer", params={"q": query})
    assert got.status_code == 200
    assert got.content == cli.stdout_bytes
    assert got.headers["x-recall-exit-status"] == str(cli.exit_code)
    assert "contact" not in got.text


@pytest.mark.parametrize("code", ["Jean Martin", "(01)00312345678906(17)120630"])
def test_api_refusal_is_the_cli_error(runner: CliRunner, client: TestClient, code: str) -> None:
    cli = invoke(runner, "-q", "check", code, "--recall", RECALL, "--format", "json")
    got = client.get("/api/check", params={"code": code})
    assert got.status_code == 400
    assert got.headers["content-type"].startswith("text/plain")
    assert got.text == cli.stderr
    assert got.headers["x-recall-exit-status"] == str(cli.exit_code)


def test_postal_code_finds_customers(runner: CliRunner) -> None:
    found = json.loads(invoke(runner, "-q", "customer", "75011", "--recall", RECALL,
                              "--format", "json").stdout)  # fmt: skip
    ids = {m["customer_id"] for m in found["matches"]}
    assert ids and all(i.startswith("FR-") for i in ids)


# --- one field: lot, scan or customer ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "verdict"),
    [
        ("B201575", "lot", "in-recall"),
        ("B2O1575", "lot", "looks-like"),
        ("F200553", "lot", "not-in-recall"),
        ("ZZ99999", "lot", "not-in-recall"),
        *((scan, "lot", "in-recall") for scan in SCANS.values()),
        ("martin", "customer", None),
        ("C10003", "customer", None),
        ("customer 75011", "customer", None),
        ("check C10003", "lot", "not-in-recall"),
        ("zz top!", "not_a_lot", "not-a-lot"),
    ],
)
def test_one_field_routes_the_text(
    desk: Desk, client: TestClient, text: str, kind: str, verdict: str | None
) -> None:
    assert desk.ask(text).kind == kind
    page = client.get("/answer", params={"q": text})
    assert page.status_code == 200
    if verdict:
        assert f'data-verdict="{verdict}"' in page.text
    else:
        assert 'class="customers"' in page.text


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("B2O1575", "character 3: letter O here, digit 0 in B201575"),
        ("B2\u041e1575", "character 3: О (CYRILLIC CAPITAL LETTER O) here, digit 0 in B201575"),
        ("8201575", "character 1: digit 8 here, letter B in B201575"),
    ],
)
def test_a_look_alike_says_check_the_box_and_where(
    client: TestClient, typed: str, said: str
) -> None:
    page = client.get("/answer", params={"q": typed}).text
    assert "NOT ON THE RECALL LIST" in page
    assert "Looks like recalled B201575: check the box" in page
    assert said in page
    assert page.count("<mark>") == 1


def test_customers_are_masked_on_the_page(client: TestClient, desk: Desk) -> None:
    from recall_cli.tasks.masking import mask_email, mask_phone
    from recall_cli.tasks.support import customer_lookup

    matches = customer_lookup(desk.loaded.rows, "martin", reveal=True)["matches"]
    page = client.get("/answer", params={"q": "martin"}).text
    emails = [m["contact"]["email"] for m in matches if m["contact"]["email"]]
    phones = [m["contact"]["phone"] for m in matches if m["contact"]["phone"]]
    assert emails and phones
    for email in emails:
        assert email not in page and mask_email(email) in page
    for phone in phones:
        assert phone not in page and mask_phone(phone) in page


# --- reveal --------------------------------------------------------------------------


def test_reveal_shows_details_and_writes_one_audit_line(
    desk: Desk, keys: Keys, audit_log: Path
) -> None:
    full = desk.ask("C10257")  # routed to customers
    with client_for(desk, keys) as c:
        answer = c.post("/reveal", json={"q": "C10257", "n": 0, "id": "C10257"},
                        headers={"X-CSRF-Token": keys.csrf})  # fmt: skip
    assert answer.status_code == 200, answer.text
    from recall_cli.tasks.support import customer_lookup

    contact = customer_lookup(desk.loaded.rows, "C10257", reveal=True)["matches"][0]["contact"]
    assert contact["email"] and contact["phone"] and contact["address"]
    for value in contact.values():
        assert html.escape(value) in answer.text
    (entry,) = read_audit(audit_log)
    assert entry["command"] == "serve" and entry["kind"] == "reveal"
    assert entry["customer_id"] == "C10257"
    assert entry["user"] and entry["time_utc"]
    assert entry["scope"]["lots"] == list(desk.loaded.scope["lots"])
    files = {Path(i["path"]).name for i in entry["inputs"]}
    assert files == {"us_shipments_2010.xlsx", "fr_expeditions_2010.csv",
                     "us_returns_and_late.csv", "recall.toml"}  # fmt: skip
    assert all(len(i["sha256"]) == 64 for i in entry["inputs"])
    line = audit_log.read_text(encoding="utf-8")
    for value in contact.values():
        if value and len(value) > 3:
            assert value not in line
    assert full.kind == "customer"


def test_reveal_names_the_agent(keys: Keys, audit_log: Path) -> None:
    desk = make_desk(agent="Dana, desk 2")
    with client_for(desk, keys) as c:
        c.post("/reveal", json={"q": "C10257", "n": 0, "id": "C10257"},
               headers={"X-CSRF-Token": keys.csrf})  # fmt: skip
    (entry,) = read_audit(audit_log)
    assert entry["agent"] == "Dana, desk 2"


def test_reveal_of_another_customer_than_shown_is_refused(
    client: TestClient, keys: Keys, audit_log: Path
) -> None:
    answer = client.post("/reveal", json={"q": "C10257", "n": 0, "id": "C99999"},
                         headers={"X-CSRF-Token": keys.csrf})  # fmt: skip
    assert answer.status_code == 409
    assert "look the customer up again" in answer.text
    assert read_audit(audit_log) == []


# --- a file changed on disk --------------------------------------------------------


def test_changed_file_is_reported_and_reloaded(tmp_path: Path, keys: Keys) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    desk = make_desk(folder / "recall.toml")
    before = desk.loaded.buckets["read"]
    with client_for(desk, keys) as c:
        assert c.get("/api/status").json()["changed"] == []
        late = folder / "us_returns_and_late.csv"
        lines = late.read_text(encoding="utf-8-sig").splitlines()
        late.write_text("\n".join([*lines, lines[-1]]) + "\n", encoding="utf-8-sig")
        assert c.get("/api/status").json()["changed"] == ["us_returns_and_late.csv"]
        assert "Changed on disk since the load: us_returns_and_late.csv" in c.get("/").text
        assert c.post("/api/reload").status_code == 403  # no CSRF token
        done = c.post("/api/reload", json={}, headers={"X-CSRF-Token": keys.csrf})
        assert done.status_code == 200
        assert done.json()["changed"] == []
    assert desk.loaded.buckets["read"] == before + 1


def test_failed_reload_keeps_the_data(tmp_path: Path, keys: Keys) -> None:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    desk = make_desk(folder / "recall.toml")
    loaded = desk.loaded
    (folder / "us_returns_and_late.csv").unlink()
    with client_for(desk, keys) as c:
        assert c.get("/api/status").json()["changed"] == ["us_returns_and_late.csv"]
        done = c.post("/api/reload", json={}, headers={"X-CSRF-Token": keys.csrf})
        assert done.status_code == 400
        assert done.text.startswith("Error: ")
        assert c.get("/api/check", params={"code": "B201575"}).status_code == 200
    assert desk.loaded is loaded


def test_other_commands_do_not_import_the_web_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, recall_cli.cli; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_recall_audit_lists_the_reveal(
    runner: CliRunner, desk: Desk, keys: Keys, audit_log: Path
) -> None:
    desk.agent = "Dana"
    try:
        with client_for(desk, keys) as c:
            c.post("/reveal", json={"q": "C10257", "n": 0, "id": "C10257"},
                   headers={"X-CSRF-Token": keys.csrf})  # fmt: skip
    finally:
        desk.agent = None
    listed = invoke(runner, "audit", "--format", "csv", "--audit-log", audit_log).stdout
    (row,) = [line for line in listed.splitlines() if ",serve," in line]
    assert ",reveal C10257," in row and " (Dana)," in row and ",browser" in row


# --- the command ----------------------------------------------------------------------


def test_a_taken_port_is_a_usage_error(runner: CliRunner) -> None:
    from recall_cli.serve.server import bind

    taken = bind()
    try:
        result = runner.invoke(cli, ["serve", "--recall", str(RECALL), "--port", str(taken.port)])
    finally:
        taken.sock.close()
    assert result.exit_code == 2
    assert f"Error: cannot listen on 127.0.0.1:{taken.port}" in result.stderr


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
     ("0.0.0.0", False), ("192.168.1.20", False)],
)  # fmt: skip
def test_only_loopback_is_local(host: str, local: bool) -> None:
    from recall_cli.serve import server

    assert server._loopback(host) is local
    names = server._names(host)
    assert {"127.0.0.1", "localhost", "::1"} <= set(names)
    if not server._wildcard(host):
        assert host in names


# --- the index a session builds gives the same answers ----------------------------------

QUERIES = ["martin", "Martin", "C10003", "c10003", "555-0101", "0101", "75011", "02134",
           "lisa.martin@example.com", "LISA.MARTIN@EXAMPLE.COM", "noël", "zz", "FR-10044",
           "06 49 02 68 78", "4902 6878", "1", ""]  # fmt: skip


def test_indexed_rows_answer_as_plain_rows(desk: Desk) -> None:
    from recall_cli.query.lookup import Classified, check_lot, customer_mask, find_customers

    indexed = desk.loaded.rows
    assert indexed.indexed
    plain = Classified(indexed.table, indexed.scope, indexed.buckets)
    assert not plain.indexed
    for query in QUERIES:
        assert (customer_mask(plain, query) == customer_mask(indexed, query)).all(), query
        if query.strip():
            assert find_customers(plain, query) == find_customers(indexed, query), query
    for lot in [*indexed.scope.lots, "B2O1575", "F200553", "ZZ99999", ""]:
        assert check_lot(plain, lot) == check_lot(indexed, lot), lot
    assert plain.data_lots() == indexed.data_lots()


def test_the_socket_says_tcp_so_asyncio_sets_nodelay() -> None:
    import socket

    from recall_cli.serve.server import bind

    bound = bind()
    try:
        assert bound.sock.proto == socket.IPPROTO_TCP
    finally:
        bound.sock.close()


def test_the_page_lists_the_first_matches_and_rows(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recall_cli.serve import web

    monkeypatch.setattr(web, "SHOWN_MATCHES", 2)
    monkeypatch.setattr(web, "SHOWN_ROWS", 3)
    page = client.get("/answer", params={"q": "martin"}).text
    assert page.count('<li class="match') == 2
    assert "16 customers match: the first 2 shown, affected first." in page
    page = client.get("/answer", params={"q": "check B201575", "rows": "1"}).text
    assert page.count('<tr class="b-') == 3
    assert "The first 3 of 27 rows, matched first." in page


def test_open_hands_the_url_to_the_browser(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > "{opened}"\n', encoding="utf-8")
    browser.chmod(0o700)
    env = {**os.environ, "BROWSER": str(browser), "RECALL_AUDIT_LOG": str(tmp_path / "a")}
    proc = subprocess.Popen([sys.executable, "-m", "recall_cli", "-q", "serve", "--open",
                             "--recall", str(RECALL)], stdout=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("recall serve: ")
        for _ in range(300):
            if opened.exists() and opened.read_text(encoding="utf-8").strip():
                break
            time.sleep(0.1)
        assert opened.read_text(encoding="utf-8").strip() == url
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


# --- copies: what the CLI says of files read once and lines in two files ----------------

COPY_HEADER = ["Order", "Lot", "Customer ID", "Ship Date", "Qty", "Country"]
JAN = [
    ["O1", "B201575", "C1", "2010-12-01", 40, "US"],
    ["O2", "B201575", "C2", "2010-12-02", 20, "US"],
]
FEB = [["O4", "B201575", "C4", "2010-12-20", 10, "US"]]
COPY_SCOPE = ("--lot", "B201575", "--from", "2010-11-30", "--to", "2011-01-04")


def _copies_desk(tmp_path: Path) -> tuple[Desk, list[Path]]:
    from .conftest import write_csv

    jan = write_csv(tmp_path / "jan.csv", [COPY_HEADER, *JAN])
    both = write_csv(tmp_path / "jan_feb.csv", [COPY_HEADER, *JAN, *FEB])
    again = tmp_path / "copy_of_jan.csv"
    shutil.copy(jan, again)
    paths = [jan, both, again]
    import datetime as dt

    desk = Desk(lambda: Request.from_options(
        paths=paths, lots=["B201575"], start=dt.date(2010, 11, 30), end=dt.date(2011, 1, 4),
        no_cache=True))  # fmt: skip
    desk.load()
    return desk, paths


def test_the_page_and_the_api_say_what_the_cli_says_of_copies(
    runner: CliRunner, tmp_path: Path, keys: Keys
) -> None:
    desk, paths = _copies_desk(tmp_path)
    both = paths[1]
    summary = invoke(runner, "-q", "summary", *paths, *COPY_SCOPE, "--no-cache", "--format",
                     "json")  # fmt: skip
    said = json.loads(summary.stdout)
    cli_line = invoke(runner, "summary", *paths, *COPY_SCOPE, "--no-cache").stderr.splitlines()[-1]
    with client_for(desk, keys) as c:
        page = c.get("/").text
        # The row line of `recall summary`, word for word, in amber: lines counted twice.
        assert f'<p class="rows doubt" id="rows-line">{html.escape(cli_line)}</p>' in page
        assert "copy_of_jan.csv are the same bytes, read once" in cli_line
        assert "POSSIBLE DOUBLE COUNTING: 2 lines (2 in the recall)" in cli_line
        from recall_cli.cli.support import _rows_summary

        assert _rows_summary(desk).plain == cli_line  # what `recall serve` prints at start
        status = c.get("/api/status").json()
        assert status["files_duplicate"] == said["files_duplicate"] != []
        assert status["lines_duplicate"] == said["lines_duplicate"] != []
        for kind, asked in (("check", "B201575"), ("customer", "C1")):
            cli = invoke(runner, "-q", kind, asked, *paths, *COPY_SCOPE, "--no-cache",
                         "--format", "json")  # fmt: skip
            api = c.get(f"/api/{kind}", params={"code" if kind == "check" else "q": asked})
            assert api.content == cli.stdout_bytes
            warning = json.loads(api.content)["double_counting"]["warning"]
            warned = invoke(runner, kind, asked, *paths, *COPY_SCOPE, "--no-cache").stderr
            assert f"warning: {warning}\n" in warned
            answer = c.get("/answer", params={"q": asked}).text
            assert (f'<p class="doubt" data-note="double-counting">{html.escape(warning)}</p>'
                    in answer)  # fmt: skip
    # Without copies: no note, and the line is green.
    alone = Desk(lambda: Request.from_options(paths=[both], lots=["B201575"], no_cache=True))
    alone.load()
    with client_for(alone, keys) as c:
        assert '<p class="rows ok" id="rows-line">' in c.get("/").text
        assert 'data-note="double-counting"' not in c.get("/answer", params={"q": "B201575"}).text
        assert c.get("/api/status").json()["lines_duplicate"] == []


# --- the audit log: who looked at which customers, when ---------------------------------


def _names(desk: Desk, query: str) -> list[str]:
    return [m["name"] for m in desk.customer(query).result.data["matches"]]


def test_every_answer_that_shows_customers_is_audited(
    runner: CliRunner, client: TestClient, desk: Desk, audit_log: Path
) -> None:
    cli = json.loads(invoke(runner, "-q", "customer", "martin", "--recall", RECALL, "--format",
                            "json").stdout)  # fmt: skip
    ids = [m["customer_id"] for m in cli["matches"]]
    assert len(ids) > 1
    assert client.get("/api/customer", params={"q": "martin"}).status_code == 200
    page = client.get("/answer", params={"q": "martin"})
    assert page.status_code == 200 and "Reveal contact details" in page.text
    rows = client.get("/api/check", params={"code": "B201575", "rows": "1"}).json()["rows"]
    shown_rows = client.get("/answer", params={"q": "B201575", "rows": "1"})
    assert shown_rows.status_code == 200
    # A lot's counts and a search that finds nobody show no customer: no line.
    assert client.get("/api/check", params={"code": "B201575"}).status_code == 200
    assert client.get("/answer", params={"q": "B201575"}).status_code == 200
    assert client.get("/api/customer", params={"q": "nobody at all"}).status_code == 200
    entries = [e for e in read_audit(audit_log) if e["command"] == "serve"]  # not the CLI's
    row_ids = list(dict.fromkeys(r["customer_id"] or "(no id)" for r in rows))
    assert [(e["kind"], e["output"], e["rows"], e["customer_ids"]) for e in entries] == [
        ("customer", "api", len(ids), ids),
        ("customer", "browser", len(ids), ids),
        ("check rows", "api", len(rows), row_ids),
        ("check rows", "browser", len(rows), row_ids),
    ]
    for e in entries:
        assert e["command"] == "serve" and e["user"] and e["time_utc"]
        assert e["scope"]["lots"] == list(desk.loaded.scope["lots"])
        assert {Path(i["path"]).name for i in e["inputs"]} >= {"us_shipments_2010.xlsx"}
    # Never the query typed, nor what was shown.
    line = audit_log.read_text(encoding="utf-8")
    assert "martin" not in line.lower()
    for name in _names(desk, "martin"):
        assert name not in line
    listed = invoke(runner, "audit", "--format", "csv", "--audit-log", audit_log).stdout
    assert f",customer {', '.join(ids)}," in listed.replace('"', "")


def test_the_page_lists_only_the_customers_it_shows(tmp_path: Path, keys: Keys) -> None:
    from recall_cli.serve import web

    desk = make_desk()
    log = tmp_path / "page.jsonl"
    desk.audit_log = log
    ids = [m["customer_id"] for m in desk.customer("martin").result.data["matches"]]
    shown = 2
    original = web.SHOWN_MATCHES
    web.SHOWN_MATCHES = shown
    try:
        with client_for(desk, keys) as c:
            assert c.get("/answer", params={"q": "martin"}).status_code == 200
    finally:
        web.SHOWN_MATCHES = original
    (entry,) = read_audit(log)
    assert entry["customer_ids"] == ids[:shown] and entry["rows"] == shown


def test_no_answer_with_customers_leaves_without_its_audit_line(tmp_path: Path, keys: Keys) -> None:
    desk = make_desk(agent="Dana")
    desk.audit_log = tmp_path / "a-folder"
    desk.audit_log.mkdir()  # not a file: the line cannot be written
    with client_for(desk, keys) as c:
        for url, params in (("/api/customer", {"q": "martin"}), ("/answer", {"q": "martin"}),
                            ("/api/check", {"code": "B201575", "rows": "1"})):  # fmt: skip
            got = c.get(url, params=params)
            assert got.status_code == 503, url
            assert got.text == (
                f"Error: {desk.audit_log}: the audit log cannot be written (Is a directory); "
                "nothing was shown (point --audit-log / RECALL_AUDIT_LOG at a regular file of "
                "your own)\n"
            )
            for name in _names(desk, "martin"):
                assert name not in got.text
        assert c.get("/api/check", params={"code": "B201575"}).status_code == 200  # no one named


def test_the_audit_line_of_a_search_names_the_agent(tmp_path: Path, keys: Keys) -> None:
    desk = make_desk(agent="Dana (desk 2)")
    desk.audit_log = tmp_path / "agent.jsonl"
    with client_for(desk, keys) as c:
        c.get("/api/customer", params={"q": "C10257"})
    (entry,) = read_audit(desk.audit_log)
    assert entry["agent"] == "Dana (desk 2)" and entry["customer_ids"] == ["C10257"]
    assert "customer_id" not in entry  # that key is a reveal's


def test_the_page_says_which_answers_wait_on_a_person(client: TestClient) -> None:
    # B201578 has shipments in review, and C10358's only one of it is one of them.
    lot = client.get("/answer", params={"q": "B201578"}).text
    assert "shipments of this lot need review" in lot
    customer = client.get("/answer", params={"q": "customer C10358"}).text
    assert 'data-verdict="needs_review"' in customer and "NEEDS REVIEW" in customer
    assert "us_returns_and_late.csv row 158, lot B201578: ship date unreadable" in customer
