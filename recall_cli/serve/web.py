"""The web application of `recall serve`: one page, a JSON API, and the guards around them.

Every request passes :class:`Guard` first. It answers only to the Host names the
server was started for (a DNS-rebinding page gets 400), only with the token (from the
printed URL, then a cookie, or ``Authorization: Bearer``), and never to another site
(``Origin`` / ``Sec-Fetch-Site``). Every response gets a strict Content-Security-Policy
(scripts and styles from /static only: no inline script), ``no-store`` and no CORS
header. A POST also needs the CSRF token the page carries. The access log names the
method, the route and the status: never a query string, where patient names are.
An unexpected error is logged and answered by its type name only.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recall_cli.errors import ExportError, RecallError
from recall_cli.output.jsonout import dumps
from recall_cli.output.terminal import bucket_text
from recall_cli.output.writers import render
from recall_cli.query.reading import in_doubt
from recall_cli.read.names import file_labels, label_of
from recall_cli.serve.desk import Desk, StaleReveal
from recall_cli.tasks.reports import scope_line
from recall_cli.tasks.support import Answered
from recall_cli.version import __version__

__all__ = ["CSP", "Keys", "make_app"]

ACCESS_LOG = logging.getLogger("recall_cli.serve.access")
ERROR_LOG = logging.getLogger("recall_cli.serve")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_HERE = Path(__file__).parent
# A page lists this many provenance rows and customers; the API gives them all.
SHOWN_ROWS = 200
SHOWN_MATCHES = 50
ROUTES = ("/", "/answer", "/reveal", "/api/check", "/api/customer", "/api/status",
          "/api/reload")  # fmt: skip


@dataclass(frozen=True)
class Keys:
    """The secrets of one server run, and the addresses it answers to."""

    token: str
    csrf: str
    cookie: str  # named after the port: browsers share cookies across ports
    hosts: frozenset[str]  # accepted Host headers, with the port

    @classmethod
    def new(cls, port: int, names: tuple[str, ...]) -> Keys:
        hosts = frozenset(f"{_bracket(n)}:{port}" for n in names)
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                   f"recall_serve_{port}", hosts)  # fmt: skip

    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{h}" for h in self.hosts)


def _bracket(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


_BAD_HOST = (
    "Error: unexpected Host header; this server answers only at the address "
    "`recall serve` printed (DNS rebinding guard)"
)


def plain(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


# --- the guard ----------------------------------------------------------------------


class Guard:
    """Host, token, origin, security headers, the access log and the last-resort 500."""

    def __init__(self, app: ASGIApp, keys: Keys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # none is served: refused before any check
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if not k.lower().startswith(b"access-control-")]  # fmt: skip
                message = {**message, "headers": [*headers, *_HEADERS]}
            await send(message)

        try:
            refused = self.refuse(scope)
            await (refused or self.app)(scope, receive, send_secured)
        except Exception as exc:
            # The message of an unexpected error may quote a cell or a query: type only.
            ERROR_LOG.error("internal error (%s) on %s %s", type(exc).__name__,
                            scope["method"], _route(scope))  # fmt: skip
            if not status:
                await _internal_error(exc)(scope, receive, send_secured)
        finally:
            ms = (time.perf_counter() - started) * 1000
            if not (scope["path"] == "/api/status" and status == 200):  # the page's poll
                ACCESS_LOG.info("%s %s %s %.1f ms", scope["method"], _route(scope), status, ms)

    def refuse(self, scope: Scope) -> Response | None:
        """The answer to a request that may not go on, or None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}  # fmt: skip
        if headers.get("host", "").lower() not in self.keys.hosts:
            return plain(400, _BAD_HOST)
        origin = headers.get("origin")
        if (origin is not None and origin not in self.keys.origins()) or headers.get(
            "sec-fetch-site"
        ) == "cross-site":
            return plain(403, "Error: requests from other sites are refused")
        if self._has_token(headers):
            return None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if hmac.compare_digest(query.get("token", ""), self.keys.token):
            if scope["method"] == "GET" and scope["path"] == "/":
                # Into a cookie, and out of the address bar and the browser's history.
                rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
                answer = RedirectResponse("/" + (f"?{rest}" if rest else ""), status_code=303)
                answer.set_cookie(self.keys.cookie, self.keys.token, httponly=True,
                                  samesite="strict", path="/")  # fmt: skip
                return answer
            return None
        return plain(403, "Error: this needs the token: open the address `recall serve` "
                          "printed (…/?token=…)")  # fmt: skip

    def _has_token(self, headers: dict[str, str]) -> bool:
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is no token
            return False
        given = cookies[self.keys.cookie].value if self.keys.cookie in cookies else ""
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        return bool(given) and hmac.compare_digest(given, self.keys.token)


