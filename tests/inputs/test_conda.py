"""conda inputs (conda-lock.yml, environment.yml, an installed env's conda-meta) on conda's own test files.

A conda package is listed with its channel and never taken for the PyPI project of its name; a pip
package is audited as the PyPI package it is; nothing in the file is dropped; a malformed file is a
located error (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.inputs.conda import conda_version, parse_match_spec
from supplychain.inputs.detect import detect_kind, load_input
from supplychain.model import UNKNOWN_VERSION, Location, LockedSet, OriginKind, RequirementSet, normalize
from supplychain.resolve.locked import graph_from_locked
from supplychain.target import Scope, Target

CONDA = Path(__file__).parents[1] / "fixtures" / "inputs" / "conda"
LOCKS = sorted((CONDA / "conda-lock").glob("*.yml"))
ENVIRONMENTS = sorted((CONDA / "environment").iterdir())
ENV = CONDA / "conda-meta" / "envpy313tosx_whl"
OPTIONS = InputOptions(target=Target.parse("3.12", "x86_64-manylinux_2_28"))
PYPI = "https://pypi.org/simple/"
FORGE = "https://conda.anaconda.org/conda-forge"
WHERE = Location(file="environment.yml", line=1)


def _lock(path: Path, options: InputOptions | None = None) -> LockedSet:
    options = options or InputOptions(target=OPTIONS.target, scope=_scope(None))  # the CLI's default
    result = reader("conda-lock").read(path, options)
    assert isinstance(result, LockedSet)
    return result


def _environment(path: Path) -> RequirementSet:
    result = reader("environment-yml").read(path, OPTIONS)
    assert isinstance(result, RequirementSet)
    return result


def _error(input_id: str, path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        reader(input_id).read(path, OPTIONS)
    return caught.value


# --- conda-lock.yml --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.name)
def test_conda_lock_lists_every_package_of_every_platform(path: Path) -> None:
    """Each (manager, name, version, build) the file locks is one package: none dropped, none merged."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["package"]
    expected = {
        (entry["manager"], entry["name"], entry["version"], entry["url"].rsplit("-", 1)[-1])
        for entry in entries
        if entry["manager"] == "pip" or not entry["name"].startswith("__")
    }
    expected_pip = {(name, version) for manager, name, version, _ in expected if manager == "pip"}
    read = _lock(path)
    assert len(read.packages) == len({key if key[0] == "conda" else key[:3] for key in expected})
    pip = {(p.ref.name, str(p.ref.version)) for p in read.packages if p.origin.kind is not OriginKind.CONDA}
    assert pip == expected_pip
    unknown = {p.ref.name for p in read.packages if not p.ref.version_known}
    assert unknown == {name for _, name, version, _ in expected if not _pep440(version)}


def _pep440(version: str) -> bool:
    try:
        Version(version)
    except ValueError:
        return False
    return True


def test_conda_lock_pip_packages_are_pypi_packages_with_every_platforms_hashes() -> None:
    read = _lock(CONDA / "conda-lock" / "test-install-with-pip-deps.conda-lock.yml")
    by_name = {p.ref.name: p for p in read.packages if p.origin.kind is OriginKind.INDEX}
    assert sorted(by_name) == ["certifi", "charset-normalizer", "requests", "urllib3"]
    charset = by_name["charset-normalizer"]
    assert str(charset.ref.version) == "3.3.2"
    assert str(charset.origin.url) == PYPI
    assert charset.origin.hashes == (  # the linux-64 and the linux-aarch64 wheel
        "sha256:8f4a014bc36d3c57402e2977dada34f9c12300af536839dc38c0beab8878f38a",
        "sha256:90d558489962fd4918143277a773316e56c72da56ec7aa3dc3dbbe20fdfed15b",
    )
    assert {d.name for d in by_name["requests"].dependencies or ()} == {
        "certifi",
        "charset-normalizer",
        "idna",
        "urllib3",
    }


