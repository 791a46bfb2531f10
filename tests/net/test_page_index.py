"""The page index: a Simple JSON page read again is sorted by version from its stored spans, and
gives exactly what a whole parse gives; a damaged or stale index is never believed."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.errors import MalformedResponse
from supplychain.net import page_index
from supplychain.net.http import FetchedResponse, HttpSettings
from supplychain.net.simple import SIMPLE_JSON, Keep, Listing, fetch_listing, fetch_page

FIXTURES = Path(__file__).parents[1] / "fixtures"
PAGES = FIXTURES / "resolve" / "pypi" / "simple"
URL = "https://pypi.org/simple/botocore/"


def recorded(name: str) -> bytes:
    return (PAGES / name / "index.json").read_bytes()


class _Index:
    """Answers every GET with one page: what ``fetch_listing`` asks of the HTTP door."""

    def __init__(self, body: bytes, cache_dir: Path | None) -> None:
        self.body = body
        self.settings = HttpSettings(cache_dir=cache_dir)

    async def get(self, url: str, *, accept: str) -> FetchedResponse:
        headers = {"content-type": SIMPLE_JSON}
        return FetchedResponse(url=url, status=200, headers=headers, content=self.body, from_cache=False)


def listing(body: bytes, cache_dir: Path | None, keep: Keep | None = None) -> Listing:
    return asyncio.run(fetch_listing(_Index(body, cache_dir), URL, keep=keep))  # type: ignore[arg-type]


def everything(found: Listing) -> tuple[object, ...]:
    """What a resolver can learn from a listing: head, odd files, and every version's files."""
    return (
        found.api_version,
        found.status,
        found.odd,
        {version: found.files_of(version) for version in sorted(found.versions)},
    )


def stored(cache_dir: Path) -> list[Path]:
    directory = cache_dir / page_index.DIRECTORY
    return sorted(directory.glob("*.json")) if directory.exists() else []


@pytest.mark.parametrize("name", ["botocore", "boto3", "wrapt", "six", "torch", "nvidia-nccl-cu13"])
def test_a_page_read_through_its_stored_index_gives_what_a_whole_parse_gives(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = recorded(name)
    walks = []
    real_walk = page_index.walk

    def counted(text: str, reduce: Callable[[object], object]) -> object:
        walks.append(len(text))
        return real_walk(text, reduce)

    monkeypatch.setattr(page_index, "walk", counted)
    whole = everything(listing(body, None))
    first = listing(body, tmp_path)  # a miss: walked entry by entry, then stored
    assert (len(walks), len(stored(tmp_path))) == (1, 1)
    assert everything(first) == whole
    again = listing(body, tmp_path)
    assert len(walks) == 1, "the second read did not come from the stored index"
    assert everything(again) == whole


@pytest.mark.parametrize("name", ["botocore", "wrapt", "six", "torch"])
def test_one_versions_page_through_the_index_is_the_page_a_whole_parse_gives(
    name: str, tmp_path: Path
) -> None:
    body = recorded(name)
    versions = sorted(listing(body, None).versions)

    def page(cache_dir: Path | None, version: Version, keep: Keep | None = None) -> object:
        return asyncio.run(fetch_page(_Index(body, cache_dir), URL, version=version, keep=keep))  # type: ignore[arg-type]

    def wheels(filename: str) -> bool:
        return filename.endswith(".whl")

    for version in {*versions[:3], *versions[-3:]}:
        assert page(tmp_path, version) == page(None, version)
        assert page(tmp_path, version, wheels) == page(None, version, wheels)
    assert len(stored(tmp_path)) == 1


def test_the_target_filter_applies_to_entries_read_from_spans(tmp_path: Path) -> None:
    body = recorded("botocore")

    def keep(filename: str) -> bool:
        return filename.endswith(".whl")

    whole = everything(listing(body, None, keep))
    listing(body, tmp_path, keep)
    assert everything(listing(body, tmp_path, keep)) == whole
    assert all(f.filename.endswith(".whl") for files in whole[3].values() for f in files)  # type: ignore[union-attr]


def test_files_without_a_version_are_filtered_and_checked_alike_from_the_index(tmp_path: Path) -> None:
    page = json.loads(recorded("wrapt"))
    template = page["files"][0]
    for odd in ("wrapt-1.0.win32.exe", "wrapt-1.0-py2.7.egg", "README"):
        page["files"].append({**template, "filename": odd, "url": template["url"] + "-" + odd})
    body = json.dumps(page).encode()

    def keep(filename: str) -> bool:
        return not filename.endswith(".exe")

    whole = everything(listing(body, None, keep))
    assert {f.filename for f in whole[2]} == {"wrapt-1.0-py2.7.egg", "README"}  # type: ignore[attr-defined]
    listing(body, tmp_path, keep)
    assert everything(listing(body, tmp_path, keep)) == whole
    assert everything(listing(body, tmp_path)) == everything(listing(body, None))


def test_a_changed_page_is_a_miss_and_gets_its_own_index(tmp_path: Path) -> None:
    body = recorded("wrapt")
    listing(body, tmp_path)
    page = json.loads(body)
    removed = page["files"].pop()
    changed = json.dumps(page).encode()
    found = listing(changed, tmp_path)
    assert len(stored(tmp_path)) == 2
    assert everything(found) == everything(listing(changed, None))
    assert all(f.filename != removed["filename"] for v in found.versions for f in found.files_of(v))


def test_a_damaged_index_never_hands_out_one_versions_files_as_another(tmp_path: Path) -> None:
    body = recorded("wrapt")
    listing(body, tmp_path)
    (path,) = stored(tmp_path)
    data = json.loads(path.read_text())
    first, second = sorted(data["versions"])[:2]
    data["versions"][first], data["versions"][second] = data["versions"][second], data["versions"][first]
    path.write_text(json.dumps(data))
    found = listing(body, tmp_path)
    with pytest.raises(MalformedResponse, match="cached index of this page does not match it"):
        found.files_of(Version(first))


def test_an_unreadable_index_is_a_miss_and_is_stored_again(tmp_path: Path) -> None:
    body = recorded("wrapt")
    listing(body, tmp_path)
    (path,) = stored(tmp_path)
    good = json.loads(path.read_bytes())
    first = next(iter(good["versions"]))
    damaged = [
        b"{not json",
        b'{"length": 1}',
        b"[]",
        json.dumps({"length": len(body)}).encode(),
        json.dumps({**good, "versions": {**good["versions"], first: [0.5, 2, 0]}}).encode(),  # not ints
        json.dumps({**good, "versions": {**good["versions"], first: [0, 2]}}).encode(),  # half a triple
        json.dumps({**good, "odd": [0, len(body) + 9, 0]}).encode(),  # past the end of the page
        json.dumps({**good, "api": "1.1"}).encode(),
    ]
    for damage in damaged:
        path.write_bytes(damage)
        found = listing(body, tmp_path)
        assert everything(found) == everything(listing(body, None))
        assert json.loads(path.read_bytes())["versions"], "the index was not stored again"


def test_without_a_cache_directory_nothing_is_stored(tmp_path: Path) -> None:
    listing(recorded("wrapt"), None)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "body",
    [
        b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "x-1.0.tar.gz"}]',  # not closed
        b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "x-1.0.tar.gz", "url": "u"},]}',
        b'{"meta": {"api-version": "1.1"}, "files": []} trailing',
        b'{"meta": {"api-version": "2.0"}, "files": []}',  # a major version we do not know
        b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "x-1.0.tar.gz", "url": 5}, 7]}',
    ],
)
def test_a_malformed_page_fails_as_before_and_leaves_no_index(body: bytes, tmp_path: Path) -> None:
    def read_all(cache_dir: Path | None) -> str:
        with pytest.raises(MalformedResponse) as failed:
            read_every_version(body, cache_dir)
        return str(failed.value)

    assert read_all(tmp_path) == read_all(None)
    if b'url": 5' not in body:  # the page's shape is fine, one entry is not: checked when read
        assert stored(tmp_path) == []


