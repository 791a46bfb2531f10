"""Rules on who controls a project: too few maintainers (bus factor), too many uploaders (attack surface)."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing


class IndieMaintainedRule:
    id = "indie-maintained"
    rationale = "One person's account or attention is a single point of failure for everyone downstream."
    help = (
        "Fails when the project has fewer than `min_maintainers` distinct PyPI accounts "
        "(owners + maintainers) and belongs to no PyPI organisation."
    )
    params: Mapping[str, type] = {"min_maintainers": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        org, people = facts.organization, facts.maintainers
        if isinstance(org, Known) and org.value:
            return []
        needs: list[Outcome] = []
        if not isinstance(org, Known):
            needs.append(missing("organization", org))
        if not isinstance(people, Known):
            return [*needs, missing("maintainers", people)]
        count = len({m.user.lower() for m in people.value})
        minimum = settings.integer("min_maintainers")
        if count >= minimum or not isinstance(org, Known):
            return needs
        names = ", ".join(sorted({m.user for m in people.value})) or "none"
        return [
            Hit(
                message=f"{package.ref.name} has {count} maintainer(s) ({names}) and no organisation; "
                f"the policy wants at least {minimum}",
                evidence={**evidence("maintainers", people), **evidence("organization", org)},
                remediation='approve it in the allowlist after review (waive = ["indie-maintained"]) '
                "or replace it",
            )
        ]


class PublishSurfaceRule:
    id = "publish-surface"
    rationale = "Every account with upload rights can plant a release; fewer accounts, fewer ways in."
    help = (
        "Fails when more than `max_uploaders` accounts hold a role; when `unless_trusted_publisher` "
        "is true, a version whose files carry a verified Trusted Publisher attestation passes."
    )
    params: Mapping[str, type] = {"max_uploaders": int, "unless_trusted_publisher": bool}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        people = facts.maintainers
        if not isinstance(people, Known):
            return [missing("maintainers", people)]
        count = len({m.user.lower() for m in people.value})
        maximum = settings.integer("max_uploaders")
        if count <= maximum:
            return []
        if settings.flag("unless_trusted_publisher"):
            prov = facts.provenance
            if not isinstance(prov, Known):
                return [missing("provenance", prov)]
            if prov.value.verified and prov.value.publishers:
                return []
        return [
            Hit(
                message=f"{count} accounts can upload {package.ref.name} (policy maximum {maximum})",
                evidence=evidence("maintainers", people),
                remediation="ask the project to publish through a Trusted Publisher, or approve it "
                "in the allowlist",
            )
        ]
