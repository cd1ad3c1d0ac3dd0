"""Inflow routes (流入経路), every visit of a route's URL and each friend's first route.

Table names carry the plugin name so plugins never collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, JsonDoc, UTCDateTime, WorkspaceOwned, utcnow

NAME_MAX = 100
FOLDER_MAX = 100
MODES = ("every", "first_time")


class Route(WorkspaceOwned, Base):
    """A link (and its QR code) that brings people to the account, with the actions run when one comes in."""

    __tablename__ = "inflow_routes"
    __table_args__ = (CheckConstraint("mode IN ('every', 'first_time')", name="mode"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    folder: Mapped[str] = mapped_column(String(FOLDER_MAX), default="")
    mode: Mapped[str] = mapped_column(String(16), default="every")
    # [{type, type_version?, config}], run with enishi.run_action when a friend comes in through the route.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    # The unguessable part of the public URL, unique across workspaces: /p/inflow/r/<code>.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(WorkspaceOwned, Base):
    """One opening of a route's URL; friend_id is set once the visit is attributed to a friend."""

    __tablename__ = "inflow_visits"
    __table_args__ = (
        UniqueConstraint("workspace_id", "ref"),
        Index("ix_inflow_visits_workspace_route_at", "workspace_id", "route_id", "visited_at"),
        Index("ix_inflow_visits_friend_route", "friend_id", "route_id"),
        Index("ix_inflow_visits_workspace_line_user", "workspace_id", "line_user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    route_id: Mapped[int] = mapped_column(BigId, ForeignKey("inflow_routes.id", ondelete="CASCADE"))
    friend_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("friends.id", ondelete="SET NULL"), default=None)
    # The short code the landing page shows ("#A1B2C3"), which the person sends as a message.
    ref: Mapped[str] = mapped_column(String(16))
    # The LINE user LINE Login named for the visit; one who was not a friend yet gets it when their follow arrives.
    line_user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attributed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class FirstRoute(WorkspaceOwned, Base):
    """The route a friend first came in through: one row per friend, never replaced."""

    __tablename__ = "inflow_first_routes"
    __table_args__ = (Index("ix_inflow_first_routes_workspace_route", "workspace_id", "route_id", "at"),)

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    route_id: Mapped[int] = mapped_column(BigId, ForeignKey("inflow_routes.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
