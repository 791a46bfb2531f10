"""Inventory source: how many of our environments and teams use an internal package (``internal_usage``)."""

from __future__ import annotations

from collections.abc import Sequence

from supplychain.errors import DataUnavailableError, UsageError
from supplychain.model import InternalUsage, Known, PackageRef, ResolvedPackage, Signal, Unknown
from supplychain.sources import FactPatch, SourceContext
from supplychain.sources.scope import is_internal

SOURCE = "inventory"


class InventorySource:
    """Public packages get no answer from here (their popularity comes from PyPI data)."""

    id = SOURCE

    async def collect(
        self, packages: Sequence[ResolvedPackage], context: SourceContext
    ) -> dict[PackageRef, FactPatch]:
        internal = [p for p in packages if is_internal(p, context)]
        if not internal:
            return {}
        from supplychain.inventory.store import InventoryStore, sqlite_path  # only internal names need it

        url = context.config.inventory_db
        path = sqlite_path(url) if url else None
        if not url or (path is not None and not path.is_file()):
            # Never created here: an audit reads the inventory, only ``inventory record`` writes it.
            why = (
                "no inventory database configured (inventory-db)"
                if not url
                else f"no inventory at {path}: record environments with `supplychain inventory record`"
            )
            missing = Unknown(reason=why, source=SOURCE)
            return {p.ref: {"internal_usage": missing} for p in internal}
        now = context.clock.now()
        try:
            with InventoryStore(url) as store:
                signals: dict[PackageRef, Signal[object]] = {}
                for package in internal:
                    environments, teams = store.usage(package.ref.name)
                    signals[package.ref] = Known(
                        value=InternalUsage(environments=environments, teams=teams),
                        source=SOURCE,
                        fetched_at=now,
                    )
        except (DataUnavailableError, UsageError) as error:
            reason = Unknown(reason=error.message, source=SOURCE)
            return {p.ref: {"internal_usage": reason} for p in internal}
        return {ref: {"internal_usage": signal} for ref, signal in signals.items()}
