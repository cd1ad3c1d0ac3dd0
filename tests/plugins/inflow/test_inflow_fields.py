"""A friend's first route and route visits as friend data: on the friend's profile and as sortable list columns."""

from __future__ import annotations

from typing import Any

from tests.plugins.inflow.conftest import InflowWorld


def inflow_values(profile: dict[str, Any]) -> dict[str, Any]:
    section = next(s for s in profile["fields"] if s["plugin"] == "inflow")
    return {v["key"]: v["value"] for v in section["values"]}


async def test_first_route_and_visits_on_the_profile_and_in_the_list(world: InflowWorld) -> None:
    flyer = await world.route(name="チラシ")
    poster = await world.route(name="ポスター")
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    await world.say("aoi", "#" + await world.visit(flyer))
    await world.say("aoi", "#" + await world.visit(poster))
    await world.say("ren", "#" + await world.visit(poster))

    profile = (await world.client.get(world.ws(f"/friends/{aoi}"))).json()
    values = inflow_values(profile)
    assert values["first_route"] == "チラシ" and values["visits"] == 2
    assert values["first_route_at"].startswith("20")
    yui = inflow_values((await world.client.get(world.ws(f"/friends/{world.friends['yui']}"))).json())
    assert yui == {"first_route": None, "first_route_at": None, "visits": None}

    columns = (await world.client.get(world.ws("/friends/columns"))).json()["available"]
    offered = {c["id"]: c["sortable"] for c in columns if c["plugin"] == "inflow"}
    assert offered == {f"inflow.routes.{key}": True for key in ("first_route", "first_route_at", "visits")}

    response = await world.client.post(
        world.ws("/friends/search"),
        json={
            "columns": ["inflow.routes.first_route", "inflow.routes.visits"],
            "sort": {"by": "field:inflow.routes.visits", "direction": "desc"},
        },
    )
    assert response.status_code == 200, response.text
    rows = [(r["id"], r["columns"]) for r in response.json()["items"]]
    assert rows[:2] == [
        (aoi, {"inflow.routes.first_route": "チラシ", "inflow.routes.visits": 2}),
        (ren, {"inflow.routes.first_route": "ポスター", "inflow.routes.visits": 1}),
    ]
    assert rows[2][0] == world.friends["yui"]
