"""Create keyword_counter_hits, the first revision of the plugin's own Alembic branch."""

import sqlalchemy as sa
from alembic import op

revision = "keyword_counter_0001"
down_revision = None
branch_labels = ("keyword_counter",)
depends_on = "core_0001"  # the core revision that creates friends and workspaces
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "keyword_counter_hits",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("workspace_id", BIG_ID, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("friend_id", BIG_ID, sa.ForeignKey("friends.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("keyword", sa.String(200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step_key", sa.String(200)),
        sa.UniqueConstraint("workspace_id", "step_key"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("keyword_counter_hits")
