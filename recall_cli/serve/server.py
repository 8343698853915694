"""Bind the socket and run uvicorn for `recall serve`.

The socket is bound here, before uvicorn starts, so the URL (with its port and token)
is known and printed first, and a free port is picked by the kernel (port 0). uvicorn's
own access log is off: web.Guard logs each request without its query string.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

from recall_cli.errors import UsageError
from recall_cli.serve.desk import Desk
from recall_cli.serve.web import Keys, make_app

__all__ = ["LOCAL", "Bound", "bind", "run"]

LOCAL = "127.0.0.1"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Bound:
    sock: socket.socket
    host: str
    port: int
    keys: Keys

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if _wildcard(self.host) else self.host
        return f"http://{_url_host(shown)}:{self.port}/?token={self.keys.token}"

    @property
    def local_only(self) -> bool:
        return _loopback(self.host)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _names(host: str) -> tuple[str, ...]:
    """The Host header names to accept: loopback names, and what --host names."""
    names = list(_LOOPBACK_NAMES)
    if _wildcard(host):
        fqdn = socket.getfqdn()
        names += [socket.gethostname(), fqdn]
        with contextlib.suppress(OSError):
            names += [str(info[4][0]) for info in socket.getaddrinfo(fqdn, None)]
    elif host not in names:
        names.append(host)
    return tuple(dict.fromkeys(n.lower() for n in names if n))


def bind(host: str = LOCAL, port: int = 0) -> Bound:
    """A listening socket on host:port (0: a free port); UsageError if it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so,
    # and without it a kept-alive browser connection waits ~40 ms (Nagle, delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pick another --port, or leave it out for a free one",
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    return Bound(sock, host, real_port, Keys.new(real_port, _names(host)))


def _log_requests(quiet: bool) -> None:
    """The guard's access and error lines on stderr: method, route, status, time."""
    for name in ("recall_cli.serve.access", "recall_cli.serve"):
        log = logging.getLogger(name)
        log.handlers[:] = []
        if not quiet:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
            log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def run(desk: Desk, bound: Bound, *, open_browser: bool = False, quiet: bool = False,
        ready: Callable[[], None] | None = None) -> None:  # fmt: skip
    """Serve until Ctrl-C (or SIGTERM). ``ready`` is called once requests are answered."""
    import uvicorn

    _log_requests(quiet)
    config = uvicorn.Config(
        make_app(desk, bound.keys),
        log_level="warning",
        access_log=False,  # it would print query strings: patient names
        server_header=False,
        date_header=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    def when_started() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            if ready is not None:
                ready()
            if open_browser:
                webbrowser.open(bound.url)

    threading.Thread(target=when_started, daemon=True).start()
    server.run(sockets=[bound.sock])
