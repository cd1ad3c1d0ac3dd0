"""Sign in and out, who am I, personal API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.errors import ApiError, not_found
from enishi.api.middleware import SESSION_COOKIE
from enishi.api.params import AppServices, Auth, CurrentUser, Db
from enishi.audit import add_details
from enishi.auth import service as auth_service
from enishi.db.base import utcnow
from enishi.models import AgencyMembership, ApiToken, User, WorkspaceMembership

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\s*$")]


class LoginIn(msgspec.Struct):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    locale: str


class MembershipOut(msgspec.Struct):
    scope: str  # "workspace" or "agency"
    id: int  # the workspace or agency id
    role: str


class MeOut(msgspec.Struct):
    user: UserOut
    memberships: list[MembershipOut]
    csrf_token: str | None


class TokenIn(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class TokenOut(msgspec.Struct):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(msgspec.Struct):
    token: str  # shown once; only its hash is stored
    info: TokenOut


def user_out(user: CurrentUser) -> UserOut:
    return UserOut(user.id, user.email, user.display_name, user.is_platform_admin, user.locale)


def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(t.id, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at)


async def me_out(db: AsyncSession, user: User, csrf_token: str | None) -> MeOut:
    ws = await db.execute(
        select(WorkspaceMembership.workspace_id, WorkspaceMembership.role).where(WorkspaceMembership.user_id == user.id)
    )
    ag = await db.execute(
        select(AgencyMembership.agency_id, AgencyMembership.role).where(AgencyMembership.user_id == user.id)
    )
    memberships = [MembershipOut("agency", a, r) for a, r in ag] + [MembershipOut("workspace", w, r) for w, r in ws]
    return MeOut(user_out(user), memberships, csrf_token)


class AuthController(Controller):
    path = "/api/auth"
    tags = ("auth",)

    @post("/login", exclude_from_auth=True, status_code=200, audit="core.login")
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], db: Db, services: AppServices
    ) -> Response[MeOut]:
        ip = request.client.host if request.client else "unknown"
        try:
            result = await auth_service.login(
                db, services.settings, data.email, data.password, ip, request.headers.get("user-agent")
            )
        except auth_service.TooManyAttempts as exc:
            await db.commit()
            raise ApiError(
                429,
                "too_many_attempts",
                f"ログインの失敗が続いたため、{exc.retry_after}秒後に再度お試しください / too many failed logins",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        if result is None:
            await db.commit()  # keep the failed attempt: it counts toward throttling
            raise ApiError(401, "bad_credentials", "メールアドレスかパスワードが違います / wrong email or password")
        user, cookie, staff_session = result
        request.state["audit_user_id"] = user.id
        return Response(
            await me_out(db, user, staff_session.csrf_token),
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=cookie,
                    httponly=True,
                    samesite="strict",
                    secure=services.settings.secure_cookies,
                    max_age=services.settings.session_hours * 3600,
                    path="/",
                )
            ],
        )

    @post("/logout", status_code=204)
    async def logout(self, auth: Auth, db: Db) -> Response[None]:
        if auth.session_id is not None:
            await auth_service.end_session(db, auth.session_id)
        return Response(None, status_code=204, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])

    @get("/me")
    async def me(self, auth: Auth, db: Db) -> MeOut:
        return await me_out(db, auth.user, auth.csrf_token)

    @get("/tokens")
    async def list_tokens(self, user: CurrentUser, db: Db) -> list[TokenOut]:
        rows = await db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
        return [token_out(t) for t in rows]

    @post("/tokens", status_code=201)
    async def create_token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenIn], user: CurrentUser, db: Db
    ) -> NewTokenOut:
        expires = utcnow() + timedelta(days=data.expires_in_days) if data.expires_in_days else None
        token, secret = await auth_service.create_api_token(db, user, data.name, expires)
        add_details(request, name=data.name)
        return NewTokenOut(secret, token_out(token))

    @delete("/tokens/{token_id:int}", status_code=204)
    async def revoke_token(self, token_id: FromPath[int], user: CurrentUser, db: Db) -> None:
        token = await db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
        if token is None:
            raise not_found("token")
        token.revoked_at = token.revoked_at or utcnow()
