"""Composing broadcasts: every bad input refused with its path and nothing stored; live estimates; who may do what;
another workspace's broadcasts are not found; a repeated request (Idempotency-Key) sends once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from enishi.models import LineRequest
from enishi.models.broadcasts import Broadcast
from tests.delivery.conftest import TEXT, Shop, later

TAP_BUTTON = {
    "type": "template",
    "altText": "予約",
    "template": {
        "type": "buttons",
        "text": "ご予約はこちら",
        "actions": [
            {
                "type": "postback",
                "label": "予約する",
                "enishi_actions": [{"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [1]}}],
            }
        ],
    },
}


def has(tag: int) -> dict[str, Any]:
    return {"type": "tags.has_tags", "config": {"tag_ids": [tag], "match": "any"}}


async def _stored(shop: Shop) -> tuple[int, int]:
    async with shop.db.session() as s:
        broadcasts = await s.scalar(select(func.count()).select_from(Broadcast))
        requests = await s.scalar(select(func.count()).select_from(LineRequest))
    return int(broadcasts or 0), int(requests or 0)


async def test_bad_input_is_refused_with_the_path_of_each_problem_and_nothing_is_stored(shop: Shop) -> None:
    def body(**changes: Any) -> dict[str, Any]:
        return {"name": "週末セール", "messages": [TEXT], **changes}

    text = {"type": "text"}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        (body(messages=[]), {"$.messages"}),
        (body(messages=[TEXT] * 6), {"$.messages"}),
        (body(messages="こんにちは"), {"$.messages"}),
        (body(messages=[{**text, "text": ""}]), {"$.messages[0].text"}),
        (body(messages=[text]), {"$.messages[0].text"}),
        (body(messages=[TEXT, {"type": "sticker", "packageId": "446"}]), {"$.messages[1].stickerId"}),
        (body(messages=[{**text, "text": "x" * 5001}]), {"$.messages[0].text"}),
        (body(messages=[{**text, "text": "{{field.nope}}さん"}]), {"$.messages[0].text"}),
        (body(messages=[{**text, "text": "{{ 名前 }}さん"}]), {"$.messages[0].text"}),
        (body(messages=[TAP_BUTTON]), {"$.messages[0].template.actions[0].enishi_actions"}),
        (
            body(messages=[{"type": "image", "originalContentUrl": "http://a.example/i.png", "previewImageUrl": "x"}]),
            {"$.messages[0].originalContentUrl", "$.messages[0].previewImageUrl"},
        ),
        ({"messages": [TEXT]}, {"$.name"}),
        (body(name=""), {"$.name"}),
        (body(colour="red"), {"$.colour"}),
        (body(target={"segment": {"all": [{"type": "nope.nope", "config": {}}]}}), {"$.target.segment.all[0].type"}),
        (
            body(target={"segment": {"all": [{"type": "tags.has_tags", "config": {}}]}}),
            {"$.target.segment.all[0].config.tag_ids"},
        ),
        (body(target={"segment": {"all": []}, "saved_segment_id": 1}), {"$.target.saved_segment_id"}),
        (body(target={"saved_segment_id": 999}), {"$.target.saved_segment_id"}),
        (body(target={"exclude": {"any": []}}), {"$.target.exclude.any"}),
        (body(target={"everyone": True}), {"$.target.everyone"}),
        (body(scheduled_at="2001-01-01T09:00:00"), {"$.scheduled_at"}),
        (body(scheduled_at="2999-01-01T09:00:00"), {"$.scheduled_at"}),
        (body(scheduled_at="来週の月曜"), {"$.scheduled_at"}),
        (body(allow_partial="yes"), {"$.allow_partial"}),
    ]
    for request, paths in cases:
        response = await shop.create(request)
        assert response.status_code in (400, 422), (request, response.text)
        answer = response.json()
        assert answer["error"] == "invalid", answer
        assert {e["path"] for e in answer["errors"]} >= paths, (request, answer["errors"])
    assert await _stored(shop) == (0, 0)

    both = await shop.create(body(messages=[{**text, "text": ""}], target={"segment": {"any": []}}))
    assert {e["path"] for e in both.json()["errors"]} == {"$.messages[0].text", "$.target.segment.any"}


async def test_variables_that_exist_are_accepted_and_make_it_personal(shop: Shop) -> None:
    field = await shop.client.post(
        f"/api/workspaces/{shop.workspace_id}/friend_fields/fields",
        json={"key": "shop_url", "label": "予約URL", "type": "text"},
    )
    assert field.status_code == 201, field.text
    link = {
        "type": "template",
        "altText": "ご予約",
        "template": {
            "type": "buttons",
            "text": "{{friend.display_name}}さん、ご予約はこちら",
            "actions": [{"type": "uri", "label": "予約", "uri": "{{field.shop_url|https://shop.example/}}"}],
        },
    }
    estimate = await shop.client.post(shop.url("/estimate"), json={"messages": [link]})
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["delivery"] == "push" and estimate.json()["requests"] == 2
    plain = await shop.client.post(shop.url("/estimate"), json={"messages": [TEXT]})
    assert plain.json()["delivery"] == "multicast" and plain.json()["requests"] == 1


async def test_the_estimate_counts_the_target_as_it_is_now_and_never_blocked_friends(shop: Shop) -> None:
    aoi, ren, yui = shop.friends["aoi"], shop.friends["ren"], shop.friends["yui"]
    many = await shop.add_friends(1200)
    vip = await shop.tag("VIP", [aoi, yui, *many[:600]])
    stop = await shop.tag("配信停止", [many[0], ren])

    async def estimate(target: dict[str, Any]) -> dict[str, Any]:
        response = await shop.client.post(shop.url("/estimate"), json={"target": target})
        assert response.status_code == 200, response.text
        return dict(response.json())

    everyone = await estimate({})
    assert (everyone["recipients"], everyone["requests"], everyone["delivery"]) == (1202, 3, "multicast")
    assert (await estimate({"segment": {"all": [has(vip)]}}))["recipients"] == 601  # yui blocked the account
    assert (await estimate({"segment": {"all": [has(vip)]}, "exclude": {"all": [has(stop)]}}))["recipients"] == 600
    assert (await estimate({"exclude": {"all": [has(stop)]}}))["recipients"] == 1200
    assert everyone["audience_fixed"] == "when_sending_starts" and "送信開始時" in everyone["audience_note"]["ja"]

    tab = await shop.client.post(
        f"/api/workspaces/{shop.workspace_id}/friends/tabs", json={"name": "VIP", "segment": {"all": [has(vip)]}}
    )
    assert tab.status_code == 201, tab.text
    tab_id = tab.json()["id"]
    assert (await estimate({"saved_segment_id": tab_id}))["recipients"] == 601
    assert (await estimate({"saved_segment_id": tab_id, "exclude": {"all": [has(stop)]}}))["recipients"] == 600
    await shop.tag("新規", [many[1]])  # the count is live
    assert (await estimate({"segment": {"all": [has(vip)]}}))["recipients"] == 601


async def test_who_may_estimate_send_and_read(shop: Shop) -> None:
    body = {"name": "お知らせ", "messages": [TEXT], "scheduled_at": later()}
    for role in ("operator", "viewer"):
        assert (await shop.create(body, role=role)).status_code == 403
        client = await shop.as_role(role)
        estimate = await client.post(shop.url("/estimate"), json={})
        assert estimate.status_code == 403
        test = await client.post(
            shop.url("/test-send"), json={"messages": [TEXT], "to": {"friend_id": shop.friends["aoi"]}}
        )
        assert test.status_code == 403
    assert (await shop.create(body, role="admin")).status_code == 201
    [made] = (await (await shop.as_role("viewer")).get(shop.url())).json()["items"]  # reading needs no permission
    for action in ("pause", "resume", "cancel"):
        assert (await (await shop.as_role("operator")).post(shop.url(f"/{made['id']}/{action}"))).status_code == 403
    # A workspace can grant the permission to operators.
    grant = await shop.client.put(
        f"/api/workspaces/{shop.workspace_id}/permissions",
        json={"role": "operator", "permission": "core.broadcast", "granted": True},
    )
    assert grant.status_code == 200, grant.text
    assert (await shop.create({**body, "name": "担当者から"}, role="operator")).status_code == 201


async def test_another_workspaces_broadcasts_are_not_found(shop: Shop) -> None:
    made = await shop.send({"name": "お知らせ", "messages": [TEXT], "scheduled_at": later()})
    other = shop.url(f"/{made['id']}", workspace_id=shop.other_workspace_id)
    assert (await shop.client.get(other)).status_code == 404
    assert (await shop.client.get(other + "/recipients")).status_code == 404
    for action in ("pause", "resume", "cancel"):
        assert (await shop.client.post(f"{other}/{action}")).status_code == 404
    assert (await shop.client.get(shop.url(workspace_id=shop.other_workspace_id))).json()["items"] == []
    assert (await shop.show(made["id"]))["status"] == "scheduled"  # untouched
    test = await shop.client.post(
        shop.url("/test-send", workspace_id=shop.other_workspace_id),
        json={"messages": [TEXT], "to": {"friend_id": shop.friends["aoi"]}},
    )
    assert test.status_code == 404
    assert (await shop.client.get(shop.url("/999999"))).status_code == 404


async def test_the_same_request_with_the_same_idempotency_key_sends_once(shop: Shop) -> None:
    body = {"name": "一度だけ", "messages": [TEXT]}
    first = await shop.create(body, **{"Idempotency-Key": "click-1"})
    again = await shop.create(body, **{"Idempotency-Key": "click-1"})
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["broadcast"]["id"] == first.json()["broadcast"]["id"]
    other = await shop.create({**body, "name": "別の配信"}, **{"Idempotency-Key": "click-1"})
    assert other.status_code == 409 and other.json()["errors"][0]["path"] == "header:Idempotency-Key"
    await shop.finished(first.json()["broadcast"]["id"])
    assert [len(shop.deliveries(f)) for f in (shop.friends["aoi"], shop.friends["ren"])] == [1, 1]
    assert (await shop.client.get(shop.url())).json()["items"][0]["id"] == first.json()["broadcast"]["id"]
    assert len((await shop.client.get(shop.url())).json()["items"]) == 1


async def test_lists_page_newest_first_and_filter_by_status(shop: Shop) -> None:
    ids = []
    for n in range(3):
        made = await shop.send({"name": f"予約{n}", "messages": [TEXT], "scheduled_at": later()})
        ids.append(made["id"])
    first = (await shop.client.get(shop.url(), params={"limit": 2})).json()
    assert [b["id"] for b in first["items"]] == ids[::-1][:2] and first["next"]
    rest = (await shop.client.get(shop.url(), params={"limit": 2, "after": first["next"]})).json()
    assert [b["id"] for b in rest["items"]] == [ids[0]] and rest["next"] is None
    await shop.client.post(shop.url(f"/{ids[1]}/cancel"))
    cancelled = (await shop.client.get(shop.url(), params={"status": "cancelled"})).json()["items"]
    assert [b["id"] for b in cancelled] == [ids[1]]
    bad = await shop.client.get(shop.url(), params={"status": "done"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "query:status"
    bad = await shop.client.get(shop.url(), params={"after": "%%%"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "query:after"
