"""Serving the portal with uvicorn: one process, or several, each with its own listening socket.

With ``--workers N`` every process binds its own socket to the same address with
``SO_REUSEPORT``, so the kernel spreads new connections evenly over the processes. (On one
shared socket, whichever process woke first accepted every connection waiting: 39 of 50 users
arriving at once went to one process and waited for each other while the other sat idle.)

A process opens its socket only once its app is warm (``lantern.portal.warm``: modules
imported, templates compiled, database pool open), and no process listens until every process
is warm, so the first connections are neither refused by a busy process nor all sent to the
first one ready. A process that later dies is replaced; it listens as soon as it is warm.

Sockets are created as TCP (``IPPROTO_TCP``), as uvicorn does for one process: asyncio turns on ``TCP_NODELAY`` only for such
sockets, and without it every keep-alive request after the first waited about 40 ms for the
client's delayed ACK (Kludex/uvicorn#3149).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.context import SpawnProcess
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

#: the app factory each worker process calls: the portal app, warmed before it takes requests
APP = "lantern.portal.warm:create_served_app"
#: how long a worker may take to get warm before the server gives up starting
READY_TIMEOUT_SECONDS = 300.0

log = logging.getLogger("lantern.portal")
_SPAWN = multiprocessing.get_context("spawn")


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A bound (not yet listening) TCP socket; with ``reuse_port``, one of a group of sockets
    on the same address among which the kernel spreads new connections."""
    family = socket.AF_INET6 if host and ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class WarmFirstServer(uvicorn.Server):
    """A worker's server: binds its own ``SO_REUSEPORT`` socket after the app is loaded (and so
    warm), says it is ready, and starts listening when the supervisor says every worker is."""

    def __init__(self, config: uvicorn.Config, ready: Any, go: Any) -> None:
        super().__init__(config)
        self.ready, self.go = ready, go
        self.own: list[socket.socket] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        sock = listening_socket(self.config.host, self.config.port, reuse_port=True)
        self.own = [sock]
        self.ready.release()
        while not self.go.wait(0.1):
            if self.should_exit:
                return
        await super().startup(sockets=self.own)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=self.own)


def _worker(config: uvicorn.Config, ready: Any, go: Any) -> None:  # pragma: no cover - a child
    config.configure_logging()
    WarmFirstServer(config, ready, go).run()


class Workers:
    """Runs ``count`` worker processes and keeps them running until SIGINT or SIGTERM."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config, self.count = config, count
        self.ready = _SPAWN.Semaphore(0)
        self.go = _SPAWN.Event()
        self.stopping = False
        self.processes: list[SpawnProcess] = []

    def _start(self) -> SpawnProcess:
        process = _SPAWN.Process(target=_worker, args=(self.config, self.ready, self.go))
        process.start()
        return process

    def _stop(self, *_args: object) -> None:
        self.stopping = True

    def wait_until_warm(self) -> bool:
        """Wait until every worker has bound its socket after warming up (False: one failed)."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        warm = 0
        while warm < self.count:
            if self.stopping or time.monotonic() > deadline:
                return False
            if self.ready.acquire(timeout=0.2):
                warm += 1
            elif any(p.exitcode is not None for p in self.processes):
                return False
        return True

    def run(self) -> int:
        """Serve until told to stop; the exit status (non-zero if workers could not start)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        self.processes = [self._start() for _ in range(self.count)]
        status = 0
        if self.wait_until_warm():
            self.go.set()
        elif not self.stopping:
            log.error("a portal worker process failed to start; stopping")
            self.stopping, status = True, STARTUP_FAILURE
        while not self.stopping:
            time.sleep(0.2)
            for i, process in enumerate(self.processes):
                if process.exitcode is None or self.stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:  # would fail the same way again
                    log.error("a portal worker process failed to start; stopping")
                    self.stopping, status = True, STARTUP_FAILURE
                    break
                log.warning(
                    "portal worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                self.processes[i] = self._start()
        for process in self.processes:
            if process.exitcode is None:
                process.terminate()
        for process in self.processes:
            process.join(timeout=30)
        return status


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    proxy_headers: bool = False,
    forwarded_allow_ips: str | None = None,
    log_level: str = "warning",
) -> int:
    """Run the portal until interrupted (settings come from the environment); the exit status."""
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
    )
    if workers > 1:
        return Workers(config, workers).run()
    uvicorn.Server(config).run()
    return 0
