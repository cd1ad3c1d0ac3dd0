"""The durable sending path: every send is a ``line_requests`` row first, a call to LINE second.

:func:`send_to_friend` writes the row (and the outbound ``messages`` rows the inbox shows) in the caller's
transaction, before anything is sent; its ``idempotency_key`` makes asking twice a no-op. A reply is free, so a
friend with a fresh unused reply token gets a reply (the token is taken in the same UPDATE that checks it, so two
senders cannot both use it); otherwise a push, with a new ``X-Line-Retry-Key`` stored on the row.

:func:`deliver` (the job ``core.deliver_line_request``, enqueued after commit, and re-enqueued by the schedule
``core.sweep_line_requests`` for anything due or stuck) claims the row with an atomic UPDATE and a lease, calls
LINE with the stored retry key, and records the outcome. Because the key is stored before the call and reused on
every retry, a worker killed between LINE accepting and us recording cannot deliver twice: the retry gets 409 and
is recorded as accepted.

``attempts`` counts the calls that may have reached LINE: it goes up when a worker claims the row (so a worker
that dies mid-call is counted too) and back down when the answer proves nothing was sent (local rate limit, refused
connection, 429). That number decides when to give up (``ENISHI_LINE_MAX_ATTEMPTS``) and whether a rejected reply
token may be followed by a push (only when no earlier call may have used the token).

:func:`record_requests` writes many pushes and multicasts at once (batched INSERTs), for broadcasts: a row with a
``broadcast_id`` counts its recipients as sent or failed on the broadcast in the transaction that settles it.

Settings (optional, from ``settings.extra``): ``ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS`` (default 50),
``ENISHI_LINE_MAX_ATTEMPTS`` (default 10), ``ENISHI_LINE_LEASE_SECONDS`` (default 120).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, insert, or_, select, tuple_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from enishi.context import JobContext, WorkspaceContext
from enishi.db.base import utcnow
from enishi.db.engine import Database, dialect_of, upsert_insert
from enishi.jobs.after_commit import enqueue_after_commit as after_commit
from enishi.jobs.after_commit import enqueue_quietly
from enishi.jobs.queue import JobQueue
from enishi.line.channels import MAX_MESSAGES, MAX_MULTICAST, load_channel, part_key
from enishi.line.errors import Accepted, Outcome, QuotaExhausted, Rejected, RetryLater, backoff
from enishi.models import Friend, LineRequest, Message, Workspace
from enishi.registry import Registered, Registry
from enishi.settings import Settings, env_float, env_int
from enishi.types import JobType, Schedule

if TYPE_CHECKING:
    from enishi.line.gateway import LineGateway

log = logging.getLogger("enishi.line.outbox")

DELIVER_JOB = "core.deliver_line_request"
DELIVER_MANY_JOB = "core.deliver_line_requests"
SWEEP_SCHEDULE = "core.sweep_line_requests"
QUOTA_TIMEZONE = ZoneInfo("Asia/Tokyo")  # LINE's message quota runs by the Japanese calendar month
_RETRY_KEY_LIFETIME = timedelta(hours=23)
# A batch's rows are its delivery job's for this long (that job may wait behind others) before the sweeper
# counts them as lost and sends them one by one.
BATCH_GRACE = timedelta(seconds=30)  # LINE remembers a retry key for 24 h; stay clear of the edge


@dataclass(frozen=True, kw_only=True)
class OutboxSettings:
    reply_max_age: timedelta = timedelta(seconds=50)
    max_attempts: int = 10
    lease: timedelta = timedelta(seconds=120)
    sweep_batch: int = 500

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxSettings:
        env = settings.extra
        return cls(
            reply_max_age=timedelta(seconds=env_float(env, "ENISHI_REPLY_TOKEN_MAX_AGE_SECONDS", 50.0, 0.0, 60.0)),
            max_attempts=env_int(env, "ENISHI_LINE_MAX_ATTEMPTS", 10, 1, 100),
            lease=timedelta(seconds=env_float(env, "ENISHI_LINE_LEASE_SECONDS", 120.0, 10.0, 3600.0)),
        )


# ---- writing the outbox ----------------------------------------------------------------------------------------


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
    one delivery job per batch sends them, paced by the shared rate limiter. Returns each friend's row.
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
    pending = [row.id for row in written if row.status == "pending"]
    if pending and jobs is not None:
        after_commit(
            session, jobs, DELIVER_MANY_JOB, job_id=f"line_requests:{pending[0]}:{len(pending)}", request_ids=pending
        )
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
            after_commit(session, jobs, DELIVER_JOB, job_id=_job_id(row.id, now), request_id=row.id)
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
    return _job_id(request.id, request.next_attempt_at)


def _job_id(request_id: int, due: datetime) -> str:
    micros = (due.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"line_request:{request_id}:{micros}"


def enqueue_after_commit(session: AsyncSession, jobs: JobQueue, request: LineRequest) -> None:
    """Enqueue the delivery of ``request`` once the session's transaction commits (dropped on rollback)."""
    after_commit(session, jobs, DELIVER_JOB, job_id=job_id(request), request_id=request.id)


