"""PDM's ``[[tool.pdm.source]]``: indexes asked, and names ``include_packages``/``exclude_packages`` pin.

The real project is PDM's own test fixture ``tests/fixtures/projects/demo-package`` (pyproject.toml and
pdm.lock, verbatim); the filter cases are PDM's ``test_filter_sources_with_config``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs import InputOptions, reader
from supplychain.inputs.pdm_sources import PdmSources
from supplychain.inputs.pyproject import read_pyproject
from supplychain.locate import Locator
from supplychain.model import LockedSet, OriginKind
from supplychain.target import Target
from supplychain.tomlfile import loads_toml

DEMO = Path(__file__).parents[1] / "fixtures" / "inputs" / "locks" / "pdm-demo-package"
PYPI = "https://pypi.org/simple/"
TESTPYPI = "https://test.pypi.org/simple"


def _lock(directory: Path) -> LockedSet:
    result = reader("pdm-lock").read(
        directory / "pdm.lock", InputOptions(target=Target.parse("3.11", "linux"))
    )
    assert isinstance(result, LockedSet)
    return result


def _sources(text: str) -> PdmSources:
    data = loads_toml(text, "pyproject.toml")
    return PdmSources(data["tool"]["pdm"], Locator(text, "pyproject.toml"))


def _demo(tmp_path: Path, extra: str = "") -> Path:
    """PDM's demo-package copied, with ``extra`` appended to its pyproject (the lock is unchanged)."""
    (tmp_path / "pdm.lock").write_bytes((DEMO / "pdm.lock").read_bytes())
    text = (DEMO / "pyproject.toml").read_text(encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(text + extra, encoding="utf-8")
    return tmp_path


def test_pdm_demo_package_lock_asks_pypi_then_its_source_and_pins_nothing() -> None:
    """An extra source works as ``--extra-index-url`` does: PyPI first, nothing bound to either."""
    locked = _lock(DEMO)
    assert [str(url) for url in locked.index_urls] == [PYPI, TESTPYPI]
    assert {p.ref.name: p.origin.pinned for p in locked.packages} == {
        "click": False,
        "flask": False,
        "itsdangerous": False,
        "jinja2": False,
        "markupsafe": False,
        "werkzeug": False,
    }
    assert all(p.origin.url is None for p in locked.packages)


def test_pdm_demo_package_lock_with_include_packages_pins_flask_to_its_source(tmp_path: Path) -> None:
    """``include_packages = ["flask"]``: PDM asks testpypi only for flask, every source for the rest."""
    extra = 'include_packages = ["Flask"]\n'  # appended inside the last [[tool.pdm.source]]
    locked = _lock(_demo(tmp_path, extra))
    flask = next(p for p in locked.packages if p.ref.name == "flask")
    assert flask.origin.kind is OriginKind.INDEX
    assert (str(flask.origin.url), flask.origin.pinned) == (TESTPYPI, True)
    assert flask.origin.hashes  # the lock's hashes are kept
    others = [p for p in locked.packages if p.ref.name != "flask"]
    assert [(p.origin.url, p.origin.pinned) for p in others] == [(None, False)] * 5


def test_pdm_demo_package_pyproject_pins_a_declared_name_its_source_includes(tmp_path: Path) -> None:
    found = read_pyproject(_demo(tmp_path, 'include_packages = ["fl*"]\n') / "pyproject.toml")
    assert [str(url) for url in found.index_urls] == [PYPI, TESTPYPI]
    assert [(name, str(url)) for name, url in found.index_pins] == [("flask", TESTPYPI)]


def test_pdm_demo_package_pyproject_without_filters_pins_nothing() -> None:
    found = read_pyproject(DEMO / "pyproject.toml")
    assert [str(url) for url in found.index_urls] == [PYPI, TESTPYPI]
    assert found.index_pins == ()


PDM_FILTER_CASE = """
[[tool.pdm.source]]
name = "source1"
url = "https://source1.org/simple"
include_packages = ["foo", "foo-*"]

[[tool.pdm.source]]
name = "source2"
url = "https://source2.org/simple"
include_packages = ["foo-bar", "bar*"]
exclude_packages = ["baz-*"]

[[tool.pdm.source]]
name = "pypi"
url = "https://pypi.org/simple"
"""


@pytest.mark.parametrize(
    ("name", "pin"),
    [
        ("foo", "https://source1.org/simple"),  # PDM: [source1]
        ("foo-baz", "https://source1.org/simple"),  # [source1]
        ("Foo_Baz", "https://source1.org/simple"),  # the same name, PEP 503 spelled
        ("foo-bar", None),  # [source1, source2]: two indexes, not pinned
        ("bar-extra", "https://source2.org/simple"),  # [source2]
        ("baz-extra", None),  # [source1, pypi]: excluded from source2 only
        ("other", None),  # every source
    ],
)
def test_pdm_own_filter_cases_pin_a_name_left_with_one_index(name: str, pin: str | None) -> None:
    found = _sources(PDM_FILTER_CASE).pin(name)
    assert (str(found) if found is not None else None) == pin


def test_handmade_exclude_from_pypi_pins_the_internal_names_to_the_internal_index() -> None:
    """``exclude_packages`` on the ``pypi`` source: PDM asks the internal index only for corp-*."""
    sources = _sources(
        '[[tool.pdm.source]]\nname = "pypi"\nurl = "https://pypi.org/simple"\n'
        'exclude_packages = ["corp-*"]\n'
        '[[tool.pdm.source]]\nname = "corp"\nurl = "https://pkgs.corp.example/simple"\n'
    )
    assert str(sources.pin("corp-tool")) == "https://pkgs.corp.example/simple"
    assert sources.pin("requests") is None
    assert [str(u) for u in sources.index_urls()] == [
        "https://pypi.org/simple",
        "https://pkgs.corp.example/simple",
    ]


def test_handmade_include_on_two_spellings_of_one_index_is_still_a_pin() -> None:
    """Two sources naming one index (credentials, trailing slash) leave one index: compared as URLs."""
    sources = _sources(
        '[[tool.pdm.source]]\nname = "a"\nurl = "https://u:p@pkgs.corp.example/simple/"\n'
        'include_packages = ["corp-*"]\n'
        '[[tool.pdm.source]]\nname = "b"\nurl = "https://pkgs.corp.example/simple"\n'
        'include_packages = ["corp-*"]\n'
    )
    assert sources.pin("corp-tool") is not None


def test_handmade_include_on_a_find_links_source_or_a_source_without_url_is_no_index_pin() -> None:
    """A find-links directory is not an index, and a url set only in PDM's user config is unseen."""
    sources = _sources(
        '[[tool.pdm.source]]\nname = "local"\nurl = "file:///wheels"\ntype = "find_links"\n'
        'include_packages = ["corp-*"]\n'
        '[[tool.pdm.source]]\nname = "secret"\ninclude_packages = ["acme-*"]\n'
    )
    assert sources.pin("corp-tool") is None
    assert sources.pin("acme-tool") is None
    assert [str(u) for u in sources.index_urls()] == [PYPI]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[tool.pdm.source]]\nurl = "https://x.example/simple"\n',
            "each [[tool.pdm.source]] needs a 'name'",
        ),
        (
            '[[tool.pdm.source]]\nname = "x"\nurl = "https://x.example/simple"\ninclude_packages = "x"\n',
            "[[tool.pdm.source]] 'x': 'include_packages' must be an array of strings",
        ),
        (
            '[[tool.pdm.source]]\nname = "x"\nurl = "https://x.example/simple"\ntype = "git"\n',
            "[[tool.pdm.source]] 'x': 'type' must be",
        ),
    ],
)
def test_handmade_malformed_pdm_source_is_an_input_error_at_its_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "app"\nversion = "0"\n' + body, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_pyproject(path)
    assert raised.value.message.startswith(message)
    assert raised.value.location is not None
    assert raised.value.location.line == 4
