"""Hypothesis fuzzing of every reader of user files: a mutated real file is read or refused, never a crash.

Each case starts from a REAL file already in the fixtures (lock files from public projects, the
shipped policies, recorded OSV records; the allowlist seed is hand-made, as no public one exists),
parses it to a tree, applies drawn structural mutations (a key deleted, a value of another type, a
package duplicated, a version or name turned to garbage), serialises it back and may then break the
text itself (cut short, a NUL, invalid UTF-8). The property: the reader returns a result whose
packages have valid normalised names and ``packaging`` Versions, or raises a user error naming the
file. Any other exception (KeyError, TypeError, RecursionError, ValueError...) fails the test.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from supplychain.allowlist.reader import load_allowlist, load_exemptions
from supplychain.errors import AdvisoryDataError, InputError, UsageError
from supplychain.inputs import InputOptions, reader
from supplychain.model import LockedSet, RequirementSet
from supplychain.policy import RULES
from supplychain.policy.loader import load_policy
from supplychain.sources.osv_records import load_record
from supplychain.target import Target

ROOT = Path(__file__).parents[2]
LOCKS = ROOT / "tests" / "fixtures" / "inputs" / "locks"
CONDA = ROOT / "tests" / "fixtures" / "inputs" / "conda"
OSV = ROOT / "tests" / "fixtures" / "osv" / "records"
OPTIONS = InputOptions(target=Target.parse(None, None))
TODAY = dt.date(2026, 11, 26)
KEEP_PACKAGES = 6  # real locks trimmed to their first packages: parsing 700 kB 150 times is too slow
_VALID_NAME = re.compile(r"^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$")

# Health checks suppressed, and why: function_scoped_fixture - the autouse fixtures of conftest
# (loopback guard, isolated cache/data dirs) are not reset between examples, which is harmless
# here: each example writes to its own fresh temporary directory. too_slow - some drawn values are
# deliberately huge (a 200,000-character string, 150-deep nesting) and slow to generate on purpose.
FUZZ = settings(
    max_examples=int(os.environ.get("SUPPLYCHAIN_FUZZ_EXAMPLES", "150")),  # raise it for a longer hunt
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- seeds: real files parsed to trees ------------------------------------------------------------


def _trimmed(data: dict[str, Any], key: str, keep: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first packages plus any the predicate keeps (e.g. a workspace member): real, but small."""
    entries = data[key]
    kept = [entry for index, entry in enumerate(entries) if index < KEEP_PACKAGES or keep(entry)]
    return {**data, key: kept}


@functools.cache
def _uv_seed() -> dict[str, Any]:
    data = tomllib.loads((LOCKS / "nnsight" / "uv.lock").read_text(encoding="utf-8"))
    return _trimmed(data, "package", lambda entry: "editable" in entry.get("source", {}))


@functools.cache
def _pylock_seed() -> dict[str, Any]:
    data = tomllib.loads((LOCKS / "pylock.nnsight.toml").read_text(encoding="utf-8"))
    return _trimmed(data, "packages", lambda entry: False)


@functools.cache
def _poetry_seed() -> dict[str, Any]:
    data = tomllib.loads((LOCKS / "transformer-lens" / "poetry.lock").read_text(encoding="utf-8"))
    return _trimmed(data, "package", lambda entry: False)


@functools.cache
def _pdm_seed() -> dict[str, Any]:
    return tomllib.loads((LOCKS / "shrugbot" / "pdm.lock").read_text(encoding="utf-8"))


@functools.cache
def _pylock_direct_seed() -> dict[str, Any]:
    """uv's export of a workspace: versionless ``directory`` packages beside index ones."""
    data = tomllib.loads((LOCKS / "handmade" / "uv-workspace" / "pylock.toml").read_text(encoding="utf-8"))
    return _trimmed(data, "packages", lambda entry: "directory" in entry)


@functools.cache
def _pipfile_seed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LOCKS / "sam-starter-py" / "Pipfile.lock").read_text(encoding="utf-8"))
    return data


