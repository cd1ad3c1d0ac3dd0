"""Sign in and out (with an optional one-time code), who am I, my password, two-factor sign-in, personal API
tokens, my staff invitations; and platform admins' handling of accounts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.api.deps import platform_admin_guard
from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.middleware import SESSION_COOKIE
from enishi.api.params import AppServices, Auth, CurrentUser, Db
from enishi.audit import add_details
from enishi.auth import invitations
from enishi.auth import service as auth_service
from enishi.auth.passwords import password_problem, verify_password
from enishi.db.base import utcnow
from enishi.models import AgencyMembership, ApiToken, LoginAttempt, User, WorkspaceMembership
from enishi.tenancy.workspaces import SeatLimitReached

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\s*$")]


Password = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class LoginIn(msgspec.Struct):
    email: Email
    password: Password
    totp_code: Code | None = None  # asked for (401 two_factor_required) when the account has two-factor sign-in


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    locale: str
    two_factor_enabled: bool = False


class PasswordChangeIn(msgspec.Struct):
    current_password: Password
    new_password: Password


class TwoFactorStartOut(msgspec.Struct):
    secret: str  # for typing into an app by hand
    otpauth_uri: str  # for a QR code


class CodeIn(msgspec.Struct):
    code: Code


class MyInvitationOut(msgspec.Struct):
    id: int
    workspace_id: int
    workspace_name: str
    role: str
    invited_by: str | None  # the inviter's display name
    created_at: datetime
    expires_at: datetime


class InvitationAnswerOut(msgspec.Struct):
    id: int
    workspace_id: int
    role: str
    status: str


class AccountOut(msgspec.Struct):
    id: int
    email: str
    display_name: str
    is_platform_admin: bool
    is_active: bool
    two_factor_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


class PasswordResetIn(msgspec.Struct):
    new_password: Password
    # For someone who lost their authenticator app: they sign in with the password alone and may enrol again.
    reset_two_factor: bool = False


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
    return UserOut(
        user.id, user.email, user.display_name, user.is_platform_admin, user.locale, user.totp_secret is not None
    )


def account_out(u: User) -> AccountOut:
    return AccountOut(
        u.id,
        u.email,
        u.display_name,
        u.is_platform_admin,
        u.is_active,
        u.totp_secret is not None,
        u.created_at,
        u.last_login_at,
    )


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def json_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A form or ``text/plain`` post needs no CORS preflight, so another site could sign a visitor in to an
    account of its choosing (login CSRF); a JSON content type it cannot send without asking. (Guards run before
    the body is read.)"""
    media_type = connection.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            "Content-Type は application/json にしてください / send Content-Type: application/json",
        )


def throttled(exc: auth_service.TooManyAttempts) -> ApiError:
    return ApiError(
        429,
        "too_many_attempts",
        f"失敗が続いたため、{exc.retry_after}秒後に再度お試しください / too many failed attempts, wait a moment",
        headers={"Retry-After": str(exc.retry_after)},
    )


