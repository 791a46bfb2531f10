"""Read pip ``--find-links`` locations as pip does: an HTML page of links, or a local directory of files.

Candidates come from file names alone (pip's ``find_links`` collector); a file is only ever read for
its metadata (a wheel's METADATA, an sdist's static PKG-INFO), never run.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from supplychain.errors import HttpStatusError, MalformedResponse
from supplychain.files import read_capped
from supplychain.net import simple
from supplychain.net.http import Http
from supplychain.net.wheel_metadata import wheel_metadata_from_bytes
from supplychain.resolve.archive import read_sdist_pkg_info
from supplychain.resolve.core_metadata import CoreMetadata, parse_metadata, static_sdist_metadata
from supplychain.urls import SafeUrl, redact

MAX_LISTED = 100_000  # files in one directory: a larger one is refused rather than read for minutes
_ARCHIVES = (".whl", ".tar.gz", ".zip")


def is_local(url: str) -> bool:
    """A ``file:`` location: read from disk, never over the network."""
    return url.lower().startswith("file:")


def local_path(url: str) -> Path:
    """The path a ``file:`` URL names."""
    return Path(url2pathname(urlsplit(url).path))


async def read_location(
    http: Http, location: SafeUrl, keep: simple.Keep | None
) -> tuple[simple.DistributionFile, ...]:
    """Every file the location lists; none when it does not exist (pip ignores such a location).

    A page over HTTP is read as an index page is (HTML or JSON, hashes from URL fragments); a local
    directory lists its archives, a local ``.html`` file is read as a page.
    """
    url = location.reveal()
    if not is_local(url):
        try:
            page = await simple.fetch_page(http, url, keep=keep)
        except HttpStatusError as error:
            if error.status in {404, 410}:
                return ()
            raise
        return page.files
    path = local_path(url)
    if path.is_dir():
        return _directory(path, keep)
    if path.is_file():
        data = _read(path, 16 * 1024 * 1024)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedResponse(f"{redact(url)}: a find-links file must be an HTML page") from None
        return simple.parse_html_page(text, path.resolve().as_uri(), keep=keep).files
    return ()


def _directory(path: Path, keep: simple.Keep | None) -> tuple[simple.DistributionFile, ...]:
    names: list[str] = []
    for entry in path.iterdir():
        if entry.name.endswith(_ARCHIVES) and entry.is_file() and (keep is None or keep(entry.name)):
            names.append(entry.name)
            if len(names) > MAX_LISTED:
                raise MalformedResponse(f"{path}: more than {MAX_LISTED} distribution files")
    return tuple(_local_file(path / name) for name in sorted(names))


def _local_file(path: Path) -> simple.DistributionFile:
    return simple.DistributionFile(
        filename=path.name,
        url=path.resolve().as_uri(),
        hashes=(),  # a directory states none; pip hashes the file only when it installs it
        requires_python=None,
        yanked=False,
        yanked_reason=None,
        upload_time=None,
        size=None,
        core_metadata=False,
        core_metadata_hashes=(),
        provenance_listed=False,
        provenance=None,
    )


def _read(path: Path, limit: int) -> bytes:
    try:
        data = read_capped(path, limit)
    except OSError as error:
        raise MalformedResponse(f"{path}: cannot read ({error.strerror or error})") from None
    if data is None:
        raise MalformedResponse(f"{path}: larger than {limit} bytes")
    return data


def local_metadata(url: str, filename: str, limit: int) -> CoreMetadata:
    """The metadata of a distribution file on disk: a wheel's METADATA, an sdist's static PKG-INFO."""
    path = local_path(url)
    try:
        data = read_capped(path, limit)
    except OSError as error:
        return CoreMetadata(
            requires=None, reason=f"dependencies unknown: cannot read {path}: {error.strerror}"
        )
    if data is None:
        return CoreMetadata(requires=None, reason=f"dependencies unknown: {filename} is too large to read")
    if filename.endswith(".whl"):
        return parse_metadata(wheel_metadata_from_bytes(data, filename))
    return static_sdist_metadata(read_sdist_pkg_info(data, filename), filename)
