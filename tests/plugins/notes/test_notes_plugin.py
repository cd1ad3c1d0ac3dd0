"""What Enishi checks when it loads the plugin, its permissions, and the migration branch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import enishi_notes
import pytest
from alembic.script import ScriptDirectory
from enishi_notes.text import fold, snippet
from sqlalchemy import Connection, inspect

from enishi import Register
from enishi.migrate import alembic_config, current, downgrade, upgrade
from enishi.plugin_host import discover
from enishi.registry import KINDS
from enishi.settings import load_settings

if TYPE_CHECKING:
    from tests.plugins.notes.conftest import World

TABLES = {"notes_notes", "notes_revisions"}
EXPECTED = {
    "actions": ["notes.add_note"],
    "conditions": ["notes.notes_contain"],
    "friend_fields": ["notes.latest"],
    "routes": ["notes.routes"],
    "permissions": ["notes.write", "notes.moderate"],
    "migrations": ["notes.migrations"],
    "screens": ["notes.ui"],  # the console module (the friend page's notes panel)
}


def collect(kind: str) -> list[Any]:
    reg: Register[Any] = Register(kind, "notes", "0.1.0")
    hook = getattr(enishi_notes, f"enishi_register_{kind}", None)
    if hook is not None:
        hook(reg)
    return reg.collected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_registers_namespaced_items(kind: str) -> None:
    assert [e.key for e in collect(kind)] == EXPECTED.get(kind, [])


def test_loaded_through_its_entry_point_in_the_start_tier(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    info = host.plugins["notes"]
    assert info.status == "loaded", info.error
    assert info.manifest is not None and info.manifest.tier == "start"
    for _, entry in host.registry.node_types(["notes"]):
        if entry.plugin == "notes":
            assert entry.item.label.ja and entry.item.label.en and entry.item.description
            assert entry.item.config_schema["additionalProperties"] is False


def test_permissions() -> None:
    roles = {e.key: e.item.roles for e in collect("permissions")}
    assert roles == {
        "notes.write": frozenset({"owner", "admin", "operator"}),
        "notes.moderate": frozenset({"owner", "admin"}),
    }


def test_folding_and_snippets() -> None:
    assert fold("ｶﾌｪ ＴＡＮＡＫＡ Straße") == "カフェ tanaka strasse"
    assert snippet("a\n\nb   c", None) == "a b c"
    assert snippet("x" * 100, "nothing", 10) == "x" * 10 + "…"
    assert snippet("前置き" * 30 + "ＡＢＣ", "abc", 20).endswith("ＡＢＣ")


def test_migration_is_one_branch_on_top_of_the_core(tmp_path: Path) -> None:
    host = discover(load_settings({"ENISHI_DATA_DIR": str(tmp_path)}))
    script = ScriptDirectory.from_config(alembic_config(host, "sqlite://"))
    revision = script.get_revision("notes_0001")
    assert revision is not None
    assert revision.branch_labels == {"notes"}
    assert revision.down_revision is None and revision.dependencies == "core_0001"


async def test_branch_downgrades_and_upgrades_on_its_own(world: World) -> None:
    def tables(conn: Connection) -> set[str]:
        return set(inspect(conn).get_table_names())

    engine, host = world.env.db.engine, world.env.host
    await downgrade(engine, host, "notes@base")
    async with engine.connect() as conn:
        left = await conn.run_sync(tables)
    assert not TABLES & left and "friends" in left
    assert "notes_0001" not in await current(engine, host)
    await upgrade(engine, host)
    assert (await world.note("aoi", "戻った"))["body"] == "戻った"
