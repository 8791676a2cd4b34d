"""The bundled Essex warehouse, built as a user does (init, ingest, build)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def essex_project(tmp_path_factory) -> Path:
    from lantern.cli import main

    work = tmp_path_factory.mktemp("essex-profile")
    here = Path.cwd()
    os.chdir(work)
    try:
        for command in (["init"], ["ingest"], ["build"]):
            assert main(command) == 0, f"lantern {command[0]} failed"
    finally:
        os.chdir(here)
    return work


@pytest.fixture(scope="session")
def essex_wh(essex_project: Path):
    from lantern.warehouse import Warehouse

    with Warehouse(essex_project / "out" / "lantern.duckdb") as wh:
        yield wh
