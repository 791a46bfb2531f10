"""The JSON report of real audits: valid against the shipped schema, complete, byte-identical, no secrets."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from supplychain.errors import UsageError
from supplychain.report import RENDERERS, write_reports
from supplychain.report.json_report import SCHEMA_ID
from tests.report.audited import real_audit


def _schema() -> dict[str, object]:
    text = resources.files("supplychain.report").joinpath("schema", f"{SCHEMA_ID}.schema.json").read_text()
    loaded: dict[str, object] = json.loads(text)
    return loaded


@pytest.mark.parametrize("kind", ["pipfile", "uv"])
def test_json_report_validates_against_the_shipped_schema(kind: str) -> None:
    result = real_audit(kind)
    document = json.loads(RENDERERS["json"].render(result))
    validator = jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert document["verdict"] == result.verdict.value
    assert len(document["findings"]) == len(result.findings)
    assert [p["name"] for p in document["packages"]] == sorted(p.ref.name for p in result.graph.packages())
    assert document["generated_at"] == "2026-11-26T12:00:00Z"


def test_schema_rejects_a_report_missing_the_verdict() -> None:
    document = json.loads(RENDERERS["json"].render(real_audit("pipfile")))
    del document["verdict"]
    with pytest.raises(jsonschema.ValidationError, match="verdict"):
        jsonschema.validate(document, _schema())


def test_json_report_carries_facts_findings_and_scores_of_requests() -> None:
    document = json.loads(RENDERERS["json"].render(real_audit("pipfile")))
    requests = next(p for p in document["packages"] if p["name"] == "requests")
    assert [a["id"] for a in requests["advisories"]] == [
        "PYSEC-2023-74",
        "PYSEC-2026-1872",
        "PYSEC-2026-1873",
        "PYSEC-2026-2275",
    ]
    assert requests["facts"]["license"] == {
        "value": "Apache-2.0",
        "source": "pypi",
        "fetched_at": "2026-11-27T01:35:00Z",
    }
    vulns = [f for f in document["findings"] if f["rule"] == "vulnerability"]
    assert {f["evidence"]["advisory"] for f in vulns} == {a["id"] for a in requests["advisories"]}
    assert all(f["package"] == {"name": "requests", "version": "2.25.1"} for f in vulns)
    contributions = document["scores"]["requests"]["contributions"]
    assert contributions[0]["rule"] == "vulnerability"
    assert document["scores"]["requests"]["score"] == min(100, sum(c["points"] for c in contributions))
    assert document["policy"]["name"] == "sl3"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_is_byte_identical_across_two_renders_and_hides_credentials(fmt: str) -> None:
    result = real_audit("pipfile")
    first, second = RENDERERS[fmt].render(result), RENDERERS[fmt].render(result)
    assert first == second
    assert "tok3n" not in first
    assert "user:" not in first


def test_the_credential_url_is_in_the_audit_so_the_redaction_test_means_something() -> None:
    result = real_audit("pipfile")
    origin = result.graph.package(
        next(p.ref.name for p in result.graph.packages() if p.ref.name == "idna")
    ).origin
    assert origin.url is not None
    assert "tok3n" in origin.url.reveal()
    assert any("tok3n" in warning for warning in result.warnings)


def test_write_reports_writes_every_format_atomically(tmp_path: Path) -> None:
    result = real_audit("pipfile")
    written = write_reports(result, sorted(RENDERERS), tmp_path / "reports")
    assert sorted(p.name for p in written) == sorted(
        [
            "supplychain.cdx.json",
            "supplychain.html",
            "supplychain.json",
            "supplychain.md",
            "supplychain.sarif",
        ]
    )
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(p.name for p in written)
    for path in written:
        fmt = next(k for k, r in RENDERERS.items() if path.name == f"supplychain.{r.extension}")
        assert path.read_text(encoding="utf-8") == RENDERERS[fmt].render(result)


def test_write_reports_refuses_an_unknown_format_before_writing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--format pdf: not one of cyclonedx, html, json, markdown, sarif"):
        write_reports(real_audit("pipfile"), ["json", "pdf"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_renderer_ids_round_trip() -> None:
    assert sorted(RENDERERS) == ["cyclonedx", "html", "json", "markdown", "sarif"]
    for key, renderer in RENDERERS.items():
        assert renderer.id == key


def test_written_reports_are_ordinary_files_under_the_umask(tmp_path: Path) -> None:
    (path,) = write_reports(real_audit("pipfile"), ["markdown"], tmp_path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["supplychain.md"]  # no temporary file left behind


@pytest.mark.parametrize("fmt", ["json", "sarif", "cyclonedx"])
def test_two_independent_audits_render_byte_identical(fmt: str) -> None:
    """Not just two renders of one object: the whole audit (read, graph, policy) runs twice."""
    first = real_audit.__wrapped__("uv")
    second = real_audit.__wrapped__("uv")
    assert first is not second
    assert RENDERERS[fmt].render(first) == RENDERERS[fmt].render(second)
