"""Resolution of real research projects' requirements matches ``uv pip compile`` (recorded PyPI answers).

The recorded Simple pages and metadata live in tests/fixtures/resolve/pypi (see record.py there).
PyPI served no PEP 658 files when they were recorded, so the resolver read each wheel's METADATA:
the recorder kept only that member, and the server below wraps it in a one-member zip at the end
of a file of the size the page lists (zeros before it), answering range requests as PyPI's file
host does. A torch wheel of 500 MB is thus read as it is from PyPI: by its last bytes.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supplychain.model import ArtifactKind
from supplychain.net.http import HttpSettings
from supplychain.resolve.graph import DependencyGraph
from tests.resolve.support import config_for, requirement_set, resolve, wheel_bytes
from tests.support.server import RangedFile, ReplayServer, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "resolve"
CUTOFF = datetime(2026, 6, 1, tzinfo=UTC)
FILES_HOST = "https://files.pythonhosted.org/"


def serve_recorded(server: ReplayServer, index: str = "pypi") -> None:
    """Serve the recorded index ``index``: Simple pages, wheels built around their METADATA, JSON API."""
    root = FIXTURES / index
    sizes = {
        file["url"].removeprefix(FILES_HOST): file["size"]
        for page in (root / "simple").glob("*/index.json")
        for file in json.loads(page.read_text())["files"]
    }

    def handler(method: str, path: str, body: bytes) -> Reply | None:
        if path.startswith("/simple/"):
            page = root / "simple" / path.removeprefix("/simple/").strip("/") / "index.json"
            if not page.is_file():
                return Reply(404, b"")
            text = page.read_text().replace(FILES_HOST, f"{server.url}/files/")
            return Reply(200, text.encode(), {"Content-Type": "application/vnd.pypi.simple.v1+json"})
        if path.startswith("/files/"):
            relative = path.removeprefix("/files/")
            filename = relative.rsplit("/", 1)[1]
            metadata = root / "files" / (relative + ".METADATA")
            if filename.endswith(".whl") and metadata.is_file():
                name, version = filename.split("-")[:2]
                body = wheel_bytes(name, version, metadata.read_bytes(), compression=zipfile.ZIP_DEFLATED)
                return RangedFile(200, body, size=sizes[relative])
            pkg_info = root / "files" / (relative + ".PKG-INFO")
            if pkg_info.is_file():
                return Reply(200, _tar(filename, pkg_info.read_bytes()))
        if path.startswith("/pypi/") and (root / path.lstrip("/")).is_file():
            return Reply(200, (root / path.lstrip("/")).read_bytes(), {"Content-Type": "application/json"})
        return Reply(404, b"")

    server.handlers.append(handler)


def _tar(filename: str, pkg_info: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"{filename.removesuffix('.tar.gz')}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return buffer.getvalue()


def uv_answer(case: str) -> dict[str, str]:
    lines = (FIXTURES / "cases" / case / "uv-compile.txt").read_text().splitlines()
    pins = [line.split(" ")[0] for line in lines if line and not line.startswith("#")]
    return dict(pin.split("==") for pin in pins)


def ours(graph: DependencyGraph) -> dict[str, str]:
    return {p.ref.name: str(p.ref.version) for p in graph.packages()}


def run_case(server: ReplayServer, case: str) -> DependencyGraph:
    serve_recorded(server)
    lines = (FIXTURES / "cases" / case / "requirements.in").read_text().split()
    return resolve(requirement_set(lines), config_for(server.url, exclude_newer=CUTOFF))


def test_inspect_ai_resolves_to_the_same_set_as_uv(server: ReplayServer) -> None:
    graph = run_case(server, "inspect-ai")
    assert ours(graph) == uv_answer("inspect-ai")
    assert all(p.unresolved is None for p in graph.packages())
    assert graph.is_direct("inspect-ai")  # type: ignore[arg-type]
    assert not graph.is_direct("pydantic")  # type: ignore[arg-type]


def test_trl_resolves_to_the_same_set_as_uv_torch_cuda_subtree_included(server: ReplayServer) -> None:
    """torch's wheel is 500 MB without a PEP 658 file: its METADATA is read by range requests."""
    graph = run_case(server, "trl")
    assert ours(graph) == uv_answer("trl")
    assert [p.ref.name for p in graph.packages() if p.unresolved] == []
    assert {"triton", "sympy", "nvidia-nccl-cu13", "cuda-toolkit"} <= set(graph.dependencies("torch"))  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["env-trl", "env-nnsight"])
def test_a_research_environment_resolves_to_uvs_answer_torch_cuda_subtree_included(
    server: ReplayServer, case: str
) -> None:
    """The top-level requirements of trl 1.5.1 and nnsight 0.7.0 (benchmarks/data/envs), as uv compiles."""
    graph = run_case(server, case)
    assert ours(graph) == uv_answer(case)
    assert [p.ref.name for p in graph.packages() if p.unresolved] == []
    assert {"triton", "nvidia-cudnn-cu13", "cuda-toolkit"} <= set(graph.dependencies("torch"))  # type: ignore[arg-type]


