"""Tag folders, tags and the friend↔tag links. Table names carry the plugin name so plugins never collide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, WorkspaceOwned, utcnow

DEFAULT_COLOR = "#9e9e9e"


class TagFolder(WorkspaceOwned, Base):
    """A folder groups tags in the tag list (e.g. 「購入履歴」「セミナー」); tags without one are 未分類."""

    __tablename__ = "tags_folders"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(WorkspaceOwned, Base):
    __tablename__ = "tags_tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Deleting a folder keeps its tags (they become 未分類): losing tags and their links would be irreversible.
    # Indexed so that SET NULL does not scan every tag of every workspace.
    folder_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tags_folders.id", ondelete="SET NULL"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7), default=DEFAULT_COLOR)  # "#rrggbb", lower case
    description: Mapped[str] = mapped_column(String(1000), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Pinned tags are columns of the friend list (a ✓ per friend who has the tag), shown unless staff pick others.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FriendTag(WorkspaceOwned, Base):
    """A friend has a tag. At most one row per pair: adding a tag twice changes nothing."""

    __tablename__ = "tags_friend_tags"
    __table_args__ = (
        # Segments ask "which friends have tag X" within a workspace; the primary key answers the reverse.
        Index("ix_tags_friend_tags_workspace_tag_friend", "workspace_id", "tag_id", "friend_id"),
        # Tag first: deleting a tag cascades to its links by tag_id alone, and an unscoped "has tag X" probe
        # (tag ids are unique across workspaces) needs no workspace to find its friends.
        Index("ix_tags_friend_tags_tag_friend", "tag_id", "friend_id"),
    )

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(BigId, ForeignKey("tags_tags.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # No foreign key on purpose: it only records who did it, and one would make deleting a staff account scan
    # every link of every workspace. Staff accounts are deactivated rather than deleted anyway.
    added_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    source: Mapped[str] = mapped_column(String(32), default="manual")  # manual, bulk, scenario, route, …
