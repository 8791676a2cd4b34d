"""``lantern portal serve --workers 2`` as people run it, on PostgreSQL: the port opens only when
every process is warm (its database pool open), the kernel spreads new connections over the
processes' own ``SO_REUSEPORT`` sockets, a worker that cannot start stops the server, and
SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest

from lantern.portal.crypto import new_key

from .conftest import make_portal
from .pg import free_port

ROOT = Path(__file__).resolve().parents[2]
POOL = 3
pytestmark = pytest.mark.postgres


def serve(url: str, port: int, key: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "LANTERN_PORTAL_DB": url,
        "LANTERN_PORTAL_DATA_KEY": key,
        "LANTERN_PORTAL_DB_POOL_SIZE": str(POOL),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from lantern.cli import main; raise SystemExit(main())"]
        + ["portal", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def connection_owners(port: int) -> Counter[int]:
    """How many established connections on ``port`` each process holds (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    owners: Counter[int] = Counter()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    owners[int(proc.name)] += 1
        except OSError:
            continue
    return owners


def test_workers_open_the_port_warm_and_share_connections(tmp_path, request):
    portal = make_portal("postgresql", "workers", tmp_path, request)
    url = portal.settings.database_url
    portal.app.state.engine.dispose()
    port = free_port()
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as watcher:
        proc = serve(url, port, portal.settings.data_key or "")
        try:
            assert wait_for_port(port, proc), proc.stderr.read() if proc.stderr else ""
            # the moment the port first accepts, both processes hold their whole pool
            opened = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            assert opened >= 2 * POOL
            clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(40)]
            try:
                for client in clients:
                    assert client.get("/api/health").status_code == 200
                owners = connection_owners(port)
                servers = {o: n for o, n in owners.items() if o != os.getpid()}
                # each client's connection is held by one of the two workers, and each worker
                # has a fair share (fewer than 8 of 40 happens with probability ~1e-5)
                assert sum(servers.values()) == 40 and len(servers) == 2, servers
                assert min(servers.values()) >= 8, servers
            finally:
                for client in clients:
                    client.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(timeout=60)
    assert status == 0


def test_an_unmigrated_database_stops_the_server_with_one_clear_line(pg_cluster):
    url = pg_cluster.create_database("workers_unmigrated")
    port = free_port()
    proc = serve(url, port, new_key())
    try:
        status = proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert status == 3  # ConfigError
    message = proc.stderr.read() if proc.stderr else ""
    assert "lantern portal migrate" in message and "Traceback" not in message
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
