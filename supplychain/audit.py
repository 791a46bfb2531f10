"""The whole pipeline in one function: inputs → resolve → enrich → policy → AuditResult.

Also the one "read input, build graph" step every command shares, and the settings each stage is
given: AuditConfig stops here, each stage gets only the part it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName

from supplychain.clock import Clock
from supplychain.config import AuditConfig
from supplychain.endpoints import DEFAULTS as ENDPOINT_DEFAULTS
from supplychain.errors import InputError
from supplychain.internal import InternalScope
from supplychain.model import (
    Action,
    InputSet,
    Location,
    LockedSet,
    Owners,
    PackageFacts,
    PackageRef,
    RequirementSet,
)
from supplychain.net.http import Http
from supplychain.progress import Progress
from supplychain.resolve.graph import DependencyGraph
from supplychain.result import SCHEMA_VERSION, AuditResult
from supplychain.sources import SourceContext, SourceSettings
from supplychain.target import Scope, Target
from supplychain.urls import SafeUrl, redact, same_index

if TYPE_CHECKING:
    from supplychain.allowlist.entries import Allowlist, Exemptions
    from supplychain.policy.schema import Policy
    from supplychain.resolve import ResolveSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySettings:
    """What the policy stage reads of a run's settings: the target, and which indexes and names are ours."""

    target: Target
    internal: InternalScope = field(default_factory=InternalScope)
    allowed_indexes: tuple[SafeUrl, ...] = ()  # besides the policy's own


def resolve_settings(config: AuditConfig) -> ResolveSettings:
    """The part of ``config`` resolution reads."""
    from supplychain.resolve import ResolveSettings

    return ResolveSettings(
        target=config.target,
        scope=config.scope,
        index_urls=config.index_urls,
        find_links=config.find_links,
        no_index=config.no_index,
        endpoints=config.endpoints,
        exclude_newer=config.exclude_newer,
        no_deps=config.no_deps,
        cache_dir=config.cache_dir,
        internal=config.internal,
    )


def installer_indexes(config: AuditConfig, inputs: InputSet | None) -> tuple[SafeUrl, ...]:
    """The indexes an installer of this input asks: the flags', else the input's (as resolution takes
    them), pip's default index read as the configured ``index`` endpoint (a mirror, or a test server)."""
    if config.index_urls or inputs is None:
        return config.index_urls
    default = SafeUrl(ENDPOINT_DEFAULTS["index"])
    return tuple(
        config.endpoints.index if same_index(url, default) and same_index(default, url) else url
        for url in inputs.index_urls
    )


def source_settings(config: AuditConfig, inputs: InputSet | None = None) -> SourceSettings:
    """The part of ``config`` the fact sources read, with the indexes an installer of ``inputs`` asks."""
    return SourceSettings(
        target=config.target,
        index_urls=installer_indexes(config, inputs),
        endpoints=config.endpoints,
        offline=config.offline,
        cache_dir=config.cache_dir,
        data_dir=config.data_dir,
        inventory_db=config.inventory_db,
        internal=config.internal,
    )


def policy_settings(config: AuditConfig) -> PolicySettings:
    """The part of ``config`` the policy stage reads."""
    return PolicySettings(
        target=config.target,
        internal=config.internal,
        # The configured index endpoint (a mirror or proxy the organisation set up) is allowed too.
        allowed_indexes=(*config.allowed_indexes, config.endpoints.index),
    )


def _top_packages(data_dir: Path) -> tuple[Mapping[NormalizedName, int] | None, datetime | None, str]:
    """The popular-names dataset from the offline data store, if one is installed.

    The same mapping each call (parsed once per process), marked as the data dir's, so the typosquat
    rule finds its index by identity and reads it from the data dir rather than building it.
    """
    from supplychain.policy.typosquat import from_data_dir
    from supplychain.sources.datastore import DataStore

    top = DataStore(data_dir).top_packages()
    if top is None:
        return None, None, "top-packages"
    from_data_dir(top, data_dir)
    return top.downloads, top.as_of, top.source


