"""The policy stage: rules keyed by stable id, evaluated over the graph and facts into findings.

``RULES`` is the registry every output uses: the policy TOML tables, each finding's ``rule``, SARIF
rule ids and the table in ``policies/README.md`` all use these ids.
"""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import PackageFacts, ResolvedPackage
from supplychain.policy.advisories import MaliciousRule, VulnerabilityRule
from supplychain.policy.age import AbandonedRule, FreshReleaseRule, YoungProjectRule
from supplychain.policy.allowlisted import NotAllowlistedRule
from supplychain.policy.base import Environment, Outcome, Rule, RuleSettings
from supplychain.policy.hashes import HashMismatchRule
from supplychain.policy.license import LicenseRule
from supplychain.policy.maintainers import IndieMaintainedRule, PublishSurfaceRule
from supplychain.policy.origin import (
    BuildFromSourceRule,
    DependencyConfusionRule,
    NoProvenanceRule,
    UnpinnedRule,
    UntrustedSourceRule,
    VanishedRule,
    YankedRule,
)
from supplychain.policy.popularity import LowPopularityRule, LowUseInternalRule
from supplychain.policy.provenance import ProvenanceInvalidRule, PublisherChangedRule
from supplychain.policy.startup import StartupHookRule
from supplychain.policy.typosquat import TyposquatRule


class DataUnknownRule:
    """Not evaluated per package: the engine raises it for every fact another rule needed and lacked."""

    id = "data-unknown"
    rationale = "A check that could not run is not a check that passed; fail-closed levels stop here."
    help = (
        "Raised when a fact a rule needs is unknown (source unreachable, offline without cache). "
        "Fails when the policy is `fail_closed` or the fact is in `fail_facts`; otherwise uses this "
        "rule's action. Also raised for an offline dataset older than its policy maximum "
        "(`max_advisory_age_days`, `max_popularity_age_days`) or without dates to tell its age, and "
        "for index facts read from the cache (`--offline`) older than `max_data_age_days`: stale "
        "data fails like missing data for the facts in `fail_facts`."
    )
    params: Mapping[str, type] = {"fail_facts": tuple}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        return []


_ALL: tuple[Rule, ...] = (
    VulnerabilityRule(),
    MaliciousRule(),
    IndieMaintainedRule(),
    PublishSurfaceRule(),
    LowPopularityRule(),
    LowUseInternalRule(),
    YoungProjectRule(),
    FreshReleaseRule(),
    AbandonedRule(),
    NoProvenanceRule(),
    ProvenanceInvalidRule(),
    PublisherChangedRule(),
    UntrustedSourceRule(),
    DependencyConfusionRule(),
    TyposquatRule(),
    BuildFromSourceRule(),
    StartupHookRule(),
    UnpinnedRule(),
    HashMismatchRule(),
    YankedRule(),
    VanishedRule(),
    LicenseRule(),
    NotAllowlistedRule(),
    DataUnknownRule(),
)
RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
UNWAIVABLE = frozenset({"malicious"})

__all__ = ["RULES", "UNWAIVABLE", "Environment", "Rule", "RuleSettings"]
