"""Frozen value types shared by every stage of the pipeline (inputs → resolve → enrich → policy → report)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeAlias, TypeVar

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from supplychain.urls import SafeUrl

T_co = TypeVar("T_co", covariant=True)

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"


UNKNOWN_VERSION = Version("0+unknown")
"""Stands for a version no file states (a VCS checkout, a directory without static metadata, a ``===``
pin that is not PEP 440). ``PackageRef.version_known`` is then False and every fact that depends on
the version is Unknown("version unknown"); reports show it as ``0+unknown``, never as a real version."""


def normalize(name: str) -> NormalizedName:
    """PEP 503 normalisation; every name crossing a stage boundary goes through this."""
    return canonicalize_name(name)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class PackageRef:
    """One version of one project: the unit every fact and finding is about."""

    name: NormalizedName
    version: Version

    def __post_init__(self) -> None:
        if canonicalize_name(self.name) != self.name:
            raise ValueError(f"package name {self.name!r} is not PEP 503-normalised")
        if not isinstance(self.version, Version):
            raise TypeError("PackageRef.version must be a packaging Version")

    @classmethod
    def of(cls, name: str, version: str | Version) -> PackageRef:
        """A reference from a name as written and a version, normalised as PyPI compares them."""
        return cls(
            name=normalize(name),
            version=version if isinstance(version, Version) else Version(version),
        )

    @property
    def version_known(self) -> bool:
        """False when the version is ``UNKNOWN_VERSION``: advisories and release facts cannot be matched."""
        return self.version != UNKNOWN_VERSION

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


class OriginKind(enum.StrEnum):
    """How a distribution reaches the environment; anything but INDEX bypasses index controls."""

    INDEX = "index"
    URL = "url"
    VCS = "vcs"
    PATH = "path"
    EDITABLE = "editable"
    CONDA = "conda"  # a conda package from a conda channel: not a PyPI project, whatever its name
    FIND_LINKS = "find-links"  # a ``--find-links`` page or directory: a source no index controls
    UNKNOWN = "unknown"


class ArtifactKind(enum.StrEnum):
    """What was (or would be) installed: a built wheel, or an sdist built on the machine."""

    WHEEL = "wheel"
    SDIST = "sdist"


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """Where a distribution came from; ``url`` masks credentials when printed."""

    kind: OriginKind
    url: SafeUrl | None = None
    hashes: tuple[str, ...] = ()  # "sha256:<hex>", sorted: only those the user's file records
    # What the index lists for the file the resolver chose when the user's file records no hash: it
    # identifies the file (allowlist approvals, SBOMs) but is no record; an index vouching for itself.
    served_hashes: tuple[str, ...] = ()
    artifact: ArtifactKind | None = None
    commit: str | None = None  # VCS revision when known
    # The input pins this name to ``url``'s index (uv ``index =`` source, poetry ``source =``, PDM
    # ``include_packages``/``exclude_packages``): an installer asks no other index for it, so another
    # index's copy cannot be chosen instead.
    pinned: bool = False

    def __post_init__(self) -> None:
        for hashes in (self.hashes, self.served_hashes):
            if tuple(sorted(set(hashes))) != hashes:
                raise ValueError("Origin hashes must be sorted and unique")
        for digest in (*self.hashes, *self.served_hashes):
            algorithm, _, value = digest.partition(":")
            if not algorithm or not value:
                raise ValueError(f"hash {digest!r} is not of the form 'algorithm:hex'")

    @property
    def file_hashes(self) -> tuple[str, ...]:
        """The hashes that identify the file: the recorded ones, else those the index lists for it."""
        return self.hashes or self.served_hashes


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Location:
    """A place in a user's file, for error messages and SARIF regions."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredRequirement:
    """A requirement as a user wrote it (requirements file, pyproject), with where it was written."""

    requirement: Requirement
    location: Location
    origin: Origin | None = None  # set for direct URL, VCS, path and editable requirements
    hashes: tuple[str, ...] = ()
    editable: bool = False
    version: Version | None = None  # a direct reference's version when its file name, #egg= or metadata says

    @property
    def name(self) -> NormalizedName:
        """The requirement's name, normalised (PEP 503) for comparison."""
        return normalize(self.requirement.name)

    @property
    def pinned_version(self) -> Version | None:
        """The version when the specifier is exactly one ``==``/``===`` without wildcard.

        A direct reference has no specifier: its ``version`` is given (None when the reference states
        none); a ``===`` pin that is not PEP 440 is pinned to a version nobody can compare.
        """
        if self.origin is not None:
            return self.version
        specs = list(self.requirement.specifier)
        if len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version:
            try:
                return Version(specs[0].version)
            except InvalidVersion:
                if specs[0].operator == "===":
                    return UNKNOWN_VERSION
                raise
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementSet:
    """An input that still needs resolution: top-level requirements, constraints and indexes."""

    kind: str  # INPUTS registry id
    path: str
    requirements: tuple[DeclaredRequirement, ...]
    constraints: tuple[DeclaredRequirement, ...] = ()
    index_urls: tuple[SafeUrl, ...] = ()  # first is the primary index; empty = default (PyPI)
    find_links: tuple[SafeUrl, ...] = ()
    no_index: bool = False
    # Names the input pins to one index (uv ``{ index = "..." }`` sources, poetry ``source =``, PDM
    # ``include_packages``): only that index is asked.
    index_pins: tuple[tuple[NormalizedName, SafeUrl], ...] = ()
    # Packages another installer provides (environment.yml's conda packages): listed as they are,
    # never resolved, and never taken to satisfy a requirement on a PyPI project of the same name.
    listed: tuple[LockedPackage, ...] = ()
    # pip's ``--trusted-host`` (TLS not verified for that host, plain HTTP accepted) and where it is written
    trusted_hosts: tuple[tuple[str, Location], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedDependency:
    """An edge recorded by a lock file: the dependency's name plus the conditions it applies under."""

    name: NormalizedName
    specifier: str = ""
    marker: str | None = None
    extras: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPackage:
    """One pinned package of a lock file or installed environment, never re-resolved."""

    ref: PackageRef
    origin: Origin
    dependencies: tuple[LockedDependency, ...] | None  # None: the lock does not record edges
    location: Location | None = None
    marker: str | None = None  # pylock/pdm-style environment marker on the package itself


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedSet:
    """A fully pinned input: lock files, installed environments, or ``--no-deps`` pins."""

    kind: str
    path: str
    packages: tuple[LockedPackage, ...]
    roots: tuple[DeclaredRequirement, ...]  # the direct requirements (empty: every package is direct)
    index_urls: tuple[SafeUrl, ...] = ()
    # Hosts the lock's installer skips TLS verification for (Pipfile.lock ``verify_ssl = false``)
    trusted_hosts: tuple[tuple[str, Location], ...] = ()


InputSet: TypeAlias = RequirementSet | LockedSet


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedPackage:
    """A node of the dependency graph."""

    ref: PackageRef
    origin: Origin
    unresolved: str | None = None  # why its dependencies could not be learned, e.g. a dynamic sdist
    declared_at: Location | None = None  # where the user declared it (direct requirements)
    vanished: str | None = None  # a pin no index lists any more (resolve/vanished.py): why, in words


# --- Signals: a fact with its provenance, or why it is not known ------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Known(Generic[T_co]):
    """A fact learned from ``source`` at ``fetched_at``."""

    value: T_co
    source: str
    fetched_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown:
    """A fact that could not be learned; ``reason`` is shown to the user, never replaced by a default."""

    reason: str
    source: str
    # True when the source answered and the answer lacks the fact (not a failed fetch): only such
    # Unknowns may be remembered by the facts cache; a failed fetch is always tried again.
    settled: bool = field(default=False, compare=False)


Signal: TypeAlias = Known[T_co] | Unknown


class Role(enum.StrEnum):
    """A PyPI project role; owners can add maintainers, so both can publish."""

    OWNER = "Owner"
    MAINTAINER = "Maintainer"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Maintainer:
    """One account with a role on a PyPI project."""

    user: str
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Owners:
    """Who controls a project on PyPI (its ownership roles and organisation), for a project that is
    not in the audited graph: the popular name a package resembles, asked once by the enrich stage."""

    name: NormalizedName
    maintainers: Signal[tuple[Maintainer, ...]]
    organization: Signal[str | None]  # Known(None): PyPI says no organisation


@dataclass(frozen=True, slots=True, kw_only=True)
class Yank:
    """A file's PEP 592 yank status and the reason the publisher gave."""

    yanked: bool
    reason: str | None = None

    @classmethod
    def of_release(cls, files: Iterable[tuple[bool | None, str | None]]) -> Yank | None:
        """PEP 592: a release is yanked when every file is. ``files`` are (yanked, reason) per file,
        yanked None where the index does not say; the answer is None (unknown) when no file is known
        to be installable and some file's state is not stated."""
        states = list(files)
        if any(yanked is False for yanked, _reason in states):
            return cls(yanked=False)
        if any(yanked is None for yanked, _reason in states):
            return None
        reasons = sorted({reason for _yanked, reason in states if reason})
        return cls(yanked=True, reason="; ".join(reasons) or None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Publisher:
    """A PEP 740 publisher identity, e.g. ``github:pytorch/pytorch`` with its workflow."""

    kind: str  # "GitHub", "GitLab", "Google", ...
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None
    email: str | None = None  # a Google publisher's service account, its only identity

    @property
    def identity(self) -> str:
        """``kind:repository`` (``kind:email`` for Google) in lower case, the key trust entries use."""
        return f"{self.kind.lower()}:{(self.repository or self.email or '').lower()}"

    @property
    def full_identity(self) -> str:
        """``kind:repository@workflow#environment`` (the parts it has): what an approval records.

        A new workflow or environment in the same repository is a different pipeline publishing.
        """
        workflow = f"@{self.workflow}" if self.workflow else ""
        environment = f"#{self.environment}" if self.environment else ""
        return f"{self.identity}{workflow}{environment}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """What the index's PEP 740 provenance says about this version's files, and whether it verified.

    ``attested``: every file checked carries an attestation. ``verified``: every attestation
    verified offline (Sigstore signature and log entry, the file's sha256 as its subject, the
    publisher it names); ``problems`` say why not. Not attested is never verified.
    """

    attested: bool
    publishers: tuple[Publisher, ...] = ()
    files_checked: int = 0
    verified: bool = False
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.verified and not self.attested:
            raise ValueError("only an attested version can be verified")


@dataclass(frozen=True, slots=True, kw_only=True)
class StartupHook:
    """A wheel member the interpreter acts on at every start-up, before any import of the package.

    ``site`` executes each line of a ``.pth`` file that starts with ``import`` and imports
    ``sitecustomize``/``usercustomize``; a ``.pth`` of plain paths only extends ``sys.path``.
    """

    member: str  # its path inside the wheel
    runs_code: bool  # an ``import`` line or a *customize module; False: a .pth of paths only


class Severity(enum.IntEnum):
    """Advisory severity, ordered so policies compare with ``>=``. UNKNOWN ranks as HIGH in policy."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The severity as reports print it."""
        return self.name.lower()


class AdvisoryKind(enum.StrEnum):
    """A vulnerability (upgrade to fix) or a malicious-package report (remove now)."""

    VULNERABILITY = "vulnerability"
    MALICIOUS = "malicious"


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One advisory group after alias merging; ``id`` is the preferred id of the group."""

    id: str
    aliases: tuple[str, ...]
    kind: AdvisoryKind
    severity: Severity | None  # None: the records give no severity
    summary: str
    fixed_in: tuple[Version, ...]  # sorted ascending
    source: str
    # OSV ``last_affected`` events, sorted: every release after one of these is fixed for that range
    last_affected: tuple[Version, ...] = ()
    cvss_score: float | None = None
    withdrawn: bool = False
    published: datetime | None = None
    url: str | None = None
    problems: tuple[str, ...] = ()  # e.g. non-PEP 440 range events that could not be evaluated
    # The records name the package but give neither ranges nor versions: every version matched, an
    # unknown rather than a firm match (PYSEC-2025-75 names keras for a Keras 3 bug).
    no_affected_range: bool = False

    @property
    def ids(self) -> frozenset[str]:
        """The advisory's id and aliases: one advisory under any of its names."""
        return frozenset((self.id, *self.aliases))


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class IndexOffer:
    """One index an installer asks for a name, and the versions of that name it offers."""

    index: str  # redacted URL
    versions: tuple[str, ...]  # ascending; empty: the index does not serve the name


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalUsage:
    """How many recorded environments and teams use an internal package (the inventory's answer)."""

    environments: int
    teams: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageFacts:
    """Every signal about one package version. Each field is Known or Unknown, never a default."""

    ref: PackageRef
    maintainers: Signal[tuple[Maintainer, ...]]
    organization: Signal[str | None]  # Known(None): PyPI says no organisation
    downloads_30d: Signal[int]
    popularity_rank: Signal[int | None]  # Known(None): not in the top-packages dataset
    # An upper bound on downloads_30d (at most this many): the top-N list's cut-off, learned from the
    # name's absence from that list. Known(None): the name is in the list (downloads_30d is exact).
    downloads_30d_at_most: Signal[int | None]
    first_release: Signal[datetime]
    release_count: Signal[int]
    upload_time: Signal[datetime]
    latest_release: Signal[datetime]
    latest_version: Signal[str]
    release_gap_days: Signal[int | None]  # days since the previous release; Known(None): first release
    yanked: Signal[Yank]
    project_status: Signal[str]  # PEP 792: active | archived | quarantined | deprecated
    has_wheel: Signal[bool]
    provenance: Signal[Provenance]
    source_repository: Signal[str | None]
    license: Signal[str | None]
    summary: Signal[str | None]
    index: Signal[str]  # the (redacted) index URL that served it
    # "algorithm:hex" of every file of this version the serving index lists (the Simple API's hashes):
    # what the hashes the user's file records are checked against
    index_hashes: Signal[tuple[str, ...]]
    # Internal names only: every index the installer asks for the name that serves it, serving one first
    index_offers: Signal[tuple[IndexOffer, ...]]
    # Vulnerability advisories and malicious-package reports come from different datasets: one can
    # be installed without the other, and "no report" is only known where that kind's data is.
    advisories: Signal[tuple[Advisory, ...]]  # vulnerabilities (PYSEC, GHSA, CVE ...)
    malicious_reports: Signal[tuple[Advisory, ...]]  # malicious-package reports (OSV MAL-)
    internal_usage: Signal[InternalUsage]
    # .pth files and sitecustomize/usercustomize the target's wheel installs into site-packages
    startup_hooks: Signal[tuple[StartupHook, ...]]

    @classmethod
    def unknown(cls, ref: PackageRef, reason: str = "not collected") -> PackageFacts:
        """All facts Unknown: the starting point sources fill in."""
        missing = Unknown(reason=reason, source="supplychain")
        return cls(ref=ref, **dict.fromkeys(FACT_NAMES, missing))

    def known_advisories(self) -> tuple[Advisory, ...]:
        """Every advisory learned, of both kinds, by id: what reports and the inventory list."""
        found = {
            advisory.id: advisory
            for signal in (self.advisories, self.malicious_reports)
            if isinstance(signal, Known)
            for advisory in signal.value
        }
        return tuple(found[key] for key in sorted(found))


FACT_NAMES: tuple[str, ...] = (
    "maintainers",
    "organization",
    "downloads_30d",
    "popularity_rank",
    "downloads_30d_at_most",
    "first_release",
    "release_count",
    "upload_time",
    "latest_release",
    "latest_version",
    "release_gap_days",
    "yanked",
    "project_status",
    "has_wheel",
    "provenance",
    "source_repository",
    "license",
    "summary",
    "index",
    "index_hashes",
    "index_offers",
    "advisories",
    "malicious_reports",
    "internal_usage",
    "startup_hooks",
)


# --- Policy outcome ---------------------------------------------------------------------------


class Action(enum.StrEnum):
    """What a rule's outcome does to the verdict."""

    OFF = "off"
    WARN = "warn"
    FAIL = "fail"


class Verdict(enum.StrEnum):
    """The audit's answer; INCOMPLETE is never a pass."""

    PASSED = "passed"
    FAILED = "failed"
    INCOMPLETE = "incomplete"  # a fail-closed policy needed data that was unavailable (exit 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One rule firing on one package (or on the environment when ``package`` is None)."""

    rule: str
    action: Action
    package: PackageRef | None
    message: str
    evidence: Mapping[str, JSON] = field(default_factory=dict)
    remediation: str | None = None
    suppressed_by: str | None = None  # allowlist / exemption entry that downgraded it


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageScore:
    """Triage score 0-100 with each rule's contribution; never decides the verdict."""

    ref: PackageRef
    score: int
    contributions: tuple[tuple[str, int], ...]
