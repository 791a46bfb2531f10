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
from tests.report.audited import UV_LOCK, real_audit

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


def test_transitive_package_points_at_the_top_level_requirement_line() -> None:
    result = real_audit("uv")
    graph = result.graph
    transitive = next(
        p.ref.name
        for p in graph.packages()
        if not graph.is_direct(p.ref.name)
        and any(f.package and f.package.name == p.ref.name for f in result.findings)
    )
    top = graph.top_level_for(transitive)
    expected_file, _, expected_line = next(
        result.declared_at[t] for t in top if t in result.declared_at
    ).rpartition(":")
    hit = next(r for r in _run("uv")["results"] if r["properties"]["package"] == transitive)  # type: ignore[union-attr]
    location = hit["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": expected_file, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": int(expected_line)}
    assert expected_file == str(UV_LOCK.relative_to(Path(__file__).parents[2]))
    assert top != [transitive]


def test_without_a_declared_line_a_finding_points_at_the_input_file() -> None:
    """Pipfile.lock records no Pipfile lines: the alert is file-level on the lock itself."""
    result = real_audit("pipfile")
    assert result.declared_at == {}
    for hit in _run("pipfile")["results"]:  # type: ignore[union-attr]
        location = hit["locations"][0]["physicalLocation"]
        assert location == {"artifactLocation": {"uri": result.inputs[0], "uriBaseId": "%SRCROOT%"}}


def test_fingerprints_are_stable_and_distinguish_advisories() -> None:
    first = [r["partialFingerprints"] for r in _run("pipfile")["results"]]  # type: ignore[union-attr]
    assert first == [r["partialFingerprints"] for r in _run("pipfile")["results"]]  # type: ignore[union-attr]
    vulns = {
        r["partialFingerprints"]["supplychain/v1"]
        for r in _run("pipfile")["results"]  # type: ignore[union-attr]
        if r["ruleId"] == "vulnerability"
    }
    assert len(vulns) == 4
