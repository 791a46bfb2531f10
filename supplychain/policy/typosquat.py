"""The typosquat rule: is this name a small, deliberate-looking change of a much more popular name?

The checks are the union of GuardDog's (one insert/delete/substitute/adjacent swap; the same against
permutations of the popular name's words and its ``py``/``python`` forms) and PyPI TypoSnyper's
(repeated, omitted and swapped characters, swapped words, visual typos such as ``rn``/``m``),
plus crates.io's affix check with Python affixes, short words and versions, and typomania's
"a shared owner is no squat" (research: risk-signals.md §(d)). Thresholds were tuned on the
malicious-packages reports published before 2024 and checked on the later ones
(benchmarks/typosquat.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName
from rapidfuzz import process
from rapidfuzz.distance import OSA

from supplychain.files import write_atomic
from supplychain.model import (
    JSON,
    Action,
    Known,
    OriginKind,
    Owners,
    PackageFacts,
    ResolvedPackage,
    Signal,
    Unknown,
)
from supplychain.policy.base import Environment, Hit, Missing, Outcome, RuleSettings, evidence
from supplychain.policy.internal import is_internal
from supplychain.sources.datastore import DataStore, TopPackages

AFFIXES = (
    "py",
    "python",
    "python3",
    "lib",
    "api",
    "cli",
    "sdk",
    "client",
    "core",
    "tools",
    "utils",
    # Seen as affixes in malicious-packages reports before 2024 (``matplotlib-req``, ``pylint-sys``).
    "req",
    "sys",
    "arg",
)
# Words of at most this many characters count as affixes too (``requests-os``, ``s3transfer-sl``).
SHORT_AFFIX = 2
# A version word or suffix: ``aiogram-3``, ``httpxv2``, ``requests-2-32-3``.
VERSION = re.compile(r"v?[0-9]+")
GLUED_VERSION = re.compile(r"v?[0-9]+$")
# Glued affixes recognised without a separator (``cryptographylib``); the rest need one.
GLUED = ("python", "py", "lib")
# Visual confusables (TypoSnyper's map, reduced to what survives PEP 503 normalisation).
VISUAL = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("1", "l"), ("0", "o"), ("5", "s"))
MIN_NAME = 4
# Edits allowed by name length (separators ignored): one for short names, two from LONG_NAME on,
# and two from SHORT_TWO_EDITS on against a target that starts alike and has about the same length
# (``tablates`` and ``tableate`` for tabulate, ``coloraiz`` for colorama).
SHORT_TWO_EDITS = 7
LONG_NAME = 10
# The most specific technique names a match when several find the same popular name.
TECHNIQUES = ("separators", "visual", "swapped-words", "affix", "edit-distance-1", "edit-distance-2")


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class SquatMatch:
    """``name`` imitates ``target`` by ``technique``."""

    target: NormalizedName
    technique: str


def _words(name: str) -> list[str]:
    return [w for w in name.split("-") if w]


def _collapsed(name: str) -> str:
    return name.replace("-", "")


def _visual(name: str) -> str:
    for many, one in VISUAL:
        name = name.replace(many, one)
    return name


def _is_affix(word: str) -> bool:
    return word in AFFIXES or len(word) <= SHORT_AFFIX or VERSION.fullmatch(word) is not None


def _cores(name: str) -> set[str]:
    """The name without affix words, and without a glued version or affix (``pyyaml`` → ``yaml``).

    Several cores, so that ``matplotlib-req`` (affix word) and ``matplotlib`` (whose glued ``lib``
    also gives ``matplot``) still share one.
    """
    words = [w for w in _words(name) if not _is_affix(w)]
    core = "-".join(words) or name
    cores = {core}
    unversioned = GLUED_VERSION.sub("", core)
    if len(unversioned) >= MIN_NAME:
        cores.add(unversioned)
    for base in list(cores):
        for prefix in GLUED:
            if (
                base.startswith(prefix)
                and len(base) - len(prefix) >= 3
                and "-" not in base[: len(prefix) + 1]
            ):
                cores.add(base[len(prefix) :])
        for suffix in GLUED:
            if base.endswith(suffix) and len(base) - len(suffix) >= 5 and "-" not in base[-len(suffix) - 1 :]:
                cores.add(base[: -len(suffix)])
    return {c for c in cores if len(c) >= MIN_NAME}


class TyposquatIndex:
    """The popular names, pre-keyed for each check; built once per audit from the top-packages data."""

    def __init__(self, downloads: Mapping[NormalizedName, int], *, max_targets: int = 5000) -> None:
        ranked = sorted(downloads.items(), key=lambda item: (-item[1], item[0]))
        self.downloads = dict(downloads)
        self.targets = [name for name, _ in ranked[:max_targets]]
        self._collapsed_targets = [_collapsed(name) for name in self.targets]
        # "technique key" -> popular names: one string per key, so the stored index loads as it is.
        self._by_key: dict[str, list[NormalizedName]] = {}
        self._near: dict[NormalizedName, list[SquatMatch]] = {}  # the enrich stage and the rule both ask
        for target in self.targets:
            for technique, key in self._keys(target):
                self._by_key.setdefault(f"{technique} {key}", []).append(target)
            for core in _cores(target) - {target}:
                # A popular name's core: a name that drops its affix imitates it (``yaml``, ``pyyaml``).
                self._by_key.setdefault(f"core {_collapsed(core)}", []).append(target)

    def _under(self, technique: str, key: str) -> list[NormalizedName]:
        return self._by_key.get(f"{technique} {key}", [])

    def document(self) -> dict[str, Any]:
        """The precomputed keys (not the downloads), as JSON: ``stored_index`` keeps them in the data dir."""
        return {"targets": list(self.targets), "keys": self._by_key}

    @classmethod
    def from_document(cls, downloads: Mapping[NormalizedName, int], document: Any) -> TyposquatIndex:
        """The index ``document()`` described, over ``downloads``; KeyError, TypeError or ValueError
        when the document has another shape."""
        targets, keys = document["targets"], document["keys"]
        if not (
            isinstance(targets, list)
            and all(isinstance(name, str) for name in targets)
            and isinstance(keys, dict)
            and all(isinstance(found, list) for found in keys.values())
            and all(isinstance(name, str) for found in keys.values() for name in found)
        ):
            raise TypeError("not a stored typosquat index")
        index = cls.__new__(cls)
        index.downloads = dict(downloads)
        index.targets = targets
        index._collapsed_targets = [_collapsed(name) for name in targets]
        index._by_key = keys
        index._near = {}
        return index

    @staticmethod
    def _keys(name: str) -> Iterator[tuple[str, str]]:
        yield "separators", _collapsed(name)
        yield "swapped-words", "-".join(sorted(_words(name)))
        yield "visual", _collapsed(_visual(name))

    def matches(self, name: NormalizedName) -> list[SquatMatch]:
        """Every popular name ``name`` imitates; a popular name itself imitates nothing."""
        if name in self.downloads:
            return []
        return self.near(name)

    def near(self, name: NormalizedName) -> list[SquatMatch]:
        """Every popular name other than ``name`` that ``name`` is a near-miss of, popular or not.

        One match per popular name, by the most specific technique (the order of ``TECHNIQUES``).
        """
        if name not in self._near:
            self._near[name] = self._find(name)
        return list(self._near[name])

    def _find(self, name: NormalizedName) -> list[SquatMatch]:
        found: list[SquatMatch] = []
        for technique, key in self._keys(name):
            found.extend(SquatMatch(target=t, technique=technique) for t in self._under(technique, key))
        # An added affix: the name's core is a popular name (``requests-os``, ``httpxv2``) ...
        for core in _cores(name) - {name}:
            found.extend(
                SquatMatch(target=t, technique="affix") for t in self._under("separators", _collapsed(core))
            )
        # ... or a dropped one: the name is a popular name's core.
        found.extend(SquatMatch(target=t, technique="affix") for t in self._under("core", _collapsed(name)))
        found.extend(self._edits(name))
        found.extend(
            SquatMatch(target=NormalizedName(p), technique="swapped-words")
            for p in _permutations(name)
            if p in self.downloads
        )
        best: dict[NormalizedName, SquatMatch] = {}
        for match in sorted(found, key=lambda m: TECHNIQUES.index(m.technique)):
            if match.target != name:
                best.setdefault(match.target, match)
        return sorted(best.values())

    def _edits(self, name: NormalizedName) -> Iterator[SquatMatch]:
        """Optimal-string-alignment edits (insert, delete, substitute, adjacent swap), separators ignored."""
        collapsed = _collapsed(name)
        if len(collapsed) < MIN_NAME:
            return
        cutoff = 2 if len(collapsed) >= SHORT_TWO_EDITS else 1
        for _, distance, position in process.extract(
            collapsed, self._collapsed_targets, scorer=OSA.distance, score_cutoff=cutoff, limit=None
        ):
            other = self._collapsed_targets[position]
            if not distance or len(other) < MIN_NAME:
                continue
            if distance == 2 and len(collapsed) < LONG_NAME and not _close_short(collapsed, other):
                continue
            yield SquatMatch(target=self.targets[position], technique=f"edit-distance-{int(distance)}")


def _close_short(name: str, target: str) -> bool:
    """Two edits in a name under ``LONG_NAME`` count only against a target that starts alike and has
    about its length (``tablates`` for ``tabulate``, ``coloraiz`` for ``colorama``)."""
    return name[0] == target[0] and abs(len(name) - len(target)) <= 1 and len(target) >= SHORT_TWO_EDITS


def _permutations(name: str) -> Iterator[str]:
    words = _words(name)
    if 1 < len(words) <= 4:
        for order in itertools.permutations(words):
            yield "-".join(order)


def suspects(
    index: TyposquatIndex, name: NormalizedName, own_downloads: int, min_ratio: int
) -> list[SquatMatch]:
    """Matches whose popular name has at least ``min_ratio`` times ``own_downloads``."""
    floor = max(own_downloads, 1) * min_ratio
    return [m for m in index.matches(name) if index.downloads[m.target] >= floor]


@lru_cache(maxsize=4)
def _index(downloads: tuple[tuple[NormalizedName, int], ...]) -> TyposquatIndex:
    return TyposquatIndex(dict(downloads))


_LAST: list[tuple[Mapping[NormalizedName, int], TyposquatIndex]] = []


# The top-packages dataset a data directory gave (``from_data_dir``): its index is kept there.
_STORED: list[tuple[TopPackages, Path]] = []
INDEX_FILE = "typosquat.index.json"


def index_for(downloads: Mapping[NormalizedName, int]) -> TyposquatIndex:
    """A cached index, so one audit builds it once however many packages it checks.

    The same mapping object is recognised by identity first: keying on its sorted items cost
    more than the check itself for every package. A mapping read from a data directory
    (``from_data_dir``) takes the index stored there.
    """
    if _LAST and _LAST[0][0] is downloads:
        return _LAST[0][1]
    if _STORED and _STORED[0][0].downloads is downloads:
        index = stored_index(_STORED[0][1], _STORED[0][0])
    else:
        index = _index(tuple(sorted(downloads.items())))
    _LAST[:] = [(downloads, index)]
    return index


def from_data_dir(top: TopPackages, data_dir: Path) -> None:
    """``top`` was read from ``data_dir``: ``index_for(top.downloads)`` reads the index stored there."""
    _STORED[:] = [(top, data_dir)]


@lru_cache(maxsize=1)
def _code() -> bytes:
    """This module's code: what the index's keys are derived by (an edit makes stored ones stale)."""
    try:
        return Path(__file__).read_bytes()
    except OSError:
        return b""


def stored_index(data_dir: Path, top: TopPackages) -> TyposquatIndex:
    """The index over ``top`` (``data_dir``'s top packages), as stored there by ``db update``.

    Building it takes longer than the rest of a warm audit's policy stage. An index built by other
    code or from other data (its fingerprint: this module's code and the dataset's digest), or
    unreadable, is built again and stored (best effort: a read-only data directory keeps working,
    building it each run).
    """
    if top.digest is None or not _code():
        return TyposquatIndex(top.downloads)
    path = data_dir / INDEX_FILE
    fingerprint = hashlib.sha256(_code() + top.digest.encode()).hexdigest()
    downloads = top.downloads
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, IndexError):
        stored = json.loads(path.read_bytes())
        if stored["fingerprint"] == fingerprint:
            return TyposquatIndex.from_document(downloads, stored["index"])
    index = TyposquatIndex(downloads)
    with contextlib.suppress(OSError):
        body = json.dumps({"fingerprint": fingerprint, "index": index.document()}, sort_keys=True)
        write_atomic(path, body, private=True, durable=False)
    return index


def prepare_index(data_dir: Path) -> None:
    """Build and store the index over ``data_dir``'s top packages (``db update``), when there are any."""
    top = DataStore(data_dir).top_packages()
    if top is not None:
        stored_index(data_dir, top)


def lookalike_targets(
    settings: RuleSettings,
    packages: Iterable[tuple[ResolvedPackage, PackageFacts]],
    top_downloads: Mapping[NormalizedName, int] | None,
) -> list[NormalizedName]:
    """Popular names outside ``packages`` that one of them would be flagged as imitating.

    The enrich stage asks PyPI who owns these (``Environment.owners``), since the rule never fetches.
    """
    if settings.action is Action.OFF or top_downloads is None:
        return []
    index = index_for(top_downloads)
    pairs = list(packages)
    present = {package.ref.name for package, _ in pairs}
    wanted = {
        match.target
        for package, facts in pairs
        for match in suspects(index, package.ref.name, _downloads(facts), settings.integer("min_ratio"))
    }
    return sorted(wanted - present)


class TyposquatRule:
    id = "typosquat"
    rationale = "A name one slip away from a popular package is how most PyPI malware gets installed."
    help = (
        "Fails when the name is a near-miss of a popular package (one edit, two for names of 10+ "
        "characters or for 7-9 characters against a name that starts alike; separators; swapped "
        "words; an added or dropped affix such as py/python, lib, a short word or a version; visual "
        "look-alikes) with at least `min_ratio` times its downloads, unless the package is itself in "
        "the popular set or is internal. Only warns when it shares a PyPI owner or organisation with "
        "that package (typomania's rule)."
    )
    params: Mapping[str, type] = {"min_ratio": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if is_internal(package, facts, env):
            return []  # first: an internal package needs no dataset of public names to pass
        if package.origin.kind is OriginKind.CONDA:  # PyPI's popular names say nothing of a conda name
            from supplychain.inputs.conda import NOT_ON_PYPI  # the conda reader: when a conda package is seen

            return [Missing(fact="typosquat", reason=NOT_ON_PYPI, source="conda")]
        if env.top_downloads is None:
            return [
                Missing(
                    fact="top_packages",
                    reason="no top-packages dataset (run `supplychain db update`)",
                    source=env.top_source,
                )
            ]
        index = index_for(env.top_downloads)
        hits: list[Outcome] = []
        for match in suspects(index, package.ref.name, _downloads(facts), settings.integer("min_ratio")):
            target_downloads = index.downloads[match.target]
            owners = _target_ownership(match.target, env)
            shared = _shared(facts, owners)
            message = (
                f"{package.ref.name} looks like {match.target} ({match.technique}), "
                f"which has {target_downloads:,} downloads in 30 days"
            )
            hits.append(
                Hit(
                    message=message + (f", but shares {shared[0]} with it: not a squat" if shared else ""),
                    evidence={
                        "target": match.target,
                        "technique": match.technique,
                        "target_downloads_30d": target_downloads,
                        "source": env.top_source,
                        **_ownership_evidence("maintainers", facts.maintainers),
                        **_ownership_evidence("organization", facts.organization),
                        **_target_evidence(owners),
                        **({"shared_with_target": shared[1]} if shared else {}),
                    },
                    remediation=(
                        f"none if you meant {package.ref.name}: the owners of {match.target} publish it"
                        if shared
                        else _remediation(package.ref.name, match.target, env)
                    ),
                    action=Action.WARN if shared else None,
                )
            )
        return hits


def _remediation(name: NormalizedName, target: NormalizedName, env: Environment) -> str:
    """Who to ask: the user for a name they wrote, else the package that pulled ``name`` in."""
    graph = env.graph
    if name not in graph or graph.is_direct(name):
        return f"check you meant {name} and not {target}"
    parents = [p for p in graph.requested_by(name) if p in graph]
    paths = graph.why(name, limit=50)
    via = f" (via {' > '.join(paths[0])})" if paths and len(paths[0]) > 2 else ""
    who = ", ".join(parents[:3]) + (f" and {len(parents) - 3} more" if len(parents) > 3 else "")
    return (
        f"you did not ask for {name}: {who} require{'s' if len(parents) == 1 else ''} it{via}; "
        f"check that {name}, not {target}, is what {'it' if len(parents) == 1 else 'they'} meant"
    )


def _downloads(facts: PackageFacts) -> int:
    """Own downloads for the ratio: not in the top set means fewer than its last entry; unknown is none."""
    return facts.downloads_30d.value if isinstance(facts.downloads_30d, Known) else 0


def _target_ownership(target: NormalizedName, env: Environment) -> Owners | None:
    """The target's owners: its own facts when it is in the environment, else what enrich learned."""
    facts = next((f for ref, f in sorted(env.facts.items()) if ref.name == target), None)
    if facts is not None:
        return Owners(name=target, maintainers=facts.maintainers, organization=facts.organization)
    return env.owners.get(target)


def _shared(facts: PackageFacts, target: Owners | None) -> tuple[str, dict[str, JSON]] | None:
    """What the package and its look-alike target share on PyPI: owners (users) or an organisation.

    Only PyPI's ownership roles and organisation count: an ``author`` field is free text a squatter
    copies (``httpx2`` names httpx's author), while a role needs the invited user to accept it.
    """
    if target is None:
        return None
    users: list[str] = []
    if isinstance(facts.maintainers, Known) and isinstance(target.maintainers, Known):
        theirs = {m.user.lower() for m in target.maintainers.value}
        users = sorted({m.user for m in facts.maintainers.value if m.user.lower() in theirs})
    organization: str | None = None
    if isinstance(facts.organization, Known) and isinstance(target.organization, Known):
        mine, theirs_org = facts.organization.value, target.organization.value
        if mine is not None and theirs_org is not None and mine.lower() == theirs_org.lower():
            organization = mine
    if not users and organization is None:
        return None
    said = [f"organisation {organization}"] if organization else []
    said += [f"owner{'s' if len(users) > 1 else ''} {', '.join(users)}"] if users else []
    return " and ".join(said), {"owners": [*users], "organization": organization}


def _ownership_evidence(name: str, signal: Signal[object]) -> dict[str, JSON]:
    return evidence(name, signal) if isinstance(signal, Known) else {}


def _target_evidence(target: Owners | None) -> dict[str, JSON]:
    """The target's owners as learned, or why they are not known (then nothing is suppressed)."""
    if target is None:
        return {"target_owners": "not asked (the look-alike target was not looked up on PyPI)"}
    out: dict[str, JSON] = {}
    for name, signal in (("maintainers", target.maintainers), ("organization", target.organization)):
        match signal:
            case Known():
                out.update(evidence(f"target_{name}", signal))
            case Unknown(reason=reason, source=source):
                out[f"target_{name}"] = {"unknown": reason, "source": source}
    return out
