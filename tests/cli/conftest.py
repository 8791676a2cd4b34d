"""A data folder mirroring the bundled sample (symlinks) and a project that ingests from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lantern.cli import main

from .helpers import mirror_data, write_config


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory, bundled_essex) -> Path:
    """A warehouse built by the CLI from the bundled sample (the 'previous' build)."""
    folder = tmp_path_factory.mktemp("good")
    config = write_config(folder, bundled_essex)
    assert main(["ingest", "--config", str(config), "--quiet"]) == 0
    return folder / "out" / "lantern.duckdb"


@pytest.fixture
def project(tmp_path, bundled_essex, good_warehouse):
    """A project whose data folder can be edited and whose warehouse already exists."""
    data = mirror_data(bundled_essex, tmp_path / "data")
    config = write_config(tmp_path, data)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(good_warehouse, out / "lantern.duckdb")
    return config, data, out / "lantern.duckdb"
