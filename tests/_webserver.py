"""A local HTTP server for the fetch, feed and watch tests: 127.0.0.1 only, never the internet.

Routes map a path to a `Route` (status, headers, body) or to a function of the handler; every request
is recorded with its Host header, path and monotonic time, so tests can check politeness.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "data" / "web_fixtures"


@dataclass
class Route:
    """A canned response."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class Hit:
    """One request the server received."""

    host: str
    path: str
    at: float  # time.monotonic()
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up (the size-cap test, a killed watcher) are expected: no tracebacks."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """A threaded http.server on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: list[Hit] = []
        self.sent: dict[str, int] = {}  # path -> body bytes actually written
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.hits.append(Hit(self.headers.get("Host", ""), self.path, time.monotonic(),
                                           {k.lower(): v for k, v in self.headers.items()}))
                    route = server.routes.get(self.path)
                if route is None:
                    route = Route(b"not found", 404, {"Content-Type": "text/plain"})
                if callable(route):
                    route(self)
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of a path on this server (host 'localhost' counts as a second host)."""
        return f"http://{host}:{self.port}{path}"

    def page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
             status: int = 200, **headers: str) -> None:
        """Serve `body` at `path`."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, status, {"Content-Type": content_type, **headers})

    def hits_for(self, path: str) -> list[Hit]:
        """The requests for one path."""
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serve() -> Iterator[LocalServer]:
    """A running LocalServer for the length of a with-block."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


def article_html(title: str, paragraphs: list[str], *, published: str = "", outlet: str = "") -> str:
    """A small article page in the shape news sites use (fictional text only)."""
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    site = f'<meta property="og:site_name" content="{outlet}">' if outlet else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title>{meta}{site}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>Contact us</footer></body></html>")
