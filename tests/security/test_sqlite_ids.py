"""SQLite never hands the id of a deleted row to another row.

Without AUTOINCREMENT, SQLite gives the next insert ``max(id) + 1``: deleting the newest published scenario version
and publishing another (in any workspace) reused its id, and the engine's per-process graph cache ran the deleted
version's steps for another workspace's friend.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Integer, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

from enishi import migrate
from enishi.db.base import Base
from enishi.db.engine import make_engine
from enishi.models import Friend, ScenarioRun, ScenarioStep, ScenarioVersion
from tests.conftest import make_host, settings_for
from tests.scenarios.conftest import World, chain, document, node, world  # noqa: F401 - the world fixture

# The revisions that rebuild the tables with AUTOINCREMENT: the core's and one per plugin branch.
AUTOINCREMENT_REVISIONS = (
    "core_0009",
    "assignment_0002",
    "friend_fields_0003",
    "funnels_0002",
    "inflow_0003",
    "member_cards_0002",
    "messages_0002",
    "notes_0002",
    "response_marks_0002",
    "tags_0003",
)


def _own_integer_key(con: sqlite3.Connection, table: str) -> str | None:
    """The table's integer primary key column when the table hands out its ids itself (None otherwise: no key,
    a composite one, or one copied from the row it extends, whose own table is checked too)."""
    key = [c for c in con.execute(f'PRAGMA table_info("{table}")') if c[5]]
    if len(key) != 1 or key[0][2].upper() not in ("INTEGER", "BIGINT"):
        return None
    referencing = {fk[3] for fk in con.execute(f'PRAGMA foreign_key_list("{table}")')}
    return None if key[0][1] in referencing else str(key[0][1])


def _tables(con: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def _reusing_tables(con: sqlite3.Connection) -> list[str]:
    return [
        t
        for t in _tables(con)
        if _own_integer_key(con, t)
        and "AUTOINCREMENT"
        not in con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0].upper()
    ]


def _clauses(create_sql: str) -> set[str]:
    """The column and constraint clauses of a CREATE TABLE, whitespace-normalized, with the primary key left out
    (its form changes with AUTOINCREMENT; PRAGMA table_info still shows which column it is)."""
    body = create_sql[create_sql.index("(") + 1 : create_sql.rindex(")")]
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    clauses = set()
    for part in parts:
        clause = re.sub(r"\s+", " ", part.replace('"', "")).strip()
        clause = re.sub(r" PRIMARY KEY AUTOINCREMENT$", "", clause)
        if not re.fullmatch(r"(CONSTRAINT \w+ )?PRIMARY KEY \(\w+\)", clause):
            clauses.add(clause)
    return clauses


def _schema(path: Path) -> dict[str, Any]:
    """Everything a rebuild could lose: columns, keys, foreign keys with their ON DELETE, constraints, indexes."""
    con = sqlite3.connect(path)
    try:
        schema: dict[str, Any] = {}
        for table in _tables(con):
            sql = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
            schema[table] = {
                "columns": con.execute(f'PRAGMA table_info("{table}")').fetchall(),
                "foreign_keys": sorted(fk[2:] for fk in con.execute(f'PRAGMA foreign_key_list("{table}")')),
                "clauses": _clauses(sql[0]),
            }
        schema["indexes"] = {
            name: re.sub(r"\s+", " ", sql.replace('"', ""))
            for name, sql in con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        }
        schema["unique_constraints"] = sorted(
            (table, tuple(c[2] for c in con.execute(f'PRAGMA index_info("{ix[1]}")')))
            for table in _tables(con)
            for ix in con.execute(f'PRAGMA index_list("{table}")')
            if ix[3] == "u"
        )
        return schema
    finally:
        con.close()


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(path)
    try:
        return {
            t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)  # noqa: S608 - names from sqlite_master
            for t in _tables(con)
            if t != "alembic_version"
        }
    finally:
        con.close()


async def test_every_table_of_every_branch_hands_out_ids_only_once(tmp_path: Path) -> None:
    host = make_host(settings_for(tmp_path))
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}", pool=False)
    try:
        await migrate.upgrade(engine, host)
    finally:
        await engine.dispose()
    con = sqlite3.connect(tmp_path / "fresh.db")
    try:
        checked = [t for t in _tables(con) if _own_integer_key(con, t)]
        assert {"scenario_versions", "friends", "tags_tags", "member_cards_history"} <= set(checked)
        assert _reusing_tables(con) == []
    finally:
        con.close()
    # Tables created from the models (tests, a plugin's own fixtures) get the same key.
    for table in Base.metadata.tables.values():
        key = list(table.primary_key.columns)
        if len(key) == 1 and not key[0].foreign_keys and isinstance(key[0].type, Integer):
            assert "AUTOINCREMENT" in str(CreateTable(table).compile(dialect=sqlite.dialect())), table.name


def _new_id(cursor: sqlite3.Cursor) -> int:
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _seed(con: sqlite3.Connection) -> dict[str, int]:
    """Rows in core and plugin tables, with references between them (what a lost ON DELETE would eat)."""
    plan = con.execute("SELECT id FROM plans ORDER BY id").fetchone()[0]
    agency = _new_id(con.execute("INSERT INTO agencies (name, created_at) VALUES ('代理店', '2026-01-01')"))
    workspace = _new_id(
        con.execute(
            "INSERT INTO workspaces (agency_id, name, plan_id, webhook_token, line_channel_id, line_channel_secret,"
            " line_access_token, timezone, created_at, updated_at)"
            " VALUES (?, '店', ?, ?, '1234567890', x'00', x'00', 'Asia/Tokyo', '2026-01-01', '2026-01-01')",
            (agency, plan, "t" * 32),
        )
    )
    friends = [
        _new_id(
            con.execute(
                "INSERT INTO friends (workspace_id, line_user_id, display_name, status, followed_at, created_at)"
                " VALUES (?, ?, ?, 'following', '2026-01-01', '2026-01-01')",
                (workspace, f"U{n:032x}", f"友だち{n}"),
            )
        )
        for n in range(3)
    ]
    scenario = _new_id(
        con.execute(
            "INSERT INTO scenarios (workspace_id, name, status, draft, draft_layout, draft_changed, created_at,"
            " updated_at) VALUES (?, 'ステップ', 'active', '{}', '{}', 0, '2026-01-01', '2026-01-01')",
            (workspace,),
        )
    )
    versions = [
        _new_id(
            con.execute(
                "INSERT INTO scenario_versions (workspace_id, scenario_id, number, document, layout, published_at)"
                " VALUES (?, ?, ?, '{}', '{}', '2026-01-01')",
                (workspace, scenario, number),
            )
        )
        for number in (1, 2)
    ]
    con.execute(
        "INSERT INTO scenario_runs (workspace_id, scenario_id, version_id, friend_id, status, node_id, entry_node_id,"
        " source, failures, started_at, updated_at) VALUES (?, ?, ?, ?, 'waiting', 'n', 'n', 'manual', 0,"
        " '2026-01-01', '2026-01-01')",
        (workspace, scenario, versions[1], friends[0]),
    )
    folder = _new_id(
        con.execute(
            "INSERT INTO tags_folders (workspace_id, name, sort_order, created_at) VALUES (?, '属性', 0, '2026-01-01')",
            (workspace,),
        )
    )
    tags = [
        _new_id(
            con.execute(
                "INSERT INTO tags_tags (workspace_id, folder_id, name, color, description, sort_order, created_at)"
                " VALUES (?, ?, ?, '#000000', '', 0, '2026-01-01')",
                (workspace, folder, name),
            )
        )
        for name in ("VIP", "常連")
    ]
    for tag in tags:
        con.execute(
            "INSERT INTO tags_friend_tags (workspace_id, friend_id, tag_id, added_at, source)"
            " VALUES (?, ?, ?, '2026-01-01', 'manual')",
            (workspace, friends[0], tag),
        )
    return {"workspace": workspace, "scenario": scenario, "version": versions[1], "tag": tags[1]}


async def test_upgrading_keeps_every_row_and_index_then_never_reuses_an_id_and_reverses(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    host = make_host(settings_for(tmp_path))
    script = ScriptDirectory.from_config(migrate.alembic_config(host, f"sqlite:///{path}"))
    previous = [script.get_revision(r).down_revision for r in AUTOINCREMENT_REVISIONS]
    engine = make_engine(f"sqlite+aiosqlite:///{path}", pool=False)
    try:
        for revision in previous:  # the heads before AUTOINCREMENT: ids were reused there
            assert isinstance(revision, str)
            await migrate.upgrade(engine, host, revision)
        con = sqlite3.connect(path)
        with con:
            con.execute("PRAGMA foreign_keys=ON")
            assert {"scenario_versions", "tags_tags"} <= set(_reusing_tables(con))
            seeded = _seed(con)
        con.close()
        schema_before, rows_before = _schema(path), _rows(path)

        for revision in AUTOINCREMENT_REVISIONS:
            await migrate.upgrade(engine, host, revision)
        assert _rows(path) == rows_before
        schema_after = _schema(path)
        assert schema_after == schema_before
        con = sqlite3.connect(path)
        assert _reusing_tables(con) == []
        with con:
            con.execute("PRAGMA foreign_keys=ON")
            # Deleting the newest version frees no id: the next one, in any workspace, gets a new id.
            con.execute("DELETE FROM scenario_runs")
            con.execute("DELETE FROM scenario_versions WHERE id = ?", (seeded["version"],))
            number = _new_id(
                con.execute(
                    "INSERT INTO scenario_versions (workspace_id, scenario_id, number, document, layout, published_at)"
                    " VALUES (?, ?, 3, '{}', '{}', '2026-01-02')",
                    (seeded["workspace"], seeded["scenario"]),
                )
            )
            con.execute("DELETE FROM tags_tags WHERE id = ?", (seeded["tag"],))
            tag = _new_id(
                con.execute(
                    "INSERT INTO tags_tags (workspace_id, name, color, description, sort_order, created_at)"
                    " VALUES (?, '新規', '#000000', '', 0, '2026-01-02')",
                    (seeded["workspace"],),
                )
            )
        con.close()
        assert number == seeded["version"] + 1 and tag == seeded["tag"] + 1
        rows_after = _rows(path)

        for revision in reversed(previous):
            assert isinstance(revision, str)
            await migrate.downgrade(engine, host, revision)
        assert _rows(path) == rows_after
        assert _schema(path) == schema_before
        con = sqlite3.connect(path)
        assert {"scenario_versions", "tags_tags"} <= set(_reusing_tables(con))
        con.close()

        await migrate.upgrade(engine, host)  # and on to whatever came after
        assert not await migrate.pending(engine, host)
    finally:
        await engine.dispose()


async def test_a_deleted_version_id_never_names_another_workspaces_version(world: World) -> None:  # noqa: F811
    """The reproducer: publish, delete the scenario (its versions go with it), publish in another workspace."""
    secret = await world.tag("社外秘")
    start, wait, tag = node("core.manual_start"), node("core.wait_delay", {"days": 7}), node("tags.add_tag")
    tag["config"] = {"tag_ids": [secret]}
    first = await world.scenario(document([start, wait, tag], chain(start, wait, tag)), name="削除するシナリオ")
    aoi = world.friends["aoi"]
    response = await world.client.post(world.url(f"/{first}/runs"), json={"friend_ids": [aoi]})
    assert response.json() == {"started": 1}  # the engine has now read (and may have cached) the version
    await world.settle()
    [run] = await world.runs(first)
    deleted_version = run.version_id
    response = await world.client.post(world.url(f"/{first}/stop"), json={"end_running": True})
    assert response.status_code == 200, response.text
    assert (await world.client.delete(world.url(f"/{first}"))).status_code == 204
    async with world.db.session() as s:
        assert await s.get(ScenarioVersion, deleted_version) is None

    other = world.other_workspace_id
    async with world.db.transaction(other) as s:
        mei = Friend(line_user_id="U" + "e" * 32, display_name="めい", status="following")
        s.add(mei)
    hello, bye = node("core.manual_start"), node("core.wait_delay", {"days": 1})
    response = await world.client.post(world.url(workspace_id=other), json={"name": "別の店の案内"})
    assert response.status_code == 201, response.text
    second = int(response.json()["scenario"]["id"])
    doc = document([hello, bye], chain(hello, bye))
    assert (await world.client.put(world.url(f"/{second}/draft", other), json=doc)).status_code == 200
    response = await world.client.post(world.url(f"/{second}/publish", other))
    assert response.status_code == 200, response.text
    assert response.json()["current_version"]["id"] != deleted_version

    response = await world.client.post(world.url(f"/{second}/runs", other), json={"friend_ids": [mei.id]})
    assert response.json() == {"started": 1}
    await world.settle()
    async with world.db.session() as s:
        [their_run] = (await s.scalars(select(ScenarioRun).where(ScenarioRun.scenario_id == second))).all()
        ran = set((await s.scalars(select(ScenarioStep.node_id).where(ScenarioStep.run_id == their_run.id))).all())
    assert ran and ran <= {hello["id"], bye["id"]}
    assert their_run.node_id == bye["id"] and their_run.status == "waiting"
