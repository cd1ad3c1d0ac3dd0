"""Staff authentication (session cookie + CSRF token, or bearer API token) and the audit fallback."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from enishi.api.errors import ApiError
from enishi.api.services import services_of
from enishi.audit import AUDITED_FLAG, UNSAFE_METHODS, entry_for
from enishi.auth.service import from_api_token, from_cookie
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
        # Cookies are sent by the browser on its own, so a state change must also prove it came from our page.
        if auth.via_cookie and connection.scope.get("method") in UNSAFE_METHODS:
            sent = connection.headers.get(CSRF_HEADER, "")
            if not sent or not auth.csrf_token or not same(sent, auth.csrf_token):
                raise ApiError(403, "csrf", "CSRF token missing or wrong (send the X-CSRF-Token header)")
        return AuthenticationResult(user=auth.user, auth=auth)


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
