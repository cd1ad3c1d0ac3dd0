"""The media library: images and videos staff upload (or save from a friend's message) to send on LINE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, WorkspaceOwned, utcnow


class MediaAsset(WorkspaceOwned, Base):
    """One file and its preview in the storage backend, under an unguessable ``key``.

    The objects are ``<key>.<extension>`` and ``<key>-preview.<preview_extension>``; their public URLs are what
    LINE fetches, so the key is the only secret between a URL and the file.
    """

    __tablename__ = "media_assets"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'video')", name="kind"),
        CheckConstraint("source IN ('upload', 'inbox')", name="source"),
        Index("ix_media_assets_workspace_kind", "workspace_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    extension: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    preview_extension: Mapped[str] = mapped_column(String(8))
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    preview_note: Mapped[str | None] = mapped_column(String(500), default=None)
    source: Mapped[str] = mapped_column(String(16), default="upload")
    # The friend's message it was saved from (source "inbox"), so it is saved once.
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("messages.id", ondelete="SET NULL"), default=None, unique=True
    )
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
