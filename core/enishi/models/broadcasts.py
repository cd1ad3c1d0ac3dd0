"""Broadcasts (一斉配信 / セグメント配信): what to send to whom, who it went to, and LINE's quota as last seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

BROADCAST_STATUSES = ("scheduled", "sending", "paused", "completed", "cancelled", "failed")
COUNT_SHARDS = 16  # rows of broadcast_counts per broadcast


class Broadcast(WorkspaceOwned, Base):
    """One broadcast: 1–5 messages for a target (all friends, a segment, a saved segment).

    The audience is fixed when sending starts (``started_at``): the recipients are frozen into
    ``broadcast_recipients`` and numbered; ``written`` of them have their outbox rows (``line_requests`` with
    ``broadcast_id``) so far. What was sent or failed is counted in ``broadcast_counts`` as each request settles;
    ``skipped`` and ``cancelled`` count the recipients who never got a request.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(f"status IN {BROADCAST_STATUSES!r}", name="status"),
        CheckConstraint("delivery IN ('multicast', 'push')", name="delivery"),
        Index("ix_broadcasts_workspace_id", "workspace_id", "id"),
        UniqueConstraint("workspace_id", "idempotency_key"),
        # The sweeper looks for broadcasts that are due or still being written.
        Index(
            "ix_broadcasts_live",
            "send_at",
            postgresql_where=text("status IN ('scheduled', 'sending')"),
            sqlite_where=text("status IN ('scheduled', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)  # as written, variables in place
    target: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # {"type": "all" | "segment" | "saved_segment", …}
    delivery: Mapped[str] = mapped_column(String(16))  # multicast (same for everyone) or push (personalised)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    allow_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)  # what staff asked for (None: now)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)  # when sending starts: scheduled_at + a random spread
    estimated_recipients: Mapped[int] = mapped_column(Integer, default=0)  # the live count when it was created
    total: Mapped[int | None] = mapped_column(Integer, default=None)  # recipients frozen when sending started
    limited_to: Mapped[int | None] = mapped_column(Integer, default=None)  # a partial send: what the quota allowed
    written: Mapped[int] = mapped_column(Integer, default=0)  # recipients whose outbox rows exist
    # Left out when their batch was written: blocked or deleted since the audience was fixed, or their own
    # messages could not be made valid. Counted as failed.
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)  # never sent because the broadcast was cancelled
    # The dispatcher writing the batches holds a lease; ``dispatch_runs`` numbers the holders (and their job ids).
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    dispatch_runs: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # The Idempotency-Key of the request that made it: the same request again answers this broadcast.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class BroadcastDraft(WorkspaceOwned, Base):
    """A broadcast being written, saved without sending: kept as typed (the messages and the target are checked
    when it is sent, not when it is saved), to be opened again, finished and sent, or deleted."""

    __tablename__ = "broadcast_drafts"
    __table_args__ = (Index("ix_broadcast_drafts_workspace_id", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    target: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)  # the time asked for, if any
    allow_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BroadcastRecipient(WorkspaceOwned, Base):
    """A recipient of a broadcast, frozen when sending started, numbered from 1 in friend id order.

    Recipient ``position`` goes out in multicast batch ``(position - 1) // 500`` or, personalised, in its own push;
    the outbox row of that batch (``line_requests.broadcast_id``) says what became of it, so delivering a million
    recipients updates two thousand rows, not a million. No foreign keys: a check per row would make freezing a
    million recipients several times slower, and the row is a record of what was sent even if the friend goes.
    """

    __tablename__ = "broadcast_recipients"
    # A friend's talk history shows the broadcasts they received: found by friend, newest first.
    __table_args__ = (Index("ix_broadcast_recipients_friend", "friend_id", "broadcast_id"),)

    broadcast_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigId)  # (scoped like every workspace row, without a foreign key)
    friend_id: Mapped[int] = mapped_column(BigId)


class BroadcastCount(WorkspaceOwned, Base):
    """Recipients sent and failed so far, in ``COUNT_SHARDS`` rows per broadcast.

    The outbox adds to one of them (chosen by the request's id) in the transaction that settles a request, so
    the counts are exact; spreading them over several rows keeps concurrent senders from queuing on one row lock.
    """

    __tablename__ = "broadcast_counts"

    broadcast_id: Mapped[int] = mapped_column(BigId, ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class LineQuota(WorkspaceOwned, Base):
    """LINE's monthly message quota of a workspace's channel, as a job last fetched it (never in a web request)."""

    __tablename__ = "line_quotas"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quota_type: Mapped[str | None] = mapped_column(String(16), default=None)  # "none" (unlimited) or "limited"
    monthly_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    consumption: Mapped[int | None] = mapped_column(Integer, default=None)  # messages counted this month
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    requested_at: Mapped[datetime | None] = mapped_column(default=None)  # the last refresh asked for
    error: Mapped[str | None] = mapped_column(Text, default=None)  # why the last refresh failed
    error_at: Mapped[datetime | None] = mapped_column(default=None)