@functools.cache
def _pipfile_direct_seed() -> dict[str, Any]:
    """The real lock plus the entries pipenv writes without a version (git, path, file) and a ``===`` pin."""
    data = copy.deepcopy(_pipfile_seed())
    data["default"].update(
        {
            "requests": {"editable": True, "git": "https://github.com/psf/requests.git", "ref": "0a8f2ba0"},
            "mylib": {"editable": True, "path": "./mylib"},
            "six": {"file": "https://files.pythonhosted.org/packages/b7/ce/six-1.17.0-py2.py3-none-any.whl"},
            "exact": {"hashes": [], "version": "===1.2.3", "markers": "python_version >= '3.8'"},
        }
    )
    return data


@functools.cache
def _conda_lock_seed() -> dict[str, Any]:
    """conda-lock's own lock: conda and pip packages on two platforms."""
    text = (CONDA / "conda-lock" / "test-install-with-pip-deps.conda-lock.yml").read_text(encoding="utf-8")
    return _trimmed(yaml.safe_load(text), "package", lambda entry: entry.get("manager") == "pip")


PEERS = ROOT / "tests" / "fixtures" / "peers"


@functools.cache
def _pylock_hashless_seed() -> dict[str, Any]:
    """uv's own export: PyTorch-mirror wheels with ``hashes = {}`` beside hashed index packages."""
    path = PEERS / "uv" / "export" / "pylock_workspace_member_conflict_markers.1.pylock.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _uv_dynamic_path_seed() -> dict[str, Any]:
    """uv's own lock: a path dependency without a version (dynamic) beside a registry package."""
    path = PEERS / "uv" / "lock" / "lock_dynamic_version_path_dependency.1.uv.lock"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _pipfile_indexed_seed() -> dict[str, Any]:
    """osv-scalibr's Pipfile.lock: ``index`` keys, both sections, one name at two versions."""
    path = PEERS / "osv-scalibr" / "pipfilelock" / "testdata" / "multiple-packages.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# seed id: (reader id, file name, format, seed)
LOCK_SEEDS: dict[str, tuple[str, str, str, Callable[[], dict[str, Any]]]] = {
    "uv-lock": ("uv-lock", "uv.lock", "toml", _uv_seed),
    "pylock": ("pylock", "pylock.toml", "toml", _pylock_seed),
    "pylock-direct": ("pylock", "pylock.toml", "toml", _pylock_direct_seed),
    "poetry-lock": ("poetry-lock", "poetry.lock", "toml", _poetry_seed),
    "pdm-lock": ("pdm-lock", "pdm.lock", "toml", _pdm_seed),
    "pipfile-lock": ("pipfile-lock", "Pipfile.lock", "json", _pipfile_seed),
    "pipfile-direct": ("pipfile-lock", "Pipfile.lock", "json", _pipfile_direct_seed),
    "conda-lock": ("conda-lock", "conda-lock.yml", "yaml", _conda_lock_seed),
    "pylock-hashless": ("pylock", "pylock.toml", "toml", _pylock_hashless_seed),
    "uv-dynamic-path": ("uv-lock", "uv.lock", "toml", _uv_dynamic_path_seed),
    "pipfile-indexed": ("pipfile-lock", "Pipfile.lock", "json", _pipfile_indexed_seed),
}

ALLOWLIST_SEED = """\
# hand-made allowlist in the documented format (no public allowlists of this tool exist)
version = 1

[[approve]]
name = "Six"
versions = ["1.17.0"]
hashes = ["sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"]
reviewer = "alice"
reason = "reviewed the single-file module"
expires = 2027-06-01
approved = 2026-06-01
waive = ["indie-maintained"]

[[trust]]
organization = "attrs"
packages = ["attrs"]
reviewer = "bob"
reason = "the attrs organisation"
expires = 2027-03-01

[[baseline]]
name = "requests"
versions = ["2.25.1"]
hashes = []
recorded = 2025-11-01
expires = 2026-11-01
reason = "baseline at adoption"
"""

