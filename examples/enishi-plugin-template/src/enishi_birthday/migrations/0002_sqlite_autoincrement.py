"""Rebuild birthday_birthdays on SQLite with AUTOINCREMENT, so a deleted row's id is never handed out again.

Without it SQLite gives the next insert the id of a deleted newest row, possibly another workspace's; anything
still holding the old id would then reach the new row. The core's Base makes new tables this way; this revision
brings a table created before that along (rows, indexes and constraints are kept). Nothing happens on
PostgreSQL, whose sequences never reuse ids. Copy it for your own plugin's tables if they predate Enishi's
core_0009.

Revision ID: birthday_0002
Revises: birthday_0001
"""

from __future__ import annotations

from enishi.db.sqlite_ids import rebuild_with_autoincrement

revision = "birthday_0002"
down_revision = "birthday_0001"
branch_labels = None
depends_on = None

TABLES = ("birthday_birthdays",)


def upgrade() -> None:
    rebuild_with_autoincrement(TABLES)


def downgrade() -> None:
    rebuild_with_autoincrement(TABLES, autoincrement=False)
