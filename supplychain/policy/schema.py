"""The policy value type and the typed schema a policy file is checked against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from supplychain.model import Action
from supplychain.policy.base import Param, RuleSettings
from supplychain.result import PolicySummary

LEVELS = ("sl1", "sl2", "sl3", "sl4", "sl5")
# Top-level keys: name -> type; ``rules`` and ``extends`` are handled by the loader.
TOP_LEVEL: dict[str, type] = {
    "fail_closed": bool,
    "allowed_indexes": tuple,
    "allowed_licenses": tuple,
    "max_data_age_days": int,  # index facts read from the cache (``--offline``)
    "max_advisory_age_days": int,  # the vulnerability and malicious-package datasets
    "max_popularity_age_days": int,  # the top-packages dataset (published monthly)
}
ACTIONS = tuple(a.value for a in Action)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """A complete, validated policy: every rule has an action and every threshold it declares."""

    name: str  # "sl3" or the path of a user policy
    level: str  # the built-in level it (transitively) extends
    fail_closed: bool
    allowed_indexes: tuple[str, ...]
    allowed_licenses: tuple[str, ...]
    max_data_age_days: int
    max_advisory_age_days: int
    max_popularity_age_days: int
    rules: Mapping[str, RuleSettings]

    def summary(self) -> PolicySummary:
        """The policy as reports show it, rules sorted by id."""
        return PolicySummary(
            name=self.name,
            level=self.level,
            rules={
                rule_id: {
                    "action": settings.action.value,
                    **{k: _plain(v) for k, v in sorted(settings.params.items())},
                }
                for rule_id, settings in sorted(self.rules.items())
            },
            fail_closed=self.fail_closed,
        )

    def as_dict(self) -> dict[str, object]:
        """Everything, for ``policy show`` and ``policy diff``."""
        summary = self.summary()
        return {
            "name": self.name,
            "level": self.level,
            "fail_closed": self.fail_closed,
            "allowed_indexes": list(self.allowed_indexes),
            "allowed_licenses": list(self.allowed_licenses),
            "max_data_age_days": self.max_data_age_days,
            "max_advisory_age_days": self.max_advisory_age_days,
            "max_popularity_age_days": self.max_popularity_age_days,
            "rules": {k: dict(v) for k, v in summary.rules.items()},
        }


def _plain(value: Param) -> object:
    return list(value) if isinstance(value, tuple) else value


def type_name(kind: type) -> str:
    """A schema type as an error message names it."""
    return {bool: "a boolean", int: "an integer", str: "a string", tuple: "a list of strings"}[kind]


def matches(value: object, kind: type) -> bool:
    """TOML value ``value`` has schema type ``kind`` (bools are not integers; lists hold strings)."""
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is tuple:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, kind)


def convert(value: object, kind: type) -> Param:
    """A validated TOML value as a rule reads it (lists become tuples)."""
    if kind is tuple:
        assert isinstance(value, list)
        return tuple(str(item) for item in value)
    assert isinstance(value, bool | int | str)
    return value
