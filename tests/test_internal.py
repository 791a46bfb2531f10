"""One "is this package internal?" answer (supplychain.internal), built once from the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.config import load_file_settings
from supplychain.errors import InputError
from supplychain.internal import InternalScope
from supplychain.urls import SafeUrl

CORP = SafeUrl("https://bot:s3cret@pkgs.corp.example/simple/")


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("acme-tools", "ACME-*"),  # the rules lower-cased patterns, the sources did not
        ("Acme_Tools", "acme-*"),  # a name in another spelling is the same project (PEP 503)
        ("acme.tools", "acme_tools"),  # a pattern in another spelling too
    ],
)
def test_patterns_match_normalised_names_in_any_case(name: str, pattern: str) -> None:
    assert InternalScope(patterns=(pattern,)).is_internal(name, None)


def test_a_pattern_is_still_a_whole_name_pattern() -> None:
    assert not InternalScope(patterns=("acme",)).is_internal("acme-tools", None)


@pytest.mark.parametrize(
    ("served_by", "internal"),
    [
        ("https://***@PKGS.corp.example/simple", True),
        ("https://pkgs.corp.example/simple/acme-tools/", True),
        ("https://pkgs.corp.example.attacker.net/simple/", False),
        ("https://pkgs.corp.example:4430/simple/", False),  # another port of the same host
        ("https://pkgs.corp.example/simple2/", False),
        (None, False),
    ],
)
def test_indexes_are_compared_as_urls(served_by: str | None, internal: bool) -> None:
    assert InternalScope(indexes=(CORP,)).is_internal("six", served_by) is internal


def test_the_configuration_builds_the_scope(tmp_path: Path) -> None:
    (tmp_path / "supplychain.toml").write_text(
        'internal-indexes = ["https://pkgs.corp.example/simple/"]\ninternal-patterns = ["Acme-*"]\n'
    )
    scope = load_file_settings(tmp_path).internal
    assert scope.is_internal("acme-tools", None)
    assert scope.is_internal("six", "https://pkgs.corp.example/simple/")


@pytest.mark.parametrize("index", ["pkgs.corp.example/simple/", "https://pkgs.corp.example:99999/simple/"])
def test_an_internal_index_that_names_no_server_is_an_input_error(tmp_path: Path, index: str) -> None:
    """It would match nothing, silently taking every internal package for a public one."""
    path = tmp_path / "supplychain.toml"
    path.write_text(f'internal-indexes = ["{index}"]\n')
    with pytest.raises(InputError) as caught:
        load_file_settings(tmp_path)
    assert caught.value.diagnostics() == (
        f"{path}: internal-indexes: internal index {index} is not an absolute URL (scheme://host/path)"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("index", "served_by"),
    [
        (
            "http://127.0.0.1:1873/simple/",
            "http://127.0.0.1:18734/simple/",
        ),  # a port with the index's as prefix
        ("https://pkgs.corp.example/simple/", "https://pkgs.corp.example.attacker.net/simple/"),
    ],
)
def test_a_look_alike_of_an_internal_index_is_neither_internal_nor_trusted(
    index: str, served_by: str
) -> None:
    """Internal indexes are trusted sources too (untrusted-source allows them): a look-alike is neither."""
    from supplychain.policy.internal import index_allowed

    scope = InternalScope(indexes=(SafeUrl(index),))
    assert not scope.is_internal("corp-tool", served_by)
    assert not index_allowed(served_by, scope.indexes)
    assert index_allowed(index + "corp-tool/", scope.indexes)
