"""A loopback HTTP server replaying recorded responses, with hooks for fault injection.

Routes are exact paths (query string included when given). A mounted directory serves
``<dir>/<path>``; for a path ending in ``/`` it serves ``<dir>/<path>index.json`` (Simple API JSON)
or ``index.html``. Everything it serves is recorded real data (see tests/fixtures/record.py).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[str, str, bytes], Reply | None]

_TYPES = {
    ".json": "application/json",
    ".metadata": "text/plain",
    ".html": "text/html",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".whl": "application/octet-stream",
}


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.mounts: list[tuple[str, Path]] = []
        self.handlers: list[Handler] = []
        self.requests: list[tuple[str, str]] = []
        self.latency = 0.0
        self.cache_control = "max-age=3600"
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((method, self.path))
                reply = server.lookup(method, self.path, body, self.headers.get("Accept", ""))
                if server.latency or reply.delay:
                    time.sleep(server.latency + reply.delay)
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                if reply.status == 200 and "Cache-Control" not in headers:
                    headers["Cache-Control"] = server.cache_control
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if method != "HEAD":
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(reply.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_POST(self) -> None:
                self._serve("POST")

        _Handler.disable_nagle_algorithm = True  # else each response stalls ~40 ms (Nagle + delayed ACK)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def mount(self, prefix: str, directory: Path) -> None:
        self.mounts.append((prefix, directory))

    def json(self, path: str, data: object, status: int = 200, **headers: str) -> None:
        self.routes[path] = Reply(
            status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )

    def lookup(self, method: str, path: str, body: bytes, accept: str) -> Reply:
        for handler in self.handlers:
            reply = handler(method, path, body)
            if reply is not None:
                return reply
        if path in self.routes:
            return self.routes[path]
        bare = path.split("?", 1)[0]
        if bare in self.routes:
            return self.routes[bare]
        for prefix, directory in self.mounts:
            if not bare.startswith(prefix):
                continue
            relative = bare[len(prefix) :].lstrip("/")
            candidates = [directory / relative]
            if bare.endswith("/") or not relative:
                candidates = [
                    directory / relative / "index.json",
                    directory / relative / "index.html",
                ]
            for candidate in candidates:
                resolved = candidate.resolve()
                if directory.resolve() in resolved.parents and resolved.is_file():
                    kind = _TYPES.get(resolved.suffix, "application/octet-stream")
                    if resolved.name == "index.json" and "/simple/" in bare:
                        kind = "application/vnd.pypi.simple.v1+json"
                    return Reply(200, resolved.read_bytes(), {"Content-Type": kind})
        return Reply(404, b'{"message": "Not Found"}', {"Content-Type": "application/json"})
