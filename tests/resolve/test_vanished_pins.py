"""Pins the index no longer lists are findings, every one in one run, not an abort on the first.

Hand-made index pages (named as such). Before: the first missing pin stopped the audit with exit 2,
one edit-and-rerun round per pin (five rounds on one real 2023 research requirements file).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from supplychain.errors import ResolutionError
from supplychain.model import Action, PackageFacts
from supplychain.policy import RULES
from supplychain.policy.loader import load_policy
from supplychain.resolve.graph import ROOT
from supplychain.urls import SafeUrl
from tests.policy.helpers import env_of
from tests.resolve.support import HandIndex, config_for, requirement_set, resolve
from tests.sources.pypi_support import point_endpoints
from tests.support.server import ReplayServer
from tests.test_audit_cli import run


def _index(server: ReplayServer) -> None:
    index = HandIndex(server)
    index.wheel("six", "1.17.0")
    index.wheel("app", "1.0", ["six"])
    index.wheel("gone", "2.0")  # gone 1.0 was removed; 2.0 is still there


def test_every_vanished_pin_is_in_the_graph_and_the_rest_resolves(server: ReplayServer) -> None:
    _index(server)
    inputs = requirement_set(["app==1.0", "gone==1.0", "taken-down==0.3", "six"])
    graph = resolve(inputs, config_for(server.url))
    found = {p.ref.name: p for p in graph.packages()}
    assert {name: str(p.ref.version) for name, p in found.items()} == {
        "app": "1.0",
        "six": "1.17.0",
        "gone": "1.0",
        "taken-down": "0.3",
    }
    gone, taken = found["gone"], found["taken-down"]
    assert gone.vanished is not None
    assert "gone 1.0 is not on" in gone.vanished
    assert "it lists 1 other versions" in gone.vanished
    assert taken.vanished is not None
    assert f"taken-down is on none of {server.url}/simple/" in taken.vanished
    assert found["app"].vanished is None
    assert found["six"].vanished is None
    assert graph.is_direct("gone")
    assert graph.is_direct("taken-down")
    assert str(gone.declared_at) == "requirements.in:2"
    assert ROOT not in graph.dependencies("gone")  # its dependencies are unknown, not invented


def test_a_version_listed_with_no_file_for_the_target_is_not_called_vanished(server: ReplayServer) -> None:
    """The resolver's page keeps only files that may fit the target; the check asks for them all."""
    index = HandIndex(server)
    index.add("winonly", "winonly-1.0-cp311-cp311-win_amd64.whl", b"not read")
    with pytest.raises(Exception, match="winonly") as raised:
        resolve(requirement_set(["winonly==1.0"]), config_for(server.url))
    assert "vanished" not in str(raised.value)


@pytest.mark.parametrize(
    ("level", "action"), [("sl1", Action.WARN), ("sl2", Action.FAIL), ("sl5", Action.FAIL)]
)
def test_the_vanished_rule_fails_from_sl2(server: ReplayServer, level: str, action: Action) -> None:
    _index(server)
    graph = resolve(requirement_set(["gone==1.0"]), config_for(server.url))
    package = graph.package("gone")  # type: ignore[arg-type]
    rule = RULES["vanished"]
    settings = load_policy(level).rules["vanished"]
    assert settings.action is action
    facts = PackageFacts.unknown(package.ref)
    hits = rule.evaluate(package, facts, settings, env_of([(package, facts)]))
    assert len(hits) == 1
    assert "gone 1.0 is not on" in hits[0].message  # type: ignore[union-attr]
    assert hits[0].evidence == {"index": f"{server.url}/simple/", "version": "1.0"}  # type: ignore[union-attr]


def test_an_audit_reports_every_vanished_pin_in_one_run(
    server: ReplayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The user's view: one run names both removed pins with their lines; nothing aborts."""
    _index(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/osv/")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("app==1.0\ngone==1.0\ntaken-down==0.3\n")
    code, out, err = run(["audit", "requirements.txt", "--policy", "sl2", "--format", "json"], capsys)
    assert code in {1, 3}, out + err  # failed (or incomplete: the removed versions' facts are unknown)
    document = json.loads(out)
    vanished = {
        (f["package"]["name"], f["package"]["version"], f["action"])
        for f in document["findings"]
        if f["rule"] == "vanished"
    }
    assert vanished == {("gone", "1.0", "fail"), ("taken-down", "0.3", "fail")}
    assert document["declared_at"]["gone"] == "requirements.txt:2"
    assert {p["name"] for p in document["packages"]} >= {"app", "six", "gone", "taken-down"}


def test_no_index_and_no_find_links_is_not_called_a_removal(server: ReplayServer) -> None:
    """Nothing was asked, so nothing can be said to be gone: the resolver's own error stands."""
    _index(server)
    inputs = replace(requirement_set(["gone==1.0"]), no_index=True)
    with pytest.raises(ResolutionError, match="--no-index asks no index"):
        resolve(inputs, config_for(server.url))


def test_a_find_links_version_for_another_platform_is_not_called_vanished(
    server: ReplayServer, tmp_path: Path
) -> None:
    """A find-links directory is filtered for the target too: the check reads it whole."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "foo-1.0-cp311-cp311-win_amd64.whl").write_bytes(b"not read")
    inputs = replace(
        requirement_set(["foo==1.0"]), no_index=True, find_links=(SafeUrl(wheels.as_uri()),)
    )
    with pytest.raises(ResolutionError, match="foo"):
        resolve(inputs, config_for(server.url))