async def _enqueue(jobs: JobQueue, request_id: int, jid: str, defer_until: datetime | None = None) -> None:
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
    return int(getattr(result, "rowcount", 0) or 0)


# ---- delivering ------------------------------------------------------------------------------------------------


async def deliver(
    db: Database,
    gateway: LineGateway,
    request_id: int,
    *,
    jobs: JobQueue | None = None,
    config: OutboxSettings | None = None,
) -> str:
    """Send one outbox row if it is due, and record what LINE said. Returns the row's status afterwards.

    Safe to run any number of times, concurrently too: only the worker whose UPDATE claims the row sends it,
    and a result is recorded only by the worker that still holds the claim.
    """
    config = config or OutboxSettings.from_settings(gateway.settings)
    claimed = await _claim(db, request_id, config)
    if isinstance(claimed, str):
        return claimed
    row, channel = claimed
    return await send_claimed(db, gateway, row, channel, jobs=jobs, config=config)


async def deliver_many(
    db: Database,
    gateway: LineGateway,
    request_ids: Sequence[int],
    *,
    jobs: JobQueue | None = None,
    config: OutboxSettings | None = None,
    concurrency: int = 8,
) -> list[str]:
    """Send a batch of outbox rows (the sends of a batch of scenario steps): claimed in one UPDATE, sent
    ``concurrency`` at a time through the shared rate limiter, recorded in one transaction.

    Rows not claimable now (not due, held, claimed by another worker) are left to their own retry or the sweeper,
    exactly as :func:`deliver` leaves them.
    """
    config = config or OutboxSettings.from_settings(gateway.settings)
    now = utcnow()
    quota_stop = exists().where(Workspace.id == LineRequest.workspace_id, Workspace.quota_exhausted_at.is_not(None))
    async with db.transaction() as s:
        rows = list(
            (
                await s.scalars(
                    update(LineRequest)
                    .where(
                        LineRequest.id.in_(list(request_ids)),
                        LineRequest.status.in_(("pending", "sending")),
                        # due, or never tried yet (a batch's rows wait out BATCH_GRACE for this job only)
                        or_(
                            LineRequest.next_attempt_at <= now,
                            and_(LineRequest.status == "pending", LineRequest.attempts == 0),
                        ),
                        or_(LineRequest.kind == "reply", ~quota_stop),
                    )
                    .values(status="sending", attempts=LineRequest.attempts + 1, next_attempt_at=now + config.lease)
                    .returning(LineRequest)
                    .execution_options(synchronize_session=False, populate_existing=True)
                )
            ).all()
        )
        channels = {w: await load_channel(s, w) for w in {row.workspace_id for row in rows}}
    if not rows:
        return []
    calls = asyncio.Semaphore(concurrency)

    async def call(row: LineRequest) -> Outcome:
        async with calls:
            return await call_claimed(gateway, channels[row.workspace_id], row, config)

    outcomes = await asyncio.gather(*(call(row) for row in rows))
    settled = list(zip(rows, outcomes, strict=True))
    for attempt in range(5):  # what LINE said must be written down: a busy SQLite writer is waited for
        try:
            statuses = await record_outcomes(db, settled, config=config, jobs=jobs)
            break
        except OperationalError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    for row, status in zip(rows, statuses, strict=True):
        if status == "fallback":  # the reply token was refused before use: the row is a push now
            await deliver(db, gateway, row.id, jobs=jobs, config=config)
    return statuses


