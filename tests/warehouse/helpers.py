"""Helpers for the warehouse tests."""

from __future__ import annotations

from pathlib import Path

from lantern.config import config_from_mapping
from lantern.pipeline.ingest import ingest


def build(folder: Path, data_dir: Path, area_codes: list[str] | None = None):
    raw = {"name": "test", "data_dir": str(data_dir), "warehouse": str(folder / "lantern.duckdb")}
    if area_codes:
        raw["area_codes"] = area_codes
    config = config_from_mapping(raw, root=folder)
    return config, ingest(config)
