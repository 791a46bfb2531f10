"""A loopback HTTP server replaying recorded responses, with hooks for fault injection.

Routes are exact paths (query string included when given). A mounted directory serves
``<dir>/<path>``; for a path ending in ``/`` it serves ``<dir>/<path>index.json`` (Simple API JSON)
or ``index.html``. Everything it serves is recorded real data (see tests/fixtures/record.py).
A :class:`RangedFile` reply answers ``Range`` requests as real file hosts do, or breaks them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
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


@dataclass
class RangedFile(Reply):
    """A file served with ``Range`` support (RFC 9110 single ranges), or with it broken on purpose.

    ``size`` larger than the body makes a virtual file whose first ``size - len(body)`` bytes are
    zeros (never held in memory when only ranges are asked): a 2 GB wheel costs nothing to serve.
    ``mode``: ``honour`` (206), ``ignore`` (200, the whole file), ``shifted`` (a Content-Range one
    byte off what was asked) or ``wrong-total`` (a Content-Range with another file size).
    ``asked`` records each request's Range header (None: none) and ``sent`` the body bytes sent.
    """

    size: int | None = None
    mode: str = "honour"
    asked: list[str | None] = field(default_factory=list)
    sent: int = 0

    def __post_init__(self) -> None:
        if self.size is not None and self.size < len(self.body):
            raise ValueError(f"a file of {self.size} bytes cannot end with {len(self.body)}")

    @property
    def total(self) -> int:
        return len(self.body) if self.size is None else self.size

    def slice(self, start: int, stop: int) -> bytes:
        pad = self.total - len(self.body)
        zeros = max(0, min(stop, pad) - start)
        return bytes(zeros) + self.body[max(start - pad, 0) : max(stop - pad, 0)]

    def answer(self, header: str | None) -> Reply:
        self.asked.append(header)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", header or "")
        if match is None or self.mode == "ignore" or match.groups() == ("", ""):
            reply = Reply(200, self.slice(0, self.total), dict(self.headers))
        else:
            first, last = match.groups()
            if not first:
                start, stop = max(self.total - int(last), 0), self.total
            else:
                start, stop = int(first), self.total if not last else min(int(last) + 1, self.total)
            if start >= self.total:
                return Reply(416, b"", {"Content-Range": f"bytes */{self.total}"})
            shown = start + 1 if self.mode == "shifted" else start
            total = self.total + 1 if self.mode == "wrong-total" else self.total
            headers = {**self.headers, "Content-Range": f"bytes {shown}-{stop - 1}/{total}"}
            reply = Reply(206, self.slice(start, stop), headers)
        reply.headers.setdefault("Accept-Ranges", "bytes")
        self.sent += len(reply.body)
        return reply


def answer_ranges(reply: Reply, header: str | None) -> Reply:
    """What a server sends for ``reply`` to a request with this Range header (None: no header)."""
    return reply.answer(header) if isinstance(reply, RangedFile) else reply


Handler = Callable[[str, str, bytes], Reply | None]

_TYPES = {
    ".json": "application/json",
    ".metadata": "text/plain",
    ".html": "text/html",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".whl": "application/octet-stream",
}


class _QuietServer(ThreadingHTTPServer):
    """A client that drops a kept-alive connection (a run cancelling its last requests as it ends)
    is no server fault: socketserver printed its traceback into the stderr tests compare."""

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet for a connection the client reset or closed; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.mounts: list[tuple[str, Path]] = []
        self.handlers: list[Handler] = []
        self.requests: list[tuple[str, str]] = []
        self.latency = 0.0
        self.cache_control = "max-age=3600"
        self.etags = False  # True: every 200 carries an ETag, and a matching If-None-Match gets 304
        self.not_modified = 0  # 304s sent
        self.validated: list[str] = []  # paths asked with If-None-Match
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests being answered at one moment: concurrency, not timing
        self._counting = threading.Lock()
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
                reply = answer_ranges(reply, self.headers.get("Range"))
                if server.latency or reply.delay:
                    with server._counting:
                        server.in_flight += 1
                        server.most_in_flight = max(server.most_in_flight, server.in_flight)
                    try:
                        time.sleep(server.latency + reply.delay)
                    finally:
                        with server._counting:
                            server.in_flight -= 1
                if server.etags and reply.status == 200:
                    reply = server.revalidate(reply, self.path, self.headers.get("If-None-Match"))
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                if reply.status in {200, 304} and "Cache-Control" not in headers:
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
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def revalidate(self, reply: Reply, path: str, if_none_match: str | None) -> Reply:
        """As PyPI does: an ETag on the answer, 304 without a body when the client holds that one."""
        tag = '"' + hashlib.sha256(reply.body).hexdigest()[:32] + '"'
        if if_none_match is not None:
            self.validated.append(path)
        if if_none_match is not None and tag in {t.strip() for t in if_none_match.split(",")}:
            with self._counting:
                self.not_modified += 1
            return Reply(304, b"", {"ETag": tag})
        return Reply(reply.status, reply.body, {**reply.headers, "ETag": tag}, reply.delay)

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
