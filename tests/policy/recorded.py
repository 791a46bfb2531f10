"""PackageFacts read from recorded real PyPI responses (tests/fixtures/pypi, recorded by H5's record.py).

The derivation here is deliberately small and independent of the product's sources: maintainers and
organisation from ``ownership``, upload times and yanks from ``releases``, licence from
``info.license_expression``/``info.license``, wheels from the version's files. Advisories come from
the real PyPA/OSV records under tests/fixtures/policy/.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import yaml
from packaging.version import Version

from supplychain.model import (
    Advisory,
    AdvisoryKind,
    Known,
    Maintainer,
    Origin,
    OriginKind,
    PackageFacts,
    PackageRef,
    Provenance,
    ResolvedPackage,
    Role,
    Unknown,
    Yank,
)
from supplychain.urls import SafeUrl

FIXTURES = Path(__file__).parents[1] / "fixtures"
PYPI = FIXTURES / "pypi"
POLICY = FIXTURES / "policy"
FETCHED = datetime.fromisoformat("2026-11-27T01:35:00+00:00")  # when H5 recorded the fixtures


def _k(value: object, source: str = "pypi") -> Known[object]:
    return Known(value=value, source=source, fetched_at=FETCHED)


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def top_downloads() -> dict[str, int]:
    data = json.loads((PYPI / "top-pypi-packages.subset.json").read_text())
    return {row["project"]: row["download_count"] for row in data["rows"]}


def facts_for(name: str, version: str | None = None) -> tuple[ResolvedPackage, PackageFacts]:
    """The package and its facts as recorded; ``version`` defaults to the JSON's latest."""
    data = json.loads((PYPI / "pypi" / name / "json").read_text())
    version = version or data["info"]["version"]
    ref = PackageRef.of(name, version)
    releases = {v: files for v, files in data["releases"].items() if files}
    times = sorted(_time(f["upload_time_iso_8601"]) for files in releases.values() for f in files)
    files = releases[version]
    roles = data["ownership"]["roles"]
    info = data["info"]
    top = top_downloads()
    downloads = top.get(name)
    facts = replace(
        PackageFacts.unknown(ref),
        maintainers=_k(tuple(sorted(Maintainer(user=r["user"], role=Role(r["role"])) for r in roles))),
        organization=_k(data["ownership"]["organization"]),
        first_release=_k(times[0]),
        release_count=_k(len(releases)),
        upload_time=_k(min(_time(f["upload_time_iso_8601"]) for f in files)),
        latest_release=_k(times[-1]),
        latest_version=_k(info["version"]),
        yanked=_k(Yank(yanked=all(f["yanked"] for f in files), reason=files[0].get("yanked_reason"))),
        license=_k(info.get("license_expression") or info.get("license")),
        has_wheel=_k(any(f["filename"].endswith(".whl") for f in files), "simple"),
        project_status=_k("active", "simple"),
        index=_k("https://pypi.org/simple/", "simple"),
        index_hashes=_k(
            tuple(sorted({f"sha256:{f['digests']['sha256']}" for f in files if "digests" in f})), "simple"
        ),
        # A public name: the simple source asks no other index about it.
        index_offers=Unknown(
            reason="not an internal name: other indexes not asked", source="simple", settled=True
        ),
        # H5 recorded a 404 from the Integrity API for these versions (statuses.json): no attestation.
        provenance=_k(Provenance(attested=False), "integrity"),
        advisories=_k((), "osv"),
        malicious_reports=_k((), "osv"),
        # No recorded package's wheel ships a .pth or sitecustomize (their RECORD files list none).
        startup_hooks=_k((), "startup-hooks"),
        **({"downloads_30d": _k(downloads, "top-pypi-packages")} if downloads is not None else {}),
    )
    package = ResolvedPackage(
        ref=ref,
        origin=Origin(
            kind=OriginKind.INDEX,
            url=SafeUrl("https://pypi.org/simple/"),
            hashes=tuple(sorted({f"sha256:{f['digests']['sha256']}" for f in files if "digests" in f})),
        ),
    )
    return package, facts


def requests_advisories() -> tuple[Advisory, ...]:
    """The real PyPA records for requests, reduced to what the vulnerability rule reads."""
    out = []
    for path in sorted((POLICY / "advisories").glob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        fixed = sorted(
            Version(event["fixed"])
            for affected in record["affected"]
            for rng in affected.get("ranges", [])
            if rng["type"] == "ECOSYSTEM"
            for event in rng["events"]
            if "fixed" in event
        )
        out.append(
            Advisory(
                id=record["id"],
                aliases=tuple(record.get("aliases") or ()),
                kind=AdvisoryKind.VULNERABILITY,
                severity=None,
                summary=record.get("summary") or "",
                fixed_in=tuple(fixed),
                source="osv",
            )
        )
    return tuple(sorted(out, key=lambda a: a.id))


def affecting(advisories: tuple[Advisory, ...], version: str) -> tuple[Advisory, ...]:
    """Advisories whose fixed version is above ``version`` (all four records start at 0 or 2.3.0)."""
    v = Version(version)
    return tuple(a for a in advisories if a.fixed_in and v < a.fixed_in[0] and v >= Version("2.3.0"))


def malicious_equests() -> Advisory:
    record = json.loads((POLICY / "malicious" / "MAL-2022-7433.json").read_text())
    return Advisory(
        id=record["id"],
        aliases=tuple(record.get("aliases", ())),
        kind=AdvisoryKind.MALICIOUS,
        severity=None,
        summary=record["summary"],
        fixed_in=(),
        source="osv",
    )
