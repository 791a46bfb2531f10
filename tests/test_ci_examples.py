"""The CI examples are safe to copy, and the GitHub one works: its shell steps run here, in order.

A small runner plays GitHub Actions for ``examples/ci/github-actions.yml``: each ``run:`` step in
bash with GitHub's flags, ``if:`` conditions, step outputs, ``$GITHUB_PATH`` and the job summary.
Only the pip install is stood in for: ``python`` is a stub that records what pip was asked to install
while the venv already holds a ``supplychain`` that runs this checkout. The audits are real, against
the loopback replay server; any other host goes to a refusing proxy.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer
from tests.test_audit_e2e import _records

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples" / "ci"
GITHUB = EXAMPLES / "github-actions.yml"
SITE_PACKAGES = ROOT / "tests" / "fixtures" / "inputs" / "locks" / "site-packages"
BASH = shutil.which("bash") or "/bin/bash"
REPOSITORY_COMMIT = re.compile(r"git\+https://github\.com/<org>/supplychain@(<full commit sha>|[0-9a-f]{40})")


# --- the examples install supplychain from its repository at a commit, never by name from an index


def _install_arguments(command: str) -> list[str]:
    """The requirement arguments of every ``pip install`` in a shell command."""
    found = []
    for line in command.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        for at in [i for i, word in enumerate(words) if word == "install" and words[i - 1 : i] == ["pip"]]:
            for word in words[at + 1 :]:
                if word in {"&&", "||", ";", "|"}:
                    break
                if not word.startswith("-"):
                    found.append(word)
    return found


def _commands(example: Path) -> list[str]:
    document = yaml.safe_load(example.read_text())
    if "jobs" in document:
        return [
            str(step["run"]) for job in document["jobs"].values() for step in job["steps"] if "run" in step
        ]
    return [str(line) for job in document.values() for line in job.get("script", [])]


def _expanded(example: Path, argument: str) -> str:
    """``$VARIABLE`` in a GitLab script line, from the job's ``variables``."""
    variables: dict[str, str] = {}
    for job in yaml.safe_load(example.read_text()).values():
        if isinstance(job, dict):
            variables.update(job.get("variables", {}))
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), argument)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_an_example_installs_supplychain_only_from_its_repository_at_a_commit(example: Path) -> None:
    arguments = [_expanded(example, a) for c in _commands(example) for a in _install_arguments(c)]
    assert arguments, "the example installs supplychain somehow"
    for argument in arguments:
        assert REPOSITORY_COMMIT.fullmatch(argument), argument
    text = example.read_text()
    assert "Replace <org> and <full commit sha>" in text
    assert not re.search(
        r"pip install[^\n]*\bsupplychain(?![@\w/.-])", text.replace("`pip install supplychain`", "")
    )


def test_the_install_checker_catches_an_index_install() -> None:
    for command in ("python -m pip install supplychain", "pip install -q supplychain==0.1.0 && true"):
        (argument,) = _install_arguments(command)
        assert not REPOSITORY_COMMIT.fullmatch(argument)


def test_the_readme_installs_nothing_by_name_and_pins_pre_commit_to_a_commit() -> None:
    readme = (ROOT / "README.md").read_text()
    hooks_file = (ROOT / ".pre-commit-hooks.yaml").read_text()
    blocks = re.findall(r"```[^\n]*\n(.*?)```", readme, flags=re.DOTALL)
    for argument in [a for block in blocks for a in _install_arguments(block)]:
        assert argument == "." or REPOSITORY_COMMIT.fullmatch(argument), argument
    for text in (readme, hooks_file):
        revs = re.findall(r"^\s*#?\s*rev: (\S.*?)\s*(?:#.*)?$", text, flags=re.MULTILINE)
        assert revs
        for rev in revs:
            assert rev == "<full 40-character commit SHA>" or re.fullmatch(r"[0-9a-f]{40}", rev), rev
    assert "`pre-commit autoupdate --freeze`" in readme
    assert "pre-commit autoupdate --freeze" in hooks_file


def test_the_hook_declares_the_pre_commit_version_its_stage_names_need() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    if {"pre-commit", "pre-push"} & set(hook["stages"]):  # stage names of pre-commit 3.2.0
        version = tuple(int(part) for part in str(hook["minimum_pre_commit_version"]).split("."))
        assert version >= (3, 2, 0)


# --- the GitHub example's shell steps, run


@dataclass
class Job:
    """What a run of the workflow's job left: step results, outputs, summary, pip's arguments."""

    workspace: Path
    ran: dict[str, int] = field(default_factory=dict)  # step name -> exit code
    skipped: list[str] = field(default_factory=list)
    uploads: dict[str, Path] = field(default_factory=dict)  # action -> the path it would upload
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""
    pip: list[str] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(self.ran.values())


