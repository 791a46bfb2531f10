"""``supplychain tree`` end to end on a hand-made index: text, --why, JSON contract, DOT, GraphML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from supplychain.cli import main
from tests.resolve.support import HandIndex
from tests.support.server import ReplayServer


@pytest.fixture
def project(server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = HandIndex(server)
    index.wheel("app-lib", "1.0", ["shared>=1", 'quote-d; python_version >= "3"'])
    index.wheel("other", "2.0", ["shared"])
    index.wheel("shared", "1.5", ["leaf"])
    index.wheel("leaf", "0.1")
    index.wheel("quote-d", "1.0")
    monkeypatch.setenv("SUPPLYCHAIN_INDEX_URL", f"{server.url}/simple/")
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", f"{server.url}/")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("App_Lib>=1\nother\n")
    return requirements


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["tree", *args, "--python-version", "3.11", "--platform", "x86_64-manylinux_2_28"])
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(project), "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert document["target"] == {"python_version": "3.11.0", "platform": "x86_64-manylinux_2_28"}
    assert [p["name"] for p in document["packages"]] == ["app-lib", "leaf", "other", "quote-d", "shared"]
    shared = next(p for p in document["packages"] if p["name"] == "shared")
    assert shared == {
        "name": "shared",
        "version": "1.5",
        "direct": False,
        "origin": {"kind": "index", "url": shared["origin"]["url"], "hashes": []},
        "requested_by": ["app-lib", "other"],
        "depth": 2,
        "unresolved": None,
    }
    assert shared["origin"]["url"].endswith("/simple/")
    assert next(p for p in document["packages"] if p["name"] == "leaf")["depth"] == 3


def test_text_tree_marks_direct_and_shows_repeats_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(project))
    assert code == 0
    assert "app-lib 1.0 direct, index" in out
    assert "shared 1.5 transitive, index" in out
    assert out.count("leaf 0.1") == 1  # shared's subtree is expanded once
    assert "(see above)" in out


def test_why_prints_every_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(project), "--why", "LEAF")
    assert code == 0
    assert out.splitlines() == ["app-lib -> shared -> leaf", "other -> shared -> leaf"]


def test_dot_escapes_and_graphml_parses(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, dot, _ = run(capsys, str(project), "--format", "dot")
    assert dot.startswith("digraph dependencies {")
    assert '"app-lib" -> "quote-d" [label="; python_version >= \\"3\\""];' in dot
    _, graphml, _ = run(capsys, str(project), "--format", "graphml")
    root = ET.fromstring(graphml)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(root.findall(".//g:node", ns)) == 6  # five packages and the root
    assert len(root.findall(".//g:edge", ns)) == 6


def test_conflict_exits_2_without_traceback(
    server: ReplayServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = HandIndex(server)
    index.wheel("a", "1.0", ["c<2"])
    index.wheel("c", "2.0")
    monkeypatch.setenv("SUPPLYCHAIN_INDEX_URL", f"{server.url}/simple/")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("a\n")
    code, out, err = run(capsys, str(requirements))
    assert code == 2
    assert err == (
        "error: the requirements cannot be satisfied together:\n"
        "  c: no version satisfies all of\n"
        "    c<2 (required by a 1.0)\n"
    )
    assert "Traceback" not in out + err
