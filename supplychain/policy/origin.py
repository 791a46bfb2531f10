"""Rules on how a distribution arrives: index, confusion, builds, pins, hashes, yanks, provenance."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from supplychain.model import JSON, Action, Finding, Known, OriginKind, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Outcome, RuleSettings, evidence, missing
from supplychain.policy.internal import index_allowed, is_internal, served_by
from supplychain.resolve.graph import ROOT


class UntrustedSourceRule:
    id = "untrusted-source"
    rationale = "An artifact from outside the allowed indexes bypasses every control those indexes give."
    help = (
        "Fails for a package served by an index not in the policy's `allowed_indexes` (plus the "
        "configured internal indexes) or by a `--find-links` location not among them, and for "
        "direct URL, VCS, local path or editable installs unless `allow_direct` is true; and for conda "
        "packages, whose conda channel is no PyPI index. A `--trusted-host` in the audited file (TLS "
        "unverified for that host) is an environment finding with this rule's action. "
        "An index that only the audited file names (its `--index-url`, "
        "not the flags, configuration or policy) is never asked when `contact_file_indexes` is false, "
        "nor at any level when its URL takes `${VAR}` from the environment: it fails here instead."
    )
    params: Mapping[str, type] = {"allow_direct": bool, "contact_file_indexes": bool}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        kind = package.origin.kind
        if kind in {OriginKind.URL, OriginKind.VCS, OriginKind.PATH, OriginKind.EDITABLE}:
            return [] if settings.flag("allow_direct") else _direct(package)
        if kind is OriginKind.CONDA:  # a conda channel serves conda packages: no PyPI index's controls
            return _conda(package)
        if kind is OriginKind.FIND_LINKS:
            return _find_links(package, env)
        url = served_by(package, facts)
        if url is None:
            signal = facts.index
            assert not isinstance(signal, Known)
            return [missing("index", signal)]
        if index_allowed(url, (*env.allowed_indexes, *env.internal.indexes)):
            return []
        return [
            Hit(
                message=f"{package.ref.name} comes from {url}, which the policy does not allow",
                evidence={"index": url},
                remediation="serve it from an allowed index, or add the index to allowed_indexes",
            )
        ]


def _direct(package: ResolvedPackage) -> list[Outcome]:
    """A URL, VCS, path or editable install: no index's controls applied to it."""
    kind = package.origin.kind
    return [
        Hit(
            message=f"{package.ref.name} is installed from a {kind.value} reference, not an index",
            evidence={"origin": {"kind": kind.value, "url": str(package.origin.url or "")}},
            remediation="publish it to an allowed index and depend on it by version",
        )
    ]


def _conda(package: ResolvedPackage) -> list[Outcome]:
    """A conda channel is no PyPI index, listed or not: only the allowlist approves its packages."""
    channel = str(package.origin.url) if package.origin.url is not None else None
    source = f"the conda channel {channel}" if channel else "a conda channel the input does not name"
    return [
        Hit(
            message=f"{package.ref.name} is a conda package from {source}, not from an allowed index",
            evidence={"origin": {"kind": OriginKind.CONDA.value, "url": channel or ""}},
            remediation="review the channel and approve the package in the allowlist, "
            "or install it from an allowed index with pip",
        )
    ]


def _find_links(package: ResolvedPackage, env: Environment) -> list[Outcome]:
    """pip reads a find-links location like an index, but no index controls it: allowed only as one."""
    link = str(package.origin.url or "")
    if index_allowed(link, (*env.allowed_indexes, *env.internal.indexes)):
        return []
    return [
        Hit(
            message=f"{package.ref.name} comes from the find-links location {link}, "
            "which the policy does not allow",
            evidence={"origin": {"kind": package.origin.kind.value, "url": link}},
            remediation="publish it to an allowed index, or add the location to allowed_indexes after review",
        )
    ]


def _environment_finding(
    settings: RuleSettings, message: str, evidence: dict[str, JSON], remediation: str
) -> Finding:
    """An ``untrusted-source`` finding about the input itself; it warns even where the rule is off."""
    return Finding(
        rule=UntrustedSourceRule.id,
        action=Action.WARN if settings.action is Action.OFF else settings.action,
        package=None,
        message=message,
        evidence=evidence,
        remediation=remediation,
    )


