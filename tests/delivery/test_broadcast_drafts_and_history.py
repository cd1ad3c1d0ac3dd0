"""Around a broadcast: drafts saved unfinished and sent later, a scheduled broadcast sent now, LINE's quota looked at
again as soon as a hold is lifted or staff ask, whom a test send can go to, and the broadcasts a friend received in
their talk history (read from the broadcast's records, no copy per friend)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from enishi.db.base import utcnow
from enishi.models import Message, Workspace
from enishi.models.broadcasts import Broadcast, BroadcastDraft
from tests.delivery.conftest import TEXT, Shop, later, until


def drafts(shop: Shop, path: str = "", workspace_id: int | None = None) -> str:
    return shop.url("/drafts" + path, workspace_id)


async def _estimate(shop: Shop) -> dict[str, Any]:
    response = await shop.client.post(shop.url("/estimate"), json={})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_draft_is_saved_unfinished_opened_again_changed_and_sent_once(shop: Shop) -> None:
    unfinished = {"name": "", "messages": [{"type": "text", "text": ""}], "target": {}}
    saved = await shop.client.post(drafts(shop), json=unfinished)
    assert saved.status_code == 201, saved.text
    draft = saved.json()
    assert draft["messages"] == [{"type": "text", "text": ""}]

    listed = (await shop.client.get(drafts(shop))).json()
    assert [d["id"] for d in listed] == [draft["id"]]
    viewer = await shop.as_role("viewer")
    assert (await viewer.get(drafts(shop, f"/{draft['id']}"))).status_code == 200
    assert (await viewer.put(drafts(shop, f"/{draft['id']}"), json=unfinished)).status_code == 403
    # Another workspace's staff do not find it, even by its number.
    assert (await shop.client.get(drafts(shop, f"/{draft['id']}", shop.other_workspace_id))).status_code == 404

    changed = await shop.client.put(
        drafts(shop, f"/{draft['id']}"),
        json={"name": "週末セール", "messages": [TEXT], "target": {}, "scheduled_at": "2030-01-02T09:30:00"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "週末セール"
    assert changed.json()["scheduled_at_local"] == "2030-01-02T09:30"  # as the composer's time field shows it

    # Sending checks what the draft holds; a refusal keeps the draft.
    refused = await shop.create({"name": "週末セール", "messages": [{"type": "text"}], "draft_id": draft["id"]})
    assert refused.status_code == 422
    assert (await shop.client.get(drafts(shop, f"/{draft['id']}"))).status_code == 200

    sent = await shop.send({"name": "週末セール", "messages": [TEXT], "draft_id": draft["id"]})
    assert (await shop.finished(sent["id"]))["status"] == "completed"
    assert (await shop.client.get(drafts(shop))).json() == []
    assert (await shop.client.get(drafts(shop, f"/{draft['id']}"))).status_code == 404
    assert len(shop.deliveries(shop.friends["aoi"])) == 1


async def test_a_draft_of_unreadable_shape_is_refused_with_its_path_and_a_deleted_one_is_gone(shop: Shop) -> None:
    for body, path in [
        ({"messages": "こんにちは"}, "$.messages"),
        ({"messages": [TEXT] * 6}, "$.messages"),
        ({"target": []}, "$.target"),
        ({"target": {"everyone": True}}, "$.target.everyone"),
    ]:
        response = await shop.client.post(drafts(shop), json=body)
        assert response.status_code == 422, (body, response.text)
        assert [e["path"] for e in response.json()["errors"]] == [path]
    async with shop.db.session(shop.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(BroadcastDraft)) == 0

    made = (await shop.client.post(drafts(shop), json={"name": "あとで"})).json()
    assert (await (await shop.as_role("viewer")).delete(drafts(shop, f"/{made['id']}"))).status_code == 403
    assert (await shop.client.delete(drafts(shop, f"/{made['id']}"))).status_code == 204
    assert (await shop.client.get(drafts(shop))).json() == []
    gone = await shop.create({"name": "あとで", "messages": [TEXT], "draft_id": made["id"]})
    assert gone.status_code == 404


async def test_a_scheduled_broadcast_is_sent_now_on_request_and_not_twice(shop: Shop) -> None:
    scheduled = await shop.send({"name": "来月の案内", "messages": [TEXT], "scheduled_at": later(20)})
    assert scheduled["status"] == "scheduled"
    assert (await (await shop.as_role("viewer")).post(shop.url(f"/{scheduled['id']}/send-now"))).status_code == 403

    now = await shop.client.post(shop.url(f"/{scheduled['id']}/send-now"))
    assert now.status_code == 200, now.text
    assert now.json()["scheduled_at"] is None
    done = await shop.finished(scheduled["id"])
    assert (done["status"], done["progress"]["sent"]) == ("completed", 2)
    assert len(shop.deliveries(shop.friends["aoi"])) == 1

    again = await shop.client.post(shop.url(f"/{scheduled['id']}/send-now"))
    assert again.status_code == 409
    assert len(shop.deliveries(shop.friends["aoi"])) == 1


async def test_send_now_is_refused_when_the_quota_no_longer_fits_and_the_broadcast_stays_scheduled(shop: Shop) -> None:
    scheduled = await shop.send({"name": "来月の案内", "messages": [TEXT], "scheduled_at": later(20)})
    shop.emulator.set_quota(shop.channel_id, 1000, consumption=999)
    await shop.set_quota_cache(1000, 999)  # one message left, two friends
    refused = await shop.client.post(shop.url(f"/{scheduled['id']}/send-now"))
    assert refused.status_code == 409 and refused.json()["error"] == "quota_exceeded"
    assert (await shop.show(scheduled["id"]))["status"] == "scheduled"


async def test_lifting_a_quota_hold_looks_at_lines_quota_again_at_once(shop: Shop) -> None:
    await shop.set_quota_cache(1000, 1000)  # used up, fetched a moment ago
    async with shop.db.transaction() as s:
        await s.execute(update(Workspace).where(Workspace.id == shop.workspace_id).values(quota_exhausted_at=utcnow()))
    assert (await _estimate(shop))["fits"] is False
    refused = await shop.create({"name": "追加購入のあと", "messages": [TEXT]})
    assert refused.status_code == 409

    shop.emulator.set_quota(shop.channel_id, 5000, consumption=1000)  # more messages bought on LINE's side
    lifted = await shop.client.delete(f"/api/workspaces/{shop.workspace_id}/line/quota-hold")
    assert lifted.status_code == 200, lifted.text
    # Not the cached "nothing left" until it ages out ten minutes later: sendable now, and fetched again.
    assert (await _estimate(shop))["fits"] is True

    async def fetched() -> dict[str, Any] | None:
        answer = await _estimate(shop)
        return answer if answer["quota"]["known"] else None

    known = await until(fetched)
    assert known is not None and (known["quota"]["limit"], known["quota"]["remaining"]) == (5000, 4000)
    await shop.finished((await shop.send({"name": "追加購入のあと", "messages": [TEXT]}))["id"])


async def test_staff_refresh_the_quota_shown_and_viewers_cannot(shop: Shop) -> None:
    await shop.set_quota_cache(1000, 990)  # fresh, so no refresh of its own for ten minutes
    shop.emulator.set_quota(shop.channel_id, 3000, consumption=990)  # LINE's plan changed
    shown = (await shop.client.get(shop.url("/quota"))).json()
    assert (shown["quota"]["limit"], shown["quota"]["remaining"], shown["quota"]["stale"]) == (1000, 10, False)

    assert (await (await shop.as_role("viewer")).post(shop.url("/quota/refresh"))).status_code == 403
    refreshed = await shop.client.post(shop.url("/quota/refresh"))
    assert refreshed.status_code == 202, refreshed.text
    assert refreshed.json()["quota"]["refreshing"] is True

    async def new_limit() -> dict[str, Any] | None:
        answer = (await shop.client.get(shop.url("/quota"))).json()
        return answer if answer["quota"]["limit"] == 3000 else None

    answer = await until(new_limit)
    assert answer is not None and answer["quota"]["remaining"] == 2010


async def test_test_sends_go_to_someone_picked_from_a_list_by_name(shop: Shop) -> None:
    everyone = (await shop.client.get(shop.url("/test-recipients"))).json()
    names = {r["name"]: r for r in everyone}
    assert set(names) == {"あおい0", "れん0"}  # following friends only: ゆい0 blocked the account
    assert names["あおい0"]["friend_id"] == shop.friends["aoi"] and names["あおい0"]["simulated"] is True
    assert [r["name"] for r in (await shop.client.get(shop.url("/test-recipients"), params={"q": "れ"})).json()] == [
        "れん0"
    ]
    assert (await shop.client.get(shop.url("/test-recipients"), params={"q": "%"})).json() == []

    picked = names["あおい0"]
    sent = await shop.client.post(
        shop.url("/test-send"),
        json={
            "messages": [{"type": "text", "text": "{{friend.display_name}}さんへ"}],
            "to": {"friend_id": picked["friend_id"]},
        },
    )
    assert sent.status_code == 202, sent.text
    delivered = await until(lambda: _delivered(shop, "aoi"))
    assert [(d["endpoint"], d["message"]["text"]) for d in delivered] == [("push", "あおい0さんへ")]


async def _delivered(shop: Shop, who: str) -> list[dict[str, Any]]:
    return shop.deliveries(shop.friends[who])


async def test_a_friends_talk_history_shows_the_broadcasts_they_received_without_copies(shop: Shop) -> None:
    tag = await shop.tag("常連", [shop.friends["aoi"]])
    segment = {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [tag], "match": "any"}}]}
    plain = await shop.send({"name": "常連さまへ", "messages": [TEXT], "target": {"segment": segment}})
    personal = await shop.send(
        {"name": "お名前入り", "messages": [{"type": "text", "text": "{{friend.display_name}}さん、こんにちは"}]}
    )
    await shop.finished(plain["id"])
    await shop.finished(personal["id"])

    url = f"/api/workspaces/{shop.workspace_id}/inbox/friends/{{}}/broadcasts"

    async def history(who: str) -> list[dict[str, Any]]:
        async def accepted() -> list[dict[str, Any]] | None:
            items = (await shop.client.get(url.format(shop.friends[who]))).json()
            return items if items and all(i["delivery"] == "accepted" for i in items) else None

        return await until(accepted) or []

    aoi = await history("aoi")
    assert [(m["broadcast_name"], m["text"]) for m in aoi] == [
        ("お名前入り", "あおい0さん、こんにちは"),
        ("常連さまへ", TEXT["text"]),
    ]
    ren = await history("ren")
    assert [(m["broadcast_name"], m["text"]) for m in ren] == [("お名前入り", "れん0さん、こんにちは")]
    assert (await shop.client.get(url.format(shop.friends["yui"]))).json() == []  # blocked: sent nothing
    other = f"/api/workspaces/{shop.other_workspace_id}/inbox/friends/{shop.friends['aoi']}/broadcasts"
    assert (await shop.client.get(other)).status_code == 404
    async with shop.db.session(shop.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 0  # read from the broadcasts' records
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 2


async def test_a_saved_message_template_is_offered_to_the_composer_and_goes_out_as_a_broadcast(shop: Shop) -> None:
    base = f"/api/workspaces/{shop.workspace_id}"
    made = await shop.client.post(
        base + "/messages/templates",
        json={"name": "来店のお礼", "messages": [{"type": "text", "text": "{{friend.display_name}}さん、ありがとう"}]},
    )
    assert made.status_code == 201, made.text
    catalog = (await shop.client.get(base + "/catalog")).json()
    [offered] = [lookup for lookup in catalog["lookups"] if lookup.get("messages_field")]
    rows = (await shop.client.get(base + offered["path"])).json()
    rows = rows["items"] if offered["paged"] else rows
    [row] = [r for r in rows if r[offered["label_field"]] == "来店のお礼"]

    sent = await shop.send({"name": "お礼", "messages": row[offered["messages_field"]]})
    assert (await shop.finished(sent["id"]))["progress"]["sent"] == 2
    assert [d["message"]["text"] for d in shop.deliveries(shop.friends["aoi"])] == ["あおい0さん、ありがとう"]
