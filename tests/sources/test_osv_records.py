"""OSV record parsing: YAML scalars stay strings, malformed records name their file, withdrawn kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import AdvisoryDataError
from supplychain.sources.osv_records import load_record

OSV = Path(__file__).parent.parent / "fixtures" / "osv"


def test_yaml_keeps_versions_and_dates_as_strings() -> None:
    text = (
        b"id: HANDMADE-1\nmodified: 2026-01-02T03:04:05Z\naffected:\n- package: {name: X, ecosystem: PyPI}\n"
    )
    text += b"  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n"
    record = load_record(text, "inline.yaml")
    assert record.modified == "2026-01-02T03:04:05Z"
    assert record.affected[0].ranges[0].events == (("introduced", "0"), ("fixed", "1.10"))
    assert record.affected[0].name == "x"


def test_real_pyyaml_record() -> None:
    path = OSV / "records" / "pypa" / "pyyaml" / "PYSEC-2021-142.yaml"
    record = load_record(path.read_bytes(), str(path))
    assert record.id == "PYSEC-2021-142"
    assert "CVE-2020-14343" in record.aliases
    assert ("fixed", "5.4") in record.affected[0].ranges[0].events
    assert "3.10" in record.affected[0].versions  # not the float 3.1


def test_withdrawn_record_is_recognised() -> None:
    path = OSV / "records" / "pypa" / "zstd" / "PYSEC-2023-121.yaml"
    assert load_record(path.read_bytes(), str(path)).withdrawn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"id: X\naffected: [\n", "bad.yaml:3: invalid YAML"),
        (b'{"id": "X", "affected": [}', "bad.yaml:1: invalid JSON"),
        (b"id: X\naffected: {a: 1}\n", "affected: expected a list"),
        (
            b"id: X\naffected:\n- package: {name: a, ecosystem: PyPI}\n"
            b"  ranges:\n  - events: [{fixed: 1, introduced: 0}]\n",
            "exactly one of",
        ),
        (b"- just a list\n", "record: expected a mapping"),
        (b"summary: no id\n", "id: expected a string"),
    ],
)
def test_malformed_records_name_the_file(text: bytes, expected: str) -> None:
    with pytest.raises(AdvisoryDataError) as caught:
        load_record(text, "bad.yaml")
    assert expected in caught.value.message
    assert "bad.yaml" in caught.value.message
