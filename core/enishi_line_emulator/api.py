"""The Messaging API routes (``api.line.me`` and ``api-data.line.me`` on one host), as LINE answers them.

Every call goes: injected latency → injected failure (unless it comes after processing) → bearer token (401) →
rate limit (429) → the operation in ``messaging`` (400/404/409/429) → injected failure after processing. Every
answer, errors included, carries ``X-Line-Request-Id``.

A dropped connection closes the TCP connection without a byte of answer. That needs the server's transport,
which ASGI does not expose: it is found on uvicorn's request cycle, reached through the ``send`` callable (see
``_server_cycle``). Under another server, or in-process (``httpx.ASGITransport``), the fallback starts a 200 answer
and aborts it before the body, which a client sees as a broken connection too.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Stream

from enishi_line_emulator import errors, messaging
from enishi_line_emulator.errors import LineApiError
from enishi_line_emulator.state import JST, Channel, Emulator, new_request_id

log = logging.getLogger("enishi_line_emulator")

REQUEST_ID = "X-Line-Request-Id"
RETRY_KEY = "x-line-retry-key"
INJECTED_ERROR = "An error occurred in the server (injected by the emulator)"
MAX_RICH_MENU_IMAGE = 1024 * 1024

Op = Callable[[Channel, str], Awaitable[Any]]


class InjectedDrop(Exception):
    """Raised inside a streamed answer to abort it (the fallback of a dropped connection)."""


def _server_cycle(send: Any) -> Any | None:
    """uvicorn's request/response cycle (it has the transport), found through the chain of ``send`` wrappers."""
    stack: list[Any] = [send]
    seen: set[int] = set()
    while stack and len(seen) < 64:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        owner = getattr(obj, "__self__", None)
        if owner is not None and hasattr(owner, "transport") and hasattr(owner, "disconnected"):
            return owner
        if isinstance(obj, functools.partial):
            stack.extend([obj.func, *obj.args, *obj.keywords.values()])
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if callable(value):
                stack.append(value)
    return None


async def _drop(request: Request[Any, Any, Any]) -> Response[Any]:
    cycle = _server_cycle(request.send)
    if cycle is not None:
        cycle.disconnected = True  # uvicorn then ignores whatever the app sends
        cycle.transport.close()
        return Response(b"", status_code=500)

    async def broken() -> AsyncIterator[bytes]:
        raise InjectedDrop("connection dropped by the emulator")
        yield b""  # pragma: no cover

    return Stream(broken(), status_code=200, media_type=MediaType.JSON)


def _answer(result: Any, request_id: str, status_code: int = 200) -> Response[Any]:
    headers = {REQUEST_ID: request_id}
    if isinstance(result, Response):
        result.headers.update(headers)
        return result
    if isinstance(result, tuple):
        content, content_type = result
        return Response(content, status_code=status_code, media_type=content_type, headers=headers)
    return Response(
        result if result is not None else {}, status_code=status_code, media_type=MediaType.JSON, headers=headers
    )


