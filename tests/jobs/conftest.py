from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import pluggy
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from enishi.db.engine import Database
from enishi.plugin_host import PluginHost
from enishi.registry import Registered, Registry
from enishi.settings import Settings, load_settings

REDIS_URL = os.environ.get("ENISHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

HostFactory = Callable[..., PluginHost]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"ENISHI_DATA_DIR": str(tmp_path)})


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}")
    yield database
    await database.dispose()


@pytest.fixture
def make_host() -> HostFactory:
    """A PluginHost without entry points whose registry holds the given jobs and schedules."""

    def build(*items: Any, plugin: str = "test") -> PluginHost:
        host = PluginHost(pm=pluggy.PluginManager("enishi"), registry=Registry())
        for item in items:
            host.registry.add(
                "jobs", Registered(key=f"{plugin}.{item.name}", plugin=plugin, plugin_version="1", item=item)
            )
        return host

    return build


@pytest.fixture
async def redis_url() -> str:
    """The test Redis; unreachable means a failure on CI and a skip elsewhere."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        parts = urlsplit(REDIS_URL)
        message = f"Redis not reachable at {parts.hostname}:{parts.port or 6379}; start it or set ENISHI_TEST_REDIS_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} ({exc})")
        pytest.skip(message)
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def redis_token(redis_url: str) -> AsyncIterator[str]:
    """A token to put in every queue name, plugin name and job id; afterwards its Redis keys are deleted."""
    token = uuid4().hex[:12]
    yield token
    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{token}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
