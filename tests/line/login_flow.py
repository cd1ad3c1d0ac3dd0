"""LINE Login end to end: a live server with the embedded emulator, a workspace with a LINE Login channel set
through the API, and a browser that goes through LINE's consent page the way a person does (over HTTP only)."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import select

from enishi import Friend
from enishi.app import create_app
from enishi.line.embedded import emulator_of, register_channels
from enishi_line_emulator import Emulator
from tests.conftest import PASSWORD, Env, make_host, settings_for
from tests.live_server import listening_socket, serve

T = TypeVar("T")
AUTHORIZE = "/emulator/oauth2/v2.1/authorize"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


async def until(check: Callable[[], Awaitable[T]], seconds: float = 30) -> T:
    """Wait for a condition (the app processes webhooks in the background), without a tight deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


@dataclass
class LoginShop:
    env: Env
    staff: httpx.AsyncClient
    workspace_id: int
    channel_id: str  # the Messaging API channel
    login_channel_id: str
    login_secret: str
    emulator: Emulator
    browsers: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.env.settings.public_url

    def ws(self, path: str = "") -> str:
        return f"/api/workspaces/{self.workspace_id}{path}"

    def browser(self, *, follow: bool = True) -> httpx.AsyncClient:
        """A browser in which the workspace's staff member is signed in: inside the app the emulator's consent page
        (where a simulated LINE user is picked) is theirs, like its simulator."""
        client = httpx.AsyncClient(
            base_url=self.base, follow_redirects=follow, timeout=30, cookies=httpx.Cookies(self.staff.cookies)
        )
        self.browsers.append(client)
        return client

    async def friend_id(self, line_user_id: str) -> int | None:
        async with self.env.db.session(self.workspace_id) as s:
            return await s.scalar(select(Friend.id).where(Friend.line_user_id == line_user_id))

    async def new_friend(self, name: str) -> tuple[str, int]:
        """A LINE user who adds the account (the real follow webhook); returns (LINE user id, friend id)."""
        user = self.emulator.add_user(self.channel_id, name)
        await self.emulator.follow(self.channel_id, user.user_id)
        friend = await until(lambda: self.friend_id(user.user_id))
        assert friend is not None
        return user.user_id, friend

    async def set_id_token_fault(self, fault: str | None) -> None:
        response = await self.staff.put(  # the emulator's control API is for the workspace's staff
            f"/emulator/_control/login-channels/{self.login_channel_id}/id-token-fault", json={"fault": fault}
        )
        assert response.status_code == 200, response.text


def consent_form(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of the emulator's consent page (what LINE's page would post back)."""
    assert page.status_code == 200, page.text
    assert page.url.path == AUTHORIZE, page.url
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}


async def log_in(
    browser: httpx.AsyncClient,
    url: str,
    user_id: str,
    *,
    add_friend: bool = False,
    decision: str = "allow",
) -> httpx.Response:
    """Open ``url`` (which leads to LINE Login), pick the LINE user on the consent page and answer it; with a
    browser that follows redirects the answer is the page the callback ends on, otherwise LINE's 302."""
    page = await browser.get(url)
    if not browser.follow_redirects:
        assert page.status_code == 302, page.text
        page = await browser.get(page.headers["location"])
    form = consent_form(page)
    assert form["bot_prompt"] == "aggressive" and form["scope"] == "openid profile"
    form.update(user_id=user_id, decision=decision)
    if add_friend:
        form["add_friend"] = "true"
    return await browser.post(AUTHORIZE, data=form)


@asynccontextmanager
async def login_shop(database_url: str, tmp_path: Path, **env: str) -> AsyncIterator[LoginShop]:
    sock = listening_socket()
    port = sock.getsockname()[1]
    settings = settings_for(
        tmp_path, database_url, ENISHI_PUBLIC_URL=f"http://127.0.0.1:{port}", ENISHI_EMULATOR="true", **env
    )
    host = make_host(settings)
    app = create_app(settings, host)
    async with serve(app, lifespan="on", sock=sock):
        client = httpx.AsyncClient(base_url=settings.public_url, timeout=30)
        live = Env(settings=settings, host=host, db=app.state["enishi"].db, app=app, client=client)
        owner = await live.user(f"owner-{uuid.uuid4().hex[:8]}@shop.example")
        workspace = await live.workspace(await live.agency(owner=owner), "縁カフェ", members={owner: "owner"})
        emulator = emulator_of(app.state)
        assert emulator is not None
        await register_channels(app.state["enishi"], emulator)
        staff = httpx.AsyncClient(base_url=settings.public_url, timeout=30)
        login = await staff.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        staff.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        login_channel_id = str(1_000_000_000 + uuid.uuid4().int % 8_999_999_999)
        login_secret = secrets.token_hex(16)
        response = await staff.patch(
            f"/api/workspaces/{workspace.id}",
            json={"login_channel_id": login_channel_id, "login_channel_secret": login_secret},
        )
        assert response.status_code == 200, response.text
        assert response.json()["line_login_channel_id"] == login_channel_id
        shop = LoginShop(live, staff, workspace.id, workspace.line_channel_id, login_channel_id, login_secret, emulator)
        try:
            yield shop
        finally:
            for c in [client, staff, *shop.browsers, *live.clients]:
                await c.aclose()
