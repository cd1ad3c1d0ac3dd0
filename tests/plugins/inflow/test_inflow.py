"""The inflow plugin through the real API: routes with checked actions, QR codes, the public page, attribution
by a sent code, the report, the ``came_from`` condition in a segment, and 404s where the plugin is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from enishi_inflow.models import FirstRoute, Visit
from sqlalchemy import select

from enishi import ApiError, Friend, ReportResult, WorkspaceContext
from tests.plugins.inflow.conftest import InflowWorld
from tests.scenarios.conftest import document, edge, node


def paths(response: Any) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


async def test_route_crud_checks_actions_and_serves_qr_codes(world: InflowWorld) -> None:
    tag = await world.tag("チラシ")
    bad = await world.client.post(
        world.url("/routes"),
        json={
            "name": "チラシ",
            "actions": [
                {"type": "tags.add_tag", "config": {"tag_ids": [tag]}},
                {"type": "tags.add_tag", "config": {"tag_ids": [999_999]}},
                {"type": "nope.nothing", "config": {}},
                {"type": "tags.add_tag", "config": {"tag_ids": "x"}},
            ],
        },
    )
    assert bad.status_code == 422, bad.text
    assert paths(bad) == [
        "$.actions[1].config.tag_ids[0]",
        "$.actions[2].config",
        "$.actions[3].config.tag_ids",
    ]
    for body in ({"name": ""}, {"name": "x", "mode": "sometimes"}, {"name": "x", "actions": [{"config": {}}]}):
        response = await world.client.post(world.url("/routes"), json=body)
        assert response.status_code == 400, (body, response.text)

    route = await world.route(
        folder="紙", mode="first_time", actions=[{"type": "tags.add_tag", "config": {"tag_ids": [tag]}}]
    )
    assert route["url"].endswith(f"/p/inflow/r/{route['code']}") and len(route["code"]) >= 20
    other = await world.route(name="店頭POP")
    assert other["code"] != route["code"]
    listed = (await world.client.get(world.url("/routes"))).json()
    assert [r["name"] for r in listed] == ["店頭POP", "チラシ"]
    assert [r["name"] for r in (await world.client.get(world.url("/routes?folder=紙"))).json()] == ["チラシ"]

    patched = await world.client.patch(world.url(f"/routes/{route['id']}"), json={"name": "チラシ春", "mode": "every"})
    assert patched.status_code == 200 and patched.json()["mode"] == "every"
    bad_patch = await world.client.patch(
        world.url(f"/routes/{route['id']}"), json={"actions": [{"type": "tags.add_tag", "config": {"tag_ids": [0]}}]}
    )
    assert bad_patch.status_code == 422 and paths(bad_patch) == ["$.actions[0].config.tag_ids[0]"]

    png = await world.client.get(world.url(f"/routes/{route['id']}/qr.png"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and "attachment" in png.headers["content-disposition"]
    svg = await world.client.get(world.url(f"/routes/{route['id']}/qr.svg"))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content

    # Another workspace's route is not found, here or there.
    theirs = await world.route(world.other_workspace_id, name="よそ")
    assert (await world.client.get(world.url(f"/routes/{theirs['id']}"))).status_code == 404
    assert (await world.client.delete(world.url(f"/routes/{route['id']}"))).status_code == 204
    assert (await world.client.get(world.url(f"/routes/{route['id']}"))).status_code == 404


async def test_visit_and_sent_code_attribute_the_friend_and_run_actions(world: InflowWorld) -> None:
    once, every = await world.tag("初回"), await world.tag("毎回")
    first_time = await world.route(
        name="チラシ", mode="first_time", actions=[{"type": "tags.add_tag", "config": {"tag_ids": [once]}}]
    )
    each = await world.route(name="POP", actions=[{"type": "tags.add_tag", "config": {"tag_ids": [every]}}])
    aoi = world.friends["aoi"]

    response = await world.client.put(
        world.ws("/plugins/inflow"), json={"enabled": True, "settings": {"basic_id": "@enishi"}}
    )
    assert response.status_code == 200, response.text
    browser = world.env.new_client()
    ref = await world.visit(first_time, browser)
    page = await browser.get(f"/p/inflow/r/{first_time['code']}")  # a reload is the same visit
    assert f"#{ref}" in page.text
    # The page speaks the shop's language and shows the shop's name, not the route's internal one.
    assert "<h1>店舗1</h1>" in page.text and "チラシ" not in page.text
    assert " / " not in page.text and "Add friend" not in page.text
    if world.env.app.state["enishi"].settings.emulator:
        assert "/emulator/simulator" in page.text
    else:
        assert "https://line.me/R/ti/p/%40enishi" in page.text
        assert f"https://line.me/R/oaMessage/%40enishi/?%23{ref}" in page.text

    await world.say("aoi", "こんにちは")  # not a code: nothing happens
    await world.say("aoi", f"#{ref.lower()}")
    assert once in await world.tags_of(aoi)

    # The same friend through the same first-time route again: the visit is stored, the actions do not run.
    await world.client.delete(world.ws(f"/tags/friends/{aoi}/{once}"))
    assert once not in await world.tags_of(aoi)
    await world.say("aoi", "#" + await world.visit(first_time))
    assert once not in await world.tags_of(aoi)
    await world.say("aoi", f"#{ref}")  # an attributed code is spent

    # An every-visit route runs each time; the first route stays the first.
    for _ in range(2):
        await world.client.delete(world.ws(f"/tags/friends/{aoi}/{every}"))
        await world.say("aoi", "#" + await world.visit(each))
        assert every in await world.tags_of(aoi)

    async def stored(ctx: WorkspaceContext) -> tuple[list[tuple[int, int | None]], list[tuple[int, int]]]:
        visits = (await ctx.session.execute(select(Visit.route_id, Visit.friend_id).order_by(Visit.id))).all()
        firsts = (await ctx.session.execute(select(FirstRoute.friend_id, FirstRoute.route_id))).all()
        return [tuple(v) for v in visits], [tuple(f) for f in firsts]  # type: ignore[misc]

    # The browser that sent a code earlier belongs to a known friend: a new visit is theirs at once.
    await world.client.delete(world.ws(f"/tags/friends/{aoi}/{every}"))
    page = await browser.get(f"/p/inflow/r/{each['code']}")
    assert page.status_code == 200 and 'id="welcome"' in page.text and 'id="ref"' not in page.text
    assert every in await world.tags_of(aoi)

    visits, firsts = await world.context_call(stored)
    a, b = first_time["id"], each["id"]
    assert visits == [(a, aoi), (a, aoi), (b, aoi), (b, aoi), (b, aoi)]
    assert firsts == [(aoi, first_time["id"])]
    # aoi followed before ever opening the routes: visits, but nobody's follow came through them.
    listed = {r["id"]: r for r in (await world.client.get(world.url("/routes"))).json()}
    assert (listed[first_time["id"]]["visits"], listed[first_time["id"]]["new_friends"]) == (2, 0)


async def follows_now(world: InflowWorld, name: str) -> None:
    """The friend adds the account now (after the visits so far): their follow came through the route."""
    async with world.env.db.transaction(world.workspace_id) as s:
        (await s.get_one(Friend, world.friends[name])).followed_at = datetime.now(UTC)


async def test_report_counts_and_came_from_in_a_segment(world: InflowWorld) -> None:
    buyer = await world.tag("購入者")
    flyer, pop = await world.route(name="チラシ"), await world.route(name="POP")
    for name in ("aoi", "ren"):
        ref = await world.visit(flyer)
        await follows_now(world, name)
        await world.say(name, f"#{ref}")
    await world.visit(flyer)  # never attributed
    ref = await world.visit(pop)
    await follows_now(world, "yui")
    await world.say("yui", f"#{ref}")
    await world.say("yui", "#" + await world.visit(flyer))  # a later visit: yui's first route stays POP
    # A friend since before the routes opens the flyer's URL: a visit, not a new friend of the flyer.
    async with world.env.db.transaction(world.workspace_id) as s:
        regular = Friend(
            line_user_id="Uregular", display_name="常連", followed_at=datetime.now(UTC) - timedelta(days=3)
        )
        s.add(regular)
        await s.flush()
        world.friends["regular"] = regular.id
    await world.say("regular", "#" + await world.visit(flyer))
    await world.client.put(world.ws(f"/tags/friends/{regular.id}/{buyer}"))  # converts, but not through the flyer
    tagged = await world.client.put(world.ws(f"/tags/friends/{world.friends['aoi']}/{buyer}"))
    assert tagged.status_code == 200, tagged.text
    async with world.env.db.transaction(world.workspace_id) as s:
        ren = await s.get_one(Friend, world.friends["ren"])
        ren.status, ren.blocked_at = "blocked", datetime.now(UTC)

    async def report(ctx: WorkspaceContext, **params: Any) -> ReportResult:
        entry = ctx.host.registry.usable("reports", "inflow.routes", None, ctx.enabled_plugins)
        result: ReportResult = await entry.item.run(ctx, params)
        return result

    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    params = {
        "period": "month",
        "from": (today - timedelta(days=1)).isoformat(),
        "to": today.isoformat(),
        "conversion": {"type": "tags.has_tags", "config": {"tag_ids": [buyer], "match": "all"}},
    }
    result = await world.context_call(lambda ctx: report(ctx, **params))
    totals: dict[str, dict[str, int]] = {}
    for row in result.rows:
        t = totals.setdefault(row["route"], {"visits": 0, "new_friends": 0, "blocks": 0, "conversions": 0})
        for k in t:
            t[k] += row[k]
    assert totals["チラシ"] == {"visits": 5, "new_friends": 2, "blocks": 1, "conversions": 1}
    assert totals["POP"] == {"visits": 1, "new_friends": 1, "blocks": 0, "conversions": 0}
    assert {s.key for s in result.series} >= {"visits", "new_friends", "blocks", "conversions"}
    assert sum(v for _, v in next(s for s in result.series if s.key == "visits").points) == 6
    listed = {r["name"]: r for r in (await world.client.get(world.url("/routes"))).json()}
    assert (listed["チラシ"]["visits"], listed["チラシ"]["new_friends"]) == (5, 2)
    shown = await world.client.get(world.url(f"/routes/{flyer['id']}"))
    assert (shown.json()["visits"], shown.json()["new_friends"]) == (5, 2)

    daily = await world.context_call(lambda ctx: report(ctx, **{**params, "period": "day"}))
    assert [r["period"] for r in daily.rows if r["route"] == "POP"] == [
        (today - timedelta(days=1)).isoformat(),
        today.isoformat(),
    ]

    # A deleted tag in the conversion condition is a 422 with its path under the parameters.
    try:
        await world.context_call(
            lambda ctx: report(
                ctx, **{**params, "conversion": {"type": "tags.has_tags", "config": {"tag_ids": [999_999]}}}
            )
        )
    except ApiError as exc:
        assert [e["path"] for e in exc.errors] == ["$.conversion.config.tag_ids[0]"]
    else:
        raise AssertionError("expected a 422")

    async def count(segment: dict[str, Any]) -> Any:
        return await world.client.post(world.ws("/friends/count"), json={"segment": segment, "status": "all"})

    first_flyer = {"all": [{"type": "inflow.came_from", "config": {"route_ids": [flyer["id"]]}}]}
    any_flyer = {"all": [{"type": "inflow.came_from", "config": {"route_ids": [flyer["id"]], "scope": "any"}}]}
    # The condition is about the routes a friend came through, whenever they followed: the regular counts here.
    assert (await count(first_flyer)).json()["count"] == 3
    assert (await count(any_flyer)).json()["count"] == 4
    missing = await count({"all": [{"type": "inflow.came_from", "config": {"route_ids": [flyer["id"], 999_999]}}]})
    assert missing.status_code == 422 and paths(missing) == ["$.segment.all[0].config.route_ids[1]"]


async def test_public_page_is_404_for_a_disabled_plugin_unknown_codes_and_disabled_routes(
    world: InflowWorld,
) -> None:
    route = await world.route()
    browser = world.env.new_client()
    assert (await browser.get("/p/inflow/r/nonexistent-code")).status_code == 404
    assert (await browser.get("/p/inflow/r/" + "x" * 200)).status_code == 404
    off = await world.client.patch(world.url(f"/routes/{route['id']}"), json={"enabled": False})
    assert off.status_code == 200
    assert (await browser.get(f"/p/inflow/r/{route['code']}")).status_code == 404
    await world.client.patch(world.url(f"/routes/{route['id']}"), json={"enabled": True})
    assert (await browser.get(f"/p/inflow/r/{route['code']}")).status_code == 200

    response = await world.client.put(world.ws("/plugins/inflow"), json={"enabled": False})
    assert response.status_code == 200, response.text
    page = await browser.get(f"/p/inflow/r/{route['code']}")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert (await world.client.get(world.url("/routes"))).status_code == 404

    # A code of another workspace is that workspace's: a visit there, none here.
    theirs = await world.route(world.other_workspace_id, name="よそ")
    await world.visit(theirs)

    async def visits(ctx: WorkspaceContext) -> int:
        return len((await ctx.session.scalars(select(Visit.id))).all())

    assert await world.context_call(visits) == 1  # the one visit before the plugin was switched off


async def test_route_entered_starts_a_scenario(world: InflowWorld) -> None:
    welcome = await world.tag("経路から")
    flyer, pop = await world.route(name="チラシ"), await world.route(name="POP")
    start = node("inflow.route_entered", {"route_ids": [flyer["id"]], "first_time_only": True})
    step = node("tags.add_tag", {"tag_ids": [welcome]})
    created = await world.client.post(
        world.ws("/scenarios"), json={"name": "経路", "document": document([start, step], [edge(start, step)])}
    )
    assert created.status_code == 201, created.text
    published = await world.client.post(world.ws(f"/scenarios/{created.json()['scenario']['id']}/publish"))
    assert published.status_code == 200, published.text

    await world.say("ren", "#" + await world.visit(pop))
    await world.settle()
    assert welcome not in await world.tags_of(world.friends["ren"])
    await world.say("ren", "#" + await world.visit(flyer))
    await world.settle()
    assert welcome in await world.tags_of(world.friends["ren"])


async def test_forged_cookies_and_bad_report_periods_are_refused(world: InflowWorld) -> None:
    flyer = await world.route(name="チラシ")
    browser = world.env.new_client()
    await world.say("aoi", "#" + await world.visit(flyer, browser))
    signed = browser.cookies.get("enishi_inflow_visit")
    assert signed is not None
    workspace, visit_id, _mac = signed.split(".")
    # A cookie naming the same visit with a made-up signature is ignored: a fresh, unattributed visit.
    for forged in (f"{workspace}.{visit_id}.{'0' * 32}", f"{workspace}.{visit_id}", "garbage"):
        stranger = world.env.new_client()
        stranger.cookies.set("enishi_inflow_visit", forged)
        page = await stranger.get(f"/p/inflow/r/{flyer['code']}")
        assert page.status_code == 200 and 'id="ref"' in page.text and 'id="welcome"' not in page.text

    async def run(ctx: WorkspaceContext, params: dict[str, Any]) -> list[str]:
        entry = ctx.host.registry.usable("reports", "inflow.routes", None, ctx.enabled_plugins)
        try:
            await entry.item.run(ctx, params)
        except ApiError as exc:
            return [e["path"] for e in exc.errors]
        return []

    backwards = {"from": "2026-02-01", "to": "2026-01-01"}
    too_long = {"from": "2020-01-01", "to": "2026-01-01"}
    assert await world.context_call(lambda ctx: run(ctx, backwards)) == ["$.to"]
    assert await world.context_call(lambda ctx: run(ctx, too_long)) == ["$.to"]
    unknown = {"from": "2026-01-01", "to": "2026-01-31", "conversion": {"type": "nope.none", "config": {}}}
    assert await world.context_call(lambda ctx: run(ctx, unknown)) == ["$.conversion.config"]