def read_every_version(body: bytes, cache_dir: Path | None) -> None:
    found = listing(body, cache_dir)
    for version in found.versions:  # an entry of a version is checked when it is read
        found.files_of(version)


@pytest.mark.parametrize(
    "text",
    [
        '{"files": [1, 2], "meta": {}, "files": {"a": 1}}',  # a repeated key: the last one counts
        '{"files": "x", "files": [{"filename": "a"}, {}]}',
        '{"files": [{"filename": "a"}], "files": [2, 3]}',
        ' \n{ "files" : [ ] , "name":"\\u00e9\\"x" }\r\n',
        '{"files": [[{"deep": [1, {"x": null}]}], true, 1.5e3, "s"], "versions": ["1"]}',
        "{}",
        '{"files": [{"filename": "a"}], "files": 5}',
    ],
)
def test_the_walk_reads_what_json_loads_reads(text: str) -> None:
    loaded = json.loads(text)
    walked = page_index.walk(text, lambda entry: entry)
    if not isinstance(loaded.get("files"), list):
        assert walked is None  # no files array: the whole parse says what is wrong
        return
    assert walked is not None
    head, spans = walked
    assert head == {key: value for key, value in loaded.items() if key != "files"}
    assert [entry for _start, _end, entry in spans] == loaded["files"]
    assert [json.loads(text[start:end]) for start, end, _entry in spans] == loaded["files"]


@pytest.mark.parametrize("text", ["\ufeff{}", "[]", '{"a": 1} x', '{"a" 1}', '{"files": [1,]}', "", "{"])
def test_the_walk_gives_way_to_a_whole_parse_on_anything_but_a_plain_object(text: str) -> None:
    assert page_index.walk(text, lambda entry: entry) is None


def test_indexes_of_pages_not_seen_for_a_month_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / page_index.DIRECTORY
    directory.mkdir()
    old, recent = directory / "old.json", directory / "recent.json"
    for path in (old, recent):
        path.write_text("{}")
    month_ago = time.time() - page_index.KEEP_FOR - 60
    os.utime(old, (month_ago, month_ago))
    monkeypatch.setattr(page_index, "_pruned", set())
    listing(recorded("wrapt"), tmp_path)
    assert not old.exists()
    assert recent.exists()
