"""``supplychain explain`` end to end over recorded PyPI answers: JSON contract, text panel, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supplychain.model import FACT_NAMES
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.cli import run_in_process
from tests.support.server import ReplayServer

INDEX_SOURCES = ["--source", "pypi", "--source", "simple", "--source", "integrity"]
REPO = Path(__file__).parents[2]


@pytest.fixture
def pypi(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    server.mount("/", PYPI_FIXTURES)
    point_endpoints(monkeypatch, server)
    return server


def invoke(*args: str) -> tuple[int, str]:
    from supplychain.cli import app

    result = CliRunner().invoke(app, ["explain", *args])
    return result.exit_code, result.output


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point (in this process), for exact exit codes and stderr."""
    return run_in_process(["explain", *args], REPO)


def test_json_contract_for_a_yanked_version(pypi: ReplayServer) -> None:
    code, output = invoke("requests==2.32.0", "--format", "json", *INDEX_SOURCES)
    assert code == 0, output
    document = json.loads(output)
    assert output.strip() == json.dumps(document, indent=2, sort_keys=True)
    assert (document["name"], document["version"]) == ("requests", "2.32.0")
    assert sorted(document["facts"]) == sorted(FACT_NAMES)
    yanked = document["facts"]["yanked"]
    assert yanked["value"] == {
        "yanked": True,
        "reason": "Yanked due to conflicts with CVE-2024-35195 mitigation",
    }
    assert yanked["source"] == "pypi"
    assert yanked["fetched_at"].endswith("Z")
    assert document["facts"]["maintainers"]["value"][0] == {"role": "Owner", "user": "Lukasa"}
    assert document["facts"]["upload_time"]["value"].startswith("2024-05-20T")
    assert document["facts"]["downloads_30d"] == {"unknown": "not collected", "source": "supplychain"}
    assert document["advisories"] == []


def test_text_panel_lists_every_fact_and_unknowns(pypi: ReplayServer) -> None:
    code, output = invoke("requests==2.32.0", *INDEX_SOURCES)
    assert code == 0, output
    assert "requests==2.32.0" in output
    for name in FACT_NAMES:
        assert name in output
    assert "yanked: Yanked due to conflicts" in output.replace("\n", " ") or "yanked: Yanked" in output
    assert "unknown: not collected" in output
    assert "Lukasa (Owner)" in output


def test_no_version_explains_the_latest_release(pypi: ReplayServer) -> None:
    code, output = invoke("six", "--format", "json", "--source", "pypi")
    assert code == 0, output
    document = json.loads(output)
    assert document["version"] == document["facts"]["latest_version"]["value"] == "1.17.0"


def test_removed_name_without_version_exits_3(pypi: ReplayServer) -> None:
    result = run("readychars", *INDEX_SOURCES)
    assert result.returncode == 3, result.stderr
    assert "readychars: not found on PyPI" in result.stderr
    assert "NAME==VERSION" in result.stderr


def test_removed_name_with_version_reports_unknowns(pypi: ReplayServer) -> None:
    result = run("readychars==0.0.1", "--format", "json", *INDEX_SOURCES)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["facts"]
    assert facts["maintainers"] == {"unknown": "not found on PyPI", "source": "pypi"}
    public = "not an internal name: other indexes not asked"
    assert facts["index_offers"] == {"unknown": public, "source": "simple"}


@pytest.mark.parametrize("argument", ["requests>=2", "requests==2.*", "requests[socks]==2.0", "not a name!"])
def test_anything_but_name_or_exact_pin_is_a_usage_error(argument: str, pypi: ReplayServer) -> None:
    result = run(argument)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


def test_unknown_source_is_a_usage_error(pypi: ReplayServer) -> None:
    result = run("six==1.17.0", "--source", "crystal-ball")
    assert result.returncode == 2
    assert "--source 'crystal-ball'" in result.stderr


def test_offline_with_empty_cache_gives_unknowns(pypi: ReplayServer) -> None:
    result = run("six==1.17.0", "--offline", "--format", "json", *INDEX_SOURCES)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["facts"]
    assert "--offline" in facts["maintainers"]["unknown"]
    assert "--offline" in facts["has_wheel"]["unknown"]
    assert pypi.requests == []


def test_offline_after_an_online_run_answers_from_the_cache(pypi: ReplayServer) -> None:
    online = run("six==1.17.0", "--format", "json", *INDEX_SOURCES)
    assert online.returncode == 0, online.stderr
    seen = len(pypi.requests)
    offline = run("six==1.17.0", "--offline", "--format", "json", *INDEX_SOURCES)
    assert offline.returncode == 0, offline.stderr
    assert len(pypi.requests) == seen
    before, after = json.loads(online.stdout)["facts"], json.loads(offline.stdout)["facts"]
    assert after["maintainers"]["value"] == before["maintainers"]["value"]


@pytest.mark.live
def test_live_explain_against_pypi() -> None:
    result = run("requests==2.32.0", "--format", "json", *INDEX_SOURCES)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["facts"]
    assert facts["yanked"]["value"]["yanked"] is True
    assert any(m["user"] == "nateprewitt" for m in facts["maintainers"]["value"])
    assert facts["has_wheel"]["value"] is True
