"""The notes nodes and friend field source against the real database: the notes_contain condition, the
add_note action (templates, once per step run, bulk) and notes.latest."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pytest
from enishi_notes import fields, nodes
from enishi_notes.models import Note
from sqlalchemy import func, select

from enishi import Friend, check_node_config, evaluate_condition

if TYPE_CHECKING:
    from tests.plugins.notes.conftest import World


async def segment(world: World, config: Mapping[str, Any]) -> set[str]:
    ctx = world.context()
    async with ctx.session:
        expression = nodes.compile_notes_contain(ctx, config)
        ids = set(await ctx.session.scalars(select(Friend.id).where(expression)))
    names = {v: k for k, v in world.friends.items()}
    return {names.get(i, str(i)) for i in ids}


async def notes_of(world: World, friend_id: int) -> list[tuple[str, int | None, str, bool]]:
    async with world.env.db.session(world.workspace_id) as s:
        rows = await s.execute(
            select(Note.body, Note.author_user_id, Note.source, Note.pinned)
            .where(Note.friend_id == friend_id)
            .order_by(Note.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_notes_contain_condition(world: World) -> None:
    await world.note("aoi", "VIP候補。カフェ好き")
    await world.note("ren", "ｶﾌｪの常連")
    gone = await world.note("yui", "カフェ")
    assert (await world.client.delete(world.url(f"/{gone['id']}"))).status_code == 204
    other = await world.client.post(
        world.url(f"/friends/{world.stranger}", world.other_workspace_id), json={"body": "カフェ"}
    )
    assert other.status_code == 201

    assert await segment(world, {"text": "カフェ"}) == {"aoi", "ren"}  # half-width ｶﾌｪ too; deleted notes never
    assert await segment(world, {"text": "vip", "match": "contains"}) == {"aoi"}
    assert await segment(world, {"text": "カフェ", "match": "not_contains"}) == {"yui"}
    assert await segment(world, {"text": "%"}) == set()
    with pytest.raises(ValueError):
        await segment(world, {"text": "x", "match": "maybe"})
    ctx = world.context()
    async with ctx.session:
        branch = {
            name: await evaluate_condition(ctx, "notes.notes_contain", None, fid, {"text": "ＶＩＰ"})
            for name, fid in world.friends.items()
        }
    assert branch == {"aoi": True, "ren": False, "yui": False}


async def field_values(world: World, **rank_of: str) -> None:
    """A friend_fields field "rank" with values, to use as {{field.rank}}."""
    base = f"/api/workspaces/{world.workspace_id}/friend_fields"
    made = await world.client.post(f"{base}/fields", json={"key": "rank", "label": "ランク", "type": "text"})
    assert made.status_code == 201, made.text
    for name, rank in rank_of.items():
        friend_id = world.friends.get(name) or int(name)
        response = await world.client.patch(f"{base}/friends/{friend_id}", json={"values": {"rank": rank}})
        assert response.status_code == 200, response.text


async def test_add_note_action_renders_variables_once_per_step_run(world: World) -> None:
    f = world.friends
    await field_values(world, aoi="ゴールド")
    config = {"body": "{{friend.display_name}}様 ランク: {{field.rank|未設定}} {{ friend.id }}", "pin": True}
    key = str(uuid.uuid4())
    ctx = world.action_context(source="scenario", idempotency_key=key)
    async with ctx.session.begin():
        first = await nodes.run_add_note(ctx, f["aoi"], config)
        again = await nodes.run_add_note(ctx, f["aoi"], config)  # a retried step with the same key
        assert first["created"] is True and again == {"note_id": first["note_id"], "created": False}
    other = world.action_context(source="scenario")
    async with other.session.begin():
        assert (await nodes.run_add_note(other, f["ren"], config))["created"] is True
        empty = await nodes.run_add_note(other, f["yui"], {"body": "{{field.rank}}"})
        assert empty == {"note_id": None, "created": False, "skipped": "the note was empty"}
        with pytest.raises(LookupError):
            await nodes.run_add_note(other, world.stranger, config)
    assert await notes_of(world, f["aoi"]) == [(f"aoi様 ランク: ゴールド {f['aoi']}", None, "scenario", True)]
    assert await notes_of(world, f["ren"]) == [(f"ren様 ランク: 未設定 {f['ren']}", None, "scenario", True)]
    assert await notes_of(world, f["yui"]) == []
    # What the action wrote is searchable like any note.
    hits = (await world.client.get(world.url("/search?q=ゴールド"))).json()["items"]
    assert [h["friend_id"] for h in hits] == [f["aoi"]]


async def test_add_note_check_config(world: World) -> None:
    await field_values(world)
    ctx = world.context()

    async def problem_paths(config: Any) -> list[str]:
        async with ctx.session:
            found = await check_node_config(ctx, "actions", "notes.add_note", None, config)
            return list(dict.fromkeys(p.path for p in found))  # "" is both too short and blank: one place

    assert await problem_paths({"body": "{{friend.display_name}} {{field.rank|-}}"}) == []
    assert await problem_paths({"body": "{{field.nope}}"}) == ["$.body"]
    assert await problem_paths({"body": "{{friend.email}}"}) == ["$.body"]
    assert await problem_paths({"body": "{{ not a variable }}"}) == ["$.body"]
    assert await problem_paths({"body": "{{tags.tags}}"}) == ["$.body"]  # the tags plugin is off here
    assert await problem_paths({"body": ""}) == ["$.body"]
    assert await problem_paths({"body": "  "}) == ["$.body"]
    assert await problem_paths({"body": "x" * 5001}) == ["$.body"]
    assert await problem_paths({"body": "x", "pin": "yes"}) == ["$.pin"]
    # an unknown field is named at its own place, a missing one where it belongs
    assert await problem_paths({"body": "x", "author": 1}) == ["$.author"]
    assert await problem_paths({"text": "x", "match": "contains"}) == ["$.body", "$.text"]


async def test_add_note_in_bulk(world: World) -> None:
    many = await world.add_friends(1100)  # more than two batches
    await field_values(world, **{str(many[0]): "ゴールド"})
    everyone = select(Friend.id).where(Friend.id.in_(many))
    ctx = world.context()
    async with ctx.session.begin():
        added = await nodes.run_add_note_bulk(ctx, everyone, {"body": "{{friend.display_name}}: {{field.rank|-}}"})
    assert added == 1100
    async with world.env.db.session(world.workspace_id) as s:
        assert await s.scalar(select(func.count()).select_from(Note).where(Note.source == "bulk")) == 1100
    assert await notes_of(world, many[0]) == [("f0: ゴールド", None, "bulk", False)]
    assert await notes_of(world, many[-1]) == [("f1099: -", None, "bulk", False)]
    assert await segment(world, {"text": "f1099:"}) == {str(many[-1])}


async def test_latest_note_as_friend_data(world: World) -> None:
    f = world.friends
    await world.note("aoi", "古いメモ")
    newest = await world.note("aoi", "新しいメモ " + "あ" * 200)
    await world.note("ren", "れんのメモ")
    gone = await world.note("ren", "消したメモ")
    await world.client.delete(world.url(f"/{gone['id']}"))
    ctx = world.context()
    async with ctx.session:
        described = await fields.describe(ctx)
        loaded = await fields.load(ctx, list(f.values()), ["latest", "count", "latest_at"])
        only_count = await fields.load(ctx, [f["aoi"]], ["count", "unknown"])
        by_count = list(
            await ctx.session.scalars(select(Friend.id).order_by(fields.column(ctx, "count").desc(), Friend.id))
        )
        latest_text = dict(
            (await ctx.session.execute(select(Friend.id, fields.column(ctx, "latest")).order_by(Friend.id))).all()
        )
    assert [(d.key, d.label.ja) for d in described] == [
        ("latest", "最新のメモ"),
        ("latest_at", "最新のメモの日時"),
        ("count", "メモの件数"),
    ]
    assert loaded[f["aoi"]]["count"] == 2 and loaded[f["ren"]]["count"] == 1
    assert loaded[f["aoi"]]["latest"].startswith("新しいメモ") and loaded[f["aoi"]]["latest"].endswith("…")
    assert loaded[f["aoi"]]["latest_at"] == newest["created_at"].replace("Z", "+00:00")
    assert loaded[f["ren"]]["latest"] == "れんのメモ"  # the deleted one does not count
    assert f["yui"] not in loaded
    assert only_count == {f["aoi"]: {"count": 2}}
    assert by_count == [f["aoi"], f["ren"], f["yui"]]
    assert latest_text[f["ren"]] == "れんのメモ" and latest_text[f["yui"]] is None
    with pytest.raises(KeyError):
        fields.column(ctx, "nope")
