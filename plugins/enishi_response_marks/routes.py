"""Workspace API under ``/api/workspaces/{workspace_id}/response_marks``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. A record of another workspace is simply not found: 404.

    GET    /marks                          marks in list order, with friend and message counts
    POST   /marks                          GET/PATCH/DELETE /marks/{mark_id}
                                           (DELETE of a mark in use: ?reassign_to=<mark id> or ?clear=true)
    PUT    /marks/order                    reorder: every mark's id, in the new order
    GET    /auto-rule                      PATCH: the rule applied when a friend sends a message
    GET    /friends?mark_id=&order=        friends carrying a mark (any mark without mark_id), paged
    GET    /friends/{friend_id}            a friend's current mark;  PUT {mark_id | null}; DELETE clears it
    GET    /friends/{friend_id}/history    the friend's mark changes, newest first, paged
    POST   /friends/bulk                   set or clear the mark of many friends at once
    GET    /messages?mark_id=&friend_id=   marked inbound messages, newest first, paged
    GET    /messages/{message_id}          a message's mark;  PUT {mark_id | null}; DELETE clears it
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from enishi import (
    ApiError,
    Ctx,
    Friend,
    Message,
    Page,
    add_details,
    already_taken,
    encode_cursor,
    flush_or_conflict,
    get_or_404,
    invalid,
    missing_ids,
    not_found,
    read_cursor,
    unknown_ids,
)
from enishi_response_marks import service
from enishi_response_marks.models import AutoRule, FriendMark, Mark, MarkChange, MessageMark
from enishi_response_marks.permissions import ASSIGN, MANAGE
from enishi_response_marks.schemas import (
    BulkIn,
    BulkOut,
    DeleteOut,
    FriendMarkOut,
    HistoryOut,
    MarkedFriendOut,
    MarkIdIn,
    MarkIn,
    MarkOut,
    MarkPatch,
    MessageMarkOut,
    MessageSetOut,
    OrderIn,
    RuleOut,
    RulePatch,
    SetOut,
    brief,
    friend_mark_out,
    history_out,
    mark_out,
    message_mark_out,
    rule_out,
)

AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200, description="items per page")]
NO_SUCH_MARK = "対応マークが見つかりません / no such mark in this workspace"


class MarkController(Controller):
    path = "/marks"

    @get("/")
    async def list_marks(self, ctx: Ctx) -> list[MarkOut]:
        return [mark_out(m) for m in await service.marks_with_counts(ctx)]

    @post("/", permission=MANAGE, status_code=201)
    async def create_mark(self, request: AnyRequest, ctx: Ctx, data: JSONBody[MarkIn]) -> MarkOut:
        label = data.label.strip()
        if await service.label_taken(ctx, label, but=None):
            raise label_conflict()
        sort_order = data.sort_order if data.sort_order is not None else await service.next_sort_order(ctx)
        mark = Mark(label=label, color=data.color.lower(), sort_order=sort_order, created_at=ctx.now)
        ctx.session.add(mark)
        await flush_or_conflict(ctx, label_conflict())
        add_details(request, mark=label)
        return mark_out(service.MarkCounts(mark, 0, 0))

    @get("/{mark_id:int}")
    async def show_mark(self, ctx: Ctx, mark_id: FromPath[int]) -> MarkOut:
        found = await service.marks_with_counts(ctx, mark_id=mark_id)
        if not found:
            raise not_found("mark")
        return mark_out(found[0])

    @patch("/{mark_id:int}", permission=MANAGE)
    async def update_mark(
        self, request: AnyRequest, ctx: Ctx, mark_id: FromPath[int], data: JSONBody[MarkPatch]
    ) -> MarkOut:
        mark = await get_or_404(ctx, Mark, mark_id, "mark")
        if not isinstance(data.label, msgspec.UnsetType):
            label = data.label.strip()
            if await service.label_taken(ctx, label, but=mark.id):
                raise label_conflict()
            mark.label = label
        if not isinstance(data.color, msgspec.UnsetType):
            mark.color = data.color.lower()
        if not isinstance(data.sort_order, msgspec.UnsetType):
            mark.sort_order = data.sort_order
        await flush_or_conflict(ctx, label_conflict())
        add_details(request, mark=mark.label, fields=changed_fields(data))
        [counted] = await service.marks_with_counts(ctx, mark_id=mark.id)
        return mark_out(counted)

    @delete("/{mark_id:int}", permission=MANAGE, status_code=200)
    async def delete_mark(
        self,
        request: AnyRequest,
        ctx: Ctx,
        mark_id: FromPath[int],
        reassign_to: Annotated[
            int | None, QueryParameter(ge=1, description="move friends and messages carrying it to this mark")
        ] = None,
        clear: Annotated[bool, QueryParameter(description="take the mark off everyone carrying it")] = False,
    ) -> DeleteOut:
        """A mark nobody carries is simply deleted; one in use needs ``reassign_to`` or ``clear=true``."""
        mark = await get_or_404(ctx, Mark, mark_id, "mark")
        if reassign_to is not None and clear:
            raise invalid([{"path": "query:clear", "message": "reassign_to と clear はどちらか一方 / not both"}])
        replacement = None
        if reassign_to is not None:
            replacement = await ctx.session.get(Mark, reassign_to)
            if replacement is None or replacement.id == mark.id:
                raise invalid([{"path": "query:reassign_to", "message": NO_SUCH_MARK}])
        used = await service.usage(ctx, mark.id)
        if used.used and replacement is None and not clear:
            raise ApiError(
                409,
                "mark_in_use",
                f"この対応マークは使われています(友だち {used.friends} 人、メッセージ {used.messages} 件"
                f"{'、自動設定' if used.rule else ''})。移し先の reassign_to か clear=true を指定してください / "
                f"the mark is in use ({used.friends} friends, {used.messages} messages"
                f"{', the auto rule' if used.rule else ''}): pass reassign_to=<mark id> or clear=true",
                [{"path": "query:reassign_to", "message": "required while the mark is in use"}],
            )
        label = mark.label
        try:
            change = await service.delete_mark(ctx, mark, replacement)
        except IntegrityError:  # marked concurrently, after the moves above
            raise ApiError(409, "mark_in_use", "この対応マークは使われています / the mark is in use") from None
        add_details(
            request,
            mark=label,
            reassigned_to=replacement.label if replacement else None,
            cleared=clear,
            friends_changed=change.friends,
            messages=used.messages,
        )
        return DeleteOut(mark_id, replacement.id if replacement else None, change.friends, change.announced)

    @put("/order", permission=MANAGE)
    async def reorder_marks(self, request: AnyRequest, ctx: Ctx, data: JSONBody[OrderIn]) -> list[MarkOut]:
        """The new order of the mark list: every mark's id exactly once."""
        problems = unknown_ids(data.mark_ids, await missing_ids(ctx, Mark.id, data.mark_ids), "$.mark_ids")
        seen: set[int] = set()
        for n, mark_id in enumerate(data.mark_ids):
            if mark_id in seen:
                problems.append({"path": f"$.mark_ids[{n}]", "message": "重複しています / listed twice"})
            seen.add(mark_id)
        every = set(await ctx.session.scalars(select(Mark.id)))
        left_out = sorted(every - seen)
        if left_out:
            problems.append(
                {
                    "path": "$.mark_ids",
                    "message": f"すべてのマークを並べてください / every mark must be listed; missing: {left_out}",
                }
            )
        if problems:
            raise invalid(problems)
        await service.reorder(ctx, data.mark_ids)
        add_details(request, order=data.mark_ids)
        return [mark_out(m) for m in await service.marks_with_counts(ctx)]


