"""SARIF of real audits: valid per the official 2.1.0 schema, one rule per id, findings on the right line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from supplychain.model import Action
from supplychain.policy import RULES
from supplychain.report import RENDERERS
from supplychain.report.common import effective
from tests.report.audited import PIPFILE_LOCK, UV_LOCK, real_audit

SCHEMA = Path(__file__).parents[1] / "fixtures" / "report" / "sarif-schema-2.1.0.json"


def _sarif(kind: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(RENDERERS["sarif"].render(real_audit(kind)))
    return loaded


def _run(kind: str) -> dict[str, object]:
    runs = _sarif(kind)["runs"]
    assert isinstance(runs, list)
    assert len(runs) == 1
    run: dict[str, object] = runs[0]
    return run


@pytest.mark.parametrize("kind", ["pipfile", "uv"])
def test_sarif_validates_against_the_official_schema(kind: str) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    document = _sarif(kind)
    errors = list(validator.iter_errors(document))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert document["version"] == "2.1.0"


def test_schema_check_catches_a_bad_level() -> None:
    document = _sarif("pipfile")
    document["runs"][0]["results"][0]["level"] = "fatal"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)


def test_one_reporting_descriptor_per_rule_with_rationale_and_help() -> None:
    rules = _run("pipfile")["tool"]["driver"]["rules"]  # type: ignore[index]
    assert [r["id"] for r in rules] == sorted(RULES)
    for descriptor in rules:
        rule = RULES[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] == rule.rationale
        assert descriptor["help"]["text"] == rule.help


def test_one_result_per_finding_with_level_from_action() -> None:
    result = real_audit("pipfile")
    results = _run("pipfile")["results"]
    shown = [f for f in result.findings if f.action is not Action.OFF]
    assert len(results) == len(shown)  # type: ignore[arg-type]
    levels = {"fail": "error", "warn": "warning"}
    expected = sorted((f.rule, str(f.package), levels[effective(f).value]) for f in shown)
    got = sorted(
        (r["ruleId"], f"{r['properties']['package']}=={r['properties']['version']}", r["level"])
        for r in results
    )  # type: ignore[union-attr]
    assert got == expected
    rules = _run("pipfile")["tool"]["driver"]["rules"]  # type: ignore[index]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)  # type: ignore[union-attr]


def _entry_line(lock: Path, name: str, version: str) -> int:
    """The 1-based line of the ``[[package]]`` header of the entry for ``name`` at ``version``."""
    lines = lock.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if line == f'name = "{name}"' and lines[number] == f'version = "{version}"':
            assert lines[number - 2] == "[[package]]"
            return number - 1
    raise AssertionError(f"{name} {version} not in {lock}")


def test_a_transitive_package_points_at_its_own_entry_in_the_lock() -> None:
    """Not at the top-level requirement it came through: 444 of 447 results for a real uv.lock
    pointed at the one root project line, so code scanning showed one line for every package."""
    result = real_audit("uv")
    graph = result.graph
    located = {
        r["properties"]["package"]: r["locations"][0]["physicalLocation"]  # type: ignore[index]
        for r in _run("uv")["results"]  # type: ignore[union-attr]
    }
    transitive = [
        p for p in graph.packages() if not graph.is_direct(p.ref.name) and p.ref.name in located
    ]
    assert len(transitive) > 20
    expected_file = str(UV_LOCK.relative_to(Path(__file__).parents[2]))
    for package in transitive:
        location = located[package.ref.name]
        assert location["artifactLocation"] == {"uri": expected_file, "uriBaseId": "%SRCROOT%"}
        expected = _entry_line(UV_LOCK, package.ref.name, str(package.ref.version))
        assert location["region"] == {"startLine": expected}, package.ref
    assert len({located[p.ref.name]["region"]["startLine"] for p in transitive}) == len(transitive)


def test_a_pipfile_lock_finding_points_at_the_package_key() -> None:
    """Pipfile.lock records no Pipfile lines: each alert points at its package's key in the lock."""
    result = real_audit("pipfile")
    lines = PIPFILE_LOCK.read_text().splitlines()
    results = _run("pipfile")["results"]
    assert results
    for hit in results:  # type: ignore[union-attr]
        location = hit["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": result.inputs[0], "uriBaseId": "%SRCROOT%"}
        line = lines[location["region"]["startLine"] - 1]
        assert line.strip().startswith(f'"{hit["properties"]["package"]}": {{'), line


def test_fingerprints_are_stable_and_distinguish_advisories() -> None:
    first = [r["partialFingerprints"] for r in _run("pipfile")["results"]]  # type: ignore[union-attr]
    assert first == [r["partialFingerprints"] for r in _run("pipfile")["results"]]  # type: ignore[union-attr]
    vulns = {
        r["partialFingerprints"]["supplychain/v1"]
        for r in _run("pipfile")["results"]  # type: ignore[union-attr]
        if r["ruleId"] == "vulnerability"
    }
    assert len(vulns) == 4
