"""A workspace's card design, friends' cards (number, points, stamps, rank) and the history of every change.

Table names carry the plugin name so plugins never collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

NAME_MAX = 50
RANK_MAX = 50
REASON_MAX = 200
NUMBER_MAX = 32
URL_MAX = 500


def default_ranks() -> list[dict[str, Any]]:
    return [
        {"name": "レギュラー", "threshold": 0},
        {"name": "シルバー", "threshold": 100},
        {"name": "ゴールド", "threshold": 500},
    ]


class Design(WorkspaceOwned, Base):
    """The one card design of a workspace, with its member-number scheme and rank thresholds."""

    __tablename__ = "member_cards_designs"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="会員証")
    background_color: Mapped[str] = mapped_column(String(7), default="#1f3a5f")
    text_color: Mapped[str] = mapped_column(String(7), default="#ffffff")
    logo_url: Mapped[str | None] = mapped_column(String(URL_MAX), default=None)
    number_prefix: Mapped[str] = mapped_column(String(10), default="")
    number_digits: Mapped[int] = mapped_column(Integer, default=8)
    # The sequence number the next card gets; bumped by one UPDATE … RETURNING, so two issues never share one.
    next_number: Mapped[int] = mapped_column(BigInteger, default=1)
    issue_on_follow: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    stamp_goal: Mapped[int] = mapped_column(Integer, default=10)
    # [{"name": str, "threshold": int}], ascending thresholds: a card's rank is the last one its points reach.
    ranks: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=default_ranks)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Card(WorkspaceOwned, Base):
    """A friend's member card: at most one per friend."""

    __tablename__ = "member_cards_cards"
    __table_args__ = (
        UniqueConstraint("workspace_id", "member_number"),
        Index("ix_member_cards_cards_workspace_points", "workspace_id", "points"),
    )

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[str | None] = mapped_column(String(RANK_MAX), default=None)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardChange(WorkspaceOwned, Base):
    """One change of a card's points and/or stamps: the deltas, the values after it, why, who and how."""

    __tablename__ = "member_cards_history"
    __table_args__ = (
        Index("ix_member_cards_history_workspace_friend", "workspace_id", "friend_id", "id"),
        # A scenario step retried after its commit must not add the points twice.
        UniqueConstraint("workspace_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    points_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    stamps_delta: Mapped[int] = mapped_column(Integer, default=0)
    points_after: Mapped[int] = mapped_column(BigInteger)
    stamps_after: Mapped[int] = mapped_column(Integer)
    rank_after: Mapped[str | None] = mapped_column(String(RANK_MAX), default=None)
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    source: Mapped[str] = mapped_column(String(32), default="manual")
    user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
