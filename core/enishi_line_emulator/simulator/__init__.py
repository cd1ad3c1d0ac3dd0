"""The simulator page: a phone-like chat where a person acts as simulated LINE users (``<prefix>/simulator``).

Plain HTML, one vanilla JavaScript module and one stylesheet, served from ``static/`` without a build step. The
page talks only to the control API; it learns the prefix it is served under, the CSRF token to send back and
whether it may register channels from ``<meta>`` tags. Inside the app it is a page for signed-in staff (it is
guarded with the control API, see ``page_handlers``); its static files are public.
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

from enishi_line_emulator.control import scope_of_request

STATIC = Path(__file__).parent / "static"
_ASSETS = {"simulator.js": "text/javascript; charset=utf-8", "simulator.css": "text/css; charset=utf-8"}


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _base(request: Request[Any, Any, Any]) -> str:
    path = request.url.path.rstrip("/")
    return path.removesuffix("/simulator")


def page_handlers() -> list[HTTPRouteHandler]:
    """The page itself, which goes behind the control API's guard (it shows the caller's channels)."""

    @get("/simulator", media_type=MediaType.HTML, opt={"control": "scoped", "simulator_page": True})
    async def simulator_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        scope = scope_of_request(request)
        values = {
            "{{BASE}}": _base(request),
            "{{CSRF}}": scope.csrf_token or "",
            "{{CAN_REGISTER}}": "1" if scope.admin else "0",
        }
        page = _read("index.html").decode("utf-8")
        for name, value in values.items():
            page = page.replace(name, html.escape(value, quote=True))
        return Response(
            page.encode("utf-8"),
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return [simulator_page]


def simulator_handlers() -> list[HTTPRouteHandler]:
    """The page's static files and the emulator's root, which leads to the page."""

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

    return [simulator_asset, emulator_root]
