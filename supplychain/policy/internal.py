"""The rules' view of the one "internal?" answer (supplychain.internal) and of allowed indexes."""

from __future__ import annotations

from collections.abc import Iterable

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment
from supplychain.urls import SafeUrl, same_index


def served_by(package: ResolvedPackage, facts: PackageFacts) -> str | None:
    """The (redacted) index URL the package came from, from facts first, then the graph's origin."""
    if isinstance(facts.index, Known):
        return facts.index.value
    return str(package.origin.url) if package.origin.url is not None else None


def is_internal(package: ResolvedPackage, facts: PackageFacts, env: Environment) -> bool:
    """Asks the run's InternalScope about the index the facts say served the package, and about every
    index that offers its name (a name an internal index offers is ours, whichever index won)."""
    if env.internal.is_internal(package.ref.name, served_by(package, facts)):
        return True
    offers = facts.index_offers
    return isinstance(offers, Known) and any(
        env.internal.is_internal(package.ref.name, offer.index) for offer in offers.value if offer.versions
    )


def index_allowed(url: str, allowed: Iterable[str | SafeUrl]) -> bool:
    """Is the index one of the allowed ones (scheme, host, port and path, never a string prefix)?"""
    return any(same_index(url, index) for index in allowed)
