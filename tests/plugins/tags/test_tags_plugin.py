"""What Enishi checks when it loads the plugin, the config schemas, and the migration against the models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import enishi_tags
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from enishi_tags import nodes
from sqlalchemy import Connection, inspect

from enishi import Base, Register, validate
from enishi.migrate import alembic_config, current, downgrade, upgrade
from enishi.plugin_host import discover
from enishi.registry import KINDS
from enishi.settings import load_settings

if TYPE_CHECKING:
    from tests.plugins.tags.conftest import TagsWorld

TAG_TABLES = {"tags_folders", "tags_tags", "tags_friend_tags"}
EXPECTED = {
    "triggers": ["tags.tag_added", "tags.tag_removed"],
    "events": ["tags.tag_added", "tags.tag_removed"],
    "actions": ["tags.add_tag", "tags.remove_tag"],
    "conditions": ["tags.has_tags"],
    "friend_fields": ["tags.tags"],
    "reports": [],
    "routes": ["tags.routes"],
    "jobs": [],
    "permissions": ["tags.manage", "tags.assign"],
    "migrations": ["tags.migrations"],
    # lookups and resources of the same names (tags and folders), and the console module
    "screens": ["tags.tags", "tags.folders", "tags.tags", "tags.folders", "tags.ui"],
}


def collect(kind: str) -> list[Any]:
    reg: Register[Any] = Register(kind, "tags", "0.1.0")
    hook = getattr(enishi_tags, f"enishi_register_{kind}", None)
    if hook is not None:
        hook(reg)
    return reg.collected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_registers_namespaced_items(kind: str) -> None:
    # Register runs the start-up checks: types, names, Draft 2020-12 schemas, migration folder.
    assert [e.key for e in collect(kind)] == EXPECTED[kind]


def test_loaded_through_its_entry_point_with_bilingual_labels(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    info = host.plugins["tags"]
    assert info.status == "loaded", info.error
    assert info.source == "built-in"
    for _, entry in host.registry.node_types(["tags"]):
        if entry.plugin == "tags":
            assert entry.item.label.ja and entry.item.label.en and entry.item.description
            assert entry.item.config_schema["additionalProperties"] is False


def test_permissions_go_to_operators_and_up() -> None:
    roles = {e.key: e.item.roles for e in collect("permissions")}
    assert roles == {k: frozenset({"owner", "admin", "operator"}) for k in ("tags.manage", "tags.assign")}


def test_config_schemas() -> None:
    tag_ids = dict(nodes.TAG_IDS_CONFIG)
    assert validate(tag_ids, {"tag_ids": [1, 2]}) == []
    bad_configs: list[dict[str, Any]] = [
        {},
        {"tag_ids": []},
        {"tag_ids": [0]},
        {"tag_ids": [1, 1]},
        {"tag_ids": ["1"]},
        {"tag_ids": [1], "x": 1},
    ]
    for bad in bad_configs:
        assert validate(tag_ids, bad), bad
    has_tags = dict(nodes.HAS_TAGS_CONFIG)
    for good in ({"tag_ids": [1]}, {"tag_ids": [1], "match": "all"}, {"tag_ids": [1, 2], "match": "none"}):
        assert validate(has_tags, good) == [], good
    assert [p.path for p in validate(has_tags, {"tag_ids": [1], "match": "some"})] == ["$.match"]
    assert validate(has_tags, {"tag_ids": [1], "mode": "any"})


def test_migration_is_one_branch_on_top_of_the_core(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    script = ScriptDirectory.from_config(alembic_config(host, "sqlite://"))
    revision = script.get_revision("tags_0001")
    assert revision is not None
    assert revision.branch_labels == {"tags"}
    assert revision.down_revision is None and revision.dependencies == "core_0001"
    pinned = script.get_revision("tags_0002")
    assert pinned is not None and pinned.down_revision == "tags_0001"
    ids = script.get_revision("tags_0003")  # rebuilt so that SQLite never reuses an id
    assert ids is not None and ids.down_revision == "tags_0002"
    assert "tags_0003" in script.get_heads()


async def test_migration_matches_the_models(world: TagsWorld) -> None:
    """What upgrade created is exactly what the models declare: no drift in types, names, indexes or keys."""

    def diff(conn: Connection) -> tuple[list[Any], set[str], set[str]]:
        changes = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [c for c in changes if any(t in repr(c) for t in TAG_TABLES)]
        inspector = inspect(conn)
        indexes = {i["name"] or "" for t in TAG_TABLES for i in inspector.get_indexes(t)}
        keys = {inspector.get_pk_constraint("tags_friend_tags")["name"] or "", *inspector.get_table_names()}
        return ours, indexes, keys

    async with world.env.db.engine.connect() as conn:
        changes, indexes, keys = await conn.run_sync(diff)
    assert changes == []
    assert {
        "ix_tags_friend_tags_workspace_tag_friend",
        "ix_tags_friend_tags_tag_friend",
        "ix_tags_tags_folder_id",
    } <= indexes
    assert keys >= TAG_TABLES
    if world.backend == "postgresql":  # SQLite does not keep primary key names
        assert "pk_tags_friend_tags" in keys


async def test_branch_downgrades_and_upgrades_on_its_own(world: TagsWorld) -> None:
    def tables(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    engine = world.env.db.engine
    await downgrade(engine, world.env.host, "tags@base")
    async with engine.connect() as conn:
        left = await conn.run_sync(tables)
    assert not TAG_TABLES & left and "friends" in left  # the core stays
    assert not {"tags_0001", "tags_0002", "tags_0003"} & await current(engine, world.env.host)
    await upgrade(engine, world.env.host)
    assert "tags_0003" in await current(engine, world.env.host)
    assert await world.tag("VIP") > 0


async def test_pinning_arrives_on_existing_tags_unpinned(world: TagsWorld) -> None:
    """Upgrading a database that already has tags gives them pinned = false (the column's server default)."""
    vip = await world.tag("VIP")
    engine = world.env.db.engine
    await downgrade(engine, world.env.host, "tags_0001")
    assert "tags_0001" in await current(engine, world.env.host)
    await upgrade(engine, world.env.host)
    shown = await world.client.get(world.url(f"/{vip}"))
    assert shown.status_code == 200 and shown.json()["pinned"] is False
