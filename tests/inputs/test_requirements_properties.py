"""Property tests: valid lines keep names and specifiers; garbage raises nothing but InputError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from supplychain.errors import InputError
from supplychain.inputs.requirements_txt import logical_lines, parse_requirement_line, read_requirements
from supplychain.model import Location

NAMES = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?\Z")
VERSIONS = st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)
OPERATORS = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])
CLAUSES = st.tuples(OPERATORS, VERSIONS).filter(lambda c: c[0] != "~=" or "." in c[1]).map("".join)
EXTRAS = st.lists(st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z"), max_size=3, unique=True)
MARKERS = st.sampled_from([None, 'python_version < "3.12"', "sys_platform == 'linux'", 'extra == "x"'])
WHERE = Location(file="generated.txt", line=1)


def _problem_reading(path: Path) -> InputError | None:
    """Read ``path``; any exception other than InputError propagates and fails the test."""
    try:
        read_requirements(path)
    except InputError as problem:
        return problem
    return None


@given(name=NAMES, clauses=st.lists(CLAUSES, max_size=3), extras=EXTRAS, marker=MARKERS, spaced=st.booleans())
def test_generated_lines_round_trip(
    name: str, clauses: list[str], extras: list[str], marker: str | None, spaced: bool
) -> None:
    separator = ", " if spaced else ","
    line = name + (f"[{','.join(extras)}]" if extras else "") + separator.join(clauses)
    if marker:
        line += f" ; {marker}"
    with tempfile.TemporaryDirectory() as empty:
        declared = parse_requirement_line(line, WHERE, base=Path(empty))
    assert declared.name == canonicalize_name(name)
    assert declared.requirement.specifier == SpecifierSet(",".join(clauses))
    assert declared.requirement.extras == set(extras)
    expected_marker = None if marker is None else str(Marker(marker))
    assert (str(declared.requirement.marker) if declared.requirement.marker else None) == expected_marker
    assert declared.origin is None
    assert declared.location == WHERE


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_garbage_files_raise_only_input_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "requirements.txt"
        path.write_text(text, encoding="utf-8")
        problem = _problem_reading(path)
    if problem is not None:
        assert problem.location is not None  # every input error names a file


@given(
    lines=st.lists(
        st.sampled_from(["six", "attrs==1", "# c", "", "  ", "x \\", "--pre", "y>1  # t", "\\"]),
        max_size=12,
    )
)
def test_logical_lines_start_at_a_physical_line_and_never_keep_comments(lines: list[str]) -> None:
    for logical in logical_lines("\n".join(lines)):
        assert 1 <= logical.number <= len(lines)
        assert logical.text == logical.text.strip()
        assert logical.text
        assert " #" not in logical.text
        assert not logical.text.startswith("#")


TOKENS = st.sampled_from([
    "six", "x", "==", ">=1", "1.0", "[", "]", "a,b", ";", " ; ", "python_version", "<", '"3"', "@", " @ ",
    "git+https://h/r", "@v1", "#egg=", "#egg=n", "file:", "./", "../", "-r", "-c", "-e", "-i", "--hash=",
    "sha256:", "a" * 64, "--index-url", "--no-index", "--find-links=", "${", "}", "${HOME}", "\\", "\n",
    " ", "#", "'", "--", "-", ".whl", ".tar.gz", "=", "\t",
])  # fmt: skip


@given(tokens=st.lists(TOKENS, max_size=25))
@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
def test_requirement_shaped_garbage_raises_only_input_error(tokens: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "requirements.txt"
        path.write_text("".join(tokens), encoding="utf-8")
        problem = _problem_reading(path)
    if problem is not None:
        assert problem.diagnostics().startswith(str(path))


LINE_PIECES = st.sampled_from(
    ["six", "attrs==1", "#", "# c", " # c", "x#y", "", " ", "\t", "\\", " \\", "--pre", "y>1", "a ; b", "z"]
)


@settings(deadline=None)  # the first example imports pip's req_file: seconds on a loaded machine
@given(lines=st.lists(st.lists(LINE_PIECES, max_size=4).map("".join), max_size=10))
def test_logical_lines_agree_with_pip(lines: list[str]) -> None:
    """pip's own preprocessing (continuations, then comments) is the reference for line numbers and text."""
    req_file = pytest.importorskip("pip._internal.req.req_file", reason="pip is the reference implementation")
    content = "\n".join(lines)
    ours = [(line.number, line.text) for line in logical_lines(content)]
    assert ours == list(req_file.preprocess(content))
