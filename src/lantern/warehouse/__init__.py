"""The embedded DuckDB warehouse: tables in docs/architecture.md and ``Warehouse`` to read them.
``lantern.pipeline.ingest`` builds it."""

from lantern.warehouse.store import Warehouse

__all__ = ["Warehouse"]
