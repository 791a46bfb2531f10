"""The not-allowlisted rule: at the highest levels only packages a reviewer approved may be installed."""

from __future__ import annotations

from collections.abc import Mapping

from supplychain.model import PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings


class NotAllowlistedRule:
    id = "not-allowlisted"
    rationale = "Deny by default, permit by exception: only reviewed packages run where weights live."
    help = (
        "Fails when no unexpired allowlist entry (approve, trust or baseline) covers this exact "
        "version (and its hashes, when the entry records them)."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if package.ref in env.covered:
            return []
        return [
            Hit(
                message=f"{package.ref} is not in the allowlist",
                evidence={"allowlist": "no entry covers this version"},
                remediation=f"review {package.ref} and add an [[approve]] entry "
                f"(supplychain allowlist approve {package.ref.name})",
            )
        ]
