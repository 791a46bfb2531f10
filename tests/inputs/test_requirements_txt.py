"""requirements*.txt: real files from public projects, hand-made cases per feature, malformed variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.errors import InputError
from supplychain.inputs.requirements_txt import read_requirements
from supplychain.model import Location, OriginKind

TEXT = Path(__file__).parents[1] / "fixtures" / "inputs" / "text"
REAL = TEXT / "real"
HAND = TEXT / "handmade"


def _pairs(path: Path) -> list[tuple[str, str, str | None, int | None]]:
    found = read_requirements(path)
    return [
        (d.name, str(d.requirement.specifier), str(d.requirement.marker) if d.requirement.marker else None,
         d.location.line)
        for d in found.requirements
    ]  # fmt: skip


# --- real files -------------------------------------------------------------------------------


def test_trl_requirements_without_final_newline() -> None:
    assert _pairs(REAL / "trl" / "requirements.txt") == [
        ("accelerate", ">=1.4.0", None, 1),
        ("datasets", ">=3.0.0", None, 2),
        ("transformers", ">=4.56.1", None, 3),
    ]


def test_inspect_ai_requirements_markers_and_inline_comments() -> None:
    pairs = _pairs(REAL / "inspect-ai" / "requirements.txt")
    assert len(pairs) == 33
    assert pairs[7] == ("exceptiongroup", ">=1.0.2", 'python_version < "3.11"', 8)
    assert pairs[8] == ("fsspec", "<=2025.3.0,>=2023.1.0", None, 9)  # "# align with hf…" dropped
    assert pairs[17] == ("nest-asyncio", "", None, 18)  # names are PEP 503-normalised
    assert pairs[-1] == ("zipp", ">=3.19.1", None, 33)


def test_pip_compile_output_is_all_pins_and_via_comments_are_ignored() -> None:
    found = read_requirements(REAL / "gh-action-pypi-publish" / "runtime.txt")
    assert len(found.requirements) == 33
    assert all(d.pinned_version is not None for d in found.requirements)
    requests = next(d for d in found.requirements if d.name == "requests")
    assert (str(requests.pinned_version), requests.location.line) == ("2.31.0", 57)


# --- hand-made features -----------------------------------------------------------------------


def test_hashes_on_continuation_lines_belong_to_the_first_line() -> None:
    found = read_requirements(HAND / "hashes.requirements.txt")
    certifi, idna = found.requirements
    assert certifi.location.line == 2
    assert certifi.hashes == (
        "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d",
        "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
    )
    assert idna.location.line == 5
    assert idna.hashes == ("sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6",)


def test_includes_and_constraints_are_relative_to_the_including_file() -> None:
    found = read_requirements(HAND / "includes" / "base.requirements.txt")
    where = [(d.name, Path(d.location.file).name, d.location.line) for d in found.requirements]
    assert where == [
        ("requests", "base.requirements.txt", 2),
        ("rich", "more.txt", 1),
        ("click", "leaf.txt", 1),
    ]
    assert [(d.name, str(d.requirement.specifier)) for d in found.constraints] == [
        ("urllib3", "<2"),
        ("idna", "==3.7"),
    ]


def test_environment_variables_expand_and_credentials_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SC_TEST_USER", "alice")
    monkeypatch.setenv("SC_TEST_TOKEN", "t0ps3cret")
    monkeypatch.setenv("SC_TEST_VERSION", "1.2.3")
    found = read_requirements(HAND / "env.requirements.txt")
    assert str(found.requirements[0].requirement) == "mypkg==1.2.3"
    (index,) = found.index_urls
    assert index.reveal() == "https://alice:t0ps3cret@pypi.internal.example/simple"
    assert "t0ps3cret" not in repr(found)
    assert "alice" not in str(index)


def test_unset_variable_is_an_error_with_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SC_TEST_USER", raising=False)
    with pytest.raises(InputError) as caught:
        read_requirements(HAND / "env.requirements.txt")
    assert caught.value.diagnostics() == (
        f"{HAND / 'env.requirements.txt'}:2: "
        "environment variable SC_TEST_USER is not set (used as ${SC_TEST_USER})"
    )


def test_vcs_and_url_references_get_origins_and_full_sha_commits() -> None:
    found = read_requirements(HAND / "vcs.requirements.txt")
    got = [
        (d.name, d.origin.kind if d.origin else None, d.origin.commit if d.origin else None)
        for d in found.requirements
    ]
    assert got == [
        ("sampleproject", OriginKind.VCS, "621e4974ca25ce531773def586ba3ed8e736b3fc"),
        ("requests", OriginKind.VCS, None),  # a tag is not a commit
        ("packaging", OriginKind.VCS, None),
        ("six", OriginKind.URL, None),
        ("attrs", OriginKind.URL, None),  # name learned from the sdist file name
        ("hgpkg", OriginKind.VCS, None),
    ]
    requests = found.requirements[1]
    assert requests.requirement.extras == {"socks"}
    assert str(found.requirements[3].requirement.marker) == 'python_version >= "3"'


def test_editables_are_marked_and_named_from_static_metadata() -> None:
    found = read_requirements(HAND / "editable.requirements.txt")
    assert [(d.name, d.editable, d.origin.kind if d.origin else None) for d in found.requirements] == [
        ("local-pkg", True, OriginKind.EDITABLE),
        ("poetry-pkg", True, OriginKind.EDITABLE),
        ("sampleproject", True, OriginKind.EDITABLE),
    ]
    assert found.requirements[1].requirement.extras == {"extra1"}
    assert found.requirements[0].origin is not None
    assert found.requirements[0].origin.url is not None
    assert found.requirements[0].origin.url.reveal() == (HAND / "localpkg").resolve().as_uri()
    assert found.requirements[2].origin is not None
    assert found.requirements[2].origin.commit == "621e4974ca25ce531773def586ba3ed8e736b3fc"


def test_local_paths_and_file_urls() -> None:
    found = read_requirements(HAND / "local.requirements.txt")
    assert [(d.name, d.origin.kind if d.origin else None) for d in found.requirements] == [
        ("local-pkg", OriginKind.PATH),  # [project].name
        ("cfg-pkg", OriginKind.PATH),  # setup.cfg [metadata] name
        ("poetry-pkg", OriginKind.PATH),  # file: URL with #egg=
        ("demo-pkg", OriginKind.PATH),  # wheel file name
    ]
    assert str(found.requirements[1].requirement.marker) == 'sys_platform == "linux"'


def test_a_directory_without_static_name_is_refused_and_setup_py_never_runs() -> None:
    marker = HAND / "noname-setup-py" / "SETUP_PY_RAN"
    with pytest.raises(InputError) as caught:
        read_requirements(HAND / "noname.requirements.txt")
    assert caught.value.diagnostics() == (
        f"{HAND / 'noname.requirements.txt'}:1: cannot learn the project name of './noname-setup-py': "
        "no '#egg=' fragment and no static name in its pyproject.toml or setup.cfg "
        "(supplychain never runs a build to find out)"
    )
    assert not marker.exists()


def test_index_options_are_recorded_as_safe_urls() -> None:
    found = read_requirements(HAND / "indexes.requirements.txt")
    assert [str(url) for url in found.index_urls] == [
        "https://***@pypi.internal.example/simple",
        "https://download.pytorch.org/whl/cpu",
        "https://***@extra.example/simple",
    ]
    assert [str(url) for url in found.find_links] == [
        (HAND / "wheels").resolve().as_uri(),
        "https://example.org/links/",
    ]
    assert found.no_index is True
    assert found.trusted_hosts == (
        ("pypi.internal.example", Location(file=str(HAND / "indexes.requirements.txt"), line=8)),
    )
    assert "s3cret" not in repr(found)


def test_extra_index_without_index_url_keeps_pypi_first(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n")
    assert [str(url) for url in read_requirements(path).index_urls] == [
        "https://pypi.org/simple/",
        "https://download.pytorch.org/whl/cpu",
    ]


def test_continuations_and_comments() -> None:
    assert _pairs(HAND / "continuation.requirements.txt") == [
        ("requests", ">=2.31", 'python_version >= "3.8"', 2),
        ("numpy", ">=1.26", None, 5),
        ("pandas", "==2.2.3", None, 7),
        ("scipy", "", None, 9),
    ]


# --- include limits ---------------------------------------------------------------------------


def test_include_cycle_names_the_cycle_at_the_closing_include(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("attrs\n-r b.txt\n")
    (tmp_path / "b.txt").write_text("six\n\n-r a.txt\n")
    with pytest.raises(InputError) as caught:
        read_requirements(tmp_path / "a.txt")
    assert caught.value.diagnostics() == f"{tmp_path / 'b.txt'}:3: include cycle: a.txt -> b.txt -> a.txt"


def test_a_file_may_be_included_twice_without_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r common.txt\n-c common.txt\n")
    (tmp_path / "common.txt").write_text("six==1.16.0\n")
    found = read_requirements(tmp_path / "a.txt")
    assert [d.name for d in found.requirements] == ["six"]
    assert [d.name for d in found.constraints] == ["six"]


def test_include_depth_is_bounded(tmp_path: Path) -> None:
    for index in range(40):
        (tmp_path / f"r{index}.txt").write_text(f"-r r{index + 1}.txt\n")
    (tmp_path / "r40.txt").write_text("six\n")
    with pytest.raises(InputError) as caught:
        read_requirements(tmp_path / "r0.txt")
    assert caught.value.diagnostics() == f"{tmp_path / 'r31.txt'}:1: includes nested deeper than 32 files"


def test_including_a_device_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("-r /dev/zero\n")
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    assert caught.value.diagnostics() == (
        f"{path}:1: '/dev/zero' is not a regular file, not a requirements file"
    )


# --- malformed variants: exact message with file:line ----------------------------------------

_LATER = "after a requirement on the same line"
MALFORMED: list[tuple[str, str, str]] = [
    (
        "bad-specifier",
        "requests===\n",
        "1: invalid requirement 'requests===': "
        "Expected semicolon (after name with no version specifier) or end",
    ),
    (
        "bad-marker",
        "ok\nnumpy>=1.26 ;; python_version>'3.8'\n",
        "2: invalid requirement \"numpy>=1.26 ;; python_version>'3.8'\": "
        "Expected a marker variable or quoted string",
    ),
    (
        "short-hash",
        "foo==1.0 --hash=sha256:abc\n",
        "1: --hash 'sha256:abc' is not of the form sha256:<64 hex digits> (sha384/sha512 also accepted)",
    ),
    (
        "md5-hash",
        f"foo==1.0 --hash=md5:{'0' * 32}\n",
        f"1: --hash 'md5:{'0' * 32}' is not of the form sha256:<64 hex digits> (sha384/sha512 also accepted)",
    ),
    ("unknown-option", "six\n\n--frobnicate\n", "3: unknown option '--frobnicate'"),
    ("unknown-option-after-requirement", "six --install-option=x\n", "1: unknown option '--install-option'"),
    ("option-missing-value", "--index-url\n", "1: option --index-url needs a value"),
    ("index-not-url", "-i not-a-url\n", "1: --index-url 'not-a-url' is not a URL"),
    ("hash-without-requirement", f"--hash=sha256:{'a' * 64}\n", f"1: option --hash belongs {_LATER}"),
    (
        "missing-include",
        "six\n-r nope.txt\n",
        "2: cannot read included file '{dir}/nope.txt': No such file or directory",
    ),
    (
        "remote-include",
        "-r https://example.org/r.txt\n",
        "1: --requirement 'https://example.org/r.txt': remote requirement files are not fetched; "
        "download it first",
    ),
    ("editable-from-index", "-e requests\n", "1: --editable needs a local path or VCS URL, not 'requests'"),
    (
        "url-without-name",
        "https://example.org/download/latest\n",
        "1: cannot learn the project name of https://example.org/download/latest: "
        "add '#egg=<name>' or write '<name> @ <url>'",
    ),
    ("missing-local-path", "./not-here\n", "1: local path './not-here' does not exist ({dir}/not-here)"),
    ("unbalanced-quote", "--index-url 'https://x\n", "1: cannot split options: No closing quotation"),
]


@pytest.mark.parametrize(("name", "content", "expected"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_requirements_name_file_and_line(
    name: str, content: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / f"{name}.requirements.txt"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    assert caught.value.diagnostics() == f"{path}:" + expected.replace("{dir}", str(tmp_path))
    assert caught.value.exit_code == 2


def test_binary_file_is_refused_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")  # no byte-order mark: not UTF-8
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    assert caught.value.diagnostics() == (
        f"{path}: not UTF-8 text, nor UTF-16/UTF-32 with a byte-order mark (binary file?)"
    )


@pytest.mark.parametrize("password", ["hunter2", "hun@ter2", "hun'ter2"])
def test_credentials_in_echoed_input_are_masked(tmp_path: Path, password: str) -> None:
    """A raw "@" in the password once left "ter2" in the message (the input scrubber stopped at the first)."""
    path = tmp_path / "requirements.txt"
    path.write_text(f"foo @ https://bob:{password}@internal.example/foo-1.0.whl ;; bad\n")
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    assert "ter2" not in caught.value.diagnostics()
    assert "https://***@internal.example/foo-1.0.whl" in caught.value.diagnostics()


def test_a_path_too_long_for_the_file_system_is_an_input_error(tmp_path: Path) -> None:
    """Found by the property test: an OSError from the file system must not escape as a traceback."""
    path = tmp_path / "requirements.txt"
    body = "a" * 300 + "\\b"
    path.write_text(body + "\n")
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    assert caught.value.diagnostics() == f"{path}:1: cannot use local path {body!r}: File name too long"


def test_named_local_path_and_editable_dot_with_extras(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "Proj_Name"\n')
    path = project / "requirements.txt"
    path.write_text("-e .[dev,test]\nother @ ./sub ; python_version >= '3.10'\n")
    (project / "sub").mkdir()
    found = read_requirements(path)
    editable, named = found.requirements
    assert (editable.name, editable.editable, editable.requirement.extras) == (
        "proj-name",
        True,
        {"dev", "test"},
    )
    assert named.origin is not None
    assert named.origin.kind is OriginKind.PATH
    assert str(named.requirement) == f'other @ {(project / "sub").as_uri()} ; python_version >= "3.10"'


def test_hashes_on_a_url_requirement_reach_its_origin(tmp_path: Path) -> None:
    digest = "b" * 64
    path = tmp_path / "requirements.txt"
    path.write_text(f"six @ https://example.org/six-1.16.0-py2.py3-none-any.whl --hash=sha256:{digest}\n")
    (six,) = read_requirements(path).requirements
    assert six.hashes == (f"sha256:{digest}",)
    assert six.origin is not None
    assert six.origin.hashes == (f"sha256:{digest}",)
    assert six.origin.kind is OriginKind.URL


@pytest.mark.parametrize(
    "codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_a_file_with_a_byte_order_mark_is_read_as_pip_reads_it(tmp_path: Path, codec: str) -> None:
    """Windows editors save UTF-16 with a BOM; pip decodes by the BOM, this refused it as binary."""
    path = tmp_path / "requirements.txt"
    text = "# café\nrequests==2.32.3\nsix>=1.16 ; python_version < '3.12'\n"
    data = text.encode(codec)
    if codec in {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}:  # these codecs write no BOM themselves
        data = "\ufeff".encode(codec) + data
    path.write_bytes(data)
    found = read_requirements(path)
    assert [(str(d.requirement), d.location.line) for d in found.requirements] == [
        ("requests==2.32.3", 2),
        ('six>=1.16; python_version < "3.12"', 3),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--index-url ${SC_TEST_TOKEN}", "--index-url '${SC_TEST_TOKEN}' is not a URL"),
        (
            "--extra-index-url=${SC_TEST_TOKEN}/simple",
            "--extra-index-url '${SC_TEST_TOKEN}/simple' is not a URL",
        ),
        ("mypkg==${SC_TEST_TOKEN}", "${SC_TEST_TOKEN}"),
        ("mypkg @ ${SC_TEST_TOKEN}", "${SC_TEST_TOKEN}"),
    ],
)
def test_an_error_on_a_line_with_an_expanded_value_prints_the_var_form_not_the_value(
    line: str, message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SC_TEST_TOKEN", "n0t-a-url-S3CRET")
    path = tmp_path / "requirements.txt"
    path.write_text(f"six==1.17.0\n{line}\n")
    with pytest.raises(InputError) as caught:
        read_requirements(path)
    shown = caught.value.diagnostics()
    assert "S3CRET" not in shown
    assert shown.startswith(f"{path}:2: ")
    assert message in shown


def test_an_expanded_value_in_a_url_prints_as_the_var_form(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SC_TEST_TOKEN", "S3CRET")
    path = tmp_path / "requirements.txt"
    path.write_text(
        "--extra-index-url https://pypi.internal.example/${SC_TEST_TOKEN}/simple/\n"
        "--find-links https://files.internal.example/${SC_TEST_TOKEN}/\n"
        "mypkg @ https://files.internal.example/${SC_TEST_TOKEN}/mypkg-1.0-py3-none-any.whl\n"
    )
    found = read_requirements(path)
    origin = found.requirements[0].origin
    assert origin is not None
    assert origin.url is not None
    urls = [*found.index_urls, *found.find_links, origin.url]
    assert [u.reveal() for u in urls[1:]] == [
        "https://pypi.internal.example/S3CRET/simple/",
        "https://files.internal.example/S3CRET/",
        "https://files.internal.example/S3CRET/mypkg-1.0-py3-none-any.whl",
    ]
    assert [str(u) for u in urls[1:]] == [
        "https://pypi.internal.example/${SC_TEST_TOKEN}/simple/",
        "https://files.internal.example/${SC_TEST_TOKEN}/",
        "https://files.internal.example/${SC_TEST_TOKEN}/mypkg-1.0-py3-none-any.whl",
    ]
    assert [u.expanded for u in urls] == [False, True, True, True]
