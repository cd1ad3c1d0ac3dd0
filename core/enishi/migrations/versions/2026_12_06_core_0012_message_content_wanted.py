"""A message's content staff asked for is recorded on the message (``messages.content_wanted_at``), so fetching it
does not depend on the queue being up: the sweeper queues what is still wanted.

Plain ALTERs both ways (no batch copy of the messages table on SQLite).

Revision ID: core_0012
Revises: core_0011
Create Date: 2026-12-06 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "core_0012"
down_revision: str | Sequence[str] | None = "core_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WANTED = sa.text("content_wanted_at IS NOT NULL")


def upgrade() -> None:
    op.add_column("messages", sa.Column("content_wanted_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_messages_content_wanted",
        "messages",
        ["content_wanted_at"],
        postgresql_where=WANTED,
        sqlite_where=WANTED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_content_wanted", table_name="messages")
    op.drop_column("messages", "content_wanted_at")
