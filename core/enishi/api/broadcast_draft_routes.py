"""Broadcast drafts under ``/api/workspaces/{workspace_id}/broadcasts/drafts`` (下書き).

    GET    /                 drafts, last changed first
    POST   /                 save a new draft
    GET    /{id}             one draft
    PUT    /{id}             save it again
    DELETE /{id}             throw it away

A draft is kept as typed, unfinished messages and all: what it holds is checked when it is sent, by
``POST /broadcasts`` with ``draft_id`` (which removes the draft in the same transaction). Its shape is checked when
it is saved (1 to 5 message objects at most, a target object), so that nothing stored is unreadable.
Reading needs membership of the workspace; saving and deleting need ``core.broadcast``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from enishi.api.errors import invalid, not_found
from enishi.api.params import Ctx
from enishi.audit import add_details
from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.delivery import compose
from enishi.line.channels import MAX_MESSAGES
from enishi.models.broadcasts import BroadcastDraft
from enishi.schema_validation import SchemaProblem

SEND = "core.broadcast"
MAX_DRAFTS_LISTED = 200
DraftName = Annotated[str, msgspec.Meta(max_length=200)]


class DraftIn(msgspec.Struct, forbid_unknown_fields=True):
    name: DraftName = ""
    messages: Any = msgspec.field(default_factory=list)  # 0 to 5 message objects, finished or not
    target: Any = msgspec.field(default_factory=dict)  # as POST /broadcasts takes it
    scheduled_at: datetime | None = None  # without a time zone: the workspace's
    allow_partial: bool = False


class DraftOut(msgspec.Struct):
    id: int
    name: str
    messages: list[dict[str, Any]]
    target: dict[str, Any]
    scheduled_at: datetime | None
    scheduled_at_local: str | None  # in the workspace's time zone, as the composer's time field shows it
    allow_partial: bool
    created_by: int | None
    created_at: datetime
    updated_at: datetime


def draft_out(ctx: WorkspaceContext, d: BroadcastDraft) -> DraftOut:
    at = d.scheduled_at
    local = at.astimezone(ctx.tz).replace(tzinfo=None).isoformat(timespec="minutes") if at is not None else None
    return DraftOut(
        id=d.id,
        name=d.name,
        messages=d.messages,
        target=d.target,
        scheduled_at=at,
        scheduled_at_local=local,
        allow_partial=d.allow_partial,
        created_by=d.created_by,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


def _shape_problems(data: DraftIn) -> list[SchemaProblem]:
    """What would make the draft unreadable later; what it says is checked when it is sent."""
    problems = []
    messages = data.messages
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        problems.append(SchemaProblem("$.messages", "メッセージの配列が必要です / must be an array of messages"))
    elif len(messages) > MAX_MESSAGES:
        problems.append(
            SchemaProblem("$.messages", f"メッセージは{MAX_MESSAGES}件までです / at most {MAX_MESSAGES} messages")
        )
    elif compose.too_deep(messages):
        problems.append(SchemaProblem("$.messages", "入れ子が深すぎます / nested too deeply"))
    if not isinstance(data.target, dict):
        problems.append(SchemaProblem("$.target", "オブジェクトが必要です / must be an object"))
    elif compose.too_deep(data.target):
        problems.append(SchemaProblem("$.target", "入れ子が深すぎます / nested too deeply"))
    else:
        problems += [
            SchemaProblem(f"$.target.{key}", "不明な項目です / unknown field")
            for key in sorted(set(data.target) - {"segment", "exclude", "saved_segment_id"})
        ]
    return problems


def _apply(ctx: WorkspaceContext, draft: BroadcastDraft, data: DraftIn) -> None:
    problems = _shape_problems(data)
    if problems:
        raise invalid(problems)
    at = data.scheduled_at
    if at is not None and at.tzinfo is None:  # a wall-clock time in the workspace's time zone
        at = at.replace(tzinfo=ctx.tz)
    draft.name = data.name.strip()
    draft.messages = list(data.messages)
    draft.target = compose.normalised(data.target)
    draft.scheduled_at = at.astimezone(UTC) if at is not None else None
    draft.allow_partial = data.allow_partial
    draft.updated_at = utcnow()


async def find_draft(ctx: WorkspaceContext, draft_id: int) -> BroadcastDraft:
    # The scoped session does not find another workspace's draft, exactly like a missing one.
    found = await ctx.session.get(BroadcastDraft, draft_id)
    if found is None:
        raise not_found("draft")
    return found


class BroadcastDraftController(Controller):
    path = "/broadcasts/drafts"
    tags = ("broadcasts",)

    @get("/")
    async def list_drafts(self, ctx: Ctx) -> list[DraftOut]:
        """The workspace's drafts, the one changed last first."""
        rows = await ctx.session.scalars(
            select(BroadcastDraft)
            .order_by(BroadcastDraft.updated_at.desc(), BroadcastDraft.id.desc())
            .limit(MAX_DRAFTS_LISTED)
        )
        return [draft_out(ctx, d) for d in rows]

    @post("/", status_code=201, permission=SEND, audit="core.save_broadcast_draft")
    async def create_draft(self, request: Request[Any, Any, Any], ctx: Ctx, data: JSONBody[DraftIn]) -> DraftOut:
        """Save a broadcast without sending it."""
        now = utcnow()
        draft = BroadcastDraft(
            workspace_id=ctx.workspace_id, created_by=ctx.actor_user_id, created_at=now, messages=[], target={}
        )
        _apply(ctx, draft, data)
        ctx.session.add(draft)
        await ctx.session.flush()
        add_details(request, draft_id=draft.id, name=draft.name)
        return draft_out(ctx, draft)

    @get("/{draft_id:int}")
    async def show_draft(self, ctx: Ctx, draft_id: FromPath[int]) -> DraftOut:
        return draft_out(ctx, await find_draft(ctx, draft_id))

    @put("/{draft_id:int}", permission=SEND, audit="core.save_broadcast_draft")
    async def update_draft(
        self, request: Request[Any, Any, Any], ctx: Ctx, draft_id: FromPath[int], data: JSONBody[DraftIn]
    ) -> DraftOut:
        draft = await find_draft(ctx, draft_id)
        _apply(ctx, draft, data)
        await ctx.session.flush()
        add_details(request, draft_id=draft.id, name=draft.name)
        return draft_out(ctx, draft)

    @delete("/{draft_id:int}", status_code=204, permission=SEND, audit="core.delete_broadcast_draft")
    async def delete_draft(self, request: Request[Any, Any, Any], ctx: Ctx, draft_id: FromPath[int]) -> None:
        draft = await find_draft(ctx, draft_id)
        add_details(request, draft_id=draft.id, name=draft.name)
        await ctx.session.delete(draft)
