"""``fix``: for each failing package, the newest version that passes the policy, proven to resolve together.

Candidates come from the index the audit asks (the resolver's index client); each is judged by the
same policy stage the audit ran, over the same graph with that one version changed; the set of
proposals is then resolved with every other package held at its pin. Nothing is built or run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from supplychain.audit import (
    Audited,
    Lists,
    audit_input,
    installer_indexes,
    redecide,
    resolve_settings,
    source_settings,
)
from supplychain.baseline import failing, finding_identity
from supplychain.clock import Clock
from supplychain.config import AuditConfig
from supplychain.errors import DataUnavailableError, ResolutionError
from supplychain.model import (
    JSON,
    DeclaredRequirement,
    Location,
    Origin,
    OriginKind,
    PackageFacts,
    PackageRef,
    RequirementSet,
)
from supplychain.net.http import Http
from supplychain.progress import Progress
from supplychain.resolve.graph import DependencyGraph
from supplychain.result import AuditResult

Remains = tuple[tuple[Mapping[str, JSON], str], ...]  # (finding, why it remains)
MAX_CANDIDATES = 5  # versions judged per package, newest first: each costs one round of fact lookups


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageFix:
    """One failing package: the proposed version (None: none passes), what it clears, what remains and why."""

    name: NormalizedName
    current: Version
    proposed: Version | None
    clears: tuple[Mapping[str, JSON], ...]
    remains: Remains
    checked: tuple[Version, ...]  # the candidate versions judged, newest first
    declared_at: Location | None = None
    conflicting: Version | None = None  # a passing version withdrawn: it does not resolve with the pins


@dataclass(frozen=True, slots=True, kw_only=True)
class FixPlan:
    """The plan for an environment: per-package fixes, and whether the proposals resolve together."""

    input_kind: str
    input_path: str
    policy: str
    fixes: tuple[PackageFix, ...]
    resolved: bool | None  # None: nothing to resolve (no proposal)
    resolution: str  # "" when it resolved, else the resolver's reason
    added: tuple[str, ...] = ()  # packages the proposals bring in ("name==version")

    @property
    def proposals(self) -> dict[NormalizedName, Version]:
        """The versions to move to: only those that passed and resolved."""
        return {f.name: f.proposed for f in self.fixes if f.proposed is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Run:
    """What every step of one plan reads: the settings, the clock, the HTTP door and the audit."""

    config: AuditConfig
    clock: Clock
    http: Http
    progress: Progress
    audited: Audited


def _failing_by_package(result: AuditResult) -> dict[NormalizedName, list[dict[str, JSON]]]:
    from supplychain.report.common import finding_json

    grouped: dict[NormalizedName, list[dict[str, JSON]]] = {}
    for finding in result.findings:
        shown = finding_json(finding)
        if finding.package is not None and failing(shown):
            grouped.setdefault(finding.package.name, []).append(shown)
    return dict(sorted(grouped.items()))


async def _candidates(
    config: AuditConfig, audited: Audited, http: Http, name: NormalizedName
) -> list[Version]:
    """Versions newer than the pin with an installable, unyanked file for the target, newest first."""
    from supplychain.resolve.index import IndexClient, ProjectNotFound

    current = audited.read.graph.package(name).ref.version
    indexes = installer_indexes(config, audited.read.inputs) or (config.endpoints.index,)
    client = IndexClient(http, indexes)
    try:
        page = await client.page(name)
    except ProjectNotFound:
        return []
    finally:
        client.cancel()
    python = config.target.python_version
    versions = {
        f.version
        for f in page.files
        if not f.yanked
        and f.python_ok(python)
        and f.version > current
        and (not f.version.is_prerelease or current.is_prerelease)
    }
    if config.exclude_newer is not None:
        recent = {
            f.version
            for f in page.files
            if f.upload_time is not None and f.upload_time >= config.exclude_newer
        }
        versions -= recent
    return sorted(versions, reverse=True)


def _with_version(graph: DependencyGraph, name: NormalizedName, version: Version) -> DependencyGraph:
    """The same graph with ``name`` at ``version`` only (edges kept: the resolution checks them).

    Every version the input held of ``name`` gives way: ``fix`` moves a name to one version.
    """
    copy = graph.copy()
    package = graph.package(name)
    origin = Origin(kind=OriginKind.INDEX, url=package.origin.url, pinned=package.origin.pinned)
    moved = replace(package, ref=PackageRef(name=name, version=version), origin=origin, unresolved=None)
    copy.only(moved)
    return copy


async def _judge(run: _Run, name: NormalizedName, version: Version) -> list[dict[str, JSON]]:
    """The failing findings of ``name`` at ``version``, by the audit's own policy stage."""
    from supplychain.report.common import finding_json
    from supplychain.sources import SourceContext
    from supplychain.sources.enrich import collect_facts

    graph = _with_version(run.audited.read.graph, name, version)
    alone = DependencyGraph()
    alone.add_package(graph.package(name))
    context = SourceContext(
        http=run.http,
        config=source_settings(run.config, run.audited.read.inputs),
        clock=run.clock,
        progress=run.progress,
    )
    learned = await collect_facts(alone, context)
    facts: dict[PackageRef, PackageFacts] = {
        ref: found for ref, found in run.audited.facts.items() if ref.name != name
    }
    facts.update(learned)
    result = redecide(
        run.config,
        run.clock,
        lists=run.audited.lists,
        inputs=run.audited.read.inputs,
        owners=run.audited.owners,
        graph=graph,
        facts=facts,
        refused=run.audited.read.refused,
    )
    shown = [finding_json(f) for f in result.findings if f.package is not None and f.package.name == name]
    return [f for f in shown if failing(f)]


