"""Who changed what, in which workspace, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, utcnow


class AuditEntry(Base):
    # Not WorkspaceOwned: platform-level changes have no workspace. Listing filters by workspace explicitly.
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_workspace_id_id", "workspace_id", "id"),
        Index("ix_audit_log_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    api_token_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("api_tokens.id", ondelete="SET NULL"))
    workspace_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(128))  # e.g. "core.update_workspace", "tags.create_tag"
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    target: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)  # path parameters
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
