"""Where supplychain keeps its caches and its data: the platform's directories unless the environment says."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """HTTP cache directory: ``SUPPLYCHAIN_CACHE_DIR`` or the platform cache dir."""
    return Path(os.environ.get("SUPPLYCHAIN_CACHE_DIR") or platformdirs.user_cache_dir("supplychain"))


def data_dir() -> Path:
    """Offline databases and the default inventory: ``SUPPLYCHAIN_DATA_DIR`` or the platform data dir."""
    return Path(os.environ.get("SUPPLYCHAIN_DATA_DIR") or platformdirs.user_data_dir("supplychain"))


def inventory_url(data: Path | None = None) -> str:
    """The default inventory database: ``inventory.sqlite3`` in the data dir, for ``inventory record``
    and ``audit`` alike (``inventory-db`` in the configuration replaces it for both)."""
    return f"sqlite:///{(data or data_dir()) / 'inventory.sqlite3'}"
