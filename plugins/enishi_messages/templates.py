"""Message templates (定型文): saved sets of messages, checked like any message before they are stored."""

from __future__ import annotations

from sqlalchemy import select

from enishi import WorkspaceContext
from enishi_messages.models import MessageTemplate


async def find(ctx: WorkspaceContext, template_id: int) -> MessageTemplate | None:
    # The scoped session does not find another workspace's template, exactly like a missing one.
    return await ctx.session.get(MessageTemplate, template_id)


async def name_taken(ctx: WorkspaceContext, name: str, but: int | None = None) -> bool:
    query = select(MessageTemplate.id).where(MessageTemplate.name == name)
    if but is not None:
        query = query.where(MessageTemplate.id != but)
    return await ctx.session.scalar(query.limit(1)) is not None
