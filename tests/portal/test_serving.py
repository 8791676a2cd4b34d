"""``lantern portal serve --workers N``: each process listens on its own ``SO_REUSEPORT`` socket
once it is warm, connections are spread over the processes, and every connection gets
TCP_NODELAY, so a keep-alive request is never held back waiting for the client's delayed ACK
(Kludex/uvicorn#3149: uvicorn's own shared socket loses it)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from lantern.portal.serving import listening_socket


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


@pytest.mark.parametrize("reuse_port", [True, False])
def test_listening_sockets_give_connections_tcp_nodelay(reuse_port):
    listener = listening_socket("127.0.0.1", 0, reuse_port=reuse_port)
    assert listener.proto == socket.IPPROTO_TCP
    assert bool(listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)) is reuse_port
    assert _nodelay_of_accepted(listener) != 0
