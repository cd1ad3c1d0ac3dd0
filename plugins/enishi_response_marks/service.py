"""Mark queries and changes in set-based SQL that runs the same on SQLite and PostgreSQL.

Every function takes the workspace context: ``ctx.session`` is scoped to the workspace, so ORM SELECT, UPDATE
and DELETE statements see only its rows. INSERT … SELECT is not covered by that scope, so those selects name the
workspace themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    String,
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
from sqlalchemy.orm import aliased

from enishi import BigId, Friend, UTCDateTime, WorkspaceContext, dialect_of, upsert_insert
from enishi_response_marks.events import EVENT_LIMIT, announce
from enishi_response_marks.models import AutoRule, FriendMark, Mark, MarkChange, MessageMark

# Seeded when the plugin is switched on in a workspace: the three states of a conversation, in that order.
DEFAULT_MARKS = (("要対応", "#e53935"), ("対応中", "#fbc02d"), ("対応済", "#43a047"))
AUTO_SOURCE = "auto"


@dataclass(frozen=True, slots=True)
class Change:
    friends: int  # friends whose mark really changed (a history row each)
    announced: bool  # whether mark_changed went out per friend (not when more than EVENT_LIMIT changed)


NO_CHANGE = Change(0, True)


@dataclass(frozen=True, slots=True)
class MarkCounts:
    mark: Mark
    friends: int  # friends who carry the mark now
    messages: int  # inbound messages marked with it


@dataclass(frozen=True, slots=True)
class Usage:
    friends: int
    messages: int
    rule: bool  # the switched-on auto rule sets this mark

    @property
    def used(self) -> bool:
        return bool(self.friends or self.messages or self.rule)


# --- marks ---------------------------------------------------------------------------------------------------


async def label_taken(ctx: WorkspaceContext, label: str, but: int | None) -> bool:
    query = select(Mark.id).where(Mark.label == label)
    if but is not None:
        query = query.where(Mark.id != but)
    return await ctx.session.scalar(query.limit(1)) is not None


async def next_sort_order(ctx: WorkspaceContext) -> int:
    """After the last mark, so a new mark appears at the end of the list."""
    return int(await ctx.session.scalar(select(func.coalesce(func.max(Mark.sort_order), -1))) or 0) + 1


async def marks_with_counts(ctx: WorkspaceContext, mark_id: int | None = None) -> list[MarkCounts]:
    """Marks in list order with how many friends and messages carry each (the mark list shows both)."""
    friends = (
        select(func.count())
        .select_from(FriendMark)
        .where(FriendMark.workspace_id == Mark.workspace_id, FriendMark.mark_id == Mark.id)  # the index's order
        .correlate(Mark)
    ).scalar_subquery()
    messages = (
        select(func.count())
        .select_from(MessageMark)
        .where(MessageMark.workspace_id == Mark.workspace_id, MessageMark.mark_id == Mark.id)
        .correlate(Mark)
    ).scalar_subquery()
    stmt = (
        select(Mark, friends, messages)
        .order_by(Mark.sort_order, Mark.id)
        .execution_options(populate_existing=True)  # after a reorder, the marks the session holds are stale
    )
    if mark_id is not None:
        stmt = stmt.where(Mark.id == mark_id)
    return [MarkCounts(mark, int(f), int(m)) for mark, f, m in await ctx.session.execute(stmt)]


async def reorder(ctx: WorkspaceContext, mark_ids: Sequence[int]) -> None:
    """Give the marks the positions 0, 1, 2, … in the order listed, in one UPDATE."""
    position = case({mark_id: n for n, mark_id in enumerate(mark_ids)}, value=Mark.id)
    await ctx.session.execute(
        update(Mark)
        .where(Mark.id.in_(list(mark_ids)))
        .values(sort_order=position)
        .execution_options(synchronize_session=False)
    )


async def seed_defaults(ctx: WorkspaceContext) -> bool:
    """要対応 / 対応中 / 対応済 and a switched-off auto rule (set to 要対応), once per workspace.

    The rule row doubles as the record that the workspace was seeded: switching the plugin off and on again
    (or a repeated call) seeds nothing, so marks staff deleted or renamed do not come back. Returns whether it
    seeded. Labels that exist already are left alone.
    """
    ws = ctx.workspace_id
    rule_id = await ctx.session.scalar(
        upsert_insert(ctx.session, AutoRule)
        .values(workspace_id=ws, enabled=False, mode="if_none", mark_message=False, updated_at=ctx.now)
        .on_conflict_do_nothing(index_elements=["workspace_id"])
        .returning(AutoRule.id)
    )
    if rule_id is None:
        return False
    first = await next_sort_order(ctx)
    rows = [
        {"workspace_id": ws, "label": label, "color": color, "sort_order": first + n, "created_at": ctx.now}
        for n, (label, color) in enumerate(DEFAULT_MARKS)
    ]
    await ctx.session.execute(
        upsert_insert(ctx.session, Mark).values(rows).on_conflict_do_nothing(index_elements=["workspace_id", "label"])
    )
    needs_reply = select(Mark.id).where(Mark.label == DEFAULT_MARKS[0][0]).scalar_subquery()
    await ctx.session.execute(
        update(AutoRule)
        .where(AutoRule.id == rule_id)
        .values(mark_id=needs_reply)
        .execution_options(synchronize_session=False)
    )
    return True


async def usage(ctx: WorkspaceContext, mark_id: int) -> Usage:
    friends = await ctx.session.scalar(
        select(func.count()).select_from(FriendMark).where(FriendMark.mark_id == mark_id)
    )
    messages = await ctx.session.scalar(
        select(func.count()).select_from(MessageMark).where(MessageMark.mark_id == mark_id)
    )
    rule = await ctx.session.scalar(
        select(AutoRule.id).where(AutoRule.mark_id == mark_id, AutoRule.enabled.is_(True)).limit(1)
    )
    return Usage(int(friends or 0), int(messages or 0), rule is not None)


async def delete_mark(ctx: WorkspaceContext, mark: Mark, replacement: Mark | None) -> Change:
    """Delete a mark, first moving what carries it to ``replacement`` or, when None, clearing it.

    Friends get a history row and a ``mark_changed`` event each (source "bulk"), as for any bulk change; marked
    messages move or lose their mark; an auto rule setting the mark moves too, or is switched off.
    """
    target = replacement.id if replacement is not None else None
    carriers = select(FriendMark.friend_id).where(FriendMark.mark_id == mark.id)
    change = await set_friend_marks(ctx, carriers, target, source="bulk")
    if target is None:
        await ctx.session.execute(
            delete(MessageMark).where(MessageMark.mark_id == mark.id).execution_options(synchronize_session=False)
        )
        rule_values: dict[str, Any] = {"mark_id": None, "enabled": False, "updated_at": ctx.now}
    else:
        await ctx.session.execute(
            update(MessageMark)
            .where(MessageMark.mark_id == mark.id)
            .values(mark_id=target)
            .execution_options(synchronize_session=False)
        )
        rule_values = {"mark_id": target, "updated_at": ctx.now}
    await ctx.session.execute(
        update(AutoRule)
        .where(AutoRule.mark_id == mark.id)
        .values(**rule_values)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.delete(mark)
    await ctx.session.flush()
    return change


# --- friends' marks --------------------------------------------------------------------------------------------


def friends_by_id(ids: Sequence[int]) -> Select[Any]:
    """The friend-id select that :func:`set_friend_marks` takes, for a known list of ids."""
    return select(Friend.id).where(Friend.id.in_(set(ids)))


async def current_marks(ctx: WorkspaceContext, friend_ids: Sequence[int]) -> dict[int, tuple[Mark, FriendMark]]:
    """The current mark of each of a page of friends, in one query; friends without a mark are left out."""
    if not friend_ids:
        return {}
    rows = await ctx.session.execute(
        select(Mark, FriendMark)
        .join(FriendMark, FriendMark.mark_id == Mark.id)
        .where(FriendMark.friend_id.in_(set(friend_ids)))
        .execution_options(populate_existing=True)  # marks are changed in SQL, past the session's copies
    )
    return {link.friend_id: (mark, link) for mark, link in rows}


async def set_friend_marks(
    ctx: WorkspaceContext, friend_ids: Select[Any], mark_id: int | None, *, source: str
) -> Change:
    """Give every friend ``friend_ids`` yields the mark ``mark_id`` (None clears it), in three statements.

    Friends not in this workspace are skipped and friends already as asked are left alone (no history row, no
    event), so running it twice changes nothing the second time. Each friend that changes gets a history row
    (from → to, who, how) and, unless more than EVENT_LIMIT change, a ``mark_changed`` event.

    Raises LookupError when ``mark_id`` is not a mark of this workspace.
    """
    ws = ctx.workspace_id
    to_label: str | None = None
    if mark_id is not None:
        to_label = await ctx.session.scalar(select(Mark.label).where(Mark.id == mark_id))
        if to_label is None:
            raise LookupError(f"mark {mark_id} is not in workspace {ws}")
    # correlate(None): a caller's select over friends must stay a query of its own, not be merged into ours.
    targets = friend_ids.correlate(None)
    await _lock_friends(ctx, targets)

    def changing(*columns: Any) -> Select[Any]:
        """The friends of ``targets`` whose mark differs from the one asked for, with ``columns``."""
        stmt = (
            select(*columns)
            .select_from(Friend)
            .outerjoin(FriendMark, FriendMark.friend_id == Friend.id)
            .where(Friend.workspace_id == ws, Friend.id.in_(targets))
        )
        differs: ColumnElement[bool] = (
            FriendMark.mark_id.is_not(None)
            if mark_id is None
            else or_(FriendMark.mark_id.is_(None), FriendMark.mark_id != mark_id)
        )
        return stmt.where(differs)

    preview = [
        (f, m) for f, m in await ctx.session.execute(changing(Friend.id, FriendMark.mark_id).limit(EVENT_LIMIT + 1))
    ]
    if not preview:
        return NO_CHANGE

    # History first, while the rows still hold the marks being replaced.
    was = aliased(Mark)
    history_rows = changing(
        literal(ws, BigId),
        Friend.id,
        FriendMark.mark_id,
        was.label,
        literal(mark_id, BigId),
        literal(to_label, String(50)),
        literal(source, String(32)),
        literal(ctx.actor_user_id, BigId),
        literal(ctx.now, UTCDateTime()),
    ).outerjoin(was, was.id == FriendMark.mark_id)
    history = insert(MarkChange).from_select(
        [
            "workspace_id",
            "friend_id",
            "from_mark_id",
            "from_label",
            "to_mark_id",
            "to_label",
            "source",
            "user_id",
            "changed_at",
        ],
        history_rows,
    )
    announce_each = len(preview) <= EVENT_LIMIT
    if announce_each:
        changed = [
            (f, m)
            for f, m in await ctx.session.execute(history.returning(MarkChange.friend_id, MarkChange.from_mark_id))
        ]
        count = len(changed)
    else:
        changed, count = [], _rowcount(await ctx.session.execute(history))

    if mark_id is None:
        await ctx.session.execute(
            delete(FriendMark).where(FriendMark.friend_id.in_(targets)).execution_options(synchronize_session=False)
        )
    else:
        rows = changing(
            literal(ws, BigId),
            Friend.id,
            literal(mark_id, BigId),
            literal(ctx.now, UTCDateTime()),
            literal(ctx.actor_user_id, BigId),
            literal(source, String(32)),
        )
        upsert = upsert_insert(ctx.session, FriendMark).from_select(
            ["workspace_id", "friend_id", "mark_id", "set_at", "set_by_user_id", "source"], rows
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["friend_id"],
            set_={
                "mark_id": upsert.excluded.mark_id,
                "set_at": upsert.excluded.set_at,
                "set_by_user_id": upsert.excluded.set_by_user_id,
                "source": upsert.excluded.source,
            },
        )
        await ctx.session.execute(upsert.execution_options(synchronize_session=False))
    if announce_each:
        await announce(ctx, changed, mark_id, source)
    return Change(count, announce_each)


async def _lock_friends(ctx: WorkspaceContext, targets: Select[Any]) -> None:
    """On PostgreSQL, lock the friends' rows (in id order) so that the marks read for the history are the marks
    replaced: a concurrent change of the same friend waits for this transaction. SQLite runs one writer at a time.

    FOR NO KEY UPDATE, like the friend lock of webhook processing, so rows that merely reference a friend (a new
    message, a tag) can still be inserted meanwhile.
    """
    if dialect_of(ctx.session) != "postgresql":
        return
    locked = (
        select(Friend.id)
        .where(Friend.workspace_id == ctx.workspace_id, Friend.id.in_(targets))
        .order_by(Friend.id)
        .with_for_update(key_share=True)
        .subquery()
    )
    await ctx.session.execute(select(func.count()).select_from(locked))


def history_query(friend_id: int) -> Select[Any]:
    return select(MarkChange).where(MarkChange.friend_id == friend_id)


# --- messages' marks -------------------------------------------------------------------------------------------


async def set_message_mark(ctx: WorkspaceContext, message_id: int, mark_id: int | None) -> bool:
    """Put ``mark_id`` on the message (None takes its mark off); whether anything changed."""
    if mark_id is None:
        removed = await ctx.session.execute(
            delete(MessageMark)
            .where(MessageMark.message_id == message_id)
            .returning(MessageMark.message_id)
            .execution_options(synchronize_session=False)
        )
        return removed.first() is not None
    stmt = upsert_insert(ctx.session, MessageMark).values(
        workspace_id=ctx.workspace_id,
        message_id=message_id,
        mark_id=mark_id,
        set_at=ctx.now,
        set_by_user_id=ctx.actor_user_id,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["message_id"],
        set_={
            "mark_id": stmt.excluded.mark_id,
            "set_at": stmt.excluded.set_at,
            "set_by_user_id": stmt.excluded.set_by_user_id,
        },
        where=MessageMark.__table__.c.mark_id != stmt.excluded.mark_id,
    )
    written = await ctx.session.execute(stmt.returning(MessageMark.message_id))
    return written.first() is not None


# --- the auto rule -------------------------------------------------------------------------------------------


async def rule_of(ctx: WorkspaceContext) -> AutoRule | None:
    return await ctx.session.scalar(select(AutoRule))


async def apply_auto_rule(ctx: WorkspaceContext, friend_id: int, message_id: int | None) -> Change:
    """On an inbound message: set the rule's mark on the friend (in "if_none" mode only if it has none) and,
    when the rule says so, on the message. A savepoint keeps a failure here from undoing the message itself."""
    rule = await rule_of(ctx)
    if rule is None or not rule.enabled or rule.mark_id is None:
        return NO_CHANGE
    async with ctx.session.begin_nested():
        friend = select(Friend.id).where(Friend.id == friend_id)
        if rule.mode == "if_none":
            friend = friend.where(~exists().where(FriendMark.friend_id == Friend.id))
        change = await set_friend_marks(ctx, friend, rule.mark_id, source=AUTO_SOURCE)
        if rule.mark_message and message_id is not None:
            await set_message_mark(ctx, message_id, rule.mark_id)
    return change


def _rowcount(result: Any) -> int:
    return max(int(cast(CursorResult[Any], result).rowcount or 0), 0)
