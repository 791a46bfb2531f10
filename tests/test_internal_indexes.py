"""Internal packages against two loopback indexes: an HTML internal one and a JSON "public" one.

The public server plays PyPI (Simple JSON, JSON API, Integrity API, pypistats, OSV) and logs every
request path and body: no internal name may appear there, except on the public index's own Simple
pages when the input itself tells the installer to ask that index (``--extra-index-url``), which is
the very request whose answer is dependency confusion.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli import audit as audit_cli
from supplychain.cli import inventory as inventory_cli
from supplychain.clock import FixedClock
from tests.policy.recorded import FETCHED
from tests.resolve.support import HandIndex
from tests.sources.pypi_support import PYPI_FIXTURES, point_endpoints
from tests.support.indexes import HtmlIndex, PublicLog
from tests.support.osv_api import OsvApi
from tests.support.server import ReplayServer
from tests.test_audit_cli import run

CLOCK = FixedClock(FETCHED)


@pytest.fixture
def internal() -> HtmlIndex:
    server = ReplayServer().start()
    yield HtmlIndex(server)  # type: ignore[misc]
    server.stop()


@pytest.fixture
def public(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PublicLog:
    """PyPI on loopback: recorded real pages and documents, every endpoint pointed at it."""
    server.mount("/", PYPI_FIXTURES)
    OsvApi([]).install(server)
    point_endpoints(monkeypatch, server)
    monkeypatch.setenv("SUPPLYCHAIN_OSV_URL", server.url + "/")
    monkeypatch.setattr(audit_cli, "clock_factory", lambda: CLOCK)
    monkeypatch.setattr(inventory_cli, "CLOCK", CLOCK)
    monkeypatch.chdir(tmp_path)
    return PublicLog(server)


def _findings(document: dict[str, object], name: str, rule: str | None = None) -> list[dict[str, object]]:
    return [
        f
        for f in document["findings"]  # type: ignore[attr-defined]
        if f["package"] and f["package"]["name"] == name and (rule is None or f["rule"] == rule)
    ]


# --- dependency confusion ---------------------------------------------------------------------


@pytest.mark.parametrize("internal_first", [True, False])
def test_a_shadowed_internal_name_is_dependency_confusion_at_sl3_in_either_index_order(
    internal: HtmlIndex, public: PublicLog, capsys: pytest.CaptureFixture[str], internal_first: bool
) -> None:
    """pip merges both indexes (the highest version wins), uv takes the first that has the name:
    either way the attacker's 99.0 on the public index can be the one installed. Before, this was
    flagged only when the internal index came first (the public copy looked like a public package)."""
    internal.wheel("corp-tool", "1.0")
    HandIndex(public.server).wheel("corp-tool", "99.0")
    Path("supplychain.toml").write_text(f'internal-indexes = ["{internal.url}"]\n')
    Path("requirements.txt").write_text("corp-tool\n")
    first, second = (internal.url, f"{public.server.url}/simple/")[:: 1 if internal_first else -1]
    args = ["audit", "requirements.txt", "--index-url", first, "--extra-index-url", second]
    code, out, err = run([*args, "--policy", "sl3", "--format", "json"], capsys)
    assert code == 3, out + err  # advisories are unknown for an internal package: SL3 fails closed on them
    failing = [f for f in _findings(json.loads(out), "corp-tool", "data-unknown") if f["action"] == "fail"]
    assert [f["evidence"] for f in failing] == [
        {
            "fact": "advisories",
            "reason": "internal package: not covered by public advisory data",
            "rules": ["vulnerability"],
            "source": "internal",
        },
        {
            "fact": "malicious_reports",
            "reason": "internal package: not covered by public malicious-package reports",
            "rules": ["malicious"],
            "source": "internal",
        },
    ]
    # Reviewed and exempted, the confusion is what fails.
    Path("exemptions.toml").write_text(
        'version = 1\n[[exempt]]\nname = "corp-tool"\nfacts = ["advisories", "malicious_reports"]\n'
        'reason = "our own code: no public advisory covers it"\nexpires = 2026-12-31\n'
    )
    code, out, err = run(
        [*args, "--policy", "sl3", "--exemptions", "exemptions.toml", "--format", "json"], capsys
    )
    assert code == 1, out + err
    document = json.loads(out)
    (finding,) = _findings(document, "corp-tool", "dependency-confusion")
    served = first
    assert finding["action"] == "fail"
    internal_offer = f"{internal.url} offers 1.0"
    public_offer = f"{public.server.url}/simple/ offers 99.0"
    offers = [internal_offer, public_offer] if internal_first else [public_offer, internal_offer]
    assert finding["message"] == (
        f"internal package corp-tool is offered by 2 indexes the installer asks ({'; '.join(offers)}); "
        f"{served} served it"
    )
    # The public index's Simple pages are what the installer asks too; no fact service is asked.
    assert {path.split("/")[1] for path in public.mentions("corp-tool")} <= {"simple", "files"}


def test_a_name_the_input_pins_to_the_internal_index_is_asked_of_no_other_index(
    internal: HtmlIndex, public: PublicLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """uv asks a pinned name of its index only, so the public copy can never be installed."""
    internal.wheel("corp-tool", "1.0")
    HandIndex(public.server).wheel("corp-tool", "99.0")
    Path("supplychain.toml").write_text(f'internal-indexes = ["{internal.url}"]\n')
    Path("pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["corp-tool"]\n'
        "[[tool.uv.index]]\n"
        f'name = "corp"\nurl = "{internal.url}"\nexplicit = true\n'
        '[tool.uv.sources]\ncorp-tool = { index = "corp" }\n'
    )
    code, out, err = run(["audit", "pyproject.toml", "--policy", "sl3", "--format", "json"], capsys)
    assert code == 3, out + err  # its advisories are unknown (internal), nothing else fails
    document = json.loads(out)
    (package,) = [p for p in document["packages"] if p["name"] == "corp-tool"]
    assert package["version"] == "1.0"
    assert _findings(document, "corp-tool", "dependency-confusion") == []
    assert package["facts"]["index_offers"]["value"] == [{"index": internal.url, "versions": ["1.0"]}]
    assert public.mentions("corp-tool") == []


def _pdm_lock(name: str, version: str, digest: str) -> str:
    """A pdm.lock of one package as PDM 2.x writes it: file names and hashes, no index."""
    dist = name.replace("-", "_")
    return (
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\nlock_version = "4.5.0"\n'
        'content_hash = "sha256:00"\n\n'
        f'[[package]]\nname = "{name}"\nversion = "{version}"\nsummary = ""\ngroups = ["default"]\n'
        f'files = [\n    {{file = "{dist}-{version}-py3-none-any.whl", hash = "sha256:{digest}"}},\n]\n'
    )


@pytest.mark.parametrize("input_file", ["pyproject.toml", "pdm.lock"])
@pytest.mark.parametrize("bound", [True, False])
def test_a_pdm_source_include_packages_pins_the_name_to_the_internal_index(
    internal: HtmlIndex,
    public: PublicLog,
    capsys: pytest.CaptureFixture[str],
    bound: bool,
    input_file: str,
) -> None:
    """PDM asks PyPI and every ``[[tool.pdm.source]]``, except for a name a source's
    ``include_packages`` binds to it: then the public copy can never be installed. pdm.lock records
    no index, so PDM installs it through the same filter. Unbound, the same project is confusion."""
    digest = internal.wheel("corp-tool", "1.0")
    HandIndex(public.server).wheel("corp-tool", "99.0")
    Path("supplychain.toml").write_text(f'internal-indexes = ["{internal.url}"]\n')
    Path("pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["corp-tool"]\n'
        f'[[tool.pdm.source]]\nname = "corp"\nurl = "{internal.url}"\n'
        + ('include_packages = ["corp-*"]\n' if bound else "")
    )
    Path("pdm.lock").write_text(_pdm_lock("corp-tool", "1.0", digest))
    code, out, err = run(["audit", input_file, "--policy", "sl3", "--format", "json"], capsys)
    assert out, err
    document = json.loads(out)
    confusion = _findings(document, "corp-tool", "dependency-confusion")
    if bound:
        assert code == 3, out + err  # its advisories are unknown (internal), nothing else fails
        (package,) = [p for p in document["packages"] if p["name"] == "corp-tool"]
        assert package["version"] == "1.0"
        assert confusion == []
        assert public.mentions("corp-tool") == []
    else:
        assert [f["action"] for f in confusion] == ["fail"], out + err


# --- done means: internal tools at SL5, from an HTML index, with a recorded inventory --------------

SIX = (
    'name = "six"\nversion = "1.17.0"\nsource = {{ registry = "{public}" }}\nwheels = [\n'
    '    {{ url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/'
    'six-1.17.0-py2.py3-none-any.whl", '
    'hash = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274", size = 11050 }},\n]\n'
)


def _uv_lock(internal: HtmlIndex, public: str, tools: dict[str, tuple[str, str]]) -> str:
    """A uv.lock of one project using ``tools`` (name -> version, sha256) pinned to the internal index,
    and six from the public index, as uv writes it for ``[tool.uv.sources] NAME = { index = "corp" }``."""
    registry = internal.url.rstrip("/")
    names = [*tools, "six"]
    lines = [
        'version = 1\nrevision = 3\nrequires-python = ">=3.10"\n',
        '[[package]]\nname = "project"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        "dependencies = [" + ", ".join(f'{{ name = "{name}" }}' for name in names) + "]\n\n"
        "[package.metadata]\nrequires-dist = ["
        + ", ".join(f'{{ name = "{name}", index = "{registry}" }}' for name in tools)
        + ', { name = "six" }]\n',
    ]
    for name, (version, digest) in tools.items():
        dist = name.replace("-", "_")
        url = f"{internal.server.url}{internal.prefix}/files/{dist}-{version}-py3-none-any.whl"
        lines.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\nsource = {{ registry = "{registry}" }}\n'
            f'wheels = [\n    {{ url = "{url}", hash = "sha256:{digest}" }},\n]\n'
        )
    lines.append("[[package]]\n" + SIX.format(public=public))
    return "\n".join(lines)


PUBLIC_SOURCES = {"pypi", "integrity", "popularity", "osv"}


def test_sl5_flags_the_internal_tool_one_environment_uses_and_asks_public_services_nothing_about_either(
    internal: HtmlIndex, public: PublicLog, capsys: pytest.CaptureFixture[str]
) -> None:
    digests = {
        "corp-eval-harness": ("1.4.0", internal.wheel("corp-eval-harness", "1.4.0")),
        "corp-weights-io": ("2.1.0", internal.wheel("corp-weights-io", "2.1.0")),
    }
    internal.wheel("corp-eval-harness", "1.3.0", yanked="broken upload")  # history the index page shows
    public_index = f"{public.server.url}/simple"
    Path("supplychain.toml").write_text(
        f'internal-indexes = ["{internal.url}"]\ninternal-patterns = ["corp-*"]\n'
    )
    # Three environments: the eval harness in one of them, the weights library in all three.
    Path("eval.lock").mkdir()
    (Path("eval.lock") / "uv.lock").write_text(_uv_lock(internal, public_index, digests))
    Path("train.lock").mkdir()
    only_io = {"corp-weights-io": digests["corp-weights-io"]}
    (Path("train.lock") / "uv.lock").write_text(_uv_lock(internal, public_index, only_io))
    for env, team, lock in (
        ("eval-cluster", "evals", "eval.lock/uv.lock"),
        ("train-cluster", "pretraining", "train.lock/uv.lock"),
        ("serving", "inference", "train.lock/uv.lock"),
    ):
        code, out, err = run(["inventory", "record", lock, "--env", env, "--team", team], capsys)
        assert code == 0, out + err

    code, out, err = run(["audit", "eval.lock/uv.lock", "--policy", "sl5", "--format", "json"], capsys)
    assert code in {1, 3}, out + err
    document = json.loads(out)
    harness = _findings(document, "corp-eval-harness", "low-use-internal")
    assert [(f["action"], f["message"]) for f in harness] == [
        (
            "warn",
            "internal package corp-eval-harness is used by 1 environment(s) and 1 team(s) "
            "(policy minimum 2 and 2)",
        )
    ]
    assert _findings(document, "corp-weights-io", "low-use-internal") == []
    for name in digests:
        unknown = _findings(document, name, "data-unknown")
        assert unknown  # SL5 fails closed on what no index says (who may publish, provenance, ...)
        assert {f["evidence"]["source"] for f in unknown} <= {"internal", "simple"}  # type: ignore[index]
        assert not {f["evidence"]["source"] for f in unknown} & PUBLIC_SOURCES  # type: ignore[index]
        # None of them can be fetched later: the way out is a reviewed exemption, not a retry.
        assert all(str(f["remediation"]).startswith("no source can say: review it") for f in unknown)
        assert _findings(document, name, "dependency-confusion") == []  # pinned to the internal index
        assert _findings(document, name, "untrusted-source") == []
    (harness_package,) = [p for p in document["packages"] if p["name"] == "corp-eval-harness"]
    facts = harness_package["facts"]
    assert facts["internal_usage"]["value"] == {"environments": 1, "teams": 1}
    assert facts["release_count"]["value"] == 2  # from the internal index's own page
    assert facts["latest_version"]["value"] == "1.4.0"
    assert facts["yanked"]["value"] == {"yanked": False, "reason": None}
    assert facts["advisories"] == {
        "unknown": "internal package: not covered by public advisory data",
        "source": "internal",
    }
    assert document["inventory"].endswith("/inventory.sqlite3")
    # The security team reviews both tools: an exemption for what no index says is now honoured.
    Path("exemptions.toml").write_text(
        "version = 1\n"
        + "".join(
            f'[[exempt]]\nname = "{name}"\nrules = ["data-unknown"]\n'
            'reason = "internal tool, reviewed by the security team"\nexpires = 2027-06-30\n'
            for name in digests
        )
    )
    args = ["audit", "eval.lock/uv.lock", "--policy", "sl5", "--exemptions", "exemptions.toml"]
    code, out, err = run([*args, "--format", "json"], capsys)
    document = json.loads(out)
    for name in digests:
        assert {f["suppressed_by"] is not None for f in _findings(document, name, "data-unknown")} == {True}
    assert document["unused_entries"] == []
    # Not one request about either internal tool reached the public server, in any of the five runs.
    assert public.mentions(*digests) == []
    assert public.server.requests  # it was asked: about six


# --- the other commands ask public services nothing about internal names either --------------------


def test_explain_without_a_version_refuses_an_internal_name(
    public: PublicLog, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("supplychain.toml").write_text('internal-patterns = ["corp-*"]\n')
    code, _out, err = run(["explain", "corp-tool"], capsys)
    assert (code, err) == (
        2,
        "error: corp-tool is internal: give NAME==VERSION (PyPI is not asked about internal names)\n",
    )
    assert public.server.requests == []


def test_allowlist_propose_and_diff_ask_pypi_nothing_about_an_internal_name(
    internal: HtmlIndex, public: PublicLog, capsys: pytest.CaptureFixture[str]
) -> None:
    internal.wheel("corp-tool", "1.0")
    internal.wheel("corp-tool", "1.1")
    Path("supplychain.toml").write_text(f'internal-indexes = ["{internal.url}"]\n')
    Path("allowlist.toml").write_text("version = 1\n")
    Path("old.txt").write_text("corp-tool==1.0\n")
    Path("new.txt").write_text("corp-tool==1.1\n")
    code, out, err = run(
        ["allowlist", "propose", "new.txt", "--index-url", internal.url, "--format", "json"], capsys
    )
    assert code == 0, out + err
    (review,) = json.loads(out)["reviews"]
    assert review["package"] == "corp-tool==1.1"
    code, out, err = run(
        ["allowlist", "diff", "old.txt", "new.txt", "--index-url", internal.url, "--format", "json"], capsys
    )
    assert code == 0, out + err
    assert "internal package: PyPI is not asked about internal names" in out
    assert public.mentions("corp-tool") == []


def test_resolution_never_asks_the_default_index_for_an_internal_name(
    public: PublicLog, capsys: pytest.CaptureFixture[str]
) -> None:
    """Told no index, pip would ask PyPI for it (and install an attacker's copy if one exists)."""
    Path("supplychain.toml").write_text('internal-patterns = ["corp-*"]\n')
    Path("requirements.txt").write_text("corp-tool\n")
    code, _out, err = run(["audit", "requirements.txt"], capsys)
    assert code == 2
    assert err == (
        "error: corp-tool is internal (internal-patterns) and no index is configured: give --index-url "
        "or the input's index (PyPI is not asked about internal names)\n"
    )
    assert public.mentions("corp-tool") == []
