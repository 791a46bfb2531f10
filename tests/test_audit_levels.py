"""Every level on one environment of recorded real packages, through the policy stage of the pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from supplychain.audit import decide, policy_settings
from supplychain.clock import FixedClock
from supplychain.config import AuditConfig
from supplychain.endpoints import Endpoints
from supplychain.model import Action, Known, PackageFacts, ResolvedPackage, Unknown, Verdict
from supplychain.policy.loader import load_policy
from supplychain.result import AuditResult
from supplychain.target import Target
from tests.conftest import NOW
from tests.policy.helpers import graph_of
from tests.policy.recorded import FETCHED, affecting, facts_for, requests_advisories, top_downloads

# requests and its dependencies at the versions whose files were recorded whole (record.py CASES).
REQUESTS_SET = (("requests", "2.25.1"), ("urllib3", "2.5.0"), ("certifi", "2025.8.3"), ("idna", "3.10"))
SIX, PYCRYPTO = ("six", "1.17.0"), ("pycrypto", "2.6.1")


def config(tmp_path: Path, policy: str) -> AuditConfig:
    return AuditConfig(
        input_path=None,
        target=Target.parse("3.12", "x86_64-manylinux_2_28"),
        endpoints=Endpoints.load({}, {}),
        cache_dir=None,
        data_dir=tmp_path,
        policy=policy,
    )


def audit(
    tmp_path: Path,
    policy: str,
    names: tuple[tuple[str, str], ...],
    *,
    change: dict[str, object] | None = None,
) -> AuditResult:
    pairs: list[tuple[ResolvedPackage, PackageFacts]] = [facts_for(n, v) for n, v in names]
    # The real PyPA advisories affecting requests 2.25.1 (their records give no severity).
    pairs = [
        (
            p,
            replace(
                f,
                advisories=Known(
                    value=affecting(requests_advisories(), str(p.ref.version)),
                    source="osv",
                    fetched_at=FETCHED,
                ),
            ),
        )
        if p.ref.name == "requests"
        else (p, f)
        for p, f in pairs
    ]
    if change:
        pairs = [(p, replace(f, **change)) for p, f in pairs]
    top = {NormalizedName(k): v for k, v in top_downloads().items()}
    return decide(
        settings=policy_settings(config(tmp_path, policy)),
        clock=FixedClock(NOW),
        policy=load_policy(policy),
        graph=graph_of([p for p, _ in pairs]),
        facts={p.ref: f for p, f in pairs},
        locked=True,
        inputs=("uv.lock",),
        top=(top, None, "top-pypi-packages"),
    )


def failing(result: AuditResult) -> set[tuple[str, str]]:
    return {
        (f.rule, f.package.name if f.package else "")
        for f in result.findings
        if f.action is Action.FAIL and f.suppressed_by is None
    }


def test_sl1_passes_requests_and_its_dependencies(tmp_path: Path) -> None:
    result = audit(tmp_path, "sl1", REQUESTS_SET)
    assert result.verdict is Verdict.PASSED
    assert failing(result) == set()
    assert result.policy.name == "sl1"
    # Below SL1's critical threshold the four advisories still show, as warnings with the fix.
    vulns = [f for f in result.findings if f.rule == "vulnerability"]
    assert {f.action for f in vulns} == {Action.WARN}
    assert sorted(f.remediation or "" for f in vulns)[0] == "upgrade requests to 2.31.0 or later"


def test_sl2_fails_requests_2_25_1_on_its_advisories(tmp_path: Path) -> None:
    result = audit(tmp_path, "sl2", REQUESTS_SET)
    assert result.verdict is Verdict.FAILED
    assert failing(result) == {("vulnerability", "requests")}


def test_sl5_fails_an_indie_maintained_package_and_names_it(tmp_path: Path) -> None:
    result = audit(tmp_path, "sl5", (*REQUESTS_SET, SIX))
    assert result.verdict is Verdict.FAILED
    indie = {name for rule, name in failing(result) if rule == "indie-maintained"}
    assert indie == {"six", "idna"}  # one owner each (gutworth, kjd), no organisation
    six = next(
        f for f in result.findings if f.rule == "indie-maintained" and f.package and f.package.name == "six"
    )
    assert six.message.startswith("six: 1 PyPI account(s) (gutworth) and no organisation")
    assert next(s for r, s in result.scores.items() if r.name == "six").score > 0


@pytest.mark.parametrize(
    ("level", "rules"),
    [
        ("sl1", set()),
        ("sl2", {"vulnerability"}),
        ("sl3", {"vulnerability"}),
        (
            "sl4",
            {
                "vulnerability",
                "abandoned",
                "build-from-source",
                "indie-maintained",
                "license",
                "no-provenance",
            },
        ),
        (
            "sl5",
            {
                "vulnerability",
                "build-from-source",
                "indie-maintained",
                "license",
                "no-provenance",
                "not-allowlisted",
            },
        ),
    ],
)
def test_each_level_on_the_same_environment(tmp_path: Path, level: str, rules: set[str]) -> None:
    """Stricter levels add failing rules; pycrypto (sdist-only, 2014, 'Public domain') trips the most."""
    result = audit(tmp_path, level, (*REQUESTS_SET, SIX, PYCRYPTO))
    assert {rule for rule, _ in failing(result)} == rules
    assert result.verdict is (Verdict.FAILED if rules else Verdict.PASSED)


def test_unreachable_sources_exit_3_at_sl5_and_pass_with_warnings_at_sl2(tmp_path: Path) -> None:
    down = Unknown(reason="https://pypi.org/pypi/requests/json: connection refused", source="pypi")
    gone = {
        "maintainers": down,
        "organization": down,
        "advisories": Unknown(reason="OSV unreachable", source="osv"),
    }
    strict = audit(tmp_path, "sl5", REQUESTS_SET[:1], change=gone)
    assert strict.verdict is Verdict.INCOMPLETE
    assert {(u.package, u.fact) for u in strict.unknowns} >= {
        ("requests==2.25.1", "advisories"),
        ("requests==2.25.1", "maintainers"),
    }
    unknown = [f for f in strict.findings if f.rule == "data-unknown"]
    assert all(f.action is Action.FAIL for f in unknown)
    assert any("OSV unreachable" in f.message for f in unknown)
    lenient = audit(tmp_path, "sl2", REQUESTS_SET[:1], change=gone)
    assert lenient.verdict is Verdict.PASSED
    warned = [f for f in lenient.findings if f.rule == "data-unknown"]
    assert warned
    assert all(f.action is Action.WARN for f in warned)
    assert {f.evidence["fact"] for f in warned} == {f.evidence["fact"] for f in unknown}
