"""The environment an audit is for: Python version and platform, as markers and wheel tags."""

from __future__ import annotations

import platform as _platform
import re
import sys
from dataclasses import dataclass
from functools import cached_property

from packaging import tags
from packaging.markers import Marker
from packaging.tags import Tag
from packaging.version import InvalidVersion, Version

from supplychain.errors import UsageError

# uv's spellings (``uv pip compile --python-platform``) → (sys_platform, platform_system, os_name, machine)
_OS_ALIASES: dict[str, tuple[str, str, str]] = {
    "linux": ("linux", "Linux", "posix"),
    "windows": ("win32", "Windows", "nt"),
    "macos": ("darwin", "Darwin", "posix"),
}
_MANYLINUX = re.compile(r"^(x86_64|aarch64|i686|ppc64le|s390x|armv7l)-manylinux_?(\d+)_(\d+)$")
_MANYLINUX_LEGACY = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}
_TRIPLES: dict[str, tuple[str, str]] = {
    "x86_64-unknown-linux-gnu": ("linux", "x86_64"),
    "aarch64-unknown-linux-gnu": ("linux", "aarch64"),
    "x86_64-apple-darwin": ("macos", "x86_64"),
    "aarch64-apple-darwin": ("macos", "arm64"),
    "x86_64-pc-windows-msvc": ("windows", "AMD64"),
    "aarch64-pc-windows-msvc": ("windows", "ARM64"),
}
_DEFAULT_GLIBC = (2, 28)  # uv's default for x86_64-unknown-linux-gnu is manylinux_2_28 as well


