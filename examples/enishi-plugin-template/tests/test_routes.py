"""The workspace API, mounted the way the core mounts it: ``ctx`` is injected and committed per request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from conftest import World
from enishi_birthday.routes import BirthdayController
from litestar import Litestar
from litestar.di import Provide

from enishi import WorkspaceContext


def app_for(world: World) -> Litestar:
    async def provide_ctx() -> AsyncIterator[WorkspaceContext]:
        ctx = world.context()
        async with ctx.session, ctx.session.begin():
            yield ctx

    return Litestar(route_handlers=[BirthdayController], dependencies={"ctx": Provide(provide_ctx)})


def client_for(world: World) -> httpx.AsyncClient:
    # Litestar's AsyncTestClient runs the app on another thread's event loop, which the pooled asyncpg
    # connections of the fixture's engine cannot follow; httpx's ASGI transport stays on the test's loop.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(world)), base_url="http://test")


async def test_put_then_get(world: World) -> None:
    aoi = world.friends["aoi"]
    async with client_for(world) as client:
        assert (await client.get(f"/birthdays/{aoi}")).json() == {"friend_id": aoi, "birthday": None}
        put = await client.put(f"/birthdays/{aoi}", json={"birthday": "1990-04-01"})
        assert put.status_code == 200, put.text
        assert (await client.get(f"/birthdays/{aoi}")).json() == {"friend_id": aoi, "birthday": "1990-04-01"}
        assert (await client.delete(f"/birthdays/{aoi}")).status_code == 204
        assert (await client.get(f"/birthdays/{aoi}")).json()["birthday"] is None


async def test_invalid_dates_are_400(world: World) -> None:
    aoi = world.friends["aoi"]
    async with client_for(world) as client:
        for body in ({"birthday": "1990-02-30"}, {"birthday": "2999-01-01"}, {"birthday": 19900401}, {}):
            response = await client.put(f"/birthdays/{aoi}", json=body)
            assert response.status_code == 400, (body, response.text)


async def test_friends_of_other_workspaces_are_404(world: World) -> None:
    async with client_for(world) as client:
        for friend_id in (world.stranger, 999_999):
            assert (await client.get(f"/birthdays/{friend_id}")).status_code == 404
            put = await client.put(f"/birthdays/{friend_id}", json={"birthday": "1990-04-01"})
            assert put.status_code == 404
            assert (await client.delete(f"/birthdays/{friend_id}")).status_code == 404
