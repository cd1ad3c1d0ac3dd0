"""The inbox's live updates (server-sent events) and the conversation filters, against a live server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import delete, update

from enishi.api.inbox_routes import STREAM_TIMING_STATE, StreamTiming
from enishi.line.embedded import emulator_of, register_channels
from enishi.models import AgencyMembership, Message, User, Workspace
from enishi.tenancy.workspaces import add_member
from tests.conftest import Env
from tests.line.test_inbox import _login, _until, live

__all__ = ["live"]


class Events:
    """The events of one open stream, read in the background as they arrive."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.items: list[dict[str, Any]] = []
        self.ended = False
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        event: dict[str, Any] = {}
        async for line in self.response.aiter_lines():
            if not line:
                if "event" in event:
                    event["data"] = json.loads(event["data"])
                    self.items.append(event)
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                event[name] = value
        self.ended = True

    async def next(self, name: str, seconds: float = 15) -> dict[str, Any]:
        seen = len([e for e in self.items if e["event"] == name])

        async def arrived() -> dict[str, Any] | None:
            found = [e for e in self.items if e["event"] == name]
            return found[seen] if len(found) > seen else None

        event = await _until(arrived, seconds)
        assert event, f"no {name} event in {self.items}"
        return dict(event)

    async def has_ended(self) -> bool:
        return self.ended

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@asynccontextmanager
async def opened(client: httpx.AsyncClient, url: str, **kwargs: Any) -> AsyncIterator[Events]:
    async with client.stream("GET", url, timeout=httpx.Timeout(10, read=60), **kwargs) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = Events(response)
        try:
            yield events
        finally:
            await events.close()


async def shop(live: Env, *, member: bool = False) -> tuple[Any, Any, httpx.AsyncClient, str]:
    """The agency's owner sees the workspace; as a member (staff) they can also be assigned friends."""
    owner = await live.user("owner@shop.example")
    workspace = await live.workspace(await live.agency(owner=owner), members={owner: "owner"} if member else None)
    emulator = emulator_of(live.app.state)
    assert emulator is not None
    await register_channels(live.app.state["enishi"], emulator)
    staff = await _login(live, "owner@shop.example")
    return workspace, emulator, staff, f"/api/workspaces/{workspace.id}/inbox"


async def friend_ids(staff: httpx.AsyncClient, base: str, count: int) -> dict[str, int]:
    async def all_there() -> dict[str, int] | None:
        items = (await staff.get(f"{base}/conversations")).json()["items"]
        names = {c["friend"]["display_name"]: c["friend"]["id"] for c in items}
        return names if len(names) == count and all(names) else None

    found = await _until(all_there)
    assert found
    return dict(found)


