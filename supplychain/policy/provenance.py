"""Rules on what PEP 740 attestations prove: that they verify, and that the publisher stayed the same."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing


class ProvenanceInvalidRule:
    id = "provenance-invalid"
    rationale = (
        "An attestation that does not verify is worse than none: the file, its signature or its "
        "claimed publisher has been tampered with."
    )
    help = (
        "Fails when a file's PEP 740 attestation does not verify offline against the Sigstore trust "
        "root, the file's sha256 on the index, and the Trusted Publisher its bundle names."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        prov = facts.provenance
        if not isinstance(prov, Known):
            return [missing("provenance", prov)]
        if not prov.value.problems:
            return []
        problems = "; ".join(prov.value.problems)
        return [
            Hit(
                message=f"{package.ref}: PEP 740 attestation does not verify ({problems})",
                evidence=evidence("provenance", prov),
                remediation="do not install it; report it to the index and the project",
            )
        ]


class PublisherChangedRule:
    id = "publisher-changed"
    rationale = (
        "A new Trusted Publisher (repository, workflow or environment) for an approved package is the "
        "signal that an account or a release pipeline changed hands."
    )
    help = (
        "Fails when an allowlist approval recorded the package's PEP 740 publishers and this "
        "version's verified publishers differ (or it carries no verified attestation at all)."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        recorded = env.approved_publishers.get(package.ref.name)
        if recorded is None:
            return []
        where, approved = recorded
        prov = facts.provenance
        if not isinstance(prov, Known):
            return [missing("provenance", prov)]
        verified = prov.value.verified
        now = sorted({p.full_identity for p in prov.value.publishers}) if verified else []
        if set(now) == set(approved):
            return []
        shown = ", ".join(now) or "no verified publisher"
        return [
            Hit(
                message=f"{package.ref} is published by {shown}; the approval recorded {', '.join(approved)}",
                evidence={
                    "approved_publishers": list(approved),
                    "approval": where,
                    "publishers_now": list(now),
                    **evidence("provenance", prov),
                },
                remediation="review who publishes it now before installing, then re-approve it "
                "(supplychain allowlist approve)",
            )
        ]
