"""Processing stored webhook events, after the 200: friend lifecycle, conversation, plugins.

A job's events are processed in batches, in the order they arrived: one transaction per batch applies each event
and marks them processed together, so their effects happen once even if a job runs twice (on PostgreSQL the
rows are locked with SKIP LOCKED; SQLite runs one writer at a time). Lookups that hold for the transaction
(which scenarios a message starts, …) are made once per batch. A batch that fails is rolled back and its events
are processed one by one, so one bad event is recorded on itself and holds nobody else up. Events may arrive
out of order: the follow state only moves forward in LINE's ``timestamp``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import dialect_of, upsert_insert
from enishi.events import FRIEND_FOLLOWED, FRIEND_UNFOLLOWED, MESSAGE_RECEIVED, POSTBACK_RECEIVED
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.workspace_state import WorkspaceState, workspace_context, workspace_state
from enishi.line.spec import check_event, event_schema_names
from enishi.models import Friend, LineEvent, Message
from enishi.types import DomainEvent

log = logging.getLogger("enishi.line.processing")
MAX_ATTEMPTS = 10
CONFLICT_RETRIES = 5
FETCH_PROFILES_JOB = "core.fetch_profiles"
BATCH = 200  # events per transaction
MESSAGE_KINDS = {"text", "image", "video", "audio", "file", "location", "sticker"}


async def process_events(ctx: JobContext, workspace_id: int, event_ids: list[int]) -> int:
    """The job behind every webhook delivery; returns how many events it processed."""
    state = await workspace_state(ctx, workspace_id)
    done = 0
    ids = sorted(event_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        processed = await _process_batch(ctx, workspace_id, chunk, state) if len(chunk) > 1 else None
        if processed is not None:
            done += processed
            continue
        for event_id in chunk:
            if await process_one(ctx, workspace_id, event_id, state):
                done += 1
    return done


async def _process_batch(ctx: JobContext, workspace_id: int, event_ids: list[int], state: WorkspaceState) -> int | None:
    """Events in one transaction, in order; None when the batch failed (nothing of it was kept)."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            follow_up: list[tuple[str, dict[str, Any]]] = []
            async with ctx.db.transaction(workspace_id) as session:
                query = (
                    select(LineEvent)
                    .where(LineEvent.id.in_(event_ids), LineEvent.processed_at.is_(None))
                    .order_by(LineEvent.id)
                )
                if ctx.db.dialect == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                events = list((await session.scalars(query)).all())
                wctx = workspace_context(ctx, session, workspace_id, state)
                follow_up += await apply_events(wctx, events)
                now = utcnow()
                for event in events:
                    event.processed_at, event.attempts = now, event.attempts + 1
            await _enqueue_follow_up(ctx, workspace_id, follow_up)
            return len(events)
        except OperationalError:  # SQLite busy, or two batches waiting on each other's friends: all undone
            await asyncio.sleep(0.05 * (attempt + 1) * (1 + random.random()))
        except Exception:
            log.warning("workspace %s: a batch of %d events failed; one by one now", workspace_id, len(event_ids))
            return None
    return None


async def _enqueue_follow_up(ctx: JobContext, workspace_id: int, follow_up: list[tuple[str, dict[str, Any]]]) -> None:
    for job, kwargs in follow_up:  # after the commit; a lost follow-up is not a lost event
        await enqueue_quietly(ctx.jobs, job, **kwargs)  # quietly: a Redis outage is logged once, not per event


async def sweep_events(ctx: JobContext) -> int:
    """Re-run events left unprocessed (a lost job, a killed worker), oldest first."""
    cutoff = utcnow() - timedelta(seconds=5)
    async with ctx.db.session() as session:
        rows = (
            await session.execute(
                select(LineEvent.workspace_id, LineEvent.id)
                .where(
                    LineEvent.processed_at.is_(None), LineEvent.received_at < cutoff, LineEvent.attempts < MAX_ATTEMPTS
                )
                .order_by(LineEvent.id)
                .limit(1000)
            )
        ).all()
    states: dict[int, WorkspaceState] = {}
    for workspace_id, event_id in rows:
        if workspace_id not in states:
            states[workspace_id] = await workspace_state(ctx, workspace_id)
        await process_one(ctx, workspace_id, event_id, states[workspace_id])
    return len(rows)


