"""A real HTTP server for tests whose client needs a socket (the LINE SDK's aiohttp client, uvicorn itself)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import uvicorn


def listening_socket() -> socket.socket:
    # IPPROTO_TCP, or asyncio leaves TCP_NODELAY off on accepted connections (40 ms per request, delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(
    app: Any, *, lifespan: Literal["on", "off"] = "off", sock: socket.socket | None = None
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port in this event loop; yields its base URL."""
    sock = sock or listening_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, lifespan=lifespan))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()
