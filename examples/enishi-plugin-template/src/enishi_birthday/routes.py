"""Workspace API: ``/api/workspaces/{workspace_id}/birthday/birthdays`` (list, record) and ``…/{friend_id}``.

The core mounts these under the workspace, requires a signed-in staff member, answers 404 where the plugin is
disabled, checks ``opt["permission"]`` and injects ``ctx``: a WorkspaceContext whose session is scoped to the
workspace and committed when the request succeeds.
"""

from __future__ import annotations

from datetime import date
from typing import TypeAlias

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody

from enishi import Ctx, WorkspaceContext

from . import store

MANAGE = {"permission": "birthday.manage"}
PAGE_SIZE = 100

FriendId: TypeAlias = FromPath[int]


class BirthdayIn(msgspec.Struct, forbid_unknown_fields=True):
    # msgspec parses "YYYY-MM-DD" into a date and Litestar answers 400 for anything else.
    birthday: date


class BirthdayOut(msgspec.Struct):
    friend_id: int
    birthday: date | None


class NewBirthday(msgspec.Struct, forbid_unknown_fields=True):
    """What the settings page's form sends (the Resource's schema in screens.py, exactly)."""

    friend_id: int
    birthday: date


class BirthdayRow(msgspec.Struct):
    friend_id: int
    display_name: str
    birthday: date


class BirthdayPage(msgspec.Struct):
    """A page of the list; ``next`` goes back as ``?after=`` (null on the last page), as the core's lists do."""

    items: list[BirthdayRow]
    next: str | None


class BirthdayController(Controller):
    """Handler names double as audit actions: a PUT is logged as ``birthday.set_birthday``."""

    path = "/birthdays"

    @get()
    async def list_birthdays(self, ctx: Ctx, after: FromQuery[int | None] = None) -> BirthdayPage:
        rows = await store.list_birthdays(ctx, after, PAGE_SIZE + 1)
        items = [BirthdayRow(friend_id, name, birthday) for friend_id, name, birthday in rows[:PAGE_SIZE]]
        return BirthdayPage(items, str(items[-1].friend_id) if len(rows) > PAGE_SIZE else None)

    @post(opt=MANAGE)
    async def record_birthday(self, ctx: Ctx, data: JSONBody[NewBirthday]) -> BirthdayOut:
        """Record (or overwrite) one friend's birthday: the settings page's "add"."""
        return await _record(ctx, data.friend_id, data.birthday)

    @get("/{friend_id:int}")
    async def get_birthday(self, ctx: Ctx, friend_id: FriendId) -> BirthdayOut:
        await _require_friend(ctx, friend_id)
        return BirthdayOut(friend_id=friend_id, birthday=await store.get_birthday(ctx, friend_id))

    @put("/{friend_id:int}", opt=MANAGE)
    async def set_birthday(self, ctx: Ctx, friend_id: FriendId, data: JSONBody[BirthdayIn]) -> BirthdayOut:
        return await _record(ctx, friend_id, data.birthday)

    @delete("/{friend_id:int}", opt=MANAGE)
    async def clear_birthday(self, ctx: Ctx, friend_id: FriendId) -> None:
        await _require_friend(ctx, friend_id)
        await store.clear_birthday(ctx, friend_id)


async def _record(ctx: WorkspaceContext, friend_id: int, day: date) -> BirthdayOut:
    await _require_friend(ctx, friend_id)
    try:
        birthday = store.parse_birthday(day, store.today_in(ctx))
    except store.InvalidBirthday as exc:
        # Litestar's own shape for field errors, which the core turns into {"path": "$.birthday", ...}.
        raise ValidationException(str(exc), extra=[{"key": "birthday", "message": str(exc)}]) from exc
    await store.set_birthday(ctx, friend_id, birthday)
    return BirthdayOut(friend_id=friend_id, birthday=birthday)


async def _require_friend(ctx: WorkspaceContext, friend_id: int) -> None:
    # Another workspace's friend gets the same 404 as a missing one, so ids reveal nothing.
    if not await store.friend_exists(ctx, friend_id):
        raise NotFoundException(f"friend {friend_id} not found")
