"""Field definitions, friends' values and uploaded files. Table names carry the plugin name.

A value row keeps the value as JSON (what the API, message variables and events show) and, filled from it, typed
columns that conditions compare in SQL on both databases: ``value_text`` (text-like types, the chosen option, a
flattened address, a file name), ``value_number``, ``value_date``, ``value_datetime``. Only the column of the
field's own type is filled, so a comparison on any other column simply finds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from enishi import Base, BigId, JsonDoc, UTCDateTime, WorkspaceOwned, utcnow


class FieldDefinition(WorkspaceOwned, Base):
    """One typed field of the workspace's friend profile (本名, 誕生日, 住所, 会員ランク …)."""

    __tablename__ = "friend_fields_definitions"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The name scenarios, segments and message variables ({{field.<key>}}) use; never changes once created.
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(20))
    # The choices of select and multi_select fields, in display order.
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Content types a file field accepts ("image/*", "application/pdf"); empty accepts any.
    accept: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    group: Mapped[str | None] = mapped_column("group_label", String(50), default=None)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldFile(WorkspaceOwned, Base):
    """A file uploaded into a file field of one friend. Kept in the database so every web process serves it."""

    __tablename__ = "friend_fields_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("friend_fields_definitions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)


class FieldValue(WorkspaceOwned, Base):
    """A friend's value of one field. No row means empty: clearing a value deletes it."""

    __tablename__ = "friend_fields_values"
    __table_args__ = (
        # Segments ask "which friends have a value like X in field F"; one index per typed column. Each ends with
        # friend_id, so PostgreSQL answers from the index alone: a segment names the field by key (the field id is
        # looked up inside the statement, unknown when planning), and without it the row estimate fell short and
        # it fetched each matching row from the table in index order, 20 % slower than with the id written in.
        Index("ix_friend_fields_values_field_text", "field_id", "value_text", "friend_id"),
        Index("ix_friend_fields_values_field_number", "field_id", "value_number", "friend_id"),
        Index("ix_friend_fields_values_field_date", "field_id", "value_date", "friend_id"),
        Index("ix_friend_fields_values_field_datetime", "field_id", "value_datetime", "friend_id"),
    )

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("friend_fields_definitions.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[Any] = mapped_column(JsonDoc)
    value_text: Mapped[str | None] = mapped_column(String(500), default=None)
    value_number: Mapped[float | None] = mapped_column(Double, default=None)
    value_date: Mapped[date | None] = mapped_column(Date, default=None)
    value_datetime: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Canonical text of structured values: "\n"-framed option list of a multi_select (for membership tests
    # with LIKE), canonical JSON of an address. Compared to tell "unchanged" from "changed".
    value_key: Mapped[str | None] = mapped_column(Text, default=None)
    # An order-preserving text of the value, for sorting friend lists by any field with one expression.
    value_sort: Mapped[str | None] = mapped_column(String(100), default=None)
    value_file_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("friend_fields_files.id", ondelete="CASCADE"), index=True, default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # No foreign key: it only records who did it (staff accounts are deactivated rather than deleted).
    updated_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    source: Mapped[str] = mapped_column(String(32), default="manual")
