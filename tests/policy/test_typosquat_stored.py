"""The typosquat index kept in the data dir (built at ``db update``) is the index an audit would build."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from packaging.utils import NormalizedName

from supplychain.policy.typosquat import (
    INDEX_FILE,
    TyposquatIndex,
    from_data_dir,
    index_for,
    prepare_index,
    stored_index,
)
from supplychain.sources.datastore import DataStore, TopPackages

SUBSET = Path(__file__).parents[1] / "fixtures" / "typosquat" / "top-pypi-packages.subset.json"
# Real names and reported imitators: each technique finds something in the subset.
PROBES = ["reqests", "requests-os", "python-dateutil2", "numpyy", "httpx2", "pyyaml", "yaml", "torch"]


def _data_dir(tmp_path: Path, name: str = "data") -> Path:
    data = tmp_path / name
    DataStore(data).import_path(SUBSET)
    return data


def _top(data: Path) -> TopPackages:
    top = DataStore(data).top_packages()
    assert top is not None
    assert top.digest is not None
    return top


def test_stored_index_read_back_equals_the_built_one(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    assert (data / INDEX_FILE).is_file()
    top = _top(data)
    built = TyposquatIndex(top.downloads)
    read = stored_index(data, top)
    assert read.document() == built.document()
    probes = [NormalizedName(p) for p in PROBES]
    assert [read.matches(p) for p in probes] == [built.matches(p) for p in probes]
    assert any(built.matches(p) for p in probes)  # the probes exercise the index


def test_data_dir_from_before_the_stored_index_builds_and_keeps_it(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)  # an old data dir: top packages, no stored index
    assert not (data / INDEX_FILE).exists()
    top = _top(data)
    assert stored_index(data, top).document() == TyposquatIndex(top.downloads).document()
    assert (data / INDEX_FILE).is_file()  # upgraded on first use


def test_index_stored_from_other_top_packages_is_not_used(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    raw = json.loads(SUBSET.read_text())
    raw["rows"] = [row for row in raw["rows"] if row["project"] != "requests"]
    (tmp_path / "fewer.json").write_text(json.dumps(raw))
    other = tmp_path / "other"
    DataStore(other).import_path(tmp_path / "fewer.json")
    shutil.copy(data / INDEX_FILE, other / INDEX_FILE)  # what the fuller dataset gave
    top = _top(other)
    index = stored_index(other, top)
    assert index.document() == TyposquatIndex(top.downloads).document()
    assert NormalizedName("requests") not in index.targets


def test_dataset_without_a_digest_never_reads_a_stored_index(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    stored = json.loads((data / INDEX_FILE).read_text())
    stored["index"]["targets"] = []  # would answer nothing if it were read
    (data / INDEX_FILE).write_text(json.dumps(stored))
    top = replace(_top(data), digest=None)
    assert stored_index(data, top).targets == TyposquatIndex(top.downloads).targets != []


def test_corrupt_stored_index_is_rebuilt(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    stored = json.loads((data / INDEX_FILE).read_text())
    stored["index"]["keys"][next(iter(stored["index"]["keys"]))] = [10**9]  # a number, not a name
    (data / INDEX_FILE).write_text(json.dumps(stored))
    top = _top(data)
    assert stored_index(data, top).document() == TyposquatIndex(top.downloads).document()


def test_index_for_takes_the_data_dirs_index_by_identity(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    top = _top(data)
    from_data_dir(top, data)
    index = index_for(top.downloads)
    assert (data / INDEX_FILE).is_file()  # built through the data dir, kept there
    assert index_for(top.downloads) is index
