"""What conda's inputs share: package names, versions with their build, channels, and match specs.

A conda package is not a PyPI project, whatever its name (conda's ``pytorch`` is PyPI's ``torch``;
a conda ``foo`` may be someone else's PyPI ``foo``). So a conda package becomes a ``PackageRef`` whose
version carries its build as the PEP 440 local label (``numpy==1.26.4+py311h64a7726.0``; ``+conda``
when no build is known): never equal to a PyPI release, so no PyPI fact is matched to it by
accident, and a conda package and a PyPI package of one name and version both stay listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from supplychain.errors import InputError
from supplychain.inputs.validate import check_name
from supplychain.model import UNKNOWN_VERSION, Location, Origin, OriginKind
from supplychain.urls import SafeUrl

CHANNEL_ALIAS = "https://conda.anaconda.org"  # conda's default channel_alias: a channel name's home
DEFAULTS_CHANNEL = "https://repo.anaconda.com/pkgs/main"  # the first of conda's default_channels
NOT_ON_PYPI = "conda package: PyPI facts do not apply (a conda package is not a PyPI project)"
# CEP 26 names (conda lower-cases them first); ``__glibc`` and friends are virtual packages.
_NAME = re.compile(r"^[a-z0-9_][a-z0-9._-]*$")
_LABEL = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")
_TOKEN = re.compile(r"/t/[^/]+(?=/)")  # anaconda.org's token in the path: a credential
_OPERATORS = "<>=!~*,| "
# conda's platform subdirectories: the last path segment of a channel URL that names one
SUBDIRS = frozenset(
    {
        "noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
        "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x", "osx-64", "osx-arm64",
        "win-32", "win-64", "win-arm64", "zos-z", "emscripten-wasm32", "wasi-wasm32",
    }
)  # fmt: skip


# conda's platforms → the PEP 508 marker of the machines they install on, so ``--platform`` narrows a
# conda-lock file as it narrows any lock; a platform not here holds everywhere (nothing is dropped).
_MACHINES = {
    "linux-64": ("linux", "x86_64"),
    "linux-aarch64": ("linux", "aarch64"),
    "linux-ppc64le": ("linux", "ppc64le"),
    "linux-s390x": ("linux", "s390x"),
    "osx-64": ("darwin", "x86_64"),
    "osx-arm64": ("darwin", "arm64"),
    "win-64": ("win32", "AMD64"),
    "win-arm64": ("win32", "ARM64"),
}


def platforms_marker(platforms: set[str]) -> str | None:
    """The marker holding on any of conda's ``platforms``; None (everywhere) when one is not known."""
    if not platforms or not platforms <= set(_MACHINES):
        return None
    return " or ".join(
        f'(sys_platform == "{_MACHINES[p][0]}" and platform_machine == "{_MACHINES[p][1]}")'
        for p in sorted(platforms)
    )


def conda_name(raw: str, where: Location) -> NormalizedName:
    """A conda package name (CEP 26), normalised as PyPI names are so the graph can hold it.

    conda allows a leading ``_`` (``_libgcc_mutex``) that no PEP 503 name has: it is dropped
    (``libgcc-mutex``), so every name in the graph keeps one shape (and never reads as an option).
    """
    check_name(raw, where)
    name = canonicalize_name(raw).strip("-")
    if not _NAME.match(raw.lower()) or not name:
        raise InputError(f"invalid conda package name {raw[:60]!r}", location=where)
    return NormalizedName(name)


def is_virtual(name: str) -> bool:
    """``__glibc``, ``__cuda``: what the system provides, never installed from a channel."""
    return name.startswith("__")


def conda_version(version: str | None, build: str | None) -> Version:
    """conda's version with its build as the local label; UNKNOWN_VERSION when PEP 440 cannot read it.

    ``1.1.1w`` (openssl) or ``9e`` (jpeg) are conda versions PEP 440 refuses: such a package is
    listed at ``0+unknown``, its channel and hashes still recorded.
    """
    if version is None:
        return UNKNOWN_VERSION
    try:
        parsed = Version(version)
    except ValueError:  # InvalidVersion, or past int()'s digit limit
        return UNKNOWN_VERSION
    label = re.sub(r"[_\-]+", ".", (build or "").lower()).strip(".")
    label = label if _LABEL.match(label) else "conda"
    local = f"{parsed.local}.{label}" if parsed.local else label
    try:
        return Version(f"{parsed.public}+{local}")
    except ValueError:
        return UNKNOWN_VERSION


