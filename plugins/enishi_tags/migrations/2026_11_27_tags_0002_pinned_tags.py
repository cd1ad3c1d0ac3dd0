"""Tags plugin: pinned tags (friend list columns) and a tag-first index on the links.

Revision ID: tags_0002
Revises: tags_0001
Create Date: 2026-11-27 06:02:04.460646
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tags_0002"
down_revision: str | Sequence[str] | None = "tags_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tags_friend_tags", schema=None) as batch_op:
        batch_op.create_index("ix_tags_friend_tags_tag_friend", ["tag_id", "friend_id"], unique=False)

    with op.batch_alter_table("tags_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tags_tags", schema=None) as batch_op:
        batch_op.drop_column("pinned")

    with op.batch_alter_table("tags_friend_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tags_friend_tags_tag_friend")