def test_conda_lock_conda_package_keeps_its_channel_build_and_hashes() -> None:
    """idna comes from conda-forge here, not PyPI: it is listed as conda's, never audited as PyPI's idna."""
    read = _lock(CONDA / "conda-lock" / "test-install-with-pip-deps.conda-lock.yml")
    idna = [p for p in read.packages if p.ref.name == "idna"]
    assert [p.origin.kind for p in idna] == [OriginKind.CONDA]
    assert str(idna[0].origin.url) == FORGE
    assert idna[0].ref.version.public == "3.4"
    assert idna[0].ref.version.local is not None  # the build: never equal to PyPI's idna 3.4
    assert any(h.startswith("md5:") for h in idna[0].origin.hashes)
    mutex = [p for p in read.packages if p.ref.name == "libgcc-mutex"]
    assert [str(p.ref.version) for p in mutex] == ["0.1+conda.forge"]  # _libgcc_mutex-0.1-conda_forge


def test_conda_lock_group_narrows_to_main_and_that_category() -> None:
    path = CONDA / "conda-lock" / "test-multiple-categories.conda-lock.yml"
    every = {p.ref.name for p in _lock(path).packages}
    dev = {
        p.ref.name for p in _lock(path, InputOptions(target=OPTIONS.target, scope=_scope(("dev",)))).packages
    }
    assert {"pyspark", "pandas", "astropy", "python"} <= every
    assert {"pandas", "astropy", "python"} <= dev
    assert "pyspark" not in dev  # category: test


def _scope(groups: tuple[str, ...] | None) -> Scope:
    return Scope(OPTIONS.target, python_fixed=False, platform_fixed=False, extras=None, groups=groups)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("package: []\n", "conda-lock file version none is not supported (supported: 1, 2)"),
        ("version: 3\npackage: []\n", "conda-lock file version '3' is not supported (supported: 1, 2)"),
        ("version: 1\nmetadata: {}\n", "conda-lock file has no 'package' list"),
        ("version: 1\npackage:\n- name: x\n  version: '1'\n  manager: npm\n", "manager 'npm' is not"),
        (
            "version: 1\npackage:\n- name: x\n  version: '1'\n  manager: conda\n  platform: linux-64\n"
            "  url: https://conda.anaconda.org/c/linux-64/x-1-0.conda\n  hash:\n    sha256: ab\n",
            "package 'x': a conda package needs an md5 hash",
        ),
        ("version: 1\npackage: &a [*a]\n", "YAML anchors and aliases are not supported"),
        ("version: 1\nversion: 2\npackage: []\n", "key 'version' appears twice"),
        ("version: 1\npackage: [\n", "not valid YAML"),
    ],
)
def test_malformed_conda_lock_is_a_located_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "conda-lock.yml"
    path.write_text(text, encoding="utf-8")
    error = _error("conda-lock", path)
    assert message in error.message
    assert error.location is not None
    assert error.location.file == str(path)
    assert error.location.line is not None


def test_conda_lock_pip_url_with_a_bad_host_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "conda-lock.yml"
    path.write_text(
        "version: 1\npackage:\n- name: x\n  version: '1.0'\n  manager: pip\n  platform: linux-64\n"
        "  url: 'http://[::1/x-1.0.whl'\n  hash:\n    sha256: ab\n",
        encoding="utf-8",
    )
    error = _error("conda-lock", path)
    assert error.location == Location(file=str(path), line=3)


# --- environment.yml ------------------------------------------------------------------------------

# conda-lock's files this reader refuses, and why: pip would build these to learn their name, and
# supplychain never runs a build; a ``--hash`` that is not a whole digest.
REFUSED = {
    "test-git__environment.yml": "cannot learn the project name of git+https://github.com/pydantic/pydantic",
    "test-git-tag__environment.yml": "cannot learn the project name of git+https://github.com/pydantic/pydantic@",
    "test-local-pip__environment.yml": "cannot learn the project name of '.'",
    "test-pip-hash-checking__environment.yml": "--hash 'sha256:1234' is not of the form",
}


