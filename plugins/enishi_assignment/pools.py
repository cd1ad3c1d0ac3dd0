"""Round-robin over a pool of staff (振り分け), fair under concurrency.

Each pick takes the next turn from the pool's counter with one ``UPDATE … SET turns = turns + 1 RETURNING turns``:
on PostgreSQL the row lock makes concurrent picks queue on it and each gets its own turn number (on SQLite writers
run one at a time anyway), and a pick rolled back with its transaction gives its turn back. The turn number
indexes a fixed rotation computed from the members' weights, so N consecutive turns hand out exactly each
member's share of N, interleaved (weights 2 and 1 give A B A, A B A, … rather than A A B).

Members who are no longer staff are left out of the rotation until they are back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import select, update

from enishi import WorkspaceContext
from enishi_assignment import staff
from enishi_assignment.models import Pool, PoolMember

MAX_MEMBERS = 50
MAX_WEIGHT = 10


@dataclass(frozen=True, slots=True)
class Pick:
    user_id: int | None  # None when no member of the pool is staff any more
    turn: int


@functools.lru_cache(maxsize=256)
def rotation(members: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """One cycle of smooth weighted round-robin over (user_id, weight) pairs, as a sequence of user ids.

    Each member appears ``weight`` times per cycle, spread out as evenly as the weights allow; ties go to the
    member listed first, so the rotation depends only on the members, their order and weights.
    """
    total = sum(w for _, w in members)
    current = [0] * len(members)
    order: list[int] = []
    for _ in range(total):
        for i, (_, weight) in enumerate(members):
            current[i] += weight
        best = max(range(len(members)), key=lambda i: (current[i], -i))
        current[best] -= total
        order.append(members[best][0])
    return tuple(order)


async def eligible_members(ctx: WorkspaceContext, pool_id: int) -> tuple[tuple[int, int], ...]:
    """(user_id, weight) of the pool's members who are staff now, in rotation order."""
    rows = await ctx.session.execute(
        select(PoolMember.user_id, PoolMember.weight)
        .where(PoolMember.pool_id == pool_id, staff.is_staff(ctx, PoolMember.user_id))
        .order_by(PoolMember.position, PoolMember.user_id)
    )
    return tuple((int(u), int(w)) for u, w in rows)


async def take_turn(ctx: WorkspaceContext, pool_id: int) -> Pick:
    """Advance the pool's counter and return whose turn it is. Raises LookupError for a pool not in the
    workspace. The caller's transaction holds the counter row until it ends, so keep it short."""
    members = await eligible_members(ctx, pool_id)
    if not members:
        if await ctx.session.get(Pool, pool_id) is None:
            raise LookupError(f"pool {pool_id} is not in workspace {ctx.workspace_id}")
        return Pick(None, 0)  # nobody to pick: the turn is not used up
    turn = await ctx.session.scalar(
        update(Pool)
        .where(Pool.id == pool_id)
        # updated_at stays: it tells when staff last edited the pool, not when it was last used.
        .values(turns=Pool.turns + 1, updated_at=Pool.updated_at)
        .returning(Pool.turns)
        .execution_options(synchronize_session=False)
    )
    if turn is None:
        raise LookupError(f"pool {pool_id} is not in workspace {ctx.workspace_id}")
    cycle = rotation(members)
    return Pick(cycle[(int(turn) - 1) % len(cycle)], int(turn))
