"""CycloneDX 1.6 JSON: the resolved environment as an SBOM, our risk facts as ``supplychain:*`` properties.

Deterministic: the timestamp is the audit's, and the serial number is a UUID derived from the
document's own content, so the same audit gives a byte-identical file.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal

from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityRating,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from packaging.utils import NormalizedName

from supplychain.model import Advisory, Known, OriginKind, ResolvedPackage
from supplychain.report.common import effective

try:  # cyclonedx-python-lib >= 11.x; the older path still works there but warns
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:  # pragma: no cover - older library versions the pin allows
    from cyclonedx.factory.license import LicenseFactory
from supplychain.result import AuditResult
from supplychain.urls import scrub

_ALGORITHMS = {
    "md5": HashAlgorithm.MD5,
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
}
_NIL = uuid.UUID(int=0)


def purl(package: ResolvedPackage) -> PackageURL:
    """The package URL (purl spec, ``pkg:pypi/name@version``) by which SBOM tools match components.

    A conda package is ``pkg:conda/name@version?channel=URL``: conda's version without the build label
    this tool adds, none when unknown; never ``pkg:pypi``, which would name the PyPI project instead.
    """
    if package.origin.kind is OriginKind.CONDA:
        version = package.ref.version.public if package.ref.version_known else None
        channel = {"channel": package.origin.url.public} if package.origin.url is not None else None
        return PackageURL(type="conda", name=package.ref.name, version=version, qualifiers=channel)
    return PackageURL(type="pypi", name=package.ref.name, version=str(package.ref.version))


def _properties(result: AuditResult, package: ResolvedPackage) -> list[Property]:
    name = package.ref.name
    props = [
        Property(name="supplychain:direct", value=str(result.graph.is_direct(name)).lower()),
        Property(name="supplychain:origin", value=package.origin.kind.value),
    ]
    if package.origin.url is not None:
        props.append(Property(name="supplychain:index", value=package.origin.url.public))
    if (score := result.scores.get(package.ref)) is not None:
        props.append(Property(name="supplychain:score", value=str(score.score)))
    rules = sorted({f"{f.rule}={effective(f).value}" for f in result.findings if f.package == package.ref})
    props.extend(Property(name="supplychain:finding", value=rule) for rule in rules)
    facts = result.facts.get(package.ref)
    if facts is not None:
        for fact in ("downloads_30d", "popularity_rank", "first_release", "upload_time", "organization"):
            signal = getattr(facts, fact)
            if isinstance(signal, Known) and signal.value is not None:
                value = signal.value.isoformat() if hasattr(signal.value, "isoformat") else str(signal.value)
                props.append(Property(name=f"supplychain:{fact}", value=value))
        if isinstance(facts.maintainers, Known):
            props.append(Property(name="supplychain:maintainers", value=str(len(facts.maintainers.value))))
        if isinstance(facts.provenance, Known):
            props.append(
                Property(name="supplychain:attested", value=str(facts.provenance.value.attested).lower())
            )
            verified = str(facts.provenance.value.verified).lower()
            props.append(Property(name="supplychain:attestation-verified", value=verified))
    return props


def _component(result: AuditResult, package: ResolvedPackage) -> Component:
    name = package.ref.name
    hashes = []
    for digest in package.origin.file_hashes:
        algorithm, _, value = digest.partition(":")
        if algorithm in _ALGORITHMS:
            hashes.append(HashType(alg=_ALGORITHMS[algorithm], content=value))
    licenses = []
    facts = result.facts.get(package.ref)
    if facts is not None and isinstance(facts.license, Known) and facts.license.value:
        licenses.append(LicenseFactory().make_from_string(facts.license.value.strip()[:200]))
    ref = purl(package)
    return Component(
        name=name,
        version=str(package.ref.version),
        type=ComponentType.LIBRARY,
        bom_ref=ref.to_string(),
        purl=ref,
        hashes=hashes,
        licenses=licenses,
        properties=_properties(result, package),
    )


def _vulnerability(advisory: Advisory, refs: list[tuple[str, str]]) -> Vulnerability:
    ratings = []
    if advisory.severity is not None or advisory.cvss_score is not None:
        ratings.append(
            VulnerabilityRating(
                source=VulnerabilitySource(name=advisory.source),
                severity=VulnerabilitySeverity(advisory.severity.label) if advisory.severity else None,
                score=Decimal(str(advisory.cvss_score)) if advisory.cvss_score is not None else None,
                method=VulnerabilityScoreSource.CVSS_V3_1 if advisory.cvss_score is not None else None,
            )
        )
    fixed = ", ".join(str(v) for v in advisory.fixed_in)
    return Vulnerability(
        bom_ref=f"{advisory.id}",
        id=advisory.id,
        source=VulnerabilitySource(name=advisory.source, url=None),
        description=advisory.summary or None,
        recommendation=f"Upgrade to {fixed}" if fixed else None,
        published=advisory.published,
        ratings=ratings,
        affects=[
            BomTarget(
                ref=ref,
                versions=[
                    BomTargetVersionRange(version=version, status=ImpactAnalysisAffectedStatus.AFFECTED)
                ],
            )
            for ref, version in sorted(refs)
        ],
        properties=[Property(name="supplychain:kind", value=advisory.kind.value)]
        + [Property(name="supplychain:alias", value=alias) for alias in sorted(advisory.aliases)],
    )


def build_bom(result: AuditResult) -> Bom:
    """The CycloneDX model: components with our facts as properties, and the dependency tree.

    Each advisory appears once, with every version it affects; withdrawn ones are left out.
    """
    components = {p.ref: _component(result, p) for p in result.graph.packages()}
    graph = result.graph

    def every_version(names: list[NormalizedName]) -> list[Component]:
        return [components[p.ref] for name in names for p in graph.versions(name)]

    root = Component(name="environment", type=ComponentType.APPLICATION, bom_ref="environment")
    bom = Bom(
        serial_number=_NIL,
        metadata=BomMetaData(
            timestamp=result.generated_at,
            component=root,
            properties=[
                Property(name="supplychain:verdict", value=result.verdict.value),
                Property(name="supplychain:policy", value=result.policy.name),
                Property(name="supplychain:python_version", value=result.python_version),
                Property(name="supplychain:platform", value=result.platform),
                *(
                    [Property(name="supplychain:scope", value=str(result.scope["text"]))]
                    if result.scope
                    else []
                ),
            ],
        ),
        components=components.values(),
    )
    direct = sorted(NormalizedName(n) for n in graph.successors("<root>"))
    bom.register_dependency(root, every_version(direct))
    for ref, component in sorted(components.items()):
        bom.register_dependency(component, every_version(graph.dependencies(ref.name)))
    affected: dict[str, tuple[Advisory, list[tuple[str, str]]]] = {}
    for ref, facts in sorted(result.facts.items()):
        if ref not in components:
            continue
        for advisory in facts.known_advisories():
            if advisory.withdrawn:
                continue
            entry = affected.setdefault(advisory.id, (advisory, []))
            entry[1].append((str(components[ref].bom_ref.value), str(ref.version)))
    for _, (advisory, refs) in sorted(affected.items()):
        bom.vulnerabilities.add(_vulnerability(advisory, refs))
    return bom


def render_bom(bom: Bom) -> str:
    """Serialise, then fix the serial number as a UUID of the content (with the nil serial)."""
    first = JsonV1Dot6(bom).output_as_string(indent=2)
    digest = hashlib.sha256(first.encode()).digest()
    bom.serial_number = uuid.UUID(bytes=digest[:16], version=5)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    return scrub(json.dumps(json.loads(text), indent=2, sort_keys=True)) + "\n"


class CycloneDxRenderer:
    """The ``cyclonedx`` report: the audited environment as a CycloneDX 1.6 JSON SBOM."""

    id = "cyclonedx"
    extension = "cdx.json"

    def render(self, result: AuditResult) -> str:
        """The SBOM text, byte-identical for the same audit."""
        return render_bom(build_bom(result))