def channel_url(channel: str, where: Location) -> SafeUrl | None:
    """The URL of a channel as an environment names it; None for ``nodefaults`` (not a channel).

    Names are resolved with conda's default ``channel_alias``; a ``.condarc`` may say otherwise,
    and is not read (it is the machine's, not the audited file's).
    """
    text = channel.strip()
    if not text or any(character.isspace() for character in text):
        raise InputError(f"invalid conda channel {channel[:60]!r}", location=where)
    if text == "nodefaults":
        return None
    if text == "defaults":
        return SafeUrl(DEFAULTS_CHANNEL)
    if "://" in text:
        return base_channel(text, where)
    return SafeUrl(f"{CHANNEL_ALIAS}/{text.strip('/')}")


def base_channel(url: str, where: Location) -> SafeUrl:
    """A channel URL without its platform subdirectory or package file name, and without a token."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as problem:
        raise InputError(f"invalid channel URL: {problem}", location=where) from None
    segments = [segment for segment in _TOKEN.sub("", parts.path).split("/") if segment]
    if segments and segments[-1].endswith((".conda", ".tar.bz2")):
        segments.pop()
    if segments and segments[-1] in SUBDIRS:
        segments.pop()
    path = "/" + "/".join(segments) if segments else ""
    return SafeUrl(urlunsplit((parts.scheme, parts.netloc, path, "", "")))


def conda_origin(channel: SafeUrl | None, hashes: tuple[str, ...] = ()) -> Origin:
    """A package from a conda channel (None: the file does not say which)."""
    return Origin(kind=OriginKind.CONDA, url=channel, hashes=hashes)


def split_file_name(file_name: str) -> tuple[str, str, str] | None:
    """``name-version-build.conda`` (or ``.tar.bz2``) → (name, version, build); None when not one."""
    for extension in (".conda", ".tar.bz2"):
        if file_name.endswith(extension):
            parts = file_name[: -len(extension)].rsplit("-", 2)
            return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchSpec:
    """The parts of a conda match spec an audit needs: which package, from where, at which version."""

    name: str
    channel: str | None = None
    version: str | None = None  # as written, conda's syntax: "1.2.*", ">=1.0,<2", "==1.2.3"
    build: str | None = None

    @property
    def exact_version(self) -> str | None:
        """The one version the spec allows (``==1.2``, ``=1.2=build``, ``1.2 build``), else None."""
        version = self.version
        if not version:
            return None
        if version.startswith("=="):
            version = version[2:]
        elif version.startswith("="):
            if self.build is None:
                return None  # conda reads ``=1.2`` as ``1.2.*``
            version = version[1:]
        return None if not version or any(c in version for c in _OPERATORS) else version


_BRACKETS = re.compile(r"^(?P<head>[^\[]*)\[(?P<body>[^\]]*)\]\s*$")
_PAIR = re.compile(r"""(?P<key>\w+)\s*=\s*(?:'(?P<q1>[^']*)'|"(?P<q2>[^"]*)"|(?P<bare>[^,\s'"]+))""")
_NAME_REST = re.compile(r"^(?P<name>[^\s=<>!~]+)\s*(?P<rest>.*)$")
_BUILD_PAIR = re.compile(r"^(?P<version>={0,2}[^=<>!~\s,|][^=\s]*)=(?P<build>[^=\s<>!~,|]+)$")


def parse_match_spec(text: str, where: Location) -> MatchSpec:
    """conda's ``[channel::]name[version[build]][[key=value]]`` (its ``_parse_spec_str``, the parts
    that name a package); one conda cannot read is an input error."""
    spec = text.split("#", 1)[0].strip()
    pairs: dict[str, str] = {}
    if brackets := _BRACKETS.match(spec):
        spec = brackets.group("head").strip()
        for pair in _PAIR.finditer(brackets.group("body")):
            pairs[pair.group("key")] = next(
                value
                for value in (pair.group("q1"), pair.group("q2"), pair.group("bare"))
                if value is not None
            )
    channel = None
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        channel, _, spec = parts
    elif len(parts) == 2:
        spec = parts[1]
    match = _NAME_REST.match(spec.strip())
    if match is None:
        raise InputError(f"conda spec {text[:80]!r} names no package", location=where)
    version, build = _version_and_build(match.group("rest").strip())
    return MatchSpec(
        name=match.group("name"),
        channel=pairs.get("channel", channel) or None,
        version=pairs.get("version", version),
        build=pairs.get("build", build),
    )


def _version_and_build(rest: str) -> tuple[str | None, str | None]:
    """``=1.2=py_0``, ``1.2 py_0``, ``>=1.0,<2 py_0`` → (version, build); conda drops spaces in versions."""
    if not rest:
        return None, None
    if pair := _BUILD_PAIR.match(rest):
        return pair.group("version"), pair.group("build")
    tokens = rest.split()
    if len(tokens) >= 2 and tokens[-2][-1] not in "=<>!~,|" and tokens[-1][0] not in "<>!~,|":
        return "".join(tokens[:-1]), tokens[-1].lstrip("=") or None
    return rest.replace(" ", ""), None