def refused_index_findings(refused: Iterable[str], settings: RuleSettings) -> list[Finding]:
    """One environment finding per index the audited file named and the audit did not ask."""
    return [
        _environment_finding(
            settings,
            f"the audited input names the index {url}, which no flag, configuration or policy "
            "allows; it was not asked (never with an environment value in its URL, never at all under "
            "contact_file_indexes = false), so what it would serve is unaudited",
            {"index": url, "contacted": False},
            "remove the index option from the file, or allow the index in your own "
            "configuration or policy (allowed_indexes) after review",
        )
        for url in sorted(set(refused))
    ]


def trusted_host_findings(hosts: Iterable[tuple[str, str]], settings: RuleSettings) -> list[Finding]:
    """One environment finding per ``--trusted-host`` host: pip then skips TLS verification for it."""
    where: dict[str, set[str]] = {}
    for host, location in hosts:
        where.setdefault(host, set()).add(location)
    return [
        _environment_finding(
            settings,
            f"the audited input marks {host} as a trusted host ({', '.join(sorted(places))}): "
            "pip then accepts plain HTTP and unverified TLS from it, so anyone on the network path "
            "can serve any file",
            {"trusted_host": host, "locations": list[JSON](sorted(places))},
            "remove --trusted-host and serve the index over HTTPS with a valid certificate "
            "(give pip the CA with --cert if it is private)",
        )
        for host, places in sorted(where.items())
    ]


class DependencyConfusionRule:
    id = "dependency-confusion"
    rationale = "An internal name that another index also offers can be swapped for the attacker's copy."
    help = (
        "Fails for an internal package whose name more than one of the indexes the installer asks "
        "offers (pip merges them all and takes the highest version; uv takes the first index that has "
        "it), unless the input pins it to its index (uv `index =` source, poetry `source =`); and for "
        "an internal name served by an index that is not one of the configured internal indexes."
    )
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if package.origin.kind not in {OriginKind.INDEX, OriginKind.UNKNOWN}:
            return []
        internal = is_internal(package, facts, env)
        offers = facts.index_offers
        if not isinstance(offers, Known):
            # Settled: the name is not internal, so nothing was asked; otherwise the check failed.
            return [missing("index_offers", offers)] if internal or not offers.settled else []
        if not internal:
            return []
        url = served_by(package, facts)
        offering = [offer for offer in offers.value if offer.versions]
        if len(offering) > 1:
            named = "; ".join(f"{offer.index} offers {_versions(offer.versions)}" for offer in offering)
            return [
                Hit(
                    message=f"internal package {package.ref.name} is offered by {len(offering)} indexes "
                    f"the installer asks ({named}); {url} served it",
                    evidence={**evidence("index_offers", offers), "index": url},
                    remediation="pin it to the internal index (uv: [tool.uv.sources] NAME = { index = "
                    '"internal" } with explicit = true; poetry: source = "internal"), drop '
                    "--extra-index-url, and register the name on PyPI",
                )
            ]
        recorded = package.origin.kind is OriginKind.INDEX and package.origin.url is not None
        if (
            env.internal.indexes
            and recorded
            and url is not None
            and not index_allowed(url, env.internal.indexes)
        ):
            return [
                Hit(
                    message=f"internal package {package.ref.name} was served by {url}, "
                    "not by an internal index",
                    evidence={"index": url, "internal_indexes": [str(i) for i in env.internal.indexes]},
                    remediation="pin it to the internal index, and register the name on PyPI",
                )
            ]
        return []


def _versions(versions: tuple[str, ...], shown: int = 5) -> str:
    """``1.0, 1.1`` or, for a long list, its newest few and the count."""
    if len(versions) <= shown:
        return ", ".join(versions)
    return f"{', '.join(versions[-shown:])} and {len(versions) - shown} older"


