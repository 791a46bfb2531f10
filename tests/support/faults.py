"""Network faults for end-to-end tests: a replay server that can also stream, and a catalogue of faults.

``FaultServer`` is a :class:`~tests.support.server.ReplayServer` (same routes, mounts and handlers)
whose handler also understands :class:`StreamReply`: headers first, then the body in timed chunks,
optionally without a Content-Length (read until close). That is what a slow body or an unbounded
body needs; every other fault is an ordinary :class:`Reply` from a handler. ``RecordingServer``
listens on another loopback address (127.0.0.2) and records what reaches it, so a test can prove a
redirect to another host was never followed and no credential was sent there.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.server import ReplayServer, Reply, answer_ranges


@dataclass
class StreamReply(Reply):
    """A body sent as ``chunks`` with ``interval`` seconds between them (after the headers)."""

    chunks: list[bytes] = field(default_factory=list)
    interval: float = 0.0
    declare_length: bool = True


class FaultServer(ReplayServer):
    """A ReplayServer whose replies may also be streamed (slow bodies, unbounded bodies)."""

    def __init__(self) -> None:
        super().__init__()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                return None

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((method, self.path))
                server.headers_seen.append(dict(self.headers.items()))
                reply = server.lookup(method, self.path, body, self.headers.get("Accept", ""))
                reply = answer_ranges(reply, self.headers.get("Range"))
                if server.latency or reply.delay:
                    time.sleep(server.latency + reply.delay)
                chunks = reply.chunks if isinstance(reply, StreamReply) else [reply.body]
                headers = dict(reply.headers)
                if reply.status == 200:  # as ReplayServer does: healthy answers are cacheable
                    headers.setdefault("Cache-Control", server.cache_control)
                if not isinstance(reply, StreamReply) or reply.declare_length:
                    headers.setdefault("Content-Length", str(sum(len(c) for c in chunks)))
                else:
                    headers["Connection"] = "close"  # no length: the body ends when the socket closes
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if method == "HEAD":
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        if isinstance(reply, StreamReply) and reply.interval:
                            time.sleep(reply.interval)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_POST(self) -> None:
                self._serve("POST")

        self.headers_seen: list[dict[str, str]] = []
        self.httpd.RequestHandlerClass = _Handler
        # A client dropping a faulty response mid-way is the point here, not a server error to print.
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        # Shut down in milliseconds rather than serve_forever's default half-second poll.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def fault(self, prefix: str, reply: Callable[[], Reply]) -> list[str]:
        """Answer every request whose path starts with ``prefix`` with ``reply()``; returns the hits."""
        hits: list[str] = []

        def handler(method: str, path: str, body: bytes) -> Reply | None:
            if not path.startswith(prefix):
                return None
            hits.append(path)
            return reply()

        self.handlers.insert(0, handler)
        return hits


class RecordingServer:
    """Answers 200 ``{}`` on 127.0.0.2 and records each request's path and headers."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        seen: list[tuple[str, dict[str, str]]] = []
        self.seen = seen

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                seen.append((self.path, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextlib.contextmanager
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
