"""Logins, sessions and API tokens, stored as hashes so a database leak reveals no usable credential."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.auth.passwords import verify_password
from enishi.crypto import token_digest
from enishi.db.base import utcnow
from enishi.models import ApiToken, LoginAttempt, StaffSession, User
from enishi.settings import Settings

API_TOKEN_PREFIX = "enishi_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Authenticated:
    user: User
    session_id: int | None = None
    csrf_token: str | None = None
    api_token_id: int | None = None

    @property
    def via_cookie(self) -> bool:
        return self.session_id is not None


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins")
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def check_throttle(session: AsyncSession, settings: Settings, email: str, ip: str) -> None:
    """Refuse a login after too many recent failures for the same email or from the same address."""
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    for column, value, limit in (
        (LoginAttempt.email, email, settings.login_max_failures),
        (LoginAttempt.ip, ip, settings.login_max_failures * 4),
    ):
        failures, oldest = (
            await session.execute(
                select(func.count(), func.min(LoginAttempt.at)).where(
                    column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
                )
            )
        ).one()
        if failures >= limit:
            oldest_at: datetime = oldest if oldest.tzinfo else oldest.replace(tzinfo=since.tzinfo)
            retry = int((oldest_at + timedelta(seconds=settings.login_window_seconds) - utcnow()).total_seconds())
            raise TooManyAttempts(max(retry, 1))


async def login(
    session: AsyncSession, settings: Settings, email: str, password: str, ip: str, user_agent: str | None
) -> tuple[User, str, StaffSession] | None:
    """Returns (user, cookie value, session) or None; raises TooManyAttempts when throttled."""
    email = normalise_email(email)
    await check_throttle(session, settings, email, ip)
    user = await session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok or user is None:
        return None
    # A successful login clears the failure count for this email.
    await session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)))
    user.last_login_at = utcnow()
    cookie = secrets.token_urlsafe(32)
    staff_session = StaffSession(
        user_id=user.id,
        token_hash=token_digest(cookie),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=settings.session_hours),
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(staff_session)
    await session.flush()
    return user, cookie, staff_session


async def from_cookie(session: AsyncSession, cookie: str) -> Authenticated | None:
    row = (
        await session.execute(
            select(StaffSession, User)
            .join(User, User.id == StaffSession.user_id)
            .where(StaffSession.token_hash == token_digest(cookie))
        )
    ).one_or_none()
    if row is None:
        return None
    staff_session, user = row
    if staff_session.expires_at <= utcnow() or not user.is_active:
        return None
    return Authenticated(user=user, session_id=staff_session.id, csrf_token=staff_session.csrf_token)


async def from_api_token(session: AsyncSession, token: str) -> Authenticated | None:
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_digest(token))
        )
    ).one_or_none()
    if row is None:
        return None
    api_token, user = row
    now = utcnow()
    if api_token.revoked_at is not None or (api_token.expires_at and api_token.expires_at <= now) or not user.is_active:
        return None
    # Recorded at most once a minute, so a busy script does not write on every request.
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
        try:
            await session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
            await session.commit()
        except OperationalError:  # busy database: the timestamp is a convenience, the request goes on
            await session.rollback()
    return Authenticated(user=user, api_token_id=api_token.id)


async def create_api_token(
    session: AsyncSession, user: User, name: str, expires_at: datetime | None
) -> tuple[ApiToken, str]:
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(API_TOKEN_PREFIX) + 4],
        token_hash=token_digest(secret),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def end_session(session: AsyncSession, session_id: int) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.id == session_id))


async def purge_expired(session: AsyncSession, login_window_seconds: int) -> int:
    """Delete expired sessions and login attempts older than the throttling window."""
    now = utcnow()
    sessions = await session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    attempts = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(seconds=login_window_seconds))
    )
    return int(sessions.rowcount or 0) + int(attempts.rowcount or 0)  # type: ignore[attr-defined]
