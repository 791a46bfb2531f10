"""A conda package is asked of no source: PyPI, Integrity, pypistats and OSV would answer for the
PyPI project of its name, which may be another project. Every fact says why it is unknown."""

from __future__ import annotations

from pathlib import Path

from supplychain.clock import FixedClock
from supplychain.inputs.conda import NOT_ON_PYPI
from supplychain.model import FACT_NAMES, Origin, OriginKind, PackageRef, ResolvedPackage, Unknown
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import DependencyGraph
from supplychain.sources.enrich import collect_facts
from supplychain.urls import SafeUrl
from tests.sources.pypi_support import by_name, config_for, context_for, run_with
from tests.sources.test_internal_facts import public  # noqa: F401 - the fixture: a public server that logs
from tests.support.indexes import PublicLog


def test_a_conda_package_is_asked_of_no_source_and_every_fact_says_why(
    public: PublicLog,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    graph = DependencyGraph()
    origin = Origin(kind=OriginKind.CONDA, url=SafeUrl("https://conda.anaconda.org/conda-forge"))
    graph.add_package(ResolvedPackage(ref=PackageRef.of("numpy", "1.26.4+py311h64a7726.0"), origin=origin))
    settings = config_for(tmp_path)

    async def job(http):  # type: ignore[no-untyped-def]
        return await collect_facts(graph, context_for(http, settings, clock))

    facts = by_name(run_with(HttpSettings(timeout=5), job))["numpy"]
    assert public.mentions("numpy") == []
    for fact in FACT_NAMES:
        assert getattr(facts, fact) == Unknown(reason=NOT_ON_PYPI, source="conda"), fact
