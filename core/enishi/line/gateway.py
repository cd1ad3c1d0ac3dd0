"""The one way Enishi calls LINE's Messaging API (or the built-in emulator), through the official SDK.

A :class:`LineGateway` lives once per process (:func:`gateway_for`). It keeps one ``AsyncApiClient`` (one aiohttp
connection pool) per workspace, built from the workspace's encrypted access token and rebuilt when the token
changes, and closes them all on shutdown (:func:`close_gateways`). Every call first waits for a slot of the
channel's rate limit (:mod:`enishi.line.ratelimit`).

Sends (reply, push, multicast) never raise for what LINE answers: they return an outcome from
:mod:`enishi.line.errors` — Accepted, RetryLater, QuotaExhausted or Rejected. Reads (profile, followers, quota) and
rich-menu links return their data or raise :class:`~enishi.line.errors.LineError` carrying the outcome.

LINE takes at most 5 messages and 500 multicast recipients per request. Larger sends are split into parts sent in
order; part ``i`` carries the retry key :func:`part_key` (``retry_key`` itself for part 0), so repeating the whole
send after a failure gets 409 "already accepted" for the parts that went through and sends only the rest.

Settings (optional, from ``settings.extra``): ``ENISHI_LINE_TIMEOUT_SECONDS`` (per request, default 20),
``ENISHI_LINE_RETRY_BASE_SECONDS`` (default 1) and ``ENISHI_LINE_RETRY_MAX_SECONDS`` (default 300) for the
backoff of RetryLater.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MessageQuotaResponse,
    MulticastRequest,
    PushMessageRequest,
    QuotaConsumptionResponse,
    ReplyMessageRequest,
    UserProfileResponse,
)
from linebot.v3.messaging.exceptions import ApiException

from enishi.crypto import SecretBox
from enishi.line.channels import (  # noqa: F401  (re-exported: they were defined here)
    _PART_NAMESPACE,
    FOLLOWERS_PAGE,
    MAX_MESSAGES,
    MAX_MULTICAST,
    Channel,
    load_channel,
    message_parts,
    part_key,
)
from enishi.line.errors import (
    Accepted,
    LineError,
    Outcome,
    RateLimited,
    Rejected,
    RetryLater,
    backoff,
    classify_status,
    sent_message_ids,
)
from enishi.line.ratelimit import RateLimiter, make_limiter
from enishi.settings import Settings, env_float

log = logging.getLogger("enishi.line.gateway")


@dataclass(frozen=True, kw_only=True)
class GatewaySettings:
    timeout: float = 20.0
    retry_base: float = 1.0
    retry_cap: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewaySettings:
        env = settings.extra
        return cls(
            timeout=env_float(env, "ENISHI_LINE_TIMEOUT_SECONDS", 20.0, 0.1, 600.0),
            retry_base=env_float(env, "ENISHI_LINE_RETRY_BASE_SECONDS", 1.0, 0.0, 3600.0),
            retry_cap=env_float(env, "ENISHI_LINE_RETRY_MAX_SECONDS", 300.0, 0.0, 86_400.0),
        )


@dataclass(frozen=True)
class _Client:
    token_ciphertext: bytes
    client: AsyncApiClient
    api: AsyncMessagingApi


class _TolerantApiClient(AsyncApiClient):
    """An SDK client that never fails *after* LINE answered 2xx because the body does not fit its model.

    Once LINE accepted a send, an exception would make us retry it; the status and headers are what count.
    """

    def deserialize(self, response: Any, response_type: Any) -> Any:
        try:
            return super().deserialize(response, response_type)
        except Exception as exc:  # any model mismatch in the SDK
            log.warning("could not read LINE's %s response as %s: %s", response.status, response_type, exc)
            return None


class LineGateway:
    """Calls LINE for any workspace; one per process (see :func:`gateway_for`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        limiter: RateLimiter | None = None,
        config: GatewaySettings | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or GatewaySettings.from_settings(settings)
        self.limiter = limiter if limiter is not None else make_limiter(settings)
        self._secrets = SecretBox(settings.secret_keys)
        self._clients: dict[int, _Client] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.closed = False

    # ---- clients ---------------------------------------------------------------------------------------------

    def _api(self, channel: Channel) -> AsyncMessagingApi:
        if self.closed:
            raise RuntimeError("the LINE gateway is closed")
        cached = self._clients.get(channel.workspace_id)
        if cached is not None and cached.token_ciphertext == channel.access_token:
            return cached.api
        if cached is not None:  # the access token was changed: drop the client built with the old one
            self._close_later(cached.client)
        token = self._secrets.decrypt(channel.access_token)
        configuration = Configuration(host=self.settings.line_api_url, access_token=token)
        configuration.connection_pool_maxsize = 100
        client = _TolerantApiClient(configuration)
        api = AsyncMessagingApi(client)
        self._clients[channel.workspace_id] = _Client(channel.access_token, client, api)
        return api

    def _close_later(self, client: AsyncApiClient) -> None:
        """Close a replaced client once calls already under way on it have had their timeout to finish."""

        async def retire() -> None:
            try:
                await asyncio.sleep(self.config.timeout + 1.0)
            finally:
                await client.close()

        task = asyncio.get_running_loop().create_task(retire())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def forget(self, workspace_id: int) -> None:
        """Close the client of one workspace (e.g. when it is deleted or its channel changes)."""
        cached = self._clients.pop(workspace_id, None)
        if cached is not None:
            await cached.client.close()

    async def close(self) -> None:
        """Close every client and the rate limiter; call once at shutdown."""
        self.closed = True
        clients, self._clients = list(self._clients.values()), {}
        for cached in clients:
            await cached.client.close()
        for task in self._closing:
            task.cancel()  # a retired client is closed at once by its task's finally
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        await self.limiter.close()

    # ---- sending ---------------------------------------------------------------------------------------------

    async def reply(
        self, channel: Channel, reply_token: str, messages: Sequence[dict[str, Any]], *, attempt: int = 0
    ) -> Outcome:
        """Reply with at most 5 messages (a reply token is used once, so a reply cannot be split). Free of quota."""
        if not 1 <= len(messages) <= MAX_MESSAGES:
            return Rejected(status=None, message=f"a reply takes 1 to {MAX_MESSAGES} messages, not {len(messages)}")
        try:
            request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": list(messages)})
        except ValueError as exc:
            return Rejected(status=None, message=f"invalid message: {exc}")
        api = self._api(channel)
        return await self._send(
            channel,
            "reply",
            lambda timeout: api.reply_message_with_http_info(request, _request_timeout=timeout),
            attempt=attempt,
            with_retry_key=False,
        )

    async def push(
        self,
        channel: Channel,
        to: str,
        messages: Sequence[dict[str, Any]],
        *,
        retry_key: str,
        attempt: int = 0,
    ) -> Outcome:
        """Push to one user (or group/room); more than 5 messages go as several requests, in order."""
        parts = message_parts(messages)
        if not parts:
            return Rejected(status=None, message="nothing to send")
        requests: list[PushMessageRequest] = []
        try:
            for part in parts:
                requests.append(PushMessageRequest.from_dict({"to": to, "messages": part}))
        except ValueError as exc:
            return Rejected(status=None, message=f"invalid message: {exc}")
        api = self._api(channel)

        def call(request: PushMessageRequest, key: str) -> Callable[[Any], Awaitable[Any]]:
            return lambda timeout: api.push_message_with_http_info(
                request, x_line_retry_key=key, _request_timeout=timeout
            )

        return await self._send_parts(
            channel,
            "push",
            [call(r, part_key(retry_key, i)) for i, r in enumerate(requests)],
            [len(p) for p in parts],
            attempt=attempt,
        )

    async def multicast(
        self,
        channel: Channel,
        to: Sequence[str],
        messages: Sequence[dict[str, Any]],
        *,
        retry_key: str,
        attempt: int = 0,
    ) -> Outcome:
        """Send to many users: split into requests of at most 500 ids and 5 messages, each with its own key."""
        parts = message_parts(messages)
        groups = [list(to[i : i + MAX_MULTICAST]) for i in range(0, len(to), MAX_MULTICAST)]
        if not parts or not groups:
            return Rejected(status=None, message="nothing to send")
        requests: list[MulticastRequest] = []
        try:
            for group in groups:
                for part in parts:
                    requests.append(MulticastRequest.from_dict({"to": group, "messages": part}))
        except ValueError as exc:
            return Rejected(status=None, message=f"invalid message: {exc}")
        api = self._api(channel)

        def call(request: MulticastRequest, key: str) -> Callable[[Any], Awaitable[Any]]:
            return lambda timeout: api.multicast_with_http_info(request, x_line_retry_key=key, _request_timeout=timeout)

        return await self._send_parts(
            channel,
            "multicast",
            [call(r, part_key(retry_key, i)) for i, r in enumerate(requests)],
            [0] * len(requests),  # multicast answers carry no message ids
            attempt=attempt,
        )

    async def _send_parts(
        self,
        channel: Channel,
        endpoint: str,
        calls: Sequence[Callable[[Any], Awaitable[Any]]],
        sizes: Sequence[int],
        *,
        attempt: int,
    ) -> Outcome:
        """Send parts in order; stop at the first that is not accepted, telling how many went through."""
        accepted: list[Accepted] = []
        for call in calls:
            outcome = await self._send(channel, endpoint, call, attempt=attempt, with_retry_key=True)
            if not isinstance(outcome, Accepted):
                return replace(outcome, parts_accepted=len(accepted)) if accepted else outcome
            accepted.append(outcome)
        if len(accepted) == 1:
            return accepted[0]
        ids: list[str | None] = []
        for outcome, size in zip(accepted, sizes, strict=True):
            ids.extend(outcome.sent_message_ids if len(outcome.sent_message_ids) == size else [None] * size)
        return Accepted(
            status=accepted[0].status,
            request_id=accepted[0].request_id,
            already=all(o.already for o in accepted),
            sent_message_ids=tuple(ids),
        )

    async def _send(
        self,
        channel: Channel,
        endpoint: str,
        call: Callable[[Any], Awaitable[Any]],
        *,
        attempt: int,
        with_retry_key: bool,
    ) -> Outcome:
        try:
            response = await self._call(channel, endpoint, call)
        except _Answer as answer:
            outcome = classify_status(
                answer.status,
                answer.body,
                answer.headers,
                attempt=attempt,
                with_retry_key=with_retry_key,
                backoff_base=self.config.retry_base,
                backoff_cap=self.config.retry_cap,
            )
            return outcome
        except _Unreachable as failure:
            return RetryLater(
                delay=backoff(attempt, base=self.config.retry_base, cap=self.config.retry_cap),
                reason=failure.reason,
                maybe_delivered=failure.maybe_delivered,
            )
        except RateLimited as limited:
            return limited.outcome
        return Accepted(
            status=response.status_code,
            request_id=_header(response.headers, "X-Line-Request-Id"),
            sent_message_ids=sent_message_ids(_json(response.raw_data)),
            data=response.data,
        )

    async def _call(self, channel: Channel, endpoint: str, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """One HTTP call under the channel's rate limit; raises _Answer for a non-2xx, _Unreachable for no answer."""
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        async with self.limiter.acquire(channel.channel_id, endpoint):
            try:
                return await call(timeout)
            except ApiException as exc:
                if not exc.status:  # the SDK could not build the request
                    raise _Answer(400, json.dumps({"message": str(exc.reason)}), None) from exc
                raise _Answer(exc.status, exc.body, exc.headers) from exc
            except aiohttp.ClientConnectorError as exc:
                raise _Unreachable(f"cannot connect to LINE: {exc}", maybe_delivered=False) from exc
            except TimeoutError as exc:
                raise _Unreachable(f"no answer from LINE within {self.config.timeout:g} s") from exc
            except aiohttp.ClientError as exc:
                raise _Unreachable(f"connection to LINE failed: {exc!r}") from exc

    # ---- reading ---------------------------------------------------------------------------------------------

    async def _read(self, channel: Channel, endpoint: str, call: Callable[[Any], Awaitable[Any]]) -> Any:
        outcome = await self._send(channel, endpoint, call, attempt=0, with_retry_key=False)
        if not isinstance(outcome, Accepted):
            raise LineError(outcome)
        return outcome.data

    async def get_profile(self, channel: Channel, user_id: str) -> UserProfileResponse:
        api = self._api(channel)
        data = await self._read(
            channel, "profile", lambda timeout: api.get_profile_with_http_info(user_id, _request_timeout=timeout)
        )
        return _required(data, "profile")

    async def followers_page(
        self, channel: Channel, start: str | None = None, *, limit: int = FOLLOWERS_PAGE
    ) -> tuple[list[str], str | None]:
        """One page of the user ids who follow the account, and the token for the next page (None at the end)."""
        api = self._api(channel)
        data = await self._read(
            channel,
            "followers",
            lambda timeout: api.get_followers_with_http_info(start=start, limit=limit, _request_timeout=timeout),
        )
        data = _required(data, "followers")
        return list(data.user_ids), data.next

    async def followers_ids(self, channel: Channel, *, page_size: int = FOLLOWERS_PAGE) -> AsyncIterator[list[str]]:
        """Every follower's user id, a page at a time."""
        start: str | None = None
        while True:
            ids, start = await self.followers_page(channel, start, limit=page_size)
            if ids:
                yield ids
            if not start:
                return

    async def quota(self, channel: Channel) -> MessageQuotaResponse:
        """This month's message quota (``type`` "none" or "limited" with ``value``)."""
        api = self._api(channel)
        data = await self._read(
            channel, "quota", lambda timeout: api.get_message_quota_with_http_info(_request_timeout=timeout)
        )
        return _required(data, "quota")

    async def quota_consumption(self, channel: Channel) -> QuotaConsumptionResponse:
        """How many quota-counted messages went out this month (``total_usage``)."""
        api = self._api(channel)
        data = await self._read(
            channel,
            "quota",
            lambda timeout: api.get_message_quota_consumption_with_http_info(_request_timeout=timeout),
        )
        return _required(data, "quota consumption")

    async def link_rich_menu(self, channel: Channel, user_id: str, rich_menu_id: str) -> None:
        api = self._api(channel)
        await self._read(
            channel,
            "rich_menu_link",
            lambda timeout: api.link_rich_menu_id_to_user_with_http_info(
                user_id, rich_menu_id, _request_timeout=timeout
            ),
        )

    async def unlink_rich_menu(self, channel: Channel, user_id: str) -> None:
        api = self._api(channel)
        await self._read(
            channel,
            "rich_menu_link",
            lambda timeout: api.unlink_rich_menu_id_from_user_with_http_info(user_id, _request_timeout=timeout),
        )


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: Any) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers


class _Unreachable(Exception):
    def __init__(self, reason: str, *, maybe_delivered: bool = True) -> None:
        super().__init__(reason)
        self.reason, self.maybe_delivered = reason, maybe_delivered


def _required(data: Any, what: str) -> Any:
    if data is None:
        raise LineError(Rejected(status=None, message=f"LINE's {what} answer could not be read"))
    return data


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    return None if value is None else str(value)


def _json(raw: Any) -> Any:
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# ---- one gateway per process ---------------------------------------------------------------------------------

_gateways: dict[tuple[Any, ...], tuple[asyncio.AbstractEventLoop, LineGateway]] = {}


def _gateway_key(settings: Settings, loop: asyncio.AbstractEventLoop) -> tuple[Any, ...]:
    line_env = tuple(sorted((k, v) for k, v in settings.extra.items() if k.startswith("ENISHI_LINE_")))
    return (settings.line_api_url, settings.secret_keys, settings.redis_url, line_env, id(loop))


def gateway_for(settings: Settings) -> LineGateway:
    """This process's gateway for these settings (jobs reach it from ``ctx.settings``); made on first use.

    Keyed by what the gateway depends on (API URL, secret keys, Redis, ENISHI_LINE_* variables) and the running
    event loop, since its aiohttp sessions belong to one loop.
    """
    loop = asyncio.get_running_loop()
    key = _gateway_key(settings, loop)
    entry = _gateways.get(key)
    if entry is None or entry[0] is not loop or entry[1].closed:
        entry = _gateways[key] = (loop, LineGateway(settings))
    return entry[1]


async def close_gateways() -> None:
    """Close every gateway this process made in the running loop (app lifespan and worker shutdown call this)."""
    loop = asyncio.get_running_loop()
    for key in [k for k, (owner, _gateway) in _gateways.items() if owner is loop]:
        await _gateways.pop(key)[1].close()
