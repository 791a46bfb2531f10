"""The typosquat rule on real names: imitators reported after the shipped data, real near-names, owners.

Fixtures (tests/fixtures/typosquat, see its README): a subset of the real top-packages snapshot,
real OpenSSF reports published after the shipped malicious-packages data, and real PyPI JSON of the
Hugging Face look-alike pair httpx2/httpx.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from supplychain.clock import FixedClock
from supplychain.model import (
    Action,
    Known,
    Maintainer,
    Owners,
    PackageFacts,
    PackageRef,
    ResolvedPackage,
    Role,
    Unknown,
)
from supplychain.net.http import HttpSettings
from supplychain.policy import RULES
from supplychain.policy.base import Hit, RuleSettings
from supplychain.policy.typosquat import lookalike_targets
from supplychain.sources.datastore import DataStore
from supplychain.sources.pypi_json import collect_ownership
from tests.policy.helpers import env_of, hits
from tests.sources.pypi_support import config_for, context_for, package, point_endpoints, run_with
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer

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


def ownership(name: str, *, users: tuple[str, ...], organization: str | None) -> Owners:
    maintainers = tuple(Maintainer(user=u, role=Role.OWNER) for u in users)
    return Owners(name=NormalizedName(name), maintainers=_k(maintainers), organization=_k(organization))


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


def _only_hit(outcomes: list[object]) -> Hit:
    found = [o for o in outcomes if isinstance(o, Hit)]
    assert len(found) == 1, found
    return found[0]


def test_lookalike_sharing_the_targets_organisation_warns_and_says_why() -> None:
    """The issue's case: httpx2 owned by the organisation that owns httpx (supposed, see the next test)."""
    httpx2, facts = recorded("httpx2")
    owners = {NormalizedName("httpx"): ownership("httpx", users=("someone",), organization="pydantic")}
    env = env_of([(httpx2, facts)], top=top(), owners=owners)
    hit = _only_hit(RULES["typosquat"].evaluate(httpx2, facts, SETTINGS, env))  # type: ignore[arg-type]
    assert hit.action is Action.WARN
    assert hit.evidence["target"] == "httpx"
    assert hit.evidence["shared_with_target"] == {"owners": [], "organization": "pydantic"}
    assert hit.message.endswith("but shares organisation pydantic with it: not a squat")


def test_lookalike_sharing_an_owner_with_a_target_outside_the_graph_warns() -> None:
    httpx2, facts = recorded("httpx2")
    owners = {NormalizedName("httpx"): ownership("httpx", users=("kludex", "cagil"), organization=None)}
    env = env_of([(httpx2, facts)], top=top(), owners=owners)
    hit = _only_hit(RULES["typosquat"].evaluate(httpx2, facts, SETTINGS, env))  # type: ignore[arg-type]
    assert hit.action is Action.WARN
    assert hit.evidence["shared_with_target"] == {"owners": ["Kludex"], "organization": None}


def test_real_httpx2_shares_no_owner_with_httpx_so_it_still_fails() -> None:
    """On PyPI httpx2 belongs to the pydantic organisation and httpx to its own owners: nothing shared.

    Its ``author_email`` names httpx's author, a free-text field anyone can copy: it must not count.
    """
    httpx2, facts = recorded("httpx2")
    httpx_document = json.loads((HERE / "pypi" / "httpx" / "json").read_text())
    httpx2_document = json.loads((HERE / "pypi" / "httpx2" / "json").read_text())
    assert httpx2_document["info"]["author_email"] == httpx_document["info"]["author_email"]
    _, httpx_facts = recorded("httpx")
    target = Owners(
        name=NormalizedName("httpx"),
        maintainers=httpx_facts.maintainers,  # type: ignore[arg-type]
        organization=httpx_facts.organization,  # type: ignore[arg-type]
    )
    env = env_of([(httpx2, facts)], top=top(), owners={NormalizedName("httpx"): target})
    hit = _only_hit(RULES["typosquat"].evaluate(httpx2, facts, SETTINGS, env))  # type: ignore[arg-type]
    assert hit.action is None
    assert "shared_with_target" not in hit.evidence
    assert [m["user"] for m in hit.evidence["target_maintainers"]["value"]] == ["cagil", "lovelydinosaur"]  # type: ignore[index]
    assert hit.remediation == "check you meant httpx2 and not httpx"


