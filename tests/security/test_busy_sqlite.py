"""A request that loses SQLite's write race answers normally.

Under load a penetration test saw ``MissingGreenlet`` raised from ``db/engine._sqlite_begin`` during a rollback,
about 2 in 46,875 requests. The cause: a request with an API token records ``last_used_at`` on the session it
read the token with. On SQLite that read began a deferred transaction, and when another connection commits in
between, the upgrade to a write fails at once ("database is locked"). The rollback that followed expired the
token and user just read, and the next attribute read loaded them again from plain async code, outside
SQLAlchemy's greenlet: the first IO of that load is our BEGIN. The race is made here on purpose; the use is now
recorded in a write transaction of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from enishi.models import ApiToken
from tests.conftest import Env


@contextmanager
def another_writer_commits_after_reading(env: Env, table: str) -> Iterator[list[str]]:
    """Right after the app's read engine reads ``table``, another connection commits a write, once."""
    path = env.settings.database_url.split(":///", 1)[1]
    done: list[str] = []

    def after_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if done or f"FROM {table}" not in statement:
            return
        with closing(sqlite3.connect(path, timeout=10)) as other:
            other.execute("UPDATE workspaces SET name = name || ' '")
            other.commit()
        done.append(statement)

    engine = env.db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", after_cursor_execute)
    try:
        yield done
    finally:
        event.remove(engine, "after_cursor_execute", after_cursor_execute)


async def test_an_api_token_request_that_loses_the_write_race_still_answers(env: Env) -> None:
    if env.backend != "sqlite":
        pytest.skip("SQLite's deferred transactions only")
    owner = await env.user("owner@shop.example")
    workspace = await env.workspace(await env.agency(owner=owner))
    client = await env.login("owner@shop.example")
    secret = (await client.post("/api/auth/tokens", json={"name": "script"})).json()["token"]
    script = env.new_client()
    script.headers["Authorization"] = f"Bearer {secret}"

    with another_writer_commits_after_reading(env, "api_tokens") as raced:
        response = await script.get(f"/api/workspaces/{workspace.id}")
    assert raced, "the race was not made"
    assert response.status_code == 200, response.text
    assert response.json()["workspace"]["id"] == workspace.id
    # Its use is recorded all the same, in a write of its own.
    async with env.db.session() as s:
        first_use = await s.scalar(select(ApiToken.last_used_at))
    assert first_use is not None

    # Within the minute the token's use is not written again.
    writes: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        writes.append(statement)

    event.listen(env.db.write_engine.sync_engine, "before_cursor_execute", note)
    try:
        with another_writer_commits_after_reading(env, "api_tokens"):
            assert (await script.get(f"/api/workspaces/{workspace.id}")).status_code == 200
    finally:
        event.remove(env.db.write_engine.sync_engine, "before_cursor_execute", note)
    assert not [w for w in writes if "api_tokens" in w]
    async with env.db.session() as s:
        assert await s.scalar(select(ApiToken.last_used_at)) == first_use