async def _fix_one(run: _Run, name: NormalizedName, now_failing: list[dict[str, JSON]]) -> PackageFix:
    package = run.audited.read.graph.package(name)
    base = PackageFix(
        name=name,
        current=package.ref.version,
        proposed=None,
        clears=(),
        remains=(),
        checked=(),
        declared_at=package.declared_at,
    )
    unknown_why = "a fact stayed unknown: no upgrade decides it; restore access to the source and rerun"
    unknown = tuple((f, unknown_why) for f in now_failing if f.get("rule") == "data-unknown")
    to_fix = [f for f in now_failing if f.get("rule") != "data-unknown"]
    base = replace(base, remains=unknown)
    if not to_fix:
        return base

    def remaining(why: str, findings: Sequence[Mapping[str, JSON]]) -> Remains:
        return unknown + tuple((f, why) for f in findings if f.get("rule") != "data-unknown")

    if package.origin.kind is not OriginKind.INDEX:
        return replace(
            base,
            remains=remaining(
                f"not from an index ({package.origin.kind.value}): change its source by hand", to_fix
            ),
        )
    candidates = (await _candidates(run.config, run.audited, run.http, name))[:MAX_CANDIDATES]
    if not candidates:
        why = f"no passing version exists: the index offers no version newer than {package.ref.version}"
        return replace(base, remains=remaining(why, to_fix))
    # A candidate's unknown facts count against it, unless the pinned version has the same unknowns.
    current = {finding_identity(f) for f in now_failing}
    best: tuple[Version, list[dict[str, JSON]]] | None = None
    for version in candidates:
        still = await _judge(run, name, version)
        keys = {finding_identity(f) for f in still}
        if keys <= current and len(keys) < len(current) and (best is None or len(still) < len(best[1])):
            best = (version, still)  # no new failing rule, and clears something
        if not still:
            break
    shown = ", ".join(str(v) for v in candidates)
    if best is None:
        why = f"no passing version exists: each of {shown} still fails it or fails a new rule"
        return replace(base, checked=tuple(candidates), remains=remaining(why, to_fix))
    version, still = best
    kept = {finding_identity(f) for f in still}
    return replace(
        base,
        proposed=version,
        checked=tuple(candidates),
        clears=tuple(f for f in to_fix if finding_identity(f) not in kept),
        remains=remaining(f"no checked version clears it (checked {shown})", still),
    )


