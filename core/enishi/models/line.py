"""What LINE sent us (webhook events), the conversation with each friend, and every call we made to LINE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow


class LineEvent(WorkspaceOwned, Base):
    """A webhook event exactly as LINE sent it, stored before the 200; processed afterwards by a job."""

    __tablename__ = "line_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "webhook_event_id"),
        # The sweeper looks for what is not processed yet; the partial index keeps that cheap.
        Index(
            "ix_line_events_unprocessed",
            "workspace_id",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str | None] = mapped_column(String(16), default=None)  # user / group / room
    line_user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    occurred_at: Mapped[datetime] = mapped_column()  # LINE's `timestamp`: events may arrive out of order
    is_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class Message(WorkspaceOwned, Base):
    """One message in the conversation with a friend, inbound or outbound (the chat inbox reads these)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        Index("ix_messages_workspace_friend_id", "workspace_id", "friend_id", "id"),
        UniqueConstraint("workspace_id", "line_message_id"),
        # A request's messages, when LINE's answer gives them their ids (and when a request row is deleted).
        Index(
            "ix_messages_request",
            "request_id",
            postgresql_where=text("request_id IS NOT NULL"),
            sqlite_where=text("request_id IS NOT NULL"),
        ),
        # The content sweeper looks for contents staff asked for that are not fetched yet (few rows at a time).
        Index(
            "ix_messages_content_wanted",
            "content_wanted_at",
            postgresql_where=text("content_wanted_at IS NOT NULL"),
            sqlite_where=text("content_wanted_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(24))  # text, image, sticker, postback, template, flex, …
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # the LINE message object (or postback) as sent
    text: Mapped[str | None] = mapped_column(Text, default=None)  # plain text for search and previews
    line_message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("line_events.id", ondelete="SET NULL"), default=None)
    request_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("line_requests.id", ondelete="SET NULL"), default=None
    )
    sent_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(24), default="line")  # line, staff, scenario, broadcast, auto
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When staff first asked for this image's, video's, audio's or file's content and it was not fetched yet: the
    # fetch's row, so a lost job (the queue down) is queued again by the sweeper. Cleared once it is stored.
    content_wanted_at: Mapped[datetime | None] = mapped_column(default=None)


class LineRequest(WorkspaceOwned, Base):
    """One call to LINE's sending API, written before it is made so a crash can neither lose nor repeat it.

    ``retry_key`` goes out as ``X-Line-Retry-Key``: LINE accepts a key once in 24 h, so a retry after a crash
    cannot deliver twice. ``idempotency_key`` is the caller's own (e.g. a scenario step) and makes asking
    twice for the same send a no-op.
    """

    __tablename__ = "line_requests"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        UniqueConstraint("retry_key"),
        CheckConstraint("kind IN ('reply', 'push', 'multicast')", name="kind"),
        CheckConstraint("status IN ('pending', 'sending', 'accepted', 'failed', 'held')", name="status"),
        Index(
            "ix_line_requests_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        Index(
            "ix_line_requests_broadcast",
            "broadcast_id",
            "status",
            postgresql_where=text("broadcast_id IS NOT NULL"),
            sqlite_where=text("broadcast_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    retry_key: Mapped[str | None] = mapped_column(String(36), default=None)
    reply_token: Mapped[str | None] = mapped_column(String(64), default=None)
    recipients: Mapped[list[str]] = mapped_column(JsonDoc)  # LINE user ids
    friend_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    line_request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(24), default="staff")
    # A batch of a broadcast: settling it counts its recipients as sent or failed there (enishi.delivery). No
    # foreign key: adding one to this table would make SQLite copy it, and broadcasts are never deleted alone.
    broadcast_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)


class ReadMarker(WorkspaceOwned, Base):
    """How far a staff member has read a friend's conversation (for unread counts in the inbox)."""

    __tablename__ = "read_markers"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "friend_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    last_read_message_id: Mapped[int] = mapped_column(BigId, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
