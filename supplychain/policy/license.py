"""The licence rule: every package's licence is one the organisation accepted, and known."""

from __future__ import annotations

import re
from collections.abc import Mapping

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing

_OR = re.compile(r"\s+OR\s+", re.IGNORECASE)
_AND = re.compile(r"\s+(?:AND|WITH)\s+", re.IGNORECASE)


def license_allowed(expression: str, allowed: tuple[str, ...]) -> bool:
    """An SPDX expression is allowed when some OR-branch has every AND-term allowed (case-insensitive)."""
    accepted = {item.lower() for item in allowed}
    for branch in _OR.split(expression.strip().strip("()")):
        terms = [t.strip("() ").lower() for t in _AND.split(branch)]
        if terms and all(term in accepted for term in terms):
            return True
    return False


class LicenseRule:
    id = "license"
    rationale = "A licence nobody checked can oblige the organisation to things it cannot do."
    help = (
        "Fails when the licence is missing, or (unless `missing_only`) not in the policy's "
        "`allowed_licenses` (SPDX ids; an OR-expression passes when one branch is allowed)."
    )
    params: Mapping[str, type] = {"missing_only": bool}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        signal = facts.license
        if not isinstance(signal, Known):
            return [missing("license", signal)]
        value = (signal.value or "").strip()
        if not value:
            return [
                Hit(
                    message=f"{package.ref.name} declares no licence",
                    evidence=evidence("license", signal),
                    remediation="ask the project to declare a licence, or approve it after legal review",
                )
            ]
        if settings.flag("missing_only") or license_allowed(value, env.allowed_licenses):
            return []
        return [
            Hit(
                message=f"{package.ref.name}'s licence {value!r} is not in the allowed list",
                evidence=evidence("license", signal),
                remediation="add the licence to allowed_licenses after review, or replace the package",
            )
        ]
