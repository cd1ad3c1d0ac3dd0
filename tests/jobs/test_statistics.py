"""Work that grows a table by orders of magnitude has PostgreSQL analyse it, so what follows is planned right."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import text

from enishi.db import statistics
from enishi.testing import EnishiApp as Env
from enishi.testing import RecordingQueue

_made: dict[int, int] = {}


async def _add_friends(env: Env, workspace_id: int, count: int, queue: RecordingQueue) -> None:
    first = _made.get(workspace_id, 0)
    _made[workspace_id] = first + count
    rows = [
        {"w": workspace_id, "u": f"U{n:032d}", "n": f"ユーザー{n}", "s": "following"}
        for n in range(first, first + count)
    ]
    queued = len(queue.enqueued)
    async with env.db.transaction(workspace_id) as session:
        await session.execute(
            text(
                "INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"
                " VALUES (:w, :u, :n, :s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            rows,
        )
        await statistics.note_growth(session, queue, "friends", count)  # type: ignore[arg-type]
        assert len(queue.enqueued) == queued, "nothing is queued before the rows are committed"


async def _planned_rows(env: Env) -> float:
    async with env.db.session() as session:
        return float(await session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'friends'")) or 0)


async def test_a_large_insert_has_postgresql_analyse_the_table_once_it_is_committed(env: Env) -> None:
    statistics.forget_growth()
    workspace = await env.workspace(await env.agency(), "統計の店")
    queue = RecordingQueue()
    await _add_friends(env, workspace.id, 30_000, queue)
    if env.backend != "postgresql":
        assert queue.enqueued == [], "SQLite plans without statistics: nothing to analyse"
        return
    assert [(job.name, job.kwargs) for job in queue.enqueued] == [(statistics.ANALYZE_JOB, {"table": "friends"})]
    assert await _planned_rows(env) < 30_000, "the planner does not know the rows yet"

    await statistics.analyze_table(SimpleNamespace(db=env.db), "friends")  # type: ignore[arg-type]
    assert await _planned_rows(env) >= 30_000

    # 5,000 more rows are a small share of what the planner now knows: no second ANALYZE.
    await _add_friends(env, workspace.id, 5_000, queue)
    assert len(queue.enqueued) == 1


async def test_small_changes_never_ask_for_an_analyse(env: Env) -> None:
    statistics.forget_growth()
    workspace = await env.workspace(await env.agency(), "小さな店")
    queue = RecordingQueue()
    for _ in range(4):
        await _add_friends(env, workspace.id, 1_000, queue)
    assert queue.enqueued == []


async def test_analysing_a_table_that_does_not_exist_does_nothing(env: Env) -> None:
    await statistics.analyze_table(SimpleNamespace(db=env.db), "no_such_table")  # type: ignore[arg-type]
