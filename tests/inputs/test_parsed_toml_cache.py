"""The parsed-TOML cache for large lock files: keyed by content, never trusted over the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from supplychain.tomlfile import loads_toml_cached

LOCK = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "nnsight" / "uv.lock"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SUPPLYCHAIN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "parsed-toml"


def test_a_cached_parse_equals_the_parse(cache: Path) -> None:
    text = LOCK.read_text()
    first = loads_toml_cached(text, str(LOCK))
    (entry,) = cache.glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600
    assert cache.stat().st_mode & 0o777 == 0o700
    assert loads_toml_cached(text, str(LOCK)) == first == tomllib.loads(text)


def test_an_edited_file_is_parsed_again(cache: Path) -> None:
    text = LOCK.read_text()
    loads_toml_cached(text, str(LOCK))
    edited = text.replace('name = "torch"\nversion = "2.9.0"', 'name = "torch"\nversion = "2.9.1"', 1)
    assert edited != text
    packages = loads_toml_cached(edited, str(LOCK))["package"]
    assert [p["version"] for p in packages if p["name"] == "torch"] == ["2.9.1"]


def test_an_unreadable_entry_is_a_miss(cache: Path) -> None:
    text = LOCK.read_text()
    loads_toml_cached(text, str(LOCK))
    (entry,) = cache.glob("*.json")
    entry.write_text("{truncated")
    assert loads_toml_cached(text, str(LOCK)) == tomllib.loads(text)


def test_dates_are_not_cached_as_strings(cache: Path) -> None:
    text = "when = 2026-01-01\n" + "# padding\n" * 8000
    assert loads_toml_cached(text, "x.toml")["when"].isoformat() == "2026-01-01"
    assert list(cache.glob("*.json")) == []
    assert loads_toml_cached(text, "x.toml")["when"].isoformat() == "2026-01-01"
