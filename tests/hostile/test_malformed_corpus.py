"""Every malformed file in the corpus gives exit 2 naming the file (and line), never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import run_in_process, run_subprocess

CORPUS = Path(__file__).parent / "corpus"
PINS = Path(__file__).parent / "pins.requirements.txt"

# (file in corpus, command template, regex the error output must match)
CASES: list[tuple[str, list[str], str]] = [
    ("bad-marker.requirements.txt", ["tree", "{f}"], r"bad-marker\.requirements\.txt:2"),
    ("bad-hash.requirements.txt", ["tree", "{f}"], r"bad-hash\.requirements\.txt:2"),
    ("bad-specifier.requirements.txt", ["tree", "{f}"], r"bad-specifier\.requirements\.txt:1"),
    ("include-a.requirements.txt", ["tree", "{f}"], r"include-b\.requirements\.txt:1.*cycle|cycle.*include"),
    ("missing-include.requirements.txt", ["tree", "{f}"], r"missing-include\.requirements\.txt:2"),
    ("unknown-option.requirements.txt", ["tree", "{f}"], r"unknown-option\.requirements\.txt:2"),
    ("unset-env.requirements.txt", ["tree", "{f}"], r"unset-env\.requirements\.txt:1"),
    ("binary.requirements.txt", ["tree", "{f}"], r"binary\.requirements\.txt"),
    ("truncated-pyproject/pyproject.toml", ["tree", "{f}"], r"pyproject\.toml:\d+"),
    ("wrong-type-pyproject/pyproject.toml", ["tree", "{f}"], r"pyproject\.toml:3"),
    ("bad-req-pyproject/pyproject.toml", ["tree", "{f}"], r"pyproject\.toml:5"),
    ("truncated-uvlock/uv.lock", ["tree", "{f}"], r"uv\.lock:\d+"),
    ("badversion-uvlock/uv.lock", ["tree", "{f}"], r"uv\.lock:[46]\b"),
    ("badjson-pipfile/Pipfile.lock", ["tree", "{f}"], r"Pipfile\.lock:4"),
    ("noname-poetry/poetry.lock", ["tree", "{f}"], r"poetry\.lock:\d+"),
    # a marker that parses but cannot be evaluated, a URL host no parser accepts: exit 70 before
    (
        "unevaluable-marker.requirements.txt",
        ["tree", "{f}"],
        r"unevaluable-marker\.requirements\.txt:1:.*'fred'",
    ),
    (
        "unevaluable-marker.requirements.txt",  # it PASSED: --no-deps never evaluated the marker
        ["audit", "{f}", "--no-deps", "--offline", "--policy", "sl1"],
        r"unevaluable-marker\.requirements\.txt:1:.*invalid marker",
    ),
    (
        "unevaluable-marker-uvlock/uv.lock",
        ["tree", "{f}"],
        r"uv\.lock:4: package 'requests' dependency 'idna'",
    ),
    (
        "unevaluable-marker-poetry/poetry.lock",
        ["tree", "{f}"],
        r"poetry\.lock:1: package 'six': invalid marker",
    ),
    ("groups-marker-pipfile/Pipfile.lock", ["tree", "{f}"], r"Pipfile\.lock:4: .*'dependency_groups'"),
    ("bad-host-poetry/poetry.lock", ["tree", "{f}"], r"poetry\.lock:1: package 'six': invalid URL"),
    ("bad-host-uvlock/uv.lock", ["tree", "{f}"], r"uv\.lock:4: package 'six': invalid URL 'https://\*\*\*@"),
    ("unknown-base.policy.toml", ["policy", "validate", "{f}"], r"unknown-base\.policy\.toml:1"),
    ("bad-action.policy.toml", ["policy", "validate", "{f}"], r"(?s)bad-action\.policy\.toml:4.*:5"),
    ("unknown-rule.policy.toml", ["policy", "validate", "{f}"], r"unknown-rule\.policy\.toml:3"),
    (
        "missing-expiry.allowlist.toml",
        ["audit", str(PINS), "--no-deps", "--offline", "--policy", "sl1", "--allowlist", "{f}"],
        r"missing-expiry\.allowlist\.toml:\d+.*expires",
    ),
    (
        "expiry-too-far.allowlist.toml",
        ["audit", str(PINS), "--no-deps", "--offline", "--policy", "sl1", "--allowlist", "{f}"],
        r"expiry-too-far\.allowlist\.toml:\d+",
    ),
    (
        "no-rule.exemptions.toml",
        ["audit", str(PINS), "--no-deps", "--offline", "--policy", "sl1", "--exemptions", "{f}"],
        r"no-rule\.exemptions\.toml:\d+",
    ),
    ("bad-osv-shape", ["db", "update", "--from", "{f}"], r"GHSA-aaaa-bbbb-cccc\.json"),
    ("bad-osv-yaml", ["db", "update", "--from", "{f}"], r"PYSEC-2099-1\.yaml"),
]


@pytest.mark.parametrize(("name", "command", "expected"), CASES, ids=[case[0] for case in CASES])
def test_malformed_input_exits_2_with_location(
    name: str, command: list[str], expected: str, tmp_path: Path
) -> None:
    path = CORPUS / name
    args = [part.replace("{f}", str(path)) for part in command]
    done = run_in_process(args, tmp_path, {"SUPPLYCHAIN_OFFLINE": "1"})  # fail before any fetch
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert re.search(expected, output), output


def test_the_console_script_in_a_fresh_process_exits_2_with_the_location(tmp_path: Path) -> None:
    """The cases above run in-process; one goes through a real interpreter, the path a user takes."""
    path = CORPUS / "bad-marker.requirements.txt"
    done = run_subprocess(["tree", str(path)], tmp_path, {"SUPPLYCHAIN_OFFLINE": "1"})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert re.search(r"bad-marker\.requirements\.txt:2", output), output
