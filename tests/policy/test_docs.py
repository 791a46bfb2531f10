"""The rule table in policies/README.md is generated from RULES and the levels; stale means failing."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

from supplychain.policy import RULES
from supplychain.policy.docs import render_readme, rule_table
from supplychain.policy.loader import load_policy
from supplychain.policy.schema import LEVELS

ROOT = Path(__file__).parents[2]
README = ROOT / "policies" / "README.md"
SHIPPED = ["README.md", *(f"{level}.toml" for level in LEVELS)]


def test_readme_rule_table_is_current() -> None:
    current = README.read_text(encoding="utf-8")
    assert render_readme(current) == current, "run: .venv/bin/python -m supplychain.policy.docs"


def test_table_has_one_row_per_rule_id() -> None:
    rows = [line for line in rule_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(RULES)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policy_files_cite_no_path_a_user_lacks(name: str) -> None:
    """Every level cited /work/shared/research/policy-frameworks.md, which no user has."""
    text = resources.files("supplychain.policies").joinpath(name).read_text(encoding="utf-8")
    assert "/work/" not in text
    assert "policy-frameworks" not in text
    assert "risk-signals" not in text
    for cited in set(re.findall(r"[\w./-]+\.md\b", text)):  # the documents they point the reader to
        assert resources.files("supplychain.policies").joinpath(cited).is_file(), cited


def test_the_policies_readme_ships_in_the_package() -> None:
    """The level files point at README.md beside them: the wheel must carry it, not only the TOML."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["supplychain"]
    for name in SHIPPED:
        assert any(fnmatch(f"policies/{name}", pattern) for pattern in patterns), name


def test_readme_gives_each_level_its_rationale() -> None:
    text = README.read_text(encoding="utf-8")
    for level in LEVELS:
        assert f"* **{level.upper()} — " in text
    assert "### Why SL5 is laxer than SL4 on popularity and abandonment" in text
    assert "### Why SL4 and SL5 allow the public index" in text
    assert "## Sources" in text


def test_sl3_data_unknown_comment_matches_its_fail_facts() -> None:
    """SL3's comment said provenance gaps fail; its fail_facts never listed provenance."""
    text = (ROOT / "policies" / "sl3.toml").read_text(encoding="utf-8")
    comment = text.split("[rules.data-unknown]")[0].rsplit("\n\n", 1)[1]
    fail_facts = load_policy("sl3").rules["data-unknown"].params["fail_facts"]
    assert "provenance" not in fail_facts
    assert "provenance gaps fail" not in comment
    assert "an unknown provenance only warns" in comment


def test_every_rule_has_a_triage_weight() -> None:
    """A rule without one crashed every audit it fired in (KeyError in scoring, exit 70)."""
    from supplychain.policy.scoring import WEIGHTS

    assert sorted(WEIGHTS) == sorted(RULES)
