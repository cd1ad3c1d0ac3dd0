"""The plugin's SQL against a real database: actions, condition, friend field, report and the migration.

The kit migrates the database as ``enishi db upgrade`` does; ``context(workspace)`` is the plugin's view of a
workspace (a transaction committed at the end) as if it were ``NOW``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import World
from enishi_birthday import fields, nodes, reports, store
from enishi_birthday.models import Birthday
from sqlalchemy import Connection, func, inspect, literal, select

from enishi import ActionContext, Base, Friend, WorkspaceContext, migrate
from enishi.db import Database
from enishi.testing import EnishiApp, EnishiWorkspace, plugin_host, settings_for

# 2024-06-15 00:30 in Tokyo is still 06-14 in UTC: tests that care about "today" see the workspace's date.
NOW = datetime(2024, 6, 14, 15, 30, tzinfo=UTC)


def context(workspace: EnishiWorkspace) -> Any:
    return workspace.context(NOW)


def action_context(ctx: WorkspaceContext) -> ActionContext:
    values = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx) if f.init}
    return ActionContext(**values, idempotency_key="test")


async def birthdays(workspace: EnishiWorkspace) -> dict[int, date]:
    async with workspace.app.db.session(workspace.id) as s:
        rows = await s.execute(select(Birthday.friend_id, Birthday.birthday))
        return {friend_id: day for friend_id, day in rows}


async def test_migration_matches_the_model(enishi_app: EnishiApp) -> None:
    def diff(conn: Connection) -> list[Any]:
        changes = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        return [c for c in changes if "birthday_birthdays" in repr(c)]

    async with enishi_app.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_action_sets_and_overwrites(world: World) -> None:
    aoi = world.friends["aoi"]
    async with context(world.workspace) as ws:
        ctx = action_context(ws)
        assert await nodes.run_set_birthday(ctx, aoi, {"date": "1990-04-01"}) == {"birthday": "1990-04-01"}
        await nodes.run_set_birthday(ctx, aoi, {"date": "1991-05-02"})
    assert await birthdays(world.workspace) == {aoi: date(1991, 5, 2)}


async def test_action_refuses_another_workspaces_friend(world: World) -> None:
    async with context(world.workspace) as ws:
        with pytest.raises(LookupError):
            await nodes.run_set_birthday(action_context(ws), world.stranger, {"date": "1990-04-01"})
    assert await birthdays(world.other) == {}


async def test_action_refuses_a_birthday_after_today_in_the_workspace(world: World) -> None:
    async with context(world.workspace) as ws:  # 2024-06-15 in Tokyo, 06-14 in UTC
        ctx = action_context(ws)
        await nodes.run_set_birthday(ctx, world.friends["aoi"], {"date": "2024-06-15"})
        with pytest.raises(store.InvalidBirthday):
            await nodes.run_set_birthday(ctx, world.friends["aoi"], {"date": "2024-06-16"})


async def test_bulk_action_is_one_statement_and_stays_in_the_workspace(world: World) -> None:
    everyone = select(Friend.id).execution_options(all_workspaces=True)  # even a foreign id must be skipped
    async with context(world.workspace) as ctx:
        await store.set_birthday(ctx, world.friends["aoi"], date(1980, 1, 1))
        written = await nodes.run_set_birthday_bulk(ctx, everyone, {"date": "2000-12-24"})
    assert written == 3
    assert await birthdays(world.workspace) == dict.fromkeys(world.friends.values(), date(2000, 12, 24))
    assert await birthdays(world.other) == {}


async def test_condition_as_segment_and_as_branch(world: World) -> None:
    f = world.friends
    async with context(world.workspace) as ctx:
        await store.set_birthday(ctx, f["aoi"], date(1990, 4, 1))
        await store.set_birthday(ctx, f["ren"], date(1985, 4, 30))
        await store.set_birthday(ctx, f["yui"], date(1999, 11, 3))
        april = nodes.compile_in_month(ctx, {"month": 4})
        segment = set(await ctx.session.scalars(select(Friend.id).where(april)))
        branch = await ctx.session.scalar(select(april).select_from(Friend).where(Friend.id == f["yui"]))
        none_in_june = await ctx.session.scalar(
            select(func.count()).select_from(Friend).where(nodes.compile_in_month(ctx, {"month": 6}))
        )
    assert segment == {f["aoi"], f["ren"]}
    assert branch is False or branch == 0
    assert none_in_june == 0


async def test_friend_field_load_and_column(world: World) -> None:
    f = world.friends
    async with context(world.workspace) as ctx:
        await store.set_birthday(ctx, f["aoi"], date(1990, 4, 1))
        await store.set_birthday(ctx, f["ren"], date(1970, 1, 2))
        [descriptor] = await fields.describe(ctx)
        loaded = await fields.load(ctx, list(f.values()), ["birthday"])
        nothing = await fields.load(ctx, list(f.values()), ["points"])
        col = fields.column(ctx, "birthday")
        ordered = (await ctx.session.execute(select(Friend.id, col).order_by(col.desc(), Friend.id))).all()
    assert descriptor.key == "birthday" and descriptor.value_schema["format"] == "date"
    assert loaded == {f["aoi"]: {"birthday": "1990-04-01"}, f["ren"]: {"birthday": "1970-01-02"}}
    assert nothing == {}
    with_birthday = [(i, d) for i, d in ordered if d is not None]
    assert with_birthday == [(f["aoi"], date(1990, 4, 1)), (f["ren"], date(1970, 1, 2))]
    with pytest.raises(KeyError):
        fields.column(ctx, "points")


async def test_report_counts_following_friends_per_month(world: World) -> None:
    f = world.friends
    async with context(world.workspace) as ctx:
        await store.set_birthday(ctx, f["aoi"], date(1990, 4, 1))
        await store.set_birthday(ctx, f["ren"], date(1985, 4, 30))
        await store.set_birthday(ctx, f["yui"], date(1990, 11, 3))  # blocked: not counted
    async with context(world.other) as other:
        await store.set_birthday(other, world.stranger, date(1990, 4, 2))  # another workspace: not counted
    async with context(world.workspace) as ctx:
        result = await reports.run_by_month(ctx, {})
        only_1990 = await reports.run_by_month(ctx, {"year": 1990})
    assert [c.key for c in result.columns] == ["month", "friends"]
    assert [r["month"] for r in result.rows] == list(range(1, 13))
    assert {r["month"]: r["friends"] for r in result.rows if r["friends"]} == {4: 2}
    assert {r["month"]: r["friends"] for r in only_1990.rows if r["friends"]} == {4: 1}
    assert result.series[0].points[3] == ("4", 2.0)


async def test_clear_and_get(world: World) -> None:
    aoi = world.friends["aoi"]
    async with context(world.workspace) as ctx:
        await store.set_birthday(ctx, aoi, date(1990, 4, 1))
        assert await store.get_birthday(ctx, aoi) == date(1990, 4, 1)
        await store.clear_birthday(ctx, aoi)
        assert await store.get_birthday(ctx, aoi) is None


async def test_set_birthday_accepts_a_single_id_select(world: World) -> None:
    async with context(world.workspace) as ctx:
        assert await store.set_birthdays(ctx, select(literal(world.friends["ren"])), date(2001, 1, 1)) == 1


async def test_enishi_db_upgrade_applies_the_branch_after_the_core(tmp_path: Path) -> None:
    """What `enishi db upgrade` and `enishi db downgrade birthday@base` do, on an empty database."""
    settings = settings_for(tmp_path)
    host = plugin_host(settings, ["birthday"])
    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db.engine, host)
        assert not await migrate.pending(db.engine, host)
        assert "birthday_birthdays" in await _tables(db)
        await migrate.downgrade(db.engine, host, "birthday@base")
        tables = await _tables(db)
        assert "birthday_birthdays" not in tables and "friends" in tables
    finally:
        await db.dispose()


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