async def process_one(ctx: JobContext, workspace_id: int, event_id: int, state: WorkspaceState) -> bool:
    # Two events of one friend processed at once conflict on the friend's row: SQLite refuses the later writer
    # (OperationalError), PostgreSQL makes it wait on the row lock. A refused attempt simply runs again.
    for attempt in range(CONFLICT_RETRIES):
        try:
            return await _process_once(ctx, workspace_id, event_id, state)
        except OperationalError:
            if attempt == CONFLICT_RETRIES - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1) * (1 + random.random()))
    return False


async def _process_once(ctx: JobContext, workspace_id: int, event_id: int, state: WorkspaceState) -> bool:
    try:
        async with ctx.db.transaction(workspace_id) as session:
            query = select(LineEvent).where(LineEvent.id == event_id, LineEvent.processed_at.is_(None))
            if ctx.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            event = await session.scalar(query)
            if event is None:
                return False  # already done, or another worker has it
            wctx = workspace_context(ctx, session, workspace_id, state)
            follow_up = await apply_event(wctx, event)
            event.processed_at = utcnow()
            event.attempts += 1
    except OperationalError:
        raise
    except Exception as exc:
        log.exception("workspace %s: event %s failed", workspace_id, event_id)
        async with ctx.db.transaction(workspace_id) as session:
            await session.execute(
                update(LineEvent)
                .where(LineEvent.id == event_id)
                .values(attempts=LineEvent.attempts + 1, error=f"{type(exc).__name__}: {exc}"[:2000])
            )
        return False
    await _enqueue_follow_up(ctx, workspace_id, follow_up)
    return True


async def apply_event(ctx: WorkspaceContext, event: LineEvent) -> list[tuple[str, dict[str, Any]]]:
    """Apply one event (see :func:`apply_events`)."""
    return await apply_events(ctx, [event])


