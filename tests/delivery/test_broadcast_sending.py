"""Sending broadcasts through the outbox to the emulator: multicast batches of 500 or personalised pushes, once
to each friend; scheduling with a spread, the audience fixed when sending starts; progress; test sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from enishi.delivery.engine import Dispatcher, run_broadcast, start
from enishi.models import Friend, LineRequest
from enishi.models.broadcasts import Broadcast
from tests.delivery.conftest import TEXT, Shop, later, until

TOKYO = ZoneInfo("Asia/Tokyo")


def has(tag: int) -> dict[str, object]:
    return {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [tag], "match": "any"}}]}


async def _requests(shop: Shop, broadcast_id: int) -> list[LineRequest]:
    async with shop.db.session() as s:
        rows = await s.scalars(
            select(LineRequest).where(LineRequest.broadcast_id == broadcast_id).order_by(LineRequest.id)
        )
        return list(rows.all())


async def test_multicast_goes_in_batches_of_500_once_to_every_following_friend(shop: Shop) -> None:
    many = await shop.add_friends(1200)
    made = await shop.send(
        {"name": "週末セール", "messages": [TEXT, {"type": "sticker", "packageId": "446", "stickerId": "1988"}]}
    )
    assert made["delivery"] == "multicast" and made["estimated_recipients"] == 1202
    done = await shop.finished(made["id"])
    assert done["status"] == "completed"
    progress = done["progress"]
    assert (progress["total"], progress["sent"], progress["failed"], progress["remaining"]) == (1202, 1202, 0, 0)
    assert progress["percent"] == 100.0 and progress["estimated_finish_at"] is None

    requests = await _requests(shop, made["id"])
    assert [(r.kind, len(r.recipients), r.status, r.source) for r in requests] == [
        ("multicast", 500, "accepted", "broadcast"),
        ("multicast", 500, "accepted", "broadcast"),
        ("multicast", 202, "accepted", "broadcast"),
    ]
    assert len({r.retry_key for r in requests}) == 3
    for friend in [shop.friends["aoi"], shop.friends["ren"], *many]:
        got = shop.deliveries(friend)
        assert [(d["endpoint"], d["message"]["type"]) for d in got] == [("multicast", "text"), ("multicast", "sticker")]
    assert shop.deliveries(shop.friends["yui"]) == []  # blocked: never targeted

    page = (await shop.client.get(shop.url(f"/{made['id']}/recipients"), params={"limit": 2})).json()
    assert [(r["position"], r["friend_id"], r["status"]) for r in page["items"]] == [
        (1, shop.friends["aoi"], "sent"),
        (2, shop.friends["ren"], "sent"),
    ]
    rest = (
        await shop.client.get(shop.url(f"/{made['id']}/recipients"), params={"after": page["next"], "limit": 200})
    ).json()
    assert rest["items"][0]["position"] == 3 and all(r["sent_at"] for r in rest["items"])


async def test_personalised_messages_go_by_push_with_each_friends_own_values(shop: Shop) -> None:
    base = f"/api/workspaces/{shop.workspace_id}/friend_fields"
    created = await shop.client.post(f"{base}/fields", json={"key": "nickname", "label": "呼び名", "type": "text"})
    assert created.status_code == 201, created.text
    aoi, ren = shop.friends["aoi"], shop.friends["ren"]
    saved = await shop.client.patch(f"{base}/friends/{aoi}", json={"values": {"nickname": "あーちゃん"}})
    assert saved.status_code == 200, saved.text
    text = {"type": "text", "text": "{{field.nickname|お客様}}、{{friend.display_name}}さん宛てのクーポンです"}
    made = await shop.send({"name": "クーポン", "messages": [text]})
    assert made["delivery"] == "push"
    done = await shop.finished(made["id"])
    assert (done["status"], done["progress"]["sent"]) == ("completed", 2)
    assert [(r.kind, r.friend_ids) for r in await _requests(shop, made["id"])] == [("push", [aoi]), ("push", [ren])]
    [to_aoi] = shop.deliveries(aoi)
    [to_ren] = shop.deliveries(ren)
    assert to_aoi["endpoint"] == "push" and to_aoi["message"]["text"] == "あーちゃん、あおい0さん宛てのクーポンです"
    assert to_ren["message"]["text"] == "お客様、れん0さん宛てのクーポンです"


async def test_a_scheduled_send_waits_spread_out_and_takes_its_audience_when_it_starts(shop: Shop) -> None:
    aoi, ren = shop.friends["aoi"], shop.friends["ren"]
    vip = await shop.tag("VIP", [aoi])
    wall_clock = later(days=2)
    made = await shop.send(
        {"name": "予約配信", "messages": [TEXT], "target": {"segment": has(vip)}, "scheduled_at": wall_clock}
    )
    assert made["status"] == "scheduled" and made["estimated_recipients"] == 1
    scheduled = datetime.fromisoformat(made["scheduled_at"].replace("Z", "+00:00"))
    assert scheduled == datetime.fromisoformat(wall_clock).replace(tzinfo=TOKYO)  # the workspace's time zone
    send_at = datetime.fromisoformat(made["send_at"].replace("Z", "+00:00"))
    assert scheduled <= send_at <= scheduled + timedelta(seconds=120)
    assert made["send_at_local"].endswith("+09:00") and made["audience_fixed"] == "when_sending_starts"

    # Several broadcasts set for the same minute do not all start in the same second.
    starts = set()
    for n in range(5):
        other = await shop.send({"name": f"同時刻{n}", "messages": [TEXT], "scheduled_at": wall_clock})
        starts.add(other["send_at"])
        assert (await shop.client.post(shop.url(f"/{other['id']}/cancel"))).status_code == 200
    assert len(starts) == 5
    instant = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    aware = await shop.send({"name": "UTC指定", "messages": [TEXT], "scheduled_at": instant.isoformat()})
    assert datetime.fromisoformat(aware["scheduled_at"].replace("Z", "+00:00")) == instant  # a zone given is kept
    assert (await shop.client.post(shop.url(f"/{aware['id']}/cancel"))).status_code == 200

    assert await run_broadcast(shop.job_context(), made["id"]) == "not_due"
    await shop.client.post(
        f"/api/workspaces/{shop.workspace_id}/tags/bulk", json={"tag_ids": [vip], "friend_ids": [ren], "op": "add"}
    )
    async with shop.db.transaction() as s:  # the time comes
        await s.execute(
            update(Broadcast).where(Broadcast.id == made["id"]).values(send_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await run_broadcast(shop.job_context(), made["id"])
    done = await shop.finished(made["id"])
    assert (done["progress"]["total"], done["progress"]["sent"]) == (2, 2)  # ren was tagged after scheduling
    assert len(shop.deliveries(aoi)) == 1 and len(shop.deliveries(ren)) == 1


async def test_a_friend_who_blocks_after_the_audience_is_fixed_is_counted_failed_not_sent(shop: Shop) -> None:
    made = await shop.send({"name": "予約配信", "messages": [TEXT], "scheduled_at": later(days=1)})
    await shop.env.app.state["enishi"].jobs.close()  # only this test moves the broadcast on
    async with shop.db.transaction() as s:
        await s.execute(update(Broadcast).where(Broadcast.id == made["id"]).values(send_at=datetime.now(UTC)))
    assert await start(shop.job_context(quiet=True), made["id"]) == "sending"
    async with shop.db.transaction(shop.workspace_id) as s:
        await s.execute(update(Friend).where(Friend.id == shop.friends["ren"]).values(status="blocked"))
    await Dispatcher.run(shop.job_context(quiet=True), made["id"])
    shown = await shop.show(made["id"])
    assert (shown["status"], shown["progress"]["sent"], shown["progress"]["failed"]) == ("completed", 1, 1)
    assert shop.deliveries(shop.friends["ren"]) == []
    statuses = {
        r["friend_id"]: r["status"]
        for r in (await shop.client.get(shop.url(f"/{made['id']}/recipients"))).json()["items"]
    }
    assert statuses == {shop.friends["aoi"]: "sent", shop.friends["ren"]: "skipped"}


async def test_a_test_send_goes_to_one_user_filled_in_and_nothing_else_is_recorded(shop: Shop) -> None:
    aoi = shop.friends["aoi"]
    text = {"type": "text", "text": "{{friend.display_name|ゲスト}}さん、試し送りです"}
    sent = await shop.client.post(shop.url("/test-send"), json={"messages": [text], "to": {"friend_id": aoi}})
    assert sent.status_code == 202, sent.text
    assert sent.json()["messages"] == [{"type": "text", "text": "あおい0さん、試し送りです"}]
    assert sent.json()["user_line_id"] == shop.users[aoi]

    stranger = shop.emulator.add_user(shop.channel_id, "シミュレーター", following=True)
    to_stranger = await shop.client.post(
        shop.url("/test-send"), json={"messages": [text], "to": {"user_line_id": stranger.user_id}}
    )
    assert to_stranger.status_code == 202, to_stranger.text
    assert to_stranger.json()["friend_id"] is None

    async def delivered() -> bool:
        return bool(shop.deliveries(aoi)) and bool(shop.emulator.deliveries(shop.channel_id, stranger.user_id))

    assert await until(delivered)
    assert [d["message"]["text"] for d in shop.deliveries(aoi)] == ["あおい0さん、試し送りです"]
    assert [d.message["text"] for d in shop.emulator.deliveries(shop.channel_id, stranger.user_id)] == [
        "ゲストさん、試し送りです"
    ]
    assert (await shop.client.get(shop.url())).json()["items"] == []  # a test is not a broadcast

    for to, path in [
        ({"friend_id": shop.friends["yui"]}, "$.to"),  # blocked
        ({}, "$.to"),
        ({"friend_id": aoi, "user_line_id": stranger.user_id}, "$.to"),
        ({"user_line_id": "not-a-line-id"}, "$.to.user_line_id"),
    ]:
        refused = await shop.client.post(shop.url("/test-send"), json={"messages": [text], "to": to})
        assert refused.status_code in (400, 422), refused.text
        assert path in {e["path"] for e in refused.json()["errors"]}, refused.json()
    refused = await shop.client.post(
        shop.url("/test-send"), json={"messages": [{"type": "text"}], "to": {"friend_id": aoi}}
    )
    assert [e["path"] for e in refused.json()["errors"]] == ["$.messages[0].text"]
    missing = await shop.client.post(shop.url("/test-send"), json={"messages": [text], "to": {"friend_id": 999999}})
    assert missing.status_code == 404


async def test_a_scheduled_broadcast_whose_variable_is_gone_when_it_starts_fails_and_sends_nothing(shop: Shop) -> None:
    base = f"/api/workspaces/{shop.workspace_id}/friend_fields/fields"
    field = await shop.client.post(base, json={"key": "nickname", "label": "呼び名", "type": "text"})
    assert field.status_code == 201, field.text
    text = {"type": "text", "text": "{{field.nickname|お客様}}、ご来店ありがとうございました"}
    made = await shop.send({"name": "お礼", "messages": [text], "scheduled_at": later(days=1)})
    assert made["delivery"] == "push"
    deleted = await shop.client.delete(f"{base}/{field.json()['id']}")
    assert deleted.status_code in (200, 204), deleted.text
    async with shop.db.transaction() as s:
        await s.execute(update(Broadcast).where(Broadcast.id == made["id"]).values(send_at=datetime.now(UTC)))
    assert await run_broadcast(shop.job_context(), made["id"]) == "failed"
    shown = await shop.show(made["id"])
    assert shown["status"] == "failed" and "$.messages[0].text" in shown["error"] and "field.nickname" in shown["error"]
    assert shown["progress"]["total"] is None
    assert shop.deliveries(shop.friends["aoi"]) == [] and shop.deliveries(shop.friends["ren"]) == []
