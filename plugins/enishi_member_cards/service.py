"""Cards, member numbers and points: every change is one SQL statement, so simultaneous changes stay consistent.

A member number is the design's prefix and a zero-padded sequence number. The sequence lives on the design row
and is taken by ``UPDATE … SET next_number = next_number + n RETURNING``: the row lock (PostgreSQL) or the
single writer (SQLite) hands each number out once. A point change is
``UPDATE … SET points = points + :delta … WHERE … AND points + :delta >= 0 RETURNING``, with the rank computed in
the same statement from the design's thresholds: two staff scanning the same card at once both count, and a
subtraction that would go below zero changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, exists, func, insert, literal, null, select, update

from enishi import Friend, WorkspaceContext, dialect_of, upsert_insert
from enishi_member_cards.events import CARD_ISSUED, EVENT_LIMIT, POINTS_CHANGED, RANK_CHANGED
from enishi_member_cards.models import Card, CardChange, Design


@dataclass(frozen=True)
class Change:
    friend_id: int
    old_points: int
    points: int
    stamps: int
    rank: str | None
    old_rank: str | None


class NotEnough(Exception):
    """The change would take points (``field="delta"``) or stamps (``field="stamps"``) below zero."""

    def __init__(self, field: str, current: int) -> None:
        super().__init__(field)
        self.field = field
        self.current = current


class NoCard(LookupError):
    pass


async def design_of(ctx: WorkspaceContext) -> Design:
    """The workspace's design, created with the defaults the first time it is needed."""
    design = await ctx.session.scalar(select(Design).where(Design.workspace_id == ctx.workspace_id))
    if design is None:
        design = Design(workspace_id=ctx.workspace_id, updated_at=ctx.now)
        ctx.session.add(design)
        await ctx.session.flush()
    return design


