"""uv.lock reader on a real uv lock (nnsight's dependencies), plus malformed variants with exact locations."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.model import ArtifactKind, LockedDependency, LockedSet, OriginKind
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Target

LOCKS = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks"
NNSIGHT = LOCKS / "nnsight" / "uv.lock"
LINUX_311 = Target.parse("3.11", "x86_64-manylinux_2_28")


def read(path: Path, **options: tuple[str, ...]) -> LockedSet:
    result = reader("uv-lock").read(path, InputOptions(target=LINUX_311, **options))
    assert isinstance(result, LockedSet)
    return result


def test_every_package_of_the_real_lock_is_read_with_its_pins_and_sources() -> None:
    locked = read(NNSIGHT)
    assert len(locked.packages) == 235
    project = next(p for p in locked.packages if p.ref.name == "nnsight")
    assert (project.origin.kind, str(project.origin.url)) == (OriginKind.PATH, ".")  # virtual = local code
    by_version = {(p.ref.name, str(p.ref.version)) for p in locked.packages}
    assert ("requests", "2.34.2") in by_version
    assert ("urllib3", "2.8.0") in by_version
    assert {v for n, v in by_version if n == "networkx"} == {"3.4.2", "3.6.1", "3.7"}  # a three-way fork
    assert [str(url) for url in locked.index_urls] == ["https://pypi.org/simple"]


def test_hashes_come_from_sdist_and_wheels_sorted_and_unique() -> None:
    urllib3 = next(p for p in read(NNSIGHT).packages if p.ref.name == "urllib3")
    assert urllib3.origin.kind is OriginKind.INDEX
    assert str(urllib3.origin.url) == "https://pypi.org/simple"
    assert urllib3.origin.artifact is ArtifactKind.WHEEL
    assert urllib3.origin.hashes == (
        "sha256:0cf3cae568d36aa9576b28dfb35f11328f1cb974ca7647d9475ebb86c75ac6e3",
        "sha256:63bf2ead4c879426ebf22ef2a781eeb4aa3b4ae798a0435506f8687fd5bb9b63",
    )
    assert urllib3.location is not None
    assert urllib3.location.line == 4408


def test_edges_keep_markers_and_fork_versions_become_exact_specifiers() -> None:
    torch = next(p for p in read(NNSIGHT).packages if p.ref.name == "torch")
    assert torch.dependencies is not None
    networkx = [d for d in torch.dependencies if d.name == "networkx"]
    assert networkx == [
        LockedDependency(name="networkx", specifier="==3.4.2", marker='python_full_version < "3.11"'),
        LockedDependency(name="networkx", specifier="==3.6.1", marker='python_full_version == "3.11.*"'),
        LockedDependency(name="networkx", specifier="==3.7", marker='python_full_version >= "3.12"'),
    ]
    assert LockedDependency(name="triton", marker='platform_machine == "x86_64"') in torch.dependencies


def test_roots_are_the_project_requirements_and_extras_select_optional_ones() -> None:
    base = {str(r.requirement) for r in read(NNSIGHT).roots}
    assert "python-socketio[client]" in base
    assert 'ipython==9.18.0; python_full_version >= "3.11"' in base
    assert not any(r.startswith("vllm") for r in base)
    with_vllm = {r.name for r in read(NNSIGHT, extras=("vllm",)).roots}
    assert {"vllm", "triton"} <= with_vllm


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = 'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version = 2\n", "uv.lock:1: uv.lock version 2 is not supported (supported: 1)"),
        (
            HEADER + "[[package]]\nname = 'a'\nversion = [1]\n",
            "uv.lock:5: package 'a': 'version' must be a string, not list",
        ),
        (
            HEADER
            + "[[package]]\nname = 'a'\nversion = '1'\nsource = { registry = 'https://pypi.org/simple' }\n"
            "\n[[package]]\nversion = '2'\n",
            "uv.lock:10: [[package]] has no 'name' string",
        ),
        (
            HEADER
            + "[[package]]\nname = 'a'\nversion = 'one'\nsource = { registry = 'https://pypi.org/simple' }\n",
            "uv.lock:5: package 'a' has an invalid version 'one'",
        ),
        (
            HEADER + "[[package]]\nname = 'a'\nversion = '1'\nsource = { registry = 'x' }\n"
            "dependencies = [{ name = 'b', marker = 'os_name ==' }]\n",
            "uv.lock:5: package 'a' dependency 'b': invalid marker 'os_name ==': "
            "Expected a marker variable or quoted string",
        ),
        # A line separator in a comment is no TOML newline: counting it put every later line one off.
        (
            "# generated\u2028by uv\n" + HEADER + "[[package]]\nname = 'a'\nversion = [1]\n",
            "uv.lock:6: package 'a': 'version' must be a string, not list",
        ),
        # A header with a comment was not counted, so the second package was shown at the first.
        (
            HEADER + "[[package]]  # the project\nname = 'a'\nversion = '1'\n"
            "source = { registry = 'https://pypi.org/simple' }\n\n[[package]]\nversion = '2'\n",
            "uv.lock:10: [[package]] has no 'name' string",
        ),
        (HEADER + "[[package]]\nname = 'a'\ndependencies = [\n", "uv.lock:7: not valid TOML: Invalid value"),
        (
            HEADER + "[[package]\n",
            "uv.lock:5: not valid TOML: Expected ']]' at the end of an array declaration",
        ),
    ],
)
def test_malformed_locks_name_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message


def test_versions_of_a_real_package_parse_as_pep440() -> None:
    assert all(isinstance(p.ref.version, Version) for p in read(NNSIGHT).packages)


WORKSPACE = LOCKS / "handmade" / "uv-workspace" / "uv.lock"


def test_workspace_members_are_local_code_and_their_requirements_the_roots() -> None:
    locked = read(WORKSPACE)
    members = {p.ref.name: p.origin for p in locked.packages if p.ref.name.startswith("ws-")}
    assert {name: (o.kind, str(o.url)) for name, o in members.items()} == {
        "ws-cli": (OriginKind.EDITABLE, "packages/cli"),
        "ws-core": (OriginKind.EDITABLE, "packages/core"),
        "ws-root": (OriginKind.EDITABLE, "."),
    }
    assert sorted(str(r.requirement) for r in locked.roots) == [
        'colorama; sys_platform == "win32"',
        "idna",
        "iniconfig",  # the root member's dev group, on by default as in `uv sync`
        'tomli; python_full_version < "3.11"',
        "ws-cli",
        "ws-core[certs]",
    ]
    linux = graph_from_locked(locked, LINUX_311)
    assert [p.ref.name for p in linux.packages()] == ["certifi", "idna", "iniconfig", "ws-cli", "ws-core"]
    assert linux.requested_by("certifi") == ["ws-core"]  # through ws-cli's ws-core[certs]
    windows_310 = Target.parse("3.10", "windows")
    windows = graph_from_locked(read(WORKSPACE), windows_310)
    assert {"colorama", "tomli"} <= {p.ref.name for p in windows.packages()}


def test_a_name_the_project_pins_to_an_index_is_marked_pinned(tmp_path: Path) -> None:
    """uv writes a ``{ index = "corp" }`` source as ``index = "<url>"`` in the member's metadata."""
    path = tmp_path / "uv.lock"
    path.write_text(
        'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n\n'
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "corp-tool" }, { name = "six" }]\n\n'
        "[package.metadata]\nrequires-dist = [\n"
        '    { name = "corp-tool", index = "https://pkgs.corp.example/simple" },\n'
        '    { name = "six" },\n]\n\n'
        '[[package]]\nname = "corp-tool"\nversion = "1.0"\n'
        'source = { registry = "https://pkgs.corp.example/simple/" }\n\n'
        '[[package]]\nname = "six"\nversion = "1.17.0"\nsource = { registry = "https://pypi.org/simple" }\n'
    )
    pinned = {p.ref.name: p.origin.pinned for p in read(path).packages if p.origin.kind is OriginKind.INDEX}
    assert pinned == {"corp-tool": True, "six": False}