def test_the_wheel_metadata_is_followed_not_the_json_api_requires_dist(server: ReplayServer) -> None:
    """pydantic 2.14.4's wheel pins pydantic-core==2.50.5; PyPI's JSON API says ==2.50.2 (both recorded).

    Resolving from the JSON API gave an environment that cannot be installed (issue 13).
    """
    serve_recorded(server, "pypi-pydantic")
    document = json.loads((FIXTURES / "pypi-pydantic" / "pypi" / "pydantic" / "json").read_text())
    assert document["info"]["version"] == "2.14.4"
    assert "pydantic-core==2.50.2" in document["info"]["requires_dist"]
    core_page = json.loads(
        (FIXTURES / "pypi-pydantic" / "simple" / "pydantic-core" / "index.json").read_text()
    )
    assert any(f["filename"].startswith("pydantic_core-2.50.2-") for f in core_page["files"])
    config = config_for(server.url, exclude_newer=datetime(2026, 12, 1, tzinfo=UTC))
    graph = resolve(requirement_set(["pydantic==2.14.4"]), config)
    assert ours(graph)["pydantic-core"] == "2.50.5"
    assert [path for _, path in server.requests if path.startswith("/pypi/")] == []


def test_every_package_names_who_requested_it(server: ReplayServer) -> None:
    graph = run_case(server, "inspect-ai")
    for package in graph.packages():
        assert graph.requested_by(package.ref.name), package.ref.name
        assert graph.depth(package.ref.name) is not None


def test_pages_and_metadata_are_fetched_concurrently(server: ReplayServer) -> None:
    """While one answer is delayed, others are asked for: the server sees several requests at once.

    Most are speculative: the newest compatible version of each name seen is read ahead of the
    resolver (with 100 ms per answer, trl resolves in 5.2-5.8 s with it, 11.4-12.6 s without).

    Measured as the most requests the server held at one moment, not as wall time, so a loaded
    machine cannot make it fail; a one-at-a-time resolver never has more than one.
    """
    server.latency = 0.05
    graph = run_case(server, "inspect-ai")
    assert len(server.requests) > 100
    assert server.most_in_flight >= 4, server.most_in_flight
    assert server.most_in_flight <= HttpSettings().per_host  # speculation is bounded by the door
    assert len(graph) == len(uv_answer("inspect-ai"))


@pytest.mark.live
def test_live_pypi_matches_uv_for_inspect_ai() -> None:
    graph = resolve(requirement_set(["inspect-ai"]), config_for("https://pypi.org", exclude_newer=CUTOFF))
    assert ours(graph) == uv_answer("inspect-ai")


ENVS = Path(__file__).parents[2] / "benchmarks" / "data" / "envs"


@pytest.mark.live
@pytest.mark.parametrize("env", sorted(path.stem for path in ENVS.glob("*.txt")))
def test_live_research_environment_matches_uv_pip_compile(env: str, tmp_path: Path) -> None:
    """Real PyPI, and uv run now on the same file: the same packages at the same versions."""
    uv = shutil.which("uv") or next((p for p in ["/tmp/uvenv/bin/uv"] if Path(p).is_file()), None)
    if uv is None:
        pytest.skip("uv is not installed")
    file = ENVS / f"{env}.txt"
    compiled = subprocess.run(
        [
            uv,
            "pip",
            "compile",
            str(file),
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--exclude-newer",
            CUTOFF.isoformat(),
            "--no-header",
            "--no-annotate",
            "--cache-dir",
            str(tmp_path / "uv"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    theirs = dict(line.split(" ")[0].split("==") for line in compiled.splitlines() if "==" in line)
    lines = [line for line in file.read_text().splitlines() if line and not line.startswith("#")]
    graph = resolve(requirement_set(lines), config_for("https://pypi.org", exclude_newer=CUTOFF))
    assert ours(graph) == theirs
    # sdists whose PKG-INFO cannot say (metadata < 2.2) are the only unknowns: never a wheel
    assert all(p.origin.artifact is not ArtifactKind.WHEEL for p in graph.packages() if p.unresolved)


@pytest.mark.parametrize(("index", "cutoff"), [("pypi", "2026-06-01"), ("pypi-pydantic", "2026-12-01")])
def test_recorded_pages_were_only_trimmed(index: str, cutoff: str) -> None:
    """Honesty check on the fixtures: kept files carry PyPI's fields, none after the cutoff."""
    pages = list((FIXTURES / index / "simple").glob("*/index.json"))
    assert pages
    for page in pages:
        data = json.loads(page.read_text())
        for file in data["files"]:
            assert file["url"].startswith(FILES_HOST)
            assert file["upload-time"] <= f"{cutoff}T00:00:00"
