"""Bulk operations: an action on a segment or a selection, in the background, chunk by chunk, exactly once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from enishi_notes.models import Note
from enishi_tags.models import FriendTag
from sqlalchemy import func, select

from enishi.audience import bulk
from enishi.db.base import utcnow
from enishi.models import AuditEntry, BulkOperationFriend, Friend, User, WorkspaceMembership
from enishi.models.audience import SavedSegment
from tests.conftest import PASSWORD
from tests.scenarios.conftest import World, chain, document, node


class SimulatedCrash(Exception):
    """A worker dying between applying a chunk and committing it."""


def url(world: World, path: str = "", workspace_id: int | None = None) -> str:
    return f"/api/workspaces/{workspace_id or world.workspace_id}/bulk-operations{path}"


def has(tag: int) -> dict[str, Any]:
    """A segment: friends with the tag."""
    return {"all": [{"type": "tags.has_tags", "config": {"tag_ids": [tag]}}]}


def add_tag(tag: int) -> dict[str, Any]:
    return {"type": "tags.add_tag", "config": {"tag_ids": [tag]}}


async def more_friends(world: World, count: int, status: str = "following") -> list[int]:
    async with world.db.transaction(world.workspace_id) as s:
        friends = [
            Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name=f"友だち{i}", status=status) for i in range(count)
        ]
        s.add_all(friends)
        await s.flush()
        return [f.id for f in friends]


async def following(world: World) -> set[int]:
    async with world.db.session(world.workspace_id) as s:
        return set((await s.scalars(select(Friend.id).where(Friend.status == "following"))).all())


async def tagged(world: World, tag: int) -> dict[int, str]:
    """Friend → the source recorded on the link."""
    async with world.db.session(world.workspace_id) as s:
        rows = await s.execute(select(FriendTag.friend_id, FriendTag.source).where(FriendTag.tag_id == tag))
        return {friend: source for friend, source in rows}


async def notes_per_friend(world: World) -> Counter[int]:
    async with world.db.session(world.workspace_id) as s:
        return Counter((await s.scalars(select(Note.friend_id))).all())


async def start(world: World, action: dict[str, Any], target: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = await world.client.post(url(world), json={"action": action, "target": target}, headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def finished(world: World, operation_id: int) -> dict[str, Any]:
    await world.settle()
    response = await world.client.get(url(world, f"/{operation_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def problems(world: World, body: Any, status: int = 422) -> list[str]:
    """The paths of what is wrong; 400 for a body of the wrong shape, 422 for what it names."""
    response = await world.client.post(url(world), json=body)
    assert response.status_code == status, response.text
    return [e["path"] for e in response.json()["errors"]]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 3)
    return 3


async def test_tag_a_segment_in_chunks_then_a_rerun_changes_nothing(world: World, small_chunks: int) -> None:
    vip, thanks = await world.tag("VIP"), await world.tag("お礼済み")
    await more_friends(world, 7)
    await more_friends(world, 2, status="blocked")
    aoi = world.friends["aoi"]
    await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{aoi}/{thanks}")
    everyone = await following(world)
    assert len(everyone) == 9

    created = await start(world, add_tag(thanks), {"segment": {"all": []}})
    assert created["status"] == "queued" and created["progress"]["total"] is None
    assert created["action"] == {"type": "tags.add_tag", "type_version": 1, "config": {"tag_ids": [thanks]}}
    report = await finished(world, created["id"])
    assert report["status"] == "done" and report["finished_at"] is not None
    assert report["progress"] == {
        "total": 9,
        "done": 9,
        "failed": 0,
        "remaining": 0,
        "changed": 8,  # aoi had the tag already
        "percent": 100.0,
        "chunks_done": 3,
        "chunks_failed": 0,
    }
    assert report["errors"] == [] and report["error"] is None
    links = await tagged(world, thanks)
    assert set(links) == everyone  # blocked friends are not in a segment unless asked for
    assert {source for friend, source in links.items() if friend != aoi} == {"bulk"}
    assert await world.tags_of(world.friends["ren"]) == {thanks}
    assert vip not in await world.tags_of(aoi)

    again = await finished(world, (await start(world, add_tag(thanks), {"segment": {"all": []}}))["id"])
    assert again["id"] != created["id"]
    assert again["status"] == "done"
    assert (again["progress"]["total"], again["progress"]["done"], again["progress"]["changed"]) == (9, 9, 0)

    async with world.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(BulkOperationFriend)) == 0  # nothing left behind
        entry = await s.scalar(
            select(AuditEntry).where(AuditEntry.action == "core.create_bulk_operation").order_by(AuditEntry.id).limit(1)
        )
    assert entry is not None and entry.status_code == 202 and entry.workspace_id == world.workspace_id
    assert entry.details["operation_id"] == created["id"]
    assert entry.details["action"] == "tags.add_tag" and entry.details["config"] == {"tag_ids": [thanks]}
    assert entry.details["target"] == {"segment": {"all": []}, "status": "following"}

    page = (await world.client.get(url(world), params={"limit": 1})).json()
    assert [op["id"] for op in page["items"]] == [again["id"]]  # newest first
    rest = (await world.client.get(url(world), params={"after": page["next"]})).json()
    assert [op["id"] for op in rest["items"]] == [created["id"]] and rest["next"] is None
    assert (await world.client.get(url(world), params={"status": "queued"})).json()["items"] == []


async def test_targets_exclude_blocked_friends_and_a_selection(world: World) -> None:
    vip, ng, mark = await world.tag("VIP"), await world.tag("配信停止"), await world.tag("対象")
    aoi, ren, yui = world.friends["aoi"], world.friends["ren"], world.friends["yui"]
    for friend, tag in [(aoi, vip), (ren, vip), (ren, ng), (yui, vip)]:
        await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{friend}/{tag}")

    await finished(world, (await start(world, add_tag(mark), {"segment": has(vip), "exclude": has(ng)}))["id"])
    assert set(await tagged(world, mark)) == {aoi}
    remove = {"type": "tags.remove_tag", "config": {"tag_ids": [mark]}}
    await finished(world, (await start(world, remove, {"segment": {"all": []}}))["id"])
    assert await tagged(world, mark) == {}

    done = await finished(world, (await start(world, add_tag(mark), {"segment": has(vip), "status": "all"}))["id"])
    assert set(await tagged(world, mark)) == {aoi, ren, yui} and done["target"]["status"] == "all"
    await finished(world, (await start(world, remove, {"segment": has(vip), "status": "blocked"}))["id"])
    assert set(await tagged(world, mark)) == {aoi, ren}

    # A selection is exactly the friends picked, blocked or not, less the exclusion.
    picked = await start(world, add_tag(ng), {"friend_ids": [yui, aoi, yui], "exclude": has(mark)})
    assert picked["target"]["selected"] == 2
    report = await finished(world, picked["id"])
    assert report["progress"]["total"] == 1 and report["progress"]["changed"] == 1
    assert set(await tagged(world, ng)) == {ren, yui}


async def test_a_saved_segment_is_copied_when_the_operation_is_made(world: World) -> None:
    vip, mark = await world.tag("VIP"), await world.tag("対象")
    aoi, ren = world.friends["aoi"], world.friends["ren"]
    await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{aoi}/{vip}")
    async with world.db.transaction(world.workspace_id) as s:
        stranger = User(email="someone@else.example", display_name="他人", password_hash="x")
        s.add(stranger)
        await s.flush()
        shared = SavedSegment(name="VIP", segment=has(vip), sort={"by": "id", "direction": "asc"})
        private = SavedSegment(
            name="私用", segment={"all": []}, sort={"by": "id", "direction": "asc"}, owner_user_id=stranger.id
        )
        s.add_all([shared, private])
        await s.flush()
        shared_id, private_id = shared.id, private.id

    assert await problems(world, {"action": add_tag(mark), "target": {"saved_segment_id": private_id}}) == [
        "$.target.saved_segment_id"
    ]
    created = await start(world, add_tag(mark), {"saved_segment_id": shared_id})
    async with world.db.transaction(world.workspace_id) as s:
        (await s.get_one(SavedSegment, shared_id)).segment = {"all": []}  # edited after the request
    report = await finished(world, created["id"])
    assert report["target"]["saved_segment_id"] == shared_id
    assert report["target"]["segment"] == has(vip)
    assert set(await tagged(world, mark)) == {aoi} and ren not in await tagged(world, mark)


async def test_an_idempotency_key_returns_the_operation_it_made(world: World) -> None:
    mark = await world.tag("対象")
    body = {"action": add_tag(mark), "target": {"segment": {"all": []}}}
    first = await world.client.post(url(world), json=body, headers={"Idempotency-Key": "tab-1-click"})
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    await world.settle()
    second = await world.client.post(url(world), json=body, headers={"Idempotency-Key": "tab-1-click"})
    assert second.status_code == 202 and second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"] and second.json()["status"] == "done"
    assert len((await world.client.get(url(world))).json()["items"]) == 1

    other = {"action": add_tag(mark), "target": {"segment": {"all": []}, "status": "all"}}
    reused = await world.client.post(url(world), json=other, headers={"Idempotency-Key": "tab-1-click"})
    assert reused.status_code == 409
    assert [e["path"] for e in reused.json()["errors"]] == ["header:Idempotency-Key"]
    too_long = await world.client.post(url(world), json=body, headers={"Idempotency-Key": "k" * 201})
    assert too_long.status_code == 400
    assert [e["path"] for e in too_long.json()["errors"]] == ["header:Idempotency-Key"]
    # The same key in another workspace is another request.
    elsewhere = await world.client.post(
        url(world, workspace_id=world.other_workspace_id),
        json={
            "action": {"type": "core.stop_scenario", "config": {"scenario_id": 1}},
            "target": {"segment": {"all": []}},
        },
        headers={"Idempotency-Key": "tab-1-click"},
    )
    assert elsewhere.status_code == 422  # checked as a new request there (no such scenario), not a 409
    assert len((await world.client.get(url(world))).json()["items"]) == 1


async def test_start_and_stop_a_scenario_for_a_segment(world: World) -> None:
    vip = await world.tag("VIP")
    aoi, ren, yui = world.friends["aoi"], world.friends["ren"], world.friends["yui"]
    for friend in (aoi, ren, yui):
        await world.client.put(f"/api/workspaces/{world.workspace_id}/tags/friends/{friend}/{vip}")
    first, wait = node("core.manual_start"), node("core.wait_delay", {"days": 3})
    scenario_id = await world.scenario(document([first, wait], chain(first, wait)))
    draft_id = await world.scenario(document([first, wait], chain(first, wait)), publish=False, name="下書き")

    begin = {"type": "core.start_scenario", "config": {"scenario_id": scenario_id}}
    report = await finished(world, (await start(world, begin, {"segment": has(vip)}))["id"])
    assert report["status"] == "done" and report["progress"]["changed"] == 2
    runs = await world.runs(scenario_id)
    assert {(r.friend_id, r.source) for r in runs} == {(aoi, "bulk"), (ren, "bulk")}  # yui blocked us

    again = await finished(world, (await start(world, begin, {"segment": has(vip)}))["id"])
    assert again["progress"]["changed"] == 0 and len(await world.runs(scenario_id)) == 2

    stop = {"type": "core.stop_scenario", "config": {"scenario_id": scenario_id}}
    stopped = await finished(world, (await start(world, stop, {"friend_ids": [aoi]}))["id"])
    assert stopped["progress"]["changed"] == 1
    after = {r.friend_id: r for r in await world.runs(scenario_id)}
    assert after[aoi].status == "stopped" and after[aoi].ended_at is not None
    assert after[ren].status in ("active", "waiting") and after[ren].ended_at is None  # the engine moves it on

    not_running = {"type": "core.start_scenario", "config": {"scenario_id": draft_id}}
    assert await problems(world, {"action": not_running, "target": {"segment": has(vip)}}) == [
        "$.action.config.scenario_id"
    ]


async def test_cancel_a_queued_and_a_running_operation(
    world: World, small_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = await world.tag("対象")
    await more_friends(world, 7)
    everyone = sorted(await following(world))

    # Queued: its job has not started (the wake-up is held back here), so it stops before doing anything.
    monkeypatch.setattr(bulk, "enqueue_after_commit", lambda *a, **k: None)
    queued = await start(world, add_tag(mark), {"segment": {"all": []}})
    cancelled = await world.client.post(url(world, f"/{queued['id']}/cancel"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert await bulk.run_operation(world.job_context(), queued["id"]) == "finished"
    assert await tagged(world, mark) == {}
    again = await world.client.post(url(world, f"/{queued['id']}/cancel"))
    assert again.status_code == 409 and again.json()["error"] == "finished"
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "CHUNK_SIZE", small_chunks)

    # Running: the worker stops after its second chunk; cancelling then stops the rest.
    crash_after_chunks(monkeypatch, 2)
    running = await start(world, add_tag(mark), {"segment": {"all": []}})
    report = await finished(world, running["id"])
    assert report["status"] == "running" and report["progress"]["done"] == 6
    response = await world.client.post(url(world, f"/{running['id']}/cancel"))
    assert response.status_code == 200
    assert response.json()["status"] == "running" and response.json()["cancel_requested"] is True
    await world.settle()  # the cancel woke the operation up, and it stopped at the next chunk
    report = await finished(world, running["id"])
    assert report["status"] == "cancelled" and report["finished_at"] is not None
    assert (report["progress"]["done"], report["progress"]["remaining"], report["progress"]["total"]) == (6, 0, 9)
    assert set(await tagged(world, mark)) == set(everyone[:6])


def crash_after_chunks(monkeypatch: pytest.MonkeyPatch, chunks: int) -> None:
    """The worker dies after ``chunks`` chunks, in the middle of the next one (its effects roll back)."""
    record = bulk._record_chunk
    calls = 0

    async def dying(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > chunks:
            raise SimulatedCrash("killed")
        await record(*args, **kwargs)

    monkeypatch.setattr(bulk, "_record_chunk", dying)


async def test_a_killed_worker_resumes_and_applies_every_chunk_once(
    world: World, small_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    await more_friends(world, 8)
    everyone = await following(world)
    assert len(everyone) == 10
    note = {"type": "notes.add_note", "config": {"body": "{{friend.display_name}}さん 一括メモ"}}

    crash_after_chunks(monkeypatch, 2)
    created = await start(world, note, {"segment": {"all": []}})
    report = await finished(world, created["id"])
    assert report["status"] == "running" and report["progress"]["done"] == 6  # 2 chunks of 3
    assert sum((await notes_per_friend(world)).values()) == 6  # the third chunk's notes rolled back

    monkeypatch.undo()  # a new worker, without the fault
    monkeypatch.setattr(bulk, "CHUNK_SIZE", small_chunks)
    job = world.job_context()
    assert await bulk.sweep_operations(job) == 0  # its heartbeat is recent: the worker might still be alive
    assert await bulk.sweep_operations(job, now=utcnow() + bulk.STALE_AFTER + timedelta(seconds=1)) == 1
    report = await finished(world, created["id"])
    assert report["status"] == "done"
    assert report["progress"]["done"] == 10 and report["progress"]["changed"] == 10
    assert report["progress"]["chunks_done"] == 4
    counts = await notes_per_friend(world)
    assert set(counts) == everyone and set(counts.values()) == {1}  # adding a note is not idempotent itself

    assert await bulk.run_operation(job, created["id"]) == "finished"  # a late duplicate job does nothing
    assert set((await notes_per_friend(world)).values()) == {1}


async def test_a_failing_chunk_is_reported_and_the_others_are_done(
    world: World, small_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = await world.tag("対象")
    await more_friends(world, 7)
    everyone = sorted(await following(world))
    bad = everyone[4]  # in the second chunk
    real = bulk.bulk_function

    def picky(entry: Any) -> Any:
        run_bulk = real(entry)

        async def run(ctx: Any, friend_ids: Any, config: Any) -> int:
            changed = await run_bulk(ctx, friend_ids, config)  # applied, then undone with the chunk's savepoint
            if bad in set((await ctx.session.scalars(friend_ids)).all()):
                raise RuntimeError("この友だちには付けられません")
            return changed

        return run

    monkeypatch.setattr(bulk, "bulk_function", picky)
    report = await finished(world, (await start(world, add_tag(mark), {"segment": {"all": []}}))["id"])
    assert report["status"] == "failed"
    progress = report["progress"]
    assert (progress["done"], progress["failed"], progress["changed"], progress["remaining"]) == (6, 3, 6, 0)
    assert (progress["chunks_done"], progress["chunks_failed"]) == (2, 1)
    [error] = report["errors"]
    assert error["first_friend_id"] == everyone[3] and error["last_friend_id"] == everyone[5]
    assert error["friends"] == 3 and "この友だちには付けられません" in error["error"]
    assert set(await tagged(world, mark)) == set(everyone[:3] + everyone[6:])


async def test_bad_input_is_refused_with_paths_and_nothing_is_stored(world: World) -> None:
    mark = await world.tag("対象")
    everyone = {"segment": {"all": []}}
    other_friend = (await more_friends(world, 1))[0]
    async with world.db.transaction(world.other_workspace_id) as s:
        stranger = Friend(line_user_id=f"U{uuid.uuid4().hex}", display_name="よそ")
        s.add(stranger)
        await s.flush()
        stranger_id = stranger.id
    shapes: list[tuple[Any, list[str]]] = [
        ({"target": everyone}, ["$.action"]),
        ({"action": add_tag(mark)}, ["$.target"]),
        ({"action": {"config": {}}, "target": everyone}, ["$.action.type"]),
        ({"action": add_tag(mark), "target": {**everyone, "friendIds": [1]}}, ["$.target.friendIds"]),
        ({"action": add_tag(mark), "target": {"friend_ids": list(range(1, 10_002))}}, ["$.target.friend_ids"]),
        ({"action": add_tag(mark), "target": {**everyone, "status": "gone"}}, ["$.target.status"]),
    ]
    for body, paths in shapes:
        assert await problems(world, body, 400) == paths, body
    cases: list[tuple[Any, list[str]]] = [
        ({"action": {"type": "tags.nope", "config": {}}, "target": everyone}, ["$.action.type"]),
        ({"action": {**add_tag(mark), "type_version": 9}, "target": everyone}, ["$.action.type_version"]),
        (
            {"action": {"type": "assignment.notify", "config": {"to": "assignee"}}, "target": everyone},
            ["$.action.type"],  # no bulk form
        ),
        ({"action": add_tag(999_999), "target": everyone}, ["$.action.config.tag_ids[0]"]),
        (
            {"action": {"type": "tags.add_tag", "config": {"tag_ids": "x"}}, "target": everyone},
            ["$.action.config.tag_ids"],
        ),
        ({"action": add_tag(mark), "target": {}}, ["$.target"]),
        ({"action": add_tag(mark), "target": {**everyone, "friend_ids": [other_friend]}}, ["$.target"]),
        (
            {"action": add_tag(mark), "target": {"segment": {"all": [{"type": "tags.has_tags", "config": {}}]}}},
            ["$.target.segment.all[0].config.tag_ids"],
        ),
        (
            {
                "action": add_tag(mark),
                "target": {**everyone, "exclude": {"all": [{"type": "core.nope", "config": {}}]}},
            },
            ["$.target.exclude.all[0].type"],
        ),
        (
            {"action": add_tag(mark), "target": {"friend_ids": [other_friend, stranger_id]}},
            ["$.target.friend_ids[1]"],
        ),
        ({"action": add_tag(mark), "target": {"friend_ids": [other_friend], "status": "all"}}, ["$.target.status"]),
        ({"action": add_tag(mark), "target": {"saved_segment_id": 999_999}}, ["$.target.saved_segment_id"]),
        (
            {"action": add_tag(999_999), "target": {"segment": {"any": []}}},
            ["$.action.config.tag_ids[0]", "$.target.segment.any"],  # every problem at once
        ),
    ]
    for body, paths in cases:
        assert await problems(world, body) == paths, body
    assert (await world.client.get(url(world))).json()["items"] == []
    assert await tagged(world, mark) == {}

    bad_cursor = await world.client.get(url(world), params={"after": "!!"})
    assert bad_cursor.status_code == 400 and bad_cursor.json()["errors"][0]["path"] == "query:after"
    bad_status = await world.client.get(url(world), params={"status": "paused"})
    assert bad_status.status_code == 400 and bad_status.json()["errors"][0]["path"] == "query:status"


async def test_other_workspaces_and_permissions(world: World) -> None:
    mark = await world.tag("対象")
    created = await start(world, add_tag(mark), {"segment": {"all": []}})
    await world.settle()
    elsewhere = url(world, f"/{created['id']}", workspace_id=world.other_workspace_id)
    assert (await world.client.get(elsewhere)).status_code == 404
    assert (await world.client.post(elsewhere + "/cancel")).status_code == 404
    assert (await world.client.get(url(world, workspace_id=world.other_workspace_id))).json()["items"] == []
    assert (await world.client.get(url(world, "/999999"))).status_code == 404

    async with world.db.transaction() as s:
        viewer = User(email="viewer@bulk.example", display_name="閲覧", password_hash=_hash())
        s.add(viewer)
        await s.flush()
        s.add(WorkspaceMembership(workspace_id=world.workspace_id, user_id=viewer.id, role="viewer"))
    client = await world.env.login("viewer@bulk.example")
    refused = await client.post(url(world), json={"action": add_tag(mark), "target": {"segment": {"all": []}}})
    assert refused.status_code == 403
    assert (await client.post(url(world, f"/{created['id']}/cancel"))).status_code == 403
    assert [op["id"] for op in (await client.get(url(world))).json()["items"]] == [created["id"]]
    assert (await client.get(url(world, f"/{created['id']}"))).json()["status"] == "done"
    await world.env.user("outsider@bulk.example")
    stranger = await world.env.login("outsider@bulk.example")
    assert (await stranger.get(url(world))).status_code == 404


async def test_the_actions_that_can_run_in_bulk(world: World) -> None:
    response = await world.client.get(url(world, "/actions"))
    assert response.status_code == 200
    keys = {a["key"] for a in response.json()}
    assert {"tags.add_tag", "tags.remove_tag", "core.start_scenario", "core.stop_scenario", "notes.add_note"} <= keys
    assert "assignment.notify" not in keys and "messages.send_messages" not in keys
    add = next(a for a in response.json() if a["key"] == "tags.add_tag")
    assert add["config_schema"]["required"] == ["tag_ids"] and add["label"]["ja"] == "タグを付ける"


def _hash() -> str:
    from enishi.auth.passwords import hash_password

    return hash_password(PASSWORD)


async def test_an_operation_whose_plugin_was_switched_off_fails_and_says_why(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    vip = await world.tag("VIP")
    monkeypatch.setattr(bulk, "enqueue_after_commit", lambda *a, **k: None)  # both wait in the queue
    note = {"type": "notes.add_note", "config": {"body": "VIPのお客さま"}}
    by_tag = await start(world, note, {"segment": has(vip)})
    tagging = await start(world, add_tag(vip), {"segment": {"all": []}})
    response = await world.client.put(f"/api/workspaces/{world.workspace_id}/plugins/tags", json={"enabled": False})
    assert response.status_code == 200, response.text

    for created in (by_tag, tagging):
        # ("finished" should the sweeper have woken it first, on a slow machine)
        assert await bulk.run_operation(world.job_context(), created["id"]) in ("failed", "finished")
        report = await finished(world, created["id"])
        assert report["status"] == "failed" and "tags" in report["error"]
        assert report["progress"]["done"] == 0
    assert await notes_per_friend(world) == Counter()