@pytest.mark.parametrize("path", ENVIRONMENTS, ids=lambda p: p.name)
def test_every_conda_lock_environment_file_reads_or_is_refused_with_its_line(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if path.name in REFUSED:
        error = _error("environment-yml", path)
        assert REFUSED[path.name] in error.message
        assert error.location is not None
        assert error.location.line is not None
        return
    read = _environment(path)
    conda = [d for d in document["dependencies"] if isinstance(d, str)]
    pip_lines = [line for d in document["dependencies"] if isinstance(d, dict) for line in d["pip"]]
    listed = {p.ref.name for p in read.listed}
    assert len(read.requirements) == len(pip_lines)
    assert len(listed) == len(conda)
    assert ("pip" in listed) == ("pip" in conda)
    assert all(p.origin.kind is OriginKind.CONDA for p in read.listed)


def test_environment_channels_decide_the_origin() -> None:
    inversion = _environment(CONDA / "environment" / "test-channel-inversion__environment.yaml")
    origins = {p.ref.name: p.origin.url for p in inversion.listed}
    assert str(origins["libgomp"]) == "https://repo.anaconda.com/pkgs/main"  # defaults::libgomp
    assert origins["zlib"] is None  # two channels: the file does not say which serves it
    cuda = _environment(CONDA / "environment" / "test-cuda__environment.yaml")
    assert {str(p.origin.url) for p in cuda.listed} == {FORGE}  # the one channel


def test_environment_exact_conda_specs_keep_their_version_and_others_are_unknown() -> None:
    read = _environment(CONDA / "environment" / "test-source-paths__environment.yaml")
    versions = {p.ref.name: p.ref.version for p in read.listed}
    assert versions["python"] == Version("3.9.6+conda")  # python ==3.9.6
    assert versions["pydantic"] == Version("1.7+conda")
    assert versions["flask"] == UNKNOWN_VERSION  # flask <2


def test_environment_conda_and_pip_package_of_one_name_are_both_kept() -> None:
    """conda's dask and PyPI's dask are different projects that share a name: both are audited."""
    read = _environment(CONDA / "environment" / "test-pip-conda-name-confusion__environment.yaml")
    assert [str(d.requirement) for d in read.requirements] == ["dask"]
    assert "dask" in {p.ref.name for p in read.listed}


def test_environment_pip_repositories_are_asked_besides_pypi() -> None:
    read = _environment(CONDA / "environment" / "test-pip-repositories__environment.yaml")
    assert [str(url) for url in read.index_urls] == [
        PYPI,
        "http://***@private-pypi.org/api/pypi/simple",
        "http://***@private-pypi-custom-port.org:8080/api/pypi/simple",
    ]


def test_environment_pip_line_is_located_in_the_environment_file() -> None:
    read = _environment(CONDA / "environment" / "test-pip-full-url__environment.yml")
    assert [d.location.line for d in read.requirements] == [8, 9]
    assert [d.version for d in read.requirements] == [Version("2.31.0"), Version("4.8.0")]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("name: x\n", "environment.yml has no 'dependencies' list", 1),
        ("dependencies:\n  - numpy\n  - npm:\n    - left-pad\n", "'npm' entries are not supported", 3),
        ("dependencies:\n  - num$py\n", "invalid conda package name 'num$py'", 2),
        ("dependencies:\n  - pip:\n    - requests ==\n", "invalid requirement", 3),
        ("channels:\n  - 'conda forge'\ndependencies: []\n", "invalid conda channel", 2),
        ("dependencies: numpy\n", "dependencies must be a list, not a string", 1),
    ],
)
def test_malformed_environment_is_a_located_error(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(text, encoding="utf-8")
    error = _error("environment-yml", path)
    assert message in error.message
    assert error.location == Location(file=str(path), line=line)


@pytest.mark.parametrize(
    ("spec", "name", "channel", "exact"),
    [
        ("numpy", "numpy", None, None),
        ("python=3.10", "python", None, None),  # conda reads =3.10 as 3.10.*
        ("python ==3.9.6", "python", None, "3.9.6"),
        ("numpy=1.26.4=py311h64a7726_0", "numpy", None, "1.26.4"),
        ("numpy 1.11.1 py36_0", "numpy", None, "1.11.1"),
        ("python >= 3.8, < 3.9", "python", None, None),
        ("defaults::libgomp", "libgomp", "defaults", None),
        ("conda-forge/linux-64::zlib==1.2.13", "zlib", "conda-forge/linux-64", "1.2.13"),
        ("blas[build=mkl]", "blas", None, None),
        ("numpy[version='==1.2.3']", "numpy", None, "1.2.3"),
        ("gcc_linux-64>=6  # [linux64]", "gcc_linux-64", None, None),
    ],
)
def test_match_spec_parts(spec: str, name: str, channel: str | None, exact: str | None) -> None:
    parsed = parse_match_spec(spec, WHERE)
    assert (parsed.name, parsed.channel, parsed.exact_version) == (name, channel, exact)


def test_conda_version_carries_the_build_and_is_unknown_when_not_pep_440() -> None:
    assert conda_version("1.26.4", "py311h64a7726_0") == Version("1.26.4+py311h64a7726.0")
    assert conda_version("1.0", None) == Version("1.0+conda")
    assert conda_version("1.1.1w", "h0") == UNKNOWN_VERSION  # openssl's letters are not PEP 440
    assert conda_version("1" * 5000, "h0") == UNKNOWN_VERSION


# --- an installed conda environment ---------------------------------------------------------------


def test_conda_environment_reads_conda_records_and_only_what_pip_installed() -> None:
    """conda's test_pip_interop: pip installed exactly {imagesize} here; conda's own pip is conda's."""
    read = reader("conda-meta").read(ENV, OPTIONS)
    pypi = {p.ref.name for p in read.packages if p.origin.kind is not OriginKind.CONDA}
    conda = {p.ref.name for p in read.packages if p.origin.kind is OriginKind.CONDA}
    assert pypi == {"imagesize"}
    assert len(conda) == len(list((ENV / "conda-meta").glob("*.json"))) == 16
    assert "pip" in conda
    python = next(p for p in read.packages if p.ref.name == "python")
    assert python.ref.version == Version("3.13.2+hfd29fff.1.cp313t")
    assert str(python.origin.url) == FORGE
    assert "md5:" in python.origin.hashes[0]


def test_conda_environment_is_detected_by_its_conda_meta_directory() -> None:
    assert detect_kind(ENV) == "conda-meta"
    assert detect_kind(ENV / "conda-meta") == "conda-meta"
    read = load_input(ENV, input_format=None, options=OPTIONS)
    assert read.kind == "conda-meta"


@pytest.mark.parametrize(
    ("environment", "message", "line"),
    [
        ("corrupt-json", "not valid JSON: Expecting property name enclosed in double quotes", 2),
        ("corrupt-unicode", "not UTF-8 text (a corrupt record?)", None),
    ],
)
def test_corrupt_conda_meta_record_is_a_located_error(
    environment: str, message: str, line: int | None
) -> None:
    """conda raises CorruptedEnvironmentError for both records; here: exit 2 naming the record."""
    path = CONDA / "conda-meta" / environment
    error = _error("conda-meta", path)
    assert error.message == message
    assert error.location == Location(
        file=str(path / "conda-meta" / "corrupt-1.2.3-hashhash.json"), line=line
    )


def test_apple_double_record_beside_a_real_one_is_skipped() -> None:
    """conda's test_dot_underscore_conda_meta_json_ignored: ``._valid-1.0-0.json`` is macOS metadata."""
    read = reader("conda-meta").read(CONDA / "conda-meta" / "corrupt-dot_underscore", OPTIONS)
    assert [(p.ref.name, str(p.origin.url)) for p in read.packages] == [
        ("valid", "https://repo.anaconda.com/pkgs/main")
    ]


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source", "kind"),
    [
        ("conda-lock.yml", "conda-lock/zlib.conda-lock.yml", "conda-lock"),
        ("locked.yml", "conda-lock/zlib.conda-lock.yml", "conda-lock"),  # sniffed
        ("environment.yml", "environment/zlib__environment.yml", "environment-yml"),
        ("dev.yml", "environment/test-multiple-categories__dev.yml", "environment-yml"),  # sniffed
    ],
)
def test_conda_files_are_detected_by_name_then_content(
    tmp_path: Path, name: str, source: str, kind: str
) -> None:
    path = tmp_path / name
    path.write_bytes((CONDA / source).read_bytes())
    assert detect_kind(path) == kind


