"""The recorded Simple pages served as a PEP 740 index would serve them (hand-made change, named as such).

The pages under tests/fixtures/pypi/simple were recorded from an index of Simple API 1.1, before PEP
740: read as they are, every package's provenance is unknown. Tests that need a known provenance serve
them at API 1.4 with a ``provenance`` value per file, which ``provenance`` chooses (a URL, or None for
"this file has none", as PyPI says of files uploaded before attestations existed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.support.server import ReplayServer, Reply

RECORDED = Path(__file__).parents[1] / "fixtures" / "pypi" / "simple"


def serve_pep740_pages(server: ReplayServer, provenance: Callable[[str, str], str | None]) -> None:
    """Answer ``/simple/<project>/`` from its recorded page at API 1.4, each file's ``provenance`` given."""

    def handler(_method: str, path: str, _body: bytes) -> Reply | None:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or parts[0] != "simple":
            return None
        recorded = RECORDED / parts[1] / "index.json"
        if not recorded.is_file():
            return None
        page = json.loads(recorded.read_text())
        page["meta"]["api-version"] = "1.4"
        for entry in page["files"]:
            entry["provenance"] = provenance(parts[1], entry["filename"])
        body = json.dumps(page).encode()
        return Reply(200, body, {"Content-Type": "application/vnd.pypi.simple.v1+json"})

    server.handlers.append(handler)