def _internal_error(exc: BaseException) -> Response:
    return plain(500, f"Error: internal error ({type(exc).__name__}); the server log has "
                      "the same line, and no more")  # fmt: skip


async def _on_error(request: Request, exc: Exception) -> Response:
    """Starlette's last-resort page, in our words (the Guard logs the error)."""
    return _internal_error(exc)


def _route(scope: Scope) -> str:
    """The path for the log: one of ours, or a placeholder (a path may be typed text)."""
    path = scope.get("path", "")
    return path if path in ROUTES or path.startswith("/static/") else "(other path)"


# --- pages and API ---------------------------------------------------------------


def _character(ch: str) -> str:
    if ch.isascii() and ch.isdigit():
        return f"digit {ch}"
    if ch.isascii() and ch.isalpha():
        return f"letter {ch}"
    return f"{ch} ({unicodedata.name(ch, f'U+{ord(ch):04X}')})"


def differences(lot: str, near: str) -> list[str]:
    """Where a look-alike differs from the recalled lot, said in words: on screen O
    and 0 (or a Cyrillic О) look the same, which is the whole problem."""
    if len(lot) != len(near):
        return []
    return [f"character {i}: {_character(a)} here, {_character(b)} in {near}"
            for i, (a, b) in enumerate(zip(lot, near, strict=True), start=1) if a != b]  # fmt: skip


def marked(lot: str, near: str) -> list[tuple[str, bool]]:
    """Each character of the lot, and whether it differs from the recalled lot's."""
    if len(lot) != len(near):
        return [(ch, False) for ch in lot]
    return [(a, a != b) for a, b in zip(lot, near, strict=True)]


@jinja2.pass_context
def _label(context: jinja2.runtime.Context, path: str) -> str:
    """A file as the page names it: see read.names (two sites' `shipments.csv`)."""
    return label_of(path, context.get("file_labels") or {})


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["n"] = lambda v: "unknown" if v is None else f"{v:,}"
    env.filters["base"] = _label
    env.filters["differences"] = differences
    env.filters["marked"] = marked
    return env


class _Endpoints:
    """The routes' handlers: each reads its parameters, asks the desk, answers."""

    def __init__(self, desk: Desk, keys: Keys) -> None:
        self.desk = desk
        self.keys = keys
        self.env = _templates()

    def html(self, name: str, **context: Any) -> HTMLResponse:
        labels = file_labels(f.path for f in self.desk.loaded.files)
        return HTMLResponse(self.env.get_template(name).render(file_labels=labels, **context))

    async def page(self, request: Request) -> Response:
        return self.html("page.html", **_page_context(self.desk, self.keys))

    async def answer(self, request: Request) -> Response:
        text = _param(request, "q", "type a lot, scan a barcode, or type a customer")
        if isinstance(text, Response):
            return text
        rows = request.query_params.get("rows") == "1"
        asked = await _call(self.desk.ask, text, show_rows=rows)
        if isinstance(asked, Response):
            return asked
        # The customers the page will show are written to the audit log first.
        if asked.kind == "customer" and asked.customer is not None:
            refused = await _audited(self.desk, "customer", asked.customer, "browser",
                                     SHOWN_MATCHES)  # fmt: skip
        elif asked.kind == "lot" and asked.check is not None:
            refused = await _audited(self.desk, "check rows", asked.check, "browser", SHOWN_ROWS)
        else:
            refused = None
        if refused is not None:
            return refused
        return self.html("answer.html", asked=asked, shown_rows=SHOWN_ROWS,
                         shown_matches=SHOWN_MATCHES)  # fmt: skip

    async def api_check(self, request: Request) -> Response:
        code = _param(request, "code", "give the lot or barcode as ?code=")
        if isinstance(code, Response):
            return code
        rows = request.query_params.get("rows") == "1"
        found = await _call(self.desk.check, code, show_rows=rows)
        if isinstance(found, Response):
            return found
        return await _audited(self.desk, "check rows", found, "api") or _json_answer(found)

    async def api_customer(self, request: Request) -> Response:
        query = _param(request, "q", "give the customer id, email, phone digits, postal code "
                                      "or name as ?q=")  # fmt: skip
        if isinstance(query, Response):
            return query
        found = await _call(self.desk.customer, query)
        if isinstance(found, Response):
            return found
        return await _audited(self.desk, "customer", found, "api") or _json_answer(found)

    async def api_status(self, request: Request) -> Response:
        return _json(_status(self.desk))

    async def reveal(self, request: Request) -> Response:
        body = await _posted(request, self.keys)
        if isinstance(body, Response):
            return body
        try:
            query, index, customer_id = str(body["q"]), int(body["n"]), str(body["id"])
        except (KeyError, TypeError, ValueError):
            return plain(400, "Error: a reveal needs q, n and id")
        contact = await _call(self.desk.reveal, query, index, customer_id)
        if isinstance(contact, Response):
            return contact
        return self.html("contact.html", contact=contact)

    async def reload(self, request: Request) -> Response:
        body = await _posted(request, self.keys)
        if isinstance(body, Response):
            return body
        done = await _call(self.desk.load)
        return done if isinstance(done, Response) else _json(_status(self.desk))


