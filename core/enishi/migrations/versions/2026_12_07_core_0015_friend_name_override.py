"""Friends get ``name_override`` (管理用の名前): the name staff set for a friend, shown in the console instead of
the LINE display name, which LINE keeps updating.

Revision ID: core_0015
Revises: core_0014
Create Date: 2026-12-07 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0015"
down_revision: str | Sequence[str] | None = "core_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: a plain ALTER on both databases, no table rewrite.
    op.add_column("friends", sa.Column("name_override", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("friends") as batch:
        batch.drop_column("name_override")