async def send_claimed(
    db: Database,
    gateway: LineGateway,
    row: LineRequest,
    channel: Any,
    *,
    jobs: JobQueue | None = None,
    config: OutboxSettings | None = None,
) -> str:
    """Send a row this worker holds the claim of (``sending``, its attempt counted) and record what LINE said.

    :func:`deliver` claims a row first; :func:`record_requests` with ``claim_for`` writes rows already claimed by
    their writer, which then sends them with this (a broadcast's dispatcher does, saving a transaction per row).
    """
    config = config or OutboxSettings.from_settings(gateway.settings)
    outcome = await call_claimed(gateway, channel, row, config)
    status = await _record(db, row, outcome, config, jobs)
    if status == "fallback":
        return await deliver(db, gateway, row.id, jobs=jobs, config=config)
    return status


async def call_claimed(gateway: LineGateway, channel: Any, row: LineRequest, config: OutboxSettings) -> Outcome:
    """The call to LINE for a claimed row (or the reason not to make it), as an outcome to record."""
    refusal = _refusal(row, config)
    if refusal is not None:
        return Rejected(status=None, message=refusal)
    attempt = max(row.attempts - 1, 0)
    try:
        async with asyncio.timeout(config.lease.total_seconds() * 0.8):
            return await _call(gateway, channel, row, attempt)
    except TimeoutError:
        return RetryLater(delay=1.0, reason="the call to LINE outlasted the worker's lease")
    except Exception as exc:  # a bug or a broken secret: counted, so it ends as failed instead of looping
        log.exception("LINE request %s: the call failed unexpectedly", row.id)
        return RetryLater(delay=backoff(attempt, cap=300.0), reason=f"unexpected error: {exc!r}")


def _refusal(row: LineRequest, config: OutboxSettings) -> str | None:
    """Why this claimed row must not be sent again, if it must not."""
    if row.attempts > config.max_attempts:
        # Workers died (or were stopped) mid-call every time: do not let one row loop for ever.
        return f"gave up after {row.attempts - 1} attempts whose outcome is unknown (the worker stopped mid-call)"
    if row.kind != "reply" and row.attempts > 1 and row.created_at < utcnow() - _RETRY_KEY_LIFETIME:
        # LINE forgets a retry key after 24 h: resending now could deliver a second time.
        return "not retried: its retry key expired (24 h) after an attempt whose outcome is unknown"
    return None


async def _call(gateway: LineGateway, channel: Any, row: LineRequest, attempt: int) -> Outcome:
    if row.kind == "reply":
        assert row.reply_token is not None
        return await gateway.reply(channel, row.reply_token, row.messages, attempt=attempt)
    assert row.retry_key is not None
    if row.kind == "push":
        return await gateway.push(channel, row.recipients[0], row.messages, retry_key=row.retry_key, attempt=attempt)
    return await gateway.multicast(channel, row.recipients, row.messages, retry_key=row.retry_key, attempt=attempt)


async def _claim(db: Database, request_id: int, config: OutboxSettings) -> tuple[LineRequest, Any] | str:
    """Take the row for one attempt: pending (or sending with an expired lease) → sending, attempts + 1.

    Each transaction here starts with its UPDATE: on SQLite a transaction that reads first cannot write after
    another one committed, and the UPDATE is what makes two workers unable to both claim the row.
    """
    now = utcnow()
    claimable = (
        LineRequest.id == request_id,
        LineRequest.status.in_(("pending", "sending")),
        LineRequest.next_attempt_at <= now,
    )
    quota_stop = exists().where(Workspace.id == LineRequest.workspace_id, Workspace.quota_exhausted_at.is_not(None))
    async with db.transaction() as s:
        row = (
            await s.scalars(
                update(LineRequest)
                .where(*claimable, or_(LineRequest.kind == "reply", ~quota_stop))
                .values(status="sending", attempts=LineRequest.attempts + 1, next_attempt_at=now + config.lease)
                .returning(LineRequest)
                .execution_options(synchronize_session=False, populate_existing=True)
            )
        ).one_or_none()
        if row is not None:
            channel = await load_channel(s, row.workspace_id)
            assert channel is not None  # the row's foreign key keeps the workspace
            return row, channel
    async with db.transaction() as s:
        held = await s.scalar(
            update(LineRequest)
            .where(*claimable, LineRequest.kind != "reply", quota_stop)
            .values(status="held", error="the monthly message quota is used up")
            .returning(LineRequest.id)
            .execution_options(synchronize_session=False)
        )
        if held is not None:
            return "held"
    async with db.session() as s:
        current = (await s.execute(select(LineRequest.status).where(LineRequest.id == request_id))).scalar_one_or_none()
    if current is None:
        return "missing"
    # Pending or sending here: a retry that is not due yet, or another worker holds a live claim.
    return "not_due" if current in ("pending", "sending") else str(current)


