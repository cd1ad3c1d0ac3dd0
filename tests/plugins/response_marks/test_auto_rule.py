"""The auto rule, driven the way it runs for real: LINE posts a signed webhook, the job processes it, the core
announces ``core.message_received`` and the plugin marks the friend (and, if asked, the message)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from enishi_response_marks.models import MarkChange, MessageMark
from sqlalchemy import func, select

from enishi import Friend, Message
from enishi.crypto import SecretBox
from enishi.line.signature import sign
from enishi.models import Workspace

if TYPE_CHECKING:
    from tests.plugins.response_marks.conftest import MarksWorld

USER = "U" + "a" * 32


class Line:
    """Posts signed webhooks to the first workspace the way LINE does, and waits for them to be processed."""

    def __init__(self, world: MarksWorld, workspace: Workspace) -> None:
        self.world = world
        self.secret = SecretBox(world.env.settings.secret_keys).decrypt(workspace.line_channel_secret)
        self.url = f"/webhook/{workspace.webhook_token}"
        self.clock = 1_700_000_000_000

    @classmethod
    async def of(cls, world: MarksWorld) -> Line:
        async with world.env.db.session() as s:
            return cls(world, await s.get_one(Workspace, world.workspace_id))

    async def send(self, kind: str = "message", user: str = USER) -> int:
        """A friend sends a text (or taps a postback button); returns the friend's id."""
        self.clock += 1000
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": self.clock,
            "webhookEventId": uuid.uuid4().hex[:26].upper(),
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": user},
            "replyToken": f"rt{self.clock}",
        }
        if kind == "message":
            event["message"] = {"type": "text", "id": str(self.clock), "text": "質問です", "quoteToken": "q"}
        else:
            event["postback"] = {"data": "action=menu"}
        body = json.dumps({"destination": "U" + "f" * 32, "events": [event]}).encode()
        headers = {"content-type": "application/json", "x-line-signature": sign(self.secret, body)}
        response = await self.world.env.client.post(self.url, content=body, headers=headers)
        assert response.status_code == 200, response.text
        await self.world.env.app.state["enishi"].jobs.drain()
        async with self.world.env.db.session(self.world.workspace_id) as s:
            friend_id = await s.scalar(select(Friend.id).where(Friend.line_user_id == user))
        assert friend_id is not None
        return friend_id


async def rule(world: MarksWorld, **changes: Any) -> dict[str, Any]:
    response = await world.client.patch(world.url("/auto-rule"), json=changes)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def history(world: MarksWorld, friend_id: int) -> list[tuple[str | None, str | None, str, int | None]]:
    response = await world.client.get(world.url(f"/friends/{friend_id}/history"))
    return [(h["from_label"], h["to_label"], h["source"], h["user_id"]) for h in response.json()["items"]]


async def marked_messages(world: MarksWorld) -> dict[int, int]:
    async with world.env.db.session(world.workspace_id) as s:
        return {m: k for m, k in await s.execute(select(MessageMark.message_id, MessageMark.mark_id))}


async def test_off_by_default(world: MarksWorld) -> None:
    line = await Line.of(world)
    shown = (await world.client.get(world.url("/auto-rule"))).json()
    assert (shown["enabled"], shown["mark"]["label"], shown["mode"], shown["mark_message"]) == (
        False,
        "要対応",
        "if_none",
        False,
    )
    await line.send()
    async with world.env.db.session(world.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 1  # the message did arrive
    assert await world.current() == {} and world.recorder.take() == []


async def test_if_none_marks_only_friends_without_a_mark(world: MarksWorld) -> None:
    line = await Line.of(world)
    m = world.marks
    enabled = await rule(world, enabled=True)
    assert (enabled["enabled"], enabled["mark"]["id"], enabled["mode"]) == (True, m["要対応"], "if_none")

    friend = await line.send()
    assert await world.current() == {friend: m["要対応"]}
    assert world.recorder.take() == [(friend, None, m["要対応"], "auto")]
    assert await history(world, friend) == [(None, "要対応", "auto", None)]  # nobody set it: the rule did

    await line.send()  # already 要対応: nothing happens, no history row
    await world.set(friend, m["対応中"])
    world.recorder.take()
    await line.send()  # staff are on it: 対応中 stays
    assert await world.current() == {friend: m["対応中"]}
    assert world.recorder.take() == []
    assert len(await history(world, friend)) == 2
    assert await marked_messages(world) == {}  # message marking is off

    await line.send("postback")  # a button tap is not a message to answer
    assert await world.current() == {friend: m["対応中"]}


async def test_always_replaces_any_mark_and_can_mark_the_message(world: MarksWorld) -> None:
    line = await Line.of(world)
    m = world.marks
    friend = await line.send()  # rule off: unmarked
    await world.set(friend, m["対応済"])
    world.recorder.take()
    changed = await rule(world, enabled=True, mode="always", mark_message=True, mark_id=m["要対応"])
    assert (changed["mode"], changed["mark_message"]) == ("always", True)

    await line.send()  # the friend writes again after being answered: back to 要対応
    assert await world.current() == {friend: m["要対応"]}
    assert world.recorder.take() == [(friend, m["対応済"], m["要対応"], "auto")]
    await line.send()  # already 要対応: the message is marked, the friend's mark does not "change"
    assert world.recorder.take() == []
    assert await history(world, friend) == [
        ("対応済", "要対応", "auto", None),
        (None, "対応済", "manual", world.owner_id),
    ]
    async with world.env.db.session(world.workspace_id) as s:
        messages = list(await s.scalars(select(Message.id).order_by(Message.id)))
    assert await marked_messages(world) == {messages[1]: m["要対応"], messages[2]: m["要対応"]}  # not the first

    # Another mark for the rule; the other workspace's rule is its own (still off).
    urgent = await world.mark("至急")
    await rule(world, mark_id=urgent)
    await line.send()
    assert await world.current() == {friend: urgent}
    other = (await world.client.get(world.url("/auto-rule", world.other_workspace_id))).json()
    assert other["enabled"] is False


async def test_bad_rule_input_changes_nothing(world: MarksWorld) -> None:
    c = world.client
    before = (await c.get(world.url("/auto-rule"))).json()
    theirs = await world.mark("他店", workspace_id=world.other_workspace_id)
    for body, status, path in [
        ({"mode": "sometimes"}, 400, "$.mode"),
        ({"enabled": "yes"}, 400, "$.enabled"),
        ({"mark_id": 0}, 400, "$.mark_id"),
        ({"mark_id": None}, 400, "$.mark_id"),
        ({"when": "always"}, 400, None),
        ({"enabled": True, "mark_id": 999_999}, 422, "$.mark_id"),
        ({"enabled": True, "mark_id": theirs}, 422, "$.mark_id"),
    ]:
        response = await c.patch(world.url("/auto-rule"), json=body)
        assert response.status_code == status, (body, response.text)
        if path:
            assert [e["path"] for e in response.json()["errors"]] == [path], body
    assert (await c.get(world.url("/auto-rule"))).json() == before
    async with world.env.db.session(world.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(MarkChange)) == 0


async def test_the_rule_sleeps_while_the_plugin_is_off(world: MarksWorld) -> None:
    line = await Line.of(world)
    await rule(world, enabled=True)
    plugin = f"/api/workspaces/{world.workspace_id}/plugins/response_marks"
    assert (await world.client.put(plugin, json={"enabled": False})).status_code == 200
    friend = await line.send()
    assert await world.current() == {}
    assert (await world.client.put(plugin, json={"enabled": True})).status_code == 200
    await line.send()
    assert await world.current() == {friend: world.marks["要対応"]}
