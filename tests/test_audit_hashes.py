"""The hashes the audited file records are the record: checked against the index's, never replaced by them.

The index is PyPI's real HTML page for six with its files on loopback (as tests/test_audit_html_index.py);
six 1.17.0's wheel is the real one, whose sha256 the page lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ReplayServer
from tests.test_audit_cli import run
from tests.test_audit_html_index import serve_html_index

WHEEL_SHA = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SDIST_SHA = "sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
FORGED = "sha256:" + "ab" * 32


@pytest.fixture
def index(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The index's URL; PyPI's JSON API, Integrity API and OSV answer from the same server."""
    return serve_html_index(server, monkeypatch, tmp_path)


def _audit(
    capsys: pytest.CaptureFixture[str], lines: str, *extra: str, policy: str = "sl2"
) -> tuple[int, dict[str, Any]]:
    Path("requirements.txt").write_text(lines)
    args = ["audit", "requirements.txt", "--policy", policy, "--format", "json", *extra]
    code, out, err = run(args, capsys)
    assert out, err
    return code, json.loads(out)


def _findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_a_forged_hash_fails_at_sl2_with_both_sides_as_evidence(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _audit(capsys, f"six==1.17.0 --hash={WHEEL_SHA}\n", "--index-url", index, policy="sl3")
    assert _findings(report, "hash-mismatch") == []  # the real hash: confirmed
    assert not any("no recorded hash" in f["message"] for f in _findings(report, "unpinned"))
    assert report["packages"][0]["origin"]["hashes"] == [WHEEL_SHA]

    code, report = _audit(capsys, f"six==1.17.0 --hash={FORGED}\n", "--index-url", index)
    (finding,) = _findings(report, "hash-mismatch")
    assert finding["action"] == "fail"
    assert code == 1
    evidence = finding["evidence"]
    assert evidence["recorded_hashes"] == [FORGED]
    assert set(evidence["index_hashes"]) >= {WHEEL_SHA, SDIST_SHA}
    assert evidence["index"] == index
    assert "tampered lock or a compromised index" in finding["message"]


def test_a_forged_hash_fails_under_no_deps_too(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--no-deps`` builds the graph from the pins: it dropped the line's ``--hash``."""
    _code, report = _audit(capsys, f"six==1.17.0 --hash={FORGED}\n", "--index-url", index, "--no-deps")
    (finding,) = _findings(report, "hash-mismatch")
    assert finding["action"] == "fail"


def test_a_hash_slipped_in_beside_the_real_one_warns(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    _code, report = _audit(capsys, f"six==1.17.0 --hash={WHEEL_SHA} --hash={FORGED}\n", "--index-url", index)
    (finding,) = _findings(report, "hash-mismatch")
    assert finding["action"] == "warn"
    assert finding["evidence"]["unlisted_hashes"] == [FORGED]


def test_the_index_own_hash_is_not_a_recorded_hash(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the resolver put the index's hash in the origin, so ``require_hashes`` always passed."""
    _code, report = _audit(capsys, "six==1.17.0\n", "--index-url", index, policy="sl3")
    (finding,) = (f for f in _findings(report, "unpinned") if "no recorded hash" in f["message"])
    assert finding["action"] == "fail"
    assert _findings(report, "hash-mismatch") == []


def test_a_hash_the_index_cannot_confirm_is_unknown(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Offline with an empty cache (each test has its own): the index's hashes are unknown, said so."""
    offline = ("--offline", "--no-deps")
    _code, report = _audit(capsys, f"six==1.17.0 --hash={FORGED}\n", "--index-url", index, *offline)
    assert _findings(report, "hash-mismatch") == []
    unknown = [f for f in _findings(report, "data-unknown") if "index_hashes" in json.dumps(f)]
    assert unknown, report["findings"]


def test_a_lock_whose_hashes_the_index_does_not_list_fails(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lock's hashes are the record too: a Pipfile.lock naming the index it was locked from."""
    lock = {
        "_meta": {
            "sources": [{"name": "corp", "url": index, "verify_ssl": True}],
            "requires": {},
            "pipfile-spec": 6,
        },
        "default": {
            "six": {"hashes": [FORGED, "sha256:" + "cd" * 32], "index": "corp", "version": "==1.17.0"}
        },
        "develop": {},
    }
    Path("Pipfile.lock").write_text(json.dumps(lock))
    code, out, err = run(["audit", "Pipfile.lock", "--policy", "sl2", "--format", "json"], capsys)
    assert out, err
    (finding,) = _findings(json.loads(out), "hash-mismatch")
    assert (code, finding["action"]) == (1, "fail"), err
    assert finding["evidence"]["index"] == index
