"""Which packages are the organisation's own: served by an internal index or named by an internal pattern."""

from __future__ import annotations

from fnmatch import fnmatchcase

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment
from supplychain.urls import same_index


def served_by(package: ResolvedPackage, facts: PackageFacts) -> str | None:
    """The (redacted) index URL the package came from, from facts first, then the graph's origin."""
    if isinstance(facts.index, Known):
        return facts.index.value
    return str(package.origin.url) if package.origin.url is not None else None


def is_internal(package: ResolvedPackage, facts: PackageFacts, env: Environment) -> bool:
    """Internal = a ``internal_indexes`` index served it, or its name matches ``internal_patterns``."""
    name = package.ref.name
    if any(fnmatchcase(name, pattern.lower()) for pattern in env.internal_patterns):
        return True
    url = served_by(package, facts)
    return url is not None and any(same_index(url, index) for index in env.internal_indexes)


def index_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    return any(same_index(url, index) for index in allowed)
