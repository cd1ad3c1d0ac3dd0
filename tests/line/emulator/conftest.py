"""Fixtures: an emulator served by a real uvicorn server under the ``/emulator`` prefix (the SDK's aiohttp client
needs a socket), a webhook receiver that records what it gets, and the official SDK pointed at the emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration
from litestar import Litestar

from enishi_line_emulator import Emulator, SimUser, create_emulator_router
from tests.live_server import serve

CHANNEL_ID = "1657000001"
SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "emulator-test-token-" + "x" * 20
PREFIX = "/emulator"


class Slot:
    """An ASGI app whose target is swapped per test, so that one server per session serves every test."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny webhook receiver (raw ASGI) that records the raw body and headers of every POST."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Received(headers, body))
        if self.delay:
            await asyncio.sleep(self.delay)
        await send(
            {"type": "http.response.start", "status": self.status, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})


@dataclass
class Line:
    """The emulator, served; ``host`` is what the SDK's ``Configuration(host=...)`` gets."""

    emulator: Emulator
    base: str
    receiver: Receiver

    @property
    def host(self) -> str:
        return self.base + PREFIX

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.host, headers={"authorization": f"Bearer {TOKEN}"}, trust_env=False)

    def friend(self, name: str | None = None) -> SimUser:
        return self.emulator.add_user(CHANNEL_ID, name, following=True)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator(seed=7)
    try:
        yield emu
    finally:
        await emu.aclose()


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[tuple[tuple[Slot, str], tuple[Slot, str]]]:
    """Two servers for the whole session: one for the emulator, one for the webhook receiver."""
    emulator_slot, receiver_slot = Slot(), Slot()
    async with serve(emulator_slot) as emulator_url, serve(receiver_slot) as receiver_url:
        yield (emulator_slot, emulator_url), (receiver_slot, receiver_url)


@pytest.fixture
async def receiver(servers: tuple[tuple[Slot, str], tuple[Slot, str]]) -> Receiver:
    slot, url = servers[1]
    slot.app = rec = Receiver(url=url + "/webhook")
    return rec


@pytest.fixture
async def line(
    emulator: Emulator, receiver: Receiver, servers: tuple[tuple[Slot, str], tuple[Slot, str]]
) -> AsyncIterator[Line]:
    slot, base = servers[0]
    # Mounted under a prefix, as the main app mounts it in embedded mode.
    slot.app = Litestar(route_handlers=[create_emulator_router(emulator, PREFIX)])
    emulator.add_channel(CHANNEL_ID, SECRET, TOKEN, receiver.url)
    yield Line(emulator, base, receiver)


@pytest.fixture
async def api(line: Line) -> AsyncIterator[AsyncMessagingApi]:
    async with AsyncApiClient(Configuration(host=line.host, access_token=TOKEN)) as client:
        yield AsyncMessagingApi(client)


@pytest.fixture
async def blob_api(line: Line) -> AsyncIterator[AsyncMessagingApiBlob]:
    async with AsyncApiClient(Configuration(host=line.host, access_token=TOKEN)) as client:
        yield AsyncMessagingApiBlob(client)
