"""``supplychain audit`` against an index that serves only PEP 503 HTML, as devpi, Artifactory,
pypiserver or a static directory do: it resolves and audits instead of stopping at "not valid JSON".

The page is PyPI's real HTML page for six (tests/fixtures/net/record.py) with its file host moved to
loopback; the wheel is six 1.17.0's real wheel (tests/fixtures/net/README.md), served whole as a
static file server does (no ranges), so its sha256 is checked against the page's. Whatever the
client asks for in ``Accept``, this index answers ``text/html``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli import audit as audit_cli
from supplychain.clock import FixedClock
from tests.policy.recorded import FETCHED
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer, Reply
from tests.test_audit_cli import run

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "net" / "simple" / "six" / "index.html"
SIX_WHEEL = FIXTURES / "net" / "six-1.17.0-py2.py3-none-any.whl"
FILES_HOST = "https://files.pythonhosted.org/"


@pytest.fixture
def html_index(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The HTML-only index's URL, with a requirements file asking for six."""
    url = serve_html_index(server, monkeypatch, tmp_path)
    (tmp_path / "requirements.txt").write_text("six>=1.16\n")
    return url


def serve_html_index(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The HTML-only index's URL; PyPI's JSON API, Integrity API and OSV answer from the same server."""

    def html_only(method: str, path: str, body: bytes) -> Reply | None:
        if path == "/internal/simple/six/":
            html = PAGE.read_text().replace(FILES_HOST, f"{server.url}/files/")
            return Reply(200, html.encode(), {"Content-Type": "text/html"})
        if path.startswith("/internal/simple/"):
            return Reply(404, b"<html>not found</html>", {"Content-Type": "text/html"})
        if path.startswith("/files/") and path.endswith("/" + SIX_WHEEL.name):
            return Reply(200, SIX_WHEEL.read_bytes(), {"Content-Type": "application/octet-stream"})
        return None

    server.handlers.append(html_only)
    server.mount("/", PYPI_FIXTURES)
    OsvApi([]).install(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.setattr(audit_cli, "clock_factory", lambda: FixedClock(FETCHED))
    monkeypatch.chdir(tmp_path)
    return f"{server.url}/internal/simple/"


def test_resolve_and_audit_against_an_html_only_index(
    html_index: str, server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["audit", "requirements.txt", "--index-url", html_index, "--policy", "sl1", "--format", "json"]
    code, out, err = run(args, capsys)
    assert "not valid JSON" not in out + err  # before: exit 3, "response is not valid JSON"
    assert code in {0, 1}, out + err
    (six,) = json.loads(out)["packages"]
    assert (six["name"], six["version"]) == ("six", "1.17.0")  # the newest of the page's versions
    assert {k: v for k, v in six["origin"].items() if k != "hashes"} == {"kind": "index", "url": html_index}
    assert all(h.startswith("sha256:") for h in six["origin"]["hashes"])  # the index's own digests
    facts = six["facts"]
    assert facts["has_wheel"]["value"] is True
    assert facts["index"]["value"] == html_index
    assert "does not state its API version" in facts["project_status"]["unknown"]
    wheel = "/files/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/"
    assert ("GET", wheel + "six-1.17.0-py2.py3-none-any.whl") in server.requests  # METADATA from the wheel
