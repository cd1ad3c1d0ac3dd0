"""Writing the outbox: a ``line_requests`` row (and the conversation's messages) per send, in the caller's
transaction, reply-first; many at once for broadcasts and scenario batches.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import dialect_of, upsert_insert
from enishi.db.statistics import note_growth
from enishi.jobs.after_commit import enqueue_after_commit as after_commit
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.queue import JobQueue, ahead_of_queue
from enishi.line.channels import MAX_MESSAGES, MAX_MULTICAST
from enishi.line.outbox.config import BATCH_GRACE, DELIVER_JOB, DELIVER_MANY_JOB, OutboxSettings
from enishi.models import Friend, LineQuota, LineRequest, Message, Workspace
from enishi.settings import Settings

DELIVERY_CHUNK = 250  # rows per delivery job


async def send_to_friend(
    ctx_or_session: WorkspaceContext | AsyncSession,
    workspace_id: int,
    friend_id: int,
    messages: Sequence[dict[str, Any]],
    *,
    idempotency_key: str,
    source: str,
    sent_by_user_id: int | None = None,
    reply_max_age: timedelta | None = None,
    jobs: JobQueue | None = None,
) -> LineRequest:
    """Record a send to one friend in the caller's transaction; it goes out after commit.

    Reply-first: a reply token younger than ``reply_max_age`` (default ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS, 50 s)
    is taken atomically and used; otherwise a push. More than 5 messages cannot go in one reply, so they go by
    push, 5 per request, in order. A friend who blocked the account gets a ``failed`` row and nothing is sent; a
    workspace out of quota gets a ``held`` push. Asking again with the same ``idempotency_key`` returns the
    first row and changes nothing.

    With a WorkspaceContext (or ``jobs``) the delivery job is enqueued when the transaction commits; without one
    the sweeper sends it within ~10 s.
    """
    session, jobs, settings = _unpack(ctx_or_session, jobs)
    _check_ids(session, workspace_id, idempotency_key, source)
    body = _check_messages(messages)
    if reply_max_age is None:
        reply_max_age = (OutboxSettings.from_settings(settings) if settings else OutboxSettings()).reply_max_age

    existing = await _existing(session, workspace_id, idempotency_key)
    if existing is not None:
        return existing
    friend = (
        await session.execute(
            select(Friend.line_user_id, Friend.status, Friend.reply_token, Friend.reply_token_at).where(
                Friend.id == friend_id, Friend.workspace_id == workspace_id
            )
        )
    ).one_or_none()
    if friend is None:
        raise LookupError(f"friend {friend_id} not found in workspace {workspace_id}")
    line_user_id, friend_status, token, token_at = friend
    quota_exhausted = await _quota_exhausted(session, workspace_id)

    now = utcnow()
    status, error = "pending", None
    if friend_status == "blocked":
        status, error = "failed", "the friend has blocked the account; nothing was sent"
    elif quota_exhausted:
        status, error = "held", "the monthly message quota is used up"
    request_id = await _insert_request(
        session,
        {
            "workspace_id": workspace_id,
            "idempotency_key": idempotency_key,
            "kind": "push",
            "retry_key": str(uuid.uuid4()),
            "recipients": [line_user_id],
            "friend_ids": [friend_id],
            "messages": body,
            "status": status,
            "error": error,
            "sent_by_user_id": sent_by_user_id,
            "source": source,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if request_id is None:  # the same idempotency key committed by someone else meanwhile
        existing = await _existing(session, workspace_id, idempotency_key)
        assert existing is not None
        return existing

    if (
        friend_status == "following"
        and len(body) <= MAX_MESSAGES
        and token is not None
        and token_at is not None
        and token_at >= now - reply_max_age
        and await _take_reply_token(session, workspace_id, friend_id, token, now - reply_max_age)
    ):
        # Replies are free, so they go out even when the quota is used up.
        await session.execute(
            update(LineRequest)
            .where(LineRequest.id == request_id)
            .values(kind="reply", reply_token=token, retry_key=None, status="pending", error=None)
            .execution_options(synchronize_session=False)
        )
        status = "pending"

    if status != "failed":
        session.add_all(
            Message(
                workspace_id=workspace_id,
                friend_id=friend_id,
                direction="out",
                kind=str(m.get("type", "unknown"))[:24],
                body=m,
                text=preview(m),
                request_id=request_id,
                sent_by_user_id=sent_by_user_id,
                source=source,
                occurred_at=now,
            )
            for m in body
        )
    await session.flush()
    row = await session.get(LineRequest, request_id, populate_existing=True)
    assert row is not None
    if status == "pending" and jobs is not None:
        enqueue_after_commit(session, jobs, row)
    return row


@dataclass(frozen=True, slots=True)
class FriendSend:
    """Messages for one friend, for :func:`send_to_friends`, once per ``idempotency_key``."""

    friend_id: int
    idempotency_key: str
    messages: Sequence[dict[str, Any]]


async def send_to_friends(
    ctx: WorkspaceContext, sends: Sequence[FriendSend], *, source: str, sent_by_user_id: int | None = None
) -> dict[int, LineRequest]:
    """Record sends to many friends in the caller's transaction: :func:`send_to_friend` for a set, in a few
    statements whatever its size (a batch of scenario steps).

    Reply-first as for one friend: the fresh reply tokens of the batch are taken in one UPDATE (compared with
    the token read, so a token replaced meanwhile is not used), the rest go by push. Rows are written in one
    batched INSERT (a key already recorded keeps its first row), the conversation's messages in another, and
    delivery jobs of ``DELIVERY_CHUNK`` rows send them (replies first, ahead of the queue), paced by the shared
    rate limiter. Returns each friend's row.
    """
    if not sends:
        return {}
    session, jobs, settings = ctx.session, ctx.jobs, ctx.settings
    workspace_id = ctx.workspace_id
    _check_ids(session, workspace_id, sends[0].idempotency_key, source)
    reply_max_age = OutboxSettings.from_settings(settings).reply_max_age
    now = utcnow()
    checked: dict[int, list[dict[str, Any]]] = {}
    bodies: dict[int, list[dict[str, Any]]] = {}
    for send in sends:
        body = checked.get(id(send.messages))
        if body is None:
            body = checked[id(send.messages)] = _check_messages(send.messages)
        bodies[send.friend_id] = body
    existing = {
        row.idempotency_key: row
        for row in (
            await session.scalars(
                select(LineRequest).where(
                    LineRequest.workspace_id == workspace_id,
                    LineRequest.idempotency_key.in_([s.idempotency_key for s in sends]),
                )
            )
        ).all()
    }
    todo = [s for s in sends if s.idempotency_key not in existing]
    friends = {
        row.id: row
        for row in (
            await session.execute(
                select(Friend.id, Friend.line_user_id, Friend.status, Friend.reply_token, Friend.reply_token_at).where(
                    Friend.workspace_id == workspace_id, Friend.id.in_([s.friend_id for s in todo])
                )
            )
        ).all()
    }
    missing = [s.friend_id for s in todo if s.friend_id not in friends]
    if missing:
        raise LookupError(f"friends {missing[:5]} not found in workspace {workspace_id}")
    fresh_since = now - reply_max_age
    candidates = [
        (f.id, f.reply_token)
        for f in friends.values()
        if f.status == "following"
        and f.reply_token is not None
        and f.reply_token_at is not None
        and f.reply_token_at >= fresh_since
        and len(bodies[f.id]) <= MAX_MESSAGES
    ]
    replies: set[int] = set()
    if candidates and dialect_of(session) == "postgresql":
        # Webhook processing locks friends in id order: so do we, or the two wait on each other until PostgreSQL
        # breaks the deadlock a second later (while a burst of messages is being answered, again and again).
        await session.execute(
            select(Friend.id)
            .where(Friend.id.in_(sorted(f for f, _ in candidates)))
            .order_by(Friend.id)
            .with_for_update()
        )
    if candidates:
        replies = set(
            (
                await session.scalars(
                    update(Friend)
                    .where(
                        Friend.workspace_id == workspace_id,
                        tuple_(Friend.id, Friend.reply_token).in_(candidates),
                        Friend.reply_token_at >= fresh_since,
                    )
                    .values(reply_token=None, reply_token_at=None)
                    .returning(Friend.id)
                    .execution_options(synchronize_session=False)
                )
            ).all()
        )
    tokens = dict(candidates)
    held = await _quota_exhausted(session, workspace_id)
    values: list[dict[str, Any]] = []
    for send in todo:
        friend = friends[send.friend_id]
        status, error, kind = "pending", None, "push"
        if friend.status == "blocked":
            status, error = "failed", "the friend has blocked the account; nothing was sent"
        elif send.friend_id in replies:
            kind = "reply"
        elif held:
            status, error = "held", "the monthly message quota is used up"
        values.append(
            {
                "workspace_id": workspace_id,
                "idempotency_key": send.idempotency_key,
                "kind": kind,
                "retry_key": None if kind == "reply" else str(uuid.uuid4()),
                "reply_token": tokens.get(send.friend_id) if kind == "reply" else None,
                "recipients": [friend.line_user_id],
                "friend_ids": [send.friend_id],
                "messages": bodies[send.friend_id],
                "status": status,
                "error": error,
                "sent_by_user_id": sent_by_user_id,
                "source": source,
                "created_at": now,
                "next_attempt_at": now + BATCH_GRACE if status == "pending" else now,
            }
        )
    made: dict[str, int] = {}
    if values:
        stmt = upsert_insert(session, LineRequest).on_conflict_do_nothing(
            index_elements=["workspace_id", "idempotency_key"]
        )
        made = dict((await session.execute(stmt.returning(LineRequest.idempotency_key, LineRequest.id), values)).all())
    written = [LineRequest(id=made[v["idempotency_key"]], **v) for v in values if v["idempotency_key"] in made]
    conversation = [
        {
            "workspace_id": workspace_id,
            "friend_id": row.friend_ids[0],
            "direction": "out",
            "kind": str(m.get("type", "unknown"))[:24],
            "body": m,
            "text": preview(m),
            "request_id": row.id,
            "sent_by_user_id": sent_by_user_id,
            "source": source,
            "occurred_at": now,
        }
        for row in written
        if row.status != "failed"
        for m in row.messages
    ]
    if conversation:
        await session.execute(insert(Message), conversation)
        await note_growth(session, jobs, Message.__tablename__, len(conversation))
    await note_growth(session, jobs, LineRequest.__tablename__, len(written))
    if jobs is not None:
        _queue_deliveries(session, jobs, [row for row in written if row.status == "pending"])
    keys = [str(v["idempotency_key"]) for v in values]
    if len(made) < len(values):  # keys committed by someone else meanwhile: theirs are the rows
        existing.update(
            (row.idempotency_key, row)
            for row in (
                await session.scalars(
                    select(LineRequest).where(
                        LineRequest.workspace_id == workspace_id,
                        LineRequest.idempotency_key.in_([k for k in keys if k not in made]),
                    )
                )
            ).all()
        )
    rows = {row.idempotency_key: row for row in written} | existing
    return {s.friend_id: rows[s.idempotency_key] for s in sends if s.idempotency_key in rows}


async def multicast_to_friends(
    ctx_or_session: WorkspaceContext | AsyncSession,
    workspace_id: int,
    friend_ids: Sequence[int],
    messages: Sequence[dict[str, Any]],
    *,
    idempotency_key: str,
    source: str,
    sent_by_user_id: int | None = None,
    record_messages: bool = True,
    jobs: JobQueue | None = None,
) -> list[LineRequest]:
    """Record a multicast to the following friends among ``friend_ids``: one row per 500 recipients.

    Row ``n`` has the idempotency key ``f"{idempotency_key}:{n}"``; asking again returns the existing rows. With
    ``record_messages`` each friend's conversation gets the messages too (one bulk INSERT).
    """
    session, jobs, _settings = _unpack(ctx_or_session, jobs)
    _check_ids(session, workspace_id, idempotency_key + ":000000", source)
    body = _check_messages(messages)
    first = await _existing(session, workspace_id, f"{idempotency_key}:0")
    if first is not None:
        rows = (
            await session.scalars(
                select(LineRequest)
                .where(
                    LineRequest.workspace_id == workspace_id,
                    LineRequest.idempotency_key.startswith(f"{idempotency_key}:", autoescape=True),
                )
                .order_by(LineRequest.id)
            )
        ).all()
        return list(rows)
    friends = (
        await session.execute(
            select(Friend.id, Friend.line_user_id)
            .where(Friend.workspace_id == workspace_id, Friend.id.in_(list(friend_ids)), Friend.status == "following")
            .order_by(Friend.id)
        )
    ).all()
    status = "held" if await _quota_exhausted(session, workspace_id) else "pending"
    now = utcnow()
    created: list[LineRequest] = []
    for n, start in enumerate(range(0, len(friends), MAX_MULTICAST)):
        group = friends[start : start + MAX_MULTICAST]
        request_id = await _insert_request(
            session,
            {
                "workspace_id": workspace_id,
                "idempotency_key": f"{idempotency_key}:{n}",
                "kind": "multicast",
                "retry_key": str(uuid.uuid4()),
                "recipients": [f[1] for f in group],
                "friend_ids": [f[0] for f in group],
                "messages": body,
                "status": status,
                "sent_by_user_id": sent_by_user_id,
                "source": source,
                "created_at": now,
                "next_attempt_at": now,
            },
        )
        if request_id is None:
            raise RuntimeError(f"multicast {idempotency_key!r} is being recorded concurrently")
        if record_messages:
            await session.execute(
                insert(Message),
                [
                    {
                        "workspace_id": workspace_id,
                        "friend_id": f[0],
                        "direction": "out",
                        "kind": str(m.get("type", "unknown"))[:24],
                        "body": m,
                        "text": preview(m),
                        "request_id": request_id,
                        "sent_by_user_id": sent_by_user_id,
                        "source": source,
                        "occurred_at": now,
                    }
                    for f in group
                    for m in body
                ],
            )
        row = await session.get(LineRequest, request_id)
        assert row is not None
        created.append(row)
        if status == "pending" and jobs is not None:
            enqueue_after_commit(session, jobs, row)
    return created


@dataclass(frozen=True, slots=True)
class OutboxRequest:
    """One push or multicast for :func:`record_requests`."""

    idempotency_key: str
    kind: str  # "push" (one recipient) or "multicast" (at most 500)
    recipients: Sequence[str]  # LINE user ids
    friend_ids: Sequence[int]  # the friends they are (may be empty for a user who is not a friend, e.g. a test)
    messages: Sequence[dict[str, Any]]


async def record_requests(
    session: AsyncSession,
    workspace_id: int,
    requests: Sequence[OutboxRequest],
    *,
    source: str,
    broadcast_id: int | None = None,
    sent_by_user_id: int | None = None,
    jobs: JobQueue | None = None,
    claim_for: timedelta | None = None,
) -> list[LineRequest]:
    """Record many pushes and multicasts in batched INSERTs, each with a new retry key, before any is sent.

    A row whose ``idempotency_key`` exists already is left as it was; the rows written now are returned. No
    conversation rows are written (a broadcast keeps its own per-recipient record). With ``jobs`` each new row's
    delivery is enqueued when the transaction commits; without, the caller delivers them (or the sweeper does,
    within ~10 s). With ``claim_for`` the rows are written claimed by the caller for that long (``sending``, one
    attempt counted), to be sent with :func:`send_claimed` once the transaction commits; a killed caller's rows
    are taken up by the sweeper when the claim runs out. A workspace out of quota gets ``held`` rows.
    """
    if not requests:
        return []
    _check_ids(session, workspace_id, requests[0].idempotency_key, source)
    checked: dict[int, list[dict[str, Any]]] = {}  # the same messages for many rows are checked once
    now = utcnow()
    status = "held" if await _quota_exhausted(session, workspace_id) else "pending"
    claimed = status == "pending" and claim_for is not None
    values = []
    for request in requests:
        if not 1 <= len(request.idempotency_key) <= 200:
            raise ValueError("idempotency_key must be 1 to 200 characters")
        limit = 1 if request.kind == "push" else MAX_MULTICAST
        if request.kind not in ("push", "multicast") or not 1 <= len(request.recipients) <= limit:
            raise ValueError(f"{request.idempotency_key}: a {request.kind} takes 1 to {limit} recipients")
        body = checked.get(id(request.messages))
        if body is None:
            body = checked[id(request.messages)] = _check_messages(request.messages)
        values.append(
            {
                "workspace_id": workspace_id,
                "idempotency_key": request.idempotency_key,
                "kind": request.kind,
                "retry_key": str(uuid.uuid4()),
                "recipients": list(request.recipients),
                "friend_ids": list(request.friend_ids),
                "messages": body,
                "status": "sending" if claimed else status,
                "attempts": 1 if claimed else 0,
                "sent_by_user_id": sent_by_user_id,
                "source": source,
                "broadcast_id": broadcast_id,
                "created_at": now,
                "next_attempt_at": now + claim_for if claimed and claim_for is not None else now,
            }
        )
    stmt = upsert_insert(session, LineRequest).on_conflict_do_nothing(
        index_elements=["workspace_id", "idempotency_key"]
    )
    # Only the ids come back: the rows are what was just written (a million recipients need not travel twice).
    made = dict((await session.execute(stmt.returning(LineRequest.idempotency_key, LineRequest.id), values)).all())
    rows = [LineRequest(id=made[v["idempotency_key"]], **v) for v in values if v["idempotency_key"] in made]
    if status == "pending" and not claimed and jobs is not None:
        for row in rows:
            after_commit(session, jobs, DELIVER_JOB, job_id=delivery_job_id(row.id, now), request_id=row.id)
    return rows


def preview(message: dict[str, Any]) -> str | None:
    """Plain text of a message for search and previews: the text, or the alternative text of rich messages."""
    for key in ("text", "altText"):
        value = message.get(key)
        if isinstance(value, str):
            return value
    return None


def _unpack(
    ctx_or_session: WorkspaceContext | AsyncSession, jobs: JobQueue | None
) -> tuple[AsyncSession, JobQueue | None, Settings | None]:
    if isinstance(ctx_or_session, WorkspaceContext):
        return ctx_or_session.session, jobs or ctx_or_session.jobs, ctx_or_session.settings
    return ctx_or_session, jobs, None


def _check_ids(session: AsyncSession, workspace_id: int, idempotency_key: str, source: str) -> None:
    scoped = session.info.get("workspace_id")
    if scoped is not None and scoped != workspace_id:
        raise ValueError(f"the session is scoped to workspace {scoped}, not {workspace_id}")
    if not 1 <= len(idempotency_key) <= 200:
        raise ValueError("idempotency_key must be 1 to 200 characters")
    if not 1 <= len(source) <= 24:
        raise ValueError("source must be 1 to 24 characters")


def _check_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Refuse what LINE would refuse anyway, now, where the caller can still tell the user."""
    if not messages:
        raise ValueError("nothing to send: messages is empty")
    from linebot.v3.messaging import Message as SdkMessage  # the LINE SDK loads on the first send

    body = [dict(m) for m in messages]
    for i, message in enumerate(body):
        try:
            SdkMessage.from_dict(message)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"messages[{i}] is not a LINE message object: {exc}") from exc
    return body


