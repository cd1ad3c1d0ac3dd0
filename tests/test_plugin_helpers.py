"""The helpers plugins share instead of copying: rows or 404, writes that may conflict, unknown ids, keyset
cursors, and a workspace's context for code outside requests and hooks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

import enishi
from enishi import (
    ApiError,
    Friend,
    WorkspaceUnavailable,
    already_taken,
    encode_cursor,
    flush_or_conflict,
    get_or_404,
    missing_ids,
    open_workspace,
    plugin_enabled,
    read_cursor,
    unknown_ids,
)
from enishi.api.helpers import MAX_LISTED_PROBLEMS
from enishi.models import WorkspacePlugin
from tests.conftest import Env


def test_the_helpers_are_exported_from_enishi() -> None:
    for name in ("get_or_404", "flush_or_conflict", "already_taken", "missing_ids", "unknown_ids", "read_cursor"):
        assert name in enishi.__all__ and callable(getattr(enishi, name))
    for name in ("open_workspace", "plugin_enabled", "workspace_context", "workspace_state", "WorkspaceUnavailable"):
        assert name in enishi.__all__ and getattr(enishi, name) is not None


def _status(exc: ApiError) -> tuple[int, str, list[dict[str, str]]]:
    return exc.status_code, exc.error, exc.errors


def test_read_cursor_returns_the_shape_it_was_given() -> None:
    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert read_cursor(None, int) is None
    assert read_cursor(encode_cursor(42), int) == 42
    assert read_cursor(encode_cursor([1, 7]), (bool, int)) == (True, 7)
    assert read_cursor(encode_cursor([False, 7]), (bool, int)) == (False, 7)
    assert read_cursor(encode_cursor([at.isoformat(), 7]), (datetime, int)) == (at, 7)
    assert read_cursor(encode_cursor([9]), (int,)) == (9,)
    assert read_cursor(encode_cursor(["b", 3]), (str, int)) == ("b", 3)


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        (True, int),  # a bool is not an id
        ("7", int),
        (7.5, int),
        ([7], int),
        (7, (int,)),
        ([1, 2, 3], (int, int)),
        ([2, 7], (bool, int)),
        (["2026-12-07T03:00:00", 7], (datetime, int)),  # no time zone
        (["yesterday", 7], (datetime, int)),
        ([None, 7], (str, int)),
    ],
)
def test_read_cursor_refuses_any_other_shape(value: object, shape: object) -> None:
    with pytest.raises(ApiError) as refused:
        read_cursor(encode_cursor(value), shape)  # type: ignore[call-overload]
    assert _status(refused.value) == (400, "bad_cursor", [{"path": "query:after", "message": "bad cursor"}])
    with pytest.raises(ApiError):
        read_cursor("not base64 json!", int)


def test_unknown_ids_names_each_position_and_cuts_a_long_list_short() -> None:
    assert unknown_ids([5, 6, 5, 7], {5}, "$.tag_ids") == [
        {"path": "$.tag_ids[0]", "message": "見つかりません / not found in this workspace"},
        {"path": "$.tag_ids[2]", "message": "見つかりません / not found in this workspace"},
    ]
    many = unknown_ids(list(range(250)), set(range(250)), "$.friend_ids")
    assert len(many) == MAX_LISTED_PROBLEMS + 1
    assert many[-1] == {"path": "$.friend_ids", "message": "and 150 more not found"}


def test_already_taken_is_a_409_at_the_field() -> None:
    assert _status(already_taken("label", "同じ名前 / taken")) == (
        409,
        "label_taken",
        [{"path": "$.label", "message": "already taken"}],
    )


async def test_rows_of_the_workspace_only_conflicts_and_its_context_outside_requests(env: Env) -> None:
    services = env.app.state["enishi"]
    workspace = await env.workspace(await env.agency(), "店舗")
    other = await env.workspace(await env.agency(), "よその店")
    async with open_workspace(services, other.id) as ctx:
        stranger = Friend(line_user_id="Ustranger", display_name="よその人")
        ctx.session.add(stranger)

    async with open_workspace(services, workspace.id, plugin="tags") as ctx:
        assert ctx.workspace_id == workspace.id and "tags" in ctx.enabled_plugins
        friend = Friend(line_user_id="Uaoi", display_name="あおい")
        ctx.session.add(friend)  # stamped with the workspace, as in a hook
        await flush_or_conflict(ctx, already_taken("line_user_id", "taken"))
        assert await get_or_404(ctx, Friend, friend.id, "friend") is friend
        with pytest.raises(ApiError) as missing:
            await get_or_404(ctx, Friend, stranger.id, "friend")  # another workspace's row is not there
        assert (missing.value.status_code, missing.value.detail) == (404, "friend not found")
        assert await missing_ids(ctx, Friend.id, [friend.id, stranger.id, friend.id]) == {stranger.id}
        assert await missing_ids(ctx, Friend.id, []) == set()

    with pytest.raises(ApiError) as conflict:
        async with open_workspace(services, workspace.id) as ctx:
            ctx.session.add(Friend(line_user_id="Uaoi", display_name="二人目"))
            await flush_or_conflict(ctx, already_taken("line_user_id", "taken"))
    assert conflict.value.status_code == 409 and conflict.value.error == "line_user_id_taken"
    async with env.db.session(workspace.id) as s:  # rolled back
        assert await s.scalar(select(func.count()).select_from(Friend)) == 1

    assert await plugin_enabled(services, workspace.id, "tags")
    async with env.db.transaction() as s:
        await s.execute(
            update(WorkspacePlugin)
            .where(WorkspacePlugin.workspace_id == workspace.id, WorkspacePlugin.plugin == "tags")
            .values(enabled=False)
        )
    assert not await plugin_enabled(services, workspace.id, "tags")
    with pytest.raises(WorkspaceUnavailable):
        async with open_workspace(services, workspace.id, plugin="tags"):
            pytest.fail("ran where the plugin is off")
    async with open_workspace(services, workspace.id) as ctx:
        assert "tags" not in ctx.enabled_plugins
    with pytest.raises(WorkspaceUnavailable):
        async with open_workspace(services, 987_654):
            pytest.fail("ran for a workspace that does not exist")
    assert not await plugin_enabled(services, 987_654, "tags")
