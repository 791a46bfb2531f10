"""Loading policies: the shipped levels, user policies extending them, and every mistake at once."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from supplychain.errors import PolicyError
from supplychain.model import Action
from supplychain.policy import RULES
from supplychain.policy.loader import load_policy
from supplychain.policy.schema import LEVELS


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_ships_in_the_package_and_defines_every_rule(level: str) -> None:
    assert resources.files("supplychain.policies").joinpath(f"{level}.toml").is_file()
    policy = load_policy(level)
    assert set(policy.rules) == set(RULES)
    assert policy.rules["malicious"].action is Action.FAIL
    assert policy.fail_closed is (level in {"sl4", "sl5"})


def test_levels_get_stricter() -> None:
    order = {Action.OFF: 0, Action.WARN: 1, Action.FAIL: 2}
    actions = {level: load_policy(level).rules for level in LEVELS}
    assert all(order[actions["sl1"][r].action] <= order[actions["sl3"][r].action] for r in RULES)
    assert actions["sl5"]["not-allowlisted"].action is Action.FAIL
    assert actions["sl3"]["not-allowlisted"].action is Action.OFF


def test_user_policy_overrides_single_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "ours.toml"
    path.write_text(
        'extends = "sl4"\nmax_data_age_days = 30\n\n[rules.indie-maintained]\nmin_maintainers = 3\n'
        '\n[rules.typosquat]\naction = "warn"\n'
    )
    policy = load_policy(str(path))
    base = load_policy("sl4")
    assert policy.level == "sl4"
    assert policy.name == str(path)
    assert policy.rules["indie-maintained"].params == {"min_maintainers": 3}
    assert policy.rules["indie-maintained"].action is Action.FAIL  # inherited
    assert policy.rules["typosquat"].action is Action.WARN
    assert policy.rules["typosquat"].params == base.rules["typosquat"].params
    assert policy.max_data_age_days == 30
    assert policy.fail_closed is True


def test_vulnerability_grace_days_per_level() -> None:
    """RAND's patch windows below SL4 (14, 7, 2 days); none at SL4-SL5."""
    grace = [load_policy(level).rules["vulnerability"].params["grace_days"] for level in LEVELS]
    assert grace == [14, 7, 2, 0, 0]


def test_each_dataset_has_its_own_maximum_age(tmp_path: Path) -> None:
    """Advisories change daily, the top-packages list monthly: one limit could not fit both."""
    levels = [load_policy(level) for level in LEVELS]
    assert [p.max_advisory_age_days for p in levels] == [30, 14, 7, 3, 2]
    assert all(p.max_popularity_age_days >= 45 for p in levels)  # a monthly list plus two weeks
    path = tmp_path / "ours.toml"
    path.write_text('extends = "sl5"\nmax_popularity_age_days = 365\nmax_advisory_age_days = -1\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert caught.value.diagnostics() == f"{path}:3: max_advisory_age_days: must not be negative, not -1"


MALFORMED = """\
extends = "sl4"
colour = "red"
fail_closed = "yes"

[rules.indie-maintained]
min_maintainers = "two"
action = "block"

[rules.typo-squat]
action = "warn"

[rules.malicious]
action = "warn"

[rules.vulnerability]
min_severity = "severe"
grace = 7
"""


def test_every_mistake_is_reported_at_once_with_line_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(MALFORMED)
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert caught.value.diagnostics().splitlines() == [
        f"{path}:2: colour: unknown key (known: allowed_indexes, allowed_licenses, extends, fail_closed, "
        "max_advisory_age_days, max_data_age_days, max_popularity_age_days, rules)",
        f"{path}:3: fail_closed: must be a boolean, not a string",
        f"{path}:6: rules.indie-maintained.min_maintainers: must be an integer, not a string",
        f"{path}:7: rules.indie-maintained.action: must be one of off, warn, fail, not 'block'",
        f"{path}:9: rules.typo-squat: unknown rule (known: {', '.join(sorted(RULES))})",
        f"{path}:13: rules.malicious.action: malicious packages fail at every level; it cannot be changed",
        f"{path}:16: rules.vulnerability.min_severity: must be one of none, low, medium, high, critical, "
        "not 'severe'",
        f"{path}:17: rules.vulnerability.grace: unknown key (known: action, grace_days, min_severity, "
        "unknown_severity, warn_severity)",
    ]
    assert caught.value.exit_code == 2


def test_unknown_base_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('extends = "sl9"\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert (
        caught.value.diagnostics()
        == f"{path}:1: extends: unknown base 'sl9' (known: sl1, sl2, sl3, sl4, sl5)"
    )
    with pytest.raises(PolicyError) as missing:
        load_policy(str(tmp_path / "nope.toml"))
    assert "no such policy: No such file or directory" in missing.value.diagnostics()


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('extends = "sl4"\n[rules.typosquat\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(str(path))
    assert caught.value.diagnostics().startswith(f"{path}:2: not valid TOML")