EXEMPTIONS_SEED = """\
# hand-made exemptions in the documented format
version = 1

[[exempt]]
name = "requests"
versions = ["2.32.3"]
rule = "young-project"
reason = "internal fork"
expires = 2027-01-01

[[exempt]]
name = "idna"
advisory = "GHSA-jjg7-2v4v-x38h"
reason = "not reachable"
expires = 2027-01-01
"""


# --- mutations ------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _paths(tree: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key/index path in the tree, the root excluded."""
    found: list[Path_] = []
    items: list[tuple[str | int, Any]] = (
        list(tree.items())
        if isinstance(tree, dict)
        else list(enumerate(tree))
        if isinstance(tree, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(tree: Any, path: Path_) -> Any:
    for key in path[:-1]:
        tree = tree[key]
    return tree


def _nested(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def _values(*, toml: bool) -> st.SearchStrategy[Any]:
    """A value of any type the format can carry, including the absurd (huge, deep, non-finite)."""
    scalars: list[st.SearchStrategy[Any]] = [
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(max_size=12),
        st.booleans(),
        st.floats(),  # nan and inf included
        st.just("x" * 200_000),
        st.sampled_from(["", " ", "\x00", "../../etc/passwd", "1.0", "===", "🐍", "a b"]),
        st.sampled_from(sorted(RAW)),  # replaced by raw text after serialisation
    ]
    if toml:
        scalars.append(st.dates())
        scalars.append(st.datetimes())
    else:
        scalars.append(st.none())
    scalar = st.one_of(*scalars)
    return st.one_of(
        scalar,
        st.lists(scalar, max_size=3),
        st.dictionaries(st.text(max_size=6), scalar, max_size=3),
        st.builds(_nested, st.integers(min_value=1, max_value=150), st.sampled_from(["list", "dict"])),
    )


# Values no serialiser writes, spliced into the text in place of their quoted sentinel: an integer
# past Python's 4,300-digit conversion limit and arrays nested deeper than any recursive parser goes.
RAW: dict[str, str] = {
    "@@BIGINT@@": "1" * 5000,
    "@@DEEP@@": "[" * 5000 + "]" * 5000,
    "@@DEEPTABLE@@": "{a = " * 3000 + "1" + "}" * 3000,  # TOML inline tables; JSON sees bad text
}


def _splice(body: str) -> str:
    for sentinel, raw in RAW.items():
        body = body.replace(f'"{sentinel}"', raw)
    return body


GARBAGE_VERSIONS = st.one_of(
    st.sampled_from(["", "latest", "1.0.0.dev0+", "v", "1..2", "==1.0", "*", "1.0-beta.2+x.y", "🐍"]),
    st.text(max_size=20),
)
GARBAGE_NAMES = st.one_of(
    st.sampled_from(["", " ", "-", "a b", "../x", "x/y", "-lead", "trail-", "é", "a\nb", "..", "_"]),
    st.text(max_size=12),
)


def _mutate(data: st.DataObject, tree: Any, *, toml: bool) -> bool:
    """Apply 1-4 drawn mutations to ``tree`` in place; True when every key is still there.

    A deleted key leaves nothing to point at: the error names the file, perhaps without a line.
    """
    ops = data.draw(
        st.lists(st.sampled_from(["delete", "retype", "dup", "version", "name"]), min_size=1, max_size=4)
    )
    for op in ops:
        paths = _paths(tree)
        if op == "version":
            paths = [p for p in paths if p[-1] == "version"] or paths
        elif op == "name":
            paths = [p for p in paths if p[-1] == "name"] or paths
        elif op == "dup":
            paths = [p for p in paths if isinstance(p[-1], int)] or paths
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent, key = _parent(tree, path), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "dup" and isinstance(parent, list) and isinstance(key, int):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif op == "version":
            parent[key] = data.draw(GARBAGE_VERSIONS)
        elif op == "name":
            parent[key] = data.draw(GARBAGE_NAMES)
        else:
            parent[key] = data.draw(_values(toml=toml))
    return "delete" not in ops


def _serialise(data: st.DataObject, tree: Any, fmt: str) -> tuple[bytes, bool]:
    """The tree as TOML, JSON or YAML, then perhaps broken as text: cut short, a NUL, bad UTF-8.

    The flag says the text is whole: a cut can silently drop keys, like a deletion.
    """
    if fmt == "toml":
        body = _splice(tomli_w.dumps(tree)).encode()
    elif fmt == "json":
        body = _splice(json.dumps(tree)).encode()
    else:
        body = _splice(yaml.safe_dump(tree, default_style='"')).encode()
    damage = data.draw(st.sampled_from(["none", "none", "truncate", "nul", "utf8"]))
    if damage == "none" or not body:
        return body, True
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    if damage == "truncate":
        return body[:cut], False
    return body[:cut] + (b"\x00" if damage == "nul" else b"\xff\xfe\xc3") + body[cut:], False


def _toml_parses(body: bytes) -> bool:
    try:
        tomllib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True


def _fails_as_user_error(error: Exception, file: Path, *, need_line: bool = False) -> None:
    """A refusal must be a user error naming the file; anything else re-raises and fails the test.

    ``need_line``: the text was TOML that parsed, so the problem is in a value and has a line.
    """
    if isinstance(error, AdvisoryDataError):
        assert str(file) in error.diagnostics(), error.diagnostics()
        return
    if not isinstance(error, InputError | UsageError):
        raise error
    assert error.location is not None, error.diagnostics()
    assert error.location.file == str(file), error.diagnostics()
    if need_line:
        assert error.location.line is not None, error.diagnostics()


def _check_packages(result: LockedSet | RequirementSet) -> None:
    assert isinstance(result, LockedSet)
    for package in result.packages:
        assert _VALID_NAME.match(package.ref.name), package.ref
        assert canonicalize_name(package.ref.name) == package.ref.name
        assert isinstance(package.ref.version, Version)


# --- the properties -------------------------------------------------------------------------------


def _fuzz_lock(seed_id: str, data: st.DataObject) -> None:
    input_id, name, fmt, seed = LOCK_SEEDS[seed_id]
    _read_mutated(data, input_id, name, fmt, copy.deepcopy(seed()))  # seeds are parsed once and cached


def _read_mutated(data: st.DataObject, input_id: str, name: str, fmt: str, tree: dict[str, Any]) -> None:
    """Mutate ``tree``, write it as ``name`` and read it: packages that check out, or a user error."""
    complete = _mutate(data, tree, toml=fmt == "toml")
    body, whole = _serialise(data, tree, fmt)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(body)
        try:
            result = reader(input_id).read(path, OPTIONS)
        except Exception as error:
            _fails_as_user_error(
                error, path, need_line=whole and complete and fmt == "toml" and _toml_parses(body)
            )
            return
        _check_packages(result)


@FUZZ
@given(data=st.data())
def test_fuzzed_uv_lock(data: st.DataObject) -> None:
    _fuzz_lock("uv-lock", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_pylock(data: st.DataObject) -> None:
    _fuzz_lock("pylock", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_pylock_with_direct_packages(data: st.DataObject) -> None:
    _fuzz_lock("pylock-direct", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_poetry_lock(data: st.DataObject) -> None:
    _fuzz_lock("poetry-lock", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_pdm_lock(data: st.DataObject) -> None:
    _fuzz_lock("pdm-lock", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_pipfile_lock(data: st.DataObject) -> None:
    _fuzz_lock("pipfile-lock", data)


@FUZZ
@given(data=st.data())
def test_fuzzed_pipfile_lock_with_direct_entries(data: st.DataObject) -> None:
    _fuzz_lock("pipfile-direct", data)


@FUZZ
@given(data=st.data(), seed_id=st.sampled_from(["pylock-hashless", "uv-dynamic-path", "pipfile-indexed"]))
def test_fuzzed_peer_locks(data: st.DataObject, seed_id: str) -> None:
    """Seeds from the peers' own fixtures that once crashed or dropped packages (tests/fixtures/peers)."""
    _fuzz_lock(seed_id, data)


_FILE_NAMES = {
    "uv-lock": ("uv.lock", "toml"),
    "pylock": ("pylock.toml", "toml"),
    "poetry-lock": ("poetry.lock", "toml"),
    "pdm-lock": ("pdm.lock", "toml"),
    "pipfile-lock": ("Pipfile.lock", "json"),
}
PEER_SEEDS = sorted(
    entry["path"]
    for entry in tomllib.loads((PEERS / "PROVENANCE.toml").read_text(encoding="utf-8"))["file"]
    if entry["expect"] == "accept"
    and entry["format"] in _FILE_NAMES
    and (PEERS / entry["path"]).stat().st_size < 12_000  # small: each example parses it afresh
)
_PEER_FORMAT = {
    entry["path"]: entry["format"]
    for entry in tomllib.loads((PEERS / "PROVENANCE.toml").read_text(encoding="utf-8"))["file"]
}


@FUZZ
@given(data=st.data(), seed=st.sampled_from(PEER_SEEDS))
def test_fuzzed_peer_corpus(data: st.DataObject, seed: str) -> None:
    """A small lock of the peers' corpus its own tool accepts, mutated: read or refused, never a crash."""
    input_id = _PEER_FORMAT[seed]
    name, fmt = _FILE_NAMES[input_id]
    text = (PEERS / seed).read_text(encoding="utf-8")
    tree = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    _read_mutated(data, input_id, name, fmt, tree)


def test_every_seed_reads_cleanly() -> None:
    """The unmutated seeds are valid: a fuzz failure is the mutation's doing, not the seed's."""
    for seed_id, (input_id, name, fmt, seed) in LOCK_SEEDS.items():
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / name
            tree = copy.deepcopy(seed())
            dump = {"toml": tomli_w.dumps, "json": json.dumps, "yaml": yaml.safe_dump}[fmt]
            path.write_text(dump(tree), encoding="utf-8")
            result = reader(input_id).read(path, OPTIONS)
            assert isinstance(result, LockedSet), seed_id
            assert result.packages, seed_id
    with tempfile.TemporaryDirectory() as directory:
        policy = Path(directory) / "policy.toml"
        policy.write_text(tomli_w.dumps(_policy_seed()), encoding="utf-8")
        assert load_policy(str(policy)).name == str(policy)
        allow = Path(directory) / "allowlist.toml"
        allow.write_text(ALLOWLIST_SEED, encoding="utf-8")
        assert load_allowlist(allow, TODAY).approvals
        exempt = Path(directory) / "exemptions.toml"
        exempt.write_text(EXEMPTIONS_SEED, encoding="utf-8")
        assert len(load_exemptions(exempt, TODAY, frozenset(RULES)).entries) == 2
    for record in OSV_SEEDS:
        assert load_record(record.read_bytes(), str(record)).id


@FUZZ
@given(data=st.data())
def test_fuzzed_conda_lock(data: st.DataObject) -> None:
    _fuzz_lock("conda-lock", data)


ENVIRONMENT_SEEDS = (
    CONDA / "environment" / "test-pip-repositories__environment.yaml",  # channels, pip-repositories
    CONDA / "environment" / "test-channel-inversion__environment.yaml",  # defaults::libgomp
    CONDA / "environment" / "test-pip-full-url__environment.yml",  # pip: name @ URL
)


@FUZZ
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(ENVIRONMENT_SEEDS) - 1))
def test_fuzzed_environment_yml(data: st.DataObject, index: int) -> None:
    """conda-lock's own environment files: conda specs, channels and a ``pip:`` list, mutated."""
    tree = yaml.safe_load(ENVIRONMENT_SEEDS[index].read_text(encoding="utf-8"))
    _mutate(data, tree, toml=False)
    body, _ = _serialise(data, tree, "yaml")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "environment.yml"
        path.write_bytes(body)
        try:
            result = reader("environment-yml").read(path, OPTIONS)
        except Exception as error:
            _fails_as_user_error(error, path)
            return
        assert isinstance(result, RequirementSet)
        for package in result.listed:
            assert _VALID_NAME.match(package.ref.name), package.ref
            assert isinstance(package.ref.version, Version)


CONDA_META_SEEDS = sorted((CONDA / "conda-meta" / "envpy313tosx_whl" / "conda-meta").glob("*.json"))[:6]


@FUZZ
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(CONDA_META_SEEDS) - 1))
def test_fuzzed_conda_meta_record(data: st.DataObject, index: int) -> None:
    """A real ``conda-meta`` record of an installed conda environment, mutated, beside a valid one."""
    tree = json.loads(CONDA_META_SEEDS[index].read_text(encoding="utf-8"))
    _mutate(data, tree, toml=False)
    body, _ = _serialise(data, tree, "json")
    with tempfile.TemporaryDirectory() as directory:
        meta = Path(directory) / "conda-meta"
        meta.mkdir()
        record = meta / CONDA_META_SEEDS[index].name
        record.write_bytes(body)
        shutil.copy(CONDA_META_SEEDS[index - 1], meta)
        try:
            result = reader("conda-meta").read(Path(directory), OPTIONS)
        except Exception as error:
            _fails_as_user_error(error, record)
            return
        _check_packages(result)


@functools.cache
def _policy_seed() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "policies" / "sl3.toml").read_text(encoding="utf-8"))
    return {"extends": "sl3", **data}


@FUZZ
@given(data=st.data())
def test_fuzzed_policy(data: st.DataObject) -> None:
    tree = copy.deepcopy(_policy_seed())
    complete = _mutate(data, tree, toml=True)
    body, whole = _serialise(data, tree, "toml")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "policy.toml"
        path.write_bytes(body)
        try:
            load_policy(str(path))
        except Exception as error:
            _fails_as_user_error(error, path, need_line=whole and complete and _toml_parses(body))


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["allowlist", "exemptions"]))
def test_fuzzed_allowlist_and_exemptions(data: st.DataObject, kind: str) -> None:
    tree = tomllib.loads(ALLOWLIST_SEED if kind == "allowlist" else EXEMPTIONS_SEED)
    complete = _mutate(data, tree, toml=True)
    body, whole = _serialise(data, tree, "toml")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{kind}.toml"
        path.write_bytes(body)
        try:
            if kind == "allowlist":
                load_allowlist(path, TODAY)
            else:
                load_exemptions(path, TODAY, frozenset(RULES))
        except Exception as error:
            _fails_as_user_error(error, path, need_line=whole and complete and _toml_parses(body))


