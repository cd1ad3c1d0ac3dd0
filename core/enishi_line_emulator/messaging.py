"""What the Messaging API does with a request, once it is authenticated: checks as LINE makes them, then delivery.

Every function runs under the emulator's lock and without awaiting, so a request is applied all at once. Each
returns the JSON body of the 200 answer or raises ``LineApiError``.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from enishi_line_emulator import errors
from enishi_line_emulator.errors import Detail, LineApiError
from enishi_line_emulator.state import Channel, Emulator, RichMenu, SimUser
from enishi_line_emulator.validation import MAX_MULTICAST, USER_ID, request_details, schema_details

RETRY_KEY = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_FOLLOWERS_PAGE = 1000
DEFAULT_FOLLOWERS_PAGE = 300


def _retry_key(retry_key: str | None) -> str | None:
    """The retry key in lower case (a UUID is the same in either case), or LINE's 400 if it is not a UUID."""
    if retry_key is None:
        return None
    if not RETRY_KEY.match(retry_key):
        raise errors.bad_request("The value for the 'X-Line-Retry-Key' header is invalid")
    return retry_key.lower()


def _validate(schema: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object")
    details = request_details(schema, body)
    if details:
        raise errors.invalid_body(details)
    return body


def _already_accepted(emulator: Emulator, channel: Channel, retry_key: str | None, with_body: bool) -> None:
    if retry_key is None:
        return
    hit = emulator.accepted(channel, retry_key)
    if hit is not None:
        raise LineApiError(
            409,
            errors.RETRY_KEY_ACCEPTED,
            headers={"X-Line-Accepted-Request-Id": hit.request_id},
            extra=hit.body if with_body else None,
        )


def _charge(emulator: Emulator, channel: Channel, recipients: int) -> None:
    """Count ``recipients`` messages against the monthly quota, or LINE's 429 when they do not fit."""
    quota = emulator.quota(channel)
    if quota.type == "limited" and quota.limit is not None and quota.consumption + recipients > quota.limit:
        raise LineApiError(429, errors.MONTHLY_LIMIT)
    quota.consumption += recipients


def _send(
    emulator: Emulator,
    users: list[SimUser],
    body: dict[str, Any],
    *,
    endpoint: str,
    request_id: str,
    retry_key: str | None,
) -> list[dict[str, str]]:
    """Deliver every message to every user; the sent-message ids (one set, as LINE answers a push)."""
    sent = [{"id": emulator.new_message_id(), "quoteToken": secrets.token_urlsafe(24)} for _ in body["messages"]]
    for user in users:
        for message, ids in zip(body["messages"], sent, strict=True):
            emulator.deliver(
                user,
                message,
                endpoint=endpoint,
                request_id=request_id,
                retry_key=retry_key,
                notification_disabled=bool(body.get("notificationDisabled")),
                message_id=ids["id"] if len(users) == 1 else emulator.new_message_id(),
            )
    return sent


def push(emulator: Emulator, channel: Channel, body: Any, *, request_id: str, retry_key: str | None) -> dict[str, Any]:
    """A push to one user. To a user who is not a friend (blocked, or never added) it is a 200 that delivers
    nothing and costs nothing, as on LINE; to a user id LINE does not know it is a 400."""
    with emulator.lock:
        retry_key = _retry_key(retry_key)
        body = _validate("PushMessageRequest", body)
        to = body["to"]
        if not USER_ID.match(to):
            raise errors.invalid_body([Detail("must be a valid user ID", "to")])
        _already_accepted(emulator, channel, retry_key, with_body=True)
        user = channel.users.get(to)
        if user is None:
            raise errors.bad_request("Failed to send messages")
        recipients = [user] if user.following else []
        _charge(emulator, channel, len(recipients))
        sent = _send(emulator, recipients, body, endpoint="push", request_id=request_id, retry_key=retry_key)
        answer = {"sentMessages": sent}
        if retry_key is not None:
            emulator.accept(channel, retry_key, request_id, answer)
        return answer


def multicast(
    emulator: Emulator, channel: Channel, body: Any, *, request_id: str, retry_key: str | None
) -> dict[str, Any]:
    """A message to up to 500 users. Ids of users who are not friends (or not known) are skipped silently, and a
    repeated id gets the message once; the quota is charged one per user reached."""
    with emulator.lock:
        retry_key = _retry_key(retry_key)
        body = _validate("MulticastRequest", body)
        bad = [
            Detail("must be a valid user ID", f"to[{i}]") for i, to in enumerate(body["to"]) if not USER_ID.match(to)
        ]
        if bad:
            raise errors.invalid_body(bad)
        _already_accepted(emulator, channel, retry_key, with_body=False)
        ids = list(dict.fromkeys(body["to"]))[:MAX_MULTICAST]
        recipients = [u for u in (channel.users.get(i) for i in ids) if u is not None and u.following]
        _charge(emulator, channel, len(recipients))
        _send(emulator, recipients, body, endpoint="multicast", request_id=request_id, retry_key=retry_key)
        if retry_key is not None:
            emulator.accept(channel, retry_key, request_id, {})
        return {}


def reply(emulator: Emulator, channel: Channel, body: Any, *, request_id: str, retry_key: str | None) -> dict[str, Any]:
    """A reply: free, once per reply token, within the token's validity. A bad request leaves the token usable."""
    with emulator.lock:
        if retry_key is not None:
            raise errors.bad_request("The 'X-Line-Retry-Key' header cannot be used with this API")
        body = _validate("ReplyMessageRequest", body)
        user = emulator.use_reply_token(channel, body["replyToken"])
        recipients = [user] if user.state != "blocked" else []
        return {
            "sentMessages": _send(emulator, recipients, body, endpoint="reply", request_id=request_id, retry_key=None)
        }


def profile(emulator: Emulator, channel: Channel, user_id: str) -> dict[str, Any]:
    """Friends, and users who talked to the account without blocking it, have a profile; others are 404."""
    with emulator.lock:
        user = channel.users.get(user_id)
        if user is None or user.state == "blocked" or not (user.following or user.interacted):
            raise errors.not_found()
        return user.profile()


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode().rstrip("=")


def _page_offset(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "emu" or not number.isdigit():
            raise ValueError(token)
        return int(number)
    except ValueError:
        raise errors.bad_request("The 'start' parameter is invalid") from None


def followers(emulator: Emulator, channel: Channel, start: str | None, limit: str | None) -> dict[str, Any]:
    """Friends' user ids in the order they added the account, ``limit`` (≤ 1,000, default 300) at a time."""
    if limit is None or limit == "":
        size = DEFAULT_FOLLOWERS_PAGE
    elif limit.isdigit() and 1 <= int(limit) <= MAX_FOLLOWERS_PAGE:
        size = int(limit)
    else:
        raise errors.invalid_body([Detail(f"must be between 1 and {MAX_FOLLOWERS_PAGE}", "limit")])
    offset = _page_offset(start) if start else 0
    with emulator.lock:
        friends = sorted((u for u in channel.users.values() if u.following), key=lambda u: u.followed_at or 0.0)
        ids = [u.user_id for u in friends[offset : offset + size]]
        out: dict[str, Any] = {"userIds": ids}
        if offset + size < len(friends):
            out["next"] = _page_token(offset + size)
        return out


def quota(emulator: Emulator, channel: Channel) -> dict[str, Any]:
    with emulator.lock:
        q = emulator.quota(channel)
        return {"type": "limited", "value": q.limit} if q.type == "limited" else {"type": "none"}


def quota_consumption(emulator: Emulator, channel: Channel) -> dict[str, Any]:
    with emulator.lock:
        return {"totalUsage": emulator.quota(channel).consumption}


def content(emulator: Emulator, channel: Channel, message_id: str) -> tuple[bytes, str]:
    with emulator.lock:
        hit = channel.contents.get(message_id)
        if hit is None:
            raise errors.not_found()
        return hit


# -- rich menus --------------------------------------------------------------------------------------------------


def create_rich_menu(emulator: Emulator, channel: Channel, body: Any) -> dict[str, Any]:
    with emulator.lock:
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object")
        details = schema_details("RichMenuRequest", body)
        if details:
            raise errors.invalid_body(details)
        rich_menu_id = "richmenu-" + secrets.token_hex(16)
        channel.rich_menus[rich_menu_id] = RichMenu(rich_menu_id, body)
        return {"richMenuId": rich_menu_id}


def rich_menu(emulator: Emulator, channel: Channel, rich_menu_id: str, *, create: bool = False) -> RichMenu:
    """A created rich menu; any id that starts with ``richmenu-`` counts as created when ``create`` is true."""
    with emulator.lock:
        menu = channel.rich_menus.get(rich_menu_id)
        if menu is None and create and rich_menu_id.startswith("richmenu-"):
            menu = channel.rich_menus[rich_menu_id] = RichMenu(rich_menu_id, {})
        if menu is None:
            raise errors.not_found("richmenu not found")
        return menu


def delete_rich_menu(emulator: Emulator, channel: Channel, rich_menu_id: str) -> None:
    with emulator.lock:
        rich_menu(emulator, channel, rich_menu_id)
        del channel.rich_menus[rich_menu_id]
        if channel.default_rich_menu_id == rich_menu_id:
            channel.default_rich_menu_id = None
        for user in channel.users.values():
            if user.rich_menu_id == rich_menu_id:
                user.rich_menu_id = None


def link_rich_menu(emulator: Emulator, channel: Channel, user_id: str, rich_menu_id: str) -> None:
    """Link to one user, or make it the default with the user id ``all``."""
    with emulator.lock:
        rich_menu(emulator, channel, rich_menu_id, create=True)
        if user_id == "all":
            channel.default_rich_menu_id = rich_menu_id
            return
        user = _known_user(channel, user_id)
        user.rich_menu_id = rich_menu_id


def unlink_rich_menu(emulator: Emulator, channel: Channel, user_id: str) -> None:
    with emulator.lock:
        if user_id == "all":
            channel.default_rich_menu_id = None
            return
        _known_user(channel, user_id).rich_menu_id = None


def user_rich_menu(emulator: Emulator, channel: Channel, user_id: str) -> dict[str, Any]:
    with emulator.lock:
        if user_id == "all":
            if channel.default_rich_menu_id is None:
                raise errors.not_found("no default richmenu")
            return {"richMenuId": channel.default_rich_menu_id}
        user = _known_user(channel, user_id)
        if user.rich_menu_id is None:
            raise errors.not_found("the user has no richmenu")
        return {"richMenuId": user.rich_menu_id}


def _known_user(channel: Channel, user_id: str) -> SimUser:
    if not USER_ID.match(user_id):
        raise errors.bad_request(f"The user ID is invalid: {user_id}")
    user = channel.users.get(user_id)
    if user is None:
        raise errors.not_found()
    return user
