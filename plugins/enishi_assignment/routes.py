"""Workspace API under ``/api/workspaces/{workspace_id}/assignment``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. A record of another workspace is simply not found: 404.

    GET    /staff                          staff members with their friend counts (the assignee picker)
    GET    /counts                         the same, plus unassigned friends and those of former staff
    GET    /friends?assignee=me|nobody|ID  friends of a staff member (default: me) or with nobody, by id (keyset)
    GET    /friends/{friend_id}            a friend's assignee;  PUT: assign ({"user_id"} or {"pool_id"});
                                           DELETE: unassign
    GET    /friends/{friend_id}/history    who had the friend, newest first (keyset)
    POST   /bulk                           assign or unassign many friends at once
    GET    /pools                          round-robin pools;  POST: create
    GET    /pools/{pool_id}                PATCH / DELETE
    GET    /notifications?unread=          my notifications, unread first (keyset)
    GET    /notifications/unread-count
    POST   /notifications/read             {"ids": [...]} or {"all": true}
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from enishi import (
    ApiError,
    Ctx,
    Friend,
    Page,
    WorkspaceContext,
    add_details,
    already_taken,
    encode_cursor,
    flush_or_conflict,
    get_or_404,
    invalid,
    missing_ids,
    read_cursor,
    unknown_ids,
)
from enishi_assignment import notifications, service, staff
from enishi_assignment.models import AssignmentChange, Pool, PoolMember
from enishi_assignment.permissions import ASSIGN, MANAGE_POOLS, NOTIFICATIONS
from enishi_assignment.schemas import (
    AssignedFriendOut,
    AssignIn,
    BulkIn,
    BulkOut,
    ChangeOut,
    CountsOut,
    FriendAssigneeOut,
    HistoryOut,
    MemberIn,
    MemberOut,
    NotificationOut,
    PoolIn,
    PoolOut,
    PoolPatch,
    ReadIn,
    ReadOut,
    StaffOut,
    StaffRef,
    UnreadOut,
)

AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200, description="page size")]
After = Annotated[str | None, QueryParameter(description="the `next` of the previous page")]
NOT_STAFF = "このワークスペースのスタッフではありません / not a staff member of this workspace"


class StaffController(Controller):
    path = "/"

    @get("/staff")
    async def list_staff(self, ctx: Ctx) -> list[StaffOut]:
        return [staff_out(c) for c in (await service.counts(ctx)).staff]

    @get("/counts")
    async def counts(self, ctx: Ctx) -> CountsOut:
        counted = await service.counts(ctx)
        return CountsOut(
            [staff_out(c) for c in counted.staff],
            counted.unassigned,
            counted.unassigned_following,
            counted.former_staff,
        )

    @post("/bulk", permission=ASSIGN, status_code=200)
    async def bulk(self, request: AnyRequest, ctx: Ctx, data: JSONBody[BulkIn]) -> BulkOut:
        """Assign (to a staff member or round-robin over a pool) or unassign a list of friends; idempotent."""
        problems = await assign_problems(ctx, data)
        missing = await missing_ids(ctx, Friend.id, data.friend_ids)
        problems += unknown_ids(data.friend_ids, missing, "$.friend_ids")
        if problems:
            raise invalid(problems)
        change = await apply(ctx, service.friends_by_id(data.friend_ids), data, source="bulk")
        add_details(request, **describe(data), friends=len(set(data.friend_ids)), changed=change.friends)
        return BulkOut(change.friends, change.announced)


class FriendController(Controller):
    path = "/friends"

    @get("/")
    async def list_friends(
        self,
        ctx: Ctx,
        assignee: Annotated[
            str,
            QueryParameter(
                pattern=r"^(me|nobody|[1-9][0-9]{0,18})$",
                description="me (default), nobody, or a staff member's user id",
            ),
        ] = "me",
        status: Annotated[str | None, QueryParameter(pattern=r"^(following|blocked)$")] = None,
        after: After = None,
        limit: Limit = 50,
    ) -> Page[AssignedFriendOut]:
        """The "my friends" filter: friend ids assigned to a staff member, or to nobody, in friend-id order."""
        user_id: int | None
        if assignee == "nobody":
            user_id = None
        elif assignee == "me":
            user_id = ctx.actor_user_id or 0  # not being staff simply means having no friends
        else:
            user_id = int(assignee)
            if await staff.non_staff(ctx, [user_id]):
                raise invalid([{"path": "query:assignee", "message": NOT_STAFF}])
        rows = await service.friends_of(ctx, user_id, after=read_cursor(after, int), limit=limit, status=status)
        items, cursor = rows[:limit], encode_cursor(rows[limit - 1].friend_id) if len(rows) > limit else None
        return Page(
            [AssignedFriendOut(r.friend_id, r.display_name, r.status, r.assigned_at, r.source) for r in items], cursor
        )

    @get("/{friend_id:int}")
    async def show(self, ctx: Ctx, friend_id: FromPath[int]) -> FriendAssigneeOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        return await friend_assignee_out(ctx, friend_id)

    @put("/{friend_id:int}", permission=ASSIGN)
    async def assign(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], data: JSONBody[AssignIn]
    ) -> ChangeOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        problems = await assign_problems(ctx, data)
        if problems:
            raise invalid(problems)
        change = await apply(ctx, service.friends_by_id([friend_id]), data, source="manual")
        now = await service.assignee_of(ctx, friend_id)
        add_details(request, **describe(data), changed=change.friends > 0)
        return ChangeOut(friend_id, now.user_id if now else None, change.friends > 0)

    @delete("/{friend_id:int}", permission=ASSIGN, status_code=200)
    async def unassign(self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int]) -> ChangeOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        change = await service.unassign(ctx, service.friends_by_id([friend_id]), source="manual")
        add_details(request, user_id=None, changed=change.friends > 0)
        return ChangeOut(friend_id, None, change.friends > 0)

    @get("/{friend_id:int}/history")
    async def history(
        self, ctx: Ctx, friend_id: FromPath[int], after: After = None, limit: Limit = 50
    ) -> Page[HistoryOut]:
        await get_or_404(ctx, Friend, friend_id, "friend")
        rows = await service.history_of(ctx, friend_id, before=read_cursor(after, int), limit=limit)
        items, cursor = rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        names = await staff.names_of(
            ctx, [u for r in items for u in (r.from_user_id, r.to_user_id, r.changed_by_user_id) if u is not None]
        )
        return Page([history_out(r, names) for r in items], cursor)


class PoolController(Controller):
    path = "/pools"

    @get("/")
    async def list_pools(self, ctx: Ctx) -> list[PoolOut]:
        found = list(await ctx.session.scalars(select(Pool).order_by(Pool.name, Pool.id)))
        return await pools_out(ctx, found)

    @post("/", permission=MANAGE_POOLS, status_code=201)
    async def create_pool(self, request: AnyRequest, ctx: Ctx, data: JSONBody[PoolIn]) -> PoolOut:
        name = data.name.strip()
        problems = await member_problems(ctx, data.members)
        if problems:
            raise invalid(problems)
        if await pool_name_taken(ctx, name, but=None):
            raise name_conflict()
        pool = Pool(name=name, turns=0)
        ctx.session.add(pool)
        await flush_or_conflict(ctx, name_conflict())
        await set_members(ctx, pool.id, data.members)
        add_details(request, pool=name, members=[m.user_id for m in data.members])
        [out] = await pools_out(ctx, [pool])
        return out

    @get("/{pool_id:int}")
    async def show_pool(self, ctx: Ctx, pool_id: FromPath[int]) -> PoolOut:
        [out] = await pools_out(ctx, [await get_or_404(ctx, Pool, pool_id, "pool")])
        return out

    @patch("/{pool_id:int}", permission=MANAGE_POOLS)
    async def update_pool(
        self, request: AnyRequest, ctx: Ctx, pool_id: FromPath[int], data: JSONBody[PoolPatch]
    ) -> PoolOut:
        pool = await get_or_404(ctx, Pool, pool_id, "pool")
        if not isinstance(data.members, msgspec.UnsetType):
            problems = await member_problems(ctx, data.members)
            if problems:
                raise invalid(problems)
        if not isinstance(data.name, msgspec.UnsetType):
            name = data.name.strip()
            if await pool_name_taken(ctx, name, but=pool.id):
                raise name_conflict()
            pool.name = name
        if not isinstance(data.members, msgspec.UnsetType):
            await set_members(ctx, pool.id, data.members)
            pool.updated_at = ctx.now  # a change of members alone does not touch the pool row
        await flush_or_conflict(ctx, name_conflict())
        add_details(
            request,
            pool=pool.name,
            fields=sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET),
        )
        [out] = await pools_out(ctx, [pool])
        return out

    @delete("/{pool_id:int}", permission=MANAGE_POOLS)
    async def delete_pool(self, request: AnyRequest, ctx: Ctx, pool_id: FromPath[int]) -> None:
        """Friends keep the assignees the pool gave them; scenario nodes naming the pool are flagged."""
        pool = await get_or_404(ctx, Pool, pool_id, "pool")
        add_details(request, pool=pool.name)
        await ctx.session.delete(pool)


class NotificationController(Controller):
    path = "/notifications"

    @get("/")
    async def list_notifications(
        self,
        ctx: Ctx,
        unread: Annotated[bool, QueryParameter(description="only unread ones")] = False,
        after: After = None,
        limit: Limit = 50,
    ) -> Page[NotificationOut]:
        """My notifications: unread first, then read ones, newest first in each."""
        rows = await notifications.page(
            ctx, ctx.actor_user_id or 0, after=read_cursor(after, (bool, int)), limit=limit, unread_only=unread
        )
        items = rows[:limit]
        cursor = None
        if len(rows) > limit:
            last = items[-1]
            cursor = encode_cursor([int(last.read_at is not None), last.id])
        return Page([notification_out(n) for n in items], cursor)

    @get("/unread-count")
    async def unread_count(self, ctx: Ctx) -> UnreadOut:
        return UnreadOut(await notifications.unread_count(ctx, ctx.actor_user_id or 0))

    @post("/read", permission=NOTIFICATIONS, status_code=200)
    async def mark_read(self, request: AnyRequest, ctx: Ctx, data: JSONBody[ReadIn]) -> ReadOut:
        """Mark some or all of my notifications read; asking again changes nothing."""
        me = ctx.actor_user_id or 0
        ids = None if isinstance(data.ids, msgspec.UnsetType) else data.ids
        if (ids is None) != data.all:
            raise invalid([{"path": "$", "message": "ids か all: true のどちらか一つ / give either ids or all: true"}])
        if ids is not None:
            problems = unknown_ids(ids, await notifications.missing(ctx, me, ids), "$.ids")
            if problems:
                raise invalid(problems)
        marked = await notifications.mark_read(ctx, me, ids)
        add_details(request, marked=marked)
        return ReadOut(marked, await notifications.unread_count(ctx, me))


# --- helpers -----------------------------------------------------------------------------------------------


async def assign_problems(ctx: WorkspaceContext, data: AssignIn) -> list[dict[str, str]]:
    """Exactly one of user_id / pool_id; the user must be staff, the pool must exist."""
    has_user = not isinstance(data.user_id, msgspec.UnsetType)
    has_pool = not isinstance(data.pool_id, msgspec.UnsetType)
    if has_user == has_pool:
        return [{"path": "$", "message": "user_id か pool_id のどちらか一つ / give either user_id or pool_id"}]
    if isinstance(data.pool_id, int):
        if await ctx.session.get(Pool, data.pool_id) is None:
            return [{"path": "$.pool_id", "message": "振り分けグループが見つかりません / no such pool"}]
        return []
    if isinstance(data.user_id, int) and await staff.non_staff(ctx, [data.user_id]):
        return [{"path": "$.user_id", "message": NOT_STAFF}]
    if data.user_id is None and data.keep_existing:
        return [{"path": "$.keep_existing", "message": "担当者を外すときは使えません / not with unassigning"}]
    return []


async def apply(ctx: WorkspaceContext, friend_ids: Any, data: AssignIn, *, source: str) -> service.Change:
    if isinstance(data.pool_id, int):
        return await service.assign_from_pool(
            ctx, friend_ids, data.pool_id, source=source, keep_existing=data.keep_existing
        )
    if isinstance(data.user_id, int):
        return await service.assign(ctx, friend_ids, data.user_id, source=source, keep_existing=data.keep_existing)
    return await service.unassign(ctx, friend_ids, source=source)


def describe(data: AssignIn) -> dict[str, Any]:
    """What the audit entry says was asked."""
    if isinstance(data.pool_id, int):
        return {"pool_id": data.pool_id, "keep_existing": data.keep_existing}
    return {"user_id": data.user_id, "keep_existing": data.keep_existing}


async def member_problems(ctx: WorkspaceContext, members: list[MemberIn]) -> list[dict[str, str]]:
    problems = []
    gone = await staff.non_staff(ctx, [m.user_id for m in members])
    seen: set[int] = set()
    for i, member in enumerate(members):
        if member.user_id in gone:
            problems.append({"path": f"$.members[{i}].user_id", "message": NOT_STAFF})
        elif member.user_id in seen:
            problems.append({"path": f"$.members[{i}].user_id", "message": "重複しています / listed twice"})
        seen.add(member.user_id)
    return problems


async def set_members(ctx: WorkspaceContext, pool_id: int, members: list[MemberIn]) -> None:
    """Replace the pool's members with ``members``, in that rotation order."""
    await ctx.session.execute(
        sql_delete(PoolMember).where(PoolMember.pool_id == pool_id).execution_options(synchronize_session=False)
    )
    ctx.session.add_all(
        PoolMember(pool_id=pool_id, user_id=m.user_id, weight=m.weight, position=i) for i, m in enumerate(members)
    )
    await ctx.session.flush()