def _expression(text: str, outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.(\w+)", match.group(1).strip())
        assert found, f"the runner does not know {match.group(0)}"
        return outputs.get(found.group(1), {}).get(found.group(2), "")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def _runs(condition: object, failed: bool) -> bool:
    if condition is None:
        return not failed  # GitHub's default, success()
    assert condition == "always()", f"the runner does not know `if: {condition}`"
    return True


def _stubs(directory: Path, venv: Path, record: Path) -> None:
    """``python`` (makes no venv, records pip) and the venv's ``supplychain``, which runs this checkout."""
    directory.mkdir()
    stub = (
        f"#!{BASH}\n"
        'if [ "$1 $2" = "-m venv" ]; then exit 0; fi\n'
        f'if [ "$1 $2 $3" = "-m pip install" ]; then shift 3; printf "%s\\n" "$@" >> {record}; exit 0; fi\n'
        "exit 64\n"
    )
    for path in (directory / "python", venv / "bin" / "python"):
        path.write_text(stub)
        path.chmod(0o755)
    shim = venv / "bin" / "supplychain"
    shim.write_text(f'#!{BASH}\nexec {shlex.quote(sys.executable)} -m supplychain "$@"\n')
    shim.chmod(0o755)


def run_workflow(workspace: Path, tmp_path: Path, toolchain: list[Path]) -> Job:
    """Run the job's steps in ``workspace``; ``toolchain``: the dist-info dirs of supplychain's venv."""
    steps = yaml.safe_load(GITHUB.read_text())["jobs"]["audit"]["steps"]
    runner_temp = tmp_path / "runner-temp"
    venv = runner_temp / "supplychain"
    site = venv / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    (venv / "bin").mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.3\n")
    for info in toolchain:
        shutil.copytree(info, site / info.name)
    record, path_file, summary = tmp_path / "pip-args", tmp_path / "github-path", tmp_path / "summary"
    _stubs(tmp_path / "stubs", venv, record)
    path_file.touch()
    summary.touch()
    job = Job(workspace=workspace)
    for number, step in enumerate(steps):
        name = step.get("name", step.get("uses", ""))
        if not _runs(step.get("if"), job.failed):
            job.skipped.append(name)
            continue
        if "uses" in step:
            for key in ("sarif_file", "path"):
                if key in step.get("with", {}) and not str(step["uses"]).startswith("actions/cache"):
                    job.uploads[str(step["uses"]).split("@")[0]] = workspace / step["with"][key]
            continue
        assert "${{" not in step["run"], f"{name}: expressions go through env, not into the script"
        output = tmp_path / f"output-{number}"
        output.touch()
        extra_path = [line for line in path_file.read_text().splitlines() if line][::-1]
        env = {
            **os.environ,
            "PATH": os.pathsep.join([*extra_path, str(tmp_path / "stubs"), os.environ["PATH"]]),
            "PYTHONPATH": str(ROOT),  # the shim runs this checkout, not an installed copy
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_PATH": str(path_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            **{key: _expression(str(value), job.outputs) for key, value in step.get("env", {}).items()},
        }
        script = tmp_path / f"step-{number}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            [BASH, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        job.ran[name] = done.returncode
        job.logs[name] = done.stdout + done.stderr
        if "id" in step:
            lines = output.read_text().splitlines()
            job.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    job.summary = summary.read_text()
    job.pip = record.read_text().splitlines() if record.exists() else []
    return job


def _pylock(pins: list[tuple[str, str]]) -> str:
    """A PEP 751 lock of these pins with their real wheel URLs and hashes (sl3 wants hashes)."""
    lines = ['lock-version = "1.0"', 'created-by = "tests"', ""]
    for name, version in pins:
        index = json.loads((PYPI_FIXTURES / "simple" / name / "index.json").read_text())
        (wheel,) = [f for f in index["files"] if re.fullmatch(rf"{name}-{version}-.*\.whl", f["filename"])]
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'index = "https://pypi.org/simple"',
            f'wheels = [{{ name = "{wheel["filename"]}", url = "{wheel["url"]}", '
            f'hashes = {{ sha256 = "{wheel["hashes"]["sha256"]}" }} }}]',
            "",
        ]
    return "\n".join(lines)


VULNERABLE = [("requests", "2.25.1"), ("urllib3", "2.5.0"), ("certifi", "2025.8.3"), ("idna", "3.10")]
CLEAN = [("six", "1.17.0")]