@dataclass
class _Planned:
    """What to write for one outcome: the row's new ``status`` and column ``values``, and when to try again."""

    row: LineRequest
    outcome: Outcome
    status: str
    values: dict[str, Any]
    follow_up: datetime | None = None


def _plan(row: LineRequest, outcome: Outcome, config: OutboxSettings, now: datetime) -> _Planned:
    values: dict[str, Any]
    if isinstance(outcome, Accepted):
        values = {
            "status": "accepted",
            "http_status": outcome.status,
            "line_request_id": outcome.request_id,
            "accepted_at": now,
            "error": None,
        }
        return _Planned(row, outcome, "accepted", values)
    if isinstance(outcome, RetryLater):
        counted = row.attempts - (0 if outcome.maybe_delivered else 1)
        follow_up = None
        if counted >= config.max_attempts:
            status = "failed"
            values = {"status": status, "error": f"gave up after {counted} attempts: {outcome.reason}"}
        else:
            status = "pending"
            follow_up = now + timedelta(seconds=outcome.delay)
            values = {"status": status, "next_attempt_at": follow_up, "error": outcome.reason}
        values.update(attempts=counted, http_status=outcome.status, **_progress(row, outcome.parts_accepted))
        return _Planned(row, outcome, status, values, follow_up)
    if isinstance(outcome, QuotaExhausted):
        values = {
            "status": "held",
            "attempts": row.attempts - 1,
            "http_status": outcome.status,
            "error": f"the monthly message quota is used up: {outcome.message}",
            **_progress(row, outcome.parts_accepted),
        }
        return _Planned(row, outcome, "held", values)
    if row.kind == "reply" and outcome.invalid_reply_token and row.attempts <= 1:
        # The token expired before we could use it (no earlier call can have used it): push instead.
        values = {
            "status": "pending",
            "kind": "push",
            "reply_token": None,
            "retry_key": str(uuid.uuid4()),
            "attempts": 0,
            "next_attempt_at": now,
            "http_status": outcome.status,
            "error": f"reply token refused ({outcome.message}); sending by push",
        }
        return _Planned(row, outcome, "fallback", values)
    message = outcome.describe()
    if row.kind == "reply" and outcome.invalid_reply_token:
        message += "; an earlier attempt whose outcome is unknown probably used the token, so no push was sent"
    if outcome.parts_accepted:
        message += f" (the first {outcome.parts_accepted * MAX_MESSAGES} message(s) had been sent)"
    return _Planned(row, outcome, "failed", {"status": "failed", "http_status": outcome.status, "error": message})


async def _record(
    db: Database, row: LineRequest, outcome: Outcome, config: OutboxSettings, jobs: JobQueue | None
) -> str:
    """Write the outcome, if this worker still holds the claim (same status and attempt count)."""
    [status] = await record_outcomes(db, [(row, outcome)], config=config, jobs=jobs)
    return status


