"""``supplychain cache info|clean`` over a cache filled by real commands against the loopback server."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from supplychain.cli import cache as cache_cli
from supplychain.cli import main
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer
from tests.test_audit_e2e import PINS, _records

LOCK = Path(__file__).parent / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out.out, out.err


@pytest.fixture
def cache_dir() -> Path:
    return Path(os.environ["SUPPLYCHAIN_CACHE_DIR"])


@pytest.fixture
def filled(
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cache_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """A cache as the commands leave it: an online audit (HTTP and facts caches), a big lock's parse."""
    server.mount("/", PYPI_FIXTURES)
    OsvApi(_records()).install(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(PINS)
    code, _, err = run(["audit", "requirements.txt", "--no-deps", "--policy", "sl1", "--quiet"], capsys)
    assert code == 0, err
    assert run(["tree", str(LOCK), "--offline", "--format", "json"], capsys)[0] == 0
    return cache_dir


def test_info_on_an_empty_cache_says_so(cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cache", "info"], capsys) == (
        0,
        f"cache directory: {cache_dir} (SUPPLYCHAIN_CACHE_DIR moves it)\n"
        "nothing cached yet: an online audit fills it\n",
        "",
    )
    assert run(["cache", "clean"], capsys) == (0, f"nothing to remove: no cache in {cache_dir}\n", "")


def test_info_names_every_part_the_commands_wrote(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["cache", "info"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"cache directory: {filled} (SUPPLYCHAIN_CACHE_DIR moves it)"
    size = r" +[\d.]+ (KiB|MiB)  "
    assert re.fullmatch(
        size
        + r"http-cache\.sqlite   [1-9]\d* responses +answers of the indexes and services; capped at 2 GiB",
        lines[1],
    )
    assert re.fullmatch(
        size + r"facts-cache\.sqlite  [1-9]\d* entries +facts per package: used 10 minutes online, "
        r"at any age --offline",
        lines[2],
    )
    assert re.fullmatch(
        size + r"parsed-toml +1 file +parsed large lock files, by SHA-256 of their text", lines[3]
    )
    assert re.fullmatch(
        size + r"page-index +[1-9]\d* files? +where each version's files sit in the index pages read, "
        r"by SHA-256 of the page",
        lines[4],
    )
    assert re.fullmatch(size + "total", lines[5])
    assert lines[6:] == [
        "Beyond 2 GiB the HTTP cache drops its least recently used answers.",
        "`supplychain cache clean` removes it all; the next online audit fills it again.",
    ]
    document = json.loads(run(["cache", "info", "--format", "json"], capsys)[1])
    measured = {path for item in cache_cli.measure(filled) for path in item.paths}
    # Every file the commands wrote belongs to a part that info reports and clean removes.
    assert set(filled.iterdir()) == measured
    parts = {part["name"]: part for part in document["parts"]}
    assert sorted(parts) == ["facts-cache.sqlite", "http-cache.sqlite", "page-index", "parsed-toml"]
    assert parts["http-cache.sqlite"]["cap_bytes"] == 2 * 1024**3
    assert document["total_bytes"] == sum(part["bytes"] for part in parts.values()) > 0


def test_clean_removes_the_cache_and_says_what(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["cache", "clean"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        "removed http-cache.sqlite",
        "removed facts-cache.sqlite",
        "removed parsed-toml",
        "removed page-index",
    ]
    assert re.fullmatch(r"removed http-cache\.sqlite \([\d.]+ (KiB|MiB), [1-9]\d* responses\)", lines[0])
    assert re.fullmatch(rf"removed [\d.]+ (KiB|MiB) from {re.escape(str(filled))}", lines[-1])
    assert not filled.exists()
    assert run(["cache", "info"], capsys)[1].endswith("\nnothing cached yet: an online audit fills it\n")


def test_clean_leaves_what_is_not_the_cache(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (filled / "notes.txt").write_text("mine")
    (filled / ".gitignore").write_text("*.sqlite\n")  # the user's own, not the one hishel writes
    assert run(["cache", "clean"], capsys)[0] == 0
    assert sorted(p.name for p in filled.iterdir()) == [".gitignore", "notes.txt"]


def test_an_unreadable_database_is_counted_as_unknown(
    cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_dir.mkdir(parents=True)
    (cache_dir / "facts-cache.sqlite").write_bytes(b"not a database" * 100)
    code, out, _ = run(["cache", "info"], capsys)
    assert code == 0
    assert re.search(r" 1\.4 KiB  facts-cache\.sqlite  \? \(unreadable: file is not a database\)  facts", out)


def test_sizes_are_in_binary_units() -> None:
    assert [cache_cli.human(n) for n in (0, 1023, 1024, 1536, 5 * 1024**2, 2 * 1024**3, 3 * 1024**4)] == [
        "0 B",
        "1023 B",
        "1 KiB",
        "1.5 KiB",
        "5 MiB",
        "2 GiB",
        "3072 GiB",
    ]


def test_the_readme_says_what_is_cached_and_the_cap() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    caches = readme[readme.index("**Caches**") :].split("\n\n")[0]
    for part in cache_cli.PARTS:
        assert f"`{part.name}" in caches, part.name
    assert f"capped at {cache_cli.human(cache_cli.MAX_CACHE_BYTES)}" in caches
    assert "`supplychain cache info`" in caches
    assert "`supplychain cache clean`" in caches


def test_the_resolvers_stores_are_parts_too(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The metadata store and the page index (written by resolutions) are shown and removed."""
    for part in ("resolve-metadata", "page-index"):
        (filled / part).mkdir(exist_ok=True)
        (filled / part / "0123.json").write_text("{}")
    document = json.loads(run(["cache", "info", "--format", "json"], capsys)[1])
    parts = {part["name"]: part for part in document["parts"]}
    assert parts["resolve-metadata"]["entries"] == 1
    assert parts["page-index"]["entries"] >= 1
    assert set(filled.iterdir()) == {path for item in cache_cli.measure(filled) for path in item.paths}
    assert run(["cache", "clean"], capsys)[0] == 0
    assert not filled.exists()