async def test_new_messages_reach_an_open_stream_and_a_reconnect_resumes(live: Env) -> None:
    live.app.state[STREAM_TIMING_STATE] = StreamTiming(poll=0.1)
    workspace, emulator, staff, base = await shop(live)
    channel = workspace.line_channel_id
    hanako = emulator.add_user(channel, "花子")
    await emulator.follow(channel, hanako.user_id)
    await emulator.send_text(channel, hanako.user_id, "はじめまして")
    hanako_id = (await friend_ids(staff, base, 1))["花子"]
    first = (await staff.get(f"{base}/friends/{hanako_id}/messages")).json()["items"][0]["id"]

    async with opened(staff, f"{base}/stream") as events:
        ready = await events.next("ready")
        assert ready["data"] == {"cursor": first, "updates": []}  # it starts at the newest message
        assert ready["id"] == str(first)

        # The friend writes: the open stream says which conversation has news, without anyone asking.
        await emulator.send_text(channel, hanako.user_id, "予約できますか？")
        news = await events.next("conversations")
        [update] = news["data"]["updates"]
        assert update["friend_id"] == hanako_id
        assert (update["new_messages"], update["new_inbound"]) == (1, 1)
        asked = update["last_message_id"]
        assert news["id"] == str(asked) == str(news["data"]["cursor"])

        # A staff reply is news too (another tab shows it), but not an unread one.
        reply = await staff.post(
            f"{base}/friends/{hanako_id}/messages", json={"messages": [{"type": "text", "text": "はい"}]}
        )
        assert reply.status_code == 202, reply.text
        news = await events.next("conversations")
        assert [(u["friend_id"], u["new_messages"], u["new_inbound"]) for u in news["data"]["updates"]] == [
            (hanako_id, 1, 0)
        ]
        # Nothing is told twice.
        await asyncio.sleep(0.5)
        assert len([e for e in events.items if e["event"] == "conversations"]) == 2

    # Reconnecting with the last id seen (what the browser does) tells what came since, at once.
    async with opened(staff, f"{base}/stream", headers={"Last-Event-ID": str(first)}) as events:
        assert (await events.next("ready"))["data"]["cursor"] == first
        news = await events.next("conversations")
        assert news["data"]["updates"][0]["new_messages"] == 2
    # ?after works the same; Last-Event-ID wins over it.
    async with opened(staff, f"{base}/stream", params={"after": 0}, headers={"Last-Event-ID": str(asked)}) as events:
        assert (await events.next("ready"))["data"]["cursor"] == asked


async def test_a_message_committed_late_with_a_smaller_id_is_still_told(live: Env) -> None:
    live.app.state[STREAM_TIMING_STATE] = StreamTiming(poll=0.1)
    workspace, emulator, staff, base = await shop(live)
    channel = workspace.line_channel_id
    taro = emulator.add_user(channel, "太郎")
    await emulator.follow(channel, taro.user_id)
    await emulator.send_text(channel, taro.user_id, "こんにちは")
    taro_id = (await friend_ids(staff, base, 1))["太郎"]
    newest = (await staff.get(f"{base}/friends/{taro_id}/messages")).json()["items"][0]["id"]

    async with opened(staff, f"{base}/stream", params={"after": newest}) as events:
        await events.next("ready")
        # Ids newer than the cursor, the larger one seen first (as when transactions commit out of order).
        async with live.db.transaction(workspace.id) as s:
            s.add(
                Message(
                    id=newest + 50, workspace_id=workspace.id, friend_id=taro_id, direction="in", kind="text", body={}
                )
            )
        news = await events.next("conversations")
        assert news["data"]["cursor"] == newest + 50
        async with live.db.transaction(workspace.id) as s:
            s.add(
                Message(
                    id=newest + 10, workspace_id=workspace.id, friend_id=taro_id, direction="in", kind="text", body={}
                )
            )
        late = await events.next("conversations")
        assert late["data"]["updates"] == [
            {"friend_id": taro_id, "last_message_id": newest + 10, "new_messages": 1, "new_inbound": 1}
        ]
        assert late["data"]["cursor"] == newest + 50  # the cursor never goes back


