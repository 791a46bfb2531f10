"""The shared input/target/network options: one definition, one ``TargetFlags``; uv's dates."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
import typer.main
from typer.core import TyperOption
from typer.testing import CliRunner

from supplychain.cli import app, main
from supplychain.cli.common import TARGET_OPTIONS, TargetFlags, target_options
from supplychain.config import parse_exclude_newer
from supplychain.errors import UsageError
from tests.resolve.support import HandIndex
from tests.support.server import ReplayServer


@pytest.fixture
def zone() -> Iterator[Callable[[str], None]]:
    """Set the process's local time zone (a POSIX TZ string, no tz database needed) for one test."""
    before = os.environ.get("TZ")

    def use(spec: str) -> None:
        os.environ["TZ"] = spec
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "day", "cutoff"),
    [
        # uv: a bare date is that day in the system time zone; files before the next local midnight stay
        ("UTC0", "2026-01-01", at(2026, 1, 2)),
        ("JST-9", "2026-01-01", at(2026, 1, 1, 15)),
        ("EST+5", "2026-01-01", at(2026, 1, 2, 5)),
        ("CET-1CEST,M3.5.0,M10.5.0/3", "2026-07-01", at(2026, 7, 1, 22)),
        ("UTC0", "2024-02-28", at(2024, 2, 29)),  # the next day is Feb 29
    ],
)
def test_a_bare_date_keeps_the_whole_local_day(
    zone: Callable[[str], None], spec: str, day: str, cutoff: datetime
) -> None:
    zone(spec)
    assert parse_exclude_newer(day) == cutoff


