"""The resolvelib provider: candidates from project pages, dependencies from core metadata.

The resolver loop is synchronous and runs in a worker thread; every fetch is a task on the event
loop, so pages of newly learned dependencies are fetched in parallel while the resolver works.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import AbstractProvider

from supplychain.model import Location, normalize
from supplychain.progress import Progress
from supplychain.resolve.core_metadata import CoreMetadata
from supplychain.resolve.index import IndexClient, IndexFile, ProjectPage
from supplychain.target import Target


@dataclass(frozen=True, slots=True, kw_only=True)
class Req:
    """A requirement inside the resolver, with who asked for it (None = the user)."""

    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet
    marker: str | None = None
    parent: str | None = None  # "name version" of the requiring candidate
    location: Location | None = None

    @property
    def key(self) -> str:
        """The resolver identity this requirement constrains: ``name`` or ``name[extras]``."""
        return key_of(self.name, self.extras)

    @property
    def pinned(self) -> Version | None:
        """A lone exact ``==``/``===`` pin's version, else None; only a pin may pick a yanked file."""
        specs = list(self.specifier)
        if len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version:
            return Version(specs[0].version)
        return None

    def describe(self) -> str:
        """``name[extras]specifier (required by …)``: one line of a conflict message."""
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        who = self.parent or (f"the input at {self.location}" if self.location else "the input")
        return f"{self.name}{extras}{self.specifier or ''} (required by {who})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One version of a project (with extras) and the file chosen for the target."""

    name: NormalizedName
    extras: frozenset[str]
    version: Version
    file: IndexFile
    page: ProjectPage = field(compare=False)

    @property
    def key(self) -> str:
        """Same identity as ``Req.key``, for resolvelib's ``identify``."""
        return key_of(self.name, self.extras)


def _plain(text: str) -> bool:
    try:
        Version(text)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _requirement(line: str) -> Requirement:
    """One parse per Requires-Dist line: the crawl ahead and the resolver read the same ones."""
    return Requirement(line)


def key_of(name: str, extras: frozenset[str]) -> str:
    """The name plus sorted extras in brackets: ``a[x]`` resolves apart from ``a``, tied to it by version."""
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


_Chosen = tuple[
    ProjectPage, dict[tuple[Version, bool], IndexFile | None]
]  # a page, its best file per version


