"""Choosing a reader from a path: names, content sniffing, directories, overrides and the no-path default."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

from supplychain.errors import InputError, UsageError
from supplychain.inputs import INPUTS, InputOptions
from supplychain.inputs.detect import detect_kind, load_input
from supplychain.model import RequirementSet
from supplychain.target import Target

TEXT = Path(__file__).parents[1] / "fixtures" / "inputs" / "text"
OPTIONS = InputOptions(target=Target.parse("3.11", "x86_64-manylinux_2_28"))
LOCK_READERS_PRESENT = all(
    importlib.util.find_spec(f"supplychain.inputs.{module}") is not None
    for module in ("uv_lock", "poetry_lock", "pdm_lock", "pipfile_lock", "pylock", "installed")
)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("dev-requirements.txt", "requirements"),
        ("Requirements.TXT", "requirements"),
        ("constraints.in", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("uv.lock", "uv-lock"),
        ("poetry.lock", "poetry-lock"),
        ("pdm.lock", "pdm-lock"),
        ("Pipfile.lock", "pipfile-lock"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
    ],
)
def test_kind_from_file_name(name: str, kind: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text("")
    assert detect_kind(path) == kind


def test_content_sniffing_recognises_requirements_under_another_name() -> None:
    assert detect_kind(TEXT / "real" / "gh-action-pypi-publish" / "runtime.txt") == "requirements"


def test_content_sniffing_recognises_a_renamed_pyproject(tmp_path: Path) -> None:
    path = tmp_path / "project.toml"
    shutil.copy(TEXT / "real" / "nnsight" / "pyproject.toml", path)
    assert detect_kind(path) == "pyproject"


@pytest.mark.skipif(
    not LOCK_READERS_PRESENT, reason="the lock and installed readers (H2) are not in the tree yet"
)
def test_unrecognised_content_names_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nNothing to install here.\n")
    with pytest.raises(InputError) as caught:
        detect_kind(path)
    assert caught.value.diagnostics() == (
        f"{path}: cannot tell what kind of input notes.md is; use --input-format one of: {', '.join(INPUTS)}"
    )


def test_directories_venv_site_packages_and_projects(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    site = tmp_path / "site-packages"
    (site / "six-1.16.0.dist-info").mkdir(parents=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("six\n")
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n')
    assert detect_kind(venv) == "installed"
    assert detect_kind(site) == "installed"
    assert detect_kind(project) == "pyproject"  # pyproject.toml is preferred over requirements.txt
    (project / "uv.lock").write_text("")
    assert detect_kind(project) == "uv-lock"  # a lock file beats both


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        detect_kind(tmp_path)
    assert caught.value.diagnostics() == (
        f"{tmp_path}: {tmp_path} is a directory with no lock file, pyproject.toml or requirements.txt, "
        "and is not a virtual environment, conda environment or site-packages"
    )


def test_nonexistent_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as caught:
        load_input(missing, input_format=None, options=OPTIONS)
    assert caught.value.diagnostics() == f"{missing}: {missing} does not exist"


def test_unknown_input_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_input(tmp_path, input_format="setup.py", options=OPTIONS)
    assert caught.value.diagnostics() == f"--input-format 'setup.py' is not one of: {', '.join(INPUTS)}"


def test_input_format_overrides_the_name(tmp_path: Path) -> None:
    path = tmp_path / "deps.lock"
    path.write_text("six==1.16.0\n")
    found = load_input(path, input_format="requirements", options=OPTIONS)
    assert isinstance(found, RequirementSet)
    assert [d.name for d in found.requirements] == ["six"]


def test_directory_with_input_format_reads_that_formats_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["attrs"]\n')
    found = load_input(tmp_path, input_format="requirements", options=OPTIONS)
    assert isinstance(found, RequirementSet)
    assert found.path == str(tmp_path / "requirements.txt")
    with pytest.raises(InputError) as caught:
        load_input(tmp_path, input_format="poetry-lock", options=OPTIONS)
    assert caught.value.diagnostics() == (
        f"{tmp_path}: {tmp_path} is a directory; --input-format poetry-lock needs poetry.lock in it"
    )


def test_no_path_reads_the_project_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = ["attrs>=23"]\n')
    monkeypatch.chdir(tmp_path)
    found = load_input(None, input_format=None, options=OPTIONS)
    assert isinstance(found, RequirementSet)
    assert (found.kind, [str(d.requirement) for d in found.requirements]) == ("pyproject", ["attrs>=23"])


@pytest.mark.skipif(
    not LOCK_READERS_PRESENT, reason="the installed-environment reader (H2) is not in the tree yet"
)
def test_no_path_and_no_project_reads_the_running_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    found = load_input(None, input_format=None, options=OPTIONS)
    assert found.kind == "installed"
    assert Path(found.path) == Path(sys.prefix)  # the environment: its purelib AND platlib are read


def test_pyproject_reader_gets_extras_and_groups_from_options(tmp_path: Path) -> None:
    shutil.copy(TEXT / "real" / "attrs" / "pyproject.toml", tmp_path / "pyproject.toml")
    options = InputOptions(target=OPTIONS.target, groups=("dev",))
    found = load_input(tmp_path / "pyproject.toml", input_format=None, options=options)
    assert isinstance(found, RequirementSet)
    assert [d.name for d in found.requirements][-1] == "ruff"


def test_a_project_directory_is_read_through_its_preferred_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    found = load_input(tmp_path, input_format=None, options=OPTIONS)
    assert isinstance(found, RequirementSet)
    assert (found.kind, found.path) == ("requirements", str(tmp_path / "requirements.txt"))


def test_manifest_in_is_not_a_requirements_file(tmp_path: Path) -> None:
    path = tmp_path / "MANIFEST.in"
    path.write_text("include README.md\n")
    with pytest.raises(InputError) as caught:
        detect_kind(path)
    assert "cannot tell what kind of input MANIFEST.in is" in caught.value.diagnostics()


def test_extras_or_groups_with_a_requirements_file_are_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n")
    options = InputOptions(target=OPTIONS.target, extras=("dev",))
    with pytest.raises(UsageError) as caught:
        load_input(path, input_format=None, options=options)
    assert caught.value.diagnostics() == (
        f"--extra and --group select from a pyproject.toml or lock file; {path} is a requirements file"
    )


def _text_corpus_cases() -> list[tuple[str, str]]:
    from tests.hostile.test_malformed_corpus import CASES  # the lead's hostile corpus and its expectations

    return [
        (name, expected)
        for name, command, expected in CASES
        if command == ["tree", "{f}"] and ("requirements" in name or "pyproject" in name)
    ]


@pytest.mark.parametrize(("name", "expected"), _text_corpus_cases())
def test_hostile_corpus_text_inputs_fail_with_the_expected_location(
    name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = Path(__file__).parents[1] / "hostile" / "corpus"
    monkeypatch.chdir(corpus)  # relative paths, as a user would type them
    monkeypatch.delenv("SUPPLYCHAIN_TEST_UNSET_VARIABLE", raising=False)
    with pytest.raises(InputError) as caught:
        load_input(Path(name), input_format=None, options=OPTIONS)
    assert re.search(expected, caught.value.diagnostics()), caught.value.diagnostics()


def test_an_unlistable_directory_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path) -> list[Path]:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)  # root can list anything, so inject the fault
    with pytest.raises(InputError) as caught:
        detect_kind(tmp_path)
    assert caught.value.diagnostics() == f"{tmp_path}: cannot list {tmp_path}: Permission denied"
