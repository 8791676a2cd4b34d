"""``lantern portal serve --workers N`` hands TCP_NODELAY to every connection it accepts, so a
keep-alive request is never held back waiting for the client's delayed ACK (Kludex/uvicorn#3149:
uvicorn's own shared socket loses it)."""

from __future__ import annotations

import asyncio
import socket

from lantern.portal.serving import APP, PortalConfig


def _nodelay_of_accepted(listener: socket.socket) -> int:
    """TCP_NODELAY as asyncio leaves it on a connection accepted from ``listener``."""

    async def run() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport) -> None:  # noqa: ANN001
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(run())


def test_the_shared_listening_socket_gives_connections_tcp_nodelay():
    config = PortalConfig(APP, factory=True, host="127.0.0.1", port=0, workers=2)
    listener = config.bind_socket()
    assert listener.proto == socket.IPPROTO_TCP and listener.get_inheritable()
    assert _nodelay_of_accepted(listener) != 0
