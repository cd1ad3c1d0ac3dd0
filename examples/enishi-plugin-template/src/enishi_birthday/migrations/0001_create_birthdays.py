"""Create birthday_birthdays.

The first revision of the plugin's own Alembic branch. Migrations spell tables out instead of importing the
models, so later model changes cannot rewrite history. Constraint names follow the core's naming convention.

Revision ID: birthday_0001
Revises:
Depends on: core_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "birthday_0001"
down_revision = None
branch_labels = ("birthday",)
# The core revision that creates the friends and workspaces tables this one refers to, so it runs first.
depends_on = "core_0001"

# Matches enishi.BigId: BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY aliases the rowid).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "birthday_birthdays",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("workspace_id", BIG_ID, nullable=False),
        sa.Column("friend_id", BIG_ID, nullable=False),
        sa.Column("birthday", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_birthday_birthdays"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_birthday_birthdays_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name="fk_birthday_birthdays_friend_id_friends", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("workspace_id", "friend_id", name="uq_birthday_birthdays_workspace_id_friend_id"),
    )
    op.create_index("ix_birthday_birthdays_friend_id", "birthday_birthdays", ["friend_id"])


def downgrade() -> None:
    op.drop_index("ix_birthday_birthdays_friend_id", table_name="birthday_birthdays")
    op.drop_table("birthday_birthdays")
