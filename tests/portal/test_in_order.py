"""A server process works on ``LANTERN_PORTAL_THREADS`` requests at once and the rest wait their
turn in arrival order (``lantern.portal.app.InOrder``), holding no thread and no database
connection while they wait: a burst larger than the database pool is answered in full, instead of
every thread waiting for a connection that requests queued behind them hold (30 s, then 500s)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lantern.portal.app import InOrder

from .conftest import UNLIMITED, make_portal
from .pg import free_port
from .test_workers import wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def test_at_most_the_slots_work_at_once_and_the_rest_in_arrival_order():
    active, most, order = 0, 0, []

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.01)
        order.append(scope["path"])
        active -= 1

    async def run() -> None:
        gate = InOrder(app, slots=2)
        calls = [
            gate({"type": "http", "path": f"/{i}"}, None, None)  # type: ignore[arg-type]
            for i in range(10)
        ]
        await asyncio.gather(*calls)
        await gate({"type": "http", "path": "/api/health"}, None, None)  # type: ignore[arg-type]

    asyncio.run(run())
    assert most == 2
    assert order[:10] == [f"/{i}" for i in range(10)]


def test_a_burst_larger_than_the_pool_is_answered_in_full(tmp_path, request):
    portal = make_portal("sqlite", "in_order", tmp_path, request, **UNLIMITED)
    portal.app.state.engine.dispose()
    cookie = portal.sign_in("hub").cookies["lantern_session"]
    port = free_port()
    env = {
        **os.environ,
        "LANTERN_PORTAL_DB": portal.settings.database_url,
        "LANTERN_PORTAL_DATA_KEY": portal.settings.data_key or "",
        "LANTERN_PORTAL_DB_POOL_SIZE": "2",  # 4 connections with the overflow
        "LANTERN_PORTAL_THREADS": "8",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lantern.cli import main; raise SystemExit(main())"]
        + ["portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    w = portal.world
    # reads, and refusals (each also appends to the audit log on a connection of its own)
    paths = [f"/api/areas/{w.in_lsoas[0]}", f"/api/areas/{w.out_lsoa_other_district}"] * 20

    async def burst() -> list[int]:
        async def one(path: str) -> int:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", cookies={"lantern_session": cookie}
            ) as client:
                return (await client.get(path, timeout=60)).status_code

        return await asyncio.gather(*(one(p) for p in paths))

    try:
        assert wait_for_port(port, proc)
        started = time.monotonic()
        statuses = asyncio.run(burst())
        took = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert statuses == [200, 404] * 20
    assert took < 20  # a pool deadlock lasts the pool's 30 s timeout
