"""The emulated LINE platform's state, in memory: channels, simulated users, what was delivered to whom, quota,
rate limits, retry keys, reply tokens and injected faults.

Every change happens under one lock and without awaiting inside it, so the state is consistent whether it is used
from one event loop, several, or threads (a uvicorn server in a thread and a test in the main one). Only webhook
delivery awaits, outside the lock.
"""

from __future__ import annotations

import itertools
import random
import secrets
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from typing import Any

import httpx
from ulid import ULID

from enishi_line_emulator import errors
from enishi_line_emulator.errors import LineApiError
from enishi_line_emulator.webhooks import (
    WebhookResult,
    WebhookSender,
    follow_event,
    image_content,
    location_content,
    message_event,
    postback_event,
    sticker_content,
    text_content,
    unfollow_event,
)

JST = timezone(timedelta(hours=9))

# The Messaging API endpoints the emulator serves, by the names used for rate limits, faults and the log.
ENDPOINTS = (
    "reply",
    "push",
    "multicast",
    "profile",
    "followers",
    "quota",
    "quota_consumption",
    "bot_info",
    "content",
    "richmenu_create",
    "richmenu_get",
    "richmenu_delete",
    "richmenu_list",
    "richmenu_image",
    "richmenu_link",
    "richmenu_unlink",
    "webhook_endpoint",
    "webhook_test",
)

