"""The card page behind a signed, expiring link: renders with SVG barcode and QR; forged or expired links 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from enishi_member_cards import links

from enishi import run_action
from enishi.jobs.workspace_state import workspace_context, workspace_state
from tests.plugins.member_cards.helpers import design, issue, url
from tests.scenarios.conftest import World


async def test_card_page_renders_and_refuses_forged_or_expired_links(world: World) -> None:
    await design(world, logo_url="https://example.com/logo.png")
    response = await world.client.get(url(world, f"/cards/{world.friends['aoi']}/link"))
    assert response.status_code == 404
    too_long = await world.client.get(url(world, f"/cards/{world.friends['aoi']}/link"), params={"minutes": 10**6})
    assert too_long.status_code == 400
    await issue(world, "aoi")
    await world.client.post(url(world, "/points"), json={"member_number": "EN000001", "delta": 120, "stamps": 3})
    response = await world.client.get(url(world, f"/cards/{world.friends['aoi']}/link"), params={"minutes": 60})
    assert response.status_code == 200, response.text
    link = response.json()["url"]
    path = "/p/" + link.split("/p/", 1)[1]
    anonymous = world.env.new_client()  # the friend: no staff session

    page = await anonymous.get(path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert text.count("<svg") == 2  # Code128 and QR
    assert "<?xml" not in text
    assert "EN000001" in text and "120 pt" in text and "シルバー" in text and "3 個" in text
    assert "aoi 様" in text and "https://example.com/logo.png" in text
    assert '<p class="shop">縁カフェ</p>' in text  # the shop's name
    assert (await anonymous.get(path)).status_code == 200  # opening the link again is fine: the page only shows
    assert (await anonymous.post(path)).status_code == 405  # and it offers no change

    token = path.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    other = links.sign(
        ("x" * 43 + "=",), world.workspace_id, world.friends["aoi"], datetime.now(UTC), timedelta(hours=1)
    )
    ren_payload = links.sign(
        world.env.settings.secret_keys, world.workspace_id, world.friends["ren"], datetime.now(UTC), timedelta(hours=1)
    ).split(".")[0]
    expired = links.sign(
        world.env.settings.secret_keys,
        world.workspace_id,
        world.friends["aoi"],
        datetime.now(UTC) - timedelta(hours=2),
        timedelta(hours=1),
    )
    for bad in [f"{payload}.{flipped}", other, f"{ren_payload}.{signature}", expired, "garbage", payload]:
        refused = await anonymous.get(f"/p/member_cards/card/{bad}")
        assert refused.status_code == 403, bad
        assert "リンクが無効です" in refused.text and "EN000001" not in refused.text

    # A valid link to a friend without a card, or where the plugin was switched off: 404, nothing shown.
    ren = links.sign(
        world.env.settings.secret_keys, world.workspace_id, world.friends["ren"], datetime.now(UTC), timedelta(hours=1)
    )
    assert (await anonymous.get(f"/p/member_cards/card/{ren}")).status_code == 404
    off = await world.client.put(f"/api/workspaces/{world.workspace_id}/plugins/member_cards", json={"enabled": False})
    assert off.status_code == 200, off.text
    gone = await anonymous.get(path)
    assert gone.status_code == 404 and "EN000001" not in gone.text


async def test_send_card_link_action(world: World) -> None:
    await design(world)
    async with world.db.transaction(world.workspace_id) as session:
        job = world.job_context()
        ctx = workspace_context(job, session, world.workspace_id, await workspace_state(job, world.workspace_id))
        result = await run_action(
            ctx,
            "member_cards.send_card_link",
            None,
            world.friends["aoi"],
            {"text": "会員証はこちら", "minutes": 30},
            idempotency_key="send-1",
            source="scenario",
        )
    assert result["member_number"] == "EN000001"  # issued on the way
    [sent] = [r for r in await world.sends() if r.id == result["line_request_id"]]
    text = sent.messages[0]["text"]
    assert text.startswith("会員証はこちら\n")
    path = "/p/" + text.split("/p/", 1)[1]
    page = await world.env.new_client().get(path)
    assert page.status_code == 200 and "EN000001" in page.text
