"""Every registry key round-trips to its class, and the lazy registries stay lazy.

CLI choices come from these keys (``--input-format``, ``--source``, ``--format``, policy tables), so
a key whose object carries another id would name one thing and run another.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from supplychain.inputs import INPUTS, reader
from supplychain.policy import RULES
from supplychain.report import RENDERER_CLASSES, RENDERERS
from supplychain.sources.enrich import SOURCES, SourceUnavailableError, load_source


def test_every_input_id_round_trips_to_its_reader_class() -> None:
    locks = ["uv-lock", "poetry-lock", "pdm-lock", "pipfile-lock", "pylock", "conda-lock"]
    texts = ["pyproject", "requirements", "environment-yml"]
    assert list(INPUTS) == [*locks, *texts, "conda-meta", "installed"]  # detection order
    for input_id, load in INPUTS.items():
        cls = load()
        assert cls.id == input_id
        assert type(reader(input_id)) is cls


def test_every_source_id_round_trips_to_its_class() -> None:
    assert sorted(SOURCES) == [
        "integrity",
        "inventory",
        "osv",
        "popularity",
        "pypi",
        "simple",
        "startup-hooks",
    ]
    for source_id, cls in SOURCES.items():
        assert cls.id == source_id
        assert type(load_source(source_id)) is cls


def test_an_unknown_source_id_is_a_clear_error() -> None:
    with pytest.raises(SourceUnavailableError, match=r"unknown source 'ghost' \(known: integrity, inventory"):
        load_source("ghost")


def test_every_renderer_id_round_trips_to_its_class() -> None:
    assert list(RENDERERS) == list(RENDERER_CLASSES) == ["json", "sarif", "cyclonedx", "markdown", "html"]
    for renderer_id, load in RENDERER_CLASSES.items():
        cls = load()
        assert cls.id == renderer_id
        assert type(RENDERERS[renderer_id]) is cls


def test_every_rule_id_round_trips() -> None:
    assert len(RULES) > 10
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id


def test_renderers_and_readers_are_imported_only_when_used() -> None:
    """Start-up stays cheap: jinja2 and the SBOM library load when a report is rendered, readers when read."""
    probe = (
        "import sys\n"
        "import supplychain.cli.audit, supplychain.report, supplychain.inputs.detect\n"
        "heavy = ('jinja2', 'cyclonedx', 'supplychain.report.html', 'supplychain.inputs.installed')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
        "from supplychain.report import RENDERERS\n"
        "RENDERERS['html']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.splitlines() == ["[]", "['jinja2', 'supplychain.report.html']"]
