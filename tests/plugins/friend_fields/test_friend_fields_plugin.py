"""What Enishi checks when it loads the plugin, the config schemas, and the migration branch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import enishi_friend_fields
import pytest
from alembic.script import ScriptDirectory
from enishi_friend_fields import kinds, nodes
from sqlalchemy import Connection, inspect

from enishi import Register, choice_values, validate
from enishi.migrate import alembic_config, current, downgrade, upgrade
from enishi.plugin_host import discover
from enishi.registry import KINDS
from enishi.settings import load_settings

if TYPE_CHECKING:
    from tests.plugins.friend_fields.conftest import World

TABLES = {"friend_fields_definitions", "friend_fields_values", "friend_fields_files"}
EXPECTED = {
    "triggers": ["friend_fields.field_changed"],
    "events": ["friend_fields.field_changed"],
    "actions": ["friend_fields.set_field"],
    "conditions": ["friend_fields.field_compare"],
    "friend_fields": ["friend_fields.fields"],
    "reports": [],
    "routes": ["friend_fields.routes"],
    "jobs": [],
    "permissions": ["friend_fields.manage", "friend_fields.edit"],
    "migrations": ["friend_fields.migrations"],
    "screens": ["friend_fields.fields", "friend_fields.fields", "friend_fields.ui"],  # lookup, resource, module
}


def collect(kind: str) -> list[Any]:
    reg: Register[Any] = Register(kind, "friend_fields", "0.1.0")
    hook = getattr(enishi_friend_fields, f"enishi_register_{kind}", None)
    if hook is not None:
        hook(reg)
    return reg.collected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_registers_namespaced_items(kind: str) -> None:
    # Register runs the start-up checks: types, names, Draft 2020-12 schemas, migration folder.
    assert [e.key for e in collect(kind)] == EXPECTED.get(kind, [])


def test_loaded_through_its_entry_point_in_the_start_tier(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    info = host.plugins["friend_fields"]
    assert info.status == "loaded", info.error
    assert info.manifest is not None and info.manifest.tier == "start"
    for _, entry in host.registry.node_types(["friend_fields"]):
        if entry.plugin == "friend_fields":
            assert entry.item.label.ja and entry.item.label.en and entry.item.description
            assert entry.item.config_schema["additionalProperties"] is False
            assert entry.item.check_config is not None


def test_permissions() -> None:
    roles = {e.key: e.item.roles for e in collect("permissions")}
    assert roles == {
        "friend_fields.manage": frozenset({"owner", "admin"}),
        "friend_fields.edit": frozenset({"owner", "admin", "operator"}),
    }


def test_every_operator_is_offered_and_knows_its_operand() -> None:
    offered = set(choice_values(nodes.FIELD_COMPARE_CONFIG["properties"]["operator"]))
    used = {op for ops in kinds.OPERATORS_BY_TYPE.values() for op in ops}
    assert offered == used == set(kinds.OPERAND_OF)
    assert set(kinds.OPERATORS_BY_TYPE) == set(kinds.FIELD_TYPES)
    assert set(kinds.NEGATIVE.values()) <= offered


def test_config_schemas_require_each_operators_operand() -> None:
    schema = dict(nodes.FIELD_COMPARE_CONFIG)
    good = [
        {"key": "a", "operator": "is_empty"},
        {"key": "a", "operator": "equals", "value": "x"},
        {"key": "a", "operator": "gt", "value": 3},
        {"key": "a", "operator": "in", "values": ["x"]},
        {"key": "a", "operator": "between", "min": 1, "max": 2},
        {"key": "a", "operator": "within_last_days", "days": 3},
        {"key": "a", "operator": "month_is", "month": 4},
    ]
    for config in good:
        assert validate(schema, config) == [], config
    bad = [
        {"key": "a", "operator": "equals"},
        {"key": "a", "operator": "has_any"},
        {"key": "a", "operator": "has_any", "values": []},
        {"key": "a", "operator": "between", "max": 2},
        {"key": "a", "operator": "days_from_today"},
        {"key": "a", "operator": "month_is"},
        {"key": "a", "operator": "equals", "value": True},
        {"key": "a", "operator": "equals", "value": "x" * 501},
    ]
    for config in bad:
        assert validate(schema, config), config
    set_field = dict(nodes.SET_FIELD_CONFIG)
    for config in (
        {"key": "a", "value": "x"},
        {"key": "a", "expression": {"now_plus": {"days": 3}}},
        {"key": "a", "expression": {"today_plus": {"days": 1}}},
        {"key": "a", "expression": {"increment": -1.5}},
        {"key": "a", "clear": True},
    ):
        assert validate(set_field, config) == [], config
    for config in (
        {"key": "a"},
        {"key": "a", "value": "x", "expression": {"increment": 1}},
        {"key": "a", "expression": {"now_plus": {"days": 1}, "increment": 1}},
        {"key": "a", "expression": {"today_plus": {}}},
        {"key": "a", "expression": {"now_plus": {"weeks": 1}}},
    ):
        assert validate(set_field, config), config


def test_migration_is_one_branch_on_top_of_the_core(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    script = ScriptDirectory.from_config(alembic_config(host, "sqlite://"))
    revision = script.get_revision("friend_fields_0001")
    assert revision is not None
    assert revision.branch_labels == {"friend_fields"}
    assert revision.down_revision is None and revision.dependencies == "core_0001"
    covering = script.get_revision("friend_fields_0002")
    assert covering is not None and covering.down_revision == "friend_fields_0001"
    ids = script.get_revision("friend_fields_0003")  # rebuilt so that SQLite never reuses an id
    assert ids is not None and ids.down_revision == "friend_fields_0002"
    assert "friend_fields_0003" in script.get_heads()


async def test_branch_downgrades_and_upgrades_on_its_own(world: World) -> None:
    def tables(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    engine, host = world.env.db.engine, world.env.host
    await downgrade(engine, host, "friend_fields@base")
    async with engine.connect() as conn:
        left = await conn.run_sync(tables)
    assert not TABLES & left and "friends" in left  # the core stays
    assert not {"friend_fields_0001", "friend_fields_0002", "friend_fields_0003"} & await current(engine, host)
    await upgrade(engine, host)
    assert "friend_fields_0003" in await current(engine, host)
    assert (await world.field("again"))["key"] == "again"
