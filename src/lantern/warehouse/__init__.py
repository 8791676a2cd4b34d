"""The embedded DuckDB warehouse: tables in docs/architecture.md, atomic ``ingest``, ``Warehouse``."""

from lantern.warehouse.ingest import IngestResult, ingest
from lantern.warehouse.runs import run_log_path
from lantern.warehouse.store import Warehouse

__all__ = ["IngestResult", "Warehouse", "ingest", "run_log_path"]
