"""``--version`` and ``--help``: the version of the code that runs, and help without Python type labels."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from supplychain.cli import app, main

ROOT = Path(__file__).parents[1]


def _all_commands() -> list[list[str]]:
    """Every command path: the root, each group and each command in it."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def _help(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def test_version_is_the_project_version_and_says_where_it_runs_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code in (0, None)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    package = Path(sys.modules["supplychain"].__file__ or "").parent
    assert capsys.readouterr().out == (
        f"supplychain {version} from {package} (python {sys.version.split()[0]})\n"
    )


def test_version_without_installed_metadata_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith(
        "supplychain (version unknown: not installed as a distribution) from "
    )


def test_every_command_is_checked() -> None:
    paths = {" ".join(path) for path in _all_commands()}
    assert {"", "audit", "tree", "explain", "db update", "allowlist approve", "policy show"} <= paths
    assert len(paths) >= 20


@pytest.mark.parametrize("path", _all_commands(), ids=lambda path: " ".join(path) or "supplychain")
def test_help_shows_no_python_type_labels(path: list[str]) -> None:
    text = _help(path)
    # Only a list of choices may stay in angle brackets (``<text|json>``): it says what to pass.
    labels = [label for label in re.findall(r"<[^<>\s]*>", text) if "|" not in label]
    assert labels == []
    for flag in ("--help", "--offline", "--quiet", "--no-deps", "--version"):
        rows = [line for line in text.splitlines() if re.search(rf"│ +{flag} ", line)]
        assert all(re.fullmatch(rf"│ +{flag} {{2,}}[A-Z]\S.*", row) for row in rows), rows


def test_value_options_name_what_to_pass() -> None:
    audit = _help(["audit"])
    assert re.search(r"--index-url +INDEX_URL +Primary package index", audit)
    assert re.search(r"--format +FORMAT +Report format", audit)
    assert re.search(r"│ +path +A requirements file", audit)
    assert re.search(r"--from +PATH +Import a local OSV archive", _help(["db", "update"]))
    assert re.search(r"--why +NAME +Print every path to NAME", _help(["tree"]))
    assert re.search(r"--format +<text\|json> +text or json", _help(["db", "status"]))
