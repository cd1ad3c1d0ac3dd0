"""The migration chain (core + every plugin branch) applies, matches the models and reverses, on both databases."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text

from enishi import migrate
from enishi.db.base import Base
from enishi.db.engine import make_engine
from enishi.plugin_host import PluginHost
from tests.conftest import PG_ADMIN_URL, _pg_admin, _pg_reachable, _pg_url, make_host, settings_for, unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    if not await _pg_reachable():
        unavailable(f"PostgreSQL at {PG_ADMIN_URL}")
    name = f"enishi_m_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(sync_conn: object) -> set[str]:
    return set(inspect(sync_conn).get_table_names()) - {"alembic_version"}


def _drift(sync_conn: object) -> list[object]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
    return list(compare_metadata(context, Base.metadata))


async def test_full_chain_matches_the_models_and_reverses(empty_url: str, tmp_path: Path) -> None:
    host = make_host(settings_for(tmp_path))
    engine = make_engine(empty_url, pool=False)
    try:
        await migrate.upgrade(engine, host)
        assert not await migrate.pending(engine, host)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set(Base.metadata.tables)
            assert await conn.run_sync(_drift) == [], "models and migrations differ: write a migration"
            plans = (await conn.execute(text("SELECT key FROM plans ORDER BY id"))).scalars().all()
            assert plans == ["start", "standard", "pro"]
        at = await migrate.current(engine, host)
        assert at and at <= migrate.heads(host, empty_url)  # a branch that depends on core stands for both

        await migrate.downgrade(engine, host, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        assert await migrate.pending(engine, host)

        await migrate.upgrade(engine, host)  # and forward again
        async with engine.connect() as conn:
            assert await conn.run_sync(_drift) == []
    finally:
        await engine.dispose()


async def test_each_plugin_branch_depends_on_core_and_can_be_removed_alone(empty_url: str, tmp_path: Path) -> None:
    host = make_host(settings_for(tmp_path))
    branches = [e.plugin for e in host.registry.all("migrations")]
    if not branches:
        pytest.skip("no installed plugin has migrations")
    engine = make_engine(empty_url, pool=False)
    try:
        await migrate.upgrade(engine, host)
        for plugin in branches:
            await migrate.downgrade(engine, host, f"{plugin}@base")
        async with engine.connect() as conn:
            remaining = await conn.run_sync(_tables)
        assert "workspaces" in remaining and not any(t.startswith(tuple(f"{b}_" for b in branches)) for t in remaining)
        await migrate.upgrade(engine, host)
        assert not await migrate.pending(engine, host)
    finally:
        await engine.dispose()


async def test_broadcast_counts_survive_the_move_to_shards_and_back(empty_url: str, tmp_path: Path) -> None:
    """core_0008 moved broadcasts.sent / failed into broadcast_counts: a database that sent broadcasts before keeps
    its totals both ways (skipped recipients were counted as failed before)."""
    host = make_host(settings_for(tmp_path))
    engine = make_engine(empty_url, pool=False)
    tables = Base.metadata.tables
    try:
        await migrate.upgrade(engine, host)
        async with engine.begin() as conn:
            plan = (await conn.execute(text("SELECT id FROM plans ORDER BY id"))).scalars().first()
            agency = (await conn.execute(insert(tables["agencies"]).values(name="代理店"))).inserted_primary_key[0]
            workspace = (
                await conn.execute(
                    insert(tables["workspaces"]).values(
                        agency_id=agency,
                        name="店",
                        plan_id=plan,
                        webhook_token="t" * 32,
                        line_channel_id="1234567890",
                        line_channel_secret=b"x",
                        line_access_token=b"x",
                    )
                )
            ).inserted_primary_key[0]
            broadcast = (
                await conn.execute(
                    insert(tables["broadcasts"]).values(
                        workspace_id=workspace,
                        name="冬のセール",
                        messages=[],
                        target={},
                        delivery="multicast",
                        status="completed",
                        send_at=datetime.now(UTC),
                        skipped=1,
                    )
                )
            ).inserted_primary_key[0]
            rows = [(0, 3, 1), (5, 2, 0)]
            for shard, sent, failed in rows:
                await conn.execute(
                    insert(tables["broadcast_counts"]).values(
                        broadcast_id=broadcast, shard=shard, sent=sent, failed=failed, workspace_id=workspace
                    )
                )

        await migrate.downgrade(engine, host, "core_0007")
        async with engine.connect() as conn:
            before = (await conn.execute(text("SELECT sent, failed FROM broadcasts"))).one()
        assert tuple(before) == (5, 2)

        await migrate.upgrade(engine, host)
        async with engine.connect() as conn:
            counts = (
                await conn.execute(
                    text("SELECT SUM(sent), SUM(failed) FROM broadcast_counts WHERE broadcast_id = :b"),
                    {"b": broadcast},
                )
            ).one()
            skipped = (await conn.execute(text("SELECT skipped FROM broadcasts"))).scalar_one()
        assert (tuple(counts), skipped) == ((5, 2), 0)
    finally:
        await engine.dispose()


def _redirect_branch(host: PluginHost, plugin: str, folder: Path) -> None:
    """Point a plugin's migration branch at another folder (as if the plugin had been upgraded in place)."""
    bucket = host.registry.items["migrations"]
    slot, entry = next((s, e) for s, e in bucket.items() if e.plugin == plugin)
    bucket[slot] = dataclasses.replace(entry, item=dataclasses.replace(entry.item, path=folder))


