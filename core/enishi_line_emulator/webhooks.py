"""Webhooks as LINE sends them: event objects, the signed POST, and what came back.

The body is ``{"destination": <bot user id>, "events": [...]}``, compact JSON in UTF-8, signed with
``x-line-signature`` = Base64(HMAC-SHA256(channel secret, raw body)). The signature is computed here on purpose
and not with the code that checks it on the receiving side, so that a mistake in one cannot hide one in the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

USER_AGENT = "LineBotWebhook/2.0"


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class WebhookResult:
    """One webhook delivery attempt: what was sent and how the bot answered."""

    url: str | None
    event_ids: list[str]
    redelivery: bool
    at: float
    status_code: int | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    response_text: str = ""
    body: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "webhookEventIds": self.event_ids,
            "isRedelivery": self.redelivery,
            "timestamp": int(self.at * 1000),
            "statusCode": self.status_code,
            "ok": self.ok,
            "error": self.error,
            "elapsedMs": round(self.elapsed_ms, 1),
            "responseText": self.response_text[:500],
        }


class WebhookSender:
    """Posts signed webhook bodies. One HTTP client, made on first use and closed by ``aclose``.

    Proxy variables from the environment are ignored (``trust_env=False``): the bot is normally on this machine.
    """

    def __init__(self, timeout: float = 2.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(transport=self.transport, trust_env=False, follow_redirects=False)
        return self._client

    async def post(self, url: str, secret: str, payload: dict[str, Any], result: WebhookResult) -> WebhookResult:
        body = encode(payload)
        result.body = body
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": USER_AGENT,
            "x-line-signature": sign(secret, body),
        }
        started = time.perf_counter()
        try:
            response = await self._http().post(url, content=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            result.error = f"timeout: no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            result.status_code = response.status_code
            result.response_text = response.text[:2000]
            if not result.ok:
                result.error = f"HTTP {response.status_code}"
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        return result

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# -- event objects -----------------------------------------------------------------------------------------------


def user_source(user_id: str) -> dict[str, Any]:
    return {"type": "user", "userId": user_id}


def base_event(kind: str, user_id: str, timestamp_ms: int, **extra: Any) -> dict[str, Any]:
    """The common part; ``webhookEventId`` and ``deliveryContext`` are added when the event is sent."""
    return {"type": kind, "mode": "active", "timestamp": timestamp_ms, "source": user_source(user_id), **extra}


def follow_event(user_id: str, timestamp_ms: int, reply_token: str, *, is_unblocked: bool) -> dict[str, Any]:
    return base_event("follow", user_id, timestamp_ms, replyToken=reply_token, follow={"isUnblocked": is_unblocked})


def unfollow_event(user_id: str, timestamp_ms: int) -> dict[str, Any]:
    return base_event("unfollow", user_id, timestamp_ms)


def message_event(user_id: str, timestamp_ms: int, reply_token: str, message: dict[str, Any]) -> dict[str, Any]:
    return base_event("message", user_id, timestamp_ms, replyToken=reply_token, message=message)


def postback_event(
    user_id: str, timestamp_ms: int, reply_token: str, data: str, params: dict[str, str] | None = None
) -> dict[str, Any]:
    postback: dict[str, Any] = {"data": data}
    if params:
        postback["params"] = dict(params)
    return base_event("postback", user_id, timestamp_ms, replyToken=reply_token, postback=postback)


def text_content(message_id: str, quote_token: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "type": "text", "quoteToken": quote_token, "text": text}


def sticker_content(message_id: str, quote_token: str, package_id: str, sticker_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "sticker",
        "quoteToken": quote_token,
        "packageId": package_id,
        "stickerId": sticker_id,
        "stickerResourceType": "STATIC",
    }


def image_content(message_id: str, quote_token: str) -> dict[str, Any]:
    return {"id": message_id, "type": "image", "quoteToken": quote_token, "contentProvider": {"type": "line"}}


def location_content(
    message_id: str, latitude: float, longitude: float, title: str | None = None, address: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": message_id, "type": "location", "latitude": latitude, "longitude": longitude}
    if title:
        out["title"] = title
    if address:
        out["address"] = address
    return out
