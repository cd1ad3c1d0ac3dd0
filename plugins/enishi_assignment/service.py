"""Assigning friends, in set-based SQL that runs the same on SQLite and PostgreSQL.

A change is computed as a set of (friend_id, from_user_id, to_user_id) rows; the rows that really change are
written to the history and then applied to the assignees, each in one statement for any number of friends.
Friends not in this workspace are skipped, and asking for what already is changes nothing (no history, no event),
so every operation is idempotent. The SELECT inside an INSERT is not reached by the workspace scoping, so those
name the workspace themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Select,
    String,
    Subquery,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from enishi import BigId, Friend, UTCDateTime, WorkspaceContext, upsert_insert
from enishi_assignment import pools, staff
from enishi_assignment.events import EVENT_LIMIT, announce
from enishi_assignment.models import Assignee, AssignmentChange, Pool

Changes = list[tuple[int, int | None, int | None]]  # (friend_id, from_user_id, to_user_id)


@dataclass(frozen=True, slots=True)
class Change:
    friends: int  # friends whose assignee changed
    announced: bool  # whether an event went out per friend (not when more than EVENT_LIMIT changed)
    changes: Changes  # what changed, when announced


NO_CHANGE = Change(0, True, [])


def friends_by_id(ids: Sequence[int]) -> Select[Any]:
    """The friend-id select that the change functions take, for a known list of ids."""
    return select(Friend.id).where(Friend.id.in_(set(ids)))


def active_assignee(ctx: WorkspaceContext) -> Any:
    """The correlated "this friend's assignee is staff" criteria, for EXISTS in conditions and lists."""
    return (Assignee.friend_id == Friend.id, staff.is_staff(ctx, Assignee.user_id))


# --- changing assignees ------------------------------------------------------------------------------------


async def assign(
    ctx: WorkspaceContext,
    friend_ids: Select[Any],
    user_id: int,
    *,
    source: str,
    keep_existing: bool = False,
) -> Change:
    """Make ``user_id`` the assignee of every friend ``friend_ids`` yields. The caller checks that the user is
    staff. With ``keep_existing`` only friends without a (staff) assignee get one."""
    await _lock(ctx, friend_ids)
    targets = (
        select(
            Friend.id.label("friend_id"),
            Assignee.user_id.label("from_user_id"),
            literal(user_id, BigId).label("to_user_id"),
        )
        .select_from(Friend)
        .outerjoin(Assignee, Assignee.friend_id == Friend.id)
        .where(*_candidates(ctx, friend_ids, keep_existing))
    )
    return await _apply(ctx, targets.subquery(), source=source, pool_id=None)


async def unassign(ctx: WorkspaceContext, friend_ids: Select[Any], *, source: str) -> Change:
    """Leave every friend ``friend_ids`` yields without an assignee."""
    await _lock(ctx, friend_ids)
    targets = select(
        Assignee.friend_id.label("friend_id"),
        Assignee.user_id.label("from_user_id"),
        literal(None, BigId).label("to_user_id"),
    ).where(Assignee.workspace_id == ctx.workspace_id, Assignee.friend_id.in_(friend_ids.correlate(None)))
    return await _apply(ctx, targets.subquery(), source=source, pool_id=None, unassigning=True)


async def assign_from_pool(
    ctx: WorkspaceContext,
    friend_ids: Select[Any],
    pool_id: int,
    *,
    source: str,
    keep_existing: bool = False,
) -> Change:
    """Give each friend ``friend_ids`` yields the next staff member of the pool's rotation, in friend-id order.

    All friends take their turns with one UPDATE of the pool's counter (``turns += n``), so concurrent callers
    get disjoint runs of turns and the rotation stays even. A friend whose turn falls on their current assignee
    keeps them (the turn is still used). Raises LookupError for a pool not in the workspace; nothing changes
    while no member of the pool is staff.
    """
    members = await pools.eligible_members(ctx, pool_id)
    if await ctx.session.get(Pool, pool_id) is None:
        raise LookupError(f"pool {pool_id} is not in workspace {ctx.workspace_id}")
    if not members:
        return NO_CHANGE
    await _lock(ctx, friend_ids)
    ranked = (
        select(
            Friend.id.label("friend_id"),
            Assignee.user_id.label("from_user_id"),
            func.row_number().over(order_by=Friend.id).label("rank"),
        )
        .select_from(Friend)
        .outerjoin(Assignee, Assignee.friend_id == Friend.id)
        .where(*_candidates(ctx, friend_ids, keep_existing))
        .subquery()
    )
    count = int(await ctx.session.scalar(select(func.count()).select_from(ranked)) or 0)
    if count == 0:
        return NO_CHANGE
    last_turn = await ctx.session.scalar(
        update(Pool)
        .where(Pool.id == pool_id)
        .values(turns=Pool.turns + count, updated_at=Pool.updated_at)
        .returning(Pool.turns)
        .execution_options(synchronize_session=False)
    )
    cycle = pools.rotation(members)
    first = int(last_turn or 0) - count  # turns first + 1 … first + count are ours
    # Turn t picks cycle[(t - 1) % len(cycle)]: the friend ranked r takes turn first + r.
    slot = (literal(first, BigId) + ranked.c.rank - 1) % len(cycle)
    targets = select(
        ranked.c.friend_id,
        ranked.c.from_user_id,
        case(dict(enumerate(cycle)), value=slot).label("to_user_id"),
    )
    return await _apply(ctx, targets.subquery(), source=source, pool_id=pool_id)


def _candidates(ctx: WorkspaceContext, friend_ids: Select[Any], keep_existing: bool) -> list[Any]:
    criteria: list[Any] = [
        Friend.workspace_id == ctx.workspace_id,
        # correlate(None): a caller's select over friends must stay a query of its own, not be merged into
        # this one's FROM friends.
        Friend.id.in_(friend_ids.correlate(None)),
    ]
    if keep_existing:
        criteria.append(or_(Assignee.user_id.is_(None), ~staff.is_staff(ctx, Assignee.user_id)))
    return criteria


async def _lock(ctx: WorkspaceContext, friend_ids: Select[Any]) -> None:
    """On PostgreSQL, lock the friends' assignee rows (in id order, so two bulk changes cannot deadlock) before
    reading who they are: a concurrent change then waits, and the history's "from" is what really was. SQLite
    runs one writer at a time and renders no FOR UPDATE."""
    if ctx.session.get_bind().dialect.name != "postgresql":
        return
    await ctx.session.execute(
        select(Assignee.friend_id)
        .where(Assignee.friend_id.in_(friend_ids.correlate(None)))
        .order_by(Assignee.friend_id)
        .with_for_update()
    )


async def _apply(
    ctx: WorkspaceContext, targets: Subquery, *, source: str, pool_id: int | None, unassigning: bool = False
) -> Change:
    """Record and apply the rows of ``targets`` whose assignee really changes; announce them if few enough.

    ``targets`` either assigns (every to_user_id set) or unassigns (every to_user_id NULL).
    """
    changed = select(targets.c.friend_id, targets.c.from_user_id, targets.c.to_user_id).where(
        targets.c.from_user_id.is_distinct_from(targets.c.to_user_id)
    )
    preview = list(await ctx.session.execute(changed.limit(EVENT_LIMIT + 1)))
    if not preview:
        return NO_CHANGE
    announced = len(preview) <= EVENT_LIMIT
    history = insert(AssignmentChange).from_select(
        [
            "friend_id",
            "from_user_id",
            "to_user_id",
            "workspace_id",
            "changed_by_user_id",
            "source",
            "pool_id",
            "changed_at",
        ],
        changed.add_columns(
            literal(ctx.workspace_id, BigId),
            literal(ctx.actor_user_id, BigId),
            literal(source, String(32)),
            literal(pool_id, BigId),
            literal(ctx.now, UTCDateTime()),
        ),
    )
    # The history says what changed, so it is what the events and counts come from.
    if announced:
        returned = history.returning(
            AssignmentChange.friend_id, AssignmentChange.from_user_id, AssignmentChange.to_user_id
        )
        changes: Changes = [(int(f), a, b) for f, a, b in await ctx.session.execute(returned)]
        count = len(changes)
    else:
        changes, count = [], _rowcount(await ctx.session.execute(history))
    if unassigning:
        gone = select(targets.c.friend_id).where(targets.c.from_user_id.is_not(None))
        await ctx.session.execute(
            delete(Assignee).where(Assignee.friend_id.in_(gone)).execution_options(synchronize_session=False)
        )
    else:
        await ctx.session.execute(_upsert(ctx, targets, source))
    if announced:
        await announce(ctx, changes, source)
    return Change(count, announced, changes)


def _upsert(ctx: WorkspaceContext, targets: Subquery, source: str) -> Any:
    """INSERT … SELECT … ON CONFLICT (friend_id) DO UPDATE for the friends whose assignee changes."""
    stmt = upsert_insert(ctx.session, Assignee).from_select(
        ["friend_id", "user_id", "workspace_id", "assigned_at", "assigned_by_user_id", "source"],
        select(
            targets.c.friend_id,
            targets.c.to_user_id,
            literal(ctx.workspace_id, BigId),
            literal(ctx.now, UTCDateTime()),
            literal(ctx.actor_user_id, BigId),
            literal(source, String(32)),
        ).where(targets.c.from_user_id.is_distinct_from(targets.c.to_user_id)),
    )
    return stmt.on_conflict_do_update(
        index_elements=["friend_id"],
        set_={
            "user_id": stmt.excluded.user_id,
            "assigned_at": stmt.excluded.assigned_at,
            "assigned_by_user_id": stmt.excluded.assigned_by_user_id,
            "source": stmt.excluded.source,
        },
    )


def _rowcount(result: Any) -> int:
    return max(int(cast(CursorResult[Any], result).rowcount or 0), 0)


# --- reading -----------------------------------------------------------------------------------------------


async def assignee_of(ctx: WorkspaceContext, friend_id: int) -> Assignee | None:
    """The friend's assignee row if its user is staff (a former staff member's row reads as nobody)."""
    query: Select[Any] = select(Assignee).where(Assignee.friend_id == friend_id, staff.is_staff(ctx, Assignee.user_id))
    found: Assignee | None = await ctx.session.scalar(query)
    return found


def has_active_assignee(ctx: WorkspaceContext) -> Any:
    return exists().where(*active_assignee(ctx))


@dataclass(frozen=True, slots=True)
class AssignedFriend:
    friend_id: int
    display_name: str
    status: str
    assigned_at: Any  # datetime | None (None in the "nobody" list)
    source: str | None


@dataclass(frozen=True, slots=True)
class StaffCount:
    user_id: int
    display_name: str
    friends: int
    following: int  # of those, the ones who have not blocked the account


@dataclass(frozen=True, slots=True)
class Counts:
    staff: list[StaffCount]  # every staff member, in staff-list order, also those with no friends
    unassigned: int  # friends with nobody, including those of former staff
    unassigned_following: int
    former_staff: int  # friends whose assignee is no longer staff (they count as unassigned)


async def friends_of(
    ctx: WorkspaceContext, user_id: int | None, *, after: int | None, limit: int, status: str | None = None
) -> list[AssignedFriend]:
    """One page (``limit`` + 1 rows, to tell whether there is a next) of a staff member's friends, or of the
    friends with nobody (``user_id`` None), by friend id."""
    query: Any
    if user_id is None:
        query = select(Friend.id, Friend.display_name, Friend.status, literal(None), literal(None)).where(
            ~has_active_assignee(ctx)
        )
        key = Friend.id
    else:
        query = (
            select(Assignee.friend_id, Friend.display_name, Friend.status, Assignee.assigned_at, Assignee.source)
            .join(Friend, Friend.id == Assignee.friend_id)
            .where(Assignee.user_id == user_id, staff.is_staff(ctx, Assignee.user_id))
        )
        key = Assignee.friend_id
    if status is not None:
        query = query.where(Friend.status == status)
    if after is not None:
        query = query.where(key > after)
    rows = await ctx.session.execute(query.order_by(key).limit(limit + 1))
    return [AssignedFriend(int(f), name, st, at, src) for f, name, st, at, src in rows]


async def counts(ctx: WorkspaceContext) -> Counts:
    """Friends per staff member in one GROUP BY, and how many have nobody."""
    following = Friend.status == "following"
    held = {
        int(user_id): (int(n), int(f))
        for user_id, n, f in await ctx.session.execute(
            select(Assignee.user_id, func.count(), func.count().filter(following))
            .join(Friend, Friend.id == Assignee.friend_id)
            .group_by(Assignee.user_id)
        )
    }
    total, total_following = (
        await ctx.session.execute(select(func.count(), func.count().filter(following)).select_from(Friend))
    ).one()
    staff_counts = [
        StaffCount(user_id, name, *held.pop(user_id, (0, 0))) for user_id, name in await staff.staff_list(ctx)
    ]
    active = sum(c.friends for c in staff_counts)
    active_following = sum(c.following for c in staff_counts)
    return Counts(
        staff=staff_counts,
        unassigned=int(total) - active,
        unassigned_following=int(total_following) - active_following,
        former_staff=sum(n for n, _ in held.values()),
    )


async def history_of(
    ctx: WorkspaceContext, friend_id: int, *, before: int | None, limit: int
) -> list[AssignmentChange]:
    """One page (``limit`` + 1 rows) of a friend's assignment history, newest first."""
    query = select(AssignmentChange).where(AssignmentChange.friend_id == friend_id)
    if before is not None:
        query = query.where(AssignmentChange.id < before)
    return list(await ctx.session.scalars(query.order_by(AssignmentChange.id.desc()).limit(limit + 1)))