def test_the_last_microsecond_of_the_day_stays_and_the_next_midnight_goes(
    zone: Callable[[str], None],
) -> None:
    zone("UTC0")
    cutoff = parse_exclude_newer("2026-03-01")
    assert cutoff is not None
    # the resolver drops a file when ``upload_time >= cutoff``, as uv does
    assert not at(2026, 3, 1, 18, 30) >= cutoff
    assert not at(2026, 3, 1, 23, 59, 59, 999999) >= cutoff
    assert at(2026, 3, 2) >= cutoff


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T10:00:00Z", at(2026, 1, 1, 10)),
        ("2026-01-01T10:00:00+02:00", at(2026, 1, 1, 8)),
        ("2026-01-01T10:00:00.5Z", at(2026, 1, 1, 10, 0, 0, 500000)),
        ("2026-01-01T10:00", at(2026, 1, 1, 10)),  # no offset: UTC, whatever the local zone
    ],
)
def test_a_time_is_taken_as_given(zone: Callable[[str], None], value: str, expected: datetime) -> None:
    zone("JST-9")
    assert parse_exclude_newer(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "--exclude-newer '2026-02-30' is not a calendar date"),
        ("9999-12-31", "--exclude-newer '9999-12-31' is not a calendar date"),
        ("yesterday", "--exclude-newer 'yesterday' is not an RFC 3339 timestamp or date"),
    ],
)
def test_a_bad_value_is_a_usage_error(value: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_exclude_newer(value)
    assert caught.value.message == message


def test_tree_resolves_with_files_uploaded_during_the_given_day(
    server: ReplayServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    zone: Callable[[str], None],
) -> None:
    zone("UTC0")
    index = HandIndex(server)
    index.wheel("p", "1.0", **{"upload-time": "2026-02-28T09:00:00Z"})
    index.wheel("p", "1.1", **{"upload-time": "2026-03-01T18:30:00Z"})
    index.wheel("p", "1.2", **{"upload-time": "2026-03-02T00:00:00Z"})
    monkeypatch.setenv("SUPPLYCHAIN_PYPI_URL", f"{server.url}/")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("p\n")
    with pytest.raises(SystemExit) as stop:
        main([
            "tree", str(requirements), "--format", "json", "--exclude-newer", "2026-03-01",
            "--index-url", f"{server.url}/simple/", "--python-version", "3.11",
            "--platform", "x86_64-manylinux_2_28",
        ])  # fmt: skip
    out, err = capsys.readouterr()
    assert stop.value.code == 0, err
    document = json.loads(out)
    assert [(p["name"], p["version"]) for p in document["packages"]] == [("p", "1.1")]


def test_a_bad_date_exits_2_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("p\n")
    with pytest.raises(SystemExit) as stop:
        main(["tree", str(requirements), "--exclude-newer", "2026-02-30"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == "error: --exclude-newer '2026-02-30' is not a calendar date\n"


def probe_app(*names: str) -> tuple[typer.Typer, list[TargetFlags]]:
    """A one-command app whose command records the flags it was given."""
    probe = typer.Typer(add_completion=False)
    seen: list[TargetFlags] = []

    @probe.command()
    @target_options(*names)
    def run(*, name: str = "x", flags: TargetFlags, after: bool = False) -> None:
        seen.append(flags)

    return probe, seen


def test_every_option_arrives_in_one_value() -> None:
    probe, seen = probe_app()
    args = [
        "--input-format", "uv-lock", "--python-version", "3.12", "--platform", "x86_64-manylinux_2_28",
        "--index-url", "https://a.example/simple/", "--extra-index-url", "https://b.example/simple/",
        "--extra-index-url", "https://c.example/simple/", "--exclude-newer", "2026-01-01",
        "--extra", "fast", "--group", "dev", "--group", "test", "--no-deps", "--offline", "--after",
    ]  # fmt: skip
    assert CliRunner().invoke(probe, args).exit_code == 0
    assert CliRunner().invoke(probe, []).exit_code == 0
    assert seen == [
        TargetFlags(
            input_format="uv-lock",
            python_version="3.12",
            platform="x86_64-manylinux_2_28",
            index_url="https://a.example/simple/",
            extra_index_url=("https://b.example/simple/", "https://c.example/simple/"),
            exclude_newer="2026-01-01",
            extra=("fast",),
            group=("dev", "test"),
            no_deps=True,
            offline=True,
        ),
        TargetFlags(),
    ]


def test_a_subset_offers_only_those_options() -> None:
    probe, seen = probe_app("offline", "python_version")
    assert CliRunner().invoke(probe, ["--offline", "--python-version", "3.10"]).exit_code == 0
    assert seen == [TargetFlags(python_version="3.10", offline=True)]
    refused = CliRunner().invoke(probe, ["--index-url", "https://a.example/simple/"])
    assert refused.exit_code == 2
    assert "No such option: --index-url" in refused.output


def test_options_stand_where_the_command_put_its_flags() -> None:
    probe, _ = probe_app("platform", "offline")
    names = [param.name for param in typer.main.get_command(probe).params]
    assert names == ["name", "platform", "offline", "after"]


def test_misuse_is_refused_when_the_command_is_defined() -> None:
    with pytest.raises(ValueError, match="not target options: index"):
        target_options("index")

    def no_flags(*, offline: bool = False) -> None:
        return None

    with pytest.raises(TypeError, match="no_flags needs exactly one TargetFlags parameter"):
        target_options()(no_flags)


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, list[TyperOption]]]:
    """Each command (by its words after ``supplychain``) with its options."""
    options = [p for p in getattr(command, "params", []) if isinstance(p, TyperOption)]
    yield " ".join(path), options
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_command_spells_a_shared_option_the_same_way() -> None:
    ((_, probe_options),) = _commands(typer.main.get_command(probe_app()[0]))
    canonical = {option.name: option for option in probe_options}
    full = []
    for path, options in _commands(typer.main.get_command(app)):
        shared = [option for option in options if option.name in TARGET_OPTIONS]
        for option in shared:
            want = canonical[option.name]
            assert (option.opts, option.help, option.default, option.multiple, option.envvar) == (
                want.opts,
                want.help,
                want.default,
                want.multiple,
                want.envvar,
            ), (path, option.name)
        if [option.name for option in shared] == list(TARGET_OPTIONS):
            full.append(path)
    assert sorted(full) == [
        "allowlist check",
        "allowlist diff",
        "allowlist init",
        "allowlist propose",
        "allowlist prune",
        "audit",
        "fix",
        "inventory record",
        "tree",
    ]
