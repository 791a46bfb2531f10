"""supplychain.locate: the line of a key, table or string, counted as tomllib counts lines."""

from __future__ import annotations

import tomllib

from supplychain.locate import Locator, array_lines, key_path_line, line_of, top_level_line

POLICY = """\
extends = "sl3"  # \u2028 a line separator, which is no TOML newline
allowed_licenses = [
  ["nested"],
]
low-use-internal = 0

[rules]
indie-maintained = { action = "warn" }

[rules.'young-project']
action = "warn"
min_age_days = "ninety"

[rules.yanked.extra]
x = 1
"""


def test_the_text_is_valid_toml() -> None:
    assert tomllib.loads(POLICY)["rules"]["young-project"]["min_age_days"] == "ninety"


def test_key_paths_point_at_the_key_its_table_or_its_parent() -> None:
    assert key_path_line(POLICY, ("extends",)) == 1
    assert key_path_line(POLICY, ("low-use-internal",)) == 5  # after a multi-line array holding "["
    assert key_path_line(POLICY, ("rules",)) == 7
    assert key_path_line(POLICY, ("rules", "indie-maintained")) == 8  # a key in its parent's table
    assert key_path_line(POLICY, ("rules", "young-project")) == 10
    assert key_path_line(POLICY, ("rules", "young-project", "min_age_days")) == 12
    assert key_path_line(POLICY, ("rules", "young-project", "missing")) == 10  # the table then
    assert key_path_line(POLICY, ("rules", "yanked", "action")) == 14  # only written as a sub-table
    assert key_path_line(POLICY, ("nowhere",)) is None


def test_top_level_keys_and_array_headers() -> None:
    text = 'version = 1\n\n[[package]]  # first\nname = "a"\n[[ "package" ]]\nversion = "2"\n'
    assert top_level_line(text, "version") == 1
    assert top_level_line(text, "package") == 3
    assert array_lines(text, "package") == [3, 5]
    assert line_of(text, '"2"') == 6
    assert line_of(text, "name", start=text.index("[[ ")) is None


def test_locator_finds_keys_and_strings_after_a_line() -> None:
    text = (
        '[project]\nname = "x"  # \u2028\ndependencies = [\n  "a",\n  \'b\',\n]\n'
        "[tool.uv]\ndev-dependencies = []\n"
    )
    assert tomllib.loads(text)["project"]["dependencies"] == ["a", "b"]
    locator = Locator(text, "pyproject.toml")
    assert locator.header("tool", "uv") == 7
    assert locator.key("dependencies", 1) == 3
    assert locator.key("dev-dependencies", 7) == 8
    assert locator.key("absent", 2) == 2
    assert locator.string("a", 3) == 4
    assert locator.string("b", 3) == 5
    assert locator.string("c", 3) == 3
    assert locator.containing("]", 4) == 6
