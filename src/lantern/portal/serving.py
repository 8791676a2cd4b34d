"""Serving the portal with uvicorn: one process, or several sharing one listening socket.

For ``--workers N`` uvicorn binds the shared socket itself, with protocol 0; the connections it
accepts inherit that, and asyncio turns on ``TCP_NODELAY`` only for sockets that say
``IPPROTO_TCP``, so every keep-alive request after the first waits about 40 ms for the client's
delayed ACK (Kludex/uvicorn#3149). The portal binds the socket as TCP itself.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

#: the app factory each worker process calls: the portal app, warmed before it takes requests
APP = "lantern.portal.warm:create_served_app"


class PortalConfig(uvicorn.Config):
    """uvicorn's configuration, with a listening socket that hands TCP_NODELAY to connections."""

    def bind_socket(self) -> socket.socket:
        if self.uds is not None or self.fd is not None:
            return super().bind_socket()
        family = socket.AF_INET6 if self.host and ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        return sock


def serve(
    *,
    host: str,
    port: int,
    workers: int,
    proxy_headers: bool = False,
    forwarded_allow_ips: str | None = None,
    log_level: str = "warning",
) -> None:
    """Run the portal until interrupted (settings come from the environment)."""
    config = PortalConfig(
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
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
