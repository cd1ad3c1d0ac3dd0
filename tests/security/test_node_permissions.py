"""A permission taken away from a role cannot be used through a bulk operation or a scenario.

The report: with tags.assign, messages.send and member_cards.points revoked from the operator role, an operator
still tagged everyone with a bulk operation, and sent messages and added 1,000 points to everyone by publishing
and bulk-starting a scenario.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from enishi_messages.models import MessageTemplate, PostbackButton
from sqlalchemy import func, select

from enishi.models import BulkOperation, Friend, LineRequest, ScenarioRun
from enishi.models.scenarios import Scenario
from enishi.tenancy.permissions import MANY_FRIENDS, declared
from tests.conftest import Env, make_host, settings_for
from tests.scenarios.conftest import chain, document, node

SEND = {"messages": [{"type": "text", "text": "セール開催中です"}]}


@dataclass
class Shop:
    env: Env
    workspace_id: int
    owner: httpx.AsyncClient
    operator: httpx.AsyncClient
    friends: list[int]

    def url(self, path: str) -> str:
        return f"/api/workspaces/{self.workspace_id}{path}"

    async def revoke(self, permission: str) -> None:
        response = await self.owner.put(
            self.url("/permissions"), json={"role": "operator", "permission": permission, "granted": False}
        )
        assert response.status_code == 200, response.text

    async def tag(self, name: str) -> int:
        response = await self.owner.post(self.url("/tags"), json={"name": name})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def published(self, doc: dict[str, Any], name: str = "キャンペーン") -> int:
        """A scenario the owner (who holds every permission) made and published."""
        response = await self.owner.post(self.url("/scenarios"), json={"name": name, "document": doc})
        assert response.status_code == 201, response.text
        scenario_id = int(response.json()["scenario"]["id"])
        response = await self.owner.post(self.url(f"/scenarios/{scenario_id}/publish"))
        assert response.status_code == 200, response.text
        return scenario_id

    async def count(self, model: Any) -> int:
        async with self.env.db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def shop(env: Env) -> AsyncIterator[Shop]:
    owner = await env.user("owner@perm.example", name="オーナー")
    operator = await env.user("operator@perm.example", name="オペレーター")
    workspace = await env.workspace(await env.agency(owner=owner), members={owner: "owner", operator: "operator"})
    async with env.db.transaction(workspace.id) as s:
        friends = [
            Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"友だち{n}", status="following")
            for n in range(MANY_FRIENDS + 2)
        ]
        s.add_all(friends)
        await s.flush()
        ids = [f.id for f in friends]
    yield Shop(env, workspace.id, await env.login("owner@perm.example"), await env.login("operator@perm.example"), ids)


def _assert_names(response: httpx.Response, permission: str, label_ja: str, path: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert permission in body["message"] and label_ja in body["message"] and " / " in body["message"]
    assert [e["path"] for e in body["errors"]] == [path]
    assert permission in body["errors"][0]["message"]


async def test_a_bulk_operation_needs_the_actions_permission(shop: Shop) -> None:
    vip = await shop.tag("VIP")
    bulk = {"action": {"type": "tags.add_tag", "config": {"tag_ids": [vip]}}, "target": {"segment": {"all": []}}}
    await shop.revoke("tags.assign")

    response = await shop.operator.post(shop.url("/bulk-operations"), json=bulk)
    _assert_names(response, "tags.assign", "タグを付ける", "$.action.type")
    offered = {a["key"] for a in (await shop.operator.get(shop.url("/bulk-operations/actions"))).json()}
    assert "tags.add_tag" not in offered and "tags.remove_tag" not in offered and "notes.add_note" in offered
    assert await shop.count(BulkOperation) == 0
    # Still allowed where the permission is held.
    assert (await shop.owner.post(shop.url("/bulk-operations"), json=bulk)).status_code == 202


async def test_a_scenario_with_a_node_the_user_may_not_use_cannot_be_saved_published_or_started(shop: Shop) -> None:
    start, send = node("core.manual_start"), node("messages.send_messages", SEND)
    doc = document([start, send], chain(start, send))
    await shop.revoke("messages.send")

    response = await shop.operator.post(shop.url("/scenarios"), json={"name": "送信", "document": doc})
    _assert_names(response, "messages.send", "メッセージを送る", "$.nodes[1]")

    response = await shop.operator.post(shop.url("/scenarios"), json={"name": "空"})
    assert response.status_code == 201, response.text
    empty = int(response.json()["scenario"]["id"])
    response = await shop.operator.put(shop.url(f"/scenarios/{empty}/draft"), json=doc)
    _assert_names(response, "messages.send", "メッセージを送る", "$.nodes[1]")

    # A draft someone else saved is checked against whoever publishes it.
    assert (await shop.owner.put(shop.url(f"/scenarios/{empty}/draft"), json=doc)).status_code == 200
    response = await shop.operator.post(shop.url(f"/scenarios/{empty}/publish"))
    _assert_names(response, "messages.send", "メッセージを送る", "$.nodes[1]")
    assert (await shop.operator.get(shop.url(f"/scenarios/{empty}"))).json()["scenario"]["status"] == "draft"

    # Published by the owner, it still cannot be started by the operator, for one friend or many.
    published = await shop.published(doc)
    for friends in (shop.friends[:1], shop.friends):
        response = await shop.operator.post(shop.url(f"/scenarios/{published}/runs"), json={"friend_ids": friends})
        _assert_names(response, "messages.send", "メッセージを送る", "$.nodes[1]")
    response = await shop.operator.post(
        shop.url("/bulk-operations"),
        json={
            "action": {"type": "core.start_scenario", "config": {"scenario_id": published}},
            "target": {"segment": {"all": []}},
        },
    )
    _assert_names(response, "messages.send", "メッセージを送る", "$.action.config.scenario_id")
    assert await shop.count(ScenarioRun) == 0 and await shop.count(BulkOperation) == 0
    assert await shop.count(LineRequest) == 0

    imported = {
        "format": (await shop.owner.get(shop.url(f"/scenarios/{published}/export"))).json()["format"],
        "name": "インポート",
        "document": doc,
    }
    response = await shop.operator.post(shop.url("/scenarios/import"), json=imported)
    _assert_names(response, "messages.send", "メッセージを送る", "$.document.nodes[1]")


async def test_points_cannot_be_added_to_everyone_through_a_scenario_it_starts(shop: Shop) -> None:
    start, points = node("core.manual_start"), node("member_cards.add_points", {"delta": 1000, "reason": "特典"})
    target = await shop.published(document([start, points], chain(start, points)), name="ポイント付与")
    await shop.revoke("member_cards.points")
    bulk = {
        "action": {"type": "core.start_scenario", "config": {"scenario_id": target}},
        "target": {"segment": {"all": []}},
    }

    response = await shop.operator.post(shop.url("/bulk-operations"), json=bulk)
    _assert_names(response, "member_cards.points", "ポイントを加算・減算", "$.action.config.scenario_id")
    assert "scenario" in response.json()["errors"][0]["message"]
    # Nor by wrapping it: a scenario of the operator's that starts the points scenario.
    outer_start, starts = node("core.manual_start"), node("core.start_scenario", {"scenario_id": target})
    response = await shop.operator.post(
        shop.url("/scenarios"),
        json={"name": "包む", "document": document([outer_start, starts], chain(outer_start, starts))},
    )
    _assert_names(response, "member_cards.points", "ポイントを加算・減算", "$.nodes[1]")
    assert await shop.count(BulkOperation) == 0 and await shop.count(ScenarioRun) == 0


async def test_starting_a_sending_scenario_for_many_friends_is_a_broadcast(shop: Shop) -> None:
    """Operators may send (messages.send) but not broadcast (core.broadcast) by default."""
    start, send = node("core.manual_start"), node("messages.send_messages", SEND)
    sending = await shop.published(document([start, send], chain(start, send)))
    tag_start, tag = node("core.manual_start"), node("tags.add_tag", {"tag_ids": [await shop.tag("常連")]})
    tagging = await shop.published(document([tag_start, tag], chain(tag_start, tag)), name="タグ")

    many = shop.friends[: MANY_FRIENDS + 1]
    response = await shop.operator.post(shop.url(f"/scenarios/{sending}/runs"), json={"friend_ids": many})
    assert response.status_code == 403, response.text
    assert "core.broadcast" in response.json()["message"]
    assert response.json()["errors"][0]["path"] == "$.friend_ids"
    response = await shop.operator.post(
        shop.url("/bulk-operations"),
        json={
            "action": {"type": "core.start_scenario", "config": {"scenario_id": sending}},
            "target": {"segment": {"all": []}},
        },
    )
    assert response.status_code == 403 and response.json()["errors"][0]["path"] == "$.target"
    assert await shop.count(ScenarioRun) == 0 and await shop.count(BulkOperation) == 0

    # A few friends, a scenario that sends nothing, or someone who may broadcast: allowed.
    few = shop.friends[:MANY_FRIENDS]
    response = await shop.operator.post(shop.url(f"/scenarios/{sending}/runs"), json={"friend_ids": few})
    assert response.json() == {"started": MANY_FRIENDS}
    response = await shop.operator.post(shop.url(f"/scenarios/{tagging}/runs"), json={"friend_ids": shop.friends})
    assert response.json() == {"started": len(shop.friends)}
    response = await shop.owner.post(shop.url(f"/scenarios/{sending}/runs"), json={"friend_ids": shop.friends})
    assert response.json() == {"started": len(shop.friends) - MANY_FRIENDS}


def _button(actions: list[dict[str, Any]], reply: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    postback: dict[str, Any] = {"type": "postback", "label": "受け取る", "enishi_actions": actions}
    if reply is not None:
        postback["reply"] = reply
    return {
        "type": "template",
        "altText": "特典",
        "template": {"type": "buttons", "text": "特典を受け取る", "actions": [postback]},
    }


BUTTON_ACTION = "$.messages[0].template.actions[0].enishi_actions[0]"


async def test_actions_behind_a_messages_buttons_need_their_permission_wherever_they_are_configured(
    shop: Shop,
) -> None:
    """A button's actions run when a friend taps it, long after whoever wrote the message: a template, a send or a
    scenario that holds such a button needs the permission of each action, as the action itself would."""
    vip = await shop.tag("VIP")
    tag = {"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [vip]}}
    note = {"type": "notes.add_note", "type_version": 1, "config": {"body": "タップしました"}}
    messages = [_button([note, tag])]
    await shop.revoke("tags.assign")

    response = await shop.operator.post(shop.url("/messages/templates"), json={"name": "特典", "messages": messages})
    _assert_names(response, "tags.assign", "タグを付ける", "$.messages[0].template.actions[0].enishi_actions[1]")
    # A button in a tap's reply is checked too.
    nested = [_button([note], reply=[_button([tag])])]
    response = await shop.operator.post(shop.url("/messages/templates"), json={"name": "特典", "messages": nested})
    _assert_names(
        response,
        "tags.assign",
        "タグを付ける",
        "$.messages[0].template.actions[0].reply[0].template.actions[0].enishi_actions[0]",
    )
    response = await shop.operator.post(
        shop.url("/messages/send"), json={"friend_id": shop.friends[0], "messages": [_button([tag])]}
    )
    _assert_names(response, "tags.assign", "タグを付ける", BUTTON_ACTION)
    start, send = node("core.manual_start"), node("messages.send_messages", {"messages": [_button([tag])]})
    response = await shop.operator.post(
        shop.url("/scenarios"), json={"name": "特典", "document": document([start, send], chain(start, send))}
    )
    _assert_names(response, "tags.assign", "タグを付ける", "$.nodes[1].config" + BUTTON_ACTION[1:])

    # A template the owner saved puts its buttons' actions to work for whoever sends it or uses it in a scenario.
    created = await shop.owner.post(shop.url("/messages/templates"), json={"name": "特典", "messages": messages})
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    response = await shop.operator.post(
        shop.url("/messages/send"), json={"friend_id": shop.friends[0], "template_id": template_id}
    )
    _assert_names(response, "tags.assign", "タグを付ける", "$.template_id")
    start, send = node("core.manual_start"), node("messages.send_messages", {"template_id": template_id})
    response = await shop.operator.post(
        shop.url("/scenarios"), json={"name": "特典", "document": document([start, send], chain(start, send))}
    )
    _assert_names(response, "tags.assign", "タグを付ける", "$.nodes[1].config.template_id")
    response = await shop.operator.patch(
        shop.url(f"/messages/templates/{template_id}"), json={"messages": [_button([tag])]}
    )
    _assert_names(response, "tags.assign", "タグを付ける", BUTTON_ACTION)

    assert await shop.count(LineRequest) == 0 and await shop.count(PostbackButton) == 0
    assert await shop.count(MessageTemplate) == 1 and await shop.count(Scenario) == 0
    # Buttons whose actions the operator may use are fine.
    response = await shop.operator.post(
        shop.url("/messages/send"), json={"friend_id": shop.friends[0], "messages": [_button([note])]}
    )
    assert response.status_code == 202, response.text
    response = await shop.operator.patch(
        shop.url(f"/messages/templates/{template_id}"), json={"messages": [_button([note])]}
    )
    assert response.status_code == 200, response.text


async def test_an_inflow_routes_actions_need_their_permission(shop: Shop) -> None:
    """The actions of an inflow route (流入経路) run on their own for everyone who comes in through it."""
    grant = await shop.owner.put(
        shop.url("/permissions"), json={"role": "operator", "permission": "inflow.manage", "granted": True}
    )
    assert grant.status_code == 200, grant.text
    vip = await shop.tag("VIP")
    tag = {"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [vip]}}
    note = {"type": "notes.add_note", "type_version": 1, "config": {"body": "流入"}}
    await shop.revoke("tags.assign")

    response = await shop.operator.post(shop.url("/inflow/routes"), json={"name": "チラシ", "actions": [note, tag]})
    _assert_names(response, "tags.assign", "タグを付ける", "$.actions[1]")
    created = await shop.operator.post(shop.url("/inflow/routes"), json={"name": "チラシ", "actions": [note]})
    assert created.status_code == 201, created.text
    route = created.json()["id"]
    response = await shop.operator.patch(shop.url(f"/inflow/routes/{route}"), json={"actions": [tag]})
    _assert_names(response, "tags.assign", "タグを付ける", "$.actions[0]")
    # Nor through an action that carries others: a message whose button tags.
    send = {"type": "messages.send_messages", "type_version": 1, "config": {"messages": [_button([tag])]}}
    response = await shop.operator.patch(shop.url(f"/inflow/routes/{route}"), json={"actions": [send]})
    _assert_names(response, "tags.assign", "タグを付ける", "$.actions[0].config" + BUTTON_ACTION[1:])
    shown = (await shop.operator.get(shop.url(f"/inflow/routes/{route}"))).json()
    assert [a["type"] for a in shown["actions"]] == ["notes.add_note"]
    assert (await shop.owner.patch(shop.url(f"/inflow/routes/{route}"), json={"actions": [tag]})).status_code == 200


def test_every_node_type_declares_a_permission_that_exists(tmp_path: Any) -> None:
    """Actions change data, so each names the permission its manual form needs; whatever a node names must be a
    permission of the core or of its own plugin (one that could not be granted would lock everyone out)."""
    registry = make_host(settings_for(tmp_path)).registry
    permissions = declared(registry, {e.plugin for _, e in registry.node_types()})
    for kind, entry in registry.node_types():
        if entry.plugin == "probe":  # the test suite's own plugin
            continue
        permission = entry.item.permission
        if kind == "actions":
            assert permission is not None, entry.key
        if permission is not None:
            assert permission in permissions, (entry.key, permission)
            assert permission.split(".")[0] in ("core", entry.plugin), (entry.key, permission)
