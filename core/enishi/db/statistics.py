"""Keep PostgreSQL's planner statistics in step with work that grows a table by orders of magnitude at once.

Autovacuum analyses a table once a tenth of it changed, on its own schedule (a minute or more later). A scenario
started for 100,000 friends, or a bulk tagging of a whole segment, inserts that many rows in seconds, and until
the table is analysed the planner still believes it holds what it held before, often nothing: the batches that
follow are planned as scans of an empty table and become scans of a large one, once per batch. Code that adds
many rows says so with :func:`note_growth`; once what was added since this process last asked reaches a share of
the size the planner knows, an ``ANALYZE`` of the table runs as a job after the transaction commits (a few hundred
milliseconds for a table of 100,000 rows, reading a sample). SQLite needs none of this: without statistics its
planner prefers the indexes.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.jobs.after_commit import enqueue_after_commit
from enishi.jobs.queue import JobQueue

if TYPE_CHECKING:
    from enishi.context import JobContext

log = logging.getLogger("enishi.db")

ANALYZE_JOB = "core.analyze_table"
CHECK_EVERY = 5_000  # rows added before the planner's idea of the table is looked at again
STALE_SHARE = 0.2  # added rows, as a share of the rows the planner knows, that make its statistics stale


# Rows added per table since this process last had it analysed (or last found its statistics fresh).
_added: dict[str, int] = {}


async def note_growth(session: AsyncSession, jobs: JobQueue | None, table: str, rows: int) -> None:
    """Record that this transaction added ``rows`` rows to ``table`` (a table name of the schema, never input).

    Cheap when it does nothing: a dictionary update, and one catalogue read per ``CHECK_EVERY`` rows added.
    """
    if rows <= 0 or session.get_bind().dialect.name != "postgresql":
        return
    added = _added.get(table, 0) + rows
    if added < CHECK_EVERY:
        _added[table] = added
        return
    known = await session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table})
    known_rows = max(float(known or 0), 0.0)  # -1 means never analysed
    if added < STALE_SHARE * known_rows:
        _added[table] = added - CHECK_EVERY  # fresh enough; look again after CHECK_EVERY more
        return
    _added[table] = 0
    log.info("%s grew by %d rows (the planner knows %d): analysing it", table, added, int(known_rows))
    # One job per table a minute: a burst of batches that each cross the line asks once.
    slot = int(time.time()) // 60
    enqueue_after_commit(session, jobs, ANALYZE_JOB, job_id=f"analyze:{table}:{slot}", table=table)


async def analyze_table(ctx: JobContext, table: str) -> None:
    """Job: ``ANALYZE`` one table, outside any transaction that holds its rows."""
    async with ctx.db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return
        exists = await conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table})
        if not exists:
            log.warning("not analysing %s: no such table", table)
            return
        quoted = conn.dialect.identifier_preparer.quote(table)
        await conn.execute(text(f"ANALYZE {quoted}"))
        await conn.commit()


def forget_growth() -> None:
    """Start counting afresh (tests)."""
    _added.clear()
