"""Delivering: claiming rows with a lease, calling LINE with the stored retry key and recording the outcomes,
of which listeners are told (:func:`on_settled`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from enishi.db.base import utcnow
from enishi.db.engine import Database
from enishi.jobs.queue import JobQueue
from enishi.line.channels import MAX_MESSAGES, MAX_MULTICAST, load_channel, part_key
from enishi.line.errors import Accepted, Outcome, QuotaExhausted, Rejected, RetryLater, backoff
from enishi.line.outbox.config import RETRY_KEY_LIFETIME, OutboxSettings
from enishi.line.outbox.writing import delivery_job_id, enqueue_delivery
from enishi.models import LineRequest, Message, Workspace

if TYPE_CHECKING:
    from enishi.line.gateway import LineGateway

log = logging.getLogger("enishi.line.outbox")

# Told of the requests that settled (status "accepted", or "failed" for good) whose claims this worker held, in the
# transaction that records them, with that transaction's time and the job queue.
SettledListener = Callable[
    [AsyncSession, Sequence[tuple[LineRequest, str]], datetime, JobQueue | None], Awaitable[None]
]
_settled_listeners: list[SettledListener] = []


def on_settled(listener: SettledListener) -> None:
    """Have ``listener`` told of settled requests, for as long as the process lives; adding it again does nothing.

    What builds on the outbox listens here rather than being imported by it: delivery counts a broadcast's
    recipients as their requests settle, and the core plugin installs that when it is registered.
    """
    if listener not in _settled_listeners:
        _settled_listeners.append(listener)


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
    if row.kind != "reply" and row.attempts > 1 and row.created_at < utcnow() - RETRY_KEY_LIFETIME:
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
        settled_now = [(p.row, p.status) for p in plans if p.row.id in recorded and p.status in ("accepted", "failed")]
        if settled_now:
            for listener in _settled_listeners:
                await listener(s, settled_now, now, jobs)
    statuses = []
    for plan in plans:
        if plan.row.id not in recorded:
            log.warning("LINE request %s: lost the claim before recording %s", plan.row.id, type(plan.outcome).__name__)
            statuses.append("lost")
            continue
        if plan.follow_up is not None and jobs is not None:
            await enqueue_delivery(
                jobs, plan.row.id, delivery_job_id(plan.row.id, plan.follow_up), defer_until=plan.follow_up
            )
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
