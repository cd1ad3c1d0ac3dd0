"""Workspace API under ``/api/workspaces/{workspace_id}/messages``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. A record of another workspace is simply not found: 404.

    GET    /templates?q=&after=&limit=   templates (定型文), newest first, by keyset
    POST   /templates                    GET/PATCH/DELETE /templates/{template_id}
    POST   /preview                      messages or a template as a friend would see them; nothing is sent
    POST   /send                         send messages or a template to one friend (reply-first, via the outbox)
    GET    /variables                    the variables messages can use in this workspace
    GET    /taps?friend_id=&after=       taps on buttons that run actions or reply, newest first
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from sqlalchemy import select

from enishi import (
    Access,
    ApiError,
    Ctx,
    Friend,
    Page,
    SchemaProblem,
    WorkspaceContext,
    add_details,
    already_taken,
    encode_cursor,
    flush_or_conflict,
    get_or_404,
    invalid,
    not_found,
    read_cursor,
    require_action_permissions,
    utcnow,
)
from enishi_messages import sending, templates, validation, variables
from enishi_messages.models import MessageTemplate, PostbackButton, PostbackTap
from enishi_messages.permissions import MANAGE_TEMPLATES, PREVIEW, SEND
from enishi_messages.schemas import (
    PreviewIn,
    PreviewOut,
    Problem,
    SendIn,
    SendOut,
    TapOut,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
    VariableOut,
    VariableValue,
    tap_out,
    template_out,
)

AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200)]


class TemplateController(Controller):
    path = "/templates"

    @get("/")
    async def list_templates(
        self,
        ctx: Ctx,
        q: Annotated[str | None, QueryParameter(max_length=100, description="part of the name")] = None,
        after: Annotated[str | None, QueryParameter(description="`next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[TemplateOut]:
        query = select(MessageTemplate).order_by(MessageTemplate.id.desc()).limit(limit + 1)
        if q:
            query = query.where(MessageTemplate.name.contains(q, autoescape=True))
        if (last := read_cursor(after, int)) is not None:
            query = query.where(MessageTemplate.id < last)
        rows = list(await ctx.session.scalars(query))
        page = rows[:limit]
        return Page([template_out(t) for t in page], encode_cursor(page[-1].id) if len(rows) > limit else None)

    @post("/", permission=MANAGE_TEMPLATES, status_code=201)
    async def create_template(
        self, request: AnyRequest, ctx: Ctx, access: Access, data: JSONBody[TemplateIn]
    ) -> TemplateOut:
        name = data.name.strip()
        await _require_valid(ctx, data.messages)
        await require_action_permissions(ctx, access, validation.tap_actions(data.messages))
        if await templates.name_taken(ctx, name):
            raise name_conflict()
        now = utcnow()
        template = MessageTemplate(
            name=name,
            description=data.description,
            messages=data.messages,
            created_at=now,
            updated_at=now,
            created_by_user_id=ctx.actor_user_id,
            updated_by_user_id=ctx.actor_user_id,
        )
        ctx.session.add(template)
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, template=name, messages=len(data.messages))
        return template_out(template)

    @get("/{template_id:int}")
    async def show_template(self, ctx: Ctx, template_id: FromPath[int]) -> TemplateOut:
        return template_out(await require_template(ctx, template_id))

    @patch("/{template_id:int}", permission=MANAGE_TEMPLATES)
    async def update_template(
        self, request: AnyRequest, ctx: Ctx, access: Access, template_id: FromPath[int], data: JSONBody[TemplatePatch]
    ) -> TemplateOut:
        template = await require_template(ctx, template_id)
        if not isinstance(data.messages, msgspec.UnsetType):
            await _require_valid(ctx, data.messages)
            await require_action_permissions(ctx, access, validation.tap_actions(data.messages))
            template.messages = data.messages
        if not isinstance(data.name, msgspec.UnsetType):
            name = data.name.strip()
            if await templates.name_taken(ctx, name, but=template.id):
                raise name_conflict()
            template.name = name
        if not isinstance(data.description, msgspec.UnsetType):
            template.description = data.description
        template.updated_at = utcnow()
        template.updated_by_user_id = ctx.actor_user_id
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, template=template.name, fields=changed_fields(data))
        return template_out(template)

    @delete("/{template_id:int}", permission=MANAGE_TEMPLATES)
    async def delete_template(self, request: AnyRequest, ctx: Ctx, template_id: FromPath[int]) -> None:
        """Scenario steps that send it are refused when next saved, and fail when run (nothing to send)."""
        template = await require_template(ctx, template_id)
        add_details(request, template=template.name)
        await ctx.session.delete(template)


class MessagesController(Controller):
    path = "/"

    @post("/preview", permission=PREVIEW, status_code=200)
    async def preview(self, ctx: Ctx, data: JSONBody[PreviewIn]) -> PreviewOut:
        """The messages with a friend's values in place (or, without a friend, defaults and variable names)."""
        messages = await _messages_of(ctx, data.messages, data.template_id)
        await _require_valid(ctx, messages)
        if data.friend_id is not None:
            await get_or_404(ctx, Friend, data.friend_id, "friend")
            shown, values, warnings = await sending.preview(ctx, data.friend_id, messages, lambda v: "")
        else:
            labels = {a.name: a.label.ja for a in await variables.Catalog(ctx).available()}
            shown, values, warnings = await sending.preview(
                ctx, None, messages, lambda v: f"【{labels.get(v.name, v.name)}】"
            )
        return PreviewOut(
            shown,
            [VariableValue(name, value) for name, value in values.items()],
            [Problem(p.path, p.message) for p in warnings],
        )

    @post("/send", permission=SEND, status_code=202)
    async def send(self, request: AnyRequest, ctx: Ctx, access: Access, data: JSONBody[SendIn]) -> Response[SendOut]:
        """Send to one friend now: free by reply while a fresh reply token exists, else by push."""
        messages = await _messages_of(ctx, data.messages, data.template_id)
        await _require_valid(ctx, messages)
        # The buttons' actions run when the friend taps, so sending them needs what configuring them needs.
        actions = validation.tap_actions(messages)
        if data.template_id is not None:
            actions = [("$.template_id", action) for _, action in actions]
        await require_action_permissions(ctx, access, actions)
        friend = await get_or_404(ctx, Friend, data.friend_id, "friend")
        if friend.status != "following":
            raise ApiError(
                409, "blocked", "この友だちはブロック中のため送信できません / the friend has blocked the account"
            )
        key = f"messages:staff:{ctx.actor_user_id}:{data.idempotency_key or uuid.uuid4()}"
        try:
            sent = await sending.send(
                ctx, friend.id, messages, idempotency_key=key, source="staff", sent_by_user_id=ctx.actor_user_id
            )
        except sending.UnsendableMessages as exc:
            raise invalid(
                exc.problems, "友だちの情報を入れると送れません / the messages cannot be sent with this friend's values"
            ) from exc
        add_details(request, friend_id=friend.id, template_id=data.template_id, messages=len(messages), kind=sent.kind)
        return Response(SendOut(sent.request_id, sent.kind, sent.status, sent.messages), status_code=202)

    @get("/variables")
    async def list_variables(self, ctx: Ctx) -> list[VariableOut]:
        """For the editor's "insert variable" menu; a default goes after a pipe: {{field.nickname|お客様}}."""
        return [
            VariableOut(a.name, f"{{{{{a.name}}}}}", a.label.as_dict(), a.plugin)
            for a in await variables.Catalog(ctx).available()
        ]

    @get("/taps")
    async def list_taps(
        self,
        ctx: Ctx,
        friend_id: Annotated[int | None, QueryParameter(ge=1, description="only this friend's taps")] = None,
        after: Annotated[str | None, QueryParameter(description="`next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[TapOut]:
        query = (
            select(PostbackTap, PostbackButton)
            .join(PostbackButton, PostbackButton.id == PostbackTap.postback_id)
            .order_by(PostbackTap.id.desc())
            .limit(limit + 1)
        )
        if friend_id is not None:
            query = query.where(PostbackTap.friend_id == friend_id)
        if (last := read_cursor(after, int)) is not None:
            query = query.where(PostbackTap.id < last)
        rows = [(t, b) for t, b in await ctx.session.execute(query)]
        page = rows[:limit]
        return Page([tap_out(t, b) for t, b in page], encode_cursor(page[-1][0].id) if len(rows) > limit else None)


async def _messages_of(ctx: WorkspaceContext, messages: list[dict[str, Any]] | None, template_id: int | None) -> Any:
    if (messages is None) == (template_id is None):
        message = "メッセージか定型文のどちらか一方を指定してください / give either messages or template_id"
        raise invalid([{"path": "$.messages", "message": message}])
    if template_id is not None:
        template = await templates.find(ctx, template_id)
        if template is None:
            raise invalid([{"path": "$.template_id", "message": "定型文が見つかりません / no such message template"}])
        return template.messages
    return messages


async def _require_valid(ctx: WorkspaceContext, messages: Any) -> None:
    problems: list[SchemaProblem] = await validation.message_problems(ctx, messages, "$.messages")
    if problems:
        raise invalid(problems)


async def require_template(ctx: WorkspaceContext, template_id: int) -> MessageTemplate:
    template = await templates.find(ctx, template_id)
    if template is None:
        raise not_found("message template")
    return template


def name_conflict() -> ApiError:
    return already_taken("name", "同じ名前の定型文が既にあります / a template with this name already exists")


def changed_fields(data: msgspec.Struct) -> list[str]:
    return sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET)
