"""Fixtures for the open site: the bundled Essex warehouse, its published site, a local server and
a Chromium page that refuses every request not addressed to 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_helpers import CHROMIUM, CHROMIUM_ARGS, LocalServer, open_page  # noqa: E402

from lantern.publish.reader import read_site_data  # noqa: E402
from lantern.publish.sitedata import SiteData  # noqa: E402


@pytest.fixture(scope="session")
def essex_warehouse(tmp_path_factory) -> Path:
    """The bundled Essex warehouse, built the way a user does: ``lantern init``, ``ingest``, ``build``."""
    import os

    from lantern.cli import main

    work = tmp_path_factory.mktemp("essex")
    here = Path.cwd()
    os.chdir(work)
    try:
        for command in (["init"], ["ingest"], ["build"]):
            assert main(command) == 0, f"lantern {command[0]} failed"
    finally:
        os.chdir(here)
    return work / "out" / "lantern.duckdb"


@pytest.fixture(scope="session")
def essex_data(essex_warehouse: Path) -> SiteData:
    return read_site_data(essex_warehouse)


@pytest.fixture(scope="session")
def essex_site(essex_warehouse: Path, tmp_path_factory) -> Path:
    from lantern.config import config_from_mapping
    from lantern.pipeline.publish import publish

    config = config_from_mapping({"warehouse": str(essex_warehouse)}, root=essex_warehouse.parent)
    return publish(config, site_dir=tmp_path_factory.mktemp("pub") / "site")


@pytest.fixture(scope="session")
def essex_server(essex_site: Path) -> Iterator[LocalServer]:
    with LocalServer(essex_site) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make system-deps)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page; fails the test if it tried to reach any host but 127.0.0.1 or threw an error."""
    context, pg, guard, errors = open_page(browser, accept_downloads=True)
    yield pg
    context.close()
    assert guard.blocked == [], f"requests left 127.0.0.1: {guard.blocked}"
    assert errors == [], f"page errors: {errors}"
