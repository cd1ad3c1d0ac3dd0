"""Agencies run workspaces; each workspace is one LINE channel with its own staff, plan and plugins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

ROLE_CHECK = "role IN ('owner', 'admin', 'operator', 'viewer')"


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgencyMembership(Base):
    """Agency staff see and act in all of the agency's workspaces with this role."""

    __tablename__ = "agency_memberships"
    __table_args__ = (
        UniqueConstraint("agency_id", "user_id"),
        CheckConstraint(ROLE_CHECK, name="role"),
        Index("ix_agency_memberships_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(BigId, ForeignKey("agencies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Workspace(Base):
    __tablename__ = "workspaces"
    __table_args__ = (Index("ix_workspaces_agency", "agency_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(BigId, ForeignKey("agencies.id", ondelete="RESTRICT"))
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("plans.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    line_channel_id: Mapped[str] = mapped_column(String(32), unique=True)
    # Encrypted at rest with the key from ENISHI_SECRET_KEY (see enishi.crypto).
    line_channel_secret: Mapped[bytes] = mapped_column(LargeBinary)
    line_access_token: Mapped[bytes] = mapped_column(LargeBinary)
    # The unguessable part of the workspace's webhook URL.
    webhook_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The bot's own user id (the webhook's `destination`), learnt from the first webhook.
    line_bot_user_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # An optional LINE Login channel (its secret encrypted like the one above): it tells which LINE user opened a
    # page (an inflow route, the member card). Its users are the Messaging API channel's when both are linked.
    line_login_channel_id: Mapped[str | None] = mapped_column(String(32), default=None)
    line_login_channel_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Set when LINE answered 429 "monthly limit": sending stops until staff clear it or the month turns.
    quota_exhausted_at: Mapped[datetime | None] = mapped_column(default=None)
    # When scenario pushes wait ({"enabled", "start", "end"} in the workspace's time zone); a scenario may set its
    # own. None: the built-in default, 22:00–08:00. Replies are never held.
    quiet_hours: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkspaceMembership(WorkspaceOwned, Base):
    __tablename__ = "workspace_memberships"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id"),
        CheckConstraint(ROLE_CHECK, name="role"),
        Index("ix_workspace_memberships_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkspacePlugin(WorkspaceOwned, Base):
    """Whether a plugin is on in a workspace, and its settings there. Turning it off keeps its data."""

    __tablename__ = "workspace_plugins"
    __table_args__ = (UniqueConstraint("workspace_id", "plugin"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Why it was last turned off, e.g. "plan" after a downgrade, so the UI can say so.
    disabled_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RoleGrant(WorkspaceOwned, Base):
    """A workspace's change to which roles grant a permission (スタッフ権限設定); absent = the declared default."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("workspace_id", "role", "permission"),
        CheckConstraint(ROLE_CHECK, name="role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    permission: Mapped[str] = mapped_column(String(128))
    granted: Mapped[bool] = mapped_column(Boolean)