async def test_the_stream_ends_after_its_lifetime_and_once_access_is_gone(live: Env) -> None:
    _, _, staff, base = await shop(live)
    live.app.state[STREAM_TIMING_STATE] = StreamTiming(poll=0.05, lifetime=0.5)
    async with opened(staff, f"{base}/stream") as events:
        await events.next("ready")
        assert await _until(events.has_ended, 10)

    live.app.state[STREAM_TIMING_STATE] = StreamTiming(poll=0.05, access=0.1, keepalive=0.1)
    async with opened(staff, f"{base}/stream") as events:
        await events.next("ready")
        await asyncio.sleep(0.4)
        assert not events.ended  # kept alive meanwhile
        async with live.db.transaction() as s:  # the owner leaves the agency: no more access to the workspace
            await s.execute(delete(AgencyMembership))
        assert await _until(events.has_ended, 10)
    assert (await staff.get(f"{base}/stream")).status_code == 404

    # A member who is deactivated meanwhile is cut off too.
    worker = await live.user("worker@shop.example")
    workspace_id = int(base.split("/")[3])
    async with live.db.transaction() as s:
        await add_member(s, await s.get_one(Workspace, workspace_id), await s.get_one(User, worker.id), "operator")
    member = await _login(live, "worker@shop.example")
    async with opened(member, f"{base}/stream") as events:
        await events.next("ready")
        async with live.db.transaction() as s:
            await s.execute(update(User).where(User.id == worker.id).values(is_active=False))
        assert await _until(events.has_ended, 10)

    # Another workspace's staff cannot listen; a bad Last-Event-ID is refused with its path.
    other = await live.user("other@shop.example")
    theirs = await live.workspace(await live.agency(owner=other))
    outsider = await _login(live, "other@shop.example")
    assert (await outsider.get(f"{base}/stream")).status_code == 404
    for bad in ("x", "-1", "9" * 30):
        refused = await outsider.get(f"/api/workspaces/{theirs.id}/inbox/stream", headers={"Last-Event-ID": bad})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["path"] == "header:Last-Event-ID"
    too_far = await outsider.get(f"/api/workspaces/{theirs.id}/inbox/stream", params={"after": 2**63})
    assert too_far.status_code == 422 and too_far.json()["errors"][0]["path"] == "query:after"


async def test_conversations_filtered_by_mark_and_assignee(live: Env) -> None:
    workspace, emulator, staff, base = await shop(live, member=True)
    channel = workspace.line_channel_id
    for name in ("花子", "太郎", "次郎"):
        user = emulator.add_user(channel, name)
        await emulator.follow(channel, user.user_id)
        await emulator.send_text(channel, user.user_id, f"{name}です")
    ids = await friend_ids(staff, base, 3)
    api = f"/api/workspaces/{workspace.id}"
    marks = {m["label"]: m["id"] for m in (await staff.get(f"{api}/response_marks/marks")).json()}
    mark = next(iter(marks.values()))
    assert (await staff.put(f"{api}/response_marks/friends/{ids['花子']}", json={"mark_id": mark})).status_code == 200
    me = (await staff.get("/api/auth/me")).json()["user"]["id"]
    assigned = await staff.put(f"{api}/assignment/friends/{ids['太郎']}", json={"user_id": me})
    assert assigned.status_code == 200, assigned.text

    async def names(condition: dict[str, Any]) -> set[str]:
        segment = condition if "all" in condition else {"all": [condition]}
        response = await staff.get(f"{base}/conversations", params={"segment": json.dumps(segment)})
        assert response.status_code == 200, response.text
        return {c["friend"]["display_name"] for c in response.json()["items"]}

    mark_is = {"type": "response_marks.mark_is", "config": {"mark_ids": [mark]}}
    assert await names(mark_is) == {"花子"}
    assert await names({"type": "response_marks.mark_is", "config": {"no_mark": True}}) == {"太郎", "次郎"}
    assert await names({"type": "assignment.assignee_is", "config": {"match": "any_of", "user_ids": [me]}}) == {"太郎"}
    assert await names({"type": "assignment.assignee_is", "config": {"match": "nobody"}}) == {"花子", "次郎"}
    both = {"all": [mark_is, {"type": "assignment.assignee_is", "config": {"match": "nobody"}}]}
    assert await names(both) == {"花子"}
    # Unread counts stay this staff member's own.
    marked = json.dumps({"all": [mark_is]})
    unread = (await staff.get(f"{base}/conversations", params={"segment": marked})).json()["items"]
    assert [c["unread"] for c in unread] == [1]

    bad = await staff.get(f"{base}/conversations", params={"segment": "{not json"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "query:segment"
    unknown = await staff.get(
        f"{base}/conversations",
        params={"segment": json.dumps({"all": [{"type": "response_marks.mark_is", "config": {}}]})},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"].startswith("query:segment")
