"""The catalogue of domain events: what the core announces, with the data of each, and how plugins add theirs.

A domain event is a :class:`~enishi.types.DomainEvent` named ``<plugin>.<name>``; its ``data`` is described by a
``TypedDict``. The core's events are below. A plugin declares the events it announces in
``enishi_register_events`` with :class:`EventType`, so that triggers, handlers and ``docs/events.md`` can rely on
them::

    class PointsChangedData(TypedDict):
        points: int
        source: str


    @hookimpl
    def enishi_register_events(register: Register[EventType]) -> None:
        register(EventType(name="points_changed", description=Text("…", "…"), data=PointsChangedData))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, get_args, get_type_hints, is_typeddict

from enishi.text import Text


@dataclass(frozen=True, kw_only=True)
class EventType:
    """A domain event in the catalogue; a plugin's ``EventType(name="tag_added", …)`` is ``tags.tag_added``."""

    name: str
    description: Text
    data: type  # a TypedDict describing the event's ``data``
    friend: bool = True  # whether the event's ``friend_id`` is set (the friend it happened to)

    def fields(self) -> Mapping[str, str]:
        """The fields of ``data`` with their types, as written (``{"tag_id": "int", "text": "str | None"}``)."""
        return {name: _type_name(hint) for name, hint in get_type_hints(self.data).items()}


def _type_name(hint: Any) -> str:
    if isinstance(hint, type) and not get_args(hint):
        return hint.__name__
    return str(hint).replace("typing.", "")


def check_event_type(item: EventType) -> str | None:
    """What is wrong with a registered event type, or None."""
    if not is_typeddict(item.data):
        return "data must be a TypedDict describing the event's data"
    if not isinstance(item.description, Text):
        return "description must be an enishi.Text"
    return None


# ---- the core's events ------------------------------------------------------------------------------------------

FRIEND_FOLLOWED = "core.friend_followed"
FRIEND_UNFOLLOWED = "core.friend_unfollowed"
MESSAGE_RECEIVED = "core.message_received"
POSTBACK_RECEIVED = "core.postback_received"


class FriendFollowedData(TypedDict):
    unblocked: bool  # True when a friend who had blocked the account unblocked it; False for a new friend


class FriendUnfollowedData(TypedDict):
    pass


class MessageReceivedData(TypedDict):
    message_id: int  # the stored inbound message (``enishi.Message``)
    kind: str  # LINE's message type: "text", "image", "video", "audio", "file", "location", "sticker", …
    text: str | None  # the text of a text message, otherwise None


class PostbackReceivedData(TypedDict):
    message_id: int  # the stored postback (``enishi.Message`` of kind "postback")
    kind: str  # always "postback"
    text: str | None  # the postback's ``data``


CORE_EVENTS: tuple[EventType, ...] = (
    EventType(
        name="friend_followed",
        description=Text(
            "友だち追加(初めての追加、またはブロック解除)",
            "A LINE user added the account as a friend, first or after unblocking",
        ),
        data=FriendFollowedData,
    ),
    EventType(
        name="friend_unfollowed",
        description=Text("友だちがアカウントをブロックした", "A friend blocked the account"),
        data=FriendUnfollowedData,
    ),
    EventType(
        name="message_received",
        description=Text("友だちからメッセージが届いた", "A friend sent a message"),
        data=MessageReceivedData,
    ),
    EventType(
        name="postback_received",
        description=Text(
            "友だちがポストバックのボタンなどを押した", "A friend tapped a postback action (a button, a rich menu area)"
        ),
        data=PostbackReceivedData,
    ),
)
