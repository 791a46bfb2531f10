"""An open scope tries a marker once per distinct value of the variables it names: the answers must be
those of trying every environment, on the markers of a real lock and on aliased spellings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker

from supplychain.target import Scope, Target

LOCK = Path(__file__).parents[2] / "benchmarks" / "data" / "helm-upstream" / "uv.lock"
SPELLED = [
    "os.name == 'nt'",  # aliases: packaging writes them os_name, sys_platform, ...
    "sys.platform == 'darwin' and platform.machine == 'arm64'",
    "python_implementation == 'PyPy' and python_version < '3.10'",
    "platform.python_implementation == 'CPython' and python_full_version >= '3.15.99'",
    "'linux' in sys_platform and implementation_name == 'pypy'",
    "platform_system == 'Windows' and extra == 'cuda'",
    "python_version >= '3.16'",  # true nowhere in the scope
    "python_version < '3.0' or os_name == 'posix'",
]


def lock_markers() -> list[str]:
    data = tomllib.loads(LOCK.read_text())
    found = {
        dependency["marker"]
        for package in data["package"]
        for key in ("dependencies", "optional-dependencies")
        for dependency in (
            package.get(key, [])
            if key == "dependencies"
            else [d for group in package.get(key, {}).values() for d in group]
        )
        if "marker" in dependency
    }
    return sorted(found)


def everywhere(scope: Scope, marker: str, extras: frozenset[str]) -> bool:
    parsed = Marker(marker)
    return any(
        parsed.evaluate({**env, "extra": extra})
        for env in scope.environments
        for extra in sorted(extras) or [""]
    )


@pytest.mark.parametrize("extras", [frozenset(), frozenset({"cuda"})])
def test_the_projected_answer_is_the_answer_of_every_environment(extras: frozenset[str]) -> None:
    markers = [*lock_markers(), *SPELLED]
    assert len(markers) > 20
    for python_fixed, platform_fixed in [(False, False), (True, False), (False, True)]:
        scope = Scope(
            Target.parse("3.11", "x86_64-manylinux_2_28"),
            python_fixed=python_fixed,
            platform_fixed=platform_fixed,
        )
        answers = {marker: scope.evaluate(marker, extras) for marker in markers}
        assert answers == {marker: everywhere(scope, marker, extras) for marker in markers}
        assert set(answers.values()) == {True, False}


def test_a_marker_is_tried_once_per_value_of_what_it_reads() -> None:
    scope = Scope(Target.parse(None, None), python_fixed=False, platform_fixed=False)
    assert len(scope.environments) > 100
    tried = scope._distinct(str(Marker("sys.platform == 'win32'")))
    assert 1 < len(tried) < 10
    assert len({env["sys_platform"] for env in tried}) == len(tried)
