"""LINE Login (v2.1) for public pages: which LINE user opened a link, by the authorisation-code flow.

A plugin's public page calls ``begin`` and redirects to the URL it returns; LINE (or the emulator) sends the
person back to the plugin's callback, which calls ``complete``. ``complete`` takes the state (stored server-side,
single use, ten minutes unless ENISHI_LINE_LOGIN_STATE_SECONDS says otherwise, bound to the workspace and to what
the login is for), exchanges the code at the token endpoint and verifies the id_token: its signature (ES256 with
LINE's published keys, or HS256 with the channel secret, as LINE signs for some channels), issuer, audience (the
channel id), expiry and nonce. Anything wrong raises ``LoginError`` with the status and a message for the person;
nothing is stored for them then.

Endpoints: the authorisation page on ``settings.line_login_url`` (https://access.line.me), the token and key
endpoints on ``settings.line_api_url`` (https://api.line.me); both point at the emulator in embedded mode.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy import delete, select, update

from enishi.api.services import Services
from enishi.db.base import utcnow
from enishi.models import Workspace
from enishi.models.line_login import LineLoginState

ISSUER = "https://access.line.me"
AUTHORIZE_PATH = "/oauth2/v2.1/authorize"
TOKEN_PATH = "/oauth2/v2.1/token"  # noqa: S105 - a path, not a secret
CERTS_PATH = "/oauth2/v2.1/certs"
LEEWAY_SECONDS = 30  # clock skew allowed on exp and iat
JWKS_TTL_SECONDS = 3600.0
HTTP_TIMEOUT = httpx.Timeout(10.0)
MAX_PARAM = 512


@dataclass(frozen=True)
class LoginChannel:
    channel_id: str
    secret: str


@dataclass(frozen=True)
class LineUser:
    """The person who logged in, and what the login was started for."""

    workspace_id: int
    purpose: str
    target: str
    user_id: str  # the id_token's ``sub``: the LINE user id, the same as the Messaging API's for a linked channel
    display_name: str
    picture_url: str | None
    friendship_changed: bool  # LINE's ``friendship_status_changed``: the person added the account just now


class LoginError(Exception):
    """A login that cannot be completed: ``status`` for the page, ``message`` (Japanese / English) for the person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def callback_url(public_url: str, plugin: str, path: str) -> str:
    """Where LINE Login sends a person back for a plugin: its public route ``/p/<plugin><path>`` (the path its
    manifest names as ``line_login_callback``), as ``begin``'s redirect_uri and for LINE Developers."""
    return f"{public_url.rstrip('/')}/p/{plugin}{path}"


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def channel_of(services: Services, workspace_id: int) -> LoginChannel | None:
    """The workspace's LINE Login channel, None when it has none."""
    async with services.db.session() as session:
        row = (
            await session.execute(
                select(Workspace.line_login_channel_id, Workspace.line_login_channel_secret).where(
                    Workspace.id == workspace_id
                )
            )
        ).first()
    if row is None or not row[0] or row[1] is None:
        return None
    return LoginChannel(row[0], services.secrets.decrypt(row[1]))


async def begin(services: Services, *, workspace_id: int, purpose: str, target: str, redirect_uri: str) -> str | None:
    """Store a new state and return LINE's authorisation URL for it (None: the workspace has no login channel).

    ``bot_prompt=aggressive``: a person who is not a friend yet is offered to add the account on the way.
    """
    channel = await channel_of(services, workspace_id)
    if channel is None:
        return None
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    async with services.db.transaction() as session:
        # Old states go as new ones come: the table stays small without a scheduled job.
        await session.execute(delete(LineLoginState).where(LineLoginState.expires_at < now - timedelta(days=1)))
        session.add(
            LineLoginState(
                state_hash=_hash(state),
                workspace_id=workspace_id,
                purpose=purpose,
                target=target,
                nonce=nonce,
                redirect_uri=redirect_uri,
                created_at=now,
                expires_at=now + timedelta(seconds=services.settings.line_login_state_seconds),
            )
        )
    query = {
        "response_type": "code",
        "client_id": channel.channel_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": "openid profile",
        "nonce": nonce,
        "bot_prompt": "aggressive",
    }
    return f"{services.settings.line_login_url}{AUTHORIZE_PATH}?{urlencode(query)}"


