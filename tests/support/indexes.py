"""Two hand-made indexes on loopback for the internal-package tests (not recorded data: named as such).

``HtmlIndex`` is an internal index as devpi, pypiserver or a static directory serves it: PEP 503
HTML pages only, hashes in URL fragments, no upload times. ``PublicLog`` watches the "public"
server: every path and every request body (OSV's querybatch carries names in its body).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.resolve.support import metadata_text, wheel_bytes
from tests.support.server import RangedFile, ReplayServer, Reply


class HtmlIndex:
    """PEP 503 pages under ``/internal/simple/`` and files under ``/internal/files/`` of ``server``."""

    def __init__(self, server: ReplayServer, prefix: str = "/internal") -> None:
        self.server = server
        self.prefix = prefix
        self.anchors: dict[str, list[str]] = {}

    @property
    def url(self) -> str:
        return f"{self.server.url}{self.prefix}/simple/"

    def wheel(
        self, project: str, version: str, requires: Sequence[str] = (), *, yanked: str | None = None
    ) -> str:
        """Serve a wheel of ``project`` (its METADATA read by range requests); returns its sha256."""
        dist = project.replace("-", "_")
        body = wheel_bytes(dist, version, metadata_text(project, version, requires))
        filename = f"{dist}-{version}-py3-none-any.whl"
        path = f"{self.prefix}/files/{filename}"
        self.server.routes[path] = RangedFile(200, body, {"Content-Type": "application/octet-stream"})
        digest = hashlib.sha256(body).hexdigest()
        attributes = ' data-requires-python="&gt;=3.8"'
        if yanked is not None:
            attributes += f' data-yanked="{html.escape(yanked)}"'
        self.anchors.setdefault(project, []).append(
            f'<a href="../../files/{filename}#sha256={digest}"{attributes}>{filename}</a><br/>'
        )
        page = "<!DOCTYPE html><html><body>\n" + "\n".join(self.anchors[project]) + "\n</body></html>\n"
        self.server.routes[f"{self.prefix}/simple/{project}/"] = Reply(
            200, page.encode(), {"Content-Type": "text/html"}
        )
        return digest


@dataclass
class PublicLog:
    """Everything the public server was asked: request paths and bodies, for a leak check."""

    server: ReplayServer
    bodies: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        def record(_method: str, _path: str, body: bytes) -> Reply | None:
            if body:
                self.bodies.append(body)
            return None

        self.server.handlers.insert(0, record)

    def mentions(self, *names: str) -> list[str]:
        """Every request (path or body) naming one of ``names`` in any PEP 503 spelling."""
        spellings = {
            spelling for name in names for spelling in (name, name.replace("-", "_"), name.replace("-", "."))
        }
        texts = [path for _method, path in self.server.requests] + [
            b.decode("utf-8", "replace") for b in self.bodies
        ]
        return [text for text in texts if any(spelling in text.lower() for spelling in spellings)]
