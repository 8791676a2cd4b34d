"""Warehouses built once per session: the bundled Essex sample, and England (slow)."""

from __future__ import annotations

import pytest

from lantern.warehouse import Warehouse

from .helpers import build


@pytest.fixture(scope="session")
def essex_build(tmp_path_factory, bundled_essex):
    return build(tmp_path_factory.mktemp("essex"), bundled_essex)


@pytest.fixture(scope="session")
def essex(essex_build):
    config, _ = essex_build
    with Warehouse(config.warehouse) as wh:
        yield wh


@pytest.fixture(scope="session")
def england_build(tmp_path_factory, shared_data):
    return build(tmp_path_factory.mktemp("england"), shared_data, ["E92000001"])


@pytest.fixture(scope="session")
def england(england_build):
    config, _ = england_build
    with Warehouse(config.warehouse) as wh:
        yield wh
