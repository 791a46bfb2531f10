"""The rule table in policies/README.md is generated from RULES and the levels; stale means failing."""

from __future__ import annotations

from pathlib import Path

from supplychain.policy import RULES
from supplychain.policy.docs import render_readme, rule_table

README = Path(__file__).parents[2] / "policies" / "README.md"


def test_readme_rule_table_is_current() -> None:
    current = README.read_text(encoding="utf-8")
    assert render_readme(current) == current, "run: .venv/bin/python -m supplychain.policy.docs"


def test_table_has_one_row_per_rule_id() -> None:
    rows = [line for line in rule_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(RULES)
