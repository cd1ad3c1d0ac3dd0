"""LINE Login states: one row per authorisation started, used once, valid for a few minutes.

Not workspace-owned in the ORM sense: the callback finds the row by its state alone and only then knows the
workspace, so it reads without a workspace scope (the workspace is a column like any other).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, UTCDateTime, utcnow


class LineLoginState(Base):
    __tablename__ = "line_login_states"
    __table_args__ = (Index("ix_line_login_states_expires_at", "expires_at"),)

    # SHA-256 of the state sent to LINE: a copy of the table hands out no usable states.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    # What the login is for, e.g. "inflow.route", and its object, e.g. the route's code.
    purpose: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    nonce: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
