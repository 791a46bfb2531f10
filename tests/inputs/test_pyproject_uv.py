"""uv projects: [tool.uv.sources] moves packages off the index, [[tool.uv.index]] orders the indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.markers import Marker

from supplychain.errors import InputError
from supplychain.inputs.pyproject import read_pyproject
from supplychain.inputs.uv_sources import negate_marker
from supplychain.model import OriginKind

HAND = Path(__file__).parents[1] / "fixtures" / "inputs" / "text" / "handmade"


def test_workspace_git_path_url_and_index_sources() -> None:
    found = read_pyproject(HAND / "uv-workspace" / "pyproject.toml")
    rows = [
        (d.name, d.origin.kind if d.origin else None, d.editable, d.location.line) for d in found.requirements
    ]
    assert rows == [
        ("core", OriginKind.EDITABLE, True, 6),  # workspace member, found under packages/*
        ("torch", None, False, 7),  # an index source keeps the requirement; the index is recorded
        ("httpx", OriginKind.VCS, False, 8),
        ("rich", None, False, 9),
        ("local-pkg", OriginKind.EDITABLE, True, 10),
        ("six", OriginKind.URL, False, 11),
    ]
    assert str(found.requirements[2].requirement) == "httpx @ git+https://github.com/encode/httpx@0.27.0"
    core = found.requirements[0].origin
    assert core is not None
    assert core.url is not None
    assert core.url.reveal() == (HAND / "uv-workspace" / "packages" / "core").resolve().as_uri()
    assert [str(url) for url in found.index_urls] == [
        "https://***@pypi.internal.example/simple",
        "https://pypi.org/simple/",
        "https://download.pytorch.org/whl/cpu",
    ]
    # The index source pins torch: uv asks that index only for it, never the others above.
    assert [(name, str(url)) for name, url in found.index_pins] == [
        ("torch", "https://download.pytorch.org/whl/cpu")
    ]


def test_a_poetry_source_pins_its_dependency(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.poetry]\nname = "app"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
        'corp-tool = { version = "^1.0", source = "corp" }\nsix = "*"\n'
        '[[tool.poetry.source]]\nname = "corp"\nurl = "https://pkgs.corp.example/simple/"\n'
        'priority = "explicit"\n'
    )
    found = read_pyproject(path)
    assert [(name, str(url)) for name, url in found.index_pins] == [
        ("corp-tool", "https://pkgs.corp.example/simple/")
    ]


def test_a_poetry_source_that_is_not_declared_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.poetry]\nname = "app"\n[tool.poetry.dependencies]\n'
        'corp-tool = { version = "1", source = "corp" }\n'
    )
    with pytest.raises(
        InputError, match=r"dependency source 'corp' is not a \[\[tool.poetry.source\]\] with a url"
    ):
        read_pyproject(path)


def test_a_marker_restricted_source_falls_back_to_the_index_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "p"\ndependencies = ["httpx>=0.27"]\n'
        "[tool.uv.sources]\n"
        'httpx = [{ git = "https://github.com/encode/httpx", marker = "sys_platform == \'linux\'" }]\n'
    )
    found = read_pyproject(path)
    assert [str(d.requirement) for d in found.requirements] == [
        'httpx @ git+https://github.com/encode/httpx ; sys_platform == "linux"',
        'httpx>=0.27; sys_platform != "linux"',
    ]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ('six = { index = "nope" }\n', "5: uv source for 'six' names unknown index 'nope'"),
        (
            "six = { workspace = true }\n",
            "5: 'six' is a workspace source but no uv workspace member has that name",
        ),
        ("six = { editable = true }\n", "5: uv source for 'six' has no git, url, path, workspace or index"),
    ],
)
def test_malformed_sources(sources: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "p"\ndependencies = ["six"]\n[tool.uv.sources]\n' + sources)
    with pytest.raises(InputError) as caught:
        read_pyproject(path)
    assert caught.value.diagnostics() == f"{path}:{expected}"


ATOMS = st.sampled_from([
    "sys_platform == 'linux'", "sys_platform != 'win32'", 'python_version < "3.11"',
    'python_version >= "3.9"', 'os_name == "nt"', '"linux" in sys_platform',
    'platform_machine not in "x86_64 aarch64"',
])  # fmt: skip
MARKERS = st.recursive(
    ATOMS,
    lambda inner: st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map(
        lambda t: f"({t[0]}{t[1]}{t[2]})"
    ),
    max_leaves=5,
)
ENVIRONMENTS = st.fixed_dictionaries({
    "sys_platform": st.sampled_from(["linux", "win32", "darwin"]),
    "python_version": st.sampled_from(["3.8", "3.9", "3.11", "3.13"]),
    "os_name": st.sampled_from(["nt", "posix"]),
    "platform_machine": st.sampled_from(["x86_64", "arm64", "aarch64"]),
})  # fmt: skip


@given(marker=MARKERS, environment=ENVIRONMENTS)
def test_negated_marker_holds_exactly_where_the_marker_does_not(
    marker: str, environment: dict[str, str]
) -> None:
    assert Marker(negate_marker(marker)).evaluate(environment) is not Marker(marker).evaluate(environment)


def test_unnegatable_comparison_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot negate the '~=' comparison"):
        negate_marker('python_version ~= "3.10"')
