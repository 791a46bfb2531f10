"""The startup-hook rule over recorded facts, with the hooks the real pytest-cov 5.0.0 wheel ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.audit import audit_sources
from supplychain.model import Action, StartupHook, Unknown
from supplychain.policy.loader import load_policy
from tests.policy.helpers import hits, missing
from tests.policy.test_rules import k, run

PYTEST_COV_PTH = StartupHook(member="pytest-cov.pth", runs_code=True)  # tests/net/test_wheel_hooks.py
PATHS_ONLY = StartupHook(member="demo-paths.pth", runs_code=False)


def test_a_wheel_shipping_an_executable_pth_fails_naming_the_member() -> None:
    (hit,) = hits(run("startup-hook", "six", facts_change={"startup_hooks": k((PYTEST_COV_PTH,))}))
    assert hit.action is None  # the level's own action: fail at SL4/SL5
    assert "pytest-cov.pth" in hit.message
    assert "every Python process" in hit.message


def test_a_pth_of_paths_only_only_warns() -> None:
    (hit,) = hits(run("startup-hook", "six", facts_change={"startup_hooks": k((PATHS_ONLY,))}))
    assert hit.action is Action.WARN


def test_no_hooks_is_no_finding_and_unknown_hooks_are_a_missing_fact() -> None:
    assert run("startup-hook", "six", facts_change={"startup_hooks": k(())}) == []
    unknown = Unknown(reason="no wheel for this target", source="startup-hooks")
    assert missing(run("startup-hook", "six", facts_change={"startup_hooks": unknown})) == ["startup_hooks"]


@pytest.mark.parametrize("level", ["sl1", "sl2", "sl3", "sl4", "sl5"])
def test_shipped_levels_leave_it_off_and_skip_reading_wheels_while_a_policy_can_turn_it_on(
    level: str, tmp_path: Path
) -> None:
    assert load_policy(level).rules["startup-hook"].action is Action.OFF
    assert "startup-hooks" not in audit_sources(load_policy(level))
    path = tmp_path / "policy.toml"
    path.write_text(f'extends = "{level}"\n[rules.startup-hook]\naction = "fail"\n')
    policy = load_policy(str(path))
    assert policy.rules["startup-hook"].action is Action.FAIL
    assert "startup-hooks" in audit_sources(policy)