class AutoRuleController(Controller):
    path = "/auto-rule"

    @get("/")
    async def show_rule(self, ctx: Ctx) -> RuleOut:
        rule = await service.rule_of(ctx)
        mark = await ctx.session.get(Mark, rule.mark_id) if rule and rule.mark_id else None
        return rule_out(rule, mark)

    @patch("/", permission=MANAGE)
    async def update_rule(self, request: AnyRequest, ctx: Ctx, data: JSONBody[RulePatch]) -> RuleOut:
        """Change what happens when a friend sends a message; a switched-on rule needs a mark."""
        rule = await service.rule_of(ctx)
        if rule is None:  # the plugin was switched on before rules existed: start from the switched-off default
            rule = AutoRule(enabled=False, mode="if_none", mark_message=False)
            ctx.session.add(rule)
        mark = None
        if not isinstance(data.mark_id, msgspec.UnsetType):
            mark = await ctx.session.get(Mark, data.mark_id)
            if mark is None:
                raise invalid([{"path": "$.mark_id", "message": NO_SUCH_MARK}])
            rule.mark_id = mark.id
        elif rule.mark_id is not None:
            mark = await ctx.session.get(Mark, rule.mark_id)
        if not isinstance(data.enabled, msgspec.UnsetType):
            rule.enabled = data.enabled
        if not isinstance(data.mode, msgspec.UnsetType):
            rule.mode = data.mode
        if not isinstance(data.mark_message, msgspec.UnsetType):
            rule.mark_message = data.mark_message
        if rule.enabled and mark is None:
            raise invalid([{"path": "$.mark_id", "message": "設定するマークを選んでください / choose the mark to set"}])
        rule.updated_at = ctx.now
        await ctx.session.flush()
        add_details(request, fields=changed_fields(data), enabled=rule.enabled, mode=rule.mode)
        return rule_out(rule, mark)


