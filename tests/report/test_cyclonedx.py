"""CycloneDX 1.6 of real audits: valid per cyclonedx-python-lib's strict validator, complete, stable."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from supplychain.model import Origin, OriginKind, PackageRef, ResolvedPackage
from supplychain.report import RENDERERS
from supplychain.report.cyclonedx import purl
from supplychain.urls import SafeUrl
from tests.report.audited import real_audit


@pytest.mark.parametrize("kind", ["pipfile", "uv"])
def test_cyclonedx_is_valid_1_6(kind: str) -> None:
    text = RENDERERS["cyclonedx"].render(real_audit(kind))
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)
    assert json.loads(text)["specVersion"] == "1.6"


def test_validator_rejects_a_broken_bom() -> None:
    document = json.loads(RENDERERS["cyclonedx"].render(real_audit("pipfile")))
    document["components"][0]["purl"] = 42
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document)) is not None


def test_components_purls_hashes_licences_and_dependencies() -> None:
    result = real_audit("uv")
    document = json.loads(RENDERERS["cyclonedx"].render(result))
    components = {c["name"]: c for c in document["components"]}
    assert sorted(components) == sorted(p.ref.name for p in result.graph.packages())
    requests = components["requests"]
    assert requests["purl"] == "pkg:pypi/requests@2.34.2"
    package = result.graph.package(
        next(p.ref.name for p in result.graph.packages() if p.ref.name == "requests")
    )
    assert sorted(f"sha256:{h['content']}" for h in requests["hashes"]) == list(package.origin.hashes)
    assert (
        requests["licenses"] == [{"expression": "Apache-2.0"}]
        or requests["licenses"][0]["license"]["id"] == "Apache-2.0"
    )
    dependencies = {d["ref"]: sorted(d.get("dependsOn", [])) for d in document["dependencies"]}
    assert dependencies["pkg:pypi/requests@2.34.2"] == sorted(
        components[name]["bom-ref"] for name in result.graph.dependencies(package.ref.name)
    )
    assert len(dependencies["environment"]) == sum(
        result.graph.is_direct(p.ref.name) for p in result.graph.packages()
    )
    properties = {p["name"]: p["value"] for p in requests["properties"]}
    assert properties["supplychain:direct"] == str(result.graph.is_direct(package.ref.name)).lower()
    assert properties["supplychain:score"] == str(result.scores[package.ref].score)


def test_vulnerabilities_affect_the_component() -> None:
    document = json.loads(RENDERERS["cyclonedx"].render(real_audit("pipfile")))
    vulns = {v["id"]: v for v in document["vulnerabilities"]}
    assert sorted(vulns) == ["PYSEC-2023-74", "PYSEC-2026-1872", "PYSEC-2026-1873", "PYSEC-2026-2275"]
    assert vulns["PYSEC-2023-74"]["affects"] == [
        {"ref": "pkg:pypi/requests@2.25.1", "versions": [{"status": "affected", "version": "2.25.1"}]}
    ]
    assert vulns["PYSEC-2023-74"]["recommendation"] == "Upgrade to 2.31.0"
    aliases = {p["value"] for p in vulns["PYSEC-2023-74"]["properties"] if p["name"] == "supplychain:alias"}
    assert aliases == {"CVE-2023-32681", "GHSA-j8r2-6x86-q33q"}


def test_serial_and_timestamp_come_from_the_result() -> None:
    result = real_audit("pipfile")
    first = json.loads(RENDERERS["cyclonedx"].render(result))
    assert first["metadata"]["timestamp"].startswith("2026-11-26T12:00:00")
    later = json.loads(
        RENDERERS["cyclonedx"].render(replace(result, generated_at=result.generated_at.replace(hour=13)))
    )
    assert first["serialNumber"].startswith("urn:uuid:")
    assert later["serialNumber"] != first["serialNumber"]


def test_a_conda_package_is_a_conda_purl_with_its_channel_never_a_pypi_one() -> None:
    forge = "https://conda.anaconda.org/conda-forge"
    origin = Origin(kind=OriginKind.CONDA, url=SafeUrl(forge))
    numpy = ResolvedPackage(ref=PackageRef.of("numpy", "1.26.4+py311h64a7726.0"), origin=origin)
    assert str(purl(numpy)) == "pkg:conda/numpy@1.26.4?channel=https://conda.anaconda.org/conda-forge"
    unknown = ResolvedPackage(ref=PackageRef.of("zlib", "0+unknown"), origin=Origin(kind=OriginKind.CONDA))
    assert str(purl(unknown)) == "pkg:conda/zlib"
