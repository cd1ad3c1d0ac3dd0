"""The workspace API as the app serves it: a signed-in staff member, the plugin's permission, 404 across workspaces."""

from __future__ import annotations

import httpx
import pytest
from conftest import World


def url(world: World, friend_id: int) -> str:
    return world.workspace.url(f"/birthday/birthdays/{friend_id}")


async def test_put_then_get(world: World, enishi_client: httpx.AsyncClient) -> None:
    aoi = world.friends["aoi"]
    assert (await enishi_client.get(url(world, aoi))).json() == {"friend_id": aoi, "birthday": None}
    put = await enishi_client.put(url(world, aoi), json={"birthday": "1990-04-01"})
    assert put.status_code == 200, put.text
    assert (await enishi_client.get(url(world, aoi))).json() == {"friend_id": aoi, "birthday": "1990-04-01"}
    assert (await enishi_client.delete(url(world, aoi))).status_code == 204
    assert (await enishi_client.get(url(world, aoi))).json()["birthday"] is None


async def test_invalid_dates_are_refused(world: World, enishi_client: httpx.AsyncClient) -> None:
    aoi = world.friends["aoi"]
    for body in ({"birthday": "1990-02-30"}, {"birthday": "2999-01-01"}, {"birthday": 19900401}, {}):
        response = await enishi_client.put(url(world, aoi), json=body)
        assert response.status_code in (400, 422), (body, response.text)


async def test_friends_of_other_workspaces_are_404(world: World, enishi_client: httpx.AsyncClient) -> None:
    for friend_id in (world.stranger, 999_999):
        assert (await enishi_client.get(url(world, friend_id))).status_code == 404
        put = await enishi_client.put(url(world, friend_id), json={"birthday": "1990-04-01"})
        assert put.status_code == 404
        assert (await enishi_client.delete(url(world, friend_id))).status_code == 404


@pytest.mark.enishi_role("viewer")
async def test_viewers_read_but_do_not_change(world: World, enishi_client: httpx.AsyncClient) -> None:
    aoi = world.friends["aoi"]
    assert (await enishi_client.get(url(world, aoi))).status_code == 200
    assert (await enishi_client.put(url(world, aoi), json={"birthday": "1990-04-01"})).status_code == 403


async def test_the_settings_pages_list_add_and_remove(world: World, enishi_client: httpx.AsyncClient) -> None:
    """The routes the Resource (screens.py) names: POST to the list adds, the list pages by friend, DELETE removes."""
    birthdays = world.workspace.url("/birthday/birthdays")
    for name, day in (("aoi", "1990-04-01"), ("ren", "1985-12-24")):
        added = await enishi_client.post(birthdays, json={"friend_id": world.friends[name], "birthday": day})
        assert added.status_code == 201, added.text
    listed = (await enishi_client.get(birthdays)).json()
    assert listed == {
        "items": [
            {"friend_id": world.friends["aoi"], "display_name": "aoi", "birthday": "1990-04-01"},
            {"friend_id": world.friends["ren"], "display_name": "ren", "birthday": "1985-12-24"},
        ],
        "next": None,
    }
    after_aoi = (await enishi_client.get(birthdays, params={"after": world.friends["aoi"]})).json()
    assert [row["display_name"] for row in after_aoi["items"]] == ["ren"]
    refused = await enishi_client.post(birthdays, json={"friend_id": world.stranger, "birthday": "1990-04-01"})
    assert refused.status_code == 404
    assert (await enishi_client.post(birthdays, json={"friend_id": world.friends["aoi"]})).status_code == 400
    assert (await enishi_client.delete(url(world, world.friends["aoi"]))).status_code == 204
    assert [row["display_name"] for row in (await enishi_client.get(birthdays)).json()["items"]] == ["ren"]
