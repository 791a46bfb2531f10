"""Which index served a package, which indexes an installer asks, and which packages are internal.

Every source asks ``is_internal`` here before it sends a name anywhere: an internal name (its
index, or its spelling, says it is the organisation's own) never goes to a public service. The
facts those services would have given become Unknown with the reason in ``INTERNAL_REASONS``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from supplychain.model import OriginKind, ResolvedPackage
from supplychain.sources import SourceContext, SourceSettings
from supplychain.urls import SafeUrl, same_index

INTERNAL = "internal"  # the source named on the Unknowns below
_PUBLISHERS = "internal package: its index does not say who may publish to it (the Simple API has no roles)"
_HISTORY = "internal package: its release history comes from its index's pages, not from PyPI"
_DOWNLOADS = "internal package: public download counts do not apply (its use is the inventory's)"
_NOT_ASKED = "internal package: not asked of PyPI, and its index's pages do not carry it"
# Public source id -> the facts it gives -> why an internal package has none of them.
INTERNAL_REASONS: Mapping[str, Mapping[str, str]] = {
    "pypi": {
        "maintainers": _PUBLISHERS,
        "organization": _PUBLISHERS,
        "first_release": _HISTORY,
        "release_count": _HISTORY,
        "upload_time": _HISTORY,
        "latest_release": _HISTORY,
        "latest_version": _HISTORY,
        "release_gap_days": _HISTORY,
        "yanked": _HISTORY,
        "source_repository": _NOT_ASKED,
        "license": _NOT_ASKED,
        "summary": _NOT_ASKED,
    },
    "integrity": {
        "provenance": "internal package: PyPI's Integrity API is not asked about internal names",
    },
    "popularity": {
        "downloads_30d": _DOWNLOADS,
        "popularity_rank": _DOWNLOADS,
        "downloads_30d_at_most": _DOWNLOADS,
    },
    "osv": {
        "advisories": "internal package: not covered by public advisory data",
        "malicious_reports": "internal package: not covered by public malicious-package reports",
    },
}
PUBLIC_SOURCES = frozenset(INTERNAL_REASONS)


def _with_slash(url: SafeUrl) -> SafeUrl:
    raw = url.reveal()
    return url if raw.endswith("/") else SafeUrl(raw + "/")


def indexed(package: ResolvedPackage) -> bool:
    """Installed from an index (or from somewhere unrecorded, which an installer takes as the index)."""
    return package.origin.kind in {OriginKind.INDEX, OriginKind.UNKNOWN}


def index_of(package: ResolvedPackage, config: SourceSettings) -> SafeUrl:
    """The index that served the package: its recorded origin URL, else the configured/default index."""
    url = package.origin.url if package.origin.kind is OriginKind.INDEX else None
    if url is None:
        url = config.index_urls[0] if config.index_urls else config.endpoints.index
    return _with_slash(url)


def page_url(index: SafeUrl, name: str) -> str:
    """The index page of one project (PEP 503: the name, quoted, with a trailing slash)."""
    return f"{index.reveal()}{quote(name)}/"


def served_by(package: ResolvedPackage, config: SourceSettings) -> SafeUrl | None:
    """What the sources ask ``config.internal`` about: the index as the index sources see it (the
    policy reads the same value back as the ``index`` fact), else the direct URL."""
    if indexed(package):
        return index_of(package, config)
    return package.origin.url


def same_url(one: SafeUrl | str, other: SafeUrl | str) -> bool:
    """One index however it is spelled (each holds the other)."""
    return same_index(one, other) and same_index(other, one)


def consulted(config: SourceSettings) -> tuple[SafeUrl, ...]:
    """The indexes an installer asks for a name nothing pins: pip merges them all, uv takes the first
    that has it; either way a copy on any of them can be the one installed."""
    found: list[SafeUrl] = []
    for url in config.index_urls or (config.endpoints.index,):
        if not any(same_url(url, seen) for seen in found):
            found.append(_with_slash(url))
    return tuple(found)


def other_indexes(package: ResolvedPackage, config: SourceSettings) -> tuple[SafeUrl, ...]:
    """The indexes besides the serving one an installer asks for this package (none when pinned)."""
    if not indexed(package) or package.origin.pinned:
        return ()
    serving = index_of(package, config)
    return tuple(url for url in consulted(config) if not same_url(url, serving))


def askable(index: SafeUrl, package: ResolvedPackage, context: SourceContext) -> bool:
    """May ``index`` be asked for this package's page: always for a public name; for an internal one
    only an internal index, an index the flags or the input name, or the one its input says served it.

    Never the default index as a fallback: an installer told nothing would ask PyPI, but that is
    a request about an internal name to a public service, which the audit does not make.
    """
    if not is_internal(package, context):
        return True
    config = context.config
    recorded = package.origin.url if package.origin.kind is OriginKind.INDEX else None
    return (
        any(same_index(index, internal) for internal in config.internal.indexes)
        or any(same_url(index, url) for url in config.index_urls)
        or (recorded is not None and same_url(index, recorded))
    )


def is_internal(package: ResolvedPackage, context: SourceContext) -> bool:
    """The one answer (``InternalScope``) for the serving index, or for an internal index that offers it."""
    if package.ref.name in context.offered_internally:
        return True
    return context.config.internal.is_internal(package.ref.name, served_by(package, context.config))


def public_only(packages: Sequence[ResolvedPackage], context: SourceContext) -> list[ResolvedPackage]:
    """The packages a public service may be asked about: every one that is not internal."""
    return [package for package in packages if not is_internal(package, context)]
