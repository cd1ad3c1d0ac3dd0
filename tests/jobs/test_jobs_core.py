from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pluggy
import pytest
from sqlalchemy import func, select

import enishi.models  # noqa: F401 - registers every table on Base.metadata
from enishi.db.base import Base, utcnow
from enishi.db.engine import Database
from enishi.jobs import InProcessQueue
from enishi.jobs.core_jobs import purge_sessions, register_core_jobs
from enishi.models import LoginAttempt, StaffSession, User
from enishi.plugin_host import PluginHost
from enishi.registry import Registry
from enishi.settings import Settings
from enishi.types import JobType, Schedule
from enishi.version import CORE_API_VERSION


def core_host() -> PluginHost:
    host = PluginHost(pm=pluggy.PluginManager("enishi"), registry=Registry())
    register_core_jobs(host.registry)
    return host


def test_core_jobs_are_registered_under_core() -> None:
    entries = {e.key: e for e in core_host().registry.all("jobs")}
    assert set(entries) == {"core.analyze_table", "core.purge_sessions", "core.purge_sessions_now"}
    schedule, job = entries["core.purge_sessions"], entries["core.purge_sessions_now"]
    assert isinstance(schedule.item, Schedule) and schedule.item.every == timedelta(minutes=10)
    assert isinstance(job.item, JobType) and job.item.fn is schedule.item.fn is purge_sessions
    assert {(e.plugin, e.plugin_version) for e in entries.values()} == {("core", CORE_API_VERSION)}


async def test_purge_sessions_now_deletes_expired_sessions(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'purge.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        now = utcnow()
        window = timedelta(seconds=settings.login_window_seconds)
        async with db.transaction() as session:
            user = User(email="staff@example.com", display_name="Staff", password_hash="x")
            session.add(user)
            await session.flush()
            session.add_all(
                [
                    StaffSession(user_id=user.id, token_hash="e" * 64, csrf_token="c", expires_at=now - timedelta(1)),
                    StaffSession(user_id=user.id, token_hash="v" * 64, csrf_token="c", expires_at=now + timedelta(1)),
                    LoginAttempt(email="x@example.com", ip="1.2.3.4", succeeded=False, at=now - 2 * window),
                    LoginAttempt(email="x@example.com", ip="1.2.3.4", succeeded=False, at=now),
                ]
            )

        with caplog.at_level(logging.INFO, logger="enishi.jobs"):
            async with InProcessQueue(settings, core_host(), db) as queue:
                assert await queue.enqueue("core.purge_sessions_now")
                await queue.drain()

        async with db.session() as session:
            assert (await session.scalars(select(StaffSession.token_hash))).all() == ["v" * 64]
            assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
        assert any("purged 2 " in r.getMessage() for r in caplog.records)
    finally:
        await db.dispose()
