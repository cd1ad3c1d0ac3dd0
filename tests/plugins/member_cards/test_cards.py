"""Designs, member numbers, issuing (on demand and on follow), point changes with history and refusals."""

from __future__ import annotations

from tests.plugins.member_cards.helpers import design, issue, points, url
from tests.scenarios.conftest import World


async def test_design_numbers_and_issue(world: World) -> None:
    shown = (await world.client.get(url(world, "/design"))).json()
    assert shown["number_digits"] == 8 and shown["allow_negative"] is False
    await design(world)
    aoi = await issue(world, "aoi")
    assert (aoi["member_number"], aoi["points"], aoi["rank"]) == ("EN000001", 0, "レギュラー")
    again = await world.client.post(url(world, "/cards"), json={"friend_id": world.friends["aoi"]})
    assert again.json()["issued"] is False and again.json()["card"]["member_number"] == "EN000001"
    assert (await issue(world, "ren"))["member_number"] == "EN000002"
    found = await world.client.get(url(world, "/cards"), params={"member_number": "EN000002"})
    assert found.json()["friend_id"] == world.friends["ren"]
    assert (await world.client.get(url(world, f"/cards/{world.friends['yui']}"))).status_code == 404
    # Another workspace knows nothing of these numbers.
    other = url(world, "/points", world.other_workspace_id)
    response = await world.client.post(other, json={"member_number": "EN000001", "delta": 5})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.member_number"

    # Bad input, each with the path of the field.
    duplicate = await world.client.put(
        url(world, "/design"),
        json={"name": "会員証", "ranks": [{"name": "A", "threshold": 0}, {"name": "B", "threshold": 0}]},
    )
    assert duplicate.status_code == 422
    assert [e["path"] for e in duplicate.json()["errors"]] == ["$.ranks[1].threshold"]
    colour = await world.client.put(url(world, "/design"), json={"name": "会員証", "background_color": "red"})
    assert colour.status_code == 400 and colour.json()["errors"][0]["path"] == "$.background_color"
    prefix = await world.client.put(url(world, "/design"), json={"name": "会員証", "number_prefix": "<x>"})
    assert prefix.status_code == 400 and prefix.json()["errors"][0]["path"] == "$.number_prefix"
    logo = await world.client.put(url(world, "/design"), json={"name": "会員証", "logo_url": "javascript:alert(1)"})
    assert logo.status_code == 400 and logo.json()["errors"][0]["path"] == "$.logo_url"
    unknown = await world.client.post(url(world, "/cards"), json={"friend_id": 999_999})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "$.friend_id"


async def test_follow_issues_a_card_once(world: World) -> None:
    await design(world)
    await world.emit("core.friend_followed", world.friends["aoi"], unblocked=False)
    await world.emit("core.friend_followed", world.friends["aoi"], unblocked=True)
    card = (await world.client.get(url(world, f"/cards/{world.friends['aoi']}"))).json()
    assert card["member_number"] == "EN000001"
    assert (await issue(world, "ren"))["member_number"] == "EN000002"  # no number was spent on the repeat
    await design(world, issue_on_follow=False)
    await world.emit("core.friend_followed", world.friends["yui"], unblocked=False)
    assert (await world.client.get(url(world, f"/cards/{world.friends['yui']}"))).status_code == 404
    # Another workspace knows nothing of these numbers.
    other = url(world, "/points", world.other_workspace_id)
    response = await world.client.post(other, json={"member_number": "EN000001", "delta": 5})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "$.member_number"

    # Bad input, each with the path of the field.
    duplicate = await world.client.put(
        url(world, "/design"),
        json={"name": "会員証", "ranks": [{"name": "A", "threshold": 0}, {"name": "B", "threshold": 0}]},
    )
    assert duplicate.status_code == 422
    assert [e["path"] for e in duplicate.json()["errors"]] == ["$.ranks[1].threshold"]
    colour = await world.client.put(url(world, "/design"), json={"name": "会員証", "background_color": "red"})
    assert colour.status_code == 400 and colour.json()["errors"][0]["path"] == "$.background_color"
    prefix = await world.client.put(url(world, "/design"), json={"name": "会員証", "number_prefix": "<x>"})
    assert prefix.status_code == 400 and prefix.json()["errors"][0]["path"] == "$.number_prefix"
    logo = await world.client.put(url(world, "/design"), json={"name": "会員証", "logo_url": "javascript:alert(1)"})
    assert logo.status_code == 400 and logo.json()["errors"][0]["path"] == "$.logo_url"
    unknown = await world.client.post(url(world, "/cards"), json={"friend_id": 999_999})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "$.friend_id"


async def test_points_history_ranks_and_refusals(world: World) -> None:
    await design(world)
    await issue(world, "aoi")
    added = await points(world, member_number="EN000001", delta=150, stamps=2, reason="来店")
    assert added.status_code == 200, added.text
    body = added.json()
    assert (body["card"]["points"], body["card"]["rank"], body["rank_changed"]) == (150, "シルバー", True)
    assert body["previous_rank"] == "レギュラー"

    too_much = await points(world, member_number="EN000001", delta=-151, reason="交換")
    assert too_much.status_code == 422
    assert [e["path"] for e in too_much.json()["errors"]] == ["$.delta"]
    stamps = await points(world, friend_id=world.friends["aoi"], stamps=-3)
    assert stamps.status_code == 422 and stamps.json()["errors"][0]["path"] == "$.stamps"
    card = (await world.client.get(url(world, f"/cards/{world.friends['aoi']}"))).json()
    assert (card["points"], card["stamps"]) == (150, 2)  # nothing changed

    spent = await points(world, friend_id=world.friends["aoi"], delta=-150, reason="交換")
    assert spent.json()["card"]["points"] == 0 and spent.json()["card"]["rank"] == "レギュラー"
    history = (await world.client.get(url(world, f"/cards/{world.friends['aoi']}/history"))).json()
    assert [(h["points_delta"], h["points_after"], h["reason"]) for h in history] == [
        (-150, 0, "交換"),
        (150, 150, "来店"),
    ]

    for body, path in [
        ({"member_number": "EN000001", "delta": 0}, "$.delta"),
        ({"member_number": "EN000001", "friend_id": world.friends["aoi"], "delta": 1}, "$.member_number"),
        ({"delta": 1}, "$.member_number"),
        ({"member_number": "NOPE", "delta": 1}, "$.member_number"),
        ({"friend_id": world.friends["ren"], "delta": 1}, "$.friend_id"),  # no card yet
    ]:
        refused = await points(world, **body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["path"] == path, body
    wrong_type = await points(world, member_number="EN000001", delta=2_000_000_000)
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["path"] == "$.delta"

    await design(world, allow_negative=True)
    owed = await points(world, member_number="EN000001", delta=-20)
    assert owed.status_code == 200 and owed.json()["card"]["points"] == -20 and owed.json()["card"]["rank"] is None
