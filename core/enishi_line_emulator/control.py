"""The control API (JSON under ``/_control``) for tests, the demo and the simulator page.

Standalone (``enishi emulator``, on 127.0.0.1 unless told otherwise) it has no authentication. Inside the app,
``scope_of`` says what the caller may do (a signed-in staff member: the channels of their workspaces; a platform
admin: everything), and a channel the caller may not see answers 404 as if it did not exist. No answer ever
carries a channel secret or access token. Keys are camelCase, like LINE's. Errors have LINE's shape
(``{"message", "details"}``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, delete, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.enums import MediaType
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.params import FromPath

from enishi_line_emulator import errors
from enishi_line_emulator.api import json_body
from enishi_line_emulator.errors import Detail
from enishi_line_emulator.login import ALGORITHMS
from enishi_line_emulator.state import ENDPOINTS, MAX_CONTENT_BYTES, Emulator, Faults, RateLimit, UserAction

MAX_IMAGE_REQUEST = 16 * 1024 * 1024
SCOPE_KEY = "line_emulator_scope"

AnyConnection = ASGIConnection[Any, Any, Any, Any]
# What the app around the emulator has to say about a user beside their talk (a message it holds back until later,
# and why): ``[{"ja": …, "en": …}]``, shown under the chat. The emulator models LINE and has none of its own.
NotesOf = Callable[[AnyConnection, str, str], Awaitable[list[dict[str, str]]]]

# What a simulated user or a rich menu can hold and a browser shows without running it; anything else downloads.
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True)
class ControlScope:
    """What a caller of the control API (and the simulator page) may see and change."""

    channels: frozenset[str] | None = None  # the Messaging API channels it may act on; None: every one
    admin: bool = True  # the emulator as a whole: settings, limits, faults, reset, adding and removing channels
    csrf_token: str | None = None  # the simulator page sends it back with each change (cookie sessions)

    def sees(self, channel_id: str | None) -> bool:
        return channel_id is not None and (self.channels is None or str(channel_id) in self.channels)


EVERYTHING = ControlScope()
NOTHING = ControlScope(frozenset(), admin=False)
ScopeOf = Callable[[AnyConnection], Awaitable[ControlScope]]


def scope_of_request(connection: AnyConnection) -> ControlScope:
    """The caller's scope, set by the control guard (nothing at all if it somehow did not run)."""
    scope: ControlScope = connection.state.get(SCOPE_KEY, NOTHING)
    return scope


def control_guard(emulator: Emulator, scope_of: ScopeOf | None) -> Callable[..., Awaitable[None]]:
    """A guard for the control routes: works out the caller's scope and checks the route's ``opt["control"]``:
    ``admin`` (the emulator as a whole), ``channel`` / ``login`` (the ``{channel_id}`` of the path, a Messaging
    API or LINE Login channel) or ``scoped`` (the handler filters or checks what it touches)."""

    async def guard(connection: AnyConnection, handler: BaseRouteHandler) -> None:
        scope = EVERYTHING if scope_of is None else await scope_of(connection)
        connection.state[SCOPE_KEY] = scope
        need = handler.opt.get("control")
        channel_id = str(connection.path_params.get("channel_id", ""))
        if need == "admin" and not scope.admin:
            raise errors.LineApiError(403, "プラットフォーム管理者のみ / platform admins only")
        if need == "channel" and not scope.sees(channel_id):
            raise errors.not_found(f"no channel {channel_id}")
        if need == "login":
            login = emulator.login.channels.get(channel_id)
            if login is None or not scope.sees(login.messaging_channel_id):
                raise errors.not_found(f"no LINE Login channel {channel_id}")
        if need not in ("admin", "channel", "login", "scoped"):
            raise errors.not_found()  # a route that forgot to say: closed

    return guard


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object")
    return body


def _string(body: dict[str, Any], key: str, *, required: bool = False, max_length: int = 10_000) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise errors.invalid_body([Detail("must be specified", key)])
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise errors.invalid_body([Detail(f"must be a string of at most {max_length} characters", key)])
    return value


def _number(body: dict[str, Any], key: str, *, required: bool = False) -> float | None:
    value = body.get(key)
    if value is None:
        if required:
            raise errors.invalid_body([Detail("must be specified", key)])
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise errors.invalid_body([Detail("must be a number", key)])
    return float(value)


def _url(body: dict[str, Any], key: str) -> str | None:
    value = _string(body, key, max_length=2000)
    if value is not None and not value.startswith(("http://", "https://")):
        raise errors.invalid_body([Detail("must be an http(s) URL", key)])
    return value


