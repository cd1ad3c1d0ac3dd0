"""Bulk operations: tagging a whole segment through an operation vs one hand-written INSERT … SELECT.

The operation freezes the audience, then applies ``tags.add_tag`` chunk by chunk, each chunk its own transaction
with its progress and a ``tags.tag_added`` event per new link, announced as one set per chunk: a published
scenario triggered by that tag starts for every friend tagged (its runs inserted with one statement per chunk).
The baseline is the single statement a one-off script would run: INSERT … SELECT … ON CONFLICT DO NOTHING on
freshly analysed tables, with no progress, no resuming, no events, no runs. (Not the NOT EXISTS form: in one
statement over the whole table, PostgreSQL plans its anti-join against the empty link table and then scans the
rows it is inserting once per friend, which made the baseline 70 times slower than the operation.) The
operation runs twice: as it is, and with the tags plugin's announcements turned off, which shows what freezing
and chunking cost by themselves. Printed: friends per second, the ratio operation ÷ statement, and events on ÷
events off (goal ≥ 0.5), on SQLite and PostgreSQL side by side in one run, on a fresh database per backend.

    .venv/bin/python bench/bulk_operations.py [--friends 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.fernet import Fernet
from enishi_tags import service as tags_service
from enishi_tags.models import FriendTag, Tag
from sqlalchemy import delete, func, select, text

from enishi import migrate
from enishi.audience import bulk
from enishi.context import JobContext, WorkspaceContext
from enishi.crypto import SecretBox
from enishi.db.engine import Database, make_engine
from enishi.jobs.workspace_state import workspace_context, workspace_state
from enishi.models import Agency, Plan, ScenarioRun
from enishi.plugin_host import discover
from enishi.scenarios import lifecycle
from enishi.settings import load_settings
from enishi.tenancy.workspaces import ChannelCredentials, create_workspace

PG_ADMIN_URL = os.environ.get("ENISHI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class QuietQueue:
    """Jobs are run here by hand; what the code under test enqueues is dropped."""

    async def enqueue(
        self, name: str, *, job_id: str | None = None, defer_until: datetime | None = None, **kwargs: Any
    ) -> bool:
        return True

    async def close(self) -> None:
        return None


def friends_sql(dialect: str, workspace_id: int, count: int) -> str:
    """Friends made by the database itself (every 20th has blocked the account); only integers are formatted in."""
    if dialect == "sqlite":
        return (
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})"  # noqa: S608
            " INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"
            f" SELECT {workspace_id}, 'U' || printf('%032d', n), 'ユーザー' || n,"
            " CASE WHEN n % 20 = 0 THEN 'blocked' ELSE 'following' END,"
            " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000' FROM seq"
        )
    return (
        "INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"  # noqa: S608
        f" SELECT {workspace_id}, 'U' || lpad(g::text, 32, '0'), 'ユーザー' || g,"
        " CASE WHEN g % 20 = 0 THEN 'blocked' ELSE 'following' END,"
        " timestamptz '2026-01-01 00:00+00', timestamptz '2026-01-01 00:00+00'"
        f" FROM generate_series(1::bigint, {count}) g"
    )


def hand_sql(workspace_id: int, tag_id: int) -> str:
    return (
        "INSERT INTO tags_friend_tags (friend_id, tag_id, added_at, source, workspace_id)"  # noqa: S608
        f" SELECT f.id, {tag_id}, CURRENT_TIMESTAMP, 'bulk', {workspace_id} FROM friends f"
        f" WHERE f.workspace_id = {workspace_id} AND f.status = 'following'"
        " ON CONFLICT (friend_id, tag_id) DO NOTHING"
    )


async def _silent(*args: Any, **kwargs: Any) -> None:
    return None


async def tag_scenario(job: JobContext, ws: int, tag_id: int) -> int:
    """A published scenario "tag added → wait a day", so every announced event is matched and starts a run."""
    start = {"id": str(uuid.uuid4()), "type": "tags.tag_added", "type_version": 1, "config": {"tag_ids": [tag_id]}}
    wait = {"id": str(uuid.uuid4()), "type": "core.wait_delay", "type_version": 1, "config": {"days": 1}}
    link = {"id": str(uuid.uuid4()), "source": start["id"], "source_port": "next", "target": wait["id"]}
    document = {"schema_version": 1, "nodes": [start, wait], "edges": [{**link, "target_port": "in"}]}
    state = await workspace_state(job, ws)
    async with job.db.transaction(ws) as s:
        ctx = workspace_context(job, s, ws, state)
        scenario = await lifecycle.create(ctx, "タグ追加で開始", document=document)
        await lifecycle.publish(ctx, scenario)
        return scenario.id


async def through_operation(job: JobContext, ws: int, tag_id: int, expected: int) -> float:
    state = await workspace_state(job, ws)
    started = time.perf_counter()
    async with job.db.transaction(ws) as s:
        ctx: WorkspaceContext = workspace_context(job, s, ws, state)
        request = bulk.BulkRequest(
            action_type="tags.add_tag", action_version=None, config={"tag_ids": [tag_id]}, segment={"all": []}
        )
        operation, _ = await bulk.create_operation(ctx, request)
        operation_id = operation.id
    outcome = await bulk.run_operation(job, operation_id)
    took = time.perf_counter() - started
    async with job.db.session(ws) as s:
        linked = int(await s.scalar(select(func.count()).select_from(FriendTag)) or 0)
    if outcome != "done" or linked != expected:
        raise SystemExit(f"the operation ended {outcome} with {linked} links, the statement made {expected}")
    return took


async def run_backend(backend: str, friends: int, workdir: Path) -> tuple[float, float, float, int]:
    settings_env = {"ENISHI_DATA_DIR": str(workdir), "ENISHI_LOG_LEVEL": "WARNING"}
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bulk.db'}"
    else:
        pg_name = f"enishi_bench_bulk_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(PG_ADMIN_URL)
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{pg_name}"
        settings_env["ENISHI_SECRET_KEY"] = Fernet.generate_key().decode()
    settings_env["ENISHI_DATABASE_URL"] = url
    settings = load_settings(settings_env)
    host = discover(settings)
    engine = make_engine(url, pool=False)
    await migrate.upgrade(engine, host)
    await engine.dispose()
    db = Database(url)
    try:
        async with db.transaction() as s:
            agency = Agency(name="ベンチ代理店")
            s.add(agency)
            await s.flush()
            plan = await s.scalar(select(Plan).where(Plan.key == "pro"))
            workspace = await create_workspace(
                s,
                host=host,
                settings=settings,
                secrets_box=SecretBox(settings.secret_keys),
                agency=agency,
                name="ベンチ店舗",
                credentials=ChannelCredentials("1234567890", uuid.uuid4().hex, "t" + uuid.uuid4().hex),
                plan=plan,
            )
            ws = workspace.id
        async with db.transaction(ws) as s:
            await s.execute(text(friends_sql(backend, ws, friends)))
            tag = Tag(name="一括")
            s.add(tag)
            await s.flush()
            tag_id = tag.id
        # The statement gets what a careful script would give it: statistics that know the new rows.
        async with db.engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("ANALYZE"))

        async with db.transaction(ws) as s:
            started = time.perf_counter()
            await s.execute(text(hand_sql(ws, tag_id)))
        hand = time.perf_counter() - started
        async with db.session(ws) as s:
            linked = int(await s.scalar(select(func.count()).select_from(FriendTag)) or 0)
        async with db.transaction(ws) as s:
            await s.execute(delete(FriendTag))

        job = JobContext(settings=settings, db=db, host=host, jobs=QuietQueue())
        scenario_id = await tag_scenario(job, ws, tag_id)
        best: dict[bool, float] = {}
        announce = tags_service.announce
        # Each way twice, alternating, the faster counted: the first pass over emptied tables also pays for growing
        # them (new pages, on SQLite a longer file), which the order would otherwise charge to one of the two.
        for events in (False, True, False, True):
            # Without events: what freezing and chunking cost by themselves (nothing is announced).
            tags_service.announce = announce if events else _silent  # type: ignore[assignment]
            took = await through_operation(job, ws, tag_id, linked)
            best[events] = min(took, best.get(events, took))
            async with db.transaction(ws) as s:
                started = await s.scalar(
                    select(func.count()).select_from(ScenarioRun).where(ScenarioRun.scenario_id == scenario_id)
                )
                if started != (linked if events else 0):
                    raise SystemExit(f"the tag scenario started {started} runs, not {linked if events else 0}")
                await s.execute(delete(FriendTag))
                await s.execute(delete(ScenarioRun))
        tags_service.announce = announce
        return hand, best[True], best[False], linked
    finally:
        await db.dispose()
        if pg_name is not None:
            conn = await asyncpg.connect(PG_ADMIN_URL)
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    bulk.SLICE_SECONDS = 1e9  # one job does it all here; in production it hands over every 30 s
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            rows.append((backend, *await run_backend(backend, args.friends, Path(tmp))))
    print(f"tagging every following friend of {args.friends:,} (chunks of {bulk.CHUNK_SIZE:,}), friends per second")
    print(
        f"{'backend':<12}{'friends':>9}{'statement':>11}{'operation':>11}{'÷stmt':>8}{'no events':>11}{'÷stmt':>8}"
        f"{'on÷off':>9}"
    )
    for backend, hand, with_events, quiet, linked in rows:
        print(
            f"{backend:<12}{linked:>9,}{linked / hand:>11,.0f}{linked / with_events:>11,.0f}{hand / with_events:>8.2f}"
            f"{linked / quiet:>11,.0f}{hand / quiet:>8.2f}{quiet / with_events:>9.2f}"
        )
    print("(÷stmt: the operation's rate as a share of the statement's; on÷off: events on ÷ events off, goal ≥ 0.5)")


if __name__ == "__main__":
    asyncio.run(main())
