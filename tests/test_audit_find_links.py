"""A requirements file's own sources reach the source rules: find-links origins and ``--trusted-host``.

Offline and from a local directory of hand-made wheels (tests/resolve/support.py): nothing is fetched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.resolve.support import metadata_text, wheel_bytes
from tests.test_audit_baseline import AUDIT_SCHEMA
from tests.test_audit_cli import run


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "wheels"
    directory.mkdir()
    (directory / "demo-1.0-py3-none-any.whl").write_bytes(
        wheel_bytes("demo", "1.0", metadata_text("demo", "1.0"))
    )
    return directory


def _audit(capsys: pytest.CaptureFixture[str], text: str, policy: str, *extra: str) -> dict[str, Any]:
    Path("requirements.txt").write_text(text)
    args = ["audit", "requirements.txt", "--offline", "--policy", policy, "--format", "json", *extra]
    code, out, err = run(args, capsys)
    assert out, f"exit {code}: {err}"
    document: dict[str, Any] = json.loads(out)
    return document


def _untrusted(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["rule"] == "untrusted-source"]


@pytest.mark.parametrize(("policy", "action"), [("sl1", "warn"), ("sl3", "fail")])
def test_a_package_from_a_find_links_directory_is_an_untrusted_source(
    wheels: Path, capsys: pytest.CaptureFixture[str], policy: str, action: str
) -> None:
    """Before, --no-index and --find-links were ignored: demo was looked up on PyPI (here offline: exit 2)."""
    document = _audit(capsys, "--no-index\n--find-links ./wheels\ndemo\n", policy)
    (demo,) = document["packages"]
    assert demo["origin"] == {"kind": "find-links", "url": wheels.resolve().as_uri(), "hashes": []}
    jsonschema.Draft202012Validator(json.loads(AUDIT_SCHEMA.read_text())).validate(document)
    (finding,) = _untrusted(document)
    assert finding["action"] == action
    assert "find-links location" in finding["message"]


def test_an_allowed_find_links_location_is_trusted(wheels: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("supplychain.toml").write_text(f'allowed-indexes = ["{wheels.resolve().as_uri()}"]\n')
    document = _audit(capsys, "--no-index\n--find-links ./wheels\ndemo\n", "sl3")
    assert _untrusted(document) == []


@pytest.mark.parametrize(("policy", "action"), [("sl2", "warn"), ("sl3", "fail")])
def test_a_trusted_host_is_a_finding_failing_from_sl3(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    policy: str,
    action: str,
) -> None:
    """Before, ``--trusted-host`` was parsed and dropped: TLS off for a host passed every level."""
    monkeypatch.chdir(tmp_path)
    text = "six==1.17.0\n--trusted-host pkgs.example.com:8080\n--trusted-host=pkgs.example.com:8080\n"
    (finding,) = _untrusted(_audit(capsys, text, policy, "--no-deps"))
    assert finding["package"] is None
    assert finding["action"] == action
    assert finding["evidence"] == {
        "trusted_host": "pkgs.example.com:8080",
        "locations": ["requirements.txt:2", "requirements.txt:3"],
    }


def test_the_find_links_and_no_index_flags_act_as_the_file_options_do(
    wheels: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pip's own flags: the same locations, given on the command line rather than in the file."""
    document = _audit(capsys, "demo\n", "sl3", "--no-index", "-f", "wheels")
    (demo,) = document["packages"]
    assert demo["origin"]["kind"] == "find-links"
    assert demo["origin"]["url"] == wheels.resolve().as_uri()


def test_a_pipfile_lock_source_without_tls_verification_is_a_trusted_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pipenv installs from a ``verify_ssl = false`` source under pip's --trusted-host."""
    monkeypatch.chdir(tmp_path)
    source = {"name": "corp", "url": "https://user:tok@pkgs.example.com/simple", "verify_ssl": False}
    lock = {
        "_meta": {"pipfile-spec": 6, "requires": {}, "sources": [source]},
        "default": {"six": {"hashes": [], "index": "corp", "version": "==1.17.0"}},
        "develop": {},
    }
    Path("Pipfile.lock").write_text(json.dumps(lock, indent=4))
    code, out, err = run(
        ["audit", "Pipfile.lock", "--offline", "--policy", "sl3", "--format", "json"], capsys
    )
    assert out, f"exit {code}: {err}"
    (finding,) = (f for f in _untrusted(json.loads(out)) if "trusted_host" in f["evidence"])
    assert finding["action"] == "fail"
    assert finding["evidence"] == {"trusted_host": "pkgs.example.com", "locations": ["Pipfile.lock:8"]}
    assert "tok" not in out