def bad_code(path: str = "$.code") -> ApiError:
    return invalid(
        [{"path": path, "message": "確認コードが違います / the code is wrong or was used already"}],
        "確認コードが違います / the code is wrong or was used already",
    )


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

    @post(
        "/login",
        exclude_from_auth=True,
        status_code=200,
        audit="core.login",
        guards=[json_only],
        errors=(401, 415, 429),  # wrong password, not JSON, throttled: documented (enishi.api.openapi)
    )
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], db: Db, services: AppServices
    ) -> Response[MeOut]:
        try:
            result = await auth_service.login(
                db,
                services.settings,
                data.email,
                data.password,
                client_address(request),
                request.headers.get("user-agent"),
                box=services.secrets,
                totp_code=data.totp_code,
            )
        except auth_service.TooManyAttempts as exc:
            await db.commit()
            raise throttled(exc) from None
        except auth_service.SecondFactorNeeded:
            raise ApiError(
                401,
                "two_factor_required",
                "認証アプリの確認コードを入力してください / enter the code from your authenticator app",
                [{"path": "$.totp_code", "message": "required"}],
            ) from None
        except auth_service.BadSecondFactor:
            await db.commit()  # keep the failed attempt: guessing codes is throttled like guessing passwords
            raise ApiError(
                401,
                "bad_two_factor_code",
                "確認コードが違います / the code is wrong or was used already",
                [{"path": "$.totp_code", "message": "wrong code"}],
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

    # -- my password and two-factor sign-in ------------------------------------------------------------------

    @post("/password", status_code=204, audit="core.password_changed", errors=(429,))
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordChangeIn],
        auth: Auth,
        db: Db,
        services: AppServices,
    ) -> None:
        """Change my password; my other sessions end. The current password is checked and throttled like a login."""
        user, ip = await db.get_one(User, auth.user.id), client_address(request)
        try:
            await auth_service.check_throttle(db, services.settings, user.email, ip)
        except auth_service.TooManyAttempts as exc:
            raise throttled(exc) from None
        if not verify_password(user.password_hash, data.current_password):
            db.add(LoginAttempt(email=user.email, ip=ip, succeeded=False))
            await db.commit()  # kept although the request fails: it counts toward throttling
            raise invalid([{"path": "$.current_password", "message": "パスワードが違います / wrong password"}])
        problem = password_problem(data.new_password)
        if problem:
            raise invalid([{"path": "$.new_password", "message": problem}])
        await auth_service.set_password(db, user, data.new_password, keep_session=auth.session_id)

    @post("/two-factor", status_code=201, audit="core.two_factor_started")
    async def start_two_factor(self, auth: Auth, db: Db, services: AppServices) -> TwoFactorStartOut:
        """A new secret for my authenticator app; two-factor sign-in starts once a code from it is confirmed."""
        user = await db.get_one(User, auth.user.id)
        if user.totp_secret is not None:
            raise ApiError(409, "two_factor_enabled", "二段階認証は有効です / two-factor sign-in is on already")
        secret, uri = auth_service.start_two_factor(services.secrets, user)
        return TwoFactorStartOut(secret, uri)

    @post("/two-factor/confirm", status_code=204, audit="core.two_factor_enabled")
    async def confirm_two_factor(self, data: JSONBody[CodeIn], auth: Auth, db: Db, services: AppServices) -> None:
        user = await db.get_one(User, auth.user.id)
        if user.totp_secret is not None:
            raise ApiError(409, "two_factor_enabled", "二段階認証は有効です / two-factor sign-in is on already")
        if not auth_service.confirm_two_factor(services.secrets, user, data.code):
            raise bad_code()

    @post("/two-factor/disable", status_code=204, audit="core.two_factor_disabled")
    async def disable_two_factor(self, data: JSONBody[CodeIn], auth: Auth, db: Db, services: AppServices) -> None:
        user = await db.get_one(User, auth.user.id)
        if user.totp_secret is None:
            raise ApiError(409, "two_factor_off", "二段階認証は無効です / two-factor sign-in is off")
        if not auth_service.disable_two_factor(services.secrets, user, data.code):
            raise bad_code()

    # -- my staff invitations --------------------------------------------------------------------------------

    @get("/invitations")
    async def my_invitations(self, user: CurrentUser, db: Db) -> list[MyInvitationOut]:
        """Workspaces that offer me a role; I become staff only by accepting."""
        return [
            MyInvitationOut(
                o.invitation.id,
                o.invitation.workspace_id,
                o.workspace_name,
                o.invitation.role,
                o.invited_by_name,
                o.invitation.created_at,
                o.invitation.expires_at,
            )
            for o in await invitations.open_for(db, user.email)
        ]

    @post("/invitations/{invitation_id:int}/accept", status_code=200, audit="core.invitation_accepted")
    async def accept_invitation(
        self, request: Request[Any, Any, Any], invitation_id: FromPath[int], user: CurrentUser, db: Db
    ) -> InvitationAnswerOut:
        return await self._answer(request, invitation_id, user, db, accept=True)

    @post("/invitations/{invitation_id:int}/decline", status_code=200, audit="core.invitation_declined")
    async def decline_invitation(
        self, request: Request[Any, Any, Any], invitation_id: FromPath[int], user: CurrentUser, db: Db
    ) -> InvitationAnswerOut:
        return await self._answer(request, invitation_id, user, db, accept=False)

    @staticmethod
    async def _answer(
        request: Request[Any, Any, Any], invitation_id: int, user: User, db: AsyncSession, *, accept: bool
    ) -> InvitationAnswerOut:
        try:
            invitation = await invitations.respond(db, user, invitation_id, accept=accept)
        except invitations.InvitationGone:
            raise not_found("invitation") from None
        except SeatLimitReached as exc:
            raise ApiError(403, "seat_limit", str(exc)) from None
        request.state["audit_workspace_id"] = invitation.workspace_id  # the workspace's own log shows the answer
        add_details(request, invitation_id=invitation.id, role=invitation.role, email=user.email)
        return InvitationAnswerOut(invitation.id, invitation.workspace_id, invitation.role, invitation.status)


