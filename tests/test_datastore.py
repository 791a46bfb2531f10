"""Archive safety, the on-disk data store (import, index, status, atomic manifest) and the db command."""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from supplychain.cli import main
from supplychain.errors import AdvisoryDataError, InputError
from supplychain.sources import datastore
from supplychain.sources.archives import ArchiveLimits, iter_members
from supplychain.sources.datastore import DataStore
from supplychain.sources.osv_records import OsvRecord
from tests.support.server import ReplayServer, Reply

OSV = Path(__file__).parent / "fixtures" / "osv"
PYYAML = (OSV / "records" / "pypa" / "pyyaml" / "PYSEC-2021-142.yaml").read_bytes()
MAL = (OSV / "records" / "malicious" / "MAL-2024-11632.json").read_bytes()


def make_zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return path


def make_tar(path: Path, members: dict[str, bytes], *, links: bool = False) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if links:
            for kind, name in ((tarfile.SYMTYPE, "sym.yaml"), (tarfile.LNKTYPE, "hard.yaml")):
                info = tarfile.TarInfo(name)
                info.type, info.linkname = kind, "/etc/passwd"
                archive.addfile(info)
    return path


@pytest.mark.parametrize("name", ["../evil.yaml", "/abs/evil.yaml", "a/../../evil.yaml", "C:/evil.yaml"])
@pytest.mark.parametrize("maker", [make_zip, make_tar])
def test_traversal_names_are_refused(tmp_path: Path, name: str, maker: object) -> None:
    path = maker(tmp_path / "a.archive", {"ok.yaml": PYYAML, name: PYYAML})  # type: ignore[operator]
    with pytest.raises(AdvisoryDataError, match="path traversal") as caught:
        list(iter_members(path))
    assert str(path) in caught.value.message


