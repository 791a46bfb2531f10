"""An on-disk memo of the dependencies read from each distribution file, keyed by its sha256.

A file on an index never changes under a given hash, so what its METADATA said is reusable forever;
this spares warm runs from downloading wheels again when an index offers no PEP 658 file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from supplychain.files import write_atomic

if TYPE_CHECKING:
    from supplychain.resolve.index import CoreMetadata, IndexFile

_VERSION = 1


class MetadataStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, file: IndexFile) -> Path | None:
        digest = next((h for h in file.hashes if h.startswith("sha256:")), None)
        if digest is None:
            return None  # without a hash the bytes behind the URL could change
        key = hashlib.sha256(f"{_VERSION}\n{digest}\n{file.filename}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def get(self, file: IndexFile) -> CoreMetadata | None:
        from supplychain.resolve.index import CoreMetadata

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

    def put(self, file: IndexFile, metadata: CoreMetadata) -> None:
        """Atomic write; a store that cannot be written only costs a download next time."""
        path = self._path(file)
        if path is None:
            return
        body = json.dumps({"requires": metadata.requires, "reason": metadata.reason})
        with contextlib.suppress(OSError):
            write_atomic(path, body, private=True, durable=False)