async def _existing(session: AsyncSession, workspace_id: int, idempotency_key: str) -> LineRequest | None:
    return (
        await session.scalars(
            select(LineRequest).where(
                LineRequest.workspace_id == workspace_id, LineRequest.idempotency_key == idempotency_key
            )
        )
    ).one_or_none()


async def _quota_exhausted(session: AsyncSession, workspace_id: int) -> bool:
    at = await session.scalar(select(Workspace.quota_exhausted_at).where(Workspace.id == workspace_id))
    return at is not None


async def _insert_request(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT (workspace_id, idempotency_key) DO NOTHING; the new id, or None on a duplicate."""
    stmt = upsert_insert(session, LineRequest).on_conflict_do_nothing(
        index_elements=["workspace_id", "idempotency_key"]
    )
    return await session.scalar(stmt.values(**values).returning(LineRequest.id))


async def _take_reply_token(
    session: AsyncSession, workspace_id: int, friend_id: int, token: str, fresh_since: datetime
) -> bool:
    """Clear the friend's reply token if it is still ``token`` and fresh; True if this caller got it.

    Under concurrency the loser's UPDATE waits for the winner's row lock (PostgreSQL) or write lock (SQLite),
    then finds the token gone and matches no row.
    """
    taken = await session.scalar(
        update(Friend)
        .where(
            Friend.id == friend_id,
            Friend.workspace_id == workspace_id,
            Friend.reply_token == token,
            Friend.reply_token_at >= fresh_since,
        )
        .values(reply_token=None, reply_token_at=None)
        .returning(Friend.id)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        return False
    # A Friend the caller loaded keeps showing the token otherwise; set what the database now holds.
    loaded = session.identity_map.get(identity_key(Friend, friend_id))
    if loaded is not None:
        set_committed_value(loaded, "reply_token", None)
        set_committed_value(loaded, "reply_token_at", None)
    return True


def job_id(request: LineRequest) -> str:
    """One job id per scheduled attempt, so the sweeper and the deferred retry of the same attempt coincide."""
    return delivery_job_id(request.id, request.next_attempt_at)


def delivery_job_id(request_id: int, due: datetime) -> str:
    micros = (due.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"line_request:{request_id}:{micros}"


def enqueue_after_commit(session: AsyncSession, jobs: JobQueue, request: LineRequest) -> None:
    """Enqueue the delivery of ``request`` once the session's transaction commits (dropped on rollback)."""
    after_commit(session, jobs, DELIVER_JOB, job_id=job_id(request), request_id=request.id)


async def enqueue_delivery(jobs: JobQueue, request_id: int, jid: str, defer_until: datetime | None = None) -> None:
    await enqueue_quietly(jobs, DELIVER_JOB, jid, defer_until, request_id=request_id)


async def release_quota_hold(session: AsyncSession, workspace_id: int) -> int:
    """Clear the workspace's quota stop and requeue its held sends (staff action, or a new month)."""
    now = utcnow()
    await session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(quota_exhausted_at=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(LineRequest)
        .where(LineRequest.workspace_id == workspace_id, LineRequest.status == "held")
        .values(status="pending", next_attempt_at=now, error=None)
        .execution_options(synchronize_session=False)
    )
    # The cached quota said "nothing left": fetched again at the next look, not when it ages out.
    await forget_line_quota(session, workspace_id)
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_line_quota(session: AsyncSession, workspace_id: int) -> None:
    """Treat the workspace's cached LINE quota as unknown until it is fetched again (the next estimate queues
    that at once): after a quota hold is lifted, the plan or the channel changed, or staff ask."""
    await session.execute(
        update(LineQuota)
        .where(LineQuota.workspace_id == workspace_id)
        .values(fetched_at=None, requested_at=None)
        .execution_options(synchronize_session=False)
    )


def _queue_deliveries(session: AsyncSession, jobs: JobQueue, pending: list[LineRequest]) -> None:
    """Delivery jobs of ``DELIVERY_CHUNK`` rows each, once committed: a large batch is shared by several jobs (and
    workers) and each records LINE's answers as they come. Replies go first and ahead of the queue: a friend is
    waiting for them, and their tokens do not keep."""
    pending = sorted(pending, key=lambda row: row.kind != "reply")
    for start in range(0, len(pending), DELIVERY_CHUNK):
        chunk = pending[start : start + DELIVERY_CHUNK]
        ids = [row.id for row in chunk]
        after_commit(
            session,
            jobs,
            DELIVER_MANY_JOB,
            job_id=f"line_requests:{ids[0]}:{len(ids)}",
            defer_until=ahead_of_queue() if chunk[0].kind == "reply" else None,
            request_ids=ids,
        )