async def record_outcomes(
    db: Database,
    settled: Sequence[tuple[LineRequest, Outcome]],
    *,
    config: OutboxSettings | None = None,
    jobs: JobQueue | None = None,
) -> list[str]:
    """Record what LINE said for requests this worker holds the claims of, all in one transaction.

    Each row is written only if the claim is still this worker's (same status and attempt count); a row whose
    claim was lost is "lost" in the answer. Plain acceptances (no message ids to give to conversation messages)
    are written with one UPDATE per attempt count. Returns each row's status, in order.
    """
    if not settled:
        return []
    config = config or OutboxSettings()
    now = utcnow()
    plans = [_plan(row, outcome, config, now) for row, outcome in settled]
    recorded: set[int] = set()
    async with db.transaction() as s:
        # Acceptances are written with one UPDATE per attempt count; LINE's ids for the conversation's messages
        # (a broadcast's rows have none) with one statement for the set.
        plain = [p for p in plans if isinstance(p.outcome, Accepted)]
        plain_ids = {p.row.id for p in plain}
        for attempts in sorted({p.row.attempts for p in plain}):
            group = [p for p in plain if p.row.attempts == attempts]
            request_ids = {p.row.id: p.outcome.request_id for p in group if isinstance(p.outcome, Accepted)}
            status_code = {p.row.id: p.outcome.status for p in group if isinstance(p.outcome, Accepted)}
            done = await s.scalars(
                update(LineRequest)
                .where(
                    LineRequest.id.in_([p.row.id for p in group]),
                    LineRequest.status == "sending",
                    LineRequest.attempts == attempts,
                )
                .values(
                    status="accepted",
                    http_status=case(status_code, value=LineRequest.id),
                    line_request_id=case(request_ids, value=LineRequest.id),
                    accepted_at=now,
                    error=None,
                )
                .returning(LineRequest.id)
                .execution_options(synchronize_session=False)
            )
            recorded.update(done.all())
        await _store_message_ids(
            s,
            {
                p.row.id: p.outcome.sent_message_ids
                for p in plain
                if isinstance(p.outcome, Accepted)
                and p.outcome.sent_message_ids
                and p.row.broadcast_id is None
                and p.row.id in recorded
            },
        )
        for plan in plans:
            if plan.row.id in plain_ids:
                continue
            result = await s.execute(
                update(LineRequest)
                .where(
                    LineRequest.id == plan.row.id,
                    LineRequest.status == "sending",
                    LineRequest.attempts == plan.row.attempts,
                )
                .values(**plan.values)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                continue
            recorded.add(plan.row.id)
            if isinstance(plan.outcome, QuotaExhausted):
                await _hold_workspace(s, plan.row.workspace_id, now)
        for_broadcasts = [
            (p.row, p.status)
            for p in plans
            if p.row.id in recorded and p.row.broadcast_id is not None and p.status in ("accepted", "failed")
        ]
        if for_broadcasts:
            from enishi.delivery.progress import count_settled  # lazily: delivery builds on the outbox

            await count_settled(s, for_broadcasts, now, jobs)
    statuses = []
    for plan in plans:
        if plan.row.id not in recorded:
            log.warning("LINE request %s: lost the claim before recording %s", plan.row.id, type(plan.outcome).__name__)
            statuses.append("lost")
            continue
        if plan.follow_up is not None and jobs is not None:
            await _enqueue(jobs, plan.row.id, _job_id(plan.row.id, plan.follow_up), defer_until=plan.follow_up)
        log.log(
            logging.INFO if plan.status in ("accepted", "fallback") else logging.WARNING,
            "LINE request %s (%s): %s%s",
            plan.row.id,
            plan.row.kind,
            plan.status,
            "" if isinstance(plan.outcome, Accepted) else f" ({plan.values.get('error')})",
        )
        statuses.append(plan.status)
    return statuses


def _progress(row: LineRequest, parts_accepted: int) -> dict[str, Any]:
    """After a split send stopped part-way: keep only what is left, under the retry key of the first part left.

    That part may have reached LINE (a timeout), so it must go again with the key it already used; the parts
    before it were accepted and are dropped, so they can never be sent twice even after LINE forgets their keys.
    """
    if parts_accepted <= 0 or row.retry_key is None or len(row.recipients) > MAX_MULTICAST:
        return {}  # (outbox rows never exceed 500 recipients, so their parts are the message parts)
    return {
        "messages": row.messages[parts_accepted * MAX_MESSAGES :],
        "retry_key": part_key(row.retry_key, parts_accepted),
    }


async def _store_message_ids(session: AsyncSession, ids_of: Mapping[int, Sequence[str | None]]) -> None:
    """Give the requests' outbound messages the ids LINE assigned (for unsend, quotes, the inbox): one read and
    one UPDATE by primary key for the set.

    A request's ids belong to the messages still on its row, which are the last ones of the request: a split send
    that stopped part-way dropped the parts already accepted from the front (see ``_progress``).
    """
    if not ids_of:
        return
    rows = (
        await session.execute(
            select(Message.request_id, Message.id)
            .where(Message.request_id.in_(list(ids_of)))
            .order_by(Message.request_id, Message.id)
        )
    ).all()
    messages: dict[int, list[int]] = defaultdict(list)
    for request_id, message_id in rows:
        if request_id is not None:
            messages[int(request_id)].append(int(message_id))
    changes = []
    for request_id, ids in ids_of.items():
        mine = messages.get(request_id, [])
        if len(ids) > len(mine):
            continue
        for message_id, line_id in zip(mine[len(mine) - len(ids) :], ids, strict=True):
            if line_id is not None:
                changes.append({"id": message_id, "line_message_id": line_id[:64]})
    if changes:
        await session.execute(update(Message), changes)


async def _hold_workspace(session: AsyncSession, workspace_id: int, now: datetime) -> None:
    await session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id, Workspace.quota_exhausted_at.is_(None))
        .values(quota_exhausted_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(LineRequest)
        .where(
            LineRequest.workspace_id == workspace_id,
            LineRequest.kind.in_(("push", "multicast")),
            LineRequest.status == "pending",
        )
        .values(status="held", error="the monthly message quota is used up")
        .execution_options(synchronize_session=False)
    )


