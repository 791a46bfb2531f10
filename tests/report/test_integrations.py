"""The pre-commit hook and CI templates point at files and flags that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.report import RENDERERS

ROOT = Path(__file__).parents[2]


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "supplychain-audit"]
    return dict(hook)


def test_hook_runs_on_dependency_files_only() -> None:
    pattern = re.compile(str(_hook()["files"]))
    for name in (
        "requirements.txt",
        "requirements-dev.txt",
        "req/requirements.in.txt",
        "pyproject.toml",
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "Pipfile.lock",
        "pylock.toml",
        "pylock.dev.toml",
    ):
        assert pattern.search(name), name
    for name in ("README.md", "setup.py", "src/app.py", "pyproject.toml.bak", "uv.lock.orig"):
        assert not pattern.search(name), name


def test_hook_entry_uses_existing_audit_flags_offline() -> None:
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    command = shlex.split(str(hook["entry"]))
    assert command[:2] == ["supplychain", "audit"]
    assert "--offline" in command
    help_text = CliRunner().invoke(app, ["audit", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    for flag in command[2:]:
        assert flag in help_text, flag


def test_ci_templates_use_the_files_write_reports_names() -> None:
    github = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text())
    steps = github["jobs"]["audit"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == f"reports/supplychain.{RENDERERS['sarif'].extension}"
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in str(s.get("run", "")))
    assert f"reports/supplychain.{RENDERERS['markdown'].extension}" in summary["run"]
    gitlab = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab-ci.yml").read_text())
    job = gitlab["supplychain-audit"]
    assert (
        job["artifacts"]["reports"]["cyclonedx"] == f"reports/supplychain.{RENDERERS['cyclonedx'].extension}"
    )
    for text in (*(str(s.get("run", "")) for s in steps), *job["script"]):
        for fmt in re.findall(r"--format (\S+)", text):
            assert fmt in RENDERERS, fmt
