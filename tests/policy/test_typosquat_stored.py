"""The typosquat index kept in the data dir (built at ``db update``) is the index an audit would build."""

from __future__ import annotations

import json
import shutil
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
from supplychain.sources.datastore import DataStore

SUBSET = Path(__file__).parents[1] / "fixtures" / "typosquat" / "top-pypi-packages.subset.json"
# Real names and reported imitators: each technique finds something in the subset.
PROBES = ["reqests", "requests-os", "python-dateutil2", "numpyy", "httpx2", "pyyaml", "yaml", "torch"]


def _data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    DataStore(data).import_path(SUBSET)
    return data


def _downloads(data: Path) -> dict[NormalizedName, int]:
    top = DataStore(data).top_packages()
    assert top is not None
    return dict(top.downloads)


def test_stored_index_read_back_equals_the_built_one(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    assert (data / INDEX_FILE).is_file()
    downloads = _downloads(data)
    built = TyposquatIndex(downloads)
    read = stored_index(data, downloads)
    assert read.document() == built.document()
    probes = [NormalizedName(p) for p in PROBES]
    assert [read.matches(p) for p in probes] == [built.matches(p) for p in probes]
    assert any(built.matches(NormalizedName(p)) for p in PROBES)  # the probes exercise the index


def test_data_dir_from_before_the_stored_index_builds_and_keeps_it(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)  # an old data dir: top packages, no stored index
    assert not (data / INDEX_FILE).exists()
    downloads = _downloads(data)
    index = stored_index(data, downloads)
    assert index.document() == TyposquatIndex(downloads).document()
    assert (data / INDEX_FILE).is_file()  # upgraded on first use


def test_index_stored_from_other_top_packages_is_not_used(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    stale = json.loads((data / INDEX_FILE).read_text())
    other = tmp_path / "other"
    shutil.copytree(data, other)
    raw = json.loads(SUBSET.read_text())
    raw["rows"] = [row for row in raw["rows"] if row["project"] != "requests"]
    (tmp_path / "fewer.json").write_text(json.dumps(raw))
    DataStore(other).import_path(tmp_path / "fewer.json")
    (other / INDEX_FILE).write_text(json.dumps(stale))  # what the old dataset gave
    downloads = _downloads(other)
    index = stored_index(other, downloads)
    assert index.document() == TyposquatIndex(downloads).document()
    assert NormalizedName("requests") not in index.targets


def test_corrupt_stored_index_is_rebuilt(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    prepare_index(data)
    stored = json.loads((data / INDEX_FILE).read_text())
    stored["index"]["keys"][next(iter(stored["index"]["keys"]))] = [10**9]  # a number, not a name
    (data / INDEX_FILE).write_text(json.dumps(stored))
    downloads = _downloads(data)
    assert stored_index(data, downloads).document() == TyposquatIndex(downloads).document()


def test_index_for_takes_the_data_dirs_index_by_identity(tmp_path: Path) -> None:
    data = _data_dir(tmp_path)
    top = DataStore(data).top_packages()
    assert top is not None
    from_data_dir(top.downloads, data)
    index = index_for(top.downloads)
    assert (data / INDEX_FILE).is_file()  # built through the data dir, kept there
    assert index_for(top.downloads) is index
