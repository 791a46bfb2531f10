"""An on-disk memo of the dependencies read from each distribution file, keyed by its sha256.

A file on an index never changes under a given hash, so what its METADATA said is reusable forever;
a warm run reads no metadata at all: no PEP 658 file, no range request, no download.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Protocol

from supplychain.files import write_atomic
from supplychain.resolve.core_metadata import CoreMetadata

_VERSION = 2  # 1 could hold the JSON API's requires_dist, which can disagree with the wheel


class StoredFile(Protocol):
    """What the store keys an entry on: the file's name and its ``algorithm:digest`` hashes."""

    @property
    def filename(self) -> str: ...
    @property
    def hashes(self) -> tuple[str, ...]: ...


class MetadataStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, file: StoredFile) -> Path | None:
        digest = next((h for h in file.hashes if h.startswith("sha256:")), None)
        if digest is None:
            return None  # without a hash the bytes behind the URL could change
        key = hashlib.sha256(f"{_VERSION}\n{digest}\n{file.filename}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def get(self, file: StoredFile) -> CoreMetadata | None:
        path = self._path(file)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        requires = data.get("requires") if isinstance(data, dict) else None
        reason = data.get("reason") if isinstance(data, dict) else None
        if requires is not None and not (
            isinstance(requires, list) and all(isinstance(r, str) for r in requires)
        ):
            return None
        if requires is None and not isinstance(reason, str):
            return None
        return CoreMetadata(
            requires=tuple(requires) if requires is not None else None,
            reason=reason if isinstance(reason, str) else None,
        )

    def put(self, file: StoredFile, metadata: CoreMetadata) -> None:
        """Atomic write; a store that cannot be written only costs a download next time."""
        path = self._path(file)
        if path is None:
            return
        body = json.dumps({"requires": metadata.requires, "reason": metadata.reason})
        with contextlib.suppress(OSError):
            write_atomic(path, body, private=True, durable=False)
