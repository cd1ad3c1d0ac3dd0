"""Funnels plugin: SQLite never hands out the id of a deleted row again (AUTOINCREMENT).

SQLite gave a deleted newest row's id to the next insert, possibly another workspace's row, and whatever still held
the old id reached the new row. The tables are rebuilt with their rows, indexes and constraints (see
enishi.db.sqlite_ids); on PostgreSQL, whose sequences never reuse ids, nothing changes. Downgrading rebuilds them
as they were.

Revision ID: funnels_0002
Revises: funnels_0001
Create Date: 2026-12-06 20:30:00.000000
"""

from collections.abc import Sequence

from enishi.db.sqlite_ids import rebuild_with_autoincrement

revision: str = "funnels_0002"
down_revision: str | Sequence[str] | None = "funnels_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of this branch whose id is their own (an id copied from another table is that table's concern).
TABLES = ("funnels_funnels",)


def upgrade() -> None:
    rebuild_with_autoincrement(TABLES)


def downgrade() -> None:
    rebuild_with_autoincrement(reversed(TABLES), autoincrement=False)