async def apply_events(ctx: WorkspaceContext, events: Sequence[LineEvent]) -> list[tuple[str, dict[str, Any]]]:
    """Apply a batch of events, in order; returns jobs to enqueue once it is committed.

    Set-based: the batch's friends are locked (PostgreSQL) and created with one statement each, its messages
    inserted together, and the domain events it causes announced as one batch, each friend's in their order, so
    triggers are matched and runs started once per scenario, not once per event.
    """
    checked: list[LineEvent] = []
    for event in events:
        known, problems = check_event(event.payload)
        if problems:
            event.error = "; ".join(f"{p.path}: {p.message}" for p in problems)[:2000]
            log.warning(
                "workspace %s: event %s does not match LINE's spec: %s",
                ctx.workspace_id,
                event.webhook_event_id,
                event.error,
            )
            continue
        if not known:
            log.info("workspace %s: stored an event of unknown type %r", ctx.workspace_id, event.type)
        checked.append(event)
    friends, created = await _friends(ctx.session, ctx.workspace_id, [e for e in checked if _of_a_friend(e)])
    hooks = _PerEventHooks(ctx)
    follow_up: list[tuple[str, dict[str, Any]]] = []
    announced: list[tuple[int, str, dict[str, Any]]] = []  # (friend, name, data), in event order
    inbound: list[tuple[Message, Friend]] = []
    profiles: list[int] = []  # friends to (re)read the LINE profile of: one job for the batch
    for event in checked:
        payload = event.payload
        friend = friends.get(event.line_user_id or "") if _of_a_friend(event) else None
        if friend is not None:
            new = friend.id in created  # this batch made the friend: their first event here is the new one
            created.discard(friend.id)
            kind = event.type
            if kind == "follow":
                unblocked = bool((payload.get("follow") or {}).get("isUnblocked")) and not new
                if _moves_state_forward(friend, event.occurred_at):
                    friend.status, friend.blocked_at, friend.state_changed_at = "following", None, event.occurred_at
                profiles.append(friend.id)
                await hooks.followed(friend.id, unblocked)
                announced.append((friend.id, FRIEND_FOLLOWED, {"unblocked": unblocked}))
            elif kind == "unfollow":
                if _moves_state_forward(friend, event.occurred_at):
                    friend.status, friend.blocked_at, friend.state_changed_at = (
                        "blocked",
                        event.occurred_at,
                        event.occurred_at,
                    )
                    friend.reply_token = None  # a blocked friend cannot be replied to
                await hooks.unfollowed(friend.id)
                announced.append((friend.id, FRIEND_UNFOLLOWED, {}))
            elif kind in ("message", "postback"):
                # The token first: what plugins and scenarios answer to this message then goes as a free reply.
                _take_reply_token(friend, payload, event.occurred_at)
                body = (
                    payload.get("message") or {}
                    if kind == "message"
                    else {"type": "postback", **(payload.get("postback") or {})}
                )
                inbound.append((_inbound(friend, event, body), friend))
                announced.append((friend.id, "", {"message": len(inbound) - 1}))
            if new and kind != "follow":
                profiles.append(friend.id)
            if kind not in ("message", "postback"):
                _take_reply_token(friend, payload, event.occurred_at)
        await hooks.line_event(payload, friend.id if friend is not None else None)
    if inbound:
        ctx.session.add_all([message for message, _ in inbound])
        await ctx.session.flush()  # one INSERT for the batch's messages (their ids go into the events)
    await ctx.emit_events(_domain_events(ctx, announced, inbound))
    if profiles:
        follow_up.append(
            (FETCH_PROFILES_JOB, {"workspace_id": ctx.workspace_id, "friend_ids": list(dict.fromkeys(profiles))})
        )
    return follow_up


def _of_a_friend(event: LineEvent) -> bool:
    """A known event from a user (not a group or room): it concerns a friend."""
    return event.source_type == "user" and bool(event.line_user_id) and event.type in event_schema_names()


class _PerEventHooks:
    """The one-event-at-a-time plugin hooks, called only when an enabled plugin implements them."""

    def __init__(self, ctx: WorkspaceContext) -> None:
        self.ctx = ctx
        self.wanted = {
            hook
            for hook in ("enishi_friend_followed", "enishi_friend_unfollowed", "enishi_line_event")
            if ctx.host.implements(hook, ctx.enabled_plugins)
        }

    async def followed(self, friend_id: int, unblocked: bool) -> None:
        if "enishi_friend_followed" in self.wanted:
            ctx = self.ctx
            await ctx.host.call(
                "enishi_friend_followed", ctx.enabled_plugins, ctx=ctx, friend_id=friend_id, unblocked=unblocked
            )

    async def unfollowed(self, friend_id: int) -> None:
        if "enishi_friend_unfollowed" in self.wanted:
            ctx = self.ctx
            await ctx.host.call("enishi_friend_unfollowed", ctx.enabled_plugins, ctx=ctx, friend_id=friend_id)

    async def line_event(self, payload: dict[str, Any], friend_id: int | None) -> None:
        if "enishi_line_event" in self.wanted:
            ctx = self.ctx
            await ctx.host.call("enishi_line_event", ctx.enabled_plugins, ctx=ctx, event=payload, friend_id=friend_id)


