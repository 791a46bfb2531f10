"""Which packages are the organisation's own: the one answer every rule, source and command asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from packaging.utils import canonicalize_name

from supplychain.urls import SafeUrl, same_index, usable


def _normalised_pattern(pattern: str) -> str:
    """A name pattern spelled as PEP 503 spells names: ``Corp_*`` and ``corp.*`` both mean ``corp-*``."""
    return re.sub(r"[-_.]+", "-", pattern).lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalScope:
    """The configured internal indexes and name patterns (``internal-indexes``, ``internal-patterns``).

    Patterns are kept PEP 503-normalised, the form every package name is compared in.
    """

    indexes: tuple[SafeUrl, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for index in self.indexes:
            if not usable(index):
                raise ValueError(f"internal index {index} is not an absolute URL (scheme://host/path)")
        object.__setattr__(self, "patterns", tuple(_normalised_pattern(p) for p in self.patterns))

    def is_internal(self, name: str, served_by: str | SafeUrl | None) -> bool:
        """Served by an internal index (compared as URLs), or named like an internal pattern (any case).

        ``served_by`` is the index that served the package (None when unknown or not from an index).
        """
        normalised = canonicalize_name(name)
        if any(fnmatchcase(normalised, pattern) for pattern in self.patterns):
            return True
        return served_by is not None and any(same_index(served_by, index) for index in self.indexes)
