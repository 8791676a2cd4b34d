"""The embedded DuckDB warehouse: tables in docs/architecture.md and ``Warehouse`` to read and
write them. ``lantern.pipeline.ingest`` builds it."""

from lantern.warehouse.runs import run_log_path
from lantern.warehouse.store import Warehouse

__all__ = ["Warehouse", "run_log_path"]