async def _friends(
    session: AsyncSession, workspace_id: int, events: Sequence[LineEvent]
) -> tuple[dict[str, Friend], set[int]]:
    """The batch's friends by LINE user id, created where new (two batches meeting a new user make one friend),
    and the ids of those this batch created. On PostgreSQL their rows are locked in id order, so batches sharing
    friends take turns instead of deadlocking."""
    if not events:
        return {}, set()
    first: dict[str, LineEvent] = {}
    for event in events:
        first.setdefault(str(event.line_user_id), event)
    query = select(Friend).where(Friend.line_user_id.in_(sorted(first))).order_by(Friend.id)
    if dialect_of(session) == "postgresql":
        query = query.with_for_update()
    found = {f.line_user_id: f for f in (await session.scalars(query)).all()}
    missing = sorted(set(first) - set(found))
    if not missing:
        return found, set()
    now = utcnow()
    rows = []
    for line_user_id in missing:  # sorted, so concurrent batches insert in the same order
        event = first[line_user_id]
        # An unfollow can be the first we hear of someone (e.g. events from before the account was connected).
        status = "blocked" if event.type == "unfollow" else "following"
        rows.append(
            {
                "workspace_id": workspace_id,
                "line_user_id": line_user_id,
                "display_name": "",
                "status": status,
                "followed_at": event.occurred_at,
                "blocked_at": event.occurred_at if status == "blocked" else None,
                "state_changed_at": event.occurred_at if event.type in ("follow", "unfollow") else None,
                "created_at": now,
            }
        )
    made = set(
        (
            await session.scalars(
                upsert_insert(session, Friend)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["workspace_id", "line_user_id"])
                .returning(Friend.id)
            )
        ).all()
    )
    query = select(Friend).where(Friend.line_user_id.in_(missing)).order_by(Friend.id)
    if dialect_of(session) == "postgresql":
        query = query.with_for_update()
    found.update({f.line_user_id: f for f in (await session.scalars(query)).all()})
    return found, made


def _moves_state_forward(friend: Friend, at: datetime) -> bool:
    return friend.state_changed_at is None or at >= friend.state_changed_at


def _take_reply_token(friend: Friend, payload: dict[str, Any], at: datetime) -> None:
    token = payload.get("replyToken")
    if not isinstance(token, str) or friend.status != "following":
        return
    # A token older than the newest one seen is stale, even when that newer one was already used (and cleared):
    # an event processed late (a follow behind the message after it) must not re-arm a reply.
    newest = max((t for t in (friend.reply_token_at, friend.last_inbound_at) if t is not None), default=None)
    if newest is None or at >= newest:
        friend.reply_token, friend.reply_token_at = token[:64], at


def _inbound(friend: Friend, event: LineEvent, body: dict[str, Any]) -> Message:
    kind = str(body.get("type", "unknown"))[:24]
    text = body.get("text") if kind == "text" else body.get("data") if kind == "postback" else None
    line_message_id = body.get("id") if kind in MESSAGE_KINDS else None
    if friend.last_inbound_at is None or event.occurred_at > friend.last_inbound_at:
        friend.last_inbound_at = event.occurred_at
    return Message(
        friend_id=friend.id,
        direction="in",
        kind=kind,
        body=body,
        text=text if isinstance(text, str) else None,
        line_message_id=line_message_id if isinstance(line_message_id, str) else None,
        event_id=event.id,
        source="line",
        occurred_at=event.occurred_at,
    )


def _domain_events(
    ctx: WorkspaceContext, announced: list[tuple[int, str, dict[str, Any]]], inbound: list[tuple[Message, Friend]]
) -> list[DomainEvent]:
    """The batch's domain events, each friend's in the order they happened, grouped by name where that order
    allows: a friend's n-th event goes in round n, and each round is sorted by name, so the engine takes every
    round's follows (or messages) as one set."""
    rounds: list[list[DomainEvent]] = []
    seen: dict[int, int] = defaultdict(int)
    at = utcnow()
    for friend_id, name, data in announced:
        if not name:  # a message or postback: its row has an id now
            message = inbound[data["message"]][0]
            name = POSTBACK_RECEIVED if message.kind == "postback" else MESSAGE_RECEIVED
            data = {"message_id": message.id, "kind": message.kind, "text": message.text}
        n = seen[friend_id]
        seen[friend_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        event = DomainEvent(name=name, workspace_id=ctx.workspace_id, friend_id=friend_id, occurred_at=at, data=data)
        rounds[n].append(event)
    return [event for round_ in rounds for event in sorted(round_, key=lambda e: e.name)]