def _rate_limit(name: str, value: Any) -> RateLimit | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, dict) and isinstance(value.get("count"), int) and value["count"] > 0:
        per = value.get("perSeconds", 1)
        if isinstance(per, int | float) and not isinstance(per, bool) and per > 0:
            return RateLimit(value["count"], float(per))
    raise errors.invalid_body([Detail("must be null, requests per second, or {count, perSeconds}", f"limits.{name}")])


def _sandboxed(content: bytes, content_type: str) -> Response[bytes]:
    """An image a simulated user sent or a rich menu's, which the app's origin serves when it mounts the emulator:
    never as a page that could run there (a sandbox, ``nosniff``, a download unless it is a plain raster image)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if "/" not in media_type or any(c.isspace() or c in "\"'\\<>" for c in media_type):
        media_type = "application/octet-stream"
    disposition = "inline" if media_type in INLINE_IMAGE_TYPES else "attachment"
    headers = {
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": disposition,
    }
    return Response(content, media_type=media_type, headers=headers)


def control_handlers(emulator: Emulator, notes_of: NotesOf | None = None) -> list[HTTPRouteHandler]:
    """The control API route handlers bound to ``emulator`` (a user's timeline carries ``notes_of`` theirs)."""

    def channels(scope: ControlScope) -> list[dict[str, Any]]:
        with emulator.lock:
            return [c.as_dict() for c in emulator.channels.values() if scope.sees(c.channel_id)]

    def login_channels(scope: ControlScope) -> list[dict[str, Any]]:
        with emulator.login.lock:
            return [c.as_dict() for c in emulator.login.channels.values() if scope.sees(c.messaging_channel_id)]

    def overview(scope: ControlScope) -> dict[str, Any]:
        with emulator.lock:
            return {
                "channels": channels(scope),
                "loginChannels": login_channels(scope),
                "rateLimits": {k: v.as_dict() for k, v in emulator.rate_limits.items()},
                "faults": emulator.faults.as_dict(),
                "settings": settings(),
                "endpoints": list(ENDPOINTS),
            }

    def settings() -> dict[str, Any]:
        return {
            "replyTokenTtlSeconds": emulator.reply_token_ttl,
            "retryKeyTtlSeconds": emulator.retry_key_ttl,
            "webhookTimeoutSeconds": emulator.webhooks.timeout,
        }

    @get("/_control", opt={"control": "scoped"})
    async def get_overview(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return overview(scope_of_request(request))

    @post("/_control/reset", status_code=200, opt={"control": "admin"})
    async def reset(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        emulator.reset(keep_channels=bool(body.get("keepChannels")))
        return overview(scope_of_request(request))

    @put("/_control/settings", opt={"control": "admin"})
    async def put_settings(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        values = {k: _number(body, k) for k in ("replyTokenTtlSeconds", "retryKeyTtlSeconds", "webhookTimeoutSeconds")}
        bad = [Detail("must be positive", k) for k, v in values.items() if v is not None and v <= 0]
        if bad:
            raise errors.invalid_body(bad)
        with emulator.lock:
            if values["replyTokenTtlSeconds"] is not None:
                emulator.reply_token_ttl = values["replyTokenTtlSeconds"]
            if values["retryKeyTtlSeconds"] is not None:
                emulator.retry_key_ttl = values["retryKeyTtlSeconds"]
            if values["webhookTimeoutSeconds"] is not None:
                emulator.webhooks.timeout = values["webhookTimeoutSeconds"]
        return settings()

    @put("/_control/rate-limits", opt={"control": "admin"})
    async def put_rate_limits(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        limits = body.get("limits", {})
        if not isinstance(limits, dict):
            raise errors.invalid_body([Detail("must be an object of endpoint name → limit", "limits")])
        emulator.set_rate_limits(
            {name: _rate_limit(name, value) for name, value in limits.items()}, replace_all=bool(body.get("replace"))
        )
        return {"rateLimits": {k: v.as_dict() for k, v in emulator.rate_limits.items()}}

    @put("/_control/faults", opt={"control": "admin"})
    async def put_faults(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        endpoints = body.get("endpoints")
        if endpoints is not None and not (isinstance(endpoints, list) and all(isinstance(e, str) for e in endpoints)):
            raise errors.invalid_body([Detail("must be null or a list of endpoint names", "endpoints")])
        faults = Faults(
            error_rate=_number(body, "errorRate") or 0.0,
            drop_rate=_number(body, "dropRate") or 0.0,
            latency_ms=_number(body, "latencyMs") or 0.0,
            after_processing=bool(body.get("afterProcessing")),
            endpoints=frozenset(endpoints) if endpoints is not None else None,
        )
        return emulator.set_faults(faults).as_dict()

    # -- channels ---------------------------------------------------------------------------------------------

    @get("/_control/channels", opt={"control": "scoped"})
    async def list_channels(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"channels": channels(scope_of_request(request))}

    @post("/_control/channels", status_code=200, opt={"control": "admin"})
    async def put_channel(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        channel = emulator.add_channel(
            _string(body, "channelId", required=True, max_length=64) or "",
            _string(body, "channelSecret", required=True, max_length=256) or "",
            _string(body, "accessToken", required=True, max_length=1024) or "",
            _url(body, "webhookUrl") if "webhookUrl" in body else None,
            display_name=_string(body, "displayName", max_length=100),
            bot_user_id=_string(body, "botUserId", max_length=33),
        )
        return channel.as_dict()

    @get("/_control/channels/{channel_id:str}", opt={"control": "channel"})
    async def get_channel(channel_id: FromPath[str]) -> dict[str, Any]:
        with emulator.lock:
            channel = emulator.channel(channel_id)
            return {
                **channel.as_dict(),
                "userList": [u.as_dict() for u in channel.users.values()],
                "richMenuList": [m.as_dict() for m in channel.rich_menus.values()],
            }

    @patch("/_control/channels/{channel_id:str}", opt={"control": "channel"})
    async def patch_channel(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        changes: dict[str, Any] = {}
        if "webhookUrl" in body:
            changes["webhook_url"] = _url(body, "webhookUrl")
        if "webhookActive" in body:
            changes["webhook_active"] = bool(body["webhookActive"])
        if "channelSecret" in body:
            changes["secret"] = _string(body, "channelSecret", required=True, max_length=256)
        if "accessToken" in body:
            changes["access_token"] = _string(body, "accessToken", required=True, max_length=1024)
        if "displayName" in body:
            changes["display_name"] = _string(body, "displayName", required=True, max_length=100)
        return emulator.update_channel(channel_id, **changes).as_dict()

    @delete("/_control/channels/{channel_id:str}", status_code=200, opt={"control": "admin"})
    async def delete_channel(channel_id: FromPath[str]) -> dict[str, Any]:
        emulator.remove_channel(channel_id)
        return {}

    # -- LINE Login channels ------------------------------------------------------------------------------------

    @get("/_control/login-channels", opt={"control": "scoped"})
    async def list_login_channels(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return {"channels": login_channels(scope_of_request(request))}

    @post("/_control/login-channels", status_code=200, opt={"control": "scoped"})
    async def put_login_channel(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = _object(await json_body(request))
        scope = scope_of_request(request)
        login_id = _string(body, "channelId", required=True, max_length=64) or ""
        messaging_id = _string(body, "messagingChannelId", required=True, max_length=64) or ""
        known = emulator.login.channels.get(login_id)
        # Neither linking to someone else's channel nor taking over a login channel linked to one.
        if not scope.sees(messaging_id) or (known is not None and not scope.sees(known.messaging_channel_id)):
            raise errors.not_found(f"no channel {messaging_id}")
        return emulator.login.add_channel(
            login_id,
            _string(body, "channelSecret", required=True, max_length=256) or "",
            messaging_id,
            _string(body, "idTokenAlg", max_length=8) or "ES256",
        ).as_dict()

    @patch("/_control/login-channels/{channel_id:str}", opt={"control": "login"})
    async def patch_login_channel(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        alg = _string(body, "idTokenAlg", required=True, max_length=8)
        if alg not in ALGORITHMS:
            raise errors.invalid_body([Detail(f"must be one of {', '.join(ALGORITHMS)}", "idTokenAlg")])
        with emulator.login.lock:
            channel = emulator.login.channel(channel_id)
            channel.alg = alg
            return channel.as_dict()

    @delete("/_control/login-channels/{channel_id:str}", status_code=200, opt={"control": "login"})
    async def delete_login_channel(channel_id: FromPath[str]) -> dict[str, Any]:
        emulator.login.remove_channel(channel_id)
        return {}

    @put("/_control/login-channels/{channel_id:str}/id-token-fault", opt={"control": "login"})
    async def put_id_token_fault(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        return emulator.login.set_id_token_fault(channel_id, _string(body, "fault", max_length=32)).as_dict()

    @put("/_control/channels/{channel_id:str}/quota", opt={"control": "channel"})
    async def put_quota(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        limit, used = _number(body, "limit"), _number(body, "consumption")
        return emulator.set_quota(
            channel_id, None if limit is None else int(limit), None if used is None else int(used)
        ).as_dict()

    @get("/_control/channels/{channel_id:str}/webhooks", opt={"control": "channel"})
    async def webhook_log(channel_id: FromPath[str]) -> dict[str, Any]:
        with emulator.lock:
            return {"webhooks": [r.as_dict() for r in emulator.channel(channel_id).webhook_log]}

    @post("/_control/channels/{channel_id:str}/events", status_code=200, opt={"control": "channel"})
    async def send_events(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        events = body.get("events")
        if isinstance(events, dict):
            events = [events]
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise errors.invalid_body([Detail("must be an event object or a list of them", "events")])
        result = await emulator.send_event(channel_id, events, redelivery=bool(body.get("redelivery")))
        return result.as_dict()

    @post("/_control/channels/{channel_id:str}/redeliver", status_code=200, opt={"control": "channel"})
    async def redeliver(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        ids = body.get("webhookEventIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise errors.invalid_body([Detail("must be a non-empty list of webhookEventId", "webhookEventIds")])
        return (await emulator.redeliver(channel_id, ids)).as_dict()

    @get("/_control/channels/{channel_id:str}/content/{message_id:str}", opt={"control": "channel"})
    async def user_content(channel_id: FromPath[str], message_id: FromPath[str]) -> Response[bytes]:
        with emulator.lock:
            hit = emulator.channel(channel_id).contents.get(message_id)
        if hit is None:
            raise errors.not_found()
        return _sandboxed(*hit)

    @get("/_control/channels/{channel_id:str}/richmenus/{rich_menu_id:str}/image", opt={"control": "channel"})
    async def rich_menu_image(channel_id: FromPath[str], rich_menu_id: FromPath[str]) -> Response[bytes]:
        with emulator.lock:
            menu = emulator.channel(channel_id).rich_menus.get(rich_menu_id)
        if menu is None or menu.image is None:
            raise errors.not_found()
        return _sandboxed(*menu.image)

    # -- simulated users --------------------------------------------------------------------------------------

    @get("/_control/channels/{channel_id:str}/users", opt={"control": "channel"})
    async def list_users(channel_id: FromPath[str]) -> dict[str, Any]:
        with emulator.lock:
            return {"users": [u.as_dict() for u in emulator.channel(channel_id).users.values()]}

    @post("/_control/channels/{channel_id:str}/users", status_code=201, opt={"control": "channel"})
    async def create_user(request: Request[Any, Any, Any], channel_id: FromPath[str]) -> dict[str, Any]:
        body = _object(await json_body(request))
        user_id = _string(body, "userId", max_length=33)
        if user_id is not None and not (len(user_id) == 33 and user_id[0] == "U" and _is_hex(user_id[1:])):
            raise errors.invalid_body([Detail("must be U followed by 32 lowercase hex digits", "userId")])
        user = emulator.add_user(
            channel_id,
            _string(body, "displayName", max_length=20),
            user_id=user_id,
            picture_url=_url(body, "pictureUrl"),
            status_message=_string(body, "statusMessage", max_length=500),
            language=_string(body, "language", max_length=10) or "ja",
            following=bool(body.get("following")),
        )
        return user.as_dict()

    @get("/_control/channels/{channel_id:str}/users/{user_id:str}", opt={"control": "channel"})
    async def get_user(channel_id: FromPath[str], user_id: FromPath[str]) -> dict[str, Any]:
        with emulator.lock:
            return emulator.user(channel_id, user_id).as_dict()

    @patch("/_control/channels/{channel_id:str}/users/{user_id:str}", opt={"control": "channel"})
    async def patch_user(
        request: Request[Any, Any, Any], channel_id: FromPath[str], user_id: FromPath[str]
    ) -> dict[str, Any]:
        body = _object(await json_body(request))
        changes: dict[str, Any] = {}
        for key, name, limit in (("displayName", "display_name", 20), ("statusMessage", "status_message", 500)):
            if key in body:
                changes[name] = _string(body, key, required=name == "display_name", max_length=limit)
        if "pictureUrl" in body:
            changes["picture_url"] = _url(body, "pictureUrl")
        if "language" in body:
            changes["language"] = _string(body, "language", required=True, max_length=10)
        return emulator.update_user(channel_id, user_id, **changes).as_dict()

    @get("/_control/channels/{channel_id:str}/users/{user_id:str}/deliveries", opt={"control": "channel"})
    async def deliveries(channel_id: FromPath[str], user_id: FromPath[str]) -> dict[str, Any]:
        return {"deliveries": [e.as_dict() for e in emulator.deliveries(channel_id, user_id)]}

    @get("/_control/channels/{channel_id:str}/users/{user_id:str}/timeline", opt={"control": "channel"})
    async def timeline(
        request: Request[Any, Any, Any], channel_id: FromPath[str], user_id: FromPath[str]
    ) -> dict[str, Any]:
        raw = request.query_params.get("after", "0")
        after = int(raw) if raw.isdigit() else 0
        notes = await notes_of(request, channel_id, user_id) if notes_of is not None else []
        with emulator.lock:
            channel = emulator.channel(channel_id)
            user = emulator.user(channel_id, user_id)
            entries = [e.as_dict() for e in emulator.timeline(channel_id, user_id, after)]
            menu_id = user.rich_menu_id or channel.default_rich_menu_id
            menu = channel.rich_menus.get(menu_id) if menu_id else None
            return {
                "user": user.as_dict(),
                "channel": {"channelId": channel.channel_id, "displayName": channel.display_name},
                "entries": entries,
                "last": max([after, *(e["seq"] for e in entries)]),
                "notes": notes,
                "richMenu": {**menu.as_dict(), "hasImage": menu.image is not None} if menu else None,
            }

    async def act(request: Request[Any, Any, Any], channel_id: str, user_id: str, action: str) -> UserAction:
        body = _object(await json_body(request))
        if action == "follow":
            return await emulator.follow(channel_id, user_id)
        if action == "unfollow":
            return await emulator.unfollow(channel_id, user_id)
        if action == "text":
            text = _string(body, "text", required=True, max_length=5000) or ""
            return await emulator.send_text(channel_id, user_id, text)
        if action == "sticker":
            package = _string(body, "packageId", required=True, max_length=32) or ""
            sticker = _string(body, "stickerId", required=True, max_length=32) or ""
            return await emulator.send_sticker(channel_id, user_id, package, sticker)
        if action == "image":
            content_type = _string(body, "contentType", max_length=100) or "image/png"
            data = _string(body, "dataBase64", required=True, max_length=MAX_IMAGE_REQUEST) or ""
            try:
                content = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise errors.invalid_body([Detail("must be base64", "dataBase64")]) from None
            if len(content) > MAX_CONTENT_BYTES:
                raise errors.invalid_body([Detail(f"must be at most {MAX_CONTENT_BYTES} bytes", "dataBase64")])
            return await emulator.send_image(channel_id, user_id, content, content_type)
        if action == "location":
            return await emulator.send_location(
                channel_id,
                user_id,
                _number(body, "latitude", required=True) or 0.0,
                _number(body, "longitude", required=True) or 0.0,
                _string(body, "title", max_length=100),
                _string(body, "address", max_length=100),
            )
        # postback
        params = body.get("params")
        if params is not None and not (isinstance(params, dict) and all(isinstance(v, str) for v in params.values())):
            raise errors.invalid_body([Detail("must be an object of strings", "params")])
        return await emulator.postback(
            channel_id,
            user_id,
            _string(body, "data", required=True, max_length=300) or "",
            params,
            _string(body, "displayText", max_length=300),
        )

    @post(
        "/_control/channels/{channel_id:str}/users/{user_id:str}/{action:str}",
        status_code=200,
        request_max_body_size=MAX_IMAGE_REQUEST,
        opt={"control": "channel"},
    )
    async def user_action(
        request: Request[Any, Any, Any], channel_id: FromPath[str], user_id: FromPath[str], action: FromPath[str]
    ) -> Response[Any]:
        if action not in ("follow", "unfollow", "text", "sticker", "image", "location", "postback"):
            raise errors.not_found(f"no user action {action!r}")
        result = await act(request, channel_id, user_id, action)
        return Response(result.as_dict(), media_type=MediaType.JSON)

    return [
        get_overview,
        reset,
        put_settings,
        put_rate_limits,
        put_faults,
        list_channels,
        put_channel,
        get_channel,
        patch_channel,
        delete_channel,
        list_login_channels,
        put_login_channel,
        patch_login_channel,
        delete_login_channel,
        put_id_token_fault,
        put_quota,
        webhook_log,
        send_events,
        redeliver,
        user_content,
        rich_menu_image,
        list_users,
        create_user,
        get_user,
        patch_user,
        deliveries,
        timeline,
        user_action,
    ]


def _is_hex(value: str) -> bool:
    return all(c in "0123456789abcdef" for c in value)
