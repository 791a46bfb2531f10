"""Which exemption suppresses a finding: by rule id, or by advisory id through the advisory's aliases."""

from __future__ import annotations

import datetime as dt

from supplychain.allowlist.entries import Exemption, Exemptions, located
from supplychain.model import Advisory, PackageRef


def exemption_for(
    exemptions: Exemptions | None, ref: PackageRef, rule: str, advisory: Advisory | None, today: dt.date
) -> Exemption | None:
    """The unexpired exemption matching this finding; advisory ids match through aliases."""
    if exemptions is None:
        return None
    for entry in exemptions.entries:
        if entry.name != ref.name or entry.expires < today:
            continue
        if entry.versions and ref.version not in entry.versions:
            continue
        if entry.rule == rule:
            return entry
        if entry.advisory is not None and advisory is not None and entry.advisory in advisory.ids:
            return entry
    return None


def exemption_label(exemptions: Exemptions, entry: Exemption) -> str:
    """How audit reports name an exemption: ``exemptions.toml:2 (exempt requests yanked)``."""
    return located(exemptions.path, entry.line, f"exempt {entry.name} {entry.rule or entry.advisory}")