OSV_SEEDS = sorted(
    [*(OSV / "malicious").glob("*.json"), *(OSV / "pypa").glob("*/*.yaml")], key=lambda p: p.name
)[:12]


@FUZZ
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(OSV_SEEDS) - 1))
def test_fuzzed_osv_record(data: st.DataObject, index: int) -> None:
    seed = OSV_SEEDS[index]
    fmt = "json" if seed.suffix == ".json" else "yaml"
    raw = seed.read_bytes()
    tree = json.loads(raw) if fmt == "json" else yaml.safe_load(raw)
    _mutate(data, tree, toml=False)
    body, _ = _serialise(data, tree, fmt)
    origin = f"/fuzz/{seed.name}"
    try:
        load_record(body, origin)
    except Exception as error:
        _fails_as_user_error(error, Path(origin))


PYPROJECT_SEEDS = (
    LOCKS / "nnsight" / "pyproject.toml",
    LOCKS / "nnsight-project" / "pyproject.toml",
    LOCKS / "transformer-lens" / "pyproject.toml",  # Poetry's [tool.poetry] tables
    *sorted((ROOT / "tests" / "fixtures" / "inputs" / "text" / "real").glob("*/pyproject.toml")),
)


@FUZZ
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(PYPROJECT_SEEDS) - 1))
def test_fuzzed_pyproject(data: st.DataObject, index: int) -> None:
    """Declared requirements (PEP 621, optional groups, ``[tool.uv]``) from two real pyproject files."""
    tree = tomllib.loads(PYPROJECT_SEEDS[index].read_text(encoding="utf-8"))
    complete = _mutate(data, tree, toml=True)
    body, whole = _serialise(data, tree, "toml")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "pyproject.toml"
        path.write_bytes(body)
        for sibling in PYPROJECT_SEEDS[index].parent.glob("*.txt"):  # dynamic dependencies' files
            (Path(directory) / sibling.name).write_bytes(sibling.read_bytes())
        try:
            result = reader("pyproject").read(path, OPTIONS)
        except Exception as error:
            _fails_as_user_error(error, path, need_line=whole and complete and _toml_parses(body))
            return
    assert isinstance(result, RequirementSet)
    for declared in (*result.requirements, *result.constraints):
        assert _VALID_NAME.match(declared.name), declared


