"""`recall serve`'s guards, one test each: token then cookie, Host, no CORS, CSP,
reveal by POST with CSRF only, no patient value in logs or error pages, 400 on bad input."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from recall_cli.serve.desk import Desk
from recall_cli.serve.web import Keys, make_app
from recall_cli.tasks.audit_log import read_audit
from recall_cli.tasks.support import customer_lookup

from .test_serve import PORT, RECALL, client_for, make_desk

ORIGIN = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def desk() -> Desk:
    return make_desk()


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.new(PORT, ("127.0.0.1", "localhost", "::1"))


@pytest.fixture
def anonymous(desk: Desk, keys: Keys) -> Iterator[TestClient]:
    """A client without the token."""
    with TestClient(make_app(desk, keys), base_url=ORIGIN, follow_redirects=False) as c:
        yield c


@pytest.fixture
def client(desk: Desk, keys: Keys) -> Iterator[TestClient]:
    with client_for(desk, keys) as c:
        yield c


@pytest.fixture(autouse=True)
def audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("RECALL_AUDIT_LOG", str(log))
    return log


def _patient_values(desk: Desk, query: str) -> list[str]:
    """A customer's name, email, phone and address, as in the data."""
    match = customer_lookup(desk.loaded.rows, query, reveal=True)["matches"][0]
    values = [match["name"], *match["contact"].values()]
    return [v for v in values if v and len(v) > 4]


# --- token, then cookie ----------------------------------------------------------------


def test_token_is_required_then_kept_in_a_cookie(anonymous: TestClient, keys: Keys) -> None:
    for path in ("/", "/api/check?code=B201575", "/api/status", "/static/desk.js"):
        refused = anonymous.get(path)
        assert refused.status_code == 403, path
        assert "needs the token" in refused.text
    assert anonymous.get("/", params={"token": "not-" + keys.token}).status_code == 403

    first = anonymous.get("/", params={"token": keys.token})
    assert first.status_code == 303
    assert first.headers["location"] == "/"  # the token leaves the address bar
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{keys.cookie}={keys.token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie

    # The client keeps the cookie it was given, and needs nothing else from then on.
    assert anonymous.get("/").status_code == 200
    assert anonymous.get("/api/check", params={"code": "B201575"}).status_code == 200
    anonymous.cookies.clear()
    anonymous.cookies.set(keys.cookie, "forged")
    assert anonymous.get("/").status_code == 403


def test_scripts_may_send_the_token_as_a_bearer(anonymous: TestClient, keys: Keys) -> None:
    ok = anonymous.get("/api/check", params={"code": "B201575"},
                       headers={"Authorization": f"Bearer {keys.token}"})  # fmt: skip
    assert ok.status_code == 200
    bad = anonymous.get("/api/check", params={"code": "B201575"},
                        headers={"Authorization": "Bearer wrong"})  # fmt: skip
    assert bad.status_code == 403


# --- Host header (DNS rebinding) --------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", f"127.0.0.1:{PORT + 1}", "127.0.0.1", ""]
)
def test_unexpected_host_header_is_refused(client: TestClient, host: str) -> None:
    answer = client.get("/api/check", params={"code": "B201575"}, headers={"Host": host})
    assert answer.status_code == 400
    assert "unexpected Host header" in answer.text
    assert "B201575" not in answer.text


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"])
def test_loopback_names_are_accepted(client: TestClient, host: str) -> None:
    assert client.get("/api/status", headers={"Host": host}).status_code == 200


# --- no CORS ---------------------------------------------------------------------------


