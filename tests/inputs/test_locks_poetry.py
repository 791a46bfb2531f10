"""poetry.lock reader on a real Poetry 2 lock (TransformerLens' dependencies), plus malformed variants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.model import LockedDependency, LockedSet, OriginKind
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Target

LOCK = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "transformer-lens" / "poetry.lock"
LINUX = Target.parse("3.11", "x86_64-manylinux_2_28")


def read(path: Path = LOCK, target: Target = LINUX) -> LockedSet:
    result = reader("poetry-lock").read(path, InputOptions(target=target))
    assert isinstance(result, LockedSet)
    return result


def test_packages_hashes_sources_and_roots_from_the_sibling_pyproject() -> None:
    locked = read()
    assert len(locked.packages) == 38
    assert [r.name for r in locked.roots] == [
        "beartype", "better-abc", "einops", "fancy-einsum", "jaxtyping", "numpy", "pandas", "rich",
        "sentencepiece", "tqdm", "typing-extensions",
    ]  # fmt: skip
    beartype = locked.packages[0]
    assert (beartype.ref.name, str(beartype.ref.version)) == ("beartype", "0.14.1")
    assert beartype.origin.kind is OriginKind.INDEX
    assert str(beartype.origin.url) == "https://pypi.org/simple"
    assert beartype.origin.hashes == (
        "sha256:0f70fccdb8eb6d7ddfaa3ffe3a0b66cf2edeb13452bd71ad46615775c2fa34f6",
        "sha256:23df4715d19cebb2ce60e53c3cf44cd925843f00c71938222d777ea6332de3cb",
    )
    tqdm = next(p for p in locked.packages if p.ref.name == "tqdm")
    assert tqdm.dependencies is not None
    assert LockedDependency(name="colorama", specifier="*", marker='platform_system == "Windows"') in (
        tqdm.dependencies
    )


@pytest.mark.parametrize(
    ("python", "platform", "numpy", "jaxtyping", "size"),
    [
        ("3.8", "x86_64-manylinux_2_28", "1.24.4", "0.2.19", 21),
        ("3.11", "x86_64-manylinux_2_28", "2.4.6", "0.3.11", 17),
        ("3.12", "windows", "2.5.5", "0.3.11", 18),
    ],
)
def test_package_markers_pick_one_version_per_python(
    python: str, platform: str, numpy: str, jaxtyping: str, size: int
) -> None:
    target = Target.parse(python, platform)
    graph = graph_from_locked(read(target=target), target)
    assert str(graph.package("numpy").ref.version) == numpy
    assert str(graph.package("jaxtyping").ref.version) == jaxtyping
    assert len(graph) == size
    assert ("colorama" in graph) is (platform == "windows")


def test_without_a_pyproject_every_package_is_direct(tmp_path: Path) -> None:
    shutil.copy(LOCK, tmp_path / "poetry.lock")
    locked = read(tmp_path / "poetry.lock")
    assert locked.roots == ()
    graph = graph_from_locked(locked, LINUX)
    assert all(graph.is_direct(p.ref.name) for p in graph.packages())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[metadata]\nlock-version = "3.0"\n',
            "poetry.lock:2: poetry.lock lock-version '3.0' is not supported (supported: 1.0, 1.1, 2.0, 2.1)",
        ),
        (
            '[[package]]\nname = "a"\n\n[metadata]\nlock-version = "2.1"\n',
            "poetry.lock:1: package 'a' has no 'version' string",
        ),
        (
            '[[package]]\nname = "a"\nversion = "1"\nfiles = [{file = "a.whl", hash = "md5"}]\n\n[metadata]\n'
            'lock-version = "2.1"\n',
            "poetry.lock:1: package 'a': hash 'md5' is not 'algorithm:hex'",
        ),
        (
            '[[package]]\nname = "a"\nversion = "1"\n\n[package.source]\ntype = "svn"\nurl = "x"\n'
            '\n[metadata]\nlock-version = "2.1"\n',
            "poetry.lock:1: package 'a': unknown source type 'svn'",
        ),
    ],
)
def test_malformed_poetry_lock_names_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "poetry.lock"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read(path)
    assert raised.value.diagnostics().replace(str(tmp_path) + "/", "") == message


def test_an_extras_entry_whose_marker_holds_a_parenthesis_is_parsed_whole(tmp_path: Path) -> None:
    """deepeval's real lock: cutting at the first ``" ("`` left an unbalanced marker and rejected the file."""
    path = tmp_path / "poetry.lock"
    path.write_text(
        '[[package]]\nname = "deepeval"\nversion = "3.0.0"\ndescription = ""\noptional = false\n'
        'python-versions = "*"\nfiles = []\n\n[package.dependencies]\n'
        'vllm = {version = ">=0.6", optional = true, markers = "python_version < \\"3.12\\""}\n'
        'sphinx = {version = ">=3.0", optional = true}\n\n[package.extras]\n'
        'gpu = ["vllm ; python_version < \\"3.12\\" and (sys_platform != \\"darwin\\" or '
        'platform_machine != \\"arm64\\")"]\n'
        'docs = ["sphinx (^3.0)"]\n\n'  # Poetry's older form, with a Poetry constraint
        '[metadata]\nlock-version = "2.1"\npython-versions = "*"\ncontent-hash = "x"\n',
        encoding="utf-8",
    )
    (package,) = read(path).packages
    assert package.dependencies == (
        LockedDependency(name="sphinx", specifier=">=3.0", marker='extra == "docs"'),
        LockedDependency(
            name="vllm", specifier=">=0.6", marker='(python_version < "3.12") and (extra == "gpu")'
        ),
    )
