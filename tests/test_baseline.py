"""The delta of two reports (``supplychain.baseline``) and ``supplychain diff``, on hand-made documents.

The documents are cut down to the keys the delta reads; the end-to-end tests with real data are in
``test_audit_baseline.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.baseline import compute_delta, finding_identity, verdict_on_new
from supplychain.model import JSON, Verdict
from tests.test_audit_cli import run


def _package(
    name: str, version: str, *, maintainers: list[str] | None = None, url: str | None = None
) -> JSON:
    facts: dict[str, JSON] = {
        "maintainers": (
            {
                "value": [{"role": "Owner", "user": u} for u in maintainers],
                "source": "pypi",
                "fetched_at": "x",
            }
            if maintainers is not None
            else {"unknown": "PyPI did not answer", "source": "pypi"}
        )
    }
    origin: dict[str, JSON] = {
        "kind": "url" if url else "index",
        "url": url or "https://pypi.org/simple",
        "hashes": [],
    }
    return {"name": name, "version": version, "origin": origin, "facts": facts}


def _finding(rule: str, name: str, version: str, action: str = "fail", **evidence: JSON) -> dict[str, JSON]:
    return {
        "rule": rule,
        "action": action,
        "package": {"name": name, "version": version},
        "message": f"{rule} on {name}=={version}",
        "evidence": dict(evidence),
        "remediation": None,
        "suppressed_by": None,
    }


def _report(packages: list[JSON], findings: list[dict[str, JSON]]) -> dict[str, JSON]:
    return {"schema": "audit-1", "packages": packages, "findings": list(findings)}


def test_an_advisory_kept_across_an_upgrade_is_unchanged_and_a_fixed_one_resolved() -> None:
    old = _report(
        [_package("requests", "2.25.1", maintainers=["a", "b"])],
        [
            _finding("vulnerability", "requests", "2.25.1", advisory="A1"),
            _finding("vulnerability", "requests", "2.25.1", advisory="A2"),
        ],
    )
    new = _report(
        [_package("requests", "2.32.4", maintainers=["a", "b"])],
        [_finding("vulnerability", "requests", "2.32.4", advisory="A2")],
    )
    delta = compute_delta(old, new, baseline="old.json")
    assert [(c.name, c.what) for c in delta.changed] == [("requests", ("version",))]
    assert delta.new_findings == ()
    assert [f["evidence"] for f in delta.resolved_findings] == [{"advisory": "A1"}]


def test_a_warning_that_becomes_a_failure_is_new() -> None:
    old = _report([_package("six", "1.0")], [_finding("indie-maintained", "six", "1.0", action="warn")])
    new = _report([_package("six", "1.0")], [_finding("indie-maintained", "six", "1.0", action="fail")])
    delta = compute_delta(old, new, baseline="b", fail_on="new")
    assert [f["action"] for f in delta.new_findings] == ["fail"]
    assert verdict_on_new(delta, Verdict.FAILED) is Verdict.FAILED


def test_a_fact_unknown_on_one_side_is_not_called_a_change() -> None:
    old = _report([_package("six", "1.0", maintainers=None)], [])
    new = _report([_package("six", "1.0", maintainers=["gutworth"])], [])
    assert compute_delta(old, new, baseline="b").changed == ()
    newer = _report([_package("six", "1.0", maintainers=["someone-else"])], [])
    assert [c.what for c in compute_delta(new, newer, baseline="b").changed] == [("maintainers",)]


def test_fail_on_new_passes_old_failures_and_stays_incomplete_for_a_new_unknown() -> None:
    kept = _finding("vulnerability", "requests", "2.25.1", advisory="A1")
    old = _report([_package("requests", "2.25.1")], [kept])
    same = compute_delta(old, old, baseline="b", fail_on="new")
    assert verdict_on_new(same, Verdict.FAILED) is Verdict.PASSED
    assert verdict_on_new(compute_delta(old, old, baseline="b"), Verdict.FAILED) is Verdict.FAILED  # all
    unknown = _finding("data-unknown", "requests", "2.25.1", fact="advisories")
    delta = compute_delta(
        old, _report([_package("requests", "2.25.1")], [kept, unknown]), baseline="b", fail_on="new"
    )
    assert verdict_on_new(delta, Verdict.INCOMPLETE) is Verdict.INCOMPLETE


def test_identity_leaves_out_the_version_but_keeps_the_advisory() -> None:
    one = finding_identity(_finding("vulnerability", "x", "1", advisory="A"))
    assert one == finding_identity(_finding("vulnerability", "x", "2", advisory="A"))
    assert one != finding_identity(_finding("vulnerability", "x", "1", advisory="B"))


def test_diff_prints_the_delta_and_fails_on_new_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _report([_package("idna", "2.10", maintainers=["kjd"])], [])
    url = "https://files.pythonhosted.org/packages/idna-2.10-py2.py3-none-any.whl"
    new = _report(
        [
            _package("idna", "2.10", maintainers=["kjd"], url=url),
            _package("termcolor", "3.1.0", maintainers=["hugovk"]),
        ],
        [_finding("untrusted-source", "idna", "2.10", url=url)],
    )
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    code, out, err = run(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")], capsys)
    assert code == 0, err
    assert "1 added, 0 removed, 1 changed; 1 new findings (1 failing), 0 resolved" in out
    assert f"  ~ idna 2.10, now from url {url} (origin)" in out
    code, out, _ = run(
        [
            "diff",
            str(tmp_path / "old.json"),
            str(tmp_path / "new.json"),
            "--format",
            "json",
            "--fail-on",
            "new",
        ],
        capsys,
    )
    assert code == 1
    delta = json.loads(out)
    assert [c["name"] for c in delta["added"]] == ["termcolor"]
    assert delta["new_findings"] == new["findings"]
    code, out, _ = run(
        ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", "markdown"], capsys
    )
    assert "- `idna`" in out
    assert "❌ `untrusted-source`" in out


def test_diff_of_a_file_that_is_not_a_report_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text("[1, 2")
    code, _, err = run(["diff", str(tmp_path / "a.json"), str(tmp_path / "a.json")], capsys)
    assert code == 2
    assert f"{tmp_path / 'a.json'}:1: not valid JSON" in err
