"""Start-up hooks source: the ``.pth`` and ``sitecustomize`` files the target's wheel installs.

Read from each wheel's zip directory by range requests (``net/wheel_hooks.py``), never by
downloading or installing the wheel. An sdist's files are known only after a build: Unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from supplychain.errors import FetchError
from supplychain.model import Known, PackageRef, ResolvedPackage, Signal, StartupHook, Unknown
from supplychain.net.wheel_hooks import fetch_startup_hooks
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.integrity import target_files, version_files
from supplychain.sources.scope import askable, index_of

SOURCE = "startup-hooks"
FACTS = ("startup_hooks",)
MAX_WHEELS = 4  # wheels read per version: the target's usually number one or two


class StartupHooksSource:
    """Per version: the hooks of every wheel this target could install, merged."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        results = await asyncio.gather(*(self._one(package, context) for package in packages))
        return {
            package.ref: {"startup_hooks": signal} for package, signal in zip(packages, results, strict=True)
        }

    async def _one(self, package: ResolvedPackage, context: SourceContext) -> Signal[object]:
        index = index_of(package, context.config)
        if not askable(index, package, context):
            return Unknown(reason=f"internal package: {index.public} not asked", source=SOURCE)
        files = await version_files(package, context)
        if isinstance(files, Unknown):
            return Unknown(reason=files.reason, source=SOURCE, settled=files.settled)
        wheels = [file for file in target_files(files, context) if file.filename.endswith(".whl")]
        if not wheels:
            reason = "no wheel for this target: an sdist's files are known only after a build"
            return Unknown(reason=reason, source=SOURCE, settled=True)
        if len(wheels) > MAX_WHEELS:
            reason = f"{len(wheels)} wheels could serve this target; more than {MAX_WHEELS} are not read"
            return Unknown(reason=reason, source=SOURCE, settled=True)
        outcomes = await asyncio.gather(
            *(fetch_startup_hooks(context.http, wheel.url, size=wheel.size) for wheel in wheels),
            return_exceptions=True,
        )
        found: set[StartupHook] = set()
        for outcome in outcomes:
            if isinstance(outcome, FetchError):
                return Unknown(reason=outcome.reason, source=SOURCE)  # names the wheel's URL, masked
            if isinstance(outcome, BaseException):
                raise outcome
            found.update(outcome)
        return Known(
            value=tuple(sorted(found, key=lambda hook: hook.member)),
            source=SOURCE,
            fetched_at=context.clock.now(),
        )