def _datasets(data_dir: Path) -> dict[str, datetime | None]:
    from supplychain.sources.datastore import DataStore

    return {status.name: status.as_of for status in DataStore(data_dir).status()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Lists:
    """The policy, allowlist and exemptions of one audit, each read and validated once."""

    policy: Policy
    allowlist: Allowlist | None = None
    exemptions: Exemptions | None = None


def load_lists(config: AuditConfig, clock: Clock) -> Lists:
    """Policy, allowlist and exemptions, read before any network traffic so mistakes fail fast (exit 2)."""
    # The policy and allowlist code loads here, not with the module: ``tree`` and ``inventory``
    # import this module for ``read_graph`` alone, and paid ~0.1 s for it on every resolution.
    from supplychain.allowlist.reader import load_allowlist, load_exemptions
    from supplychain.policy import RULES
    from supplychain.policy.loader import load_policy

    today = clock.now().date()
    return Lists(
        policy=load_policy(config.policy),
        allowlist=load_allowlist(config.allowlist, today) if config.allowlist else None,
        exemptions=(
            load_exemptions(config.exemptions, today, frozenset(RULES)) if config.exemptions else None
        ),
    )


def decide(
    *,
    settings: PolicySettings,
    clock: Clock,
    policy: Policy,
    graph: DependencyGraph,
    facts: Mapping[PackageRef, PackageFacts],
    locked: bool,
    inputs: tuple[str, ...],
    allowlist: Allowlist | None = None,
    exemptions: Exemptions | None = None,
    top: tuple[Mapping[NormalizedName, int] | None, datetime | None, str] = (None, None, "top-packages"),
    datasets: Mapping[str, datetime | None] | None = None,
    owners: Mapping[NormalizedName, Owners] | None = None,
    inventory: str | None = None,
    refused_indexes: tuple[SafeUrl, ...] = (),
    trusted_hosts: tuple[tuple[str, Location], ...] = (),
    scope: Mapping[str, object] | None = None,
) -> AuditResult:
    """The policy stage over an already enriched graph: findings, scores, verdict (no I/O)."""
    from supplychain.allowlist.coverage import approved_publishers, coverage
    from supplychain.policy.base import Environment
    from supplychain.policy.engine import evaluate
    from supplychain.policy.scoring import score

    now = clock.now()
    packages = list(graph.packages())
    cover = coverage(allowlist, packages, facts, now.date())
    env = Environment(
        graph=graph,
        facts=facts,
        now=now,
        locked=locked,
        top_downloads=top[0],
        top_as_of=top[1],
        top_source=top[2],
        internal=settings.internal,
        allowed_indexes=(*policy.allowed_indexes, *(str(url) for url in settings.allowed_indexes)),
        allowed_licenses=policy.allowed_licenses,
        covered={ref: held.located for ref, held in cover.covered.items()},
        approved_publishers=approved_publishers(allowlist),
        owners=owners or {},
        refused_indexes=tuple(str(url) for url in refused_indexes),
        trusted_hosts=tuple((host, str(where)) for host, where in trusted_hosts),
    )
    evaluation = evaluate(
        policy, env, coverage=cover, exemptions=exemptions, today=now.date(), datasets=datasets
    )
    refs = [p.ref for p in packages]
    declared = {p.ref.name: str(p.declared_at) for p in packages if p.declared_at is not None}
    return AuditResult(
        schema_version=SCHEMA_VERSION,
        generated_at=now,
        python_version=str(settings.target.python_version),
        platform=settings.target.platform,
        inputs=inputs,
        graph=graph,
        facts=dict(sorted(facts.items())),
        findings=evaluation.findings,
        scores=score(refs, evaluation.findings),
        policy=policy.summary(),
        verdict=evaluation.verdict,
        unknowns=evaluation.unknowns,
        data_freshness=dict(sorted((datasets or {}).items())),
        expired_entries=evaluation.expired_entries,
        unused_entries=evaluation.unused_entries,
        declared_at=declared,
        allowlist=allowlist.path if allowlist is not None else None,
        inventory=redact(inventory) if inventory is not None and _asked_inventory(facts) else None,
        scope=dict(scope or {}),
    )


def audit_sources(policy: Policy) -> list[str]:
    """Every source, less those whose only rule the policy turns off (reading wheels costs requests)."""
    from supplychain.sources.enrich import SOURCES

    skip = {"startup-hooks"} if policy.rules["startup-hook"].action is Action.OFF else set()
    return [source_id for source_id in SOURCES if source_id not in skip]


def _asked_inventory(facts: Mapping[PackageRef, PackageFacts]) -> bool:
    """Some package's usage was looked up (internal packages only): the report names the database."""
    return any(f.internal_usage.source == "inventory" for f in facts.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class InputGraph:
    """An input as read, and its dependency graph for the target."""

    inputs: InputSet
    graph: DependencyGraph
    refused: tuple[SafeUrl, ...] = ()  # indexes the input named that the policy let nobody ask


def file_only_indexes(config: AuditConfig, inputs: InputSet, policy: Policy) -> tuple[SafeUrl, ...]:
    """The input's indexes that no flag, configuration, endpoint, internal scope or policy allows.

    Only these are refused: a file naming the index the user configured anyway changes nothing.
    """
    trusted: tuple[str | SafeUrl, ...] = (
        *config.index_urls,
        config.endpoints.index,
        *config.internal.indexes,
        *config.allowed_indexes,
        *policy.allowed_indexes,
    )
    named = inputs.index_urls
    if isinstance(inputs, RequirementSet):  # a find-links page is asked like an index; a directory is not
        named += tuple(url for url in inputs.find_links if not url.reveal().startswith("file:"))
    return tuple(url for url in named if not any(same_index(url, t) for t in trusted))


def refusing(config: AuditConfig, inputs: InputSet, policy: Policy | None) -> tuple[SafeUrl, ...]:
    """The indexes only the input names that the audit must not ask.

    All of them under ``untrusted-source``'s ``contact_file_indexes = false`` (SL4, SL5); at every
    level, those whose URL takes ``${VAR}`` from the environment: a token of yours goes only to an
    index you configured, never to one a pull request chose.
    """
    if policy is None:
        return ()
    settings = policy.rules["untrusted-source"]
    contact = settings.action is Action.OFF or settings.flag("contact_file_indexes")
    return tuple(url for url in file_only_indexes(config, inputs, policy) if url.expanded or not contact)


async def read_graph(
    config: AuditConfig, http: Http, progress: Progress, *, policy: Policy | None = None
) -> InputGraph:
    """Read the input and build its graph: the one step the audit and every command reading an input share.

    With ``policy``, indexes only the input names are dropped before anything is asked when the
    policy says so (an auditor of untrusted pull requests must not send them requests, or tokens).
    """
    from supplychain.inputs import InputOptions
    from supplychain.inputs.detect import load_input
    from supplychain.resolve import build_graph

    progress.stage("input")
    options = InputOptions(
        target=config.target, extras=config.extras, groups=config.groups, scope=config.scope
    )
    inputs = load_input(config.input_path, input_format=config.input_format, options=options)
    refused = refusing(config, inputs, policy)
    if refused:
        inputs = replace(inputs, index_urls=tuple(url for url in inputs.index_urls if url not in refused))
        if isinstance(inputs, RequirementSet):
            inputs = replace(inputs, find_links=tuple(url for url in inputs.find_links if url not in refused))
    progress.stage("resolve")
    # Resolved over the indexes the sources ask too: the input's PyPI read as the configured endpoint.
    asked = replace(inputs, index_urls=installer_indexes(config, inputs))
    graph: DependencyGraph = await build_graph(asked, resolve_settings(config), http, progress)
    return InputGraph(inputs=inputs, graph=graph, refused=refused)


@dataclass(frozen=True, slots=True, kw_only=True)
class Audited:
    """One audit with what it was decided from: ``fix`` decides again with candidate versions."""

    read: InputGraph
    facts: Mapping[PackageRef, PackageFacts]
    owners: Mapping[NormalizedName, Owners]
    lists: Lists
    result: AuditResult


async def run_audit(
    config: AuditConfig, clock: Clock, http: Http, progress: Progress, *, lists: Lists | None = None
) -> AuditResult:
    """Read the input, resolve it, collect facts, evaluate the policy: the result every renderer reads.

    ``lists``: what ``load_lists`` returned, when the caller read them first to fail before any work.
    """
    return (await audit_input(config, clock, http, progress, lists=lists)).result


async def audit_input(
    config: AuditConfig, clock: Clock, http: Http, progress: Progress, *, lists: Lists | None = None
) -> Audited:
    """``run_audit``, keeping the graph, facts and owners the result was decided from."""
    from supplychain.policy.typosquat import lookalike_targets
    from supplychain.sources.enrich import collect_facts
    from supplychain.sources.pypi_json import collect_ownership

    if lists is None:
        lists = load_lists(config, clock)
    read = await read_graph(config, http, progress, policy=lists.policy)
    scope = audit_scope(config, read.inputs)
    if len(read.graph) == 0:  # a pass over nothing is no answer: an empty lock is most likely the wrong file
        raise InputError(
            f"nothing to audit: no packages in scope ({scope['text']})",
            location=Location(file=read.inputs.path),
        )
    settings = source_settings(config, read.inputs)
    context = SourceContext(http=http, config=settings, clock=clock, progress=progress)
    facts = await collect_facts(read.graph, context, sources=audit_sources(lists.policy))
    top = _top_packages(config.data_dir)
    # The typosquat rule spares a package that shares owners with its look-alike: learn those owners
    # here for look-alikes outside the graph, since rules never fetch.
    pairs = [(p, facts[p.ref]) for p in read.graph.packages() if p.ref in facts]
    targets = lookalike_targets(lists.policy.rules["typosquat"], pairs, top[0])
    owners = await collect_ownership(targets, context)
    progress.stage("policy")
    result = redecide(
        config,
        clock,
        lists=lists,
        inputs=read.inputs,
        owners=owners,
        graph=read.graph,
        facts=facts,
        refused=read.refused,
    )
    return Audited(read=read, facts=facts, owners=owners, lists=lists, result=result)


def redecide(
    config: AuditConfig,
    clock: Clock,
    *,
    lists: Lists,
    inputs: InputSet,
    owners: Mapping[NormalizedName, Owners],
    graph: DependencyGraph,
    facts: Mapping[PackageRef, PackageFacts],
    refused: tuple[SafeUrl, ...] = (),
) -> AuditResult:
    """The policy stage of an audit over a graph and facts (no I/O); ``fix`` runs it on candidate versions."""
    return decide(
        settings=policy_settings(config),
        clock=clock,
        policy=lists.policy,
        graph=graph,
        facts=facts,
        locked=isinstance(inputs, LockedSet) or config.no_deps,
        inputs=(inputs.path if config.input_path is None else str(Path(config.input_path)),),
        allowlist=lists.allowlist,
        exemptions=lists.exemptions,
        top=_top_packages(config.data_dir),
        datasets=_datasets(config.data_dir),
        owners=owners,
        inventory=config.inventory_db,
        refused_indexes=refused,
        trusted_hosts=inputs.trusted_hosts,
        scope=audit_scope(config, inputs),
    )


def audit_scope(config: AuditConfig, inputs: InputSet) -> dict[str, object]:
    """What the audit covers, for every report: a lock's scope, an installed environment, or the
    one target a requirements or pyproject input was resolved for (with its extras and groups)."""
    target = config.target
    if isinstance(inputs, LockedSet) and inputs.kind in {"installed", "conda-meta"}:
        return {
            "kind": "installed",
            "python_version": None,
            "platform": None,
            "extras": None,
            "groups": None,
            "text": f"installed environment {inputs.path}: every installed package",
        }
    if isinstance(inputs, LockedSet):
        scope = config.scope or Scope(target, extras=config.extras, groups=config.groups)
        return {"kind": "lock", **scope.document(), "text": f"lock, every package for {scope.describe()}"}
    if config.no_deps:
        return {
            "kind": "pins",
            "python_version": None,
            "platform": None,
            "extras": sorted(config.extras),
            "groups": sorted(config.groups),
            "text": "the file's pins as written (--no-deps): every pin, markers not evaluated",
        }
    exact = Scope(target, extras=config.extras, groups=config.groups)
    return {"kind": "resolved", **exact.document(), "text": f"resolved for one target: {exact.describe()}"}