def make_app(desk: Desk, keys: Keys) -> ASGIApp:
    """The ASGI application: routes behind the Guard."""
    e = _Endpoints(desk, keys)
    routes = [
        Route("/", e.page),
        Route("/answer", e.answer),
        Route("/reveal", e.reveal, methods=["POST"]),
        Route("/api/check", e.api_check),
        Route("/api/customer", e.api_customer),
        Route("/api/status", e.api_status),
        Route("/api/reload", e.reload, methods=["POST"]),
        Mount("/static", StaticFiles(directory=_HERE / "static")),
    ]
    return Guard(Starlette(routes=routes, exception_handlers={Exception: _on_error}), keys)


async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a desk call in a worker thread; a RecallError becomes a plain 4xx."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except StaleReveal as exc:
        return plain(409, f"Error: {exc}")
    except ExportError as exc:  # the audit log cannot be written: nothing is revealed
        return plain(503, f"Error: {exc}")
    except RecallError as exc:
        answer = plain(400, f"Error: {exc}")
        answer.headers["x-recall-exit-status"] = str(exc.exit_code)
        return answer


def seen(found: Answered, limit: int | None = None) -> tuple[list[str], int]:
    """The customer ids an answer shows (the first `limit` matches or rows, as the page
    draws them), and how many matches or rows that is. A lot's counts name nobody:
    only its rows (`rows=1`) do."""
    data = found.result.data
    if found.result.kind == "customer":
        shown = data["matches"][:limit]
    else:
        shown = (data.get("rows") or [])[:limit]
    ids = dict.fromkeys(str(r.get("customer_id") or "(no id)") for r in shown)
    return list(ids), len(shown)


async def _audited(
    desk: Desk, kind: str, found: Answered, output: str, limit: int | None = None
) -> Response | None:
    """Write the audit line of an answer that shows customers; a Response (503) when it
    cannot be written, and then the answer is not given."""
    ids, rows = seen(found, limit)
    if not ids:
        return None
    done = await _call(desk.record_seen, kind, ids, output, rows)
    return done if isinstance(done, Response) else None


async def _posted(request: Request, keys: Keys) -> dict[str, Any] | Response:
    """A POST's JSON body, once its CSRF token is checked."""
    if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), keys.csrf):
        return plain(403, "Error: this needs the page's CSRF token")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return plain(415, "Error: send JSON")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return plain(400, "Error: the body is not JSON")
    return body if isinstance(body, dict) else plain(400, "Error: the body is not an object")


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json")


def _json_answer(found: Any) -> Response:
    """The bytes `--format json` prints, and the exit status the command gives."""
    answer = Response(render(found.result, "json").data, media_type="application/json")
    answer.headers["x-recall-exit-status"] = str(found.status)
    return answer


def _status(desk: Desk) -> dict[str, Any]:
    loaded = desk.loaded
    labels = file_labels(f.path for f in loaded.files)
    return {
        "loaded_at": loaded.loaded_at,
        "reloading": desk.reloading,
        "files": [{"file": labels[f.path], "modified": f.mtime} for f in loaded.files],
        "changed": [label_of(f.path, labels) for f in desk.changed()],
        # As in `recall summary --format json`: inputs read once, lines in two files.
        "files_duplicate": loaded.files_duplicate,
        "lines_duplicate": loaded.lines_duplicate,
    }


def _page_context(desk: Desk, keys: Keys) -> dict[str, Any]:
    loaded = desk.loaded
    line, ok = bucket_text(loaded.buckets, loaded.not_read, loaded.files_duplicate,
                           loaded.lines_duplicate)  # fmt: skip
    labels = file_labels(f.path for f in loaded.files)
    return {
        "scope": loaded.scope,
        "scope_line": scope_line(loaded.scope),
        "files": loaded.files,
        "rows_line": line,
        "accounted": ok,
        "in_doubt": in_doubt(loaded.lines_duplicate),  # lines counted twice: amber, as the CLI
        "loaded_at": loaded.loaded_at,
        "warnings": loaded.warnings,
        "changed": [label_of(f.path, labels) for f in desk.changed()],
        "csrf": keys.csrf,
        "version": __version__,
    }


def _param(request: Request, name: str, missing: str) -> str | Response:
    """A query parameter that must not be blank; else a 400 saying what to give."""
    value = request.query_params.get(name, "")
    return value if value.strip() else plain(400, f"Error: {missing}")
