"""Notes on friends and their edit history. Table names carry the plugin name so plugins never collide."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, WorkspaceOwned, utcnow


class Note(WorkspaceOwned, Base):
    """A staff member's (or a scenario's) note on a friend (個別メモ). Deleting only marks it: it stays in history."""

    __tablename__ = "notes_notes"
    __table_args__ = (
        # A friend's notes, pinned first and newest first.
        Index("ix_notes_notes_friend_pinned_id", "friend_id", "pinned", "id"),
        # The workspace-wide search pages newest first.
        Index("ix_notes_notes_workspace_id_id", "workspace_id", "id"),
        # A scenario step that is retried adds its note once.
        UniqueConstraint("workspace_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    # The body NFKC-normalised and case-folded, so 「ｶﾌｪ」 finds 「カフェ」 and "TANAKA" finds "Tanaka" on both
    # databases alike (SQLite's LIKE folds ASCII only, PostgreSQL's not at all).
    body_folded: Mapped[str] = mapped_column(Text)
    # No foreign keys to staff: they only record who did it (accounts are deactivated rather than deleted).
    author_user_id: Mapped[int | None] = mapped_column(BigId, default=None)  # None: written by automation
    source: Mapped[str] = mapped_column(String(32), default="manual")  # manual, scenario, bulk, …
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)


class NoteRevision(WorkspaceOwned, Base):
    """One change to a note: an edit keeps the body before it; a deletion or restoration the body at that time."""

    __tablename__ = "notes_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    note_id: Mapped[int] = mapped_column(BigId, ForeignKey("notes_notes.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # edited, deleted, restored
    body: Mapped[str] = mapped_column(Text)
    editor_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
