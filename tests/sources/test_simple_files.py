"""The Simple API parser's filename filters agree with packaging's full parse and keep to one project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.clock import FixedClock
from supplychain.errors import MalformedResponse
from supplychain.model import Known
from supplychain.net.http import HttpSettings
from supplychain.net.simple import parse_json_page, quick_version, release_of, version_of
from tests.sources.test_source_faults import collect, inject
from tests.support.server import ReplayServer, Reply

SIMPLE = Path(__file__).parents[1] / "fixtures" / "pypi" / "simple"
PAGES = sorted(path.parent.name for path in SIMPLE.glob("*/index.json"))
URL = "https://pypi.org/simple/six/"
ODD = [  # hand-made edge cases around the filename grammar
    "six-1.17.0-py2.py3-none-any.whl",
    "six-1.17.0-badtag.whl",
    "six-1.17.0.tar.gz",
    "six-1.17.0.tar.bz2",
    "six-1.17.0.zip",
    "six-not.a.version.tar.gz",
    "six-1.17.0-1-py3-none-any.whl",
    "six1.17.0.tar.gz",
    "seven-1.17.0.tar.gz",  # another project's file on six's page: never six's
]


def entry(filename: object) -> dict[str, object]:
    return {"filename": filename, "url": f"https://files.example/{filename}", "hashes": {}}


@pytest.mark.parametrize("name", PAGES)
def test_files_of_matches_the_full_parse_for_every_version(name: str) -> None:
    data = json.loads((SIMPLE / name / "index.json").read_text())
    page = parse_json_page(data, URL)
    versions = {version_of(file.filename) for file in page.files} - {None}
    assert versions, f"{name}: recorded page lists no parseable files"
    for version in versions:
        expected = tuple(file for file in page.files if version_of(file.filename) == version)
        assert page.files_of(canonicalize_name(name), version) == expected
        trimmed = parse_json_page(data, URL, version=version)
        assert trimmed.files_of(canonicalize_name(name), version) == expected  # trimming keeps them all


def test_odd_entries_are_kept_by_trimming_and_matched_like_packaging() -> None:
    version = Version("1.17.0")
    page = parse_json_page({"files": [entry(name) for name in ODD]}, URL, version=version)
    kept = [file.filename for file in page.files]
    assert "six-not.a.version.tar.gz" in kept  # unparseable: kept (and checked like the rest)
    assert "six-1.17.0-py2.py3-none-any.whl" in kept
    mine = [f.filename for f in page.files_of(canonicalize_name("six"), version)]
    assert mine == [n for n in ODD if release_of(n) == ("six", version)]
    assert "seven-1.17.0.tar.gz" not in mine
    assert all(quick_version(n) == version_of(n) for n in ODD if n.endswith((".tar.gz", ".zip")))


def test_a_malformed_entry_is_checked_even_when_trimming() -> None:
    """Trimming skips only well-formed entries of other versions: a broken one still fails the page."""
    with pytest.raises(MalformedResponse, match=r"files\[1\]\.filename is int, expected str"):
        parse_json_page({"files": [entry("six-1.0.tar.gz"), entry(17)]}, URL, version=Version("1.17.0"))
    with pytest.raises(MalformedResponse, match=r"files\[0\] is str, expected dict"):
        parse_json_page({"files": ["not an entry"]}, URL, version=Version("1.17.0"))


def test_another_projects_wheel_on_the_page_is_not_this_ones(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FixedClock
) -> None:
    """six's page listing ``seven-1.17.0-py3-none-any.whl``: six 1.17.0 is still sdist-only.

    Before, any file of the right version counted, so the sdist-only rule passed on another's wheel.
    """
    files = [entry("six-1.17.0.tar.gz"), entry("seven-1.17.0-py3-none-any.whl")]
    body = json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()
    reply = Reply(200, body, {"Content-Type": "application/vnd.pypi.simple.v1+json"})
    inject(server, "/simple/six/", lambda _n: reply)
    facts = collect(server, monkeypatch, tmp_path, clock, "simple", HttpSettings(timeout=5))
    assert facts.has_wheel == Known(value=False, source="simple", fetched_at=clock.now())
