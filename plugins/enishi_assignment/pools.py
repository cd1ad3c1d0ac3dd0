"""Round-robin over a pool of staff (振り分け), fair under concurrency.

Picks take their turns from the pool's counter with one ``UPDATE … SET turns = turns + n RETURNING turns`` (see
``service.assign_from_pool``): on PostgreSQL the row lock makes concurrent picks queue on it and each gets turn
numbers of its own (on SQLite writers run one at a time anyway), and a pick rolled back with its transaction gives
its turns back. A turn number indexes a fixed rotation computed from the members' weights, so N consecutive turns
hand out exactly each member's share of N, interleaved (weights 2 and 1 give A B A, A B A, … rather than A A B).

Members who are no longer staff are left out of the rotation until they are back.
"""

from __future__ import annotations

import functools

from sqlalchemy import select

from enishi import WorkspaceContext
from enishi_assignment import staff
from enishi_assignment.models import PoolMember

MAX_MEMBERS = 50
MAX_WEIGHT = 10


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
