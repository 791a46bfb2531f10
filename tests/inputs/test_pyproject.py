"""pyproject.toml: PEP 621, PEP 735, Poetry and setuptools' dynamic file: on real and hand-made files."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import InputError, UsageError
from supplychain.inputs.pyproject import read_pyproject
from supplychain.model import OriginKind, RequirementSet

TEXT = Path(__file__).parents[1] / "fixtures" / "inputs" / "text"
REAL = TEXT / "real"
HAND = TEXT / "handmade"


def _rows(found: RequirementSet) -> list[tuple[str, str, int | None]]:
    return [(str(d.requirement), Path(d.location.file).name, d.location.line) for d in found.requirements]


# --- PEP 621 ----------------------------------------------------------------------------------


def test_nnsight_dependencies_and_self_referencing_extra() -> None:
    path = REAL / "nnsight" / "pyproject.toml"
    base = read_pyproject(path)
    assert [d.name for d in base.requirements][:5] == [
        "transformers",
        "astor",
        "cloudpickle",
        "httpx",
        "python-socketio",
    ]
    assert len(base.requirements) == 12
    assert base.requirements[4].location.line == 36
    everything = read_pyproject(path, extras=("all",))
    added = [(str(d.requirement), d.location.line) for d in everything.requirements[12:]]
    assert added == [("pytest>=6.0", 48), ("pytest-cov", 49), ("vllm>=0.12", 54), ("triton==3.5.0", 55)]
    assert "nnsight" not in {d.name for d in everything.requirements}  # expanded, never looked up


def test_unknown_extra_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        read_pyproject(REAL / "nnsight" / "pyproject.toml", extras=("gpu",))
    assert caught.value.diagnostics() == (
        f"{REAL / 'nnsight' / 'pyproject.toml'} has no extra 'gpu' (known extras: all, test, vllm)"
    )


def test_inspect_ai_dynamic_dependencies_come_from_the_requirements_file() -> None:
    found = read_pyproject(REAL / "inspect-ai" / "pyproject.toml", extras=("dist",))
    rows = _rows(found)
    assert len(rows) == 35
    assert rows[0] == ("aioboto3>=13.0.0", "requirements.txt", 1)
    assert rows[7] == ('exceptiongroup>=1.0.2; python_version < "3.11"', "requirements.txt", 8)
    assert rows[-2:] == [("twine", "pyproject.toml", 161), ("build", "pyproject.toml", 161)]


def test_a_project_without_dependency_tables_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[build-system]\nrequires = ["hatchling"]\n')
    assert read_pyproject(path) == RequirementSet(kind="pyproject", path=str(path), requirements=())


# --- PEP 735 ----------------------------------------------------------------------------------


def test_attrs_dependency_groups_with_nested_includes() -> None:
    path = REAL / "attrs" / "pyproject.toml"
    assert read_pyproject(path).requirements == ()
    rows = _rows(read_pyproject(path, groups=("mypy",)))
    assert rows[0] == ('cloudpickle; platform_python_implementation == "CPython"', "pyproject.toml", 46)
    assert [row[0] for row in rows[5:12]] == [
        "cogapp",
        "furo",
        "myst-parser",
        "sphinx",
        "sphinx-notfound-page",
        "sphinxcontrib-towncrier",
        "towncrier",
    ]
    assert rows[-1] == (
        'pytest-mypy-plugins; platform_python_implementation == "CPython" and python_version >= "3.10"',
        "pyproject.toml",
        42,
    )
    assert len(rows) == 13


def test_group_include_cycle_points_at_the_closing_include() -> None:
    path = HAND / "groups-cycle" / "pyproject.toml"
    with pytest.raises(InputError) as caught:
        read_pyproject(path, groups=("a",))
    assert caught.value.diagnostics() == f"{path}:10: dependency group include cycle: a -> b -> c -> a"
    assert [d.name for d in read_pyproject(path, groups=("ok",)).requirements] == ["rich", "click"]


def test_unknown_group_lists_the_known_ones() -> None:
    path = HAND / "groups-cycle" / "pyproject.toml"
    with pytest.raises(UsageError) as caught:
        read_pyproject(path, groups=("lint",))
    assert (
        caught.value.diagnostics()
        == f"{path} has no dependency group 'lint' (known groups: a, b, c, leaf, ok)"
    )


# --- Poetry -----------------------------------------------------------------------------------


def test_transformer_lens_poetry_alternatives_platforms_and_git() -> None:
    found = read_pyproject(REAL / "transformer-lens" / "pyproject.toml")
    by_name: dict[str, list[str]] = {}
    for declared in found.requirements:
        by_name.setdefault(declared.name, []).append(str(declared.requirement))
    assert "python" not in by_name
    assert by_name["beartype"] == ["beartype<0.15.0,>=0.14.1"]
    assert by_name["better-abc"] == ["better-abc<0.0.4,>=0.0.3"]
    assert by_name["numpy"] == [
        'numpy<1.25,>=1.20; python_version >= "3.8" and python_version < "3.9"',
        'numpy>=1.24; python_version >= "3.9" and python_version < "3.12"',
        'numpy>=1.26; python_version >= "3.12" and python_version < "3.13"',
    ]
    assert by_name["torch"] == [
        'torch!=2.0,!=2.1.0,>=1.10; sys_platform != "linux"',
        'torch>=1.10; sys_platform == "linux"',
    ]
    assert by_name["sentencepiece"] == ["sentencepiece"]
    lines = [(d.name, d.location.line) for d in found.requirements if d.name in {"numpy", "torch"}]
    assert lines == [("numpy", 24), ("numpy", 25), ("numpy", 26), ("torch", 33), ("torch", 34)]
    transformers = next(d for d in found.requirements if d.name == "transformers")
    assert transformers.origin is not None
    assert transformers.origin.kind is OriginKind.VCS
    assert transformers.location.line == 37
    assert len(found.requirements) == 19


def test_transformer_lens_groups() -> None:
    path = REAL / "transformer-lens" / "pyproject.toml"
    docs = read_pyproject(path, groups=("docs",)).requirements[19:]
    assert [(str(d.requirement), d.location.line) for d in docs[:3]] == [
        ("furo>=2022.12.7", 60),
        ("myst-parser>=0.18.1", 61),
        ("nbconvert<8.0.0,>=7.9.2", 62),
    ]
    with pytest.raises(UsageError) as caught:
        read_pyproject(path, groups=("lint",))
    assert caught.value.diagnostics().endswith(
        "has no dependency group 'lint' (known groups: dev, docs, jupyter)"
    )


def test_poetry_constraint_forms() -> None:
    path = HAND / "poetry-project" / "pyproject.toml"
    found = read_pyproject(path, extras=("opt",), groups=("test", "dev"))
    rows = {
        d.name: (str(d.requirement), d.location.line) for d in found.requirements if d.name != "alternatives"
    }
    assert rows == {
        "caret-major": ("caret-major<2.0.0,>=1.2.3", 8),
        "caret-minor": ("caret-minor<0.3.0,>=0.2.3", 9),
        "caret-patch": ("caret-patch<0.0.4,>=0.0.3", 10),
        "caret-short": ("caret-short<0.1,>=0.0", 11),
        "tilde": ("tilde<1.3,>=1.2", 12),
        "tilde-full": ("tilde-full<1.3.0,>=1.2.3", 13),
        "exact": ("exact==2.0.1", 14),
        "anything": ("anything", 15),
        "spaced": ("spaced<1.5,>=1.2", 16),
        "with-extras": ("with-extras[security,socks]<3.0,>=2.0", 17),
        "py-restricted": ('py-restricted<2.0,>=1.0; python_version < "3.11"', 18),
        "py-union": (
            'py-union<2.0,>=1.0; (python_version >= "2.7" and python_version < "2.8") '
            'or (python_version >= "3.10" and python_version < "4.0")',
            19,
        ),
        "with-markers": ('with-markers>=1; sys_platform == "win32" and python_version >= "3.10"', 20),
        "vcs-dep": (
            "vcs-dep @ git+https://github.com/pypa/sampleproject.git@621e4974ca25ce531773def586ba3ed8e736b3fc",
            21,
        ),
        "ssh-dep": ("ssh-dep @ git+ssh://git@github.com/pypa/packaging.git@main", 22),
        "url-dep": (
            "url-dep @ https://files.pythonhosted.org/packages/source/a/attrs/attrs-24.2.0.tar.gz",
            23,
        ),
        "path-dep": (f"path-dep @ {(HAND / 'localpkg').resolve().as_uri()}", 24),
        "optional-dep": ("optional-dep<4.0,>=3.0", 25),
        "pytest": ("pytest<9.0,>=8.0", 35),
        "black": ("black<25.0,>=24.1", 38),
    }
    origins = {d.name: d.origin for d in found.requirements if d.origin is not None}
    assert origins["vcs-dep"] is not None
    assert origins["vcs-dep"].commit == "621e4974ca25ce531773def586ba3ed8e736b3fc"
    assert origins["path-dep"] is not None
    assert origins["path-dep"].kind is OriginKind.EDITABLE
    assert origins["url-dep"] is not None
    assert origins["url-dep"].kind is OriginKind.URL
    assert [str(url) for url in found.index_urls] == [
        "https://pypi.org/simple/",
        "https://***@pypi.internal.example/simple",
    ]


def test_poetry_optional_dependencies_need_their_extra() -> None:
    found = read_pyproject(HAND / "poetry-project" / "pyproject.toml")
    assert "optional-dep" not in {d.name for d in found.requirements}
    assert "pytest" not in {d.name for d in found.requirements}


# --- malformed variants ----------------------------------------------------------------------

_UNION = "is a union ('||'), which a PEP 440 specifier cannot express"
_DYNAMIC = "dependencies are dynamic (computed by the build backend); reading them means running it"
MALFORMED: list[tuple[str, str, str]] = [
    (
        "dependencies-not-array",
        '[project]\nname = "x"\ndependencies = "requests"\n',
        "3: 'project.dependencies' must be an array of requirement strings",
    ),
    (
        "bad-requirement",
        '[project]\nname = "x"\ndependencies = [\n  "ok",\n  "numpy >= = 1",\n]\n',
        "5: invalid requirement 'numpy >= = 1': "
        "Expected semicolon (after name with no version specifier) or end",
    ),
    ("project-not-table", 'project = "x"\n', "1: 'project' must be a table"),
    (
        "extras-not-table",
        '[project]\nname = "x"\noptional-dependencies = 3\n',
        "3: 'project.optional-dependencies' must be a table",
    ),
    (
        "truncated",
        '[project]\nname = "x"\ndependencies = [\n  "requests>=2",\n',
        "4: not valid TOML: Invalid value (at the end of the file)",
    ),
    ("duplicate-key", '[project]\nname = "x"\nname = "y"\n', "3: not valid TOML: Cannot overwrite a value"),
    (
        "poetry-union",
        '[tool.poetry.dependencies]\npython = "^3.9"\nfoo = "^1.0 || ^2.0"\n',
        f"3: dependency 'foo': '^1.0 || ^2.0' {_UNION}; "
        "split it into alternatives restricted by 'python' or 'markers'",
    ),
    (
        "poetry-bad-caret",
        '[tool.poetry.dependencies]\nfoo = "^banana"\n',
        "2: dependency 'foo': 'banana' in '^banana' is not a version",
    ),
    (
        "poetry-bad-type",
        "[tool.poetry.dependencies]\nfoo = 3\n",
        "2: dependency 'foo' must be a version string or a table",
    ),
    (
        "poetry-section-not-table",
        '[tool.poetry]\nname = "x"\ndependencies = ["a"]\n',
        "3: 'tool.poetry.dependencies' must be a table",
    ),
    (
        "dynamic-without-source",
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
        f"3: {_DYNAMIC}\n  hint: point supplychain at a requirements or lock file of this project instead",
    ),
    (
        "group-entry-wrong",
        '[dependency-groups]\ndev = ["ruff", {include = "x"}]\n',
        "2: 'dependency-groups.dev' entries must be strings or {include-group = \"...\"}",
    ),
    (
        "group-includes-unknown",
        '[dependency-groups]\ndev = [{include-group = "nope"}]\n',
        "2: dependency group 'dev' includes unknown group 'nope'",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_pyproject_names_file_and_line(
    name: str, content: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(content)
    groups = ("dev",) if "dependency-groups" in content else ()
    with pytest.raises(InputError) as caught:
        read_pyproject(path, groups=groups)
    assert caught.value.diagnostics() == f"{path}:{expected}"
    assert caught.value.exit_code == 2


def test_legacy_uv_and_pdm_dev_dependencies_are_groups(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "p"\ndependencies = []\n\n'
        '[tool.uv]\ndev-dependencies = [\n  "pytest>=8",\n]\n\n'
        '[tool.pdm.dev-dependencies]\nlint = ["ruff"]\n'
    )
    assert _rows(read_pyproject(path, groups=("dev", "lint"))) == [
        ("pytest>=8", "pyproject.toml", 7),
        ("ruff", "pyproject.toml", 11),
    ]


def test_hatch_requirements_txt_plugin_supplies_dynamic_dependencies(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("httpx>=0.27\n")
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "p"\ndynamic = ["dependencies"]\n\n'
        '[tool.hatch.metadata.hooks.requirements_txt]\nfiles = ["requirements.txt"]\n'
    )
    assert _rows(read_pyproject(path)) == [("httpx>=0.27", "requirements.txt", 1)]
