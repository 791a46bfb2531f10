"""A kept audit result is printed again only for the same command on unchanged inputs, within minutes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supplychain import result_cache
from supplychain.result_cache import REUSE_FOR, Recorder, fingerprint
from tests.support.cli import run_subprocess

NOTE = "the same audit's result from"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-pin requirements file, audited offline with no data: quick, and exit 3 (facts unknown)."""
    monkeypatch.delenv("SUPPLYCHAIN_RESULT_CACHE")
    (tmp_path / "env").mkdir()  # apart from the working directory, which no listing then covers
    (tmp_path / "env" / "requirements.txt").write_text("six==1.17.0\n")
    return tmp_path


def audit(project: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_subprocess(["audit", "env/requirements.txt", "--no-deps", "--offline", *extra], project, env)


def test_the_same_audit_on_unchanged_files_is_printed_again_with_a_note(project: Path) -> None:
    first = audit(project)
    assert first.returncode == 3, first.stderr
    assert NOTE not in first.stderr
    again = audit(project)
    assert again.returncode == first.returncode
    assert again.stdout == first.stdout
    assert again.stderr.startswith(first.stderr)
    assert NOTE in again.stderr
    quiet = [audit(project, "--quiet") for _ in range(2)]
    assert quiet[1].stdout == quiet[0].stdout
    assert NOTE not in quiet[1].stderr  # --quiet: nothing more than the recorded output


def test_an_edited_input_a_new_config_file_or_another_environment_runs_the_audit(project: Path) -> None:
    audit(project)
    (project / "env" / "requirements.txt").write_text("six==1.16.0\n")
    edited = audit(project)
    assert NOTE not in edited.stderr
    assert NOTE in audit(project).stderr  # the edited file's own result is kept in turn
    # The run looked for an allowlist and a configuration file and found none: one appearing voids
    # the result (the configuration is only probed with a stat, never opened while absent).
    (project / "allowlist.toml").write_text("version = 1\n")
    assert NOTE not in audit(project).stderr
    assert NOTE in audit(project).stderr
    (project / "supplychain.toml").write_text("")
    assert NOTE not in audit(project).stderr
    assert NOTE not in audit(project, env={"SUPPLYCHAIN_INDEX_URL": "http://127.0.0.1:9/simple/"}).stderr


def test_opting_out_runs_the_audit(project: Path) -> None:
    audit(project)
    again = audit(project, "--no-result-cache")
    assert again.returncode == 3, again.stderr
    assert NOTE not in again.stderr
    assert NOTE not in audit(project, env={"SUPPLYCHAIN_RESULT_CACHE": "off"}).stderr
    assert NOTE in audit(project).stderr  # the option is part of the command: its result is its own


def test_runs_with_more_effects_than_output_are_not_eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPLYCHAIN_RESULT_CACHE")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert result_cache.eligible(["audit", "uv.lock", "--quiet"])
    for argv in (
        ["audit", "uv.lock", "--output", "reports"],
        ["audit", "uv.lock", "--output=reports"],
        ["audit", "uv.lock", "--baseline", "main"],
        ["audit", "-"],
        ["audit", "uv.lock", "--debug"],
        ["tree", "uv.lock"],
        ["db", "update"],
    ):
        assert not result_cache.eligible(argv), argv

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert not result_cache.eligible(["audit", "uv.lock"])  # a person reads it: progress, colour


def recorder(tmp_path: Path, writable: Path) -> Recorder:
    return Recorder(
        key="k",
        cache=tmp_path / "cache",
        started=time.time(),
        skip=(),
        interpreter=(),
        writable=(str(writable) + os.sep,),
        bare=frozenset(),
    )


def test_a_run_that_wrote_elsewhere_started_a_process_or_saw_a_file_change_is_not_kept(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n")
    wrote = recorder(tmp_path, writable=tmp_path / "cache")
    wrote.saw(lock)
    wrote.wrote(tmp_path / "report.json")
    wrote.finish(0)
    spawned = recorder(tmp_path, writable=tmp_path / "cache")
    spawned.unsafe = "started a process (subprocess.Popen)"
    spawned.finish(0)
    changed = recorder(tmp_path, writable=tmp_path / "cache")
    changed.saw(lock)
    lock.write_text("version = 1\n# edited while the audit read it\n")
    changed.finish(0)
    crashed = recorder(tmp_path, writable=tmp_path / "cache")
    crashed.finish(70)
    assert not (tmp_path / "cache").exists()
    kept = recorder(tmp_path, writable=tmp_path / "cache")
    kept.saw(lock)
    kept.finish(1)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1


def test_a_kept_result_expires(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audit(project)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    argv = ["audit", "env/requirements.txt", "--no-deps", "--offline"]
    entries = list(Path(os.environ["SUPPLYCHAIN_CACHE_DIR"]).rglob("results/*.json"))
    assert len(entries) == 1
    created = entries[0].stat().st_mtime
    # The key holds the environment: the replay must see the subprocess's (the same as ours here).
    assert result_cache.replay(argv, now=lambda: created + 1) == 3
    assert result_cache.replay(argv, now=lambda: created + REUSE_FOR + 1) is None


def test_fingerprints_tell_content_existence_and_directories_apart(tmp_path: Path) -> None:
    path = tmp_path / "f"
    assert fingerprint(str(path)) == ["missing"]
    path.write_text("a")
    first = fingerprint(str(path))
    stat = path.stat()
    path.write_text("b")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: only the hash tells
    assert fingerprint(str(path)) != first
    assert fingerprint(str(tmp_path))[0] == "dir"


def test_a_path_only_looked_for_is_recorded_and_os_stat_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configuration probed with ``is_file()`` in a directory nobody lists: only the stat shows it."""
    monkeypatch.delenv("SUPPLYCHAIN_RESULT_CACHE")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    real = os.stat
    recording = result_cache.record(["audit", "uv.lock"])
    assert recording is not None
    try:
        assert not (tmp_path / "supplychain.toml").is_file()
        print("kept")
    finally:
        result_cache.stop()
    assert recording.seen[str(tmp_path / "supplychain.toml")] == ["missing"]
    assert recording.out == ["kept", "\n"]
    assert os.stat is real
    assert isinstance(sys.stdout, io.StringIO)


def test_click_output_and_bytes_are_kept_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """typer's echo writes bytes through the stream's ``buffer``: the recording must see those too."""
    import typer

    monkeypatch.delenv("SUPPLYCHAIN_RESULT_CACHE")
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    recording = result_cache.record(["audit", "uv.lock"])
    assert recording is not None
    try:
        typer.echo("text line")
        typer.echo(b"bytes line")
    finally:
        result_cache.stop()
    assert "".join(recording.out) == "text line\nbytes line\n"
