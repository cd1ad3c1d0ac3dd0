"""Logins, sessions and API tokens, stored as hashes so a database leak reveals no usable credential."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.auth import totp
from enishi.auth.passwords import hash_password, verify_password
from enishi.crypto import SecretBox, token_digest
from enishi.db.base import utcnow
from enishi.models import ApiToken, LoginAttempt, StaffSession, User
from enishi.settings import Settings

if TYPE_CHECKING:
    from enishi.db.engine import Database

log = logging.getLogger("enishi.auth")
API_TOKEN_PREFIX = "enishi_"  # noqa: S105 - a public prefix, not a secret
TOKEN_USE_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class Authenticated:
    user: User
    session_id: int | None = None
    csrf_token: str | None = None
    api_token_id: int | None = None
    api_token_last_used_at: datetime | None = None

    @property
    def via_cookie(self) -> bool:
        return self.session_id is not None


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins")
        self.retry_after = retry_after


class SecondFactorNeeded(Exception):
    """The password was right; the account also wants a code from its authenticator app."""


class BadSecondFactor(Exception):
    """The password was right but the one-time code was not (or was used already)."""


# The wait after a client's allowed failures; every further failure doubles it, up to the throttling window.
FIRST_WAIT_SECONDS = 30
# One client may fail this many times more across all accounts (several staff share an office's address).
CLIENT_FACTOR = 4


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def check_throttle(session: AsyncSession, settings: Settings, email: str, ip: str) -> None:
    """Make a client that keeps failing wait, longer each time: per account and client address
    (ENISHI_LOGIN_MAX_FAILURES failures within ENISHI_LOGIN_WINDOW_SECONDS), and per client across all accounts
    (four times as many). Only the failing client waits: failures elsewhere never refuse the right password from
    a client that has not failed, so nobody can lock someone else out."""
    now = utcnow()
    window = settings.login_window_seconds
    since = now - timedelta(seconds=window)
    failed = (LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since)
    retry_after = 0
    for condition, allowed in (
        (and_(LoginAttempt.email == email, LoginAttempt.ip == ip), settings.login_max_failures),
        (LoginAttempt.ip == ip, settings.login_max_failures * CLIENT_FACTOR),
    ):
        failures, last = (
            await session.execute(select(func.count(), func.max(LoginAttempt.at)).where(condition, *failed))
        ).one()
        if failures < allowed:
            continue
        wait = min(window, FIRST_WAIT_SECONDS * 2 ** min(failures - allowed, 30))
        last_at: datetime = last if last.tzinfo else last.replace(tzinfo=UTC)
        retry_after = max(retry_after, math.ceil((last_at + timedelta(seconds=wait) - now).total_seconds()))
    if retry_after > 0:
        raise TooManyAttempts(retry_after)


def _second_factor_step(box: SecretBox, user: User, code: str | None) -> int | None:
    """The accepted code's time step; raises when the account has two-factor sign-in and the code is missing."""
    if user.totp_secret is None:
        return None
    if not code:
        raise SecondFactorNeeded
    step = totp.matching_step(box.decrypt(user.totp_secret), code, user.totp_last_step)
    if step is None:
        raise BadSecondFactor
    return step


async def login(
    session: AsyncSession,
    settings: Settings,
    email: str,
    password: str,
    ip: str,
    user_agent: str | None,
    *,
    box: SecretBox,
    totp_code: str | None = None,
) -> tuple[User, str, StaffSession] | None:
    """Returns (user, cookie value, session) or None; raises TooManyAttempts when throttled, SecondFactorNeeded
    or BadSecondFactor for an account with two-factor sign-in."""
    email = normalise_email(email)
    await check_throttle(session, settings, email, ip)
    user = await session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.is_active
    if ok and user is not None and user.totp_secret is not None:
        try:
            user.totp_last_step = _second_factor_step(box, user, totp_code)
        except BadSecondFactor:
            session.add(LoginAttempt(email=email, ip=ip, succeeded=False))  # guessing codes counts as failing
            raise
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok or user is None:
        return None
    # A successful login clears this client's failures for this account (not another client's).
    await session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.email == email, LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False)
        )
    )
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


async def end_sessions(session: AsyncSession, user_id: int, *, keep: int | None = None) -> None:
    """Sign a user out everywhere (except the session ``keep``, the one asking)."""
    query = delete(StaffSession).where(StaffSession.user_id == user_id)
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    await session.execute(query)


async def set_password(session: AsyncSession, user: User, password: str, *, keep_session: int | None = None) -> None:
    """A new password ends the user's other sessions: whoever knew the old one is signed out."""
    user.password_hash = hash_password(password)
    await end_sessions(session, user.id, keep=keep_session)


async def set_active(session: AsyncSession, user: User, active: bool) -> None:
    """A deactivated user cannot sign in, their sessions end and their API tokens stop working."""
    user.is_active = active
    if not active:
        await end_sessions(session, user.id)


def start_two_factor(box: SecretBox, user: User) -> tuple[str, str]:
    """A new secret, pending until a code from it confirms the user's app has it: (secret, otpauth URI)."""
    secret = totp.new_secret()
    user.totp_pending_secret = box.encrypt(secret)
    return secret, totp.provisioning_uri(secret, user.email)


def confirm_two_factor(box: SecretBox, user: User, code: str) -> bool:
    if user.totp_pending_secret is None:
        return False
    step = totp.matching_step(box.decrypt(user.totp_pending_secret), code, None)
    if step is None:
        return False
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = user.totp_pending_secret, None, step
    return True


def disable_two_factor(box: SecretBox, user: User, code: str) -> bool:
    try:
        step = _second_factor_step(box, user, code)
    except (SecondFactorNeeded, BadSecondFactor):
        return False
    if step is None:
        return False
    user.totp_secret = user.totp_pending_secret = user.totp_last_step = None
    return True


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
    return Authenticated(user=user, api_token_id=api_token.id, api_token_last_used_at=api_token.last_used_at)


async def record_token_use(db: Database, auth: Authenticated) -> None:
    """Notes when ``auth``'s API token was last used, at most once a minute so a busy script does not write on
    every request.

    In a transaction of its own, after the token was read: a failed write in the reading session rolled it back
    and expired the user just read, whose next attribute read then did IO from plain async code
    (``MissingGreenlet`` on SQLite, where a read transaction's upgrade to a write loses to any commit in between).
    """
    if auth.api_token_id is None:
        return
    now = utcnow()
    stale = now - TOKEN_USE_GRANULARITY
    if auth.api_token_last_used_at is not None and auth.api_token_last_used_at > stale:
        return
    try:
        async with db.transaction() as session:
            await session.execute(
                update(ApiToken)
                .where(ApiToken.id == auth.api_token_id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= stale))
                .values(last_used_at=now)
            )
    except OperationalError:  # busy database: the timestamp is a convenience, the request goes on
        log.info("API token %s: last use not recorded (database busy)", auth.api_token_id)


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