class AccountController(Controller):
    """Platform admins: every account, password resets, deactivation."""

    path = "/api/users"
    tags = ("auth",)
    guards = [platform_admin_guard]  # noqa: RUF012 - Litestar's own attribute, read once

    @get("/")
    async def list_accounts(self, db: Db) -> list[AccountOut]:
        return [account_out(u) for u in await db.scalars(select(User).order_by(User.id))]

    @post("/{user_id:int}/password", status_code=204, audit="core.password_reset")
    async def reset_password(
        self, request: Request[Any, Any, Any], user_id: FromPath[int], data: JSONBody[PasswordResetIn], db: Db
    ) -> None:
        """Set a staff member's password (they are signed out everywhere), and optionally end two-factor sign-in."""
        target = await db.get(User, user_id)
        if target is None:
            raise not_found("user")
        problem = password_problem(data.new_password)
        if problem:
            raise invalid([{"path": "$.new_password", "message": problem}])
        await auth_service.set_password(db, target, data.new_password)
        if data.reset_two_factor:
            target.totp_secret = target.totp_pending_secret = target.totp_last_step = None
        add_details(request, email=target.email, reset_two_factor=data.reset_two_factor)

    @post("/{user_id:int}/deactivate", status_code=200, audit="core.user_deactivated")
    async def deactivate(
        self, request: Request[Any, Any, Any], user_id: FromPath[int], user: CurrentUser, db: Db
    ) -> AccountOut:
        """The account can no longer sign in; its sessions end and its API tokens stop working."""
        target = await db.get(User, user_id)
        if target is None:
            raise not_found("user")
        if target.id == user.id:
            raise ApiError(409, "own_account", "自分のアカウントは無効にできません / you cannot deactivate yourself")
        if target.is_platform_admin and target.is_active:
            others = await db.scalar(
                select(func.count()).where(
                    User.is_platform_admin.is_(True), User.is_active.is_(True), User.id != user_id
                )
            )
            if not others:
                raise ApiError(409, "last_admin", "最後の管理者は無効にできません / the last platform admin stays")
        await auth_service.set_active(db, target, False)
        add_details(request, email=target.email)
        return account_out(target)

    @post("/{user_id:int}/activate", status_code=200, audit="core.user_activated")
    async def activate(self, request: Request[Any, Any, Any], user_id: FromPath[int], db: Db) -> AccountOut:
        target = await db.get(User, user_id)
        if target is None:
            raise not_found("user")
        await auth_service.set_active(db, target, True)
        add_details(request, email=target.email)
        return account_out(target)