def test_no_cors_and_other_sites_are_refused(client: TestClient) -> None:
    evil = {"Origin": "http://evil.example"}
    lot = {"code": "B201575"}
    preflight = {**evil, "Access-Control-Request-Method": "GET"}
    for answer in (
        client.get("/api/customer", params={"q": "martin"}, headers=evil),
        client.options("/api/customer", headers=preflight),
        client.get("/api/check", params=lot, headers={"Sec-Fetch-Site": "cross-site"}),
        client.get("/api/check", params=lot, headers={"Origin": ORIGIN}),
    ):
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    assert client.get("/api/customer", params={"q": "martin"}, headers=evil).status_code == 403
    cross = client.get(
        "/api/check", params={"code": "B2"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    same = client.get("/api/check", params={"code": "B201575"}, headers={"Origin": ORIGIN})
    assert same.status_code == 200


# --- Content-Security-Policy -------------------------------------------------------------


def test_strict_csp_and_no_inline_script(client: TestClient) -> None:
    pages = [client.get("/"), client.get("/answer", params={"q": "B201575"}),
             client.get("/answer", params={"q": "martin"}), client.get("/nowhere"),
             client.get("/static/desk.js")]  # fmt: skip
    for page in pages:
        csp = page.headers["content-security-policy"]
        policy = dict(part.strip().split(" ", 1) for part in csp.split(";"))
        assert policy["default-src"] == "'none'"
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
        assert "unsafe" not in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
    for page in pages[:3]:
        html = page.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # no inline script
        assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handler
        assert not re.search(r"\sstyle\s*=", html) and "<style" not in html
        assert "http://" not in html and "https://" not in html  # nothing from the internet


# --- reveal: POST with the CSRF token only ----------------------------------------------


def test_reveal_needs_post_and_the_csrf_token(
    client: TestClient, keys: Keys, audit_log: Path
) -> None:
    body = {"q": "C10257", "n": 0, "id": "C10257"}
    assert client.get("/reveal", params=body).status_code == 405
    assert client.post("/reveal", json=body).status_code == 403
    assert (
        client.post("/reveal", json=body, headers={"X-CSRF-Token": keys.token}).status_code == 403
    )
    form = client.post("/reveal", data={k: str(v) for k, v in body.items()},
                       headers={"X-CSRF-Token": keys.csrf})  # fmt: skip
    assert form.status_code == 415
    evil = client.post("/reveal", json=body, headers={"X-CSRF-Token": keys.csrf,
                                                      "Origin": "http://evil.example"})  # fmt: skip
    assert evil.status_code == 403
    assert read_audit(audit_log) == []
    done = client.post("/reveal", json=body, headers={"X-CSRF-Token": keys.csrf})
    assert done.status_code == 200
    assert len(read_audit(audit_log)) == 1


# --- no patient value in the access log or an error page ----------------------------------


def test_no_patient_value_in_the_access_log(
    client: TestClient, desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    values = _patient_values(desk, "C10257")
    with caplog.at_level(logging.INFO, logger="recall_cli.serve"):
        for value in values:
            client.get("/api/customer", params={"q": value})
            client.get("/answer", params={"q": value})
            client.get("/" + value)  # a path can be typed text too
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/customer 200" in logged and "GET (other path) 404" in logged
    for value in values:
        assert value not in logged


def test_no_patient_value_in_error_pages(
    client: TestClient,
    desk: Desk,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _patient_values(desk, "C10257")
    name = values[0]

    def broken(query: str) -> None:
        raise KeyError(f"no row for {query}")

    monkeypatch.setattr(desk, "customer", broken)
    with caplog.at_level(logging.INFO, logger="recall_cli.serve"):
        failed = client.get("/api/customer", params={"q": name})
        missing = client.get("/" + name)
        wrong = client.post("/" + name, json={"q": name})
    assert failed.status_code == 500
    assert failed.text == (
        "Error: internal error (KeyError); the server log has the same line, and no more\n"
    )
    assert (missing.status_code, wrong.status_code) == (404, 404)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "internal error (KeyError) on GET /api/customer" in logged
    for page in (failed.text, missing.text, wrong.text, logged):
        assert "Traceback" not in page
        for value in values:
            assert value not in page


def test_the_real_server_logs_no_query_string(tmp_path: Path) -> None:
    """uvicorn as `recall serve` runs it: its stderr has routes and statuses only."""
    env = {**os.environ, "RECALL_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "recall_cli", "serve", "--recall", str(RECALL)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("recall serve: ")
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{43}", url), url
        base, token = url.split("/?token=")
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            for _ in range(100):
                try:
                    http.get("/api/status")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert http.get("/api/customer", params={"q": "Lisa Martin"}).status_code == 200
            assert http.get("/answer", params={"q": "l.martin@example.com"}).status_code == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "GET /api/customer 200" in err
    for value in ("Lisa", "Martin", "martin@", "?q=", "token="):
        assert value not in err
    assert token not in err


# --- bad input: 400 and one plain line -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/check", {}),
        ("/api/check", {"code": "   "}),
        ("/api/check", {"code": "B" * 501}),
        ("/api/check", {"code": "(01)00312345678906(17)120630"}),  # no lot in the barcode
        ("/api/check", {"code": "(01)12345(10)"}),
        ("/api/customer", {}),
        ("/api/customer", {"q": "x" * 10_000}),
        ("/answer", {}),
        ("/answer", {"q": "B" * 501}),
    ],
)
def test_bad_input_gets_400_and_a_plain_message(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text.startswith("Error: ") and answer.text.count("\n") == 1
    assert "Traceback" not in answer.text


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"q": "C10257"}', b'{"q": "C10257", "n": "x", "id": "C10257"}'],
)
def test_bad_reveal_body_gets_400(
    client: TestClient, keys: Keys, body: bytes, audit_log: Path
) -> None:
    headers = {"X-CSRF-Token": keys.csrf, "Content-Type": "application/json"}
    answer = client.post("/reveal", content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.text.startswith("Error: ")
    assert read_audit(audit_log) == []


def test_websockets_are_refused(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/"):
        pass
    assert refused.value.code == 1008
