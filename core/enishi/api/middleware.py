"""Staff authentication (session cookie + CSRF token, or bearer API token), id range checks and the audit
fallback."""

from __future__ import annotations

import re
import typing
import weakref
from typing import Any

from litestar.connection import ASGIConnection
from litestar.constants import RESERVED_KWARGS
from litestar.datastructures import MultiDict
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import BodyKwarg, DependencyKwarg, ParameterKwarg
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from enishi.api.errors import ApiError, invalid
from enishi.api.services import services_of
from enishi.audit import AUDITED_FLAG, UNSAFE_METHODS, entry_for
from enishi.auth.service import from_api_token, from_cookie, record_token_use
from enishi.crypto import same

SESSION_COOKIE = "enishi_session"
CSRF_HEADER = "x-csrf-token"


class StaffAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        services = services_of(connection)
        header = connection.headers.get("authorization")
        async with services.db.session() as session:
            if header:
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token:
                    raise ApiError(401, "unauthorized", "Authorization must be 'Bearer <API token>'")
                auth = await from_api_token(session, token.strip())
            else:
                cookie = connection.cookies.get(SESSION_COOKIE)
                auth = await from_cookie(session, cookie) if cookie else None
        if auth is None:
            raise ApiError(401, "unauthorized", "ログインしてください / sign in first")
        if auth.api_token_id is not None:
            await record_token_use(services.db, auth)
        # Cookies are sent by the browser on its own, so a state change must also prove it came from our page: by
        # the header, or (a plain HTML form, e.g. the LINE emulator's consent page) by a field the route checks.
        if auth.via_cookie and connection.scope.get("method") in UNSAFE_METHODS and not _checks_csrf_form(connection):
            sent = connection.headers.get(CSRF_HEADER, "")
            if not sent or not auth.csrf_token or not same(sent, auth.csrf_token):
                raise ApiError(403, "csrf", "CSRF token missing or wrong (send the X-CSRF-Token header)")
        return AuthenticationResult(user=auth.user, auth=auth)


def _checks_csrf_form(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return (getattr(handler, "opt", None) or {}).get("csrf") == "form"


class AuditFallbackMiddleware:
    """Records a successful state-changing call that did not go through the request's database session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        # Routes that are not staff actions opt out with opt={"audit": False} and pass straight through, untouched:
        # LINE's webhook is one, and the hottest path.
        if (
            scope["type"] != "http"
            or scope.get("method") not in UNSAFE_METHODS
            or handler is None
            or (getattr(handler, "opt", None) or {}).get("audit") is False
        ):
            await self.app(scope, receive, send)
            return
        status: dict[str, int] = {}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        code = status.get("code", 500)
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        if code < 400 and not connection.state.get(AUDITED_FLAG):
            async with services_of(connection).db.transaction() as session:
                session.add(entry_for(connection, code))


# Every id is a 64-bit integer in the database; Litestar parses integers of any size, and a bigger one would only
# fail deep in the database driver (a 500).
ID_MIN, ID_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"\s*([+-]?)0*(\d+)\s*", re.ASCII)


def _within_64_bits(value: str) -> bool:
    match = _INTEGER.fullmatch(value)
    if match is None:
        return True  # not an integer at all: the route's own validation answers
    digits = match.group(2)
    return len(digits) <= 19 and ID_MIN <= int(match.group(1) + digits) <= ID_MAX


def _mentions_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_mentions_int(arg) for arg in typing.get_args(annotation) if arg is not bool)


# Per route handler, worked out on its first request with a query string (a handler's signature never changes).
_int_query_keys_of: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()


def _int_query_keys(handler: Any, path_params: dict[str, Any]) -> list[str]:
    """The query parameters a handler parses as integers (``int``, ``int | None``, ``list[int]``)."""
    if handler is None:
        return []
    keys = _int_query_keys_of.get(handler)
    if keys is None:
        keys = _int_query_keys_of[handler] = _find_int_query_keys(handler, path_params)
    return keys


def _find_int_query_keys(handler: Any, path_params: dict[str, Any]) -> list[str]:
    signature = getattr(handler, "parsed_fn_signature", None)
    if signature is None:
        return []
    dependencies = handler.resolve_dependencies()
    keys = []
    for name, field in signature.parameters.items():
        kwarg = field.kwarg_definition
        if name in path_params or name in RESERVED_KWARGS or name in dependencies:
            continue
        if isinstance(kwarg, DependencyKwarg | BodyKwarg):
            continue
        if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
            continue
        if _mentions_int(field.annotation):
            keys.append(kwarg.query if isinstance(kwarg, ParameterKwarg) and kwarg.query else name)
    return keys


class IdRangeMiddleware:
    """Refuses ids that cannot exist before any handler sees them, for every route, core and plugin alike: a path
    id past 64 bits answers 404 (no such record), an integer query parameter past 64 bits 422 naming it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path_params: dict[str, Any] = scope.get("path_params") or {}
            for value in path_params.values():
                if isinstance(value, int) and not ID_MIN <= value <= ID_MAX:
                    raise ApiError(404, "not_found", "not found")
            if scope.get("query_string"):
                self._check_query(scope, path_params)
        await self.app(scope, receive, send)

    @staticmethod
    def _check_query(scope: Scope, path_params: dict[str, Any]) -> None:
        keys = _int_query_keys(scope.get("route_handler"), path_params)
        if not keys:
            return
        query: MultiDict[Any] = ASGIConnection(scope).query_params
        for key in keys:
            if not all(_within_64_bits(value) for value in query.getall(key, [])):
                raise invalid(
                    [{"path": f"query:{key}", "message": "64ビットの整数にしてください / must fit in 64 bits"}],
                    "64ビットの整数にしてください / must fit in 64 bits",
                )
