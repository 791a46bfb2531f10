"""The whole pipeline in one function: inputs → resolve → enrich → policy → AuditResult."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from packaging.utils import NormalizedName

from supplychain.allowlist.coverage import coverage
from supplychain.allowlist.entries import Allowlist, Exemptions
from supplychain.allowlist.reader import load_allowlist, load_exemptions
from supplychain.clock import Clock
from supplychain.config import AuditConfig
from supplychain.model import LockedSet, Ownership, PackageFacts
from supplychain.policy import RULES
from supplychain.policy.base import Environment
from supplychain.policy.engine import evaluate
from supplychain.policy.loader import load_policy
from supplychain.policy.schema import Policy
from supplychain.policy.scoring import score
from supplychain.progress import Progress
from supplychain.resolve.graph import DependencyGraph
from supplychain.result import SCHEMA_VERSION, AuditResult
from supplychain.sources.http import Http


def _top_packages(config: AuditConfig) -> tuple[Mapping[NormalizedName, int] | None, datetime | None, str]:
    """The popular-names dataset from the offline data store (H4's ``DataStore``), if one is installed."""
    from supplychain.datastore import DataStore

    top = DataStore(config.data_dir).top_packages()
    if top is None:
        return None, None, "top-packages"
    return dict(top.downloads), top.as_of, top.source


def _datasets(config: AuditConfig) -> dict[str, datetime | None]:
    from supplychain.datastore import DataStore

    return {status.name: status.as_of for status in DataStore(config.data_dir).status()}


def load_lists(config: AuditConfig, clock: Clock) -> tuple[Policy, Allowlist | None, Exemptions | None]:
    """Policy, allowlist and exemptions, read before any network traffic so mistakes fail fast (exit 2)."""
    today = clock.now().date()
    policy = load_policy(config.policy)
    allowlist = load_allowlist(config.allowlist, today) if config.allowlist else None
    exemptions = load_exemptions(config.exemptions, today, frozenset(RULES)) if config.exemptions else None
    return policy, allowlist, exemptions


def decide(
    *,
    config: AuditConfig,
    clock: Clock,
    policy: Policy,
    graph: DependencyGraph,
    facts: Mapping[NormalizedName, PackageFacts],
    locked: bool,
    inputs: tuple[str, ...],
    allowlist: Allowlist | None = None,
    exemptions: Exemptions | None = None,
    top: tuple[Mapping[NormalizedName, int] | None, datetime | None, str] = (None, None, "top-packages"),
    datasets: Mapping[str, datetime | None] | None = None,
    owners: Mapping[NormalizedName, Ownership] | None = None,
) -> AuditResult:
    """The policy stage over an already enriched graph: findings, scores, verdict (no I/O)."""
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
        internal_indexes=tuple(str(url) for url in config.internal_indexes),
        internal_patterns=config.internal_patterns,
        # The configured index endpoint (a mirror or proxy the organisation set up) is allowed too.
        allowed_indexes=(
            *policy.allowed_indexes,
            *(str(url) for url in config.allowed_indexes),
            str(config.endpoints.index),
        ),
        allowed_licenses=policy.allowed_licenses,
        covered={name: held.located for name, held in cover.covered.items()},
        owners=owners or {},
    )
    evaluation = evaluate(
        policy, env, coverage=cover, exemptions=exemptions, today=now.date(), datasets=datasets
    )
    refs = [p.ref for p in packages]
    declared = {p.ref.name: str(p.declared_at) for p in packages if p.declared_at is not None}
    return AuditResult(
        schema_version=SCHEMA_VERSION,
        generated_at=now,
        python_version=str(config.target.python_version),
        platform=config.target.platform,
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
    )


async def run_audit(config: AuditConfig, clock: Clock, http: Http, progress: Progress) -> AuditResult:
    """Read the input, resolve it, collect facts, evaluate the policy: the result every renderer reads."""
    from supplychain.inputs import InputOptions
    from supplychain.inputs.detect import load_input
    from supplychain.policy.typosquat import lookalike_targets
    from supplychain.resolve import build_graph
    from supplychain.sources import SourceContext
    from supplychain.sources.enrich import collect_facts
    from supplychain.sources.pypi_json import collect_ownership

    policy, allowlist, exemptions = load_lists(config, clock)
    progress.stage("input")
    options = InputOptions(target=config.target, extras=config.extras, groups=config.groups)
    input_set = load_input(config.input_path, input_format=config.input_format, options=options)
    progress.stage("resolve")
    graph: DependencyGraph = await build_graph(input_set, config, http, progress)
    context = SourceContext(http=http, config=config, clock=clock, progress=progress)
    facts = await collect_facts(graph, context)
    top = _top_packages(config)
    # The typosquat rule spares a package that shares owners with its look-alike: learn those owners
    # here for look-alikes outside the graph, since rules never fetch.
    pairs = [(p, facts[p.ref.name]) for p in graph.packages() if p.ref.name in facts]
    owners = await collect_ownership(lookalike_targets(policy.rules["typosquat"], pairs, top[0]), context)
    progress.stage("policy")
    return decide(
        config=config,
        clock=clock,
        policy=policy,
        graph=graph,
        facts=facts,
        locked=isinstance(input_set, LockedSet) or config.no_deps,
        inputs=(input_set.path if config.input_path is None else str(Path(config.input_path)),),
        allowlist=allowlist,
        exemptions=exemptions,
        top=top,
        datasets=_datasets(config),
        owners=owners,
    )