class BuildFromSourceRule:
    id = "build-from-source"
    rationale = "Installing an sdist runs the package's build code on the installing machine."
    help = "Fails when the version has no wheel, or its dependencies cannot be known without a build."
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if package.unresolved:
            outcomes.append(
                Hit(
                    message=f"{package.ref}: dependencies unknown without a build ({package.unresolved})",
                    evidence={"unresolved": package.unresolved},
                    remediation="lock the environment with a tool that records its dependencies",
                )
            )
        wheel = facts.has_wheel
        if not isinstance(wheel, Known):
            return [*outcomes, missing("has_wheel", wheel)]
        if not wheel.value:
            outcomes.append(
                Hit(
                    message=f"{package.ref} has no wheel: installing it runs its build backend",
                    evidence=evidence("has_wheel", wheel),
                    remediation="use a version that ships wheels, or build it once on a trusted builder",
                )
            )
        return outcomes


class UnpinnedRule:
    id = "unpinned"
    rationale = "An unpinned or unhashed requirement installs whatever the index serves on the day."
    help = (
        "Fails when a version was chosen by resolution rather than pinned by the input (no lock "
        "file, no `==`), and, when `require_hashes` is true, when no hash is recorded."
    )
    params: Mapping[str, type] = {"require_hashes": bool}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if not env.locked:
            graph = env.graph
            pinned = graph.is_direct(package.ref.name) and graph.edge(
                ROOT, package.ref.name
            ).specifier.startswith("==")
            if not pinned:
                outcomes.append(
                    Hit(
                        message=f"{package.ref.name} is not pinned by the input; "
                        f"the resolver chose {package.ref.version}",
                        evidence={"locked": False},
                        remediation="commit a lock file (uv lock, pip-compile --generate-hashes)",
                    )
                )
        if (
            settings.flag("require_hashes")
            and not package.origin.hashes
            and package.origin.kind is not OriginKind.EDITABLE
        ):
            outcomes.append(
                Hit(
                    message=f"{package.ref} has no recorded hash",
                    evidence={"hashes": []},
                    remediation="record hashes (uv lock records them; pip-compile --generate-hashes)",
                )
            )
        return outcomes


class YankedRule:
    id = "yanked"
    rationale = "The maintainers withdrew this version, usually because it is broken or unsafe."
    help = "Fails when this version is yanked (PEP 592)."
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        yank = facts.yanked
        if not isinstance(yank, Known):
            return [missing("yanked", yank)]
        if not yank.value.yanked:
            return []
        reason = f": {yank.value.reason}" if yank.value.reason else ""
        latest = facts.latest_version
        fix = (
            f"move to {latest.value}" if isinstance(latest, Known) else "move to a release that is not yanked"
        )
        return [
            Hit(
                message=f"{package.ref} is yanked{reason}", evidence=evidence("yanked", yank), remediation=fix
            )
        ]


class VanishedRule:
    id = "vanished"
    rationale = (
        "A pinned version the index no longer lists was removed: often a malware take-down, and "
        "nobody can install or review that file again."
    )
    help = "Fails when a top-level `==` pin names a version (or a project) that no index lists."
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if package.vanished is None:
            return []
        index = str(package.origin.url) if package.origin.url is not None else None
        return [
            Hit(
                message=f"{package.vanished}; its dependencies are unknown",
                evidence={"index": index, "version": str(package.ref.version)},
                remediation=(
                    "find out why it was removed (a take-down notice, an advisory), then pin a version "
                    "the index serves"
                ),
            )
        ]


class NoProvenanceRule:
    id = "no-provenance"
    rationale = "Without a PEP 740 attestation nothing ties the file to the source and build that made it."
    help = "Fails when no file of this version carries a PEP 740 attestation from a Trusted Publisher."
    params: Mapping[str, type] = {}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        prov = facts.provenance
        if not isinstance(prov, Known):
            return [missing("provenance", prov)]
        if prov.value.attested:
            return []
        return [
            Hit(
                message=f"{package.ref} has no PEP 740 provenance",
                evidence=evidence("provenance", prov),
                remediation="ask the project to publish with a Trusted Publisher, or approve it after review",
            )
        ]
