"""The typosquat rule on real names: imitators reported after the shipped data, real near-names.

Fixtures (tests/fixtures/typosquat, see its README): a subset of the real top-packages snapshot and
real OpenSSF reports published after the shipped malicious-packages data.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from supplychain.model import (
    Action,
    Known,
    Maintainer,
    Ownership,
    PackageFacts,
    PackageRef,
    ResolvedPackage,
    Role,
    Unknown,
)
from supplychain.policy import RULES
from supplychain.policy.base import RuleSettings
from tests.policy.helpers import env_of, hits
from tests.sources.pypi_support import package

HERE = Path(__file__).parents[1] / "fixtures" / "typosquat"
SHIPPED_DATA = "2025-06-04T02:56:31Z"  # the newest report in /work/shared/data/malicious-pypi
FETCHED = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # when the PyPI JSON fixtures were recorded
SETTINGS = RuleSettings(action=Action.FAIL, params={"min_ratio": 10_000})
# name -> (the popular package it imitates, the technique that catches it)
REPORTED_AFTER = {
    "requests-os": ("requests", "affix"),
    "s3transfer-sl": ("s3transfer", "affix"),
    "aiogram-3": ("aiogram", "affix"),
    "tablates": ("tabulate", "edit-distance-2"),
    "tableate": ("tabulate", "edit-distance-2"),
    "coloraiz": ("colorama", "edit-distance-2"),
}


def top() -> dict[str, int]:
    rows = json.loads((HERE / "top-pypi-packages.subset.json").read_text())["rows"]
    return {row["project"]: row["download_count"] for row in rows}


def _k(value: object, fetched: datetime = FETCHED) -> Known[object]:
    return Known(value=value, source="pypi", fetched_at=fetched)


def recorded(name: str) -> tuple[ResolvedPackage, PackageFacts]:
    """The package at its latest version with its real PyPI ownership; downloads unknown."""
    document = json.loads((HERE / "pypi" / name / "json").read_text())
    ref = PackageRef.of(name, document["info"]["version"])
    roles = document["ownership"]["roles"]
    facts = replace(
        PackageFacts.unknown(ref),
        maintainers=_k(tuple(sorted(Maintainer(user=r["user"], role=Role(r["role"])) for r in roles))),
        organization=_k(document["ownership"]["organization"]),
        downloads_30d=Unknown(reason="pypistats unreachable", source="popularity"),
    )
    return package(name, str(ref.version)), facts


def ownership(name: str, *, users: tuple[str, ...], organization: str | None) -> Ownership:
    maintainers = tuple(Maintainer(user=u, role=Role.OWNER) for u in users)
    return Ownership(name=NormalizedName(name), maintainers=_k(maintainers), organization=_k(organization))


def _reports() -> list[Path]:
    return sorted((HERE / "malicious").glob("*/*.json"))


@pytest.mark.parametrize("report", _reports(), ids=lambda p: p.parent.name)
def test_imitators_reported_after_the_shipped_data_fail(report: Path) -> None:
    record = json.loads(report.read_text())
    origins = record["database_specific"]["malicious-packages-origins"]
    assert min(o["import_time"] for o in origins) > SHIPPED_DATA  # none was in the data tuned on
    name = record["affected"][0]["package"]["name"]
    version = (record["affected"][0].get("versions") or ["0"])[0]
    ref = PackageRef.of(name, version)
    facts = replace(
        PackageFacts.unknown(ref), downloads_30d=Unknown(reason="removed from PyPI", source="popularity")
    )
    fake = package(name, version)
    out = hits(RULES["typosquat"].evaluate(fake, facts, SETTINGS, env_of([(fake, facts)], top=top())))
    target, technique = REPORTED_AFTER[name]
    assert (target, technique) in {(h.evidence["target"], h.evidence["technique"]) for h in out}
    assert all(h.action is None for h in out)  # the policy's action: fail at SL3


def test_every_named_case_has_its_report() -> None:
    assert sorted(p.parent.name for p in _reports()) == sorted(REPORTED_AFTER)


@pytest.mark.parametrize("name", ["pytest-qt", "retry2", "jsonschema-rs", "httpx-ws"])
def test_real_near_names_pass_on_their_real_downloads(name: str) -> None:
    """Legitimate names the new affix check matches; their real downloads keep them under min_ratio."""
    downloads = top()
    own = downloads.pop(name)
    ref = PackageRef.of(name, "1.0")
    facts = replace(PackageFacts.unknown(ref), downloads_30d=Known(value=own, source="t", fetched_at=FETCHED))
    legit = package(name, "1.0")
    rule = RULES["typosquat"]
    as_if_unknown = replace(facts, downloads_30d=Unknown(reason="t", source="t"))
    assert hits(rule.evaluate(legit, as_if_unknown, SETTINGS, env_of([(legit, facts)], top=downloads)))
    assert rule.evaluate(legit, facts, SETTINGS, env_of([(legit, facts)], top=downloads)) == []
    assert rule.evaluate(legit, as_if_unknown, SETTINGS, env_of([(legit, facts)], top=top())) == []
