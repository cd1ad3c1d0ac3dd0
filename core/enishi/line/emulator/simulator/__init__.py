"""The simulator page: a phone-like chat where a person acts as simulated LINE users (``<prefix>/simulator``).

Plain HTML, one vanilla JavaScript module and one stylesheet, served from ``static/`` without a build step. The
page talks only to the control API; it learns the prefix it is served under from a ``<meta>`` tag.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect

STATIC = Path(__file__).parent / "static"
_ASSETS = {"simulator.js": "text/javascript; charset=utf-8", "simulator.css": "text/css; charset=utf-8"}


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _base(request: Request[Any, Any, Any]) -> str:
    path = request.url.path.rstrip("/")
    return path.removesuffix("/simulator")


def simulator_handlers() -> list[HTTPRouteHandler]:
    @get("/simulator", media_type=MediaType.HTML)
    async def simulator_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        page = _read("index.html").decode("utf-8").replace("{{BASE}}", html.escape(_base(request), quote=True))
        return Response(
            page.encode("utf-8"),
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    @get("/simulator/static/{name:str}")
    async def simulator_asset(name: FromPath[str]) -> Response[bytes]:
        if name not in _ASSETS:
            return Response(b"not found", status_code=404, media_type=MediaType.TEXT)
        return Response(
            _read(name),
            media_type=_ASSETS[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @get("/", include_in_schema=False)
    async def emulator_root(request: Request[Any, Any, Any]) -> Redirect:
        return Redirect(path=request.url.path.rstrip("/") + "/simulator", status_code=302)

    return [simulator_page, simulator_asset, emulator_root]