_FIRST_NAMES = ("花子", "太郎", "さくら", "健太", "美咲", "翔", "陽菜", "蓮", "結衣", "大輔")
_LAST_NAMES = ("山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤")
_SENT_EVENTS_KEPT = 1000
_WEBHOOK_LOG_KEPT = 200
MAX_CONTENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` requests per ``per_seconds``, per channel and endpoint (a sliding window)."""

    count: int
    per_seconds: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "perSeconds": self.per_seconds}


# LINE's published limits (DESIGN.md). Off unless asked for: tests would otherwise be slowed down by them.
LINE_RATE_LIMITS: dict[str, RateLimit] = {
    **{name: RateLimit(2000) for name in ENDPOINTS},
    "richmenu_create": RateLimit(100, 3600),
    "richmenu_delete": RateLimit(100, 3600),
}


@dataclass(frozen=True, slots=True)
class Faults:
    """Faults injected into Messaging API calls (never into the control API or the simulator).

    ``error_rate`` answers that share of calls with a 500, ``drop_rate`` closes that share of connections without
    an answer, ``latency_ms`` delays every call. With ``after_processing`` the failure comes after the request was
    carried out (messages delivered, retry key remembered): the ambiguous failure a client must retry with the
    same retry key. ``endpoints`` limits the faults to those endpoint names (None: all).
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    after_processing: bool = False
    endpoints: frozenset[str] | None = None

    def applies(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints

    def as_dict(self) -> dict[str, Any]:
        return {
            "errorRate": self.error_rate,
            "dropRate": self.drop_rate,
            "latencyMs": self.latency_ms,
            "afterProcessing": self.after_processing,
            "endpoints": sorted(self.endpoints) if self.endpoints is not None else None,
        }


@dataclass
class Quota:
    """The monthly message quota: ``type`` "none" (unlimited) or "limited" with ``limit`` messages a month."""

    type: str = "none"
    limit: int | None = None
    consumption: int = 0
    month: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "limit": self.limit, "consumption": self.consumption, "month": self.month}


@dataclass
class LogEntry:
    """Something in a user's chat: a message the account delivered (``direction`` "bot") or an action of the user
    (``direction`` "user": a message, follow, unfollow or postback, with the webhook it caused)."""

    seq: int
    direction: str
    kind: str
    timestamp: float
    message: dict[str, Any] | None = None
    message_id: str | None = None
    request_id: str | None = None
    endpoint: str | None = None
    retry_key: str | None = None
    notification_disabled: bool = False
    postback: dict[str, Any] | None = None
    webhook_event_id: str | None = None
    webhook: WebhookResult | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "direction": self.direction,
            "kind": self.kind,
            "timestamp": int(self.timestamp * 1000),
            "at": datetime.fromtimestamp(self.timestamp, JST).isoformat(timespec="milliseconds"),
        }
        if self.direction == "bot":
            out.update(
                messageId=self.message_id,
                requestId=self.request_id,
                endpoint=self.endpoint,
                retryKey=self.retry_key,
                notificationDisabled=self.notification_disabled,
                message=self.message,
            )
        else:
            out.update(
                messageId=self.message_id,
                message=self.message,
                postback=self.postback,
                webhookEventId=self.webhook_event_id,
                webhook=self.webhook.as_dict() if self.webhook else None,
            )
        return out


@dataclass
class SimUser:
    """A simulated LINE user of one channel. ``state``: "new" (never added the account), "following", "blocked"."""

    user_id: str
    display_name: str
    picture_url: str | None = None
    status_message: str | None = None
    language: str = "ja"
    state: str = "new"
    followed_at: float | None = None
    interacted: bool = False
    rich_menu_id: str | None = None
    log: list[LogEntry] = field(default_factory=list)

    @property
    def following(self) -> bool:
        return self.state == "following"

    def profile(self) -> dict[str, Any]:
        out: dict[str, Any] = {"userId": self.user_id, "displayName": self.display_name, "language": self.language}
        if self.picture_url:
            out["pictureUrl"] = self.picture_url
        if self.status_message:
            out["statusMessage"] = self.status_message
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.profile(),
            "pictureUrl": self.picture_url,
            "statusMessage": self.status_message,
            "state": self.state,
            "richMenuId": self.rich_menu_id,
            "deliveries": sum(1 for e in self.log if e.direction == "bot"),
        }


@dataclass
class RichMenu:
    rich_menu_id: str
    body: dict[str, Any]
    image: tuple[bytes, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"richMenuId": self.rich_menu_id, **self.body}


@dataclass
class Accepted:
    """A request accepted with a retry key: answered with 409 and this request id for 24 hours."""

    request_id: str
    expires: float
    body: dict[str, Any]


@dataclass
class ReplyToken:
    token: str
    channel_id: str
    user_id: str
    expires: float


@dataclass
class Channel:
    channel_id: str
    secret: str
    access_token: str
    webhook_url: str | None = None
    webhook_active: bool = True
    bot_user_id: str = ""
    display_name: str = ""
    basic_id: str = ""
    quota: Quota = field(default_factory=Quota)
    users: dict[str, SimUser] = field(default_factory=dict)
    rich_menus: dict[str, RichMenu] = field(default_factory=dict)
    default_rich_menu_id: str | None = None
    retry_keys: dict[str, Accepted] = field(default_factory=dict)
    sent_events: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    webhook_log: deque[WebhookResult] = field(default_factory=lambda: deque(maxlen=_WEBHOOK_LOG_KEPT))
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def bot_info(self) -> dict[str, Any]:
        return {
            "userId": self.bot_user_id,
            "basicId": self.basic_id,
            "displayName": self.display_name,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            # Never the secret or the access token: whoever reads this may not be whoever holds them.
            "channelId": self.channel_id,
            "webhookUrl": self.webhook_url,
            "webhookActive": self.webhook_active,
            "botUserId": self.bot_user_id,
            "basicId": self.basic_id,
            "displayName": self.display_name,
            "quota": self.quota.as_dict(),
            "users": len(self.users),
            "followers": sum(1 for u in self.users.values() if u.following),
            "richMenus": len(self.rich_menus),
            "defaultRichMenuId": self.default_rich_menu_id,
        }


@dataclass
class UserAction:
    """What a simulated user did: the log entry, the webhook event, and how the webhook went."""

    entry: LogEntry
    event: dict[str, Any]
    webhook: WebhookResult

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry.as_dict(), "event": self.event, "webhook": self.webhook.as_dict()}


def new_user_id() -> str:
    return "U" + uuid.uuid4().hex


def new_request_id() -> str:
    return str(uuid.uuid4())


class Emulator:
    """An in-memory LINE platform: Messaging API state, simulated users and signed webhooks.

    ``reply_token_ttl`` and ``retry_key_ttl`` (seconds) default to LINE's one minute and 24 hours; ``rate_limits``
    maps endpoint names (``ENDPOINTS``) to limits and is empty (no limits) unless given; ``seed`` makes fault
    injection repeatable; ``clock`` (seconds since the epoch) lets tests move time; ``webhook_transport`` routes
    webhooks through an httpx transport (e.g. ``httpx.ASGITransport``) instead of the network.

    With ``pin_webhooks`` (the emulator inside the app) a channel's webhooks only ever go to the URL given to
    ``pin_webhook`` for it, so that no one can make the server post elsewhere by changing the URL.
    """

    def __init__(
        self,
        *,
        reply_token_ttl: float = 60.0,
        retry_key_ttl: float = 24 * 3600.0,
        rate_limits: Mapping[str, RateLimit | float | None] | None = None,
        faults: Faults | None = None,
        webhook_timeout: float = 2.0,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        pin_webhooks: bool = False,
    ) -> None:
        self.lock = threading.RLock()
        self.pinned_webhooks: dict[str, str] | None = {} if pin_webhooks else None
        self.clock = clock
        self.reply_token_ttl = reply_token_ttl
        self.retry_key_ttl = retry_key_ttl
        self.faults = faults or Faults()
        self.rate_limits: dict[str, RateLimit] = {}
        self.webhooks = WebhookSender(webhook_timeout, webhook_transport)
        self.random = random.Random(seed)
        self.channels: dict[str, Channel] = {}
        self._by_token: dict[str, Channel] = {}
        self._reply_tokens: dict[str, ReplyToken] = {}
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._seq = itertools.count(1)
        self._message_ids = itertools.count(560_000_000_000_000_000 + secrets.randbelow(10**15))
        self._issued = 0
        from enishi_line_emulator.login import LineLogin  # it refers back to this class

        self.login = LineLogin(self)
        if rate_limits:
            self.set_rate_limits(rate_limits)

    # -- time and ids -------------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def next_seq(self) -> int:
        return next(self._seq)

    def new_message_id(self) -> str:
        return str(next(self._message_ids))

    # -- channels -----------------------------------------------------------------------------------------------

    def pin_webhook(self, channel_id: str, url: str) -> None:
        """The one webhook URL the channel may have (with ``pin_webhooks``)."""
        with self.lock:
            if self.pinned_webhooks is not None:
                self.pinned_webhooks[str(channel_id)] = url

    def allows_webhook(self, channel_id: str, url: str | None) -> bool:
        """Whether the channel's webhooks may go to ``url`` (no URL is always allowed)."""
        if not url or self.pinned_webhooks is None:
            return True
        return self.pinned_webhooks.get(str(channel_id)) == url

    def _check_webhook(self, channel_id: str, url: str | None, field_name: str) -> None:
        if not self.allows_webhook(channel_id, url):
            raise errors.invalid_body([errors.Detail("must be this channel's webhook URL in the app", field_name)])

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        access_token: str,
        webhook_url: str | None = None,
        *,
        display_name: str | None = None,
        bot_user_id: str | None = None,
    ) -> Channel:
        """Register a channel, or update the secret, token and webhook URL of a known one (its users stay)."""
        channel_id, secret, access_token = str(channel_id).strip(), str(secret).strip(), str(access_token).strip()
        if not channel_id or not secret or not access_token:
            raise errors.bad_request("channelId, channelSecret and accessToken are required")
        self._check_webhook(channel_id, webhook_url, "webhookUrl")
        with self.lock:
            other = self._by_token.get(access_token)
            if other is not None and other.channel_id != channel_id:
                raise errors.conflict(f"the access token is already used by channel {other.channel_id}")
            channel = self.channels.get(channel_id)
            if channel is None:
                digest = sha256(f"enishi-emulator:{channel_id}".encode()).hexdigest()
                channel = Channel(
                    channel_id=channel_id,
                    secret=secret,
                    access_token=access_token,
                    bot_user_id=bot_user_id or "U" + digest[:32],
                    display_name=display_name or f"エミュレーター {channel_id}",
                    basic_id="@" + digest[32:39],
                )
                self.channels[channel_id] = channel
            else:
                self._by_token.pop(channel.access_token, None)
                channel.secret, channel.access_token = secret, access_token
                if display_name:
                    channel.display_name = display_name
                if bot_user_id:
                    channel.bot_user_id = bot_user_id
            if webhook_url is not None:
                channel.webhook_url = webhook_url or None
            self._by_token[access_token] = channel
            return channel

    def update_channel(self, channel_id: str, **changes: Any) -> Channel:
        """Change ``secret``, ``access_token``, ``webhook_url``, ``webhook_active`` or ``display_name``."""
        if "webhook_url" in changes:
            self._check_webhook(channel_id, changes["webhook_url"], "webhookUrl")
        with self.lock:
            channel = self.channel(channel_id)
            if "access_token" in changes and changes["access_token"] != channel.access_token:
                token = str(changes["access_token"])
                if not token or token in self._by_token:
                    raise errors.conflict("the access token is empty or already in use")
                self._by_token.pop(channel.access_token, None)
                self._by_token[token] = channel
                channel.access_token = token
            for name in ("secret", "webhook_url", "webhook_active", "display_name"):
                if name in changes:
                    setattr(channel, name, changes[name])
            return channel

    def remove_channel(self, channel_id: str) -> None:
        with self.lock:
            channel = self.channel(channel_id)
            self._by_token.pop(channel.access_token, None)
            del self.channels[channel_id]

    def channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(str(channel_id))
        if channel is None:
            raise errors.not_found(f"no channel {channel_id}")
        return channel

    def authenticate(self, authorization: str | None) -> Channel:
        """The channel of a ``Bearer`` access token; LINE's 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        channel = self._by_token.get(token.strip()) if scheme.lower() == "bearer" else None
        if channel is None:
            raise LineApiError(401, errors.INVALID_TOKEN, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return channel

    # -- simulated users ----------------------------------------------------------------------------------------

    def add_user(
        self,
        channel_id: str,
        display_name: str | None = None,
        *,
        user_id: str | None = None,
        picture_url: str | None = None,
        status_message: str | None = None,
        language: str = "ja",
        following: bool = False,
    ) -> SimUser:
        """A new simulated user; ``following=True`` makes them a friend already (no webhook is sent)."""
        with self.lock:
            channel = self.channel(channel_id)
            user_id = user_id or new_user_id()
            if user_id in channel.users:
                raise errors.conflict(f"user {user_id} already exists")
            if not display_name:
                display_name = f"{self.random.choice(_LAST_NAMES)} {self.random.choice(_FIRST_NAMES)}"
            user = SimUser(user_id, display_name, picture_url, status_message, language)
            if following:
                user.state, user.followed_at = "following", self.now()
            channel.users[user_id] = user
            return user

    def update_user(self, channel_id: str, user_id: str, **changes: Any) -> SimUser:
        """Change ``display_name``, ``picture_url``, ``status_message`` or ``language``."""
        with self.lock:
            user = self.user(channel_id, user_id)
            for name in ("display_name", "picture_url", "status_message", "language"):
                if name in changes:
                    setattr(user, name, changes[name])
            return user

    def user(self, channel_id: str, user_id: str) -> SimUser:
        user = self.channel(channel_id).users.get(user_id)
        if user is None:
            raise errors.not_found(f"no user {user_id} in channel {channel_id}")
        return user

    def deliveries(self, channel_id: str, user_id: str) -> list[LogEntry]:
        """Every message delivered to the user, oldest first."""
        with self.lock:
            return [e for e in self.user(channel_id, user_id).log if e.direction == "bot"]

    def timeline(self, channel_id: str, user_id: str, after: int = 0) -> list[LogEntry]:
        """The user's chat (both directions) after sequence number ``after``."""
        with self.lock:
            return [e for e in self.user(channel_id, user_id).log if e.seq > after]

    # -- quota, rate limits, faults, reset ----------------------------------------------------------------------

    def quota(self, channel: Channel) -> Quota:
        """The channel's quota, with consumption reset when a new month (in Japan time) has begun."""
        month = datetime.fromtimestamp(self.now(), JST).strftime("%Y-%m")
        if channel.quota.month != month:
            channel.quota.month, channel.quota.consumption = month, 0
        return channel.quota

    def set_quota(self, channel_id: str, limit: int | None, consumption: int | None = None) -> Quota:
        """``limit`` messages a month (type "limited"), or None for no limit (type "none")."""
        with self.lock:
            quota = self.quota(self.channel(channel_id))
            quota.type, quota.limit = ("none", None) if limit is None else ("limited", max(0, int(limit)))
            if consumption is not None:
                quota.consumption = max(0, int(consumption))
            return quota

    def set_rate_limits(self, limits: Mapping[str, RateLimit | float | None], *, replace_all: bool = False) -> None:
        """Per-endpoint limits: a ``RateLimit``, a number of requests per second, or None to lift the limit."""
        unknown = sorted(set(limits) - set(ENDPOINTS))
        if unknown:
            raise errors.bad_request(f"unknown endpoints: {', '.join(unknown)} (known: {', '.join(ENDPOINTS)})")
        with self.lock:
            if replace_all:
                self.rate_limits.clear()
            for name, limit in limits.items():
                if limit is None:
                    self.rate_limits.pop(name, None)
                elif isinstance(limit, RateLimit):
                    self.rate_limits[name] = limit
                else:
                    per_second = float(limit)
                    if per_second <= 0:
                        raise errors.bad_request(f"{name}: a rate limit must be positive")
                    # 0.5 a second is one per two seconds; whole numbers are that many per second.
                    self.rate_limits[name] = (
                        RateLimit(int(per_second)) if per_second >= 1 else RateLimit(1, 1 / per_second)
                    )
            self._hits.clear()

    def set_faults(self, faults: Faults | None = None, **changes: Any) -> Faults:
        """Replace the faults (``set_faults(Faults(...))``) or change some (``set_faults(error_rate=0.5)``)."""
        new = replace(faults or self.faults, **changes)
        for name in ("error_rate", "drop_rate"):
            if not 0.0 <= getattr(new, name) <= 1.0:
                raise errors.bad_request(f"{name} must be between 0 and 1")
        if new.latency_ms < 0:
            raise errors.bad_request("latency_ms must not be negative")
        if new.endpoints is not None:
            endpoints = frozenset(new.endpoints)
            new = replace(new, endpoints=endpoints)
            unknown = sorted(endpoints - set(ENDPOINTS))
            if unknown:
                raise errors.bad_request(f"unknown endpoints: {', '.join(unknown)}")
        with self.lock:
            self.faults = new
            return new

    def reset(self, *, keep_channels: bool = False) -> None:
        """Forget everything (or everything but the channels' credentials and webhook URLs)."""
        with self.lock:
            kept = list(self.channels.values()) if keep_channels else []
            self.channels.clear()
            self._by_token.clear()
            self._reply_tokens.clear()
            self._hits.clear()
            self.rate_limits.clear()
            self.faults = Faults()
            self.login.reset(keep_channels)
            for old in kept:
                channel = self.add_channel(
                    old.channel_id,
                    old.secret,
                    old.access_token,
                    old.webhook_url,
                    display_name=old.display_name,
                    bot_user_id=old.bot_user_id,
                )
                channel.webhook_active = old.webhook_active

    def check_rate(self, channel: Channel, endpoint: str) -> None:
        limit = self.rate_limits.get(endpoint)
        if limit is None:
            return
        with self.lock:
            now = self.now()
            hits = self._hits.setdefault((channel.channel_id, endpoint), deque())
            while hits and hits[0] <= now - limit.per_seconds:
                hits.popleft()
            if len(hits) >= limit.count:
                raise LineApiError(429, errors.RATE_LIMITED)
            hits.append(now)

    def pick_fault(self, endpoint: str) -> str | None:
        """ "drop", "error" or None for one call, drawn from the configured shares."""
        faults = self.faults
        if not faults.applies(endpoint) or (faults.error_rate <= 0 and faults.drop_rate <= 0):
            return None
        with self.lock:
            draw = self.random.random()
        if draw < faults.drop_rate:
            return "drop"
        if draw < faults.drop_rate + faults.error_rate:
            return "error"
        return None

    # -- retry keys and reply tokens ----------------------------------------------------------------------------

    def accepted(self, channel: Channel, retry_key: str) -> Accepted | None:
        hit = channel.retry_keys.get(retry_key)
        if hit is not None and hit.expires <= self.now():
            del channel.retry_keys[retry_key]
            return None
        return hit

    def accept(self, channel: Channel, retry_key: str, request_id: str, body: dict[str, Any]) -> None:
        channel.retry_keys[retry_key] = Accepted(request_id, self.now() + self.retry_key_ttl, body)
        self._sweep()

    def issue_reply_token(self, channel: Channel, user: SimUser) -> str:
        with self.lock:
            token = secrets.token_hex(16)
            self._reply_tokens[token] = ReplyToken(
                token, channel.channel_id, user.user_id, self.now() + self.reply_token_ttl
            )
            self._sweep()
            return token

    def use_reply_token(self, channel: Channel, token: str) -> SimUser:
        """The user a reply token was issued for; the token cannot be used again. LINE's 400 if it is not valid."""
        with self.lock:
            hit = self._reply_tokens.get(token)
            if hit is None or hit.channel_id != channel.channel_id or hit.expires <= self.now():
                raise LineApiError(400, errors.INVALID_REPLY_TOKEN)
            user = channel.users.get(hit.user_id)
            if user is None:
                raise LineApiError(400, errors.INVALID_REPLY_TOKEN)
            del self._reply_tokens[token]
            return user

    def _sweep(self) -> None:
        """Drop expired retry keys and reply tokens now and then (every 1,024 issued)."""
        self._issued += 1
        if self._issued % 1024:
            return
        now = self.now()
        for token in [t for t, hit in self._reply_tokens.items() if hit.expires <= now]:
            del self._reply_tokens[token]
        for channel in self.channels.values():
            for key in [k for k, hit in channel.retry_keys.items() if hit.expires <= now]:
                del channel.retry_keys[key]

    # -- delivery -----------------------------------------------------------------------------------------------

    def deliver(
        self,
        user: SimUser,
        message: dict[str, Any],
        *,
        endpoint: str,
        request_id: str,
        retry_key: str | None,
        notification_disabled: bool,
        message_id: str,
    ) -> LogEntry:
        entry = LogEntry(
            seq=self.next_seq(),
            direction="bot",
            kind="message",
            timestamp=self.now(),
            message=message,
            message_id=message_id,
            request_id=request_id,
            endpoint=endpoint,
            retry_key=retry_key,
            notification_disabled=notification_disabled,
        )
        user.log.append(entry)
        return entry

    # -- webhooks -----------------------------------------------------------------------------------------------

    async def send_event(
        self, channel_id: str, events: dict[str, Any] | Iterable[dict[str, Any]], redelivery: bool = False
    ) -> WebhookResult:
        """POST signed events to the channel's webhook URL, as LINE does.

        Each event gets a ``webhookEventId`` (a ULID) unless it has one, ``deliveryContext.isRedelivery`` =
        ``redelivery``, and ``timestamp`` and ``mode`` when missing. A ``replyToken`` the emulator did not issue
        is registered for the event's user, so the bot can reply to hand-made events too.
        """
        batch = [events] if isinstance(events, dict) else list(events)
        with self.lock:
            channel = self.channel(channel_id)
            prepared = [self._prepare(channel, dict(e), redelivery) for e in batch]
        return await self._post(channel, prepared, redelivery)

    async def redeliver(self, channel_id: str, webhook_event_ids: Iterable[str]) -> WebhookResult:
        """Send events again with the same ``webhookEventId`` and ``deliveryContext.isRedelivery`` true."""
        with self.lock:
            channel = self.channel(channel_id)
            batch = []
            for event_id in webhook_event_ids:
                event = channel.sent_events.get(event_id)
                if event is None:
                    raise errors.not_found(f"no webhook event {event_id} was sent on channel {channel_id}")
                batch.append({**event, "deliveryContext": {"isRedelivery": True}})
        return await self._post(channel, batch, True)

    async def test_webhook(self, channel: Channel, url: str | None = None) -> WebhookResult:
        """LINE's connectivity check: an empty ``events`` list."""
        return await self._post(channel, [], False, url=url)

    def _prepare(self, channel: Channel, event: dict[str, Any], redelivery: bool) -> dict[str, Any]:
        event.setdefault("webhookEventId", str(ULID()))
        event.setdefault("mode", "active")
        event.setdefault("timestamp", self.now_ms())
        event["deliveryContext"] = {"isRedelivery": redelivery}
        token = event.get("replyToken")
        user_id = (event.get("source") or {}).get("userId")
        if isinstance(token, str) and token not in self._reply_tokens and user_id in channel.users:
            self._reply_tokens[token] = ReplyToken(
                token, channel.channel_id, user_id, self.now() + self.reply_token_ttl
            )
        channel.sent_events[event["webhookEventId"]] = event
        while len(channel.sent_events) > _SENT_EVENTS_KEPT:
            channel.sent_events.popitem(last=False)
        return event

    async def _post(
        self, channel: Channel, events: list[dict[str, Any]], redelivery: bool, url: str | None = None
    ) -> WebhookResult:
        url = url or (channel.webhook_url if channel.webhook_active else None)
        result = WebhookResult(url, [e["webhookEventId"] for e in events], redelivery, self.now())
        if not url:
            result.error = "no webhook URL" if not channel.webhook_url else "webhook is turned off"
        elif not self.allows_webhook(channel.channel_id, url):
            result.error = "the webhook URL is not this channel's URL in the app"  # the last line against SSRF
        else:
            payload = {"destination": channel.bot_user_id, "events": events}
            await self.webhooks.post(url, channel.secret, payload, result)
        with self.lock:
            channel.webhook_log.append(result)
        return result

    async def aclose(self) -> None:
        await self.webhooks.aclose()

    # -- what simulated users do --------------------------------------------------------------------------------

    async def follow(self, channel_id: str, user_id: str) -> UserAction:
        """Add the account as a friend, or unblock it (``follow.isUnblocked`` true)."""
        with self.lock:
            channel, user = self.channel(channel_id), self.user(channel_id, user_id)
            if user.following:
                raise errors.conflict("the user is already a friend")
            unblocked = user.state == "blocked"
            user.state, user.followed_at, user.interacted = "following", self.now(), True
            token = self.issue_reply_token(channel, user)
            event = follow_event(user.user_id, self.now_ms(), token, is_unblocked=unblocked)
        return await self._act(channel, user, "follow", event)

    async def unfollow(self, channel_id: str, user_id: str) -> UserAction:
        """Block the account."""
        with self.lock:
            channel, user = self.channel(channel_id), self.user(channel_id, user_id)
            if user.state == "blocked":
                raise errors.conflict("the user has already blocked the account")
            user.state = "blocked"
            event = unfollow_event(user.user_id, self.now_ms())
        return await self._act(channel, user, "unfollow", event)

    async def send_text(self, channel_id: str, user_id: str, text: str) -> UserAction:
        if not text:
            raise errors.bad_request("text must not be empty")
        return await self._message(channel_id, user_id, lambda mid, qt: text_content(mid, qt, text))

    async def send_sticker(self, channel_id: str, user_id: str, package_id: str, sticker_id: str) -> UserAction:
        return await self._message(
            channel_id, user_id, lambda mid, qt: sticker_content(mid, qt, str(package_id), str(sticker_id))
        )

    async def send_image(
        self, channel_id: str, user_id: str, content: bytes, content_type: str = "image/png"
    ) -> UserAction:
        """Send an image; the bot can fetch it at ``GET /v2/bot/message/{messageId}/content``."""
        if not content or len(content) > MAX_CONTENT_BYTES:
            raise errors.bad_request(f"an image must be 1 byte to {MAX_CONTENT_BYTES} bytes")
        if not content_type.startswith("image/"):
            raise errors.bad_request("content_type must be an image type")

        def build(message_id: str, quote_token: str) -> dict[str, Any]:
            self.channel(channel_id).contents[message_id] = (content, content_type)
            return image_content(message_id, quote_token)

        return await self._message(channel_id, user_id, build)

    async def send_location(
        self,
        channel_id: str,
        user_id: str,
        latitude: float,
        longitude: float,
        title: str | None = None,
        address: str | None = None,
    ) -> UserAction:
        return await self._message(
            channel_id, user_id, lambda mid, qt: location_content(mid, latitude, longitude, title, address)
        )

    async def postback(
        self,
        channel_id: str,
        user_id: str,
        data: str,
        params: Mapping[str, str] | None = None,
        display_text: str | None = None,
    ) -> UserAction:
        """Tap a postback action. A ``display_text`` shows in the chat as the user's message (no message event)."""
        with self.lock:
            channel, user = self.channel(channel_id), self.user(channel_id, user_id)
            self._check_can_talk(user)
            token = self.issue_reply_token(channel, user)
            event = postback_event(user.user_id, self.now_ms(), token, data, dict(params or {}))
        shown = {"type": "text", "text": display_text} if display_text else None
        return await self._act(channel, user, "postback", event, message=shown, postback=event["postback"])

    def _check_can_talk(self, user: SimUser) -> None:
        if user.state == "blocked":
            raise errors.conflict("the user has blocked the account: unblock (follow) first")

    async def _message(self, channel_id: str, user_id: str, build: Callable[[str, str], dict[str, Any]]) -> UserAction:
        with self.lock:
            channel, user = self.channel(channel_id), self.user(channel_id, user_id)
            self._check_can_talk(user)
            user.interacted = True
            message = build(self.new_message_id(), secrets.token_urlsafe(24))
            token = self.issue_reply_token(channel, user)
            event = message_event(user.user_id, self.now_ms(), token, message)
        return await self._act(channel, user, "message", event, message=message)

    async def _act(
        self,
        channel: Channel,
        user: SimUser,
        kind: str,
        event: dict[str, Any],
        *,
        message: dict[str, Any] | None = None,
        postback: dict[str, Any] | None = None,
    ) -> UserAction:
        with self.lock:
            event = self._prepare(channel, event, False)
            entry = LogEntry(
                seq=self.next_seq(),
                direction="user",
                kind=kind,
                timestamp=self.now(),
                message=message,
                message_id=(message or {}).get("id"),
                postback=postback,
                webhook_event_id=event["webhookEventId"],
            )
            user.log.append(entry)
        result = await self._post(channel, [event], False)
        entry.webhook = result
        return UserAction(entry, event, result)
