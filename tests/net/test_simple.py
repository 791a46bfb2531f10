"""The Simple API page parser: PEP 503 HTML (a recorded real page and hand-made cases), PEP 691 JSON,
and content negotiation as pip does it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.errors import MalformedResponse
from supplychain.net.http import FetchedResponse, HttpSettings, build_http
from supplychain.net.simple import (
    ACCEPT,
    DistributionFile,
    ProjectStatus,
    fetch_page,
    parse_html_page,
    parse_json_page,
    parse_response,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
SIX_HTML = FIXTURES / "net" / "simple" / "six" / "index.html"  # recorded, see tests/fixtures/net/record.py
SIX_JSON = FIXTURES / "pypi" / "simple" / "six" / "index.json"  # recorded, see tests/fixtures/pypi/record.py
PAGE = "https://pypi.org/simple/six/"
FILES = "https://files.pythonhosted.org/packages"
SIX = canonicalize_name("six")


def response(body: bytes, content_type: str | None) -> FetchedResponse:
    headers = {} if content_type is None else {"content-type": content_type}
    return FetchedResponse(url=PAGE, status=200, headers=headers, content=body, from_cache=False)


def test_the_recorded_html_page_gives_every_file_with_its_attributes() -> None:
    page = parse_html_page(SIX_HTML.read_text(), PAGE)
    assert (page.api_version, page.status) == (None, None)  # PyPI's HTML states neither
    assert [f.filename for f in page.files] == [
        "six-1.0b1.tar.gz",
        "six-1.12.0-py2.py3-none-any.whl",
        "six-1.12.0.tar.gz",
        "six-1.16.0.tar.gz",
        "six-1.16.0-py2.py3-none-any.whl",
        "six-1.17.0.tar.gz",
        "six-1.17.0-py2.py3-none-any.whl",
    ]
    wheel = page.files_of(SIX, Version("1.17.0"))[1]
    assert wheel == DistributionFile(
        filename="six-1.17.0-py2.py3-none-any.whl",
        url=f"{FILES}/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/"
        "six-1.17.0-py2.py3-none-any.whl",  # the #sha256= fragment is a hash, not part of the URL
        hashes=(("sha256", "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"),),
        requires_python="!=3.0.*,!=3.1.*,!=3.2.*,>=2.7",  # served as &gt;=2.7
        yanked=False,
        yanked_reason=None,
        upload_time=None,
        size=None,
        core_metadata=False,
        core_metadata_hashes=(),
        provenance_listed=False,
        provenance=None,
    )
    assert page.files[1].requires_python == ">=2.6, !=3.0.*, !=3.1.*"
    assert page.files[0].requires_python is None


def test_the_html_and_json_pages_of_one_project_agree_on_what_both_state() -> None:
    """Same files, URLs, hashes and Python bounds whichever format the index chose."""
    html = parse_html_page(SIX_HTML.read_text(), PAGE)
    data = json.loads(SIX_JSON.read_text())
    from_json = parse_json_page(data, PAGE, version=Version("1.17.0"))
    assert from_json.api_version is not None
    for file in from_json.files_of(SIX, Version("1.17.0")):
        twin = next(f for f in html.files if f.filename == file.filename)
        assert (twin.url, twin.requires_python, twin.yanked) == (file.url, file.requires_python, file.yanked)
        assert set(twin.hashes) <= set(file.hashes)


HAND_MADE = """<!DOCTYPE html>
<html><head>
<meta name="pypi:repository-version" content="1.4">
<meta name="pypi:project-status" content="archived">
<meta name="pypi:project-status-reason" content="moved to acme-tools">
<title>Links for acme</title></head>
<body>
<a href="../">../</a>
<a>no href</a>
<a href="acme-1.0.tar.gz#sha256=ABCDEF" data-requires-python="&gt;=3.8,&lt;4">acme-1.0.tar.gz</a>
<a href="/files/acme-1.1-py3-none-any.whl#md5=00ff" data-yanked="broken build"
   data-core-metadata="sha256=BEEF" data-provenance="/integrity/acme/1.1/p">acme-1.1-py3-none-any.whl</a>
<a href="https://elsewhere.example/acme-1.2-py3-none-any.whl" data-yanked
   data-dist-info-metadata="true">acme-1.2-py3-none-any.whl</a>