async def json_body(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.bad_request(f"The request body is not valid JSON: {exc}") from None


def api_handlers(emulator: Emulator) -> list[HTTPRouteHandler]:
    """The Messaging API route handlers bound to ``emulator``."""

    async def call(request: Request[Any, Any, Any], endpoint: str, op: Op, status_code: int = 200) -> Response[Any]:
        request_id = new_request_id()
        faults = emulator.faults
        fault = emulator.pick_fault(endpoint)
        if faults.latency_ms > 0 and faults.applies(endpoint):
            await asyncio.sleep(faults.latency_ms / 1000)
        if fault is not None and not faults.after_processing:
            return await fail(request, fault, request_id)
        try:
            channel = emulator.authenticate(request.headers.get("authorization"))
            emulator.check_rate(channel, endpoint)
            result = await op(channel, request_id)
        except LineApiError as exc:
            exc.headers.setdefault(REQUEST_ID, request_id)
            raise
        if fault is not None:
            return await fail(request, fault, request_id)
        return _answer(result, request_id, status_code)

    async def fail(request: Request[Any, Any, Any], fault: str, request_id: str) -> Response[Any]:
        log.debug("injected %s on %s %s", fault, request.method, request.url.path)
        if fault == "drop":
            return await _drop(request)
        raise LineApiError(500, INJECTED_ERROR, headers={REQUEST_ID: request_id})

    def retry_key(request: Request[Any, Any, Any]) -> str | None:
        return request.headers.get(RETRY_KEY)

    # -- messages ---------------------------------------------------------------------------------------------

    @post("/v2/bot/message/reply", status_code=200)
    async def reply_message(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            body = await json_body(request)
            return messaging.reply(emulator, channel, body, request_id=request_id, retry_key=retry_key(request))

        return await call(request, "reply", op)

    @post("/v2/bot/message/push", status_code=200)
    async def push_message(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            body = await json_body(request)
            return messaging.push(emulator, channel, body, request_id=request_id, retry_key=retry_key(request))

        return await call(request, "push", op)

    @post("/v2/bot/message/multicast", status_code=200)
    async def multicast_message(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            body = await json_body(request)
            return messaging.multicast(emulator, channel, body, request_id=request_id, retry_key=retry_key(request))

        return await call(request, "multicast", op)

    @get("/v2/bot/message/quota")
    async def message_quota(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.quota(emulator, channel)

        return await call(request, "quota", op)

    @get("/v2/bot/message/quota/consumption")
    async def message_quota_consumption(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.quota_consumption(emulator, channel)

        return await call(request, "quota_consumption", op)

    @get("/v2/bot/message/{message_id:str}/content")
    async def message_content(request: Request[Any, Any, Any], message_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.content(emulator, channel, message_id)

        return await call(request, "content", op)

    # -- users ------------------------------------------------------------------------------------------------

    @get("/v2/bot/profile/{user_id:str}")
    async def user_profile(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.profile(emulator, channel, user_id)

        return await call(request, "profile", op)

    @get("/v2/bot/followers/ids")
    async def follower_ids(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            query = request.query_params
            return messaging.followers(emulator, channel, query.get("start"), query.get("limit"))

        return await call(request, "followers", op)

    @get("/v2/bot/info")
    async def bot_info(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return channel.bot_info()

        return await call(request, "bot_info", op)

    # -- rich menus -------------------------------------------------------------------------------------------

    @post("/v2/bot/richmenu", status_code=200)
    async def create_rich_menu(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.create_rich_menu(emulator, channel, await json_body(request))

        return await call(request, "richmenu_create", op)

    @get("/v2/bot/richmenu/list")
    async def list_rich_menus(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            with emulator.lock:
                return {"richmenus": [m.as_dict() for m in channel.rich_menus.values()]}

        return await call(request, "richmenu_list", op)

    @get("/v2/bot/richmenu/{rich_menu_id:str}")
    async def get_rich_menu(request: Request[Any, Any, Any], rich_menu_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.rich_menu(emulator, channel, rich_menu_id).as_dict()

        return await call(request, "richmenu_get", op)

    @delete("/v2/bot/richmenu/{rich_menu_id:str}", status_code=200)
    async def delete_rich_menu(request: Request[Any, Any, Any], rich_menu_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            messaging.delete_rich_menu(emulator, channel, rich_menu_id)
            return {}

        return await call(request, "richmenu_delete", op)

    @post("/v2/bot/richmenu/{rich_menu_id:str}/content", status_code=200, request_max_body_size=MAX_RICH_MENU_IMAGE)
    async def upload_rich_menu_image(request: Request[Any, Any, Any], rich_menu_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in ("image/png", "image/jpeg"):
                raise errors.bad_request("The Content-Type must be image/png or image/jpeg")
            image = await request.body()
            if not image:
                raise errors.bad_request("The request body is empty")
            with emulator.lock:
                menu = messaging.rich_menu(emulator, channel, rich_menu_id)
                if menu.image is not None:
                    raise errors.bad_request("An image has already been uploaded to the richmenu")
                menu.image = (image, content_type)
            return {}

        return await call(request, "richmenu_image", op)

    @get("/v2/bot/richmenu/{rich_menu_id:str}/content")
    async def download_rich_menu_image(request: Request[Any, Any, Any], rich_menu_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            menu = messaging.rich_menu(emulator, channel, rich_menu_id)
            if menu.image is None:
                raise errors.not_found()
            return menu.image

        return await call(request, "richmenu_image", op)

    @post("/v2/bot/user/{user_id:str}/richmenu/{rich_menu_id:str}", status_code=200)
    async def link_rich_menu(
        request: Request[Any, Any, Any], user_id: FromPath[str], rich_menu_id: FromPath[str]
    ) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            messaging.link_rich_menu(emulator, channel, user_id, rich_menu_id)
            return {}

        return await call(request, "richmenu_link", op)

    @delete("/v2/bot/user/{user_id:str}/richmenu", status_code=200)
    async def unlink_rich_menu(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            messaging.unlink_rich_menu(emulator, channel, user_id)
            return {}

        return await call(request, "richmenu_unlink", op)

    @get("/v2/bot/user/{user_id:str}/richmenu")
    async def get_user_rich_menu(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return messaging.user_rich_menu(emulator, channel, user_id)

        return await call(request, "richmenu_get", op)

    # -- webhook settings -------------------------------------------------------------------------------------

    @get("/v2/bot/channel/webhook/endpoint")
    async def get_webhook_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            return {
                "endpoint": channel.webhook_url or "",
                "active": bool(channel.webhook_url and channel.webhook_active),
            }

        return await call(request, "webhook_endpoint", op)

    @put("/v2/bot/channel/webhook/endpoint", status_code=200)
    async def set_webhook_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            body = await json_body(request)
            endpoint = body.get("endpoint") if isinstance(body, dict) else None
            if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
                raise errors.invalid_body([errors.Detail("must be an http(s) URL", "endpoint")])
            if not emulator.allows_webhook(channel.channel_id, endpoint):
                raise errors.invalid_body([errors.Detail("must be this channel's webhook URL in the app", "endpoint")])
            emulator.update_channel(channel.channel_id, webhook_url=endpoint)
            return {}

        return await call(request, "webhook_endpoint", op)

    @post("/v2/bot/channel/webhook/test", status_code=200)
    async def test_webhook_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
        async def op(channel: Channel, request_id: str) -> Any:
            body = await json_body(request)
            url = body.get("endpoint") if isinstance(body, dict) else None
            url = url if isinstance(url, str) and url else None
            if not emulator.allows_webhook(channel.channel_id, url):
                raise errors.invalid_body([errors.Detail("must be this channel's webhook URL in the app", "endpoint")])
            result = await emulator.test_webhook(channel, url)
            return {
                "success": result.ok,
                "timestamp": datetime.fromtimestamp(result.at, JST).isoformat(timespec="seconds"),
                "statusCode": result.status_code or 0,
                "reason": "OK" if result.ok else (result.error or "ERROR"),
                "detail": result.response_text[:200] if result.ok else (result.error or ""),
            }

        return await call(request, "webhook_test", op)

    return [
        reply_message,
        push_message,
        multicast_message,
        message_quota,
        message_quota_consumption,
        message_content,
        user_profile,
        follower_ids,
        bot_info,
        create_rich_menu,
        list_rich_menus,
        get_rich_menu,
        delete_rich_menu,
        upload_rich_menu_image,
        download_rich_menu_image,
        link_rich_menu,
        unlink_rich_menu,
        get_user_rich_menu,
        get_webhook_endpoint,
        set_webhook_endpoint,
        test_webhook_endpoint,
    ]
