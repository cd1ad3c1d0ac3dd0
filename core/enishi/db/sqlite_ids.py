"""Migration helper: make SQLite never hand out the id of a deleted row again.

A SQLite table with ``INTEGER PRIMARY KEY`` but without ``AUTOINCREMENT`` gives the next insert ``max(id) + 1``,
so deleting the newest row frees its id for the next row, possibly another workspace's; anything that remembered
the old id (a cache, a job, a link) then points at someone else's row. ``AUTOINCREMENT`` keeps the highest id ever
used in ``sqlite_sequence`` instead. SQLite cannot add it to an existing table, so the table is rebuilt.

Used by the core's and the plugins' migrations; ``enishi.migrate`` runs them with foreign keys switched off on
SQLite, which is what makes dropping a referenced table during the rebuild safe (no ON DELETE fires).
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op
from sqlalchemy import Connection


def has_autoincrement(connection: Connection, table: str) -> bool:
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    return "AUTOINCREMENT" in str(sql).upper()


def _referenced(connection: Connection, table: str) -> bool:
    others = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars().all()
    return any(
        fk[2] == table for other in others for fk in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{other}")')
    )


def rebuild_with_autoincrement(tables: Iterable[str], *, autoincrement: bool = True) -> None:
    """On SQLite, rebuild each table with (or, to downgrade, without) AUTOINCREMENT, keeping its rows, indexes
    (partial ones too), constraints and ON DELETE rules. Nothing to do on PostgreSQL, whose sequences never
    hand out an id twice."""
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    foreign_keys_on = bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())
    for table in tables:
        if has_autoincrement(connection, table) == autoincrement:
            continue
        if foreign_keys_on and _referenced(connection, table):
            # Dropping the old copy would cascade into, or null out, the rows referring to it.
            raise RuntimeError(f"rebuilding {table} needs foreign keys off on SQLite: run `enishi db upgrade`")
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass  # the copy itself is the change: batch mode reflects the table and creates it anew