@pytest.fixture
def services(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    """Every endpoint at the replay server; anything else at a proxy that refuses (port 9)."""
    server.mount("/", PYPI_FIXTURES)
    OsvApi(_records()).install(server)
    point_endpoints(monkeypatch, server)
    for name in ("OSV", "DEPS_DEV", "TOP_PACKAGES", "OSV_DATABASE"):
        monkeypatch.setenv(f"SUPPLYCHAIN_{name}_URL", server.url + "/")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return server


def _tool(*extra: Path) -> list[Path]:
    return [*sorted(SITE_PACKAGES.glob("*.dist-info")), *extra]


@pytest.mark.parametrize(
    ("project", "extra", "codes"),
    [
        (VULNERABLE, (), {"audit": "1", "toolchain": "0"}),  # requests 2.25.1: advisories fail SL3
        (CLEAN, ("requests-2.25.1",), {"audit": "0", "toolchain": "1"}),  # the tool's own env fails
        (CLEAN, (), {"audit": "0", "toolchain": "0"}),
    ],
    ids=["project-fails", "toolchain-fails", "both-pass"],
)
def test_the_github_example_runs_and_fails_the_job_only_after_the_uploads(
    services: ReplayServer,
    tmp_path: Path,
    project: list[tuple[str, str]],
    extra: tuple[str, ...],
    codes: dict[str, str],
) -> None:
    workspace = tmp_path / "checkout"
    workspace.mkdir()
    (workspace / "pylock.toml").write_text(_pylock(project))
    infos = []
    for dist in extra:
        info = tmp_path / "extra" / f"{dist}.dist-info"
        info.mkdir(parents=True)
        name, version = dist.rsplit("-", 1)
        info.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        infos.append(info)
    job = run_workflow(workspace, tmp_path, _tool(*infos))

    assert job.pip == ["git+https://github.com/<org>/supplychain@<full commit sha>"]
    assert job.logs["Install supplychain"].startswith("supplychain 0.")
    assert {step: job.outputs[step]["exit_code"] for step in ("audit", "toolchain")} == codes, job.logs
    # every upload step ran and found what it uploads, whatever the audits said
    assert job.skipped == []
    reports = workspace / "reports"
    assert job.uploads == {
        "github/codeql-action/upload-sarif": reports / "supplychain.sarif",
        "actions/upload-artifact": reports,
    }
    assert json.loads((reports / "supplychain.sarif").read_text())["version"] == "2.1.0"
    assert sorted(p.name for p in reports.iterdir()) == [
        "supplychain.cdx.json",
        "supplychain.html",
        "supplychain.json",
        "supplychain.md",
        "supplychain.sarif",
        "toolchain",
    ]
    assert sorted(p.name for p in (reports / "toolchain").iterdir()) == ["supplychain.json", "supplychain.md"]
    project_md, toolchain_md = (
        (reports / "supplychain.md").read_text(),
        (reports / "toolchain" / "supplychain.md").read_text(),
    )
    assert job.summary == project_md + "\n## supplychain itself\n\n" + toolchain_md
    # the job fails with the first audit's non-zero code, and only in the last step
    expected = int(codes["audit"]) or int(codes["toolchain"])
    assert list(job.ran.values())[:-1] == [0] * (len(job.ran) - 1)
    assert job.ran["Fail the job when an audit did not pass"] == expected
    audited = json.loads((reports / "toolchain" / "supplychain.json").read_text())
    assert {p["name"] for p in audited["packages"]} >= {"httpx", "certifi", *(d.split("-")[0] for d in extra)}


def _git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def test_on_a_pull_request_the_github_example_fails_only_on_what_the_change_brings(
    services: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base branch already pins requests 2.25.1 (failing SL3); the pull request adds six (passing)."""
    workspace, origin = tmp_path / "checkout", tmp_path / "origin.git"
    workspace.mkdir()
    (workspace / "pylock.toml").write_text(_pylock(VULNERABLE))
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "add", "pylock.toml")
    _git(workspace, "commit", "-q", "-m", "base")
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    _git(workspace, "remote", "add", "origin", str(origin))
    _git(workspace, "push", "-q", "origin", "main")
    _git(workspace, "update-ref", "-d", "refs/remotes/origin/main")  # a fresh checkout: the step fetches it
    (workspace / "pylock.toml").write_text(_pylock(VULNERABLE + CLEAN))
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    job = run_workflow(workspace, tmp_path, _tool())

    assert job.outputs["audit"]["exit_code"] == "0", job.logs["Audit"]
    report = json.loads((workspace / "reports" / "supplychain.json").read_text())
    assert report["verdict"] == "passed"  # on new findings only: requests' advisories were already there
    assert report["delta"]["baseline"] == "git origin/main:pylock.toml"
    assert [c["name"] for c in report["delta"]["added"]] == ["six"]
    assert "**Changes** against git origin/main:pylock.toml: 1 added" in job.summary