SITE_PACKAGES = LOCKS / "site-packages"


@FUZZ
@given(data=st.data())
def test_fuzzed_installed_metadata(data: st.DataObject) -> None:
    """A real site-packages copy whose one METADATA has lines dropped, values garbled, bytes injected."""
    infos = sorted(SITE_PACKAGES.glob("*.dist-info"))
    victim = data.draw(st.sampled_from(infos))
    lines = (victim / "METADATA").read_bytes().split(b"\n")[:60]  # headers are at the top
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        number = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        header = lines[number].split(b":", 1)[0]
        lines[number] = data.draw(
            st.sampled_from([b"", header + b": ", header + b": \xff\xfe", header + b": -", b"\x00" * 3])
            | st.text(max_size=30).map(lambda value, h=header: h + b": " + value.encode())
        )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "site-packages"
        root.mkdir()
        for info in infos:
            target = root / info.name
            target.mkdir()
            body = b"\n".join(lines) if info == victim else (info / "METADATA").read_bytes()
            (target / "METADATA").write_bytes(body)
        try:
            result = reader("installed").read(root, OPTIONS)
        except Exception as error:
            _fails_inside(error, root)
            return
    _check_packages(result)


EGG_INFO = LOCKS / "egg-info-site-packages"


@FUZZ
@given(data=st.data())
def test_fuzzed_legacy_egg_info(data: st.DataObject) -> None:
    """Real Debian egg-info records whose one PKG-INFO or requires.txt has lines dropped or garbled."""
    files = sorted(
        path
        for path in EGG_INFO.rglob("*")
        if path.is_file() and (path.name in {"PKG-INFO", "requires.txt"} or path.suffix == ".egg-info")
    )
    victim = data.draw(st.sampled_from(files))
    lines = victim.read_bytes().split(b"\n")[:60]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        number = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        head = lines[number].split(b":", 1)[0]
        lines[number] = data.draw(
            st.sampled_from(
                [b"", head + b": ", head + b": \xff\xfe", b"[", b"[x:python_version ~= 'a'", b"\x00"]
            )
            | st.text(max_size=30).map(lambda value, h=head: h + b": " + value.encode())
            | st.text(max_size=30).map(str.encode)
        )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "site-packages"
        shutil.copytree(EGG_INFO, root)
        (root / victim.relative_to(EGG_INFO)).write_bytes(b"\n".join(lines))
        try:
            result = reader("installed").read(root, OPTIONS)
        except Exception as error:
            _fails_inside(error, root)
            return
    _check_packages(result)


def _fails_inside(error: Exception, root: Path) -> None:
    """A user error naming a file under ``root`` (the METADATA at fault); anything else re-raises."""
    if not isinstance(error, InputError | UsageError) or error.location is None:
        raise error
    assert error.location.file.startswith(str(root)), error.diagnostics()
