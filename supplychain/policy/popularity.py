"""Rules on use: public packages few people download, internal tools few teams run."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import Known, PackageFacts, ResolvedPackage, Signal, Unknown
from supplychain.policy.base import (
    Environment,
    Hit,
    Missing,
    Outcome,
    RuleSettings,
    evidence,
    missing,
)
from supplychain.policy.internal import is_internal


class LowPopularityRule:
    id = "low-popularity"
    rationale = "Little-used public code has had few eyes on it and is a cheap target for takeover."
    help = (
        "Fails when a public package had fewer than `min_downloads` downloads in the last 30 days, "
        "or is absent from a top-packages list whose cut-off is below `min_downloads`."
    )
    params: Mapping[str, type] = {"min_downloads": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if is_internal(package, facts, env):
            return []
        downloads = facts.downloads_30d
        minimum = settings.integer("min_downloads")
        if not isinstance(downloads, Known):
            return [_from_bound(package, facts.downloads_30d_at_most, downloads, minimum)]
        if downloads.value >= minimum:
            return []
        return [
            Hit(
                message=f"{package.ref.name} had {downloads.value:,} downloads in 30 days "
                f"(policy minimum {minimum:,})",
                evidence=evidence("downloads_30d", downloads),
                remediation="prefer a widely used alternative, or approve it in the allowlist after review",
            )
        ]


def _from_bound(
    package: ResolvedPackage, bound: Signal[int | None], downloads: Unknown, minimum: int
) -> Outcome:
    """Without a count, absence from a top-N list still proves "at most the cut-off": enough to fire
    when the cut-off is below the minimum, and said in the unknown's reason when it is not."""
    if not isinstance(bound, Known) or bound.value is None:
        return missing("downloads_30d", downloads)
    if bound.value < minimum:
        return Hit(
            message=f"{package.ref.name} had at most {bound.value:,} downloads in 30 days "
            f"(absent from the top-packages list; policy minimum {minimum:,})",
            evidence=evidence("downloads_30d_at_most", bound),
            remediation="prefer a widely used alternative, or approve it in the allowlist after review",
        )
    reason = (
        f"{downloads.reason}; absent from the top-packages list, so at most {bound.value:,} "
        f"downloads/30d, which does not settle the policy minimum {minimum:,}"
    )
    return Missing(fact="downloads_30d", reason=reason, source=bound.source, settled=downloads.settled)


class LowUseInternalRule:
    id = "low-use-internal"
    rationale = "An internal tool used by one team has one team's review; its failures surprise the rest."
    help = (
        "For internal packages only: fails when fewer than `min_environments` audited environments "
        "or fewer than `min_teams` teams use it (from the inventory)."
    )
    params: Mapping[str, type] = {"min_environments": int, "min_teams": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if not is_internal(package, facts, env):
            return []
        usage = facts.internal_usage
        if not isinstance(usage, Known):
            return [missing("internal_usage", usage)]
        envs, teams = usage.value.environments, usage.value.teams
        if envs >= settings.integer("min_environments") and teams >= settings.integer("min_teams"):
            return []
        return [
            Hit(
                message=f"internal package {package.ref.name} is used by {envs} environment(s) and "
                f"{teams} team(s) (policy minimum {settings.integer('min_environments')} and "
                f"{settings.integer('min_teams')})",
                evidence=evidence("internal_usage", usage),
                remediation="give it a second owning team, or approve it in the allowlist",
            )
        ]
