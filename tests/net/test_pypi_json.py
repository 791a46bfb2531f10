"""PyPI's JSON API and Integrity API answers parsed once into typed parts (recorded answers, hand edits)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.errors import MalformedResponse
from supplychain.model import Publisher
from supplychain.net.integrity import parse_provenance
from supplychain.net.pypi_json import Info, OwnerRole, Ownership, Release, parse_document
from supplychain.net.shape import Invalid

PYPI = Path(__file__).parents[1] / "fixtures" / "pypi" / "pypi"
URL = "https://pypi.org/pypi/six/json"


def six() -> dict[str, object]:
    return json.loads((PYPI / "six" / "json").read_text())  # type: ignore[no-any-return]


def test_the_recorded_document_parses_whole() -> None:
    document = parse_document(six(), URL)
    owner = OwnerRole(user="gutworth", role="Owner")
    assert document.ownership == Ownership(roles=(owner,), organization=None)
    assert isinstance(document.info, Info)
    assert document.info.version == "1.17.0"
    assert document.vulnerabilities == ()
    release = document.release(Version("1.17"))  # PEP 440 equality: 1.17 is 1.17.0
    assert isinstance(release, Release)
    assert release.first_upload == datetime(2024, 12, 4, 17, 35, 26, 475808, tzinfo=UTC)
    assert {f.filename for f in release.files} == {"six-1.17.0.tar.gz", "six-1.17.0-py2.py3-none-any.whl"}
    assert all(f.size and f.sha256 and f.url for f in release.files)
    assert not release.yanked


def test_each_part_stands_alone() -> None:
    data = six()
    data["ownership"] = {"roles": "gutworth"}
    data["releases"]["1.17.0"][0]["upload_time_iso_8601"] = "2024-12-04"  # type: ignore[index]
    document = parse_document(data, URL)
    assert isinstance(document.ownership, Ownership)
    assert document.ownership.roles == Invalid("ownership.roles is str, expected list")
    assert document.ownership.organization == Invalid("PyPI did not report an organization field")
    assert document.releases == Invalid("upload_time_iso_8601 '2024-12-04' has no timezone")
    assert isinstance(document.info, Info)  # untouched parts still count


def test_a_document_that_is_not_an_object_is_refused_whole() -> None:
    with pytest.raises(MalformedResponse, match="six/json: PyPI JSON is not an object"):
        parse_document(["six"], URL)


def test_a_provenance_object_gives_its_publishers() -> None:
    answer = {
        "version": 1,
        "attestation_bundles": [
            {"publisher": {"kind": "GitHub", "repository": "o/r", "workflow": "ci.yml", "environment": ""}},
            {"publisher": {"kind": "GitLab", "repository": "g/p", "environment": "prod"}},
        ],
    }
    assert parse_provenance(answer, "https://pypi.org/integrity/x") == (
        Publisher(kind="GitHub", repository="o/r", workflow="ci.yml", environment=None),
        Publisher(kind="GitLab", repository="g/p", workflow=None, environment="prod"),
    )
    assert parse_provenance({"attestation_bundles": []}, "u") == ()


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"attestation_bundles": "GitHub"}, "attestation_bundles is str, expected list"),
        ({"attestation_bundles": [{"publisher": {}}]}, "publisher.kind is NoneType, expected str"),
        ({"attestation_bundles": [{"publisher": {"kind": "G", "workflow": 3}}]}, "publisher.workflow is int"),
    ],
)
def test_a_malformed_provenance_object_is_refused_whole(answer: object, problem: str) -> None:
    with pytest.raises(MalformedResponse, match=problem):
        parse_provenance(answer, "https://pypi.org/integrity/x")


# ---- parse_text: the document read one release at a time (net.json_stream) ----


@pytest.mark.parametrize("project", sorted(p.name for p in PYPI.iterdir()))
def test_reading_one_release_at_a_time_gives_the_whole_parse(project: str) -> None:
    from supplychain.net.pypi_json import parse_text

    raw = (PYPI / project / "json").read_text()
    assert parse_text(raw, URL) == parse_document(json.loads(raw), URL)


@pytest.mark.parametrize("project", sorted(p.name for p in PYPI.iterdir()))
def test_a_recorded_document_cut_short_is_malformed_whole(project: str) -> None:
    """A body cut anywhere (inside ``releases`` too) is refused, never parsed as far as it goes."""
    from supplychain.net.pypi_json import parse_text

    raw = (PYPI / project / "json").read_text().rstrip()
    middle = min(raw.find('"releases"') + len(raw) // 10, len(raw) - 1)  # inside the release list
    for cut in (len(raw) // 3, middle, len(raw) - 1):
        with pytest.raises(MalformedResponse, match="six/json: response is not valid JSON"):
            parse_text(raw[:cut], URL)


def test_a_bad_release_makes_the_history_invalid_and_the_rest_still_counts() -> None:
    from supplychain.net.pypi_json import parse_text

    data = six()
    data["releases"]["1.17.0"][0]["upload_time_iso_8601"] = "2024-12-04"  # type: ignore[index]
    document = parse_text(json.dumps(data), URL)
    assert document.releases == Invalid("upload_time_iso_8601 '2024-12-04' has no timezone")
    assert document == parse_document(data, URL)
    assert isinstance(document.ownership, Ownership)


def test_a_bad_release_does_not_hide_that_the_text_after_it_is_not_json() -> None:
    from supplychain.net.pypi_json import parse_text

    data = six()
    releases = data["releases"]
    assert isinstance(releases, dict)
    first, *_, last = releases
    releases[first][0]["upload_time_iso_8601"] = 3
    text = json.dumps(data)
    assert isinstance(parse_text(text, URL).releases, Invalid)
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        parse_text(text[: text.index(f'"{last}"')], URL)  # cut after the bad release


@pytest.mark.parametrize(
    "releases",
    [
        "[]",
        '"none"',
        "null",
        '{"1.0": [], "1.0": [{"filename": 1}]}',  # a repeated version: its last value counts
        '{"1.0": [{"filename": 1}], "1.0": []}',
    ],
)
def test_releases_of_the_wrong_shape_read_as_the_whole_parse_reads_them(releases: str) -> None:
    from supplychain.net.pypi_json import parse_text

    text = '{"info": {"version": "1.0"}, "releases": ' + releases + ', "urls": []}'
    assert parse_text(text, URL) == parse_document(json.loads(text), URL)


def test_a_document_without_releases_or_not_an_object_reads_as_the_whole_parse() -> None:
    from supplychain.net.pypi_json import parse_text

    assert parse_text('{"info": null}', URL) == parse_document({"info": None}, URL)
    assert isinstance(parse_text('{"info": null}', URL).releases, Invalid)
    with pytest.raises(MalformedResponse, match="PyPI JSON is not an object"):
        parse_text('["six"]', URL)