def test_links_are_skipped(tmp_path: Path) -> None:
    tar = make_tar(tmp_path / "a.tgz", {"ok.yaml": PYYAML}, links=True)
    assert [m.name for m in iter_members(tar)] == ["ok.yaml"]
    zipped = make_zip(tmp_path / "a.zip", {"ok.yaml": PYYAML}, symlink="link.yaml")
    assert [m.name for m in iter_members(zipped)] == ["ok.yaml"]
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "ok.yaml").write_bytes(PYYAML)
    (tmp_path / "dir" / "link.yaml").symlink_to("/etc/passwd")
    assert [m.name for m in iter_members(tmp_path / "dir")] == ["ok.yaml"]


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"a.json": b"0" * (20 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000  # small file, huge ratio
    with pytest.raises(AdvisoryDataError, match="larger than") as caught:
        list(iter_members(bomb))
    assert str(bomb) in caught.value.message


def test_total_size_and_member_count_bounds(tmp_path: Path) -> None:
    many = make_tar(tmp_path / "many.tgz", {f"r{i}.json": b"{}" for i in range(50)})
    with pytest.raises(AdvisoryDataError, match="more than 10 members"):
        list(iter_members(many, limits=ArchiveLimits(max_members=10)))
    with pytest.raises(AdvisoryDataError, match="uncompressed size"):
        list(iter_members(many, limits=ArchiveLimits(max_total_bytes=50)))


def test_garbage_archive_is_an_advisory_data_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.tar.gz"
    path.write_bytes(b"not an archive at all")
    with pytest.raises(AdvisoryDataError, match="unreadable archive"):
        list(iter_members(path))


def test_import_detects_kind_and_indexes_by_name(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    archive = make_zip(tmp_path / "all.zip", {"PYSEC-2021-142.yaml": PYYAML, "MAL-2024-11632.json": MAL})
    assert store.import_path(archive, now=datetime(2026, 11, 1, tzinfo=UTC)) == ["advisories", "malicious"]
    found = store.records_for(["PyYAML", "midi_melady_extraction", "absent"])
    records: dict[str, list[OsvRecord]] = {str(name): value for name, value in found.items()}
    assert [r.id for r in records["pyyaml"]] == ["PYSEC-2021-142"]
    assert [r.id for r in records["midi-melady-extraction"]] == ["MAL-2024-11632"]
    assert records["absent"] == []
    status = {s.name: s for s in store.status()}
    assert status["advisories"].records == 1
    assert status["malicious"].as_of == datetime(2024, 12, 9, 6, 50, 35, tzinfo=UTC)
    assert not list((tmp_path / "data").glob(".*"))  # no temp files left behind


def _make_legacy(root: Path) -> None:
    """Turn a data dir into the form written before the SQLite index: a JSON name index per dataset."""
    import sqlite3

    manifest = json.loads((root / "manifest.json").read_text())
    for name, entry in manifest["datasets"].items():
        if "index" not in entry:
            continue
        with sqlite3.connect(root / entry["index"]) as db:
            rows = db.execute("SELECT name, start, size FROM spans ORDER BY name, start").fetchall()
        (root / entry["index"]).unlink()
        legacy: dict[str, list[list[int]]] = {}
        for key, start, size in rows:
            legacy.setdefault(key, []).append([start, size])
        entry["index"] = f"{name}.index.json"
        (root / entry["index"]).write_text(json.dumps(legacy))
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_a_data_dir_with_the_old_json_index_is_read_then_upgraded(tmp_path: Path) -> None:
    root = tmp_path / "data"
    archive = make_zip(tmp_path / "all.zip", {"PYSEC-2021-142.yaml": PYYAML, "MAL-2024-11632.json": MAL})
    DataStore(root).import_path(archive, now=datetime(2026, 11, 1, tzinfo=UTC))
    _make_legacy(root)
    first = DataStore(root).records_for(["pyyaml", "midi-melady-extraction"])
    assert [r.id for r in first[canonicalize_name("pyyaml")]] == ["PYSEC-2021-142"]
    assert not list(root.glob("*.index.json"))
    indexes = {e["index"] for e in json.loads((root / "manifest.json").read_text())["datasets"].values()}
    assert indexes == {"advisories.index.sqlite", "malicious.index.sqlite"}
    again = DataStore(root).records_for(["pyyaml", "midi-melady-extraction"])
    assert again == first


def test_an_import_over_an_old_data_dir_replaces_its_json_index(tmp_path: Path) -> None:
    root = tmp_path / "data"
    pyyaml = OSV / "records" / "pypa" / "pyyaml"
    DataStore(root).import_path(pyyaml, now=datetime(2026, 1, 1, tzinfo=UTC))
    _make_legacy(root)
    DataStore(root).import_path(pyyaml, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert not list(root.glob("*.index.json"))
    assert DataStore(root).records_for(["pyyaml"])[canonicalize_name("pyyaml")]


def test_a_read_only_data_dir_with_the_old_index_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data"
    DataStore(root).import_path(OSV / "records" / "pypa" / "pyyaml", now=datetime(2026, 1, 1, tzinfo=UTC))
    _make_legacy(root)

    def read_only(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(datastore, "_write_atomic", read_only)  # root ignores chmod: fail the write itself
    found = DataStore(root).records_for(["pyyaml"])
    assert found[canonicalize_name("pyyaml")]
    assert list(root.glob("*.index.json"))  # not upgraded, still used


def test_a_corrupt_sqlite_index_is_an_advisory_data_error_naming_db_update(tmp_path: Path) -> None:
    root = tmp_path / "data"
    DataStore(root).import_path(OSV / "records" / "pypa" / "pyyaml", now=datetime(2026, 1, 1, tzinfo=UTC))
    (root / "advisories.index.sqlite").write_bytes(b"not a database" * 20)
    with pytest.raises(AdvisoryDataError, match=r"advisories.index.sqlite: unreadable index .*db update"):
        DataStore(root).records_for(["pyyaml"])


def test_imported_data_is_private(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    store.import_path(OSV / "records" / "pypa" / "pyyaml", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    files = list((tmp_path / "data").iterdir())
    assert files
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}


def test_future_modified_times_do_not_set_the_as_of_date(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    store.import_path(OSV / "records" / "pypa" / "pyyaml", now=datetime(2026, 1, 1, tzinfo=UTC))
    as_of = store.advisories_as_of()
    assert as_of is not None
    assert as_of <= datetime(2026, 1, 1, tzinfo=UTC)


def test_malformed_record_in_user_db_names_the_member(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "db.zip", {"ok.yaml": PYYAML, "x/bad.yaml": b"id: X\naffected: [\n"})
    with pytest.raises(AdvisoryDataError, match=r"db.zip!x/bad.yaml:3"):
        DataStore(tmp_path / "data").import_path(archive)
    assert DataStore(tmp_path / "data").status() == []  # nothing half-written


def test_top_packages_import(tmp_path: Path) -> None:
    source = tmp_path / "top.json"
    rows = [{"project": "Foo_Bar", "download_count": 10}, {"project": "boto3", "download_count": 99}]
    source.write_text(
        json.dumps({"last_update": "2026-04-01 06:34:06", "source": "ClickHouse", "rows": rows})
    )
    store = DataStore(tmp_path / "data")
    assert store.import_path(source) == ["top-packages"]
    top = store.top_packages()
    assert top is not None
    assert top.ranks == {"boto3": 1, "foo-bar": 2}
    assert {str(k): v for k, v in top.downloads.items()}["foo-bar"] == 10
    assert top.as_of == datetime(2026, 4, 1, 6, 34, 6, tzinfo=UTC)
    source.write_text(json.dumps({"last_update": "x", "rows": []}))
    with pytest.raises(InputError, match="last_update"):
        store.import_path(source)


def test_db_cli_update_from_and_status_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = make_tar(tmp_path / "vulns.tar.gz", {"vulns/pyyaml/PYSEC-2021-142.yaml": PYYAML})
    with pytest.raises(SystemExit) as done:
        main(["db", "update", "--from", str(archive), "--from", str(OSV / "records" / "malicious")])
    assert done.value.code == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["db", "status", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in document["datasets"]}
    assert rows["advisories"]["records"] == 1
    assert rows["malicious"]["records"] == 4
    assert isinstance(rows["malicious"]["age_days"], int)


def test_db_update_from_a_from_b_merges_instead_of_replacing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PyPA records plus one extra JSON record: both stay, dated by the records, not by today."""
    archive = make_tar(
        tmp_path / "vulns.tar.gz",
        {f"vulns/pyyaml/{p.name}": p.read_bytes() for p in (OSV / "records" / "pypa" / "pyyaml").iterdir()},
    )
    extra = tmp_path / "PYSEC-2025-75.json"
    extra.write_bytes(_as_json((OSV / "records" / "pypa" / "keras" / "PYSEC-2025-75.yaml").read_bytes()))
    with pytest.raises(SystemExit) as done:
        main(["db", "update", "--from", str(archive), "--from", str(extra)])
    assert done.value.code == 0
    store = DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]))
    (advisories,) = store.status()
    assert advisories.records == 5
    found = store.records_for(["pyyaml", "keras"])
    assert sorted(r.id for records in found.values() for r in records) == [
        "PYSEC-2018-49",
        "PYSEC-2020-176",
        "PYSEC-2020-96",
        "PYSEC-2021-142",
        "PYSEC-2025-75",
    ]
    assert advisories.as_of == datetime(2025, 8, 14, 16, 24, 41, 287000, tzinfo=UTC)  # keras's modified


def test_db_update_merge_keeps_the_newest_modified_copy(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    record = json.loads(_as_json(PYYAML))
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(record | {"summary": "newer copy"}))
    older = tmp_path / "older.json"
    older.write_text(json.dumps(record | {"summary": "older copy", "modified": "2020-01-01T00:00:00Z"}))
    store.import_path(newer, now=datetime(2026, 1, 1, tzinfo=UTC))
    store.import_path(older, now=datetime(2026, 1, 1, tzinfo=UTC))
    (kept,) = store.records_for(["pyyaml"])[canonicalize_name("pyyaml")]
    assert kept.summary == "newer copy"
    assert store.status()[0].records == 1
    assert store.advisories_as_of() == datetime(2021, 8, 27, 3, 22, 18, 913334, tzinfo=UTC)


def test_db_cli_bad_archive_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = make_zip(tmp_path / "evil.zip", {"../x.yaml": PYYAML})
    with pytest.raises(SystemExit) as done:
        main(["db", "update", "--from", str(bad)])
    assert done.value.code == 2
    assert "path traversal" in capsys.readouterr().err


def test_db_cli_update_downloads_both_datasets(
    tmp_path: Path, server: ReplayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    zipped = make_zip(
        tmp_path / "all.zip", {"PYSEC-2021-142.json": _as_json(PYYAML), "MAL-2024-11632.json": MAL}
    )
    top = (OSV / "top-sample.json").read_bytes()
    server.routes["/PyPI/all.zip"] = Reply(200, zipped.read_bytes(), {"Content-Type": "application/zip"})
    server.routes["/top.json"] = Reply(200, top, {"Content-Type": "application/json"})
    monkeypatch.setenv("SUPPLYCHAIN_OSV_DATABASE_URL", server.url + "/PyPI/all.zip")
    monkeypatch.setenv("SUPPLYCHAIN_TOP_PACKAGES_URL", server.url + "/top.json")
    with pytest.raises(SystemExit) as done:
        main(["db", "update"])
    assert done.value.code == 0
    assert "advisories, malicious, top-packages" in capsys.readouterr().out
    names = {s.name: s.records for s in DataStore(Path(os.environ["SUPPLYCHAIN_DATA_DIR"])).status()}
    assert names == {"advisories": 1, "malicious": 1, "top-packages": 3}


def test_db_cli_update_download_failure_exits_3(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.handlers.append(lambda method, path, body: Reply(500, b""))
    monkeypatch.setenv("SUPPLYCHAIN_OSV_DATABASE_URL", server.url + "/PyPI/all.zip")
    with pytest.raises(SystemExit) as done:
        main(["db", "update"])
    assert done.value.code == 3  # data unavailable, as for an audit; 2 is for bad input
    assert "download failed" in capsys.readouterr().err


def _as_json(data: bytes) -> bytes:
    import yaml

    return json.dumps(yaml.load(data, Loader=yaml.BaseLoader)).encode()


TOP_SUBSET = Path(__file__).parent / "fixtures" / "typosquat" / "top-pypi-packages.subset.json"


def _parsed(data: Path) -> datastore.TopPackages:
    """The dataset as parsed from its own file, row by row (what the table must equal)."""
    path = data / "top-packages.json"
    return datastore._top_from_json(json.loads(path.read_bytes()), str(path))


def _same(a: datastore.TopPackages | None, b: datastore.TopPackages) -> None:
    assert a is not None
    assert (a.as_of, a.source, a.digest) == (b.as_of, b.source, b.digest)
    assert list(a.downloads.items()) == list(b.downloads.items())  # the dataset's order too
    assert list(a.ranks.items()) == list(b.ranks.items())


def test_top_packages_table_reads_as_the_dataset_parsed_row_by_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataStore(data).import_path(TOP_SUBSET)
    assert DataStore(data).manifest()["top-packages"]["table"] == "top-packages.table.json"
    datastore._TOP_MEMO.clear()
    _same(DataStore(data).top_packages(), _parsed(data))


def test_data_dir_from_before_the_top_packages_table_reads_the_dataset_and_adds_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataStore(data).import_path(TOP_SUBSET)
    manifest = json.loads((data / "manifest.json").read_text())
    del manifest["datasets"]["top-packages"]["table"]
    (data / "manifest.json").write_text(json.dumps(manifest))
    (data / "top-packages.table.json").unlink()
    datastore._TOP_MEMO.clear()
    _same(DataStore(data).top_packages(), _parsed(data))
    assert DataStore(data).manifest()["top-packages"]["table"] == "top-packages.table.json"  # upgraded
    datastore._TOP_MEMO.clear()
    _same(DataStore(data).top_packages(), _parsed(data))


def test_corrupt_top_packages_table_falls_back_to_the_dataset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataStore(data).import_path(TOP_SUBSET)
    table = json.loads((data / "top-packages.table.json").read_text())
    table["downloads"][0] = "many"
    (data / "top-packages.table.json").write_text(json.dumps(table))
    datastore._TOP_MEMO.clear()
    _same(DataStore(data).top_packages(), _parsed(data))


def test_db_update_from_top_packages_derives_the_table_and_the_typosquat_index(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["db", "update", "--from", str(TOP_SUBSET)])
    assert done.value.code == 0
    data = Path(os.environ["SUPPLYCHAIN_DATA_DIR"])
    assert (data / "top-packages.table.json").is_file()
    assert (data / "typosquat.index.json").is_file()  # built here, not by the first audit
