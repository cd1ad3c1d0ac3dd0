"""Signed, expiring links to a friend's card page.

A token is ``<payload>.<signature>``: the payload is ``v1:<workspace id>:<friend id>:<expiry (unix seconds)>`` in
URL-safe Base64, the signature HMAC-SHA256 over it with a key derived from the application's secret key (so a
link from one installation means nothing to another), compared in constant time. Every configured secret key
is tried, so rotating keys keeps links already handed out. A link may be opened any number of times until it
expires: the page it opens only shows the card, it changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

PURPOSE = b"enishi/member_cards/card-link/v1"
LOGIN_PATH = "/p/member_cards/login/{workspace_id}"


def login_url(public_url: str, workspace_id: int) -> str:
    """The card page through the workspace's LINE Login: opened inside LINE, it shows the card of whoever opens
    it, so the link neither expires nor shows the card to someone it was forwarded to."""
    return public_url.rstrip("/") + LOGIN_PATH.format(workspace_id=workspace_id)


@dataclass(frozen=True)
class CardLink:
    workspace_id: int
    friend_id: int
    expires_at: int  # unix seconds


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret_key: str, payload: str) -> str:
    return _b64(hmac.new(_key(secret_key), payload.encode(), hashlib.sha256).digest())


def sign(secret_keys: tuple[str, ...], workspace_id: int, friend_id: int, now: datetime, ttl: timedelta) -> str:
    expires = int((now + ttl).timestamp())
    payload = _b64(f"v1:{workspace_id}:{friend_id}:{expires}".encode())
    return f"{payload}.{_signature(secret_keys[0], payload)}"


def verify(secret_keys: tuple[str, ...], token: str, now: datetime) -> CardLink | None:
    """The link the token stands for, or None if it is malformed, forged or expired."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature or len(token) > 300:
        return None
    if not any(hmac.compare_digest(_signature(key, payload), signature) for key in secret_keys):
        return None
    try:
        version, workspace, friend, expires = _unb64(payload).decode().split(":")
        link = CardLink(int(workspace), int(friend), int(expires))
    except ValueError:
        return None
    if version != "v1" or link.expires_at <= now.timestamp():
        return None
    return link