async def pools_out(ctx: WorkspaceContext, found: list[Pool]) -> list[PoolOut]:
    """Pools with their members' names and whether each is still staff, in two queries."""
    if not found:
        return []
    members = list(
        await ctx.session.scalars(
            select(PoolMember)
            .where(PoolMember.pool_id.in_([p.id for p in found]))
            .order_by(PoolMember.pool_id, PoolMember.position)
        )
    )
    names = await staff.names_of(ctx, [m.user_id for m in members])
    gone = await staff.non_staff(ctx, [m.user_id for m in members])
    by_pool: dict[int, list[MemberOut]] = {}
    for m in members:
        by_pool.setdefault(m.pool_id, []).append(
            MemberOut(m.user_id, names.get(m.user_id, ""), m.weight, m.user_id not in gone)
        )
    return [PoolOut(p.id, p.name, by_pool.get(p.id, []), p.turns, p.created_at, p.updated_at) for p in found]


async def pool_name_taken(ctx: WorkspaceContext, name: str, but: int | None) -> bool:
    query = select(func.count()).select_from(Pool).where(Pool.name == name)
    if but is not None:
        query = query.where(Pool.id != but)
    return bool(await ctx.session.scalar(query))


async def friend_assignee_out(ctx: WorkspaceContext, friend_id: int) -> FriendAssigneeOut:
    row = await service.assignee_of(ctx, friend_id)
    if row is None:
        return FriendAssigneeOut(friend_id, None, None, None, None)
    names = await staff.names_of(ctx, [row.user_id])
    return FriendAssigneeOut(
        friend_id,
        StaffRef(row.user_id, names.get(row.user_id, "")),
        row.assigned_at,
        row.assigned_by_user_id,
        row.source,
    )


def name_conflict() -> ApiError:
    return already_taken("name", "同じ名前が既にあります / the name is already taken")


def staff_out(c: service.StaffCount) -> StaffOut:
    return StaffOut(c.user_id, c.display_name, c.friends, c.following)


def history_out(r: AssignmentChange, names: dict[int, str]) -> HistoryOut:
    def ref(user_id: int | None) -> StaffRef | None:
        return None if user_id is None else StaffRef(user_id, names.get(user_id, ""))

    return HistoryOut(
        r.id, ref(r.from_user_id), ref(r.to_user_id), ref(r.changed_by_user_id), r.source, r.pool_id, r.changed_at
    )


def notification_out(n: Any) -> NotificationOut:
    return NotificationOut(n.id, n.friend_id, n.text, n.source, n.created_at, n.read_at)
