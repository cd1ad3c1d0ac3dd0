"""The plugin's SQL against a real database: actions, condition, friend field, report and the migration."""

from __future__ import annotations

from datetime import date
from importlib.metadata import EntryPoint
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
from enishi.plugin_host import ENTRY_POINT_GROUP, discover
from enishi.settings import load_settings


def action_context(ctx: WorkspaceContext) -> ActionContext:
    return ActionContext(
        workspace_id=ctx.workspace_id,
        session=ctx.session,
        host=ctx.host,
        settings=ctx.settings,
        jobs=None,
        enabled_plugins=ctx.enabled_plugins,
        now=ctx.now,
        idempotency_key="test",
    )


async def birthdays(world: World, workspace_id: int) -> dict[int, date]:
    async with world.db.session(workspace_id) as s:
        rows = await s.execute(select(Birthday.friend_id, Birthday.birthday))
        return {friend_id: day for friend_id, day in rows}


async def test_migration_matches_the_model(world: World) -> None:
    def diff(conn: Connection) -> list[Any]:
        changes = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        return [c for c in changes if "birthday_birthdays" in repr(c)]

    async with world.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_action_sets_and_overwrites(world: World) -> None:
    aoi = world.friends["aoi"]
    ctx = action_context(world.context())
    async with ctx.session.begin():
        assert await nodes.run_set_birthday(ctx, aoi, {"date": "1990-04-01"}) == {"birthday": "1990-04-01"}
        await nodes.run_set_birthday(ctx, aoi, {"date": "1991-05-02"})
    assert await birthdays(world, world.workspace_id) == {aoi: date(1991, 5, 2)}


async def test_action_refuses_another_workspaces_friend(world: World) -> None:
    ctx = action_context(world.context())
    async with ctx.session.begin():
        with pytest.raises(LookupError):
            await nodes.run_set_birthday(ctx, world.stranger, {"date": "1990-04-01"})
    assert await birthdays(world, world.other_workspace_id) == {}


async def test_action_refuses_a_birthday_after_today_in_the_workspace(world: World) -> None:
    ctx = action_context(world.context())  # 2024-06-15 in Tokyo, 06-14 in UTC
    async with ctx.session.begin():
        await nodes.run_set_birthday(ctx, world.friends["aoi"], {"date": "2024-06-15"})
        with pytest.raises(store.InvalidBirthday):
            await nodes.run_set_birthday(ctx, world.friends["aoi"], {"date": "2024-06-16"})


async def test_bulk_action_is_one_statement_and_stays_in_the_workspace(world: World) -> None:
    ctx = world.context()
    everyone = select(Friend.id).execution_options(all_workspaces=True)  # even a foreign id must be skipped
    async with ctx.session.begin():
        await store.set_birthday(ctx, world.friends["aoi"], date(1980, 1, 1))
        written = await nodes.run_set_birthday_bulk(ctx, everyone, {"date": "2000-12-24"})
    assert written == 3
    assert await birthdays(world, world.workspace_id) == dict.fromkeys(world.friends.values(), date(2000, 12, 24))
    assert await birthdays(world, world.other_workspace_id) == {}


async def test_condition_as_segment_and_as_branch(world: World) -> None:
    ctx = world.context()
    f = world.friends
    async with ctx.session.begin():
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
    ctx = world.context()
    f = world.friends
    async with ctx.session.begin():
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
    ctx = world.context()
    f = world.friends
    other = world.context(world.other_workspace_id)
    async with ctx.session.begin():
        await store.set_birthday(ctx, f["aoi"], date(1990, 4, 1))
        await store.set_birthday(ctx, f["ren"], date(1985, 4, 30))
        await store.set_birthday(ctx, f["yui"], date(1990, 11, 3))  # blocked: not counted
    async with other.session.begin():
        await store.set_birthday(other, world.stranger, date(1990, 4, 2))  # another workspace: not counted
    async with ctx.session.begin():
        result = await reports.run_by_month(ctx, {})
        only_1990 = await reports.run_by_month(ctx, {"year": 1990})
    assert [c.key for c in result.columns] == ["month", "friends"]
    assert [r["month"] for r in result.rows] == list(range(1, 13))
    assert {r["month"]: r["friends"] for r in result.rows if r["friends"]} == {4: 2}
    assert {r["month"]: r["friends"] for r in only_1990.rows if r["friends"]} == {4: 1}
    assert result.series[0].points[3] == ("4", 2.0)


async def test_clear_and_get(world: World) -> None:
    ctx = world.context()
    aoi = world.friends["aoi"]
    async with ctx.session.begin():
        await store.set_birthday(ctx, aoi, date(1990, 4, 1))
        assert await store.get_birthday(ctx, aoi) == date(1990, 4, 1)
        await store.clear_birthday(ctx, aoi)
        assert await store.get_birthday(ctx, aoi) is None


async def test_set_birthday_accepts_a_single_id_select(world: World) -> None:
    ctx = world.context()
    async with ctx.session.begin():
        assert await store.set_birthdays(ctx, select(literal(world.friends["ren"])), date(2001, 1, 1)) == 1


async def test_enishi_db_upgrade_applies_the_branch_after_the_core(tmp_path: Path) -> None:
    """What `enishi db upgrade` and `enishi db downgrade birthday@base` do, on an empty database."""
    settings = load_settings({"ENISHI_DATA_DIR": str(tmp_path)})
    host = discover(settings, extra=[EntryPoint(name="birthday", value="enishi_birthday", group=ENTRY_POINT_GROUP)])
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