def pins_for(
    graph: DependencyGraph, proposals: Mapping[NormalizedName, Version], path: str
) -> RequirementSet:
    """Every index package of the environment pinned (proposals substituted): the set to resolve."""
    requirements = []
    for package in map(graph.package, graph.names()):  # one pin per name: the highest version held
        if package.origin.kind is not OriginKind.INDEX or not package.ref.version_known:
            continue  # a direct reference is held as it is; the resolver does not fetch it
        version = proposals.get(package.ref.name, package.ref.version)
        requirements.append(
            DeclaredRequirement(
                requirement=Requirement(f"{package.ref.name}=={version}"), location=Location(file=path)
            )
        )
    return RequirementSet(kind="fix", path=path, requirements=tuple(requirements))


async def _resolves(
    run: _Run, proposals: Mapping[NormalizedName, Version]
) -> tuple[str, DependencyGraph | None]:
    """("", graph) when the environment with ``proposals`` resolves, else (the resolver's reason, None)."""
    from supplychain.resolve.resolution import resolve

    read = run.audited.read
    requirements = pins_for(read.graph, proposals, read.inputs.path)
    requirements = replace(requirements, index_urls=installer_indexes(run.config, read.inputs))
    settings = replace(resolve_settings(run.config), no_deps=False)
    try:
        return "", await resolve(requirements, settings, run.http, run.progress)
    except (ResolutionError, DataUnavailableError) as problem:
        return problem.message, None


async def plan_fixes(
    config: AuditConfig, clock: Clock, http: Http, progress: Progress, *, lists: Lists | None = None
) -> FixPlan:
    """Audit the input, find a passing version for each failing package, and resolve them together.

    A proposal that conflicts is withdrawn (its findings remain, with the resolver's reason), and
    the others are resolved again without it.
    """
    audited = await audit_input(config, clock, http, progress, lists=lists)
    run = _Run(config=config, clock=clock, http=http, progress=progress, audited=audited)
    fixes = [await _fix_one(run, name, found) for name, found in _failing_by_package(audited.result).items()]
    proposals = {f.name: f.proposed for f in fixes if f.proposed is not None}
    reason, graph = ("", None)
    if proposals:
        reason, graph = await _resolves(run, proposals)
        if graph is None:
            fixes, reason, graph = await _withdraw_conflicts(run, fixes)
    added: tuple[str, ...] = ()
    if graph is not None:
        added = tuple(
            f"{p.ref.name}=={p.ref.version}" for p in graph.packages() if p.ref.name not in audited.read.graph
        )
    return FixPlan(
        input_kind=audited.read.inputs.kind,
        input_path=audited.read.inputs.path,
        policy=audited.result.policy.name,
        fixes=tuple(fixes),
        resolved=None if not proposals else graph is not None,
        resolution=reason,
        added=added,
    )


async def _withdraw_conflicts(
    run: _Run, fixes: Sequence[PackageFix]
) -> tuple[list[PackageFix], str, DependencyGraph | None]:
    """Resolve each proposal alone; withdraw those that fail, then resolve the rest together."""
    kept: list[PackageFix] = []
    reasons: list[str] = []
    for fix in fixes:
        if fix.proposed is None:
            kept.append(fix)
            continue
        reason, alone = await _resolves(run, {fix.name: fix.proposed})
        if alone is None:
            why = f"{fix.name} {fix.proposed} conflicts with another pin: {reason}"
            reasons.append(why)
            remains = tuple((f, why) for f in fix.clears) + fix.remains
            kept.append(replace(fix, proposed=None, clears=(), remains=remains, conflicting=fix.proposed))
        else:
            kept.append(fix)
    proposals = {f.name: f.proposed for f in kept if f.proposed is not None}
    if not proposals:
        return kept, "; ".join(reasons), None
    reason, graph = await _resolves(run, proposals)
    return kept, "; ".join([*reasons, reason] if reason else reasons), graph


__all__ = ["MAX_CANDIDATES", "FixPlan", "PackageFix", "pins_for", "plan_fixes"]
