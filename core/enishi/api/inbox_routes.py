"""The chat inbox (1:1トーク): conversations with unread counts, a friend's history, staff replies, read markers.

A staff reply never waits on LINE: it is written to the outbox (reply-first) in the request's transaction and
sent by a job after the response; the sweeper sends it even if that job is lost.

``GET /stream`` tells an open inbox which conversations got new messages (server-sent events). The database is
the source of truth, so any number of web processes can serve streams: each polls one indexed query a second.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import and_, func, select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, decode_cursor, encode_cursor
from enishi.api.params import Access, AppServices, Ctx, CurrentUser, Db
from enishi.api.services import Services
from enishi.audience.segments import check_segment, compile_segment
from enishi.audit import add_details
from enishi.db.engine import dialect_of, upsert_insert
from enishi.line.message_check import check_messages as check_line_messages
from enishi.models import Friend, LineRequest, Message, ReadMarker, User
from enishi.tenancy.access import resolve_access

MAX_MESSAGES = 5
Limit = Annotated[int, Parameter(ge=1, le=200)]

# The stream: how often it looks, how long a connection lives (the browser reconnects, resuming from the last
# event), how often it checks the caller may still see the workspace, and how far back it looks again for
# messages committed late (on PostgreSQL a smaller id can commit after a larger one).
STREAM_POLL_SECONDS = 1.0
STREAM_LIFETIME_SECONDS = 600.0
STREAM_ACCESS_SECONDS = 30.0
STREAM_KEEPALIVE_SECONDS = 15.0
STREAM_LOOKBACK_SECONDS = 10.0
STREAM_BATCH = 1000
STREAM_TIMING_STATE = "inbox_stream_timing"


class FriendBrief(msgspec.Struct):
    id: int
    display_name: str  # the LINE name
    picture_url: str | None
    status: str
    name_override: str | None = None  # 管理用の名前: shown instead of the LINE name when set


class MessageOut(msgspec.Struct):
    id: int
    direction: str
    kind: str
    text: str | None
    body: dict[str, Any]
    source: str
    occurred_at: datetime
    sent_by_user_id: int | None = None
    sent_by_name: str | None = None
    delivery: str | None = None  # outbound only: pending / sending / accepted / failed / held
    delivery_error: str | None = None


class ConversationOut(msgspec.Struct):
    friend: FriendBrief
    last_message: MessageOut
    unread: int


class ReplyIn(msgspec.Struct):
    messages: list[dict[str, Any]]
    # Lets a client retry the same reply safely (e.g. after a network error): the second ask is a no-op.
    idempotency_key: Annotated[str, msgspec.Meta(min_length=8, max_length=100)] | None = None


class ReplyOut(msgspec.Struct):
    request_id: int
    kind: str  # reply (free) or push
    status: str
    messages: list[MessageOut]


class ReadIn(msgspec.Struct):
    last_read_message_id: Annotated[int, msgspec.Meta(ge=0)]


class ConversationUpdate(msgspec.Struct):
    friend_id: int
    last_message_id: int
    new_messages: int
    new_inbound: int


class StreamTiming(msgspec.Struct):
    poll: float = STREAM_POLL_SECONDS
    lifetime: float = STREAM_LIFETIME_SECONDS
    access: float = STREAM_ACCESS_SECONDS
    keepalive: float = STREAM_KEEPALIVE_SECONDS
    lookback: float = STREAM_LOOKBACK_SECONDS


def _event(name: str, cursor: int, updates: list[ConversationUpdate] | None = None) -> ServerSentEventMessage:
    data = msgspec.json.encode({"cursor": cursor, "updates": updates or []}).decode()
    return ServerSentEventMessage(data=data, event=name, id=cursor, retry=1000 if name == "ready" else None)


async def newest_message_id(services: Services, workspace_id: int) -> int:
    async with services.db.session(workspace_id) as session:
        newest = await session.scalar(
            select(Message.id).where(Message.workspace_id == workspace_id).order_by(Message.id.desc()).limit(1)
        )
    return int(newest or 0)


async def inbox_events(
    services: Services, user: User, workspace_id: int, cursor: int, timing: StreamTiming
) -> AsyncIterator[ServerSentEventMessage]:
    """``ready`` once, then a ``conversations`` event whenever messages newer than the cursor appear.

    Each look is one range scan of the messages' primary key from a little before the cursor (so a message whose
    transaction committed late is still found), grouped here; ids already told are not told again.
    """
    yield _event("ready", cursor)
    started = last_sent = last_access = time.monotonic()
    told: set[int] = set()
    # (when, cursor then): the cursor of a few seconds ago is where the next look starts.
    marks: deque[tuple[float, int]] = deque([(started, cursor)])
    while True:
        await asyncio.sleep(timing.poll)
        now = time.monotonic()
        if now - started >= timing.lifetime:
            return
        if now - last_access >= timing.access:
            last_access = now
            async with services.db.session() as session:
                # The user as they are now: deactivated, or no longer a member, ends the stream.
                current = await session.get(User, user.id)
                if current is None or not current.is_active:
                    return
                if await resolve_access(session, services.host, current, workspace_id) is None:
                    return
        while len(marks) > 1 and now - marks[1][0] >= timing.lookback:
            marks.popleft()
        since = marks[0][1]
        async with services.db.session(workspace_id) as session:
            rows = (
                await session.execute(
                    select(Message.id, Message.friend_id, Message.direction)
                    .where(Message.workspace_id == workspace_id, Message.id > since)
                    .order_by(Message.id)
                    .limit(STREAM_BATCH)
                )
            ).all()
        fresh = [r for r in rows if r.id not in told]
        if len(rows) == STREAM_BATCH:  # a flood: no looking back past it
            marks = deque([(now, rows[-1].id)])
            told = {r.id for r in rows}
        if fresh:
            by_friend: dict[int, ConversationUpdate] = {}
            for r in fresh:
                u = by_friend.setdefault(r.friend_id, ConversationUpdate(r.friend_id, r.id, 0, 0))
                u.last_message_id = max(u.last_message_id, r.id)
                u.new_messages += 1
                u.new_inbound += r.direction == "in"
            told.update(r.id for r in fresh)
            cursor = max(cursor, fresh[-1].id)
            marks.append((now, cursor))
            told = {i for i in told if i > marks[0][1]}
            last_sent = now
            yield _event("conversations", cursor, sorted(by_friend.values(), key=lambda u: -u.last_message_id))
        elif now - last_sent >= timing.keepalive:
            last_sent = now
            yield ServerSentEventMessage(data=None, comment="keepalive")


def _cursor_of(last_event_id: str | None, after: int | None) -> int | None:
    # The browser resends the id of the last event it saw when it reconnects: that wins over ?after.
    if last_event_id is not None and last_event_id.strip():
        if not re.fullmatch(r"[0-9]{1,18}", last_event_id.strip()):
            raise invalid([{"path": "header:Last-Event-ID", "message": "a message id / メッセージID"}])
        return int(last_event_id)
    return after


def _segment_of(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise invalid([{"path": "query:segment", "message": "JSON にしてください / must be JSON"}]) from None


def message_out(m: Message, sender: User | None = None, request: LineRequest | None = None) -> MessageOut:
    return MessageOut(
        id=m.id,
        direction=m.direction,
        kind=m.kind,
        text=m.text,
        body=m.body,
        source=m.source,
        occurred_at=m.occurred_at,
        sent_by_user_id=m.sent_by_user_id,
        sent_by_name=sender.display_name if sender else None,
        delivery=request.status if request else None,
        delivery_error=request.error if request else None,
    )


def check_messages(messages: list[dict[str, Any]]) -> None:
    """Refuse what LINE would refuse, every problem with its path, before anything is stored."""
    problems: list[Any] = []
    if not 1 <= len(messages) <= MAX_MESSAGES:
        problems.append(
            {"path": "$.messages", "message": f"1〜{MAX_MESSAGES}件のメッセージを送れます / send 1 to 5 messages"}
        )
    problems += check_line_messages(messages[:MAX_MESSAGES])
    if problems:
        raise invalid(problems)


class InboxController(Controller):
    path = "/inbox"
    tags = ("inbox",)

    @get("/conversations")
    async def list_conversations(
        self,
        db: Db,
        ctx: Ctx,
        user: CurrentUser,
        unread_only: FromQuery[bool] = False,
        segment: Annotated[
            str | None,
            QueryParameter(
                description="a segment (JSON) the friends must be in, e.g. a response mark or an assignee condition",
            ),
        ] = None,
        after: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[ConversationOut]:
        """Friends with messages, newest conversation first, with this staff member's unread count."""
        wanted = _segment_of(segment)
        if wanted is not None:
            problems = await check_segment(ctx, wanted, "query:segment")
            if problems:
                raise invalid(problems)
        last = select(Message.friend_id, func.max(Message.id).label("last_id")).group_by(Message.friend_id).subquery()
        read_up_to = (
            select(ReadMarker.last_read_message_id)
            .where(ReadMarker.user_id == user.id, ReadMarker.friend_id == Friend.id)
            .correlate(Friend)
            .scalar_subquery()
        )
        unread = (
            select(func.count())
            .where(
                Message.friend_id == Friend.id,
                Message.direction == "in",
                Message.id > func.coalesce(read_up_to, 0),
            )
            .correlate(Friend)
            .scalar_subquery()
        )
        query = (
            select(Friend, last.c.last_id, unread.label("unread"))
            .join(last, last.c.friend_id == Friend.id)
            .order_by(last.c.last_id.desc())
            .limit(limit + 1)
        )
        if unread_only:
            query = query.where(unread > 0)
        if wanted is not None:
            query = query.where(compile_segment(ctx, wanted))
        if after is not None:
            cursor = decode_cursor(after)
            if not isinstance(cursor, int):
                raise ApiError(400, "bad_cursor", "the cursor is not valid")
            query = query.where(last.c.last_id < cursor)
        rows = (await db.execute(query)).all()
        page = rows[:limit]
        messages = {m.id: m for m in await db.scalars(select(Message).where(Message.id.in_([r[1] for r in page])))}
        items = [
            ConversationOut(
                friend=FriendBrief(f.id, f.display_name, f.picture_url, f.status, f.name_override),
                last_message=message_out(messages[last_id]),
                unread=int(count),
            )
            for f, last_id, count in page
        ]
        return Page(items, encode_cursor(page[-1][1]) if len(rows) > limit else None)

    @get("/stream", media_type="text/event-stream")
    async def stream(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        access: Access,
        user: CurrentUser,
        after: Annotated[int | None, QueryParameter(ge=0, le=2**63 - 1)] = None,
        last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
    ) -> ServerSentEvent:
        """Server-sent events: ``ready`` with the cursor, then ``conversations`` (which friends got messages) as
        they arrive. Starts after ``after`` (or Last-Event-ID), else at the newest message; ends after a while
        (the browser reconnects) or once the caller may no longer see the workspace."""
        cursor = _cursor_of(last_event_id, after)
        if cursor is None:
            cursor = await newest_message_id(services, access.workspace_id)
        # Tests shorten the timing through the app's state.
        timing = request.app.state.get(STREAM_TIMING_STATE)
        if not isinstance(timing, StreamTiming):
            timing = StreamTiming()
        return ServerSentEvent(
            inbox_events(services, user, access.workspace_id, cursor, timing),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @get("/friends/{friend_id:int}/messages")
    async def list_messages(
        self, db: Db, friend_id: FromPath[int], before: FromQuery[str | None] = None, limit: Limit = 50
    ) -> Page[MessageOut]:
        """One friend's conversation, newest first; pass ``next`` as ``before`` for older messages."""
        if await db.get(Friend, friend_id) is None:
            raise not_found("friend")
        query = (
            select(Message, User, LineRequest)
            .outerjoin(User, User.id == Message.sent_by_user_id)
            .outerjoin(LineRequest, LineRequest.id == Message.request_id)
            .where(Message.friend_id == friend_id)
            .order_by(Message.id.desc())
            .limit(limit + 1)
        )
        if before is not None:
            cursor = decode_cursor(before)
            if not isinstance(cursor, int):
                raise ApiError(400, "bad_cursor", "the cursor is not valid")
            query = query.where(Message.id < cursor)
        rows = (await db.execute(query)).all()
        page = rows[:limit]
        return Page(
            [message_out(m, u, r) for m, u, r in page], encode_cursor(page[-1][0].id) if len(rows) > limit else None
        )

    @post("/friends/{friend_id:int}/messages", status_code=202, permission="core.write")
    async def reply(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        user: CurrentUser,
        services: AppServices,
        friend_id: FromPath[int],
        data: JSONBody[ReplyIn],
    ) -> Response[ReplyOut]:
        """Send messages to the friend: free by reply while a fresh reply token exists, else by push."""
        from enishi.line.outbox import send_to_friend

        check_messages(data.messages)
        friend = await db.get(Friend, friend_id)
        if friend is None:
            raise not_found("friend")
        if friend.status != "following":
            raise ApiError(
                409, "blocked", "この友だちはブロック中のため送信できません / the friend has blocked the account"
            )
        key = f"staff:{user.id}:{data.idempotency_key or uuid.uuid4()}"
        # Written now, sent by a job once this transaction commits (nothing here waits on LINE).
        line_request = await send_to_friend(
            db,
            friend.workspace_id,
            friend.id,
            data.messages,
            idempotency_key=key,
            source="staff",
            sent_by_user_id=user.id,
            jobs=services.jobs,
        )
        sent = list(await db.scalars(select(Message).where(Message.request_id == line_request.id).order_by(Message.id)))
        add_details(request, friend_id=friend.id, messages=len(data.messages), kind=line_request.kind)
        body = ReplyOut(
            line_request.id, line_request.kind, line_request.status, [message_out(m, user, line_request) for m in sent]
        )
        return Response(body, status_code=202)

    @get("/messages/{message_id:int}/content", media_type="application/octet-stream")
    async def message_content(self, db: Db, services: AppServices, message_id: FromPath[int]) -> Response[Any]:
        """The image, video, audio or file of a message: 202 while it is being fetched from LINE, then the bytes."""
        from enishi.line import media

        message = await db.get(Message, message_id)
        if message is None or message.kind not in media.MEDIA_KINDS:
            raise not_found("media message")
        provider = message.body.get("contentProvider") or {}
        if provider.get("type") == "external":
            # Never a redirect of ours to a URL a friend's client chose: the console links it itself.
            raise ApiError(
                409,
                "external_content",
                "このコンテンツは外部にあります / the content is hosted elsewhere (body.contentProvider)",
            )
        meta = media.stored(services.settings, message.workspace_id, message.id)
        if meta is None:
            await media.want_content(services.db, services.jobs, message)
            return Response(
                {"status": "fetching"}, status_code=202, headers={"Retry-After": "1"}, media_type="application/json"
            )
        if "error" in meta:
            raise ApiError(413, "too_large", f"the content is {meta['size']} bytes, over the limit of {meta['limit']}")
        path = media.content_path(services.settings, message.workspace_id, message.id)
        return media.content_file(path, meta["content_type"], message.body.get("fileName"))

    @put("/friends/{friend_id:int}/read", status_code=200)
    async def mark_read(
        self, db: Db, user: CurrentUser, friend_id: FromPath[int], data: JSONBody[ReadIn]
    ) -> dict[str, int]:
        """Move this staff member's read marker forward (never back)."""
        friend = await db.get(Friend, friend_id)
        if friend is None:
            raise not_found("friend")
        newest = await db.scalar(select(func.max(Message.id)).where(Message.friend_id == friend_id)) or 0
        if data.last_read_message_id > newest:
            raise invalid([{"path": "$.last_read_message_id", "message": "no such message in this conversation"}])
        stmt = upsert_insert(db, ReadMarker).values(
            workspace_id=friend.workspace_id,
            user_id=user.id,
            friend_id=friend_id,
            last_read_message_id=data.last_read_message_id,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["workspace_id", "user_id", "friend_id"],
            # Never backwards: two tabs marking different points keep the furthest.
            set_={
                "last_read_message_id": (func.greatest if dialect_of(db) == "postgresql" else func.max)(
                    ReadMarker.last_read_message_id, stmt.excluded.last_read_message_id
                )
            },
        )
        await db.execute(stmt)
        marker = await db.scalar(
            select(ReadMarker.last_read_message_id).where(
                and_(ReadMarker.user_id == user.id, ReadMarker.friend_id == friend_id)
            )
        )
        return {"last_read_message_id": int(marker or 0)}