def test_project_directory_with_only_an_environment_file_reads_it(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_bytes((CONDA / "environment" / "zlib__environment.yml").read_bytes())
    read = load_input(tmp_path, input_format=None, options=OPTIONS)
    assert read.kind == "environment-yml"


def test_conda_lock_platform_narrows_to_that_platforms_builds() -> None:
    """``--platform`` keeps the osx-64 build of bzip2; by default all three platforms' builds are audited."""
    path = CONDA / "conda-lock" / "test-pypi-resolve-gh155.conda-lock.yml"
    read = _lock(path)
    every = graph_from_locked(read, _scope(None))
    assert sorted(str(p.ref.version) for p in every.versions(normalize("bzip2"))) == [
        "1.0.8+h0d85af4.4",  # osx-64
        "1.0.8+h7f98852.4",  # linux-64
        "1.0.8+h8ffe710.4",  # win-64
    ]
    mac = Scope(Target.parse("3.12", "x86_64-apple-darwin"), python_fixed=False, extras=None, groups=None)
    narrowed = graph_from_locked(read, mac)
    assert [str(p.ref.version) for p in narrowed.versions(normalize("bzip2"))] == ["1.0.8+h0d85af4.4"]
    assert len(narrowed) < len(every)


# conda-lock's own assertions on these files (tests/test_conda_lock.py: test_parse_environment_file,
# test_parse_environment_file_with_pip, test_parse_env_file_with_filters_no_args): name, manager, version.
PEER_SPECS = {
    "gdal__environment.yml": [("python", "conda", ">=3.8,<3.9"), ("gdal", "conda", ""), ("toolz", "pip", "")],
    "test-pypi-resolve__environment.yml": [("requests-toolbelt", "pip", "==0.9.1")],
    "test-env-filter-platform__environment.yml": [
        ("python", "conda", "<3.11"),
        ("clang_osx-arm64", "conda", ""),
    ],
}


@pytest.mark.parametrize("name", sorted(PEER_SPECS))
def test_environment_specs_read_as_conda_lock_reads_them(name: str) -> None:
    path = CONDA / "environment" / name
    read = _environment(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = [parse_match_spec(entry, WHERE) for entry in document["dependencies"] if isinstance(entry, str)]
    found = {(spec.name, "conda", spec.version or "") for spec in specs}
    found |= {(d.requirement.name, "pip", str(d.requirement.specifier)) for d in read.requirements}
    assert set(PEER_SPECS[name]) <= found
    listed = {p.ref.name for p in read.listed}
    assert {normalize(spec.name) for spec in specs} == listed


def test_no_path_in_an_activated_conda_environment_reads_its_conda_meta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site-packages alone would pass conda's own python packages off as PyPI's."""
    monkeypatch.setattr(sys, "prefix", str(ENV))
    monkeypatch.chdir(tmp_path)
    found = load_input(None, input_format=None, options=OPTIONS)
    assert isinstance(found, LockedSet)
    assert found.kind == "conda-meta"
    assert {p.ref.name for p in found.packages if p.origin.kind is not OriginKind.CONDA} == {"imagesize"}