def test_unknown_target_owners_spare_nothing() -> None:
    httpx2, facts = recorded("httpx2")
    missing = Unknown(reason="offline: not in the HTTP cache", source="pypi")
    owners = {
        NormalizedName("httpx"): Owners(
            name=NormalizedName("httpx"), maintainers=missing, organization=missing
        )
    }
    env = env_of([(httpx2, facts)], top=top(), owners=owners)
    hit = _only_hit(RULES["typosquat"].evaluate(httpx2, facts, SETTINGS, env))  # type: ignore[arg-type]
    assert hit.action is None
    assert hit.evidence["target_maintainers"] == {
        "unknown": "offline: not in the HTTP cache",
        "source": "pypi",
    }


def test_lookalike_targets_are_the_flagged_targets_outside_the_graph() -> None:
    httpx2, facts = recorded("httpx2")
    httpx, httpx_facts = recorded("httpx")
    downloads = {NormalizedName(k): v for k, v in top().items()}
    assert lookalike_targets(SETTINGS, [(httpx2, facts)], downloads) == ["httpx"]
    assert lookalike_targets(SETTINGS, [(httpx2, facts), (httpx, httpx_facts)], downloads) == []
    assert lookalike_targets(SETTINGS, [(httpx2, facts)], None) == []
    off = RuleSettings(action=Action.OFF, params={"min_ratio": 10_000})
    assert lookalike_targets(off, [(httpx2, facts)], downloads) == []


def test_collect_ownership_reads_pypi_json_once_per_target(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server.mount("/", HERE)
    point_endpoints(monkeypatch, server)
    config = config_for(tmp_path)
    owners = run_with(
        HttpSettings(timeout=5),
        lambda http: collect_ownership(
            [NormalizedName("httpx"), NormalizedName("httpx2"), NormalizedName("no-such-project")],
            context_for(http, config, FixedClock(FETCHED)),
        ),
    )
    httpx = owners[NormalizedName("httpx")]
    assert isinstance(httpx.maintainers, Known)
    assert [m.user for m in httpx.maintainers.value] == ["cagil", "lovelydinosaur"]
    assert httpx.organization == Known(value=None, source="pypi", fetched_at=FETCHED)
    assert owners[NormalizedName("httpx2")].organization == Known(
        value="pydantic", source="pypi", fetched_at=FETCHED
    )
    assert owners[NormalizedName("no-such-project")].maintainers == Unknown(
        reason="not found on PyPI", source="pypi"
    )


def test_audit_learns_the_owners_of_a_lookalike_outside_the_graph(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``audit`` asks PyPI who owns httpx (not installed) and puts the answer in httpx2's evidence."""
    from supplychain.cli import audit as audit_cli
    from tests.test_audit_cli import run

    server.mount("/", HERE)
    OsvApi([]).install(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.setattr(audit_cli, "clock_factory", lambda: FixedClock(FETCHED))
    data_dir = Path(__import__("os").environ["SUPPLYCHAIN_DATA_DIR"])
    DataStore(data_dir).import_path(HERE / "top-pypi-packages.subset.json")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("httpx2==2.16.2\n")
    (tmp_path / "ours.toml").write_text('extends = "sl3"\nmax_data_age_days = 365\n')
    code, out, err = run(
        ["audit", "requirements.txt", "--no-deps", "--policy", "ours.toml", "--format", "json"], capsys
    )
    assert code == 1, out + err
    squat = [f for f in json.loads(out)["findings"] if f["rule"] == "typosquat"]
    assert [(f["evidence"]["target"], f["action"]) for f in squat] == [("httpx", "fail")]
    learned = squat[0]["evidence"]["target_maintainers"]
    assert [m["user"] for m in learned["value"]] == ["cagil", "lovelydinosaur"]
    assert squat[0]["evidence"]["target_organization"]["value"] is None
