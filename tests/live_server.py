"""A real HTTP server for tests whose client needs a socket (the LINE SDK's aiohttp client, uvicorn itself).

The helpers live in the test kit (enishi.testing), which serves the app under test the same way."""

from __future__ import annotations

from enishi.testing import listening_socket, serve

__all__ = ["listening_socket", "serve"]