def sorted_ranks(ranks: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    return sorted((int(r["threshold"]), str(r["name"])) for r in ranks)


def rank_for(ranks: Sequence[Mapping[str, Any]], points: int) -> str | None:
    """The last rank whose threshold the points reach; None below every threshold."""
    found = None
    for threshold, name in sorted_ranks(ranks):
        if points >= threshold:
            found = name
    return found


def rank_expression(ranks: Sequence[Mapping[str, Any]], points: Any) -> ColumnElement[Any]:
    """The same as :func:`rank_for`, as SQL over ``points``."""
    whens = [(points >= threshold, literal(name)) for threshold, name in reversed(sorted_ranks(ranks))]
    if not whens:
        return null()
    return case(*whens, else_=null())


def format_number(design: Design, sequence: int) -> str:
    return f"{design.number_prefix}{sequence:0{design.number_digits}d}"


def _number_sql(ctx: WorkspaceContext, design: Design, sequence: ColumnElement[Any]) -> ColumnElement[Any]:
    """:func:`format_number` in SQL (a number longer than the digits is kept whole, never cut)."""
    text = cast(sequence, String)
    if dialect_of(ctx.session) == "postgresql":
        padded: ColumnElement[Any] = case(
            (func.length(text) >= design.number_digits, text),
            else_=func.lpad(text, design.number_digits, "0"),
        )
    else:
        padded = func.printf(f"%0{design.number_digits}d", sequence)
    return literal(design.number_prefix) + padded if design.number_prefix else padded


async def allocate(ctx: WorkspaceContext, count: int) -> int:
    """Reserve ``count`` consecutive sequence numbers for this workspace; returns the first."""
    await design_of(ctx)
    bumped = await ctx.session.execute(
        update(Design)
        .where(Design.workspace_id == ctx.workspace_id)
        .values(next_number=Design.next_number + count)
        .returning(Design.next_number)
        .execution_options(synchronize_session=False)
    )
    return int(bumped.scalar_one()) - count


async def card_of(ctx: WorkspaceContext, friend_id: int) -> Card | None:
    return await ctx.session.scalar(
        select(Card)
        .where(Card.workspace_id == ctx.workspace_id, Card.friend_id == friend_id)
        .execution_options(populate_existing=True)
    )


async def card_by_number(ctx: WorkspaceContext, member_number: str) -> Card | None:
    return await ctx.session.scalar(
        select(Card)
        .where(Card.workspace_id == ctx.workspace_id, Card.member_number == member_number)
        .execution_options(populate_existing=True)
    )


async def issue(ctx: WorkspaceContext, friend_id: int, source: str) -> tuple[Card, bool]:
    """The friend's card, issued now if the friend has none (idempotent); LookupError for an unknown friend."""
    existing = await card_of(ctx, friend_id)
    if existing is not None:
        return existing, False
    if await ctx.session.scalar(select(Friend.id).where(Friend.id == friend_id)) is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    sequence = await allocate(ctx, 1)
    design = await design_of(ctx)
    number = format_number(design, sequence)
    statement = (
        upsert_insert(ctx.session, Card)
        .values(
            workspace_id=ctx.workspace_id,
            friend_id=friend_id,
            member_number=number,
            points=0,
            stamps=0,
            rank=rank_for(design.ranks, 0),
            issued_at=ctx.now,
            updated_at=ctx.now,
        )
        .on_conflict_do_nothing(index_elements=["friend_id"])  # issued at the same moment elsewhere: that one wins
    )
    inserted = (await ctx.session.execute(statement)).rowcount == 1  # type: ignore[attr-defined]
    card = await card_of(ctx, friend_id)
    assert card is not None
    if inserted:
        await ctx.emit(CARD_ISSUED, friend_id, member_number=number, source=source)
    return card, inserted


async def issue_many(ctx: WorkspaceContext, friend_ids: Select[Any]) -> int:
    """Issue cards to every friend of the set who has none, in SQL; returns how many were issued."""
    missing = select(Friend.id).where(
        Friend.workspace_id == ctx.workspace_id,
        Friend.id.in_(friend_ids),
        ~exists().where(Card.friend_id == Friend.id),
    )
    count = int(await ctx.session.scalar(select(func.count()).select_from(missing.subquery())) or 0)
    if count == 0:
        return 0
    first = await allocate(ctx, count)
    design = await design_of(ctx)
    numbered = missing.add_columns((first - 1 + func.row_number().over(order_by=Friend.id)).label("seq")).subquery()
    rows = select(
        literal(ctx.workspace_id),
        numbered.c.id,
        _number_sql(ctx, design, numbered.c.seq),
        literal(0),
        literal(0),
        literal(rank_for(design.ranks, 0), String),
        literal(ctx.now, Card.issued_at.type),
        literal(ctx.now, Card.updated_at.type),
    )
    columns = ["workspace_id", "friend_id", "member_number", "points", "stamps", "rank", "issued_at", "updated_at"]
    if dialect_of(ctx.session) == "postgresql":
        # A card issued meanwhile by another transaction (one friend at a time) is kept as it is.
        statement: Any = upsert_insert(ctx.session, Card).from_select(columns, rows).on_conflict_do_nothing()
    else:
        statement = insert(Card).from_select(columns, rows)  # SQLite: one writer at a time, no race
    result = await ctx.session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


def _update(
    ctx: WorkspaceContext, design: Design, points_delta: int, stamps_delta: int
) -> tuple[Any, ColumnElement[Any]]:
    new_points = Card.points + points_delta
    statement = (
        update(Card)
        .where(Card.workspace_id == ctx.workspace_id, Card.stamps + stamps_delta >= 0)
        .values(
            points=new_points,
            stamps=Card.stamps + stamps_delta,
            rank=rank_expression(design.ranks, new_points),
            updated_at=ctx.now,
        )
        .execution_options(synchronize_session=False)
    )
    if not design.allow_negative:
        statement = statement.where(new_points >= 0)
    return statement, new_points


async def change(
    ctx: WorkspaceContext,
    friend_id: int,
    points_delta: int,
    stamps_delta: int,
    *,
    reason: str,
    source: str,
    idempotency_key: str | None = None,
) -> Change:
    """Add (or, negative, subtract) points and stamps on one card: NoCard, or NotEnough with nothing changed."""
    design = await design_of(ctx)
    statement, _ = _update(ctx, design, points_delta, stamps_delta)
    row = (
        await ctx.session.execute(
            statement.where(Card.friend_id == friend_id).returning(Card.points, Card.stamps, Card.rank)
        )
    ).one_or_none()
    if row is None:
        card = await card_of(ctx, friend_id)
        if card is None:
            raise NoCard(friend_id)
        if card.points + points_delta < 0 and not design.allow_negative:
            raise NotEnough("delta", card.points)
        raise NotEnough("stamps", card.stamps)
    points, stamps, rank = int(row[0]), int(row[1]), row[2]
    done = Change(friend_id, points - points_delta, points, stamps, rank, rank_for(design.ranks, points - points_delta))
    ctx.session.add(
        CardChange(
            workspace_id=ctx.workspace_id,
            friend_id=friend_id,
            points_delta=points_delta,
            stamps_delta=stamps_delta,
            points_after=points,
            stamps_after=stamps,
            rank_after=rank,
            reason=reason,
            source=source,
            user_id=ctx.actor_user_id,
            idempotency_key=idempotency_key,
            created_at=ctx.now,
        )
    )
    await ctx.session.flush()
    await announce(ctx, [done], points_delta, stamps_delta, source)
    return done


async def change_many(
    ctx: WorkspaceContext, friend_ids: Select[Any], points_delta: int, stamps_delta: int, *, reason: str, source: str
) -> int:
    """The same change for every card of the set, in one statement; cards it would take below zero are skipped."""
    design = await design_of(ctx)
    statement, _ = _update(ctx, design, points_delta, stamps_delta)
    rows = (
        await ctx.session.execute(
            statement.where(Card.friend_id.in_(friend_ids)).returning(
                Card.friend_id, Card.points, Card.stamps, Card.rank
            )
        )
    ).all()
    if not rows:
        return 0
    await ctx.session.execute(
        insert(CardChange),
        [
            {
                "workspace_id": ctx.workspace_id,
                "friend_id": friend_id,
                "points_delta": points_delta,
                "stamps_delta": stamps_delta,
                "points_after": points,
                "stamps_after": stamps,
                "rank_after": rank,
                "reason": reason,
                "source": source,
                "user_id": ctx.actor_user_id,
                "created_at": ctx.now,
            }
            for friend_id, points, stamps, rank in rows
        ],
    )
    if len(rows) <= EVENT_LIMIT:
        changes = [
            Change(f, p - points_delta, p, s, r, rank_for(design.ranks, p - points_delta)) for f, p, s, r in rows
        ]
        await announce(ctx, changes, points_delta, stamps_delta, source)
    return len(rows)


async def announce(
    ctx: WorkspaceContext, changes: Sequence[Change], points_delta: int, stamps_delta: int, source: str
) -> None:
    for c in sorted(changes, key=lambda c: c.friend_id):
        await ctx.emit(
            POINTS_CHANGED,
            c.friend_id,
            old_points=c.old_points,
            new_points=c.points,
            points_delta=points_delta,
            stamps_delta=stamps_delta,
            stamps=c.stamps,
            rank=c.rank,
            source=source,
        )
        if c.rank != c.old_rank:
            await ctx.emit(
                RANK_CHANGED, c.friend_id, from_rank=c.old_rank, to_rank=c.rank, points=c.points, source=source
            )


async def recompute_ranks(ctx: WorkspaceContext, design: Design) -> int:
    """After new thresholds: every card's rank from its points, in one statement (announces nothing)."""
    result = await ctx.session.execute(
        update(Card)
        .where(Card.workspace_id == ctx.workspace_id)
        .values(rank=rank_expression(design.ranks, Card.points))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def already_applied(ctx: WorkspaceContext, idempotency_key: str) -> bool:
    found = await ctx.session.scalar(
        select(CardChange.id).where(
            CardChange.workspace_id == ctx.workspace_id, CardChange.idempotency_key == idempotency_key
        )
    )
    return found is not None
