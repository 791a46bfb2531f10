"""The typosquat rule: is this name a small, deliberate-looking change of a much more popular name?

The checks are the union of GuardDog's (one insert/delete/substitute/adjacent swap; the same against
permutations of the popular name's words and its ``py``/``python`` forms) and PyPI TypoSnyper's
(repeated, omitted and swapped characters, swapped words, visual typos such as ``rn``/``m``),
plus crates.io's affix check with Python affixes (research: risk-signals.md §(d)).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from packaging.utils import NormalizedName
from rapidfuzz import process
from rapidfuzz.distance import OSA

from supplychain.model import Known, PackageFacts, ResolvedPackage
from supplychain.policy.base import Environment, Hit, Missing, Outcome, RuleSettings, evidence
from supplychain.policy.internal import is_internal

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
    "3",
    "2",
)
# Visual confusables (TypoSnyper's map, reduced to what survives PEP 503 normalisation).
VISUAL = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("1", "l"), ("0", "o"), ("5", "s"))


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


def _strip_affixes(name: str) -> str:
    """The core of a name without ``py``/``python``/affix words or prefixes (``pyyaml`` → ``yaml``)."""
    words = [w for w in _words(name) if w not in AFFIXES]
    core = "-".join(words) or name
    for prefix in ("python", "py"):
        if core.startswith(prefix) and len(core) - len(prefix) >= 3 and "-" not in core[: len(prefix) + 1]:
            core = core[len(prefix) :]
            break
    return core


class TyposquatIndex:
    """The popular names, pre-keyed for each check; built once per audit from the top-packages data."""

    def __init__(self, downloads: Mapping[NormalizedName, int], *, max_targets: int = 5000) -> None:
        ranked = sorted(downloads.items(), key=lambda item: (-item[1], item[0]))
        self.downloads = dict(downloads)
        self.targets = [name for name, _ in ranked[:max_targets]]
        self._by_key: dict[tuple[str, str], list[NormalizedName]] = {}
        for target in self.targets:
            for technique, key in self._keys(target):
                self._by_key.setdefault((technique, key), []).append(target)

    @staticmethod
    def _keys(name: str) -> Iterator[tuple[str, str]]:
        yield "separators", _collapsed(name)
        yield "swapped-words", "-".join(sorted(_words(name)))
        yield "visual", _collapsed(_visual(name))
        core = _strip_affixes(name)
        if len(core) >= 4:
            yield "affix", _collapsed(core)

    def matches(self, name: NormalizedName, *, max_distance_long: int = 2) -> list[SquatMatch]:
        """Every popular name ``name`` imitates; a popular name itself imitates nothing."""
        if name in self.downloads:
            return []
        found: set[SquatMatch] = set()
        for technique, key in self._keys(name):
            for target in self._by_key.get((technique, key), ()):
                if target != name:
                    found.add(SquatMatch(target=target, technique=technique))
        if len(name) >= 4:
            cutoff = max_distance_long if len(name) >= 10 else 1
            for target, distance, _ in process.extract(
                name, self.targets, scorer=OSA.distance, score_cutoff=cutoff, limit=None
            ):
                if distance and len(target) >= 4:
                    found.add(
                        SquatMatch(target=NormalizedName(target), technique=f"edit-distance-{int(distance)}")
                    )
        for permutation in _permutations(name):
            if permutation in self.downloads and permutation != name:
                found.add(SquatMatch(target=NormalizedName(permutation), technique="swapped-words"))
        return sorted(found)


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


def index_for(downloads: Mapping[NormalizedName, int]) -> TyposquatIndex:
    """A cached index, so one audit builds it once however many packages it checks.

    The same mapping object is recognised by identity first: keying on its sorted items cost
    more than the check itself for every package.
    """
    if _LAST and _LAST[0][0] is downloads:
        return _LAST[0][1]
    index = _index(tuple(sorted(downloads.items())))
    _LAST[:] = [(downloads, index)]
    return index


class TyposquatRule:
    id = "typosquat"
    rationale = "A name one slip away from a popular package is how most PyPI malware gets installed."
    help = (
        "Fails when the name is a near-miss of a popular package (one edit, two for names of 10+ "
        "characters; separators; swapped words; py/python and other affixes; visual look-alikes) "
        "with at least `min_ratio` times its downloads, unless the package is itself in the "
        "popular set, is internal, or shares a maintainer with that package."
    )
    params: Mapping[str, type] = {"min_ratio": int}

    def evaluate(
        self, package: ResolvedPackage, facts: PackageFacts, settings: RuleSettings, env: Environment
    ) -> list[Outcome]:
        if is_internal(package, facts, env):
            return []  # first: an internal package needs no dataset of public names to pass
        if env.top_downloads is None:
            return [
                Missing(
                    fact="top_packages",
                    reason="no top-packages dataset (run `supplychain db update`)",
                    source=env.top_source,
                )
            ]
        index = index_for(env.top_downloads)
        # Not in the top set means fewer downloads than its last entry; unknown counts as none.
        own = facts.downloads_30d.value if isinstance(facts.downloads_30d, Known) else 0
        mine = _owners(facts)
        hits: list[Outcome] = []
        for match in suspects(index, package.ref.name, own, settings.integer("min_ratio")):
            target_downloads = index.downloads[match.target]
            shared = mine & _owners(env.facts[match.target]) if match.target in env.facts else set()
            if shared:
                continue
            hits.append(
                Hit(
                    message=f"{package.ref.name} looks like {match.target} ({match.technique}), "
                    f"which has {target_downloads:,} downloads in 30 days",
                    evidence={
                        "target": match.target,
                        "technique": match.technique,
                        "target_downloads_30d": target_downloads,
                        "source": env.top_source,
                        **(
                            evidence("maintainers", facts.maintainers)
                            if isinstance(facts.maintainers, Known)
                            else {}
                        ),
                    },
                    remediation=_remediation(package.ref.name, match.target, env),
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


def _owners(facts: PackageFacts) -> set[str]:
    return (
        {m.user.lower() for m in facts.maintainers.value} if isinstance(facts.maintainers, Known) else set()
    )
