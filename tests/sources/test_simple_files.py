"""The fast filename filters of the Simple API parser agree with packaging's full parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.errors import MalformedResponse
from supplychain.net.simple import parse_json_page, quick_version, version_of

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
        assert page.files_of(version) == expected
        trimmed = parse_json_page(data, URL, version=version)
        assert trimmed.files_of(version) == expected  # trimming never drops one of its files


def test_odd_entries_are_kept_by_trimming_and_matched_like_packaging() -> None:
    version = Version("1.17.0")
    page = parse_json_page({"files": [entry(name) for name in ODD]}, URL, version=version)
    kept = [file.filename for file in page.files]
    assert "six-not.a.version.tar.gz" in kept  # unparseable: kept (and checked like the rest)
    assert "six-1.17.0-py2.py3-none-any.whl" in kept
    assert [f.filename for f in page.files_of(version)] == [n for n in ODD if version_of(n) == version]
    assert all(quick_version(n) == version_of(n) for n in ODD if n.endswith((".tar.gz", ".zip")))


def test_a_malformed_entry_is_checked_even_when_trimming() -> None:
    """Trimming skips only well-formed entries of other versions: a broken one still fails the page."""
    with pytest.raises(MalformedResponse, match=r"files\[1\]\.filename is int, expected str"):
        parse_json_page({"files": [entry("six-1.0.tar.gz"), entry(17)]}, URL, version=Version("1.17.0"))
    with pytest.raises(MalformedResponse, match=r"files\[0\] is str, expected dict"):
        parse_json_page({"files": ["not an entry"]}, URL, version=Version("1.17.0"))
