"""The resolver's filename pre-filter drops only wheels the target cannot install (recorded torch page)."""

from __future__ import annotations

import json
from pathlib import Path

from packaging.utils import parse_wheel_filename

from supplychain.net.simple import parse_json_page
from supplychain.target import Target

TARGET = Target.parse("3.11", "x86_64-manylinux_2_28")
TORCH = Path(__file__).parents[1] / "fixtures" / "resolve" / "pypi" / "simple" / "torch" / "index.json"


def fits(filename: str) -> bool:
    """The full check the provider makes: any of the wheel's tags among the target's."""
    return any(tag in TARGET.tag_priority for tag in parse_wheel_filename(filename)[3])


def test_the_filter_agrees_with_the_full_tag_check_on_every_kind_of_wheel() -> None:
    names = [
        "torch-2.12.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "torch-2.12.0-cp311-cp311-manylinux_2_28_aarch64.whl",
        "torch-2.12.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torch-2.12.0-cp311-cp311-win_amd64.whl",
        "numpy-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "numpy-2.0-cp311-cp311-manylinux_2_34_x86_64.whl",  # newer glibc than the target
        "pydantic_core-2.0-cp38-abi3-manylinux_2_17_x86_64.whl",
        "six-1.17.0-py2.py3-none-any.whl",
        "tool-1.0-1build-py3-none-any.whl",  # a build tag
        "Odd-1.0-CP311-CP311-MANYLINUX_2_28_X86_64.whl",  # upper case, as parse_tag lowers it
    ]
    for name in names:
        assert TARGET.file_may_fit(name) == fits(name), name


def test_sdists_and_malformed_names_are_left_to_the_full_parser() -> None:
    assert TARGET.file_may_fit("torch-2.12.0.tar.gz")
    assert TARGET.file_may_fit("broken.whl")


def test_a_filtered_page_keeps_exactly_the_wheels_the_target_can_use() -> None:
    data = json.loads(TORCH.read_text())  # recorded trimmed to x86_64 Linux: add the other kinds back
    first = data["files"][0]
    data["files"] += [
        {**first, "filename": "torch-2.12.0-cp311-cp311-macosx_14_0_arm64.whl"},
        {**first, "filename": "torch-2.12.0-cp313-cp313-manylinux_2_28_x86_64.whl"},
    ]
    whole = parse_json_page(data, "https://pypi.org/simple/torch/")
    kept = parse_json_page(data, "https://pypi.org/simple/torch/", keep=TARGET.file_may_fit)
    usable = [f.filename for f in whole.files if not f.filename.endswith(".whl") or fits(f.filename)]
    assert [f.filename for f in kept.files] == usable
    assert len(kept.files) < len(whole.files)
