"""Loading a policy: a built-in level or a user file that ``extends`` one, validated all at once."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from supplychain.errors import PolicyError
from supplychain.files import read_capped
from supplychain.locate import key_path_line
from supplychain.model import Action, Location
from supplychain.policy import RULES
from supplychain.policy.advisories import SEVERITIES
from supplychain.policy.base import Param, RuleSettings
from supplychain.policy.schema import ACTIONS, LEVELS, TOP_LEVEL, Policy, convert, matches, type_name
from supplychain.tomlfile import MAX_TOML_BYTES, parse_toml

_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("vulnerability", "min_severity"): SEVERITIES,
    ("vulnerability", "warn_severity"): SEVERITIES,
    ("vulnerability", "unknown_severity"): SEVERITIES,
}


def builtin_text(level: str) -> str:
    """The text of a shipped level, read from the installed ``supplychain.policies`` package."""
    return resources.files("supplychain.policies").joinpath(f"{level}.toml").read_text(encoding="utf-8")


def load_policy(spec: str, *, cwd: Path | None = None) -> Policy:
    """``spec`` is a level name (``sl3``) or a policy file path; every mistake is reported together."""
    if spec in LEVELS:
        return _build(builtin_text(spec), f"{spec}.toml", name=spec, base=None)
    path = Path(spec) if cwd is None or Path(spec).is_absolute() else cwd / spec
    try:
        # read whole before: a 1 GB "policy" or /dev/zero went into memory
        data = read_capped(path, MAX_TOML_BYTES)
        if data is None:
            raise PolicyError([(Location(file=spec), f"file is larger than {MAX_TOML_BYTES} bytes")])
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text did
    except (OSError, UnicodeDecodeError) as problem:
        reason = problem.strerror if isinstance(problem, OSError) else "not UTF-8 text"
        known = ", ".join(LEVELS)
        raise PolicyError(
            [(Location(file=spec), f"no such policy: {reason} (built-in levels: {known})")]
        ) from None
    return _build(text, str(path), name=spec, base=path.parent)


class _Problems:
    def __init__(self, text: str, file: str) -> None:
        self.text, self.file = text, file
        self.items: list[tuple[Location, str]] = []

    def add(self, path: tuple[str, ...], message: str) -> None:
        self.items.append(
            (Location(file=self.file, line=key_path_line(self.text, path)), f"{'.'.join(path)}: {message}")
        )


def _build(text: str, file: str, *, name: str, base: Path | None) -> Policy:
    data = parse_toml(text, file)
    problems = _Problems(text, file)
    builtin = base is None
    parent: Policy | None = None
    extends = data.get("extends")
    if not builtin:
        if extends is None:
            problems.add(
                ("extends",), f"missing; a policy must extend a built-in level ({', '.join(LEVELS)})"
            )
        elif not isinstance(extends, str) or extends not in LEVELS:
            problems.add(("extends",), f"unknown base {extends!r} (known: {', '.join(LEVELS)})")
        else:
            parent = load_policy(extends)
    elif extends is not None:
        problems.add(("extends",), "built-in levels do not extend")
    top = _top_level(data, problems, complete=builtin)
    rules = _rules(data.get("rules", {}), problems, complete=builtin)
    if problems.items:
        raise PolicyError(problems.items)
    if parent is not None:
        merged = dict(parent.rules)
        for rule_id, (action, params) in rules.items():
            old = merged[rule_id]
            merged[rule_id] = RuleSettings(action=action or old.action, params={**old.params, **params})
        return replace(parent, name=name, rules=dict(sorted(merged.items())), **_top_kwargs(top))
    return Policy(
        name=name,
        level=name,
        rules={
            rule_id: RuleSettings(action=action or Action.OFF, params=params)
            for rule_id, (action, params) in sorted(rules.items())
        },
        **_top_kwargs(top),
    )


def _top_level(data: dict[str, Any], problems: _Problems, *, complete: bool) -> dict[str, Param]:
    for key in sorted(set(data) - {*TOP_LEVEL, "rules", "extends"}):
        problems.add((key,), f"unknown key (known: {', '.join(sorted({*TOP_LEVEL, 'extends', 'rules'}))})")
    top: dict[str, Param] = {}
    for key, kind in TOP_LEVEL.items():
        if key not in data:
            if complete:
                problems.add((key,), "missing")
        elif not matches(data[key], kind):
            problems.add((key,), f"must be {type_name(kind)}, not {_tname(data[key])}")
        elif kind is int and data[key] < 0:
            problems.add((key,), f"must not be negative, not {data[key]}")
        else:
            top[key] = convert(data[key], kind)
    return top


def _top_kwargs(top: dict[str, Param]) -> dict[str, Any]:
    return dict(top)


def _tname(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        str: "a string",
        list: "a list",
        dict: "a table",
        float: "a float",
    }.get(type(value), type(value).__name__)


def _rules(
    raw: object, problems: _Problems, *, complete: bool
) -> dict[str, tuple[Action | None, dict[str, Param]]]:
    out: dict[str, tuple[Action | None, dict[str, Param]]] = {}
    if not isinstance(raw, dict):
        problems.add(("rules",), f"must be a table, not {_tname(raw)}")
        return out
    for rule_id in sorted(set(raw) - set(RULES)):
        problems.add(("rules", rule_id), f"unknown rule (known: {', '.join(sorted(RULES))})")
    for rule_id in RULES:
        table = raw.get(rule_id)
        if table is None:
            if complete:
                problems.add(("rules", rule_id), "missing: a built-in level defines every rule")
        elif not isinstance(table, dict):
            problems.add(("rules", rule_id), f"must be a table, not {_tname(table)}")
        else:
            out[rule_id] = (
                _action(rule_id, table, problems, complete),
                _params(rule_id, table, problems, complete),
            )
    return out


def _action(rule_id: str, table: dict[str, Any], problems: _Problems, complete: bool) -> Action | None:
    if "action" not in table:
        if complete:
            problems.add(("rules", rule_id, "action"), "missing")
        return None
    value = table["action"]
    if value not in ACTIONS:
        problems.add(("rules", rule_id, "action"), f"must be one of {', '.join(ACTIONS)}, not {value!r}")
    elif rule_id == "malicious" and value != "fail":
        problems.add(
            ("rules", rule_id, "action"), "malicious packages fail at every level; it cannot be changed"
        )
    else:
        return Action(value)
    return None


def _params(rule_id: str, table: dict[str, Any], problems: _Problems, complete: bool) -> dict[str, Param]:
    declared = RULES[rule_id].params
    params: dict[str, Param] = {}
    for key in sorted(set(table) - {"action", *declared}):
        problems.add(
            ("rules", rule_id, key), f"unknown key (known: {', '.join(sorted({'action', *declared}))})"
        )
    for key, kind in declared.items():
        if key not in table:
            if complete:
                problems.add(("rules", rule_id, key), "missing")
            continue
        value = table[key]
        if not matches(value, kind):
            problems.add(("rules", rule_id, key), f"must be {type_name(kind)}, not {_tname(value)}")
        elif kind is int and value < 0:
            problems.add(("rules", rule_id, key), f"must not be negative, not {value}")
        elif (rule_id, key) in _ENUMS and value not in _ENUMS[rule_id, key]:
            problems.add(
                ("rules", rule_id, key), f"must be one of {', '.join(_ENUMS[rule_id, key])}, not {value!r}"
            )
        else:
            params[key] = convert(value, kind)
    return params
