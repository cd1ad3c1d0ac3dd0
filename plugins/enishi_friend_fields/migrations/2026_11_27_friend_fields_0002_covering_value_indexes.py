"""Friend fields plugin: the typed value indexes end with friend_id, so segment conditions are index-only.

Revision ID: friend_fields_0002
Revises: friend_fields_0001
Create Date: 2026-11-27 07:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "friend_fields_0002"
down_revision: str | Sequence[str] | None = "friend_fields_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPED = ("text", "number", "date", "datetime")


def upgrade() -> None:
    with op.batch_alter_table("friend_fields_values", schema=None) as batch_op:
        for kind in TYPED:
            batch_op.drop_index(f"ix_friend_fields_values_field_{kind}")
            batch_op.create_index(
                f"ix_friend_fields_values_field_{kind}", ["field_id", f"value_{kind}", "friend_id"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("friend_fields_values", schema=None) as batch_op:
        for kind in TYPED:
            batch_op.drop_index(f"ix_friend_fields_values_field_{kind}")
            batch_op.create_index(f"ix_friend_fields_values_field_{kind}", ["field_id", f"value_{kind}"], unique=False)
