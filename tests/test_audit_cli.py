"""The audit and policy commands through the console entry point: exact exit codes, stdout and stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out.out, out.err


def test_policy_show_prints_the_resolved_level(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "show", "sl5"], capsys)
    assert code == 0
    assert 'level = "sl5"' in out
    assert "fail_closed = true" in out
    assert '[rules.not-allowlisted]\naction = "fail"' in out


def test_policy_diff_lists_what_changes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "diff", "sl4", "sl5"], capsys)
    assert code == 0
    assert "rules.not-allowlisted.action: 'warn' -> 'fail'" in out.splitlines()
    assert "max_data_age_days: 14 -> 7" in out.splitlines()


def test_policy_diff_of_a_user_policy_shows_only_its_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = tmp_path / "ours.toml"
    ours.write_text('extends = "sl4"\n[rules.indie-maintained]\nmin_maintainers = 3\n')
    code, out, _ = run(["policy", "diff", "sl4", str(ours)], capsys)
    assert code == 0
    assert out == "rules.indie-maintained.min_maintainers: 2 -> 3\n"


def test_policy_validate_good_and_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.toml"
    good.write_text('extends = "sl3"\n')
    assert run(["policy", "validate", str(good)], capsys) == (0, f"{good}: valid (level sl3)\n", "")
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "sl3"\n\n[rules.indie-maintained]\nmin_maintainers = "two"\n')
    code, out, err = run(["policy", "validate", str(bad)], capsys)
    assert (code, out) == (2, "")
    assert (
        err == f"error: {bad}:4: rules.indie-maintained.min_maintainers: must be an integer, not a string\n"
    )


def test_audit_with_a_malformed_policy_exits_2_before_any_fetch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    bad = tmp_path / "policy.toml"
    bad.write_text('extends = "sl4"\nfail_closed = 1\n')
    code, out, err = run(["audit", "requirements.txt", "--no-deps", "--policy", str(bad)], capsys)
    assert (code, out) == (2, "")
    assert err == f"error: {bad}:2: fail_closed: must be a boolean, not an integer\n"


def test_audit_with_a_malformed_allowlist_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text('version = 1\n[[approve]]\nname = "six"\n')
    code, _, err = run(["audit", "requirements.txt", "--allowlist", str(allowlist)], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"error: {allowlist}:2: approve[0].expires: missing (a TOML date such as 2027-06-01)",
        f"{allowlist}:2: approve[0].reason: missing",
        f"{allowlist}:2: approve[0].reviewer: missing",
        f"{allowlist}:2: approve[0].versions: missing",
    ]


def test_unknown_policy_name_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    code, _, err = run(["audit", "requirements.txt", "--policy", "sl6"], capsys)
    assert code == 2
    assert (
        err == "error: sl6: no such policy: No such file or directory "
        "(built-in levels: sl1, sl2, sl3, sl4, sl5)\n"
    )