async def test_the_embedded_start_upgrades_when_scripts_or_version_rows_changed_and_only_then(tmp_path: Path) -> None:
    """`enishi serve` on SQLite upgrades at every start unless the database is known to be at head (the version
    rows recorded beside it for the same migration scripts). A plugin added or upgraded, a downgrade or a bad
    record must each still bring the database to head."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'enishi.db'}"
    record = tmp_path / f"enishi.db{migrate.HEAD_RECORD_SUFFIX}"
    without_notes = make_host(settings_for(tmp_path, ENISHI_DISABLE_PLUGINS="notes"))
    host = make_host(settings_for(tmp_path))
    engine = make_engine(url, pool=False)

    async def tables() -> set[str]:
        async with engine.connect() as conn:
            return await conn.run_sync(_tables)

    try:
        assert await migrate.upgrade_if_needed(engine, without_notes)  # a new database
        assert record.is_file() and "notes_notes" not in await tables()
        assert not await migrate.upgrade_if_needed(engine, without_notes)

        assert await migrate.upgrade_if_needed(engine, host)  # a plugin with migrations installed
        assert "notes_notes" in await tables()
        assert not await migrate.upgrade_if_needed(engine, host)
        assert not await migrate.pending(engine, host)

        # The plugin upgraded: its branch gains a revision.
        upgraded = tmp_path / "notes_migrations"
        shutil.copytree(next(e.item.path for e in host.registry.all("migrations") if e.plugin == "notes"), upgraded)
        (upgraded / "notes_9999_upgraded.py").write_text(
            'revision = "notes_9999"\ndown_revision = "notes_0002"\nbranch_labels = None\ndepends_on = None\n\n\n'
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n"
        )
        _redirect_branch(host, "notes", upgraded)
        assert await migrate.pending(engine, host)
        assert await migrate.upgrade_if_needed(engine, host)
        assert "notes_9999" in (await migrate.stored_versions(engine) or set())
        assert not await migrate.upgrade_if_needed(engine, host)

        # An edited script counts as a change too (nothing to apply, but alembic is asked again).
        (upgraded / "notes_9999_upgraded.py").write_text(
            (upgraded / "notes_9999_upgraded.py").read_text() + "# edited\n"
        )
        assert await migrate.upgrade_if_needed(engine, host)
        assert not await migrate.upgrade_if_needed(engine, host)

        await migrate.downgrade(engine, host, "notes@base")  # version rows that were never seen at head
        assert "notes_notes" not in await tables()
        assert await migrate.upgrade_if_needed(engine, host)
        assert "notes_notes" in await tables()

        record.write_text("{not json")  # an unreadable record is no record
        assert await migrate.upgrade_if_needed(engine, host)
        assert not await migrate.upgrade_if_needed(engine, host)
        assert not await migrate.pending(engine, host)
    finally:
        await engine.dispose()
