"""What Enishi checks when it loads the plugin, the seed, and the migration against the models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import enishi_response_marks
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from enishi_response_marks import service
from enishi_response_marks.models import AutoRule, Mark
from sqlalchemy import Connection, func, inspect, select

from enishi import Base, Register
from enishi.migrate import alembic_config, current, downgrade, upgrade
from enishi.plugin_host import discover
from enishi.registry import KINDS
from enishi.settings import load_settings

if TYPE_CHECKING:
    from tests.plugins.response_marks.conftest import MarksWorld

TABLES = {
    "response_marks_marks",
    "response_marks_friend_marks",
    "response_marks_history",
    "response_marks_message_marks",
    "response_marks_auto_rules",
}
EXPECTED = {
    "triggers": ["response_marks.mark_changed"],
    "events": ["response_marks.mark_changed"],
    "actions": ["response_marks.set_mark"],
    "conditions": ["response_marks.mark_is"],
    "friend_fields": ["response_marks.mark"],
    "reports": [],
    "routes": ["response_marks.routes"],
    "jobs": [],
    "permissions": ["response_marks.manage", "response_marks.assign"],
    "migrations": ["response_marks.migrations"],
    "screens": ["response_marks.marks", "response_marks.marks", "response_marks.ui"],  # lookup, resource, module
}


def collect(kind: str) -> list[Any]:
    reg: Register[Any] = Register(kind, "response_marks", "0.1.0")
    hook = getattr(enishi_response_marks, f"enishi_register_{kind}", None)
    if hook is not None:
        hook(reg)
    return reg.collected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_registers_namespaced_items(kind: str) -> None:
    # Register runs the start-up checks: types, names, Draft 2020-12 schemas, migration folder.
    assert [e.key for e in collect(kind)] == EXPECTED.get(kind, [])


def test_loaded_through_its_entry_point_on_the_smallest_plan(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    info = host.plugins["response_marks"]
    assert info.status == "loaded", info.error
    assert info.manifest is not None and info.manifest.tier == "start"
    for _, entry in host.registry.node_types(["response_marks"]):
        if entry.plugin == "response_marks":
            assert entry.item.label.ja and entry.item.label.en and entry.item.description
            assert entry.item.config_schema["additionalProperties"] is False
            assert entry.item.check_config is not None  # every node type refuses deleted marks


def test_migration_is_one_branch_on_top_of_the_core(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    script = ScriptDirectory.from_config(alembic_config(host, "sqlite://"))
    revision = script.get_revision("response_marks_0001")
    assert revision is not None
    assert revision.branch_labels == {"response_marks"}
    assert revision.down_revision is None and revision.dependencies == "core_0002"  # messages live there
    ids = script.get_revision("response_marks_0002")  # rebuilt so that SQLite never reuses an id
    assert ids is not None and ids.down_revision == "response_marks_0001"
    assert "response_marks_0002" in script.get_heads()


async def test_migration_matches_the_models(world: MarksWorld) -> None:
    """What upgrade created is exactly what the models declare: no drift in types, names, indexes or keys."""

    def diff(conn: Connection) -> tuple[list[Any], set[str]]:
        changes = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [c for c in changes if any(t in repr(c) for t in TABLES)]
        inspector = inspect(conn)
        indexes = {i["name"] or "" for t in TABLES for i in inspector.get_indexes(t)}
        return ours, indexes

    async with world.env.db.engine.connect() as conn:
        changes, indexes = await conn.run_sync(diff)
    assert changes == []
    assert {
        "ix_response_marks_friend_marks_workspace_mark",
        "ix_response_marks_history_workspace_friend",
        "ix_response_marks_message_marks_workspace_mark",
    } <= indexes


async def test_branch_downgrades_and_upgrades_on_its_own(world: MarksWorld) -> None:
    def tables(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    engine, host = world.env.db.engine, world.env.host
    await downgrade(engine, host, "response_marks@base")
    async with engine.connect() as conn:
        left = await conn.run_sync(tables)
    assert not TABLES & left and {"friends", "messages"} <= left  # the core stays
    assert not {"response_marks_0001", "response_marks_0002"} & await current(engine, host)
    await upgrade(engine, host)
    assert "response_marks_0002" in await current(engine, host)
    assert await world.mark("至急") > 0


async def test_seeding_is_idempotent(world: MarksWorld) -> None:
    async def state() -> tuple[list[tuple[str, int]], int]:
        async with world.env.db.session(world.workspace_id) as s:
            marks = [(m.label, m.sort_order) for m in await s.scalars(select(Mark).order_by(Mark.id))]
            rules = int(await s.scalar(select(func.count()).select_from(AutoRule)) or 0)
        return marks, rules

    before = await state()
    assert before == ([("要対応", 0), ("対応中", 1), ("対応済", 2)], 1)
    for _ in range(2):
        ctx = world.context()
        async with ctx.session.begin():
            assert await service.seed_defaults(ctx) is False
    assert await state() == before

    # A workspace that had marks (and no rule) before: existing labels are kept, the rest is added after them.
    ctx = world.context()
    async with ctx.session.begin():
        await ctx.session.execute(AutoRule.__table__.delete().where(AutoRule.workspace_id == world.workspace_id))
        mine = Mark.workspace_id == world.workspace_id
        await ctx.session.execute(Mark.__table__.delete().where(mine, Mark.label != "対応中"))
    ctx = world.context()
    async with ctx.session.begin():
        await ctx.session.execute(Mark.__table__.update().where(mine).values(color="#000000"))
        assert await service.seed_defaults(ctx) is True
    async with world.env.db.session(world.workspace_id) as s:
        marks = [(m.label, m.color, m.sort_order) for m in await s.scalars(select(Mark).order_by(Mark.sort_order))]
        rule = await s.scalar(select(AutoRule))
    assert marks == [("対応中", "#000000", 1), ("要対応", "#e53935", 2), ("対応済", "#43a047", 4)]
    assert rule is not None and rule.enabled is False and rule.mark_id is not None