class Provider(AbstractProvider[Req, Candidate, str]):
    """resolvelib's delegate: candidates from project pages, dependencies from core metadata.

    It records each candidate's dependencies and what could not be read, for building the graph.
    """

    def __init__(
        self,
        *,
        client: IndexClient,
        loop: asyncio.AbstractEventLoop,
        target: Target,
        exclude_newer: datetime | None,
        constraints: Mapping[NormalizedName, SpecifierSet],
        skip: frozenset[NormalizedName],
        progress: Progress,
    ) -> None:
        self.client = client
        self.loop = loop
        self.target = target
        self.exclude_newer = exclude_newer
        self.constraints = constraints
        self.skip = skip  # direct references: nodes of their own, never looked up on an index
        self.progress = progress
        self.dependencies: dict[tuple[str, Version], list[Req]] = {}
        self.unresolved: dict[tuple[NormalizedName, Version], str] = {}
        self.warned_no_time: set[NormalizedName] = set()
        self.crawled: dict[NormalizedName, asyncio.Future[None]] = {}
        self._best: dict[NormalizedName, _Chosen] = {}

    # --- bridging to the event loop -------------------------------------------------------------

    def _await(self, make: Any) -> Any:
        async def wait() -> Any:
            return await make()

        return asyncio.run_coroutine_threadsafe(wait(), self.loop).result()

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """From the resolver thread: schedule speculative crawls of ``names`` on the event loop."""
        for name in names:
            self.loop.call_soon_threadsafe(self.speculate, name)

    def speculate(self, name: NormalizedName) -> None:
        """On the loop: crawl ahead along the newest versions, as the resolver most likely will."""
        if name not in self.crawled and name not in self.skip:
            self.crawled[name] = asyncio.ensure_future(self._crawl(name))

    async def _crawl(self, name: NormalizedName) -> None:
        try:
            page = await self.client.page(name)
            finals = [v for v in page.versions if not v.is_prerelease]
            newest = self._first(page, frozenset(), finals, set()) or self._first(
                page, frozenset(), page.versions, set()
            )
            if newest is None:
                return
            metadata = await self.client.metadata(newest.file)
        except Exception:  # noqa: BLE001 - a guess that failed; the resolver will ask and report
            return
        for line in metadata.requires or ():
            try:
                requirement = _requirement(line)
            except InvalidRequirement:
                continue
            if self.target.evaluate(requirement.marker):
                self.speculate(normalize(requirement.name))

    def stop(self) -> None:
        """Cancel the speculative crawls still running; resolution has ended."""
        for task in self.crawled.values():
            task.cancel()

    # --- resolvelib API ---------------------------------------------------------------------------

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        """``name[extras]``: an extra is its own identity, tied to its base by ``get_dependencies``."""
        return requirement_or_candidate.key

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> tuple[bool, bool, bool, str]:
        """Decide first what backtracking blamed, then pins, then direct requirements; ties by name."""
        infos = list(information[identifier])
        pinned = any(info.requirement.pinned is not None for info in infos)
        direct = any(info.parent is None for info in infos)
        causes = {cause.requirement.key for cause in backtrack_causes}
        return (identifier not in causes, not pinned, not direct, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        """Candidates newest first within every specifier and constraint, minus known-bad versions.

        Pre-releases only when a specifier names one or nothing final fits (uv's ``if-necessary``).
        Lazily: a version's files are read when resolvelib gets that far (it mostly takes the first).
        """
        reqs = list(requirements[identifier])
        name, extras = reqs[0].name, reqs[0].extras
        page: ProjectPage = self._await(lambda: self.client.page(name))
        bad = {c.version for c in incompatibilities[identifier]}
        pins = {r.pinned for r in reqs if r.pinned is not None}
        specs = [r.specifier for r in reqs]
        if name in self.constraints:
            specs.append(self.constraints[name])
        fitting = [
            version
            for version in page.versions
            if version not in bad and all(s.contains(version, prereleases=True) for s in specs)
        ]
        explicit = any(Version(s.version).is_prerelease for spec in specs for s in spec if _plain(s.version))
        chosen = fitting if explicit else [v for v in fitting if not v.is_prerelease]
        first = self._first(page, extras, chosen, pins)
        if first is None and not explicit:  # uv's "if-necessary": pre-releases only when nothing final fits
            chosen = fitting
            first = self._first(page, extras, chosen, pins)
        if first is not None:
            self.loop.call_soon_threadsafe(self.client.metadata, first.file)
        return lambda: self._candidates(page, extras, chosen, pins)

    def _first(
        self, page: ProjectPage, extras: frozenset[str], versions: Sequence[Version], pins: set[Version]
    ) -> Candidate | None:
        return next(self._candidates(page, extras, versions, pins), None)

    def _candidates(
        self, page: ProjectPage, extras: frozenset[str], versions: Sequence[Version], pins: set[Version]
    ) -> Iterator[Candidate]:
        for version in versions:
            file = self._best_file(page, version, version in pins)
            if file is not None:
                # the file's spelling: the page groups "cffi-1.0.2-2.tar.gz" as a "2", equal to 2.0.0
                yield Candidate(name=page.name, extras=extras, version=file.version, file=file, page=page)

    def _best_file(self, page: ProjectPage, version: Version, pinned: bool) -> IndexFile | None:
        """The version's most specific compatible wheel, else an sdist; yanked only when pinned.

        Memoised per page: resolvelib asks for the same identifier's matches many times.
        """
        known = self._best.get(page.name)
        if known is None or known[0] is not page:
            known = (page, {})
            self._best[page.name] = known
        key = (version, pinned)
        if key not in known[1]:
            known[1][key] = self._choose_file(page, page.files_of(version), pinned)
        return known[1][key]

    def _choose_file(self, page: ProjectPage, files: Iterable[IndexFile], pinned: bool) -> IndexFile | None:
        best: tuple[int, IndexFile] | None = None
        priority = self.target.tag_priority
        sdist_rank = len(priority) + 1
        for file in files:
            if file.yanked and not pinned:
                continue
            if self.exclude_newer is not None:
                if file.upload_time is None:
                    if page.name not in self.warned_no_time:
                        self.warned_no_time.add(page.name)
                        self.progress.warn(
                            f"{page.name}: files without an upload time ignored under --exclude-newer"
                        )
                    continue
                if file.upload_time >= self.exclude_newer:  # uv: only files uploaded before it
                    continue
            if not file.python_ok(self.target.python_version):
                continue
            if file.tags is None:
                rank = sdist_rank
            else:
                ranks = [priority[tag] for tag in file.tags if tag in priority]
                if not ranks:
                    continue
                rank = min(ranks)
            if best is None or rank < best[0]:
                best = (rank, file)
        return None if best is None else best[1]

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        """Within the specifier, pre-releases included: ``find_matches`` applied the pre-release rule."""
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> list[Req]:
        """Requires-Dist of the candidate for the target and its extras, plus its base at the same version.

        Unreadable metadata goes to ``unresolved`` with its reason, never guessed; direct references stay out.
        """
        metadata: CoreMetadata = self._await(lambda: self.client.metadata(candidate.file))
        parent = f"{candidate.key} {candidate.version}"
        reqs: list[Req] = []
        if candidate.extras:  # the extra-aware candidate depends on its base at the same version
            reqs.append(
                Req(
                    name=candidate.name,
                    extras=frozenset(),
                    specifier=SpecifierSet(f"=={candidate.version}"),
                    parent=parent,
                )
            )
        if metadata.requires is None:
            self.unresolved[(candidate.name, candidate.version)] = metadata.reason or "unknown"
        for line in metadata.requires or ():
            try:
                requirement = _requirement(line)
            except InvalidRequirement:
                self.progress.warn(f"{parent}: unparseable Requires-Dist {line!r} ignored")
                continue
            if not self.target.evaluate(requirement.marker, candidate.extras):
                continue
            reqs.append(
                Req(
                    name=normalize(requirement.name),
                    extras=frozenset(normalize(e) for e in requirement.extras),
                    specifier=requirement.specifier,
                    marker=str(requirement.marker) if requirement.marker else None,
                    parent=parent,
                )
            )
        self.dependencies[(candidate.key, candidate.version)] = reqs
        reqs = [r for r in reqs if r.name not in self.skip]
        self.prefetch({r.name for r in reqs})
        self.progress.advance("resolve")
        return reqs
