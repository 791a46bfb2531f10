"""The one merge of a run's settings: flags over environment over the configuration file over defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supplychain.config import Flags, TargetFlags, inventory_db, merge
from supplychain.errors import InputError


def test_defaults_without_flags_or_file(tmp_path: Path) -> None:
    config = merge(Flags(), cwd=tmp_path)
    assert (config.policy, config.allowlist, config.exemptions) == ("sl3", None, None)
    assert (config.formats, config.output_dir, config.offline) == ((), Path("reports"), False)
    assert str(config.endpoints.index) == "https://pypi.org/simple/"


def test_the_file_fills_what_no_flag_gave_with_paths_beside_it(tmp_path: Path) -> None:
    (tmp_path / "supplychain.toml").write_text(
        'policy = "sl5"\nallowlist = "team/allow.toml"\nformats = ["json,sarif"]\noutput = "out"\n'
        'internal-patterns = ["acme-*"]\n[endpoints]\nindex = "https://mirror.example/simple"\n'
    )
    config = merge(Flags(), cwd=tmp_path)
    assert config.policy == "sl5"
    assert config.allowlist == tmp_path / "team" / "allow.toml"
    assert config.formats == ("json", "sarif")
    assert config.output_dir == tmp_path / "out"
    assert config.internal.patterns == ("acme-*",)
    assert str(config.endpoints.index) == "https://mirror.example/simple/"


def test_flags_beat_the_file(tmp_path: Path) -> None:
    (tmp_path / "supplychain.toml").write_text('policy = "sl5"\nallowlist = "a.toml"\nformats = ["json"]\n')
    flags = Flags(
        target_flags=TargetFlags(index_url="https://i.example/simple/", extra=("cli",), no_deps=True),
        policy="sl1",
        allowlist=Path("mine.toml"),
        formats=("sarif", "markdown,html"),
    )
    config = merge(flags, cwd=tmp_path)
    assert (config.policy, config.allowlist) == ("sl1", Path("mine.toml"))
    assert config.formats == ("sarif", "markdown", "html")
    assert [str(url) for url in config.index_urls] == ["https://i.example/simple/"]
    assert (config.extras, config.no_deps) == (("cli",), True)


def test_the_environment_beats_the_file_and_turns_offline_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "supplychain.toml").write_text('[endpoints]\npypi = "https://file.example/"\n')
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", "https://env.example/")
    monkeypatch.setenv("SUPPLYCHAIN_OFFLINE", "1")
    config = merge(Flags(), cwd=tmp_path)
    assert str(config.endpoints.pypi) == "https://env.example/"
    assert config.offline


def test_the_target_flags_method_is_the_same_merge(tmp_path: Path) -> None:
    flags = TargetFlags(python_version="3.11", platform="x86_64-manylinux_2_28")
    given = Flags(path=Path("uv.lock"), target_flags=flags, policy="sl2", formats=("json",))
    from_method = flags.config(Path("uv.lock"), policy="sl2", formats=["json"], cwd=tmp_path)
    assert from_method == merge(given, cwd=tmp_path)


def test_an_unknown_key_in_the_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.supplychain]\npolicies = 'sl5'\n")
    with pytest.raises(InputError, match=r"unknown key tool\.supplychain\.policies") as caught:
        merge(Flags(), cwd=tmp_path)
    assert caught.value.location is not None
    assert caught.value.location.file == str(tmp_path / "pyproject.toml")


def test_inventory_db_flag_over_file_over_the_data_dir(tmp_path: Path) -> None:
    default = f"sqlite:///{Path(os.environ['SUPPLYCHAIN_DATA_DIR']) / 'inventory.sqlite3'}"
    assert inventory_db(None, tmp_path) == default
    assert merge(Flags(), cwd=tmp_path).inventory_db == default  # what audit reads: the same file
    (tmp_path / "supplychain.toml").write_text('inventory-db = "sqlite:///file.db"\n')
    assert inventory_db(None, tmp_path) == f"sqlite:///{tmp_path / 'file.db'}"  # beside the file
    assert merge(Flags(), cwd=tmp_path).inventory_db == f"sqlite:///{tmp_path / 'file.db'}"
    assert inventory_db("sqlite:///flag.db", tmp_path) == "sqlite:///flag.db"
    (tmp_path / "supplychain.toml").write_text('inventory-db = "sqlite:////srv/inventory.db"\n')
    assert inventory_db(None, tmp_path) == "sqlite:////srv/inventory.db"


def test_the_default_allowlist_is_the_one_allowlist_init_writes_when_it_exists(tmp_path: Path) -> None:
    assert merge(Flags(), cwd=tmp_path).allowlist is None
    (tmp_path / "allowlist.toml").write_text("version = 1\n")
    assert merge(Flags(), cwd=tmp_path).allowlist == tmp_path / "allowlist.toml"
    assert merge(Flags(allowlist=Path("other.toml")), cwd=tmp_path).allowlist == Path("other.toml")
    (tmp_path / "supplychain.toml").write_text('allowlist = "team.toml"\n')
    assert merge(Flags(), cwd=tmp_path).allowlist == tmp_path / "team.toml"


def test_the_default_allowlist_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "allowlist.toml").write_text("version = 1\n")
    assert merge(Flags()).allowlist == Path("allowlist.toml")  # as `allowlist init` names it


def test_an_extra_index_adds_to_the_default_index_as_in_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--extra-index-url`` alone kept only the extra index: the default one, which pip still asks
    (and where a shadowing copy of an internal name lives), was never looked at."""
    monkeypatch.setenv("SUPPLYCHAIN_INDEX_URL", "https://mirror.example/simple/")
    flags = TargetFlags(extra_index_url=("https://pkgs.corp.example/simple/",))
    assert [str(url) for url in flags.config(cwd=tmp_path).index_urls] == [
        "https://mirror.example/simple/",
        "https://pkgs.corp.example/simple/",
    ]
    both = TargetFlags(index_url="https://a.example/simple/", extra_index_url=("https://b.example/simple/",))
    assert [str(url) for url in both.config(cwd=tmp_path).index_urls] == [
        "https://a.example/simple/",
        "https://b.example/simple/",
    ]
