"""An installed conda environment audited end to end: conda packages fail untrusted-source with their
channel, none is asked of PyPI, and pip's package beside them is audited as PyPI's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli import main

ENV = Path(__file__).parent / "fixtures" / "inputs" / "conda" / "conda-meta" / "envpy313tosx_whl"


def test_audit_of_an_installed_conda_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(
            ["audit", str(ENV), "--offline", "--policy", "sl3", "--format", "json", "--output", str(tmp_path)]
        )
    capsys.readouterr()
    report = json.loads((tmp_path / "supplychain.json").read_text(encoding="utf-8"))
    assert report["scope"]["kind"] == "installed"
    origins = {package["name"]: package["origin"]["kind"] for package in report["packages"]}
    assert len(origins) == 17
    assert {name for name, kind in origins.items() if kind != "conda"} == {"imagesize"}
    untrusted = {f["package"]["name"] for f in report["findings"] if f["rule"] == "untrusted-source"}
    assert untrusted == {name for name, kind in origins.items() if kind == "conda"}
    python = next(package for package in report["packages"] if package["name"] == "python")
    assert python["facts"]["advisories"] == {
        "source": "conda",
        "unknown": "conda package: PyPI facts do not apply (a conda package is not a PyPI project)",
    }
