"""Fixtures: a real database (SQLite always, PostgreSQL too when ENISHI_TEST_POSTGRES_URL is set) with the core
tables, the plugin's migration applied, and two workspaces so every test can check isolation."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import enishi_birthday
import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection

import enishi.models  # noqa: F401 - registers the core tables on Base.metadata
from enishi import Base, Friend, WorkspaceContext
from enishi.db import Database
from enishi.models import Agency, Plan, Workspace

MIGRATIONS = Path(enishi_birthday.__file__).parent / "migrations"
PLUGIN_TABLES = {"birthday_birthdays"}
# 2024-06-15 00:30 in Tokyo is still 06-14 in UTC: tests that care about "today" see the workspace's date.
NOW = datetime(2024, 6, 14, 15, 30, tzinfo=UTC)


def load_migration(name: str = "0001_create_birthdays.py") -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"birthday_migration_{name[:4]}", MIGRATIONS / name)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_schema(conn: Connection) -> None:
    Base.metadata.drop_all(conn)
    core = [t for t in Base.metadata.sorted_tables if t.name not in PLUGIN_TABLES]
    Base.metadata.create_all(conn, tables=core)
    # The plugin's table comes from its migrations, as in production, not from the model.
    with Operations.context(MigrationContext.configure(conn)):
        for path in sorted(MIGRATIONS.glob("[0-9]*.py")):
            load_migration(path.name).upgrade()


def _database_urls() -> list[Any]:
    urls: list[Any] = ["sqlite"]
    if os.environ.get("ENISHI_TEST_POSTGRES_URL"):
        urls.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    return urls


@pytest.fixture(params=_database_urls())
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        url = os.environ["ENISHI_TEST_POSTGRES_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(_create_schema)
    yield db
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await db.dispose()


@dataclass
class World:
    db: Database
    workspace_id: int
    other_workspace_id: int
    friends: dict[str, int]  # name -> id, in the first workspace
    stranger: int  # a friend of the other workspace

    def context(self, workspace_id: int | None = None) -> WorkspaceContext:
        ws = self.workspace_id if workspace_id is None else workspace_id
        return WorkspaceContext(
            workspace_id=ws,
            session=self.db.session(ws),
            host=None,  # type: ignore[arg-type] - the plugin never touches the host
            settings=None,  # type: ignore[arg-type]
            jobs=None,
            enabled_plugins=frozenset({"birthday"}),
            now=NOW,
        )


@pytest.fixture
async def world(database: Database) -> World:
    async with database.transaction() as s:
        plan = Plan(key="standard", name_ja="スタンダード", name_en="Standard", tier="standard")
        agency = Agency(name="Agency")
        s.add_all([plan, agency])
        await s.flush()
        workspaces = [
            Workspace(
                agency_id=agency.id,
                plan_id=plan.id,
                name=f"WS {n}",
                line_channel_id=f"channel-{n}",
                line_channel_secret=b"x",
                line_access_token=b"x",
                webhook_token=f"hook-{n}",
            )
            for n in (1, 2)
        ]
        s.add_all(workspaces)
        await s.flush()
        ws, other = workspaces
        friends = {
            name: Friend(workspace_id=ws.id, line_user_id=f"U{name}", display_name=name, status=status)
            for name, status in [("aoi", "following"), ("ren", "following"), ("yui", "blocked")]
        }
        stranger = Friend(workspace_id=other.id, line_user_id="Ustranger", display_name="stranger")
        s.add_all([*friends.values(), stranger])
        await s.flush()
        return World(database, ws.id, other.id, {k: f.id for k, f in friends.items()}, stranger.id)
