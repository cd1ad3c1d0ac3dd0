"""Putting the emulator together: a router to mount in the main app, or a standalone app for ``enishi emulator``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.types import Middleware

from enishi_line_emulator.api import api_handlers
from enishi_line_emulator.control import NotesOf, ScopeOf, control_guard, control_handlers
from enishi_line_emulator.errors import LineApiError
from enishi_line_emulator.oauth import consent_handlers, oauth_handlers
from enishi_line_emulator.simulator import page_handlers, simulator_handlers
from enishi_line_emulator.state import Emulator


def line_error(request: Request[Any, Any, Any], exc: LineApiError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (404, 405, 413 …) in LINE's shape."""
    message = {404: "Not found", 405: "Method not allowed", 413: "Request entity too large"}.get(
        exc.status_code, str(exc.detail)
    )
    return Response({"message": message}, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)


EXCEPTION_HANDLERS: dict[Any, Any] = {LineApiError: line_error, HTTPException: http_error}


def _to_sign_in(url: str) -> Any:
    """Errors in LINE's shape, except that a person who is not signed in and opens the page is sent to sign in."""

    def handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        page = (request.route_handler.opt or {}).get("simulator_page")
        if page and exc.status_code == 401 and request.method == "GET":
            return Redirect(url, status_code=303)
        return http_error(request, exc)

    return handler


def create_emulator_router(
    emulator: Emulator,
    path: str = "/emulator",
    *,
    scope_of: ScopeOf | None = None,
    control_middleware: Sequence[Middleware] = (),
    sign_in_url: str | None = None,
    notes_of: NotesOf | None = None,
) -> Router:
    """All of the emulator under ``path``: the Messaging API (``<path>/v2/bot/...``, which is also the data host),
    LINE Login (``<path>/oauth2/v2.1/...``, both the authorisation host and the API host), the control API
    (``<path>/_control/...``) and the simulator page (``<path>/simulator``).

    The Messaging API and LINE Login answer as LINE's do (channel access tokens, channel secrets). The control API,
    the simulator page and LINE Login's consent page (picking a simulated user logs in as them) are open unless
    ``scope_of`` says what each caller may do; ``control_middleware`` (e.g. the app's sign-in) runs before it, and
    an anonymous visit of a page goes to ``sign_in_url``. ``notes_of`` adds what the app has to say about a user
    beside their talk (shown under the chat).

    Point the SDK at it with ``Configuration(host="http://127.0.0.1:8000/emulator")``. The routes are left out of
    the OpenAPI schema and opt out of the audit log (``opt={"audit": False}``): they are not staff actions.
    """
    control_exceptions = dict(EXCEPTION_HANDLERS)
    if sign_in_url is not None:
        control_exceptions[HTTPException] = _to_sign_in(sign_in_url)
    control = Router(
        path="/",
        route_handlers=[*control_handlers(emulator, notes_of), *page_handlers(), *consent_handlers(emulator)],
        guards=[control_guard(emulator, scope_of)],
        middleware=list(control_middleware),
        exception_handlers=control_exceptions,
    )
    return Router(
        path=path,
        route_handlers=[
            *api_handlers(emulator),
            *oauth_handlers(emulator),
            *simulator_handlers(),
            control,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        opt={"audit": False, "line_emulator": True},
        include_in_schema=False,
        tags=["line-emulator"],
    )


def create_emulator_app(emulator: Emulator | None = None, *, path: str = "/", debug: bool = False) -> Litestar:
    """A standalone app serving only the emulator (at the root unless ``path`` says otherwise)."""
    emulator = emulator or Emulator()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await emulator.aclose()

    return Litestar(
        route_handlers=[create_emulator_router(emulator, path)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        state={"line_emulator": emulator},  # type: ignore[arg-type]
        openapi_config=None,
        request_max_body_size=1024 * 1024,
        debug=debug,
    )
