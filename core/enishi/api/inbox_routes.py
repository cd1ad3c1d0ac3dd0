"""The chat inbox (1:1トーク): conversations with unread counts, a friend's history, staff replies, read markers.

A staff reply never waits on LINE: it is written to the outbox (reply-first) in the request's transaction and
sent by a job after the response; the sweeper sends it even if that job is lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import File, Redirect
from sqlalchemy import and_, func, select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, decode_cursor, encode_cursor
from enishi.api.params import AppServices, CurrentUser, Db
from enishi.audit import add_details
from enishi.db.engine import dialect_of, upsert_insert
from enishi.line.message_check import check_messages as check_line_messages
from enishi.models import Friend, LineRequest, Message, ReadMarker, User

MAX_MESSAGES = 5
Limit = Annotated[int, Parameter(ge=1, le=200)]


class FriendBrief(msgspec.Struct):
    id: int
    display_name: str
    picture_url: str | None
    status: str


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
        user: CurrentUser,
        unread_only: FromQuery[bool] = False,
        after: FromQuery[str | None] = None,
        limit: Limit = 50,
    ) -> Page[ConversationOut]:
        """Friends with messages, newest conversation first, with this staff member's unread count."""
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
                friend=FriendBrief(f.id, f.display_name, f.picture_url, f.status),
                last_message=message_out(messages[last_id]),
                unread=int(count),
            )
            for f, last_id, count in page
        ]
        return Page(items, encode_cursor(page[-1][1]) if len(rows) > limit else None)

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
        if provider.get("type") == "external" and provider.get("originalContentUrl"):
            return Redirect(provider["originalContentUrl"])
        meta = media.stored(services.settings, message.workspace_id, message.id)
        if meta is None:
            await services.jobs.enqueue(
                media.FETCH_CONTENT_JOB,
                job_id=f"content:{message.id}",
                workspace_id=message.workspace_id,
                message_id=message.id,
            )
            return Response(
                {"status": "fetching"}, status_code=202, headers={"Retry-After": "1"}, media_type="application/json"
            )
        if "error" in meta:
            raise ApiError(413, "too_large", f"the content is {meta['size']} bytes, over the limit of {meta['limit']}")
        path = media.content_path(services.settings, message.workspace_id, message.id)
        return File(path=path, media_type=meta["content_type"], content_disposition_type="inline")

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