async def complete(services: Services, params: Mapping[str, str], *, purposes: tuple[str, ...]) -> LineUser:
    """The LINE user of a callback (its query ``params``), for a login started with one of ``purposes``.

    The state is used up first, in its own transaction, so a replay fails even if the rest fails.
    """
    raw_state = params.get("state") or ""
    if not raw_state or len(raw_state) > MAX_PARAM:
        raise LoginError(400, "invalid_state", "ログインの情報がありません / the login has no valid state.")
    now = utcnow()
    async with services.db.transaction() as session:
        found = (
            await session.execute(
                update(LineLoginState)
                .where(
                    LineLoginState.state_hash == _hash(raw_state),
                    LineLoginState.used_at.is_(None),
                    LineLoginState.purpose.in_(purposes),
                )
                .values(used_at=now)
                .returning(
                    LineLoginState.workspace_id,
                    LineLoginState.purpose,
                    LineLoginState.target,
                    LineLoginState.nonce,
                    LineLoginState.redirect_uri,
                    LineLoginState.expires_at,
                )
            )
        ).first()
        if found is None:
            used = await session.scalar(
                select(LineLoginState.used_at).where(
                    LineLoginState.state_hash == _hash(raw_state), LineLoginState.purpose.in_(purposes)
                )
            )
            if used is not None:
                raise LoginError(400, "state_used", "このログインは既に使われています / this login was already used.")
            raise LoginError(400, "invalid_state", "ログインの情報が正しくありません / the login state is not valid.")
    workspace_id, purpose, target, nonce, redirect_uri, expires_at = found
    if expires_at <= now:
        raise LoginError(
            400, "state_expired", "ログインの有効期限が切れました。もう一度お試しください / the login has expired."
        )
    if params.get("error"):
        raise LoginError(
            400, "login_cancelled", "LINEでのログインが完了しませんでした / the LINE login was not completed."
        )
    code = params.get("code") or ""
    if not code or len(code) > MAX_PARAM:
        raise LoginError(400, "invalid_code", "ログインの情報が正しくありません / the login has no valid code.")
    channel = await channel_of(services, workspace_id)
    if channel is None:
        raise LoginError(404, "no_login_channel", "LINEログインは設定されていません / LINE Login is not set up.")
    tokens = await _exchange(services, channel, code, redirect_uri)
    claims = await verify_id_token(services, channel, tokens.get("id_token"), nonce)
    return LineUser(
        workspace_id=workspace_id,
        purpose=purpose,
        target=target,
        user_id=str(claims["sub"]),
        display_name=str(claims.get("name") or ""),
        picture_url=claims.get("picture") if isinstance(claims.get("picture"), str) else None,
        friendship_changed=params.get("friendship_status_changed") == "true",
    )


async def _exchange(services: Services, channel: LoginChannel, code: str, redirect_uri: str) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": channel.channel_id,
        "client_secret": channel.secret,
    }
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.post(f"{services.settings.line_api_url}{TOKEN_PATH}", data=form)
    except httpx.HTTPError as exc:
        raise LoginError(502, "line_unreachable", "LINEに接続できませんでした / LINE could not be reached.") from exc
    if response.status_code != 200:
        # 400 invalid_grant: a code used twice, expired or for another redirect URI.
        raise LoginError(400, "token_refused", "LINEがログインを受け付けませんでした / LINE refused the login.")
    try:
        body = response.json()
    except ValueError as exc:
        raise LoginError(502, "token_malformed", "LINEの応答が不正です / LINE's answer was malformed.") from exc
    if not isinstance(body, dict):
        raise LoginError(502, "token_malformed", "LINEの応答が不正です / LINE's answer was malformed.")
    return body


async def verify_id_token(services: Services, channel: LoginChannel, token: Any, nonce: str) -> dict[str, Any]:
    """The claims of a valid id_token for ``channel`` and ``nonce``; ``LoginError`` (400) for anything else."""
    bad = LoginError(400, "invalid_id_token", "LINEのログイン情報を確認できませんでした / the LINE login is not valid.")
    if not isinstance(token, str) or not token:
        raise bad
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise bad from exc
    alg = header.get("alg")
    key: Any
    if alg == "HS256":
        key = channel.secret
    elif alg == "ES256":
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise bad
        key = await _jwks.key(f"{services.settings.line_api_url}{CERTS_PATH}", kid)
        if key is None:
            raise bad
    else:  # "none", RS256 with the secret as a key, …: never let the token choose how it is checked
        raise bad
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[alg],
            audience=channel.channel_id,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise bad from exc
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise bad
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise bad
    return claims


class _Jwks:
    """LINE's public keys (``/oauth2/v2.1/certs``) per URL, kept an hour; an unknown key id fetches them again.

    PyJWT's ``PyJWKClient`` fetches with blocking urllib, which would stall the event loop (and deadlock a server
    asking itself, as with the embedded emulator); the keys are fetched with httpx and parsed by PyJWT's PyJWKSet.
    """

    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, jwt.PyJWKSet]] = {}

    async def key(self, url: str, kid: str) -> Any:
        cached = self._sets.get(url)
        if cached is not None and time.monotonic() - cached[0] < JWKS_TTL_SECONDS:
            found = _find(cached[1], kid)
            if found is not None:
                return found
        # An unknown key id fetches again (LINE rotated its keys). The id_token comes from LINE's token endpoint,
        # never from the browser, so nobody can make us fetch on purpose.
        # No lock: two requests fetching at once is harmless, and a lock would tie the cache to one event loop.
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
                response = await client.get(url)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            raise LoginError(
                502, "keys_unavailable", "LINEの公開鍵を取得できませんでした / LINE's keys could not be fetched."
            ) from exc
        self._sets[url] = (time.monotonic(), keys)
        return _find(keys, kid)


def _find(keys: jwt.PyJWKSet, kid: str) -> Any:
    for jwk in keys.keys:
        if jwk.key_id == kid:
            return jwk.key
    return None


_jwks = _Jwks()
