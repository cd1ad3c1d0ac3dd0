"""Broadcast routes under ``/api/workspaces/{workspace_id}/broadcasts`` (一斉配信 / セグメント配信).

    GET    /                          broadcasts, newest first (?status=&after=&limit=)
    POST   /estimate                  live recipient count and the quota check, before sending
    POST   /                          send now or schedule (Idempotency-Key honoured); 409 when the quota refuses
    POST   /test-send                 the messages to one LINE user (a staff member's own account, or simulated)
    GET    /{id}                      the broadcast with its progress (sent, failed, remaining, estimated finish)
    GET    /{id}/recipients           who it is for and what became of each (?after=&limit=)
    POST   /{id}/pause | resume | cancel
    POST   /{id}/send-now             a scheduled broadcast starts now (409 when the quota refuses)
    GET    /quota                     LINE's quota as last fetched, what broadcasts reserve, the plan's limit
    POST   /quota/refresh             fetch LINE's quota again (by a job, at once), e.g. after buying messages
    GET    /test-recipients           whom a test send can go to: friends by name (a staff member's own account)
                                      and, with the emulator, its simulated users (?q=)

Drafts are in ``broadcast_draft_routes``; ``POST /`` with ``draft_id`` sends a draft and removes it.
Reading needs membership of the workspace; estimating, sending, test sends and refreshing need ``core.broadcast``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter
from sqlalchemy import func, select

from enishi.api.broadcast_draft_routes import find_draft
from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, check_limit, decode_cursor, encode_cursor, keyset_by_id, page_of
from enishi.api.params import Access, Ctx
from enishi.audit import add_details
from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.delivery import compose, engine, progress, quota, test_send
from enishi.line.embedded import emulator_of
from enishi.line.ratelimit import RateLimitSettings
from enishi.models import Friend, LineRequest
from enishi.models.broadcasts import BROADCAST_STATUSES, Broadcast, BroadcastRecipient
from enishi.schema_validation import SchemaProblem
from enishi.text import Text

Limit = Annotated[int, Parameter(ge=1, le=200)]
Id = Annotated[int, msgspec.Meta(ge=1)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LineUserId = Annotated[str, msgspec.Meta(pattern=r"^U[0-9a-f]{32}$")]
IDEMPOTENCY_HEADER = "Idempotency-Key"
SEND = "core.broadcast"
MAX_AHEAD = timedelta(days=366)
AUDIENCE_FIXED = "when_sending_starts"
AUDIENCE_NOTE = Text(
    "配信対象は送信開始時に確定します。予約後にタグを付けた友だちも対象になり、その間にブロックした友だちには届きません。",
    "The audience is fixed when sending starts: a friend tagged after the broadcast was scheduled is included, one "
    "who blocked the account meanwhile is not.",
)


class TargetIn(msgspec.Struct, forbid_unknown_fields=True):
    """Every friend (nothing given), a segment, or a saved segment (a tab); each may exclude a segment."""

    segment: Any = None  # checked by the segment checker, with paths
    exclude: Any = None
    saved_segment_id: Id | None = None


class BroadcastIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    messages: Any  # 1 to 5 LINE message objects, checked with paths
    target: TargetIn = msgspec.field(default_factory=TargetIn)
    scheduled_at: datetime | None = None  # null: now; without a time zone: the workspace's
    allow_partial: bool = False  # send to as many as the quota allows instead of refusing
    draft_id: Id | None = None  # the draft this was written in: removed when the broadcast is made


class EstimateIn(msgspec.Struct, forbid_unknown_fields=True):
    target: TargetIn = msgspec.field(default_factory=TargetIn)
    messages: Any = None  # optional: with variables a broadcast goes by push, one request per friend


class ToIn(msgspec.Struct, forbid_unknown_fields=True):
    friend_id: Id | None = None
    user_line_id: LineUserId | None = None


class TestSendIn(msgspec.Struct, forbid_unknown_fields=True):
    messages: Any
    to: ToIn


class WarningOut(msgspec.Struct):
    code: str
    message: str


class QuotaOut(msgspec.Struct):
    known: bool
    type: str | None  # "none" (unlimited) or "limited"
    limit: int | None
    consumption: int | None
    reserved: int  # what scheduled and running broadcasts still have to send this month
    remaining: int | None
    fetched_at: datetime | None
    age_seconds: float | None
    stale: bool
    refreshing: bool
    held: bool
    error: str | None


class PlanOut(msgspec.Struct):
    key: str
    name: dict[str, str]
    monthly_messages: int | None
    used: int | None
    reserved: int
    remaining: int | None


class EstimateOut(msgspec.Struct):
    recipients: int
    delivery: str  # multicast or push
    requests: int
    sendable: int
    fits: bool
    quota: QuotaOut
    plan: PlanOut
    warnings: list[WarningOut]
    audience_fixed: str
    audience_note: dict[str, str]


class ProgressOut(msgspec.Struct):
    total: int | None
    written: int
    sent: int
    failed: int
    cancelled: int
    remaining: int
    percent: float
    rate_per_second: float | None
    estimated_finish_at: datetime | None


class BroadcastOut(msgspec.Struct):
    id: int
    name: str
    status: str
    delivery: str
    messages: list[dict[str, Any]]
    target: dict[str, Any]
    allow_partial: bool
    scheduled_at: datetime | None
    send_at: datetime
    send_at_local: str  # in the workspace's time zone
    timezone: str
    audience_fixed: str
    audience_note: dict[str, str]
    estimated_recipients: int
    limited_to: int | None
    progress: ProgressOut
    held: bool  # some of it waits for LINE's monthly quota (the workspace's sending is on hold)
    error: str | None
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    paused_at: datetime | None
    finished_at: datetime | None


class CreatedOut(msgspec.Struct):
    broadcast: BroadcastOut
    estimate: EstimateOut


class RecipientOut(msgspec.Struct):
    position: int
    friend_id: int
    display_name: str | None
    status: str  # waiting / sending / held / sent / failed / cancelled / skipped
    error: str | None
    sent_at: datetime | None


class TestRecipientOut(msgspec.Struct):
    friend_id: int | None  # None: a simulated user who is not a friend (yet)
    user_line_id: str
    name: str
    simulated: bool  # a simulated user of the emulator (demo and development), not a real LINE account


class QuotaStateOut(msgspec.Struct):
    quota: QuotaOut
    plan: PlanOut


class TestSendOut(msgspec.Struct):
    request_id: int
    status: str
    user_line_id: str
    friend_id: int | None
    messages: list[dict[str, Any]]


def quota_out(q: quota.QuotaView) -> QuotaOut:
    return QuotaOut(
        known=q.known,
        type=q.type,
        limit=q.limit,
        consumption=q.consumption,
        reserved=q.reserved,
        remaining=q.remaining,
        fetched_at=q.fetched_at,
        age_seconds=round(q.age_seconds, 1) if q.age_seconds is not None else None,
        stale=q.stale,
        refreshing=q.refreshing,
        held=q.held,
        error=q.error,
    )


def plan_out(p: quota.PlanView) -> PlanOut:
    return PlanOut(
        key=p.key,
        name={"ja": p.name_ja, "en": p.name_en},
        monthly_messages=p.monthly_messages,
        used=p.used,
        reserved=p.reserved,
        remaining=p.remaining,
    )


def estimate_out(estimate: quota.Estimate) -> EstimateOut:
    q, p = estimate.quota, estimate.plan
    return EstimateOut(
        recipients=estimate.recipients,
        delivery=estimate.delivery,
        requests=estimate.requests,
        sendable=estimate.sendable,
        fits=estimate.fits,
        quota=quota_out(q),
        plan=plan_out(p),
        warnings=[WarningOut(w.code, w.message) for w in estimate.warnings],
        audience_fixed=AUDIENCE_FIXED,
        audience_note=AUDIENCE_NOTE.as_dict(),
    )


async def broadcast_out(
    ctx: WorkspaceContext, b: Broadcast, *, quota_held: bool, counts: progress.Counts | None = None
) -> BroadcastOut:
    if counts is None:
        counts = (await progress.counts_of(ctx.session, [b.id])).get(b.id, progress.Counts())
    made = progress.progress_of(b, counts, utcnow(), RateLimitSettings.from_settings(ctx.settings))
    held = False
    if quota_held and b.status in ("sending", "paused"):
        held = bool(
            await ctx.session.scalar(
                select(func.count())
                .select_from(LineRequest)
                .where(LineRequest.broadcast_id == b.id, LineRequest.status == "held")
            )
        )
    return BroadcastOut(
        id=b.id,
        name=b.name,
        status=b.status,
        delivery=b.delivery,
        messages=b.messages,
        target=b.target,
        allow_partial=b.allow_partial,
        scheduled_at=b.scheduled_at,
        send_at=b.send_at,
        send_at_local=b.send_at.astimezone(ctx.tz).isoformat(timespec="seconds"),
        timezone=ctx.timezone,
        audience_fixed=AUDIENCE_FIXED,
        audience_note=AUDIENCE_NOTE.as_dict(),
        estimated_recipients=b.estimated_recipients,
        limited_to=b.limited_to,
        progress=ProgressOut(
            total=made.total,
            written=made.written,
            sent=made.sent,
            failed=made.failed,
            cancelled=made.cancelled,
            remaining=made.remaining,
            percent=made.percent,
            rate_per_second=made.rate_per_second,
            estimated_finish_at=made.estimated_finish_at,
        ),
        held=held,
        error=b.error,
        created_by=b.created_by,
        created_at=b.created_at,
        started_at=b.started_at,
        paused_at=b.paused_at,
        finished_at=b.finished_at,
    )


def _target(data: TargetIn) -> dict[str, Any]:
    return {"segment": data.segment, "exclude": data.exclude, "saved_segment_id": data.saved_segment_id}


async def _estimate(ctx: WorkspaceContext, target: dict[str, Any], delivery: str) -> quota.Estimate:
    audience = await compose.audience_of(ctx, target)
    return await quota.estimate(ctx, await compose.count_recipients(ctx, audience), delivery)


def _scheduled(ctx: WorkspaceContext, at: datetime | None) -> datetime | None:
    if at is None:
        return None
    if at.tzinfo is None:  # a wall-clock time in the workspace's time zone
        at = at.replace(tzinfo=ctx.tz)
    at = at.astimezone(UTC)
    now = utcnow()
    if at <= now:
        raise invalid([SchemaProblem("$.scheduled_at", "過去の日時は指定できません / must be in the future")])
    if at > now + MAX_AHEAD:
        raise invalid([SchemaProblem("$.scheduled_at", "1年以内にしてください / at most a year ahead")])
    return at


def _fingerprint(data: BroadcastIn) -> str:
    body = [data.name, data.messages, _target(data.target), data.scheduled_at, data.allow_partial, data.draft_id]
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _refuse_unless_fits(estimate: quota.Estimate, allow_partial: bool) -> None:
    """409 when a broadcast starting now cannot all go out within LINE's quota and the plan's limit (unless a
    partial send was asked for and some fit)."""
    if estimate.fits or (allow_partial and estimate.sendable > 0):
        return
    reasons = "; ".join(w.message for w in estimate.warnings if w.code not in ("quota_stale", "quota_unknown"))
    raise ApiError(
        409,
        "quota_exceeded",
        f"通数が足りません / not enough messages left: {reasons}",
        [
            {
                "path": "$.allow_partial",
                "message": f"{estimate.sendable:,}人までなら送れます / {estimate.sendable:,} recipients fit; "
                "set allow_partial to send to them",
            }
        ],
    )


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not 1 <= len(value) <= 200 or not value.isprintable():
        raise ApiError(
            400,
            "bad_idempotency_key",
            "Idempotency-Key は1〜200文字 / Idempotency-Key must be 1 to 200 printable characters",
            [{"path": f"header:{IDEMPOTENCY_HEADER}", "message": "1〜200文字 / 1 to 200 characters"}],
        )
    return value


async def _broadcast(db: Any, broadcast_id: int) -> Broadcast:
    found = await db.get(Broadcast, broadcast_id)
    if found is None:
        raise not_found("broadcast")
    return found


class BroadcastController(Controller):
    path = "/broadcasts"
    tags = ("broadcasts",)

    @get("/")
    async def list_broadcasts(
        self,
        ctx: Ctx,
        access: Access,
        status: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[BroadcastOut]:
        """Newest first."""
        query = select(Broadcast)
        if status is not None:
            if status not in BROADCAST_STATUSES:
                raise ApiError(
                    400,
                    "bad_status",
                    "status must be one of " + ", ".join(BROADCAST_STATUSES),
                    [{"path": "query:status", "message": " / ".join(BROADCAST_STATUSES)}],
                )
            query = query.where(Broadcast.status == status)
        rows, cursor = page_of(
            list((await ctx.session.scalars(keyset_by_id(query, Broadcast.id, after, limit, descending=True))).all()),
            limit,
            lambda b: b.id,
        )
        held = access.workspace.quota_exhausted_at is not None
        counts = await progress.counts_of(ctx.session, [b.id for b in rows])
        items = [await broadcast_out(ctx, b, quota_held=held, counts=counts.get(b.id, progress.Counts())) for b in rows]
        return Page(items, cursor)

    @post("/estimate", status_code=200, permission=SEND)
    async def estimate(self, ctx: Ctx, data: JSONBody[EstimateIn]) -> EstimateOut:
        """How many friends it would reach now (one COUNT) and whether that fits LINE's quota and the plan."""
        target = _target(data.target)
        problems = await compose.target_problems(ctx, target)
        if data.messages is not None:
            problems += await compose.message_problems(ctx, data.messages)
        if problems:
            raise invalid(problems)
        delivery = compose.delivery_of(data.messages) if data.messages is not None else "multicast"
        return estimate_out(await _estimate(ctx, target, delivery))

    @post("/", status_code=201, permission=SEND, audit="core.create_broadcast")
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: Ctx,
        access: Access,
        data: JSONBody[BroadcastIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name=IDEMPOTENCY_HEADER)] = None,
    ) -> Response[CreatedOut]:
        """Send now or at ``scheduled_at``. Refused (409) when it cannot all go out within LINE's remaining quota
        or the plan's limit, unless ``allow_partial``; the audience itself is fixed when sending starts."""
        key = _idempotency_key(idempotency_key)
        fingerprint = _fingerprint(data)
        held = access.workspace.quota_exhausted_at is not None
        if key is not None:
            earlier = await engine.by_idempotency_key(ctx, key)
            if earlier is not None:
                return await self._replayed(ctx, earlier, fingerprint, held)
        target = _target(data.target)
        problems = await compose.message_problems(ctx, data.messages)
        problems += await compose.target_problems(ctx, target)
        if problems:
            raise invalid(problems)
        scheduled_at = _scheduled(ctx, data.scheduled_at)
        delivery = compose.delivery_of(data.messages)
        estimate = await _estimate(ctx, target, delivery)
        if estimate.recipients == 0 and scheduled_at is None:
            raise invalid([SchemaProblem("$.target", "配信対象の友だちがいません / no friend matches the target")])
        if scheduled_at is None:
            _refuse_unless_fits(estimate, data.allow_partial)
        draft = await find_draft(ctx, data.draft_id) if data.draft_id is not None else None
        broadcast, new = await engine.create(
            ctx,
            name=data.name,
            messages=data.messages,
            target=target,
            scheduled_at=scheduled_at,
            allow_partial=data.allow_partial,
            estimated_recipients=estimate.recipients,
            idempotency_key=key,
            request_hash=fingerprint,
        )
        if not new:
            return await self._replayed(ctx, broadcast, fingerprint, held)
        if draft is not None:  # written and sent: the draft is done with
            await ctx.session.delete(draft)
        add_details(
            request,
            broadcast_id=broadcast.id,
            name=broadcast.name,
            delivery=broadcast.delivery,
            target=broadcast.target,
            send_at=broadcast.send_at.isoformat(),
            recipients=estimate.recipients,
            draft_id=data.draft_id,
        )
        out = CreatedOut(await broadcast_out(ctx, broadcast, quota_held=held), estimate_out(estimate))
        return Response(out, status_code=201)

    async def _replayed(
        self, ctx: WorkspaceContext, earlier: Broadcast, fingerprint: str, held: bool
    ) -> Response[CreatedOut]:
        if earlier.request_hash != fingerprint:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "この Idempotency-Key は別の内容で使われています / this Idempotency-Key was used for another request",
                [{"path": f"header:{IDEMPOTENCY_HEADER}", "message": "別の内容で使用済み / used for another request"}],
            )
        estimate = await quota.estimate(ctx, earlier.estimated_recipients, earlier.delivery, refresh=False)
        out = CreatedOut(await broadcast_out(ctx, earlier, quota_held=held), estimate_out(estimate))
        return Response(out, status_code=200, headers={"Idempotent-Replayed": "true"})

    @post("/test-send", status_code=202, permission=SEND, audit="core.test_send_broadcast")
    async def test_send(self, request: Request[Any, Any, Any], ctx: Ctx, data: JSONBody[TestSendIn]) -> TestSendOut:
        """The messages, filled in for that friend, to one LINE user: a staff member's own account (a friend) or,
        with the emulator, any simulated user. Queued at once; nothing else is recorded."""
        problems = await compose.message_problems(ctx, data.messages)
        if (data.to.friend_id is None) == (data.to.user_line_id is None):
            problems.append(
                SchemaProblem("$.to", "friend_id か user_line_id のどちらか一方 / give friend_id or user_line_id")
            )
        if problems:
            raise invalid(problems)
        try:
            sent = await engine.send_test(
                ctx, data.messages, friend_id=data.to.friend_id, line_user_id=data.to.user_line_id
            )
        except LookupError:
            raise not_found("friend") from None
        except engine.CannotTest as exc:
            raise invalid(exc.problems) from None
        add_details(request, request_id=sent.request_id, friend_id=sent.friend_id, user_line_id=sent.line_user_id)
        return TestSendOut(sent.request_id, sent.status, sent.line_user_id, sent.friend_id, sent.messages)

    @get("/quota")
    async def quota_state(self, ctx: Ctx) -> QuotaStateOut:
        """LINE's quota as last fetched (a refresh is queued when it is old), and the plan's monthly limit."""
        view = await quota.quota_view(ctx)
        return QuotaStateOut(quota_out(view), plan_out(await quota.plan_view(ctx, view)))

    @post("/quota/refresh", status_code=202, permission=SEND, audit="core.refresh_line_quota")
    async def refresh_quota(self, ctx: Ctx) -> QuotaStateOut:
        """Fetch LINE's quota again now (a job does, right after this answer): after buying messages, changing
        LINE's plan or lifting a hold, the numbers shown until then are forgotten."""
        await quota.forget(ctx.session, ctx.workspace_id)
        view = await quota.quota_view(ctx)
        return QuotaStateOut(quota_out(view), plan_out(await quota.plan_view(ctx, view)))

    @get("/test-recipients")
    async def test_recipients(
        self, request: Request[Any, Any, Any], ctx: Ctx, q: FromQuery[str | None] = None
    ) -> list[TestRecipientOut]:
        """Whom a test send can go to: following friends by name (a staff member's own LINE account is one of
        them) and, with the emulator, the simulated users of the workspace's channel."""
        found = await test_send.recipients(ctx, emulator_of(request.app.state), (q or "").strip()[:100])
        return [TestRecipientOut(r.friend_id, r.line_user_id, r.name, r.simulated) for r in found]

    @post("/{broadcast_id:int}/send-now", status_code=200, permission=SEND, audit="core.send_broadcast_now")
    async def send_now(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, broadcast_id: FromPath[int]
    ) -> BroadcastOut:
        """A scheduled broadcast starts now instead of at its time; refused (409) when it would not fit the quota
        now (unless it was made to send to as many as fit)."""
        broadcast = await _broadcast(ctx.session, broadcast_id)
        if broadcast.status == "scheduled":
            problems = await compose.target_problems(ctx, broadcast.target)
            if problems:
                raise invalid(problems)
            audience = await compose.audience_of(ctx, broadcast.target)
            recipients = await compose.count_recipients(ctx, audience)
            if recipients == 0:
                raise invalid([SchemaProblem("$.target", "配信対象の友だちがいません / no friend matches the target")])
            estimate = await quota.estimate(ctx, recipients, broadcast.delivery, besides=broadcast.id)
            _refuse_unless_fits(estimate, broadcast.allow_partial)
        return await self._change(request, ctx, access, broadcast_id, engine.send_now)

    @get("/{broadcast_id:int}")
    async def show(self, ctx: Ctx, access: Access, broadcast_id: FromPath[int]) -> BroadcastOut:
        """The broadcast with its progress: sent, failed, cancelled, remaining and the estimated finish."""
        broadcast = await _broadcast(ctx.session, broadcast_id)
        return await broadcast_out(ctx, broadcast, quota_held=access.workspace.quota_exhausted_at is not None)

    @get("/{broadcast_id:int}/recipients")
    async def recipients(
        self, ctx: Ctx, broadcast_id: FromPath[int], after: FromQuery[str | None] = None, limit: Limit = 50
    ) -> Page[RecipientOut]:
        """Who it is for, in order, and what became of each (the status of the request that carried them)."""
        broadcast = await _broadcast(ctx.session, broadcast_id)
        check_limit(limit)
        last = 0
        if after is not None:
            last = decode_cursor(after)
            if not isinstance(last, int) or isinstance(last, bool):
                raise ApiError(
                    400, "bad_cursor", "the cursor is not valid", [{"path": "query:after", "message": "bad cursor"}]
                )
        rows = (
            await ctx.session.execute(
                select(BroadcastRecipient.position, BroadcastRecipient.friend_id, Friend.display_name)
                .select_from(BroadcastRecipient)
                .outerjoin(Friend, Friend.id == BroadcastRecipient.friend_id)
                .where(BroadcastRecipient.broadcast_id == broadcast.id, BroadcastRecipient.position > last)
                .order_by(BroadcastRecipient.position)
                .limit(limit + 1)
            )
        ).all()
        page, cursor = rows[:limit], encode_cursor(rows[limit - 1].position) if len(rows) > limit else None
        keys = {r.position: _request_key(broadcast, r.position) for r in page}
        requests = {
            key: (status, error, accepted_at, set(friend_ids))
            for key, status, error, accepted_at, friend_ids in (
                await ctx.session.execute(
                    select(
                        LineRequest.idempotency_key,
                        LineRequest.status,
                        LineRequest.error,
                        LineRequest.accepted_at,
                        LineRequest.friend_ids,
                    ).where(
                        LineRequest.broadcast_id == broadcast.id, LineRequest.idempotency_key.in_(set(keys.values()))
                    )
                )
            ).all()
        }
        items = []
        for r in page:
            carried = requests.get(keys[r.position])
            if carried is not None and r.friend_id not in carried[3]:
                carried = None  # left out of its batch (blocked or deleted by then)
            status, error, sent_at = _recipient_status(broadcast, r.position, carried[:3] if carried else None)
            items.append(RecipientOut(r.position, r.friend_id, r.display_name, status, error, sent_at))
        return Page(items, cursor)

    @post("/{broadcast_id:int}/pause", status_code=200, permission=SEND, audit="core.pause_broadcast")
    async def pause(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, broadcast_id: FromPath[int]
    ) -> BroadcastOut:
        """No further batches are written or sent; those already handed to LINE finish."""
        return await self._change(request, ctx, access, broadcast_id, engine.pause)

    @post("/{broadcast_id:int}/resume", status_code=200, permission=SEND, audit="core.resume_broadcast")
    async def resume(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, broadcast_id: FromPath[int]
    ) -> BroadcastOut:
        return await self._change(request, ctx, access, broadcast_id, engine.resume)

    @post("/{broadcast_id:int}/cancel", status_code=200, permission=SEND, audit="core.cancel_broadcast")
    async def cancel(
        self, request: Request[Any, Any, Any], ctx: Ctx, access: Access, broadcast_id: FromPath[int]
    ) -> BroadcastOut:
        """Stop for good: what is not sent yet is counted cancelled; a scheduled broadcast never starts."""
        return await self._change(request, ctx, access, broadcast_id, engine.cancel)

    async def _change(
        self, request: Request[Any, Any, Any], ctx: WorkspaceContext, access: Any, broadcast_id: int, change: Any
    ) -> BroadcastOut:
        try:
            broadcast = await change(ctx, broadcast_id)
        except LookupError:
            raise not_found("broadcast") from None
        except engine.NotAllowed as exc:
            raise ApiError(
                409,
                "bad_status",
                f"この配信は{exc.status}のため操作できません / a {exc.status} broadcast cannot be {exc.action}",
            ) from None
        add_details(request, broadcast_id=broadcast.id, status=broadcast.status)
        return await broadcast_out(ctx, broadcast, quota_held=access.workspace.quota_exhausted_at is not None)


def _request_key(broadcast: Broadcast, position: int) -> str:
    return progress.request_key(broadcast.id, broadcast.delivery, position)


def _recipient_status(
    broadcast: Broadcast, position: int, request: tuple[str, str | None, datetime | None] | None
) -> tuple[str, str | None, datetime | None]:
    if request is None:
        if position <= broadcast.written:
            return "skipped", "ブロックか削除で送信対象外 / blocked or deleted after the audience was fixed", None
        return ("cancelled", None, None) if broadcast.status == "cancelled" else ("waiting", None, None)
    status, error, accepted_at = request
    if status == "accepted":
        return "sent", None, accepted_at
    if status == "failed":
        return ("cancelled", None, None) if error == progress.CANCELLED else ("failed", error, None)
    if status == "held":
        return "held", error, None
    return "sending", None, None