class FriendMarkController(Controller):
    path = "/friends"

    @get("/")
    async def list_marked_friends(
        self,
        ctx: Ctx,
        mark_id: Annotated[int | None, QueryParameter(ge=1, description="only friends with this mark")] = None,
        order: Annotated[
            Literal["newest", "oldest"], QueryParameter(description="by when the mark was set")
        ] = "newest",
        after: Annotated[str | None, QueryParameter(description="the `next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[MarkedFriendOut]:
        """Friends carrying a mark, e.g. the 要対応 queue (``order=oldest``: who has waited longest first)."""
        if mark_id is not None:
            await get_or_404(ctx, Mark, mark_id, "mark")
        query = select(Friend, FriendMark, Mark).join(FriendMark, FriendMark.friend_id == Friend.id)
        query = query.join(Mark, Mark.id == FriendMark.mark_id)
        if mark_id is not None:
            query = query.where(FriendMark.mark_id == mark_id)
        newest = order == "newest"
        if (position := read_cursor(after, (datetime, int))) is not None:
            at, last_id = position
            if newest:
                query = query.where(
                    or_(FriendMark.set_at < at, and_(FriendMark.set_at == at, FriendMark.friend_id < last_id))
                )
            else:
                query = query.where(
                    or_(FriendMark.set_at > at, and_(FriendMark.set_at == at, FriendMark.friend_id > last_id))
                )
        if newest:
            query = query.order_by(FriendMark.set_at.desc(), FriendMark.friend_id.desc())
        else:
            query = query.order_by(FriendMark.set_at, FriendMark.friend_id)
        rows = (await ctx.session.execute(query.limit(limit + 1))).all()
        page = rows[:limit]
        items = [
            MarkedFriendOut(
                f.id, f.display_name, f.picture_url, f.status, brief(m), link.set_at, link.set_by_user_id, link.source
            )
            for f, link, m in page
        ]
        last = page[-1][1] if page else None
        following = encode_cursor([last.set_at.isoformat(), last.friend_id]) if last and len(rows) > limit else None
        return Page(items, following)

    @get("/{friend_id:int}")
    async def show_friend_mark(self, ctx: Ctx, friend_id: FromPath[int]) -> FriendMarkOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        return friend_mark_out(friend_id, (await service.current_marks(ctx, [friend_id])).get(friend_id))

    @put("/{friend_id:int}", permission=ASSIGN)
    async def set_friend_mark(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], data: JSONBody[MarkIdIn]
    ) -> SetOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        label = None
        if data.mark_id is not None:
            label = (await get_or_404(ctx, Mark, data.mark_id, "mark")).label
        change = await service.set_friend_marks(ctx, service.friends_by_id([friend_id]), data.mark_id, source="manual")
        add_details(request, friend_id=friend_id, mark=label, changed=change.friends > 0)
        return SetOut(friend_id, data.mark_id, change.friends > 0)

    @delete("/{friend_id:int}", permission=ASSIGN, status_code=200)
    async def clear_friend_mark(self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int]) -> SetOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        change = await service.set_friend_marks(ctx, service.friends_by_id([friend_id]), None, source="manual")
        add_details(request, friend_id=friend_id, mark=None, changed=change.friends > 0)
        return SetOut(friend_id, None, change.friends > 0)

    @get("/{friend_id:int}/history")
    async def friend_history(
        self,
        ctx: Ctx,
        friend_id: FromPath[int],
        after: Annotated[str | None, QueryParameter(description="the `next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[HistoryOut]:
        await get_or_404(ctx, Friend, friend_id, "friend")
        query = service.history_query(friend_id)
        if (last := read_cursor(after, int)) is not None:
            query = query.where(MarkChange.id < last)
        rows = list(await ctx.session.scalars(query.order_by(MarkChange.id.desc()).limit(limit + 1)))
        page = rows[:limit]
        return Page([history_out(h) for h in page], encode_cursor(page[-1].id) if len(rows) > limit else None)

    @post("/bulk", permission=ASSIGN, status_code=200)
    async def bulk(self, request: AnyRequest, ctx: Ctx, data: JSONBody[BulkIn]) -> BulkOut:
        """Set (or, with ``mark_id: null``, clear) the mark of a list of friends in one go; idempotent."""
        problems = unknown_ids(data.friend_ids, await missing_ids(ctx, Friend.id, data.friend_ids), "$.friend_ids")
        label = None
        if data.mark_id is not None:
            mark = await ctx.session.get(Mark, data.mark_id)
            if mark is None:
                problems.insert(0, {"path": "$.mark_id", "message": NO_SUCH_MARK})
            else:
                label = mark.label
        if problems:
            raise invalid(problems)
        change = await service.set_friend_marks(
            ctx, service.friends_by_id(data.friend_ids), data.mark_id, source="bulk"
        )
        add_details(request, mark=label, friends=len(set(data.friend_ids)), changed=change.friends)
        return BulkOut(data.mark_id, change.friends, change.announced)


class MessageMarkController(Controller):
    path = "/messages"

    @get("/")
    async def list_marked_messages(
        self,
        ctx: Ctx,
        mark_id: Annotated[int | None, QueryParameter(ge=1, description="only messages with this mark")] = None,
        friend_id: Annotated[int | None, QueryParameter(ge=1, description="only this friend's messages")] = None,
        after: Annotated[str | None, QueryParameter(description="the `next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[MessageMarkOut]:
        """Marked messages, newest first: e.g. every message still 要対応, or the marks in one conversation."""
        if mark_id is not None:
            await get_or_404(ctx, Mark, mark_id, "mark")
        if friend_id is not None:
            await get_or_404(ctx, Friend, friend_id, "friend")
        query = (
            select(Message.id, Message.friend_id, Message.kind, Message.text, Message.occurred_at, Mark, MessageMark)
            .join(MessageMark, MessageMark.message_id == Message.id)
            .join(Mark, Mark.id == MessageMark.mark_id)
        )
        if mark_id is not None:
            query = query.where(MessageMark.mark_id == mark_id)
        if friend_id is not None:
            query = query.where(Message.friend_id == friend_id)
        if (last := read_cursor(after, int)) is not None:
            query = query.where(Message.id < last)
        rows = (await ctx.session.execute(query.order_by(Message.id.desc()).limit(limit + 1))).all()
        page = rows[:limit]
        items = [message_mark_out(i, f, k, t, o, (m, link)) for i, f, k, t, o, m, link in page]
        return Page(items, encode_cursor(page[-1][0]) if len(rows) > limit else None)

    @get("/{message_id:int}")
    async def show_message_mark(self, ctx: Ctx, message_id: FromPath[int]) -> MessageMarkOut:
        message = await get_or_404(ctx, Message, message_id, "message")
        row = (
            await ctx.session.execute(
                select(Mark, MessageMark)
                .join(MessageMark, MessageMark.mark_id == Mark.id)
                .where(MessageMark.message_id == message_id)
            )
        ).first()
        found = (row[0], row[1]) if row else None
        m = message
        return message_mark_out(m.id, m.friend_id, m.kind, m.text, m.occurred_at, found)

    @put("/{message_id:int}", permission=ASSIGN)
    async def set_message_mark(
        self, request: AnyRequest, ctx: Ctx, message_id: FromPath[int], data: JSONBody[MarkIdIn]
    ) -> MessageSetOut:
        message = await get_or_404(ctx, Message, message_id, "message")
        if message.direction != "in":
            raise invalid(
                [
                    {
                        "path": "path:message_id",
                        "message": "友だちから届いたメッセージだけに付けられます / only inbound messages can be marked",
                    }
                ]
            )
        label = None
        if data.mark_id is not None:
            label = (await get_or_404(ctx, Mark, data.mark_id, "mark")).label
        changed = await service.set_message_mark(ctx, message_id, data.mark_id)
        add_details(request, message_id=message_id, mark=label, changed=changed)
        return MessageSetOut(message_id, data.mark_id, changed)

    @delete("/{message_id:int}", permission=ASSIGN, status_code=200)
    async def clear_message_mark(self, request: AnyRequest, ctx: Ctx, message_id: FromPath[int]) -> MessageSetOut:
        await get_or_404(ctx, Message, message_id, "message")
        changed = await service.set_message_mark(ctx, message_id, None)
        add_details(request, message_id=message_id, mark=None, changed=changed)
        return MessageSetOut(message_id, None, changed)


def label_conflict() -> ApiError:
    return already_taken("label", "同じ名前の対応マークが既にあります / a mark with this label already exists")


def changed_fields(data: msgspec.Struct) -> list[str]:
    return sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET)
