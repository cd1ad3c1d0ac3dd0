"""Fixtures for the sending side: the real LINE emulator on a uvicorn server, and workspaces registered on it.

``world`` joins the ``env`` fixture (a fresh database on SQLite and on PostgreSQL) to an emulator served on a free
127.0.0.1 port under ``/emulator``, as the main app mounts it. Each workspace's channel is registered through the
emulator's control API; the gateway is pointed at the emulator through ``settings.line_api_url``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from enishi.crypto import SecretBox
from enishi.db.base import utcnow
from enishi.line.gateway import GatewaySettings, LineGateway
from enishi.line.outbox import OutboxSettings, deliver
from enishi.line.ratelimit import NoRateLimiter, RateLimitSettings
from enishi.models import Friend, LineRequest, Workspace
from enishi.settings import Settings
from enishi_line_emulator import Emulator, create_emulator_app
from tests.conftest import Env
from tests.live_server import serve as serve_live

PREFIX = "/emulator"


def serve(app: Any) -> Any:
    return serve_live(app, lifespan="on")


@dataclass
class Shop:
    """A workspace whose channel the emulator knows."""

    workspace: Workspace
    channel_id: str
    token: str


@dataclass
class World:
    env: Env
    emulator: Emulator
    url: str  # what settings.line_api_url holds: <base>/emulator
    control: httpx.AsyncClient
    settings: Settings
    gateway: LineGateway
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    shops: list[Shop] = field(default_factory=list)

    @property
    def db(self) -> Any:
        return self.env.db

    async def shop(self, name: str = "店舗") -> Shop:
        agency = await self.env.agency(f"代理店 {uuid.uuid4().hex[:6]}")
        workspace = await self.env.workspace(agency, name)
        box = SecretBox(self.env.settings.secret_keys)
        token = box.decrypt(workspace.line_access_token)
        response = await self.control.post(
            "/_control/channels",
            json={
                "channelId": workspace.line_channel_id,
                "channelSecret": box.decrypt(workspace.line_channel_secret),
                "accessToken": token,
            },
        )
        assert response.status_code == 200, response.text
        shop = Shop(workspace, workspace.line_channel_id, token)
        self.shops.append(shop)
        return shop

    async def friend(
        self,
        shop: Shop,
        *,
        following: bool = True,
        known_to_line: bool = True,
        reply_token: str | None = None,
        token_age: timedelta = timedelta(seconds=1),
        status: str = "following",
    ) -> Friend:
        """A friend in the database and, unless ``known_to_line`` is False, a simulated user on the emulator."""
        user_id = "U" + uuid.uuid4().hex
        if known_to_line:
            response = await self.control.post(
                f"/_control/channels/{shop.channel_id}/users", json={"userId": user_id, "following": following}
            )
            assert response.status_code == 201, response.text
        async with self.db.transaction(shop.workspace.id) as s:
            friend = Friend(
                line_user_id=user_id,
                display_name="友だち",
                status=status,
                reply_token=reply_token,
                reply_token_at=utcnow() - token_age if reply_token else None,
            )
            s.add(friend)
        return friend

    async def real_reply_token(self, shop: Shop, friend: Friend, age: timedelta = timedelta(seconds=1)) -> str:
        """The user writes to the account: the emulator issues a reply token, which we store as intake would."""
        response = await self.control.post(
            f"/_control/channels/{shop.channel_id}/users/{friend.line_user_id}/text", json={"text": "こんにちは"}
        )
        assert response.status_code == 200, response.text
        token = response.json()["event"]["replyToken"]
        await self.set_token(friend, token, utcnow() - age)
        return str(token)

    async def set_token(self, friend: Friend, token: str | None, at: datetime | None) -> None:
        async with self.db.transaction() as s:
            await s.execute(update(Friend).where(Friend.id == friend.id).values(reply_token=token, reply_token_at=at))

    async def deliveries(self, shop: Shop, friend: Friend) -> list[dict[str, Any]]:
        response = await self.control.get(
            f"/_control/channels/{shop.channel_id}/users/{friend.line_user_id}/deliveries"
        )
        assert response.status_code == 200, response.text
        return list(response.json()["deliveries"])

    async def faults(self, **body: Any) -> None:
        response = await self.control.put("/_control/faults", json=body)
        assert response.status_code == 200, response.text

    async def quota(self, shop: Shop, limit: int | None, consumption: int | None = None) -> None:
        response = await self.control.put(
            f"/_control/channels/{shop.channel_id}/quota", json={"limit": limit, "consumption": consumption}
        )
        assert response.status_code == 200, response.text

    async def row(self, request_id: int) -> LineRequest:
        async with self.db.session() as s:
            row = await s.get(LineRequest, request_id)
            assert row is not None
            return row

    async def make_due(self, request_id: int) -> None:
        """Move a retry's or a lease's time to now (instead of waiting for the backoff)."""
        async with self.db.transaction() as s:
            await s.execute(
                update(LineRequest)
                .where(LineRequest.id == request_id)
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )

    async def deliver(self, request_id: int, gateway: LineGateway | None = None) -> str:
        return await deliver(self.db, gateway or self.gateway, request_id, config=self.outbox)

    async def workspace(self, shop: Shop) -> Workspace:
        async with self.db.session() as s:
            ws = await s.scalar(select(Workspace).where(Workspace.id == shop.workspace.id))
            assert ws is not None
            return ws

    def make_gateway(self, **config: Any) -> LineGateway:
        values = {"timeout": 5.0, "retry_base": 0.0, "retry_cap": 0.0, **config}
        return LineGateway(
            self.settings, limiter=NoRateLimiter(RateLimitSettings(enabled=False)), config=GatewaySettings(**values)
        )


@pytest.fixture
async def world(env: Env) -> AsyncIterator[World]:
    # These tests run delivery and the sweeper themselves. The app's own job runner would sweep the same rows
    # every 10 s towards its own (embedded) LINE URL and race them, so it is stopped (close is idempotent).
    await env.app.state["enishi"].jobs.close()
    emulator = Emulator(seed=11)
    app = create_emulator_app(emulator, path=PREFIX)
    async with serve(app) as base, httpx.AsyncClient(base_url=base + PREFIX, trust_env=False) as control:
        settings = env.settings.with_changes(line_api_url=base + PREFIX)
        gateway = LineGateway(settings, config=GatewaySettings(timeout=5.0, retry_base=0.0, retry_cap=0.0))
        w = World(env=env, emulator=emulator, url=base + PREFIX, control=control, settings=settings, gateway=gateway)
        try:
            yield w
        finally:
            await gateway.close()
