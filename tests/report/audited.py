"""Real audits for the renderer tests: a real lock file, facts from recorded real PyPI/PyPA data.

The policy stage is the product's own (``supplychain.audit.decide``), run over the graph the
lock reader and ``graph_from_locked`` build. Packages without recorded responses keep ``Unknown``
facts, as they would offline without a cache. One hand-made change, named as such: ``CREDENTIAL_URL``
replaces one package's index URL so tests can prove credentials never reach a report.
"""

from __future__ import annotations

import json
from contextlib import chdir
from dataclasses import replace
from functools import cache
from pathlib import Path

from packaging.utils import NormalizedName

from supplychain.audit import decide, policy_settings
from supplychain.clock import FixedClock
from supplychain.config import AuditConfig
from supplychain.endpoints import Endpoints
from supplychain.inputs import InputOptions, reader
from supplychain.model import Known, Origin, PackageFacts, ResolvedPackage
from supplychain.policy.loader import load_policy
from supplychain.resolve.graph import DependencyGraph
from supplychain.resolve.locked import graph_from_locked
from supplychain.result import AuditResult
from supplychain.target import Target
from supplychain.urls import SafeUrl
from tests.conftest import NOW
from tests.policy.recorded import FETCHED, PYPI, affecting, facts_for, requests_advisories, top_downloads

ROOT = Path(__file__).parents[2]
LOCKS = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks"
PIPFILE_LOCK = LOCKS / "sam-starter-py" / "Pipfile.lock"  # requests 2.25.1 & co: real advisories apply
UV_LOCK = LOCKS / "nnsight" / "uv.lock"  # 201 packages with the vllm extra, 6 levels deep
CREDENTIAL_URL = "https://user:tok3n@pypi.internal.example/simple/"  # hand-made
TARGET = Target.parse("3.12", "x86_64-manylinux_2_28")


def _with_credentials(graph: DependencyGraph, name: str) -> DependencyGraph:
    """The same graph with ``name`` served by a credential-bearing index (hand-made case)."""
    package = graph.package(NormalizedName(name))
    origin = Origin(
        kind=package.origin.kind,
        url=SafeUrl(CREDENTIAL_URL),
        hashes=package.origin.hashes,
        artifact=package.origin.artifact,
    )
    graph.replace(replace(package, origin=origin))
    return graph


def _facts(package: ResolvedPackage) -> PackageFacts:
    name, version = package.ref.name, str(package.ref.version)
    recorded = PYPI / "pypi" / name / "json"
    if not recorded.exists() or not json.loads(recorded.read_text())["releases"].get(version):
        return PackageFacts.unknown(package.ref, "not recorded in the test fixtures")
    _, facts = facts_for(name, version)
    if name == "requests":
        found = affecting(requests_advisories(), version)
        facts = replace(facts, advisories=Known(value=found, source="osv", fetched_at=FETCHED))
    return facts


@cache
def real_audit(kind: str = "pipfile", policy: str = "sl3") -> AuditResult:
    """``pipfile``: the 30-package Pipfile.lock; ``uv``: nnsight's uv.lock with the vllm extra."""
    path, reader_id, extras = (
        (PIPFILE_LOCK, "pipfile-lock", ()) if kind == "pipfile" else (UV_LOCK, "uv-lock", ("vllm",))
    )
    relative = str(path.relative_to(ROOT))
    with chdir(ROOT):  # paths in the report stay repository-relative, as in a CI checkout
        locked = reader(reader_id).read(Path(relative), InputOptions(target=TARGET, extras=extras))
    graph = _with_credentials(graph_from_locked(locked, TARGET), "idna")
    facts = {p.ref: _facts(p) for p in graph.packages()}
    config = AuditConfig(
        input_path=Path(relative),
        target=TARGET,
        endpoints=Endpoints.load({}, {}),
        cache_dir=None,
        data_dir=Path("/nonexistent-supplychain-data"),
        policy=policy,
    )
    top = {NormalizedName(k): v for k, v in top_downloads().items()}
    result = decide(
        settings=policy_settings(config),
        clock=FixedClock(NOW),
        policy=load_policy(policy),
        graph=graph,
        facts=facts,
        locked=True,
        inputs=(relative,),
        top=(top, None, "top-pypi-packages"),
        datasets={"advisories": FETCHED, "malicious": FETCHED, "top-packages": FETCHED},
    )
    return replace(result, warnings=(f"index {CREDENTIAL_URL} answered 401 once (hand-made warning)",))