<a href="acme-1.3.tar.gz#not-a-hash" data-core-metadata="false">acme-1.3.tar.gz</a>
</body></html>
"""


def test_hand_made_html_attributes_relative_urls_and_meta_tags() -> None:
    page = parse_html_page(HAND_MADE, "https://user:tok@devpi.example/root/pypi/+simple/acme/")
    assert page.api_version == (1, 4)
    assert page.status == ProjectStatus(status="archived", reason="moved to acme-tools")
    first, second, third, fourth = page.files  # "../" and the anchor without href name no file
    assert first.url == "https://user:tok@devpi.example/root/pypi/+simple/acme/acme-1.0.tar.gz"
    assert first.hashes == (("sha256", "abcdef"),)
    assert first.requires_python == ">=3.8,<4"
    # API 1.4: an anchor without data-provenance states the file has none (HTML cannot say null)
    assert (first.yanked, first.core_metadata, first.provenance_listed, first.provenance) == (
        False,
        False,
        True,
        None,
    )
    assert second.url == "https://user:tok@devpi.example/files/acme-1.1-py3-none-any.whl"
    assert (second.yanked, second.yanked_reason) == (True, "broken build")
    assert (second.core_metadata, second.core_metadata_hashes) == (True, (("sha256", "beef"),))
    assert second.hashes == (("md5", "00ff"),)
    assert second.provenance == "https://user:tok@devpi.example/integrity/acme/1.1/p"
    assert (third.yanked, third.yanked_reason, third.core_metadata) == (True, None, True)
    assert third.url == "https://elsewhere.example/acme-1.2-py3-none-any.whl"
    assert (fourth.hashes, fourth.core_metadata) == ((), False)


def test_a_base_element_moves_relative_links() -> None:
    text = '<html><head><base href="https://mirror.example/pkgs/"></head><a href="a-1.0.tar.gz">a</a></html>'
    (file,) = parse_html_page(text, "https://index.example/simple/a/").files
    assert file.url == "https://mirror.example/pkgs/a-1.0.tar.gz"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('<meta name="pypi:repository-version" content="2.0">', "API version 2.0 is not supported"),
        ('<meta name="pypi:repository-version" content="one">', "API version 'one' is not MAJOR.MINOR"),
    ],
)
def test_an_html_page_of_an_unknown_api_version_is_refused(content: str, problem: str) -> None:
    with pytest.raises(MalformedResponse, match=problem):
        parse_html_page(f"<html><head>{content}</head></html>", PAGE)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/vnd.pypi.simple.v1+json", "json"),
        ("application/json", "json"),
        ("application/vnd.pypi.simple.v1+html", "html"),
        ("text/html; charset=utf-8", "html"),
        ("Text/HTML", "html"),
    ],
)
def test_the_content_type_decides_how_a_page_is_read(content_type: str, kind: str) -> None:
    body = SIX_JSON.read_bytes() if kind == "json" else SIX_HTML.read_bytes()
    page = parse_response(response(body, content_type), PAGE)
    assert {f.filename for f in page.files} >= {"six-1.17.0.tar.gz", "six-1.17.0-py2.py3-none-any.whl"}


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html></html>", "application/octet-stream", r"not a Simple API project page \(Content-Type"),
        (b"<html></html>", None, r"Content-Type none"),
        (b"<html>", "application/vnd.pypi.simple.v1+json", "response is not valid JSON"),
        (b'{"files": {}}', "application/vnd.pypi.simple.v1+json", "files is dict, expected list"),
        (b"\xff\xfe<a>", "text/html", "HTML page cannot be decoded"),
        (b"<a>", "text/html; charset=klingon", "HTML page cannot be decoded"),
    ],
)
def test_what_is_not_a_project_page_is_malformed(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(MalformedResponse, match=message):
        parse_response(response(body, content_type), PAGE)


def test_json_fields_are_typed_and_relative_urls_resolved() -> None:
    data = {
        "meta": {"api-version": "1.4"},
        "project-status": {"status": "quarantined", "reason": "malware"},
        "files": [
            {
                "filename": "acme-1.0-py3-none-any.whl",
                "url": "../../files/acme-1.0-py3-none-any.whl",
                "hashes": {"SHA256": "ABC"},
                "requires-python": ">=3.9",
                "yanked": "security hole",
                "upload-time": "2025-01-02T03:04:05.123456Z",
                "size": 123,
                "core-metadata": {"sha256": "def"},
                "provenance": None,
            },
            {"filename": "acme-1.0.tar.gz", "url": "https://x.example/acme-1.0.tar.gz", "yanked": ""},
        ],
    }
    page = parse_json_page(data, "https://index.example/simple/acme/")
    assert page.api_version == (1, 4)
    assert page.status == ProjectStatus(status="quarantined", reason="malware")
    wheel, sdist = page.files
    assert wheel.url == "https://index.example/files/acme-1.0-py3-none-any.whl"
    assert wheel.hashes == (("sha256", "abc"),)
    assert (wheel.yanked, wheel.yanked_reason) == (True, "security hole")
    assert wheel.upload_time == datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert (wheel.size, wheel.core_metadata, wheel.core_metadata_hashes) == (123, True, (("sha256", "def"),))
    assert (wheel.provenance_listed, wheel.provenance) == (True, None)  # listed as "none"
    assert (sdist.yanked, sdist.provenance_listed, sdist.hashes) == (False, False, ())  # "" is not a yank


def test_fetch_page_negotiates_like_pip_and_reads_an_html_only_index() -> None:
    seen: list[str] = []

    def html_only(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Accept"])
        headers = {"Content-Type": "text/html"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(SIX_HTML.read_bytes()))

    async def go() -> int:
        http = build_http(HttpSettings(), transport=httpx.MockTransport(html_only))
        try:
            page = await fetch_page(http, "http://127.0.0.1:9/simple/six/", version=Version("1.17.0"))
            return len(page.files)
        finally:
            await http.aclose()

    assert asyncio.run(go()) == 2  # with a version, the other versions' files are not kept
    assert seen == [ACCEPT]
    assert ACCEPT == (
        "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
    )


# ---- parse_json_text: the page's entries read one at a time (net.json_stream) ----


@pytest.mark.parametrize("project", sorted(p.name for p in (FIXTURES / "pypi" / "simple").iterdir()))
def test_reading_entries_one_at_a_time_gives_the_whole_parse(project: str) -> None:
    from supplychain.net.simple import parse_json_text, quick_version

    text = (FIXTURES / "pypi" / "simple" / project / "index.json").read_text()
    data = json.loads(text)
    url = f"https://pypi.org/simple/{project}/"
    versions = sorted({v for f in data["files"] if (v := quick_version(f["filename"])) is not None})
    for version in [None, *versions[:2], *versions[-2:]]:
        for keep in (None, lambda name: name.endswith(".whl")):
            whole = parse_json_page(data, url, version=version, keep=keep)
            assert parse_json_text(text, url, version=version, keep=keep) == whole


def test_a_recorded_page_cut_short_is_malformed_whole() -> None:
    from supplychain.net.simple import parse_json_text

    text = SIX_JSON.read_text().rstrip()
    for cut in (len(text) // 3, len(text) // 2, len(text) - 1):
        with pytest.raises(MalformedResponse, match="response is not valid JSON"):
            parse_json_text(text[:cut], PAGE, version=Version("1.17.0"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"files": {}}', "files is dict, expected list"),
        ('{"meta": {}}', "files is NoneType, expected list"),
        ('{"files": [{"filename": 3}]}', r"files\[0\].filename is int"),
        ('{"files": [{"filename": "six-1.0.tar.gz"}], "meta": []}', r"files\[0\].url is NoneType"),
        ('{"files": [], "meta": {"api-version": "2.0"}}', "API version 2.0 is not supported"),
        ("[]", "the page is list, expected dict"),
    ],
)
def test_a_page_of_the_wrong_shape_is_refused_as_the_whole_parse_refuses_it(text: str, problem: str) -> None:
    from supplychain.net.simple import parse_json_text

    with pytest.raises(MalformedResponse, match=problem):
        parse_json_page(json.loads(text), PAGE)
    with pytest.raises(MalformedResponse, match=problem):
        parse_json_text(text, PAGE)


def test_a_bad_entry_of_another_version_is_skipped_and_a_bad_kept_one_refuses_the_page() -> None:
    from supplychain.net.simple import parse_json_text

    data = json.loads(SIX_JSON.read_text())
    old = next(f for f in data["files"] if f["filename"] == "six-1.16.0.tar.gz")
    old["size"] = "big"
    text = json.dumps(data)
    page = parse_json_text(text, PAGE, version=Version("1.17.0"))
    assert page == parse_json_page(data, PAGE, version=Version("1.17.0"))
    assert len(page.files) == 2
    with pytest.raises(MalformedResponse, match=r"files\[\d+\].size is str"):
        parse_json_text(text, PAGE, version=Version("1.16.0"))
