"""Delta reviews on hand-made release facts: a publisher change is loud, dependencies and advisories diff."""

from __future__ import annotations

from datetime import UTC, datetime

from supplychain.allowlist.delta import compare, risk
from supplychain.allowlist.release_facts import FileFact, ReleaseFacts
from supplychain.model import Known, PackageRef, Signal, Unknown

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def known(value: object) -> Signal[object]:
    return Known(value=value, source="hand-made", fetched_at=NOW)


def facts(
    version: str,
    *,
    publishers: Signal[object],
    requires: tuple[str, ...] = (),
    advisories: tuple[tuple[str, tuple[str, ...]], ...] = (),
    size: int = 1000,
) -> ReleaseFacts:
    return ReleaseFacts(
        ref=PackageRef.of("torch", version),
        requires_dist=requires,
        files=(FileFact(filename=f"torch-{version}-py3-none-any.whl", size=size, sha256="00"),),
        upload_time=None,
        yanked=False,
        metadata=(("summary", "tensors"),),
        advisories=known(advisories),  # type: ignore[arg-type]
        owners=known(("Owner:soumith",)),  # type: ignore[arg-type]
        organization=known("pytorch"),  # type: ignore[arg-type]
        publishers=publishers,  # type: ignore[arg-type]
    )


def test_publisher_change_is_loud_and_first() -> None:
    old = facts("2.8.0", publishers=known(("github:pytorch/pytorch@release.yml",)))
    new = facts(
        "2.9.0", publishers=known(("github:someone-else/torch@publish.yml",)), requires=("evil-helper>=1",)
    )
    changes = compare(old, new)
    assert changes[0].kind == "publisher-changed"
    assert changes[0].loud
    assert changes[0].detail == (
        "PUBLISHER CHANGED: github:pytorch/pytorch@release.yml -> github:someone-else/torch@publish.yml"
    )
    assert [c.detail for c in changes if c.kind == "dependency-added"] == ["evil-helper>=1"]


def test_same_publisher_and_new_advisory() -> None:
    same = known(("github:pytorch/pytorch@release.yml",))
    old = facts("2.8.0", publishers=same)
    new = facts("2.9.0", publishers=same, advisories=(("GHSA-aaaa-bbbb-cccc", ("CVE-2026-1",)),), size=3000)
    kinds = [c.kind for c in compare(old, new)]
    assert kinds == ["advisory-new", "size-jump"]
    assert risk(compare(old, new)) > risk(compare(old, facts("2.9.0", publishers=same)))


def test_lost_attestations_and_unknown_publishers_are_said() -> None:
    old = facts("2.8.0", publishers=known(("github:pytorch/pytorch@release.yml",)))
    assert [c.kind for c in compare(old, facts("2.9.0", publishers=known(())))] == ["attestation-lost"]
    unknown = facts("2.9.0", publishers=Unknown(reason="integrity API timed out", source="integrity"))
    assert [c.detail for c in compare(old, unknown)] == ["publisher not comparable: integrity API timed out"]