@dataclass(frozen=True)  # no slots: cached_property needs __dict__
class Target:
    """Python version plus platform; builds the marker environment and the ordered wheel tags."""

    python_version: Version
    platform: str  # uv spelling, e.g. "x86_64-manylinux_2_28"
    os: str
    machine: str
    glibc: tuple[int, int] | None

    @classmethod
    def parse(cls, python_version: str | None, platform: str | None) -> Target:
        """Build from CLI spellings; None means the running interpreter / machine."""
        try:
            version = (
                Version(python_version)
                if python_version
                else Version(".".join(str(part) for part in sys.version_info[:3]))
            )
        except InvalidVersion:
            raise UsageError(f"--python-version {python_version!r} is not a Python version") from None
        if len(version.release) == 2:
            version = Version(f"{version.release[0]}.{version.release[1]}.0")
        name = platform or _running_platform()
        os_name, machine, glibc = _parse_platform(name)
        return cls(version, name, os_name, machine, glibc)

    @property
    def python_minor(self) -> str:
        """``"3.12"``: the spelling of the ``python_version`` marker (PEP 508)."""
        return f"{self.python_version.major}.{self.python_version.minor}"

    @cached_property
    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 marker environment of this target, CPython assumed, without ``extra``.

        ``platform_release`` and ``platform_version`` are empty: they cannot be known for another machine.
        """
        sys_platform, system, os_name = _OS_ALIASES[self.os]
        return {
            "implementation_name": "cpython",
            "implementation_version": str(self.python_version),
            "os_name": os_name,
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": str(self.python_version),
            "python_version": self.python_minor,
            "sys_platform": sys_platform,
        }

    def evaluate(self, marker: Marker | str | None, extras: frozenset[str] = frozenset()) -> bool:
        """Does ``marker`` hold for this target, with any of ``extras`` requested?"""
        if marker is None or marker == "":
            return True
        parsed = marker if isinstance(marker, Marker) else Marker(marker)
        env = dict(self.marker_environment)
        if not extras:
            return parsed.evaluate({**env, "extra": ""})
        return any(parsed.evaluate({**env, "extra": extra}) for extra in sorted(extras))

    @cached_property
    def tags(self) -> tuple[Tag, ...]:
        """Supported wheel tags, most preferred first (index = priority)."""
        py = (self.python_version.major, self.python_version.minor)
        platforms = list(self._platform_tags())
        return (
            *tags.cpython_tags(py, platforms=platforms),
            *tags.compatible_tags(py, platforms=platforms),
        )

    @cached_property
    def tag_priority(self) -> dict[Tag, int]:
        """Tag to its rank in ``tags`` (0 is best), so choosing a wheel is a dictionary look-up."""
        return {tag: index for index, tag in enumerate(self.tags)}

    @cached_property
    def _tag_triples(self) -> frozenset[tuple[str, str, str]]:
        return frozenset((tag.interpreter, tag.abi, tag.platform) for tag in self.tags)

    def file_may_fit(self, filename: str) -> bool:
        """False only for a wheel whose filename tags all miss the target: a string test, no parsing.

        Pages of torch or numpy list thousands of wheels; building each one's tags to drop it cost
        most of a resolution. Anything unusual (an sdist, a malformed name) is True, for the full
        parser to judge.
        """
        if not filename.endswith(".whl"):
            return True
        parts = filename[:-4].rsplit("-", 3)
        if len(parts) < 4:
            return True
        tag_text = "-".join(parts[1:]).lower()
        known = self._fits.get(tag_text)
        if known is None:  # a page repeats a few tag strings over hundreds of versions
            interpreters, abis, platforms = (part.split(".") for part in parts[1:])
            triples = self._tag_triples
            known = any(
                (interpreter.lower(), abi.lower(), platform.lower()) in triples
                for interpreter in interpreters
                for abi in abis
                for platform in platforms
            )
            self._fits[tag_text] = known
        return known

    @cached_property
    def _fits(self) -> dict[str, bool]:
        return {}

    def _platform_tags(self) -> list[str]:
        if self.os == "linux":
            arch = self.machine
            glibc = self.glibc or _DEFAULT_GLIBC
            names = [f"manylinux_{glibc[0]}_{minor}_{arch}" for minor in range(glibc[1], 4, -1)]
            for legacy, (major, minor) in _MANYLINUX_LEGACY.items():
                if (major, minor) <= glibc and arch in {"x86_64", "i686"} | (
                    {"aarch64", "ppc64le", "s390x"} if legacy == "manylinux2014" else set()
                ):
                    names.insert(names.index(f"manylinux_{major}_{minor}_{arch}") + 1, f"{legacy}_{arch}")
            return [*names, f"linux_{arch}"]
        if self.os == "macos":
            arch = "arm64" if self.machine == "arm64" else "x86_64"
            return list(tags.mac_platforms(version=(14, 0) if arch == "arm64" else (10, 16), arch=arch))
        return ["win_arm64"] if self.machine == "ARM64" else ["win_amd64"]


def _running_platform() -> str:
    machine = _platform.machine().lower()
    if sys.platform.startswith("linux"):
        libc, version = _platform.libc_ver()
        if libc == "glibc" and version:
            major, minor = version.split(".")[:2]
            return f"{machine}-manylinux_{major}_{minor}"
        return f"{machine}-unknown-linux-gnu"
    if sys.platform == "darwin":
        return f"{'aarch64' if machine == 'arm64' else machine}-apple-darwin"
    return f"{'aarch64' if 'arm' in machine else 'x86_64'}-pc-windows-msvc"


def _parse_platform(name: str) -> tuple[str, str, tuple[int, int] | None]:
    lowered = name.lower()
    if match := _MANYLINUX.match(lowered):
        return "linux", match.group(1), (int(match.group(2)), int(match.group(3)))
    for legacy, glibc in _MANYLINUX_LEGACY.items():
        if lowered.endswith(f"-{legacy}"):
            return "linux", lowered.split("-", 1)[0], glibc
    if lowered in _TRIPLES:
        os_name, machine = _TRIPLES[lowered]
        return os_name, machine, _DEFAULT_GLIBC if os_name == "linux" else None
    if lowered in _OS_ALIASES:
        return (
            lowered,
            {"linux": "x86_64", "macos": "arm64", "windows": "AMD64"}[lowered],
            (_DEFAULT_GLIBC if lowered == "linux" else None),
        )
    known = ", ".join(sorted([*_TRIPLES, *_OS_ALIASES, "x86_64-manylinux_2_28"]))
    raise UsageError(f"--platform {name!r} is not a platform supplychain knows; try one of: {known}")


# What "any platform" and "any Python" mean when a scope leaves them open: every platform uv locks
# for, on CPython and PyPy, and every Python 3 minor (at .0 and a late patch, for python_full_version).
# Most likely first (recent Pythons, Linux x86_64): a marker usually holds in one of the first tried.
_ANY_PLATFORMS = (
    "x86_64-unknown-linux-gnu",
    *sorted(set(_TRIPLES) - {"x86_64-unknown-linux-gnu"}),
    "ppc64le-manylinux_2_17",
    "s390x-manylinux_2_17",
    "armv7l-manylinux_2_17",
)
_ANY_PYTHONS = tuple(f"3.{minor}.{patch}" for minor in range(15, -1, -1) for patch in (0, 99))
_IMPLEMENTATIONS = (("cpython", "CPython"), ("pypy", "PyPy"))


@dataclass(frozen=True)  # no slots: cached_property needs __dict__
class Scope:
    """Which part of a lock an audit covers. An open dimension (None / not fixed) means every value.

    A lock records every package its installer may install somewhere; auditing one interpreter's
    slice would pass a CUDA extra or a Windows-only fork unseen. So by default a lock's scope is open
    in every dimension; ``--python-version``, ``--platform``, ``--extra`` and ``--group`` close one
    each. ``target`` supplies the closed dimensions' values (and the resolver's one target).
    """

    target: Target
    python_fixed: bool = True
    platform_fixed: bool = True
    extras: tuple[str, ...] | None = ()  # None: every extra the lock has
    groups: tuple[str, ...] | None = ()  # None: every dependency group the lock has

    @classmethod
    def of_flags(
        cls,
        target: Target,
        python_version: str | None,
        platform: str | None,
        extras: tuple[str, ...],
        groups: tuple[str, ...],
    ) -> Scope:
        """Open wherever the user gave no flag: what a lock audit covers by default."""
        return cls(
            target,
            python_fixed=python_version is not None,
            platform_fixed=platform is not None,
            extras=extras or None,
            groups=groups or None,
        )

    @property
    def universal(self) -> bool:
        """Open in every dimension: every package of the lock is in scope."""
        return not (self.python_fixed or self.platform_fixed) and self.extras is None and self.groups is None

    @cached_property
    def environments(self) -> tuple[dict[str, str], ...]:
        """The marker environments a marker is tried in: the target's, or one per open combination."""
        base = self.target.marker_environment
        pythons = [None] if self.python_fixed else list(_ANY_PYTHONS)
        platforms = [None] if self.platform_fixed else list(_ANY_PLATFORMS)
        implementations = [None] if self.python_fixed and self.platform_fixed else list(_IMPLEMENTATIONS)
        envs: list[dict[str, str]] = []
        for python in pythons:
            for platform in platforms:
                for implementation in implementations:
                    env = dict(base)
                    if platform is not None:
                        os_name, machine, _ = _parse_platform(platform)
                        sys_platform, system, os_kind = _OS_ALIASES[os_name]
                        env.update(
                            sys_platform=sys_platform,
                            platform_system=system,
                            os_name=os_kind,
                            platform_machine=machine,
                        )
                    if python is not None:
                        version = Version(python)
                        env.update(
                            python_full_version=python,
                            implementation_version=python,
                            python_version=f"{version.major}.{version.minor}",
                        )
                    if implementation is not None:
                        env.update(
                            implementation_name=implementation[0],
                            platform_python_implementation=implementation[1],
                        )
                    envs.append(env)
        return tuple(envs)

    def evaluate(self, marker: Marker | str | None, extras: frozenset[str] = frozenset()) -> bool:
        """Does ``marker`` hold somewhere in the scope, with any of ``extras`` requested?"""
        if marker is None or marker == "":
            return True
        if self.python_fixed and self.platform_fixed:
            return self.target.evaluate(marker, extras)
        key = (str(marker), tuple(sorted(extras)))
        if key not in self._memo:  # locks repeat few distinct markers
            parsed = marker if isinstance(marker, Marker) else Marker(marker)
            self._memo[key] = any(
                parsed.evaluate({**env, "extra": extra})
                for env in self._distinct(str(parsed))
                for extra in key[1] or ("",)
            )
        return self._memo[key]

    def _distinct(self, marker: str) -> list[dict[str, str]]:
        """One environment per distinct value of the variables ``marker`` (as packaging writes it,
        aliases spelled out) names: it reads no other. An open scope holds hundreds of
        environments, and a marker false in all of them was tried in every one."""
        used = tuple(name for name in self._variables if name in marker)
        if used not in self._projections:
            one_each: dict[tuple[str, ...], dict[str, str]] = {}
            for env in self.environments:
                one_each.setdefault(tuple(env.get(name, "") for name in used), env)
            self._projections[used] = list(one_each.values())
        return self._projections[used]

    @cached_property
    def _variables(self) -> tuple[str, ...]:
        return tuple(sorted({name for env in self.environments for name in env}))

    @cached_property
    def _projections(self) -> dict[tuple[str, ...], list[dict[str, str]]]:
        return {}

    @cached_property
    def _memo(self) -> dict[tuple[str, tuple[str, ...]], bool]:
        return {}

    def describe(self) -> str:
        """One line for reports: what was audited."""
        python = f"Python {self.target.python_minor}" if self.python_fixed else "any Python"
        platform = self.target.platform if self.platform_fixed else "any platform"
        extras = "every extra" if self.extras is None else _listed("extra", self.extras)
        groups = "every group" if self.groups is None else _listed("group", self.groups)
        return f"{python}, {platform}, {extras}, {groups}"

    def document(self) -> dict[str, object]:
        """The ``scope`` object of JSON reports: None for an open dimension."""
        return {
            "python_version": self.target.python_minor if self.python_fixed else None,
            "platform": self.target.platform if self.platform_fixed else None,
            "extras": None if self.extras is None else sorted(self.extras),
            "groups": None if self.groups is None else sorted(self.groups),
        }


def _listed(kind: str, names: tuple[str, ...]) -> str:
    return f"{kind}s {', '.join(sorted(names))}" if names else f"no {kind}s"
