"""Rules on who controls a project: too few maintainers (bus factor), too many uploaders (attack surface)."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import JSON, Action, Known, PackageFacts, Provenance, ResolvedPackage, Signal
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing

_NOT_SAID = "PyPI does not say whether an account is one person or a company's shared account"


class IndieMaintainedRule:
    id = "indie-maintained"
    rationale = "One person's account or attention is a single point of failure for everyone downstream."
    help = (
        "Two questions, answered apart. People: without a PyPI organisation, fails when fewer than "
        "`min_maintainers` accounts hold a role (PyPI does not say whether an account is a person or a "
        "company's shared one: `allowlist trust --account` vouches for a known company account). "
        "Credentials: with an organisation, warns when fewer than `min_maintainers` listed accounts and "
        "Trusted Publishers can publish (organisation teams are not listed)."
    )
    params: Mapping[str, type] = {"min_maintainers": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        org, people = facts.organization, facts.maintainers
        needs: list[Outcome] = []
        if not isinstance(org, Known):
            needs.append(missing("organization", org))
        if not isinstance(people, Known):
            return [*needs, missing("maintainers", people)]
        accounts = sorted({m.user.lower(): m.user for m in people.value}.values(), key=str.lower)
        minimum = settings.integer("min_maintainers")
        if len(accounts) >= minimum or not isinstance(org, Known):
            return needs
        publishers = _publishers(facts.provenance)
        named = ", ".join(accounts) or "none listed"
        proof = {**evidence("maintainers", people), **evidence("organization", org)}
        if org.value:
            return _organisation_credentials(
                package, org=org.value, accounts=accounts, publishers=publishers, minimum=minimum, proof=proof
            )
        tp = "no Trusted Publisher" if not publishers else f"Trusted Publisher {', '.join(publishers)}"
        if publishers is None:
            tp = "Trusted Publishers unknown"
        return [
            Hit(
                message=f"{package.ref.name}: {len(accounts)} PyPI account(s) ({named}) and no "
                f"organisation, {tp}; {_NOT_SAID}, so at most {len(accounts)} known maintainer(s) "
                f"(the policy wants at least {minimum})",
                evidence={
                    **proof,
                    "people": {"accounts": list(accounts), "organization": None, "individual": _NOT_SAID},
                    "credentials": {"accounts": len(accounts), "trusted_publishers": _listed(publishers)},
                },
                remediation=f"a company's shared account: trust it once with `supplychain allowlist trust "
                f"--account {accounts[0] if accounts else 'NAME'} --package {package.ref.name} --expires "
                f"YYYY-MM-DD`; otherwise approve it in the allowlist after review "
                '(waive = ["indie-maintained"]) or replace it',
            )
        ]


def _publishers(provenance: Signal[Provenance]) -> list[str] | None:
    """The distinct Trusted Publisher identities of this version's files; None when not learned."""
    if not isinstance(provenance, Known):
        return None
    return sorted({p.identity for p in provenance.value.publishers})


def _listed(names: list[str] | None) -> JSON:
    return None if names is None else list[JSON](names)


def _organisation_credentials(
    package: ResolvedPackage,
    *,
    org: str,
    accounts: list[str],
    publishers: list[str] | None,
    minimum: int,
    proof: dict[str, JSON],
) -> list[Outcome]:
    """An organisation answers who maintains it, not how many credentials can publish it.

    Organisation teams are not listed by the JSON API, so a low count is a warning, never a failure.
    """
    credentials = len(accounts) + len(publishers or ())
    if credentials >= minimum:
        return []
    named = ", ".join(accounts) or "none"
    tp = "Trusted Publishers unknown" if publishers is None else f"{len(publishers)} Trusted Publisher(s)"
    return [
        Hit(
            message=f"{package.ref.name} belongs to PyPI organisation {org}, but PyPI lists only "
            f"{len(accounts)} account(s) with a role ({named}) and {tp} that can publish it "
            f"(organisation teams are not listed; the policy wants at least {minimum} credentials)",
            evidence={
                **proof,
                "people": {"accounts": list(accounts), "organization": org},
                "credentials": {
                    "accounts": len(accounts),
                    "trusted_publishers": _listed(publishers),
                    "organization_teams": "not listed by the PyPI JSON API",
                },
            },
            remediation=f"check who can publish it; a known organisation: `supplychain allowlist trust "
            f"--organization {org} --package {package.ref.name} --expires YYYY-MM-DD`",
            action=Action.WARN,
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
