"""The fast filename filters of the Simple API source agree with packaging's full parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.sources.simple_index import _is_other_version, _version_of, files_of

SIMPLE = Path(__file__).parents[1] / "fixtures" / "pypi" / "simple"
PAGES = sorted(path.parent.name for path in SIMPLE.glob("*/index.json"))
ODD = [  # hand-made edge cases around the filename grammar
    {"filename": "six-1.17.0-py2.py3-none-any.whl"},
    {"filename": "six-1.17.0-badtag.whl"},
    {"filename": "six-1.17.0.tar.gz"},
    {"filename": "six-1.17.0.tar.bz2"},
    {"filename": "six-1.17.0.zip"},
    {"filename": "six-not.a.version.tar.gz"},
    {"filename": "six-1.17.0-1-py3-none-any.whl"},
    {"filename": "six1.17.0.tar.gz"},
    {"filename": 17},
    "not an entry",
]


@pytest.mark.parametrize("name", PAGES)
def test_files_of_matches_the_full_parse_for_every_version(name: str) -> None:
    page = json.loads((SIMPLE / name / "index.json").read_text())
    versions = {_version_of(entry["filename"]) for entry in page["files"]} - {None}
    assert versions, f"{name}: recorded page lists no parseable files"
    for version in versions:
        expected = [entry for entry in page["files"] if _version_of(entry["filename"]) == version]
        assert files_of(page, version) == expected
        kept = [entry for entry in page["files"] if not _is_other_version(entry, version)]
        assert all(entry in kept for entry in expected)  # trimming never drops one of its files


def test_odd_entries_are_kept_by_trimming_and_matched_like_packaging() -> None:
    version = Version("1.17.0")
    kept = [entry for entry in ODD if not _is_other_version(entry, version)]
    assert {"filename": "six-not.a.version.tar.gz"} in kept  # unparseable: kept for the shape checks
    assert {"filename": 17} in kept
    assert {"filename": "six-1.17.0-py2.py3-none-any.whl"} in kept
    assert "not an entry" in kept
    wellformed = [entry for entry in ODD if isinstance(entry, dict) and isinstance(entry["filename"], str)]
    page = {"files": wellformed}
    assert files_of(page, version) == [e for e in wellformed if _version_of(e["filename"]) == version]
