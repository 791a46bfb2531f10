"""Which exemption suppresses a finding: by rule id, or by advisory id through the advisory's aliases.

``data-unknown`` findings are named like any rule's (``rules = ["data-unknown"]``), or by the facts
they are about (``facts = ["provenance"]``); an entry listing facts covers only those facts.
"""

from __future__ import annotations

import datetime as dt

from supplychain.allowlist.entries import Exemption, Exemptions, located
from supplychain.model import Advisory, PackageRef

UNKNOWN_RULE = "data-unknown"


def names_finding(rules: tuple[str, ...], facts: tuple[str, ...], rule: str, about: tuple[str, ...]) -> bool:
    """An entry naming ``rules`` and ``facts`` covers a finding of ``rule`` (about the facts ``about``).

    A ``data-unknown`` finding is covered when every fact it is about is listed in ``facts``, or,
    when ``facts`` lists none, when ``data-unknown`` is among ``rules``.
    """
    if rule != UNKNOWN_RULE:
        return rule in rules
    if facts:
        return bool(about) and set(about) <= set(facts)
    return UNKNOWN_RULE in rules


def exemption_for(
    exemptions: Exemptions | None,
    ref: PackageRef,
    rule: str,
    advisory: Advisory | None,
    today: dt.date,
    *,
    facts: tuple[str, ...] = (),
) -> Exemption | None:
    """The unexpired exemption matching this finding; advisory ids match through aliases.

    ``facts``: what a ``data-unknown`` finding is about, for entries that name facts.
    """
    if exemptions is None:
        return None
    for entry in exemptions.entries:
        if entry.name != ref.name or entry.expires < today:
            continue
        if entry.versions and ref.version not in entry.versions:
            continue
        if names_finding(entry.named_rules, entry.facts, rule, facts):
            return entry
        if entry.advisory is not None and advisory is not None and entry.advisory in advisory.ids:
            return entry
    return None


def exemption_label(exemptions: Exemptions, entry: Exemption) -> str:
    """How audit reports name an exemption: ``exemptions.toml:2 (exempt requests yanked)``."""
    parts = [rule for rule in entry.named_rules if not (entry.facts and rule == UNKNOWN_RULE)]
    if entry.facts:
        parts.append(f"{UNKNOWN_RULE} ({', '.join(entry.facts)})")
    what = ", ".join(parts) or entry.advisory
    return located(exemptions.path, entry.line, f"exempt {entry.name} {what}")
