"""Request and response bodies. msgspec checks types and sizes before a handler runs (bad input → 400 with the
field's path); handlers check the messages themselves and what needs the database (→ 422 with paths, 409 for a
duplicate name)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from enishi_messages.models import MessageTemplate, PostbackButton, PostbackTap

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
# At least one visible character; surrounding spaces are trimmed before saving.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Description = Annotated[str, msgspec.Meta(max_length=1000)]
# The count is checked with the messages (422, "$.messages"), like every other rule about them.
Messages = list[dict[str, Any]]
IdempotencyKey = Annotated[str, msgspec.Meta(min_length=8, max_length=100)]


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    messages: Messages
    description: Description = ""


class TemplatePatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    messages: Messages | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET


class TemplateOut(msgspec.Struct):
    id: int
    name: str
    description: str
    messages: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    created_by_user_id: int | None
    updated_by_user_id: int | None


class PreviewIn(msgspec.Struct, forbid_unknown_fields=True):
    messages: Messages | None = None
    template_id: Id | None = None
    friend_id: Id | None = None  # without one, variables show their default or their name


class VariableValue(msgspec.Struct):
    name: str  # e.g. "field.nickname"
    value: str | None  # the friend's value; null when the friend has none (the default is shown)


class Problem(msgspec.Struct):
    path: str
    message: str


class PreviewOut(msgspec.Struct):
    messages: list[dict[str, Any]]  # as LINE would get them, buttons' data shown as "enishi:pb:preview"
    variables: list[VariableValue]
    # What would still stop the send for this friend (e.g. a text that only a variable with no value fills).
    warnings: list[Problem]


class SendIn(msgspec.Struct, forbid_unknown_fields=True):
    friend_id: Id
    messages: Messages | None = None
    template_id: Id | None = None
    # Lets a client retry the same send safely (e.g. after a network error): the second ask is a no-op.
    idempotency_key: IdempotencyKey | None = None


class SendOut(msgspec.Struct):
    request_id: int
    kind: str  # reply (free) or push
    status: str  # pending, or held while the monthly quota is used up
    messages: list[dict[str, Any]]  # as sent


class VariableOut(msgspec.Struct):
    name: str  # e.g. "friend.display_name"
    placeholder: str  # what to write in a message: "{{friend.display_name}}"
    label: dict[str, str]  # {"ja": …, "en": …}
    plugin: str  # which plugin supplies it ("core" for the friend's own)


class TapOut(msgspec.Struct):
    id: int
    friend_id: int
    postback_id: int
    label: str  # the button's label when it was sent
    status: str  # "ran", or "repeat" for a once-only button tapped again
    results: list[dict[str, Any]]  # per action: {"action", "ok", "result" | "error"}
    message_id: int  # the tap in the conversation
    tapped_at: datetime


def template_out(t: MessageTemplate) -> TemplateOut:
    return TemplateOut(
        t.id,
        t.name,
        t.description,
        t.messages,
        t.created_at,
        t.updated_at,
        t.created_by_user_id,
        t.updated_by_user_id,
    )


def tap_out(tap: PostbackTap, button: PostbackButton) -> TapOut:
    return TapOut(
        tap.id, tap.friend_id, tap.postback_id, button.label, tap.status, tap.results, tap.message_id, tap.tapped_at
    )
