"""LINE Login (v2.1) in the emulator: the authorisation page, codes, tokens, id_tokens and the public keys.

A login channel is linked to a Messaging API channel, as LINE links a LINE Login channel to an official account:
its users are that channel's simulated users (``sub`` is their user id), and ``bot_prompt`` offers to add that
account as a friend, which sends the real follow webhook. id_tokens are signed with ES256 by a key made for this
emulator (published at ``/oauth2/v2.1/certs``), or with HS256 and the channel secret for a channel registered with
``alg="HS256"``. Codes live ten minutes and are used once; access tokens thirty days.

``set_id_token_fault`` spoils the next id_token of a channel (a wrong signature, audience or nonce, or one already
expired), so a client's verification can be tested through the real flow.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from enishi_line_emulator import errors

if TYPE_CHECKING:
    from enishi_line_emulator.state import Emulator, SimUser

ISSUER = "https://access.line.me"
CODE_TTL = 600.0
ACCESS_TOKEN_TTL = 30 * 86400
ID_TOKEN_TTL = 3600
ALGORITHMS = ("ES256", "HS256")
ID_TOKEN_FAULTS = ("signature", "audience", "expired", "nonce")


class OAuthError(Exception):
    """An OAuth error answered as LINE answers it: ``{"error", "error_description"}``."""

    def __init__(self, status_code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status_code, self.error, self.description = status_code, error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class LoginChannel:
    channel_id: str
    secret: str
    messaging_channel_id: str
    alg: str = "ES256"
    id_token_fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "channelId": self.channel_id,
            "messagingChannelId": self.messaging_channel_id,
            "idTokenAlg": self.alg,
            "idTokenFault": self.id_token_fault,
        }


@dataclass
class AuthCode:
    channel_id: str
    user_id: str
    redirect_uri: str
    nonce: str | None
    scope: str
    expires: float
    used: bool = False


@dataclass
class AccessGrant:
    channel_id: str
    user_id: str
    scope: str
    expires: float


class LineLogin:
    """The LINE Login side of one emulator (``emulator.login``)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.lock = threading.RLock()
        self.channels: dict[str, LoginChannel] = {}
        self._codes: dict[str, AuthCode] = {}
        self._tokens: dict[str, AccessGrant] = {}
        # One key per emulator: a restarted emulator's tokens do not verify with the old keys, as with a rotation.
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = secrets.token_hex(8)

    # -- channels -----------------------------------------------------------------------------------------------

    def add_channel(self, channel_id: str, secret: str, messaging_channel_id: str, alg: str = "ES256") -> LoginChannel:
        """Register (or replace) a login channel linked to a Messaging API channel of this emulator."""
        channel_id, secret = str(channel_id).strip(), str(secret).strip()
        if not channel_id or not secret:
            raise errors.bad_request("channelId and channelSecret are required")
        if alg not in ALGORITHMS:
            raise errors.bad_request(f"idTokenAlg must be one of {', '.join(ALGORITHMS)}")
        self.emulator.channel(messaging_channel_id)  # 404 unless it exists
        with self.lock:
            channel = LoginChannel(channel_id, secret, str(messaging_channel_id), alg)
            self.channels[channel_id] = channel
            return channel

    def remove_channel(self, channel_id: str) -> None:
        with self.lock:
            self.channel(channel_id)
            del self.channels[channel_id]

    def channel(self, channel_id: str) -> LoginChannel:
        channel = self.channels.get(str(channel_id))
        if channel is None:
            raise errors.not_found(f"no LINE Login channel {channel_id}")
        return channel

    def set_id_token_fault(self, channel_id: str, fault: str | None) -> LoginChannel:
        """Spoil the channel's next id_token (``ID_TOKEN_FAULTS``); None takes a pending fault back."""
        if fault is not None and fault not in ID_TOKEN_FAULTS:
            raise errors.bad_request(f"fault must be one of {', '.join(ID_TOKEN_FAULTS)} or null")
        with self.lock:
            channel = self.channel(channel_id)
            channel.id_token_fault = fault
            return channel

    def users(self, channel_id: str) -> list[SimUser]:
        """The linked Messaging API channel's users: the people who can log in."""
        login = self.channel(channel_id)
        with self.emulator.lock:
            return list(self.emulator.channel(login.messaging_channel_id).users.values())

    def reset(self, keep_channels: bool) -> None:
        with self.lock:
            self._codes.clear()
            self._tokens.clear()
            if not keep_channels:
                self.channels.clear()
            for channel in self.channels.values():
                channel.id_token_fault = None

    # -- the flow -----------------------------------------------------------------------------------------------

    def issue_code(self, channel_id: str, user_id: str, redirect_uri: str, nonce: str | None, scope: str) -> str:
        self.emulator.user(self.channel(channel_id).messaging_channel_id, user_id)
        code = secrets.token_urlsafe(20)
        with self.lock:
            self._codes[code] = AuthCode(
                channel_id, user_id, redirect_uri, nonce, scope, self.emulator.now() + CODE_TTL
            )
            now = self.emulator.now()
            for old in [c for c, hit in self._codes.items() if hit.expires + CODE_TTL < now]:
                del self._codes[old]
        return code

    def exchange(self, form: dict[str, str]) -> dict[str, Any]:
        """``POST /oauth2/v2.1/token`` with ``grant_type=authorization_code``."""
        if form.get("grant_type") != "authorization_code":
            raise OAuthError(400, "unsupported_grant_type", "grant_type must be authorization_code")
        for name in ("code", "redirect_uri", "client_id", "client_secret"):
            if not form.get(name):
                raise OAuthError(400, "invalid_request", f"{name} is required")
        with self.lock:
            channel = self.channels.get(form["client_id"])
            if channel is None or not secrets.compare_digest(channel.secret, form["client_secret"]):
                raise OAuthError(400, "invalid_client", "invalid client_id or client_secret")
            code = self._codes.get(form["code"])
            now = self.emulator.now()
            if code is None or code.channel_id != channel.channel_id or code.expires <= now:
                raise OAuthError(400, "invalid_grant", "invalid authorization code")
            if code.used:
                raise OAuthError(400, "invalid_grant", "authorization code has already been used")
            if code.redirect_uri != form["redirect_uri"]:
                raise OAuthError(400, "invalid_grant", "redirect_uri does not match")
            code.used = True
            fault, channel.id_token_fault = channel.id_token_fault, None
            access_token = secrets.token_urlsafe(32)
            self._tokens[access_token] = AccessGrant(
                channel.channel_id, code.user_id, code.scope, now + ACCESS_TOKEN_TTL
            )
        out: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": ACCESS_TOKEN_TTL,
            "refresh_token": secrets.token_urlsafe(20),
            "scope": code.scope,
            "token_type": "Bearer",
        }
        if "openid" in code.scope.split():
            out["id_token"] = self.id_token(channel, code, now, fault)
        return out

    def id_token(self, channel: LoginChannel, code: AuthCode, now: float, fault: str | None = None) -> str:
        user = self.emulator.user(channel.messaging_channel_id, code.user_id)
        iat = int(now) - (2 * ID_TOKEN_TTL if fault == "expired" else 0)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": user.user_id,
            "aud": "0000000000" if fault == "audience" else channel.channel_id,
            "exp": iat + ID_TOKEN_TTL,
            "iat": iat,
            "amr": ["linesso"],
        }
        if code.nonce is not None:
            claims["nonce"] = "not-the-nonce" if fault == "nonce" else code.nonce
        if "profile" in code.scope.split():
            claims["name"] = user.display_name
            if user.picture_url:
                claims["picture"] = user.picture_url
        if channel.alg == "HS256":
            secret = channel.secret + ("x" if fault == "signature" else "")
            return jwt.encode(claims, secret, algorithm="HS256")
        key = ec.generate_private_key(ec.SECP256R1()) if fault == "signature" else self._key
        return jwt.encode(claims, key, algorithm="ES256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """``GET /oauth2/v2.1/verify?access_token=``."""
        with self.lock:
            grant = self._tokens.get(token)
            now = self.emulator.now()
            if grant is None or grant.expires <= now:
                raise OAuthError(400, "invalid_request", "access token expired")
            return {"scope": grant.scope, "client_id": grant.channel_id, "expires_in": int(grant.expires - now)}

    def verify_id_token(self, id_token: str, client_id: str, nonce: str | None) -> dict[str, Any]:
        """``POST /oauth2/v2.1/verify`` (id_token, client_id, nonce): the claims, or LINE's 400."""
        channel = self.channels.get(client_id)
        if channel is None:
            raise OAuthError(400, "invalid_client", "invalid client_id")
        key: Any = channel.secret if channel.alg == "HS256" else self._key.public_key()
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token, key, algorithms=[channel.alg], audience=client_id, issuer=ISSUER
            )
        except jwt.ExpiredSignatureError:
            raise OAuthError(400, "invalid_request", "IdToken expired.") from None
        except jwt.PyJWTError:
            raise OAuthError(400, "invalid_request", "Invalid IdToken.") from None
        if nonce is not None and claims.get("nonce") != nonce:
            raise OAuthError(400, "invalid_request", "Invalid IdToken Nonce.")
        return claims

    def profile(self, authorization: str | None) -> dict[str, Any]:
        """``GET /v2/profile`` with a LINE Login access token."""
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            grant = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if grant is None or grant.expires <= self.emulator.now():
                raise OAuthError(401, "invalid_token", "The access token expired")
            channel = self.channel(grant.channel_id)
        user = self.emulator.user(channel.messaging_channel_id, grant.user_id)
        out: dict[str, Any] = {"userId": user.user_id, "displayName": user.display_name}
        if user.picture_url:
            out["pictureUrl"] = user.picture_url
        if user.status_message:
            out["statusMessage"] = user.status_message
        return out