# ---- jobs ------------------------------------------------------------------------------------------------------


async def deliver_line_request(ctx: JobContext, request_id: int) -> str:
    """Job: deliver one outbox row (``core.deliver_line_request``)."""
    from enishi.line.gateway import gateway_for

    return await deliver(ctx.db, gateway_for(ctx.settings), request_id, jobs=ctx.jobs)


async def deliver_line_requests(ctx: JobContext, request_ids: list[int]) -> int:
    """Job: deliver a batch of outbox rows (``core.deliver_line_requests``); how many were accepted."""
    from enishi.line.gateway import gateway_for

    statuses = await deliver_many(ctx.db, gateway_for(ctx.settings), request_ids, jobs=ctx.jobs)
    return statuses.count("accepted")


async def sweep_line_requests(ctx: JobContext) -> int:
    """Schedule: requeue outbox rows that are due or whose worker died, and lift quota holds of past months."""
    config = OutboxSettings.from_settings(ctx.settings)
    now = utcnow()
    this_month = now.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m")
    async with ctx.db.session() as s:
        held = (
            await s.execute(
                select(Workspace.id, Workspace.quota_exhausted_at).where(Workspace.quota_exhausted_at.is_not(None))
            )
        ).all()
    for workspace_id, since in held:
        if since is not None and since.astimezone(QUOTA_TIMEZONE).strftime("%Y-%m") != this_month:
            async with ctx.db.transaction() as s:
                released = await release_quota_hold(s, workspace_id)
            log.info("workspace %s: a new quota month, %d held LINE request(s) released", workspace_id, released)
    now = utcnow()  # after any release, so what it released is due now
    async with ctx.db.session() as s:
        due = (
            await s.execute(
                select(LineRequest.id, LineRequest.next_attempt_at)
                .where(LineRequest.status.in_(("pending", "sending")), LineRequest.next_attempt_at <= now)
                .order_by(LineRequest.next_attempt_at)
                .limit(config.sweep_batch)
            )
        ).all()
    for request_id, at in due:
        await _enqueue(ctx.jobs, request_id, _job_id(request_id, at))
    return len(due)


def register_line_jobs(registry: Registry) -> None:
    """Register ``core.deliver_line_request`` and the schedule ``core.sweep_line_requests`` (every 10 s)."""
    from enishi.version import CORE_API_VERSION

    items: tuple[JobType | Schedule, ...] = (
        JobType(name="deliver_line_request", fn=deliver_line_request, timeout=timedelta(minutes=5)),
        JobType(name="deliver_line_requests", fn=deliver_line_requests, timeout=timedelta(minutes=10)),
        Schedule(name="sweep_line_requests", fn=sweep_line_requests, every=timedelta(seconds=10)),
    )
    for item in items:
        registry.add(
            "jobs", Registered(key=f"core.{item.name}", plugin="core", plugin_version=CORE_API_VERSION, item=item)
        )
