"""Message templates (定型文), the actions behind tappable buttons, and the taps themselves.

Table names carry the plugin name so plugins never collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, JsonDoc, WorkspaceOwned, utcnow


class MessageTemplate(WorkspaceOwned, Base):
    """A named set of 1 to 5 LINE messages staff send by hand and scenarios send by reference."""

    __tablename__ = "messages_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000), default="")
    # As written, with variables ({{friend.display_name}}) and button actions (enishi_actions) in place.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # No foreign keys to users: these only record who did it, and staff accounts are deactivated, not deleted.
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    updated_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)


class PostbackButton(WorkspaceOwned, Base):
    """What one button of one sent message does when that friend taps it.

    A button is sent with ``data = "enishi:pb:<token>"``; the token is random, so a friend cannot guess another
    friend's button, and a tap is only honoured from the friend it was sent to. ``(idempotency_key, position)``
    names the button within the send it came from, so preparing the same send again finds the same tokens.
    """

    __tablename__ = "messages_postbacks"
    __table_args__ = (
        UniqueConstraint("workspace_id", "token"),
        UniqueConstraint("workspace_id", "idempotency_key", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # the n-th button with actions in that send, from 0
    label: Mapped[str] = mapped_column(String(100), default="")  # as shown on the button, for staff
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)  # [{type, type_version, config}]
    reply: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc, default=None)  # messages, unexpanded
    once: Mapped[bool] = mapped_column(Boolean, default=False)  # run only on the friend's first tap
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostbackTap(WorkspaceOwned, Base):
    """A friend tapped a button: one row per inbound postback message, so a redelivery runs nothing twice."""

    __tablename__ = "messages_postback_taps"
    __table_args__ = (UniqueConstraint("workspace_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    postback_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages_postbacks.id", ondelete="CASCADE"), index=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), index=True)
    # The inbound postback in the conversation (core ``messages.id``); no foreign key, it is only a reference.
    message_id: Mapped[int] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16))  # "ran", or "repeat" for a once-only button tapped again
    results: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    tapped_at: Mapped[datetime] = mapped_column(default=utcnow)
