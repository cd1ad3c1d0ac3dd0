"""Workspace API under ``/api/workspaces/{workspace_id}/notes``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. Every staff member may read notes; ``notes.write`` adds notes,
pins them and edits or deletes one's own; ``notes.moderate`` (admins) edits, deletes and restores anyone's.

    GET    /friends/{friend_id}?after=&limit=   a friend's notes, pinned first, then newest first
    POST   /friends/{friend_id}                 add a note
    GET    /search?q=&after=&limit=             notes containing q across the workspace: friend ids + snippets
    GET    /{note_id}                           PATCH (body, pinned) · DELETE (kept in history)
    POST   /{note_id}/restore                   undo a deletion (admins)
    GET    /{note_id}/history?after=&limit=     every change, oldest first
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from enishi import Access, ApiError, Ctx, Friend, WorkspaceContext, add_details, get_or_404, not_found, utcnow
from enishi_notes import service
from enishi_notes.models import Note
from enishi_notes.permissions import MODERATE, WRITE
from enishi_notes.schemas import (
    NoteIn,
    NoteOut,
    NotePage,
    NotePatch,
    RevisionPage,
    SearchPage,
    note_out,
    revision_out,
    search_hit,
)

AnyRequest = Request[Any, Any, Any]
After = Annotated[str | None, QueryParameter(max_length=200, description="the `next` of the previous page")]
Limit = Annotated[int, QueryParameter(description="1–200")]


class FriendNotesController(Controller):
    path = "/friends/{friend_id:int}"

    @get("/")
    async def list_notes(
        self, ctx: Ctx, access: Access, friend_id: FromPath[int], after: After = None, limit: Limit = 50
    ) -> NotePage:
        await get_or_404(ctx, Friend, friend_id, "friend")
        moderator = MODERATE in access.permissions
        notes, following = await service.friend_page(ctx, friend_id, after, limit, with_deleted=False)
        return NotePage(await outs(ctx, notes, ctx.actor_user_id, moderator), following)

    @post("/", permission=WRITE, status_code=201)
    async def add_note(
        self, request: AnyRequest, ctx: Ctx, access: Access, friend_id: FromPath[int], data: JSONBody[NoteIn]
    ) -> NoteOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        body = checked_body(data.body)
        note = service.new_note(
            friend_id, body, author=ctx.actor_user_id, source="manual", pinned=data.pinned, now=utcnow()
        )
        ctx.session.add(note)
        await ctx.session.flush()
        add_details(request, note_id=note.id, friend_id=friend_id)
        return note_out(note, 0, True)


class NoteController(Controller):
    path = "/"

    @get("/search")
    async def search_notes(
        self,
        ctx: Ctx,
        q: Annotated[str, QueryParameter(min_length=1, max_length=100, description="text to find")],
        after: After = None,
        limit: Limit = 50,
    ) -> SearchPage:
        """Case-insensitive (and full/half-width-insensitive) substring search over live notes, newest first."""
        query = q.strip()
        if not query:
            raise ApiError(
                400,
                "invalid",
                "検索語を入力してください / enter a search text",
                [{"path": "query:q", "message": "blank"}],
            )
        notes, following = await service.search(ctx, query, after, limit)
        return SearchPage([search_hit(n, query) for n in notes], following)

    @get("/{note_id:int}")
    async def show_note(self, ctx: Ctx, access: Access, note_id: FromPath[int]) -> NoteOut:
        moderator = MODERATE in access.permissions
        note = await require_note(ctx, note_id, deleted_too=moderator)
        [out] = await outs(ctx, [note], ctx.actor_user_id, moderator)
        return out

    @patch("/{note_id:int}", permission=WRITE)
    async def update_note(
        self, request: AnyRequest, ctx: Ctx, access: Access, note_id: FromPath[int], data: JSONBody[NotePatch]
    ) -> NoteOut:
        """Editing the text is for its author or an admin (the previous text goes to the history); any writer
        may pin or unpin."""
        moderator = MODERATE in access.permissions
        note = await require_note(ctx, note_id, deleted_too=False)
        now = utcnow()
        edited = False
        if not isinstance(data.body, msgspec.UnsetType):
            require_editor(note, ctx.actor_user_id, moderator)
            revision = service.edit(note, checked_body(data.body), ctx.actor_user_id, now)
            if revision is not None:
                ctx.session.add(revision)
                edited = True
        if not isinstance(data.pinned, msgspec.UnsetType):
            service.pin(note, data.pinned, now)
        await ctx.session.flush()
        add_details(request, note_id=note.id, edited=edited, pinned=note.pinned)
        [out] = await outs(ctx, [note], ctx.actor_user_id, moderator)
        return out

    @delete("/{note_id:int}", permission=WRITE)
    async def delete_note(self, request: AnyRequest, ctx: Ctx, access: Access, note_id: FromPath[int]) -> None:
        """Marks the note deleted: it leaves lists, search and conditions but stays in its history."""
        note = await require_note(ctx, note_id, deleted_too=False)
        require_editor(note, ctx.actor_user_id, MODERATE in access.permissions)
        ctx.session.add(service.delete(note, ctx.actor_user_id, utcnow()))
        add_details(request, note_id=note.id, friend_id=note.friend_id)

    @post("/{note_id:int}/restore", permission=MODERATE, status_code=200)
    async def restore_note(self, request: AnyRequest, ctx: Ctx, note_id: FromPath[int]) -> NoteOut:
        note = await require_note(ctx, note_id, deleted_too=True)
        if note.deleted_at is None:
            raise ApiError(409, "not_deleted", "このメモは削除されていません / the note is not deleted")
        ctx.session.add(service.restore(note, ctx.actor_user_id, utcnow()))
        await ctx.session.flush()
        add_details(request, note_id=note.id)
        [out] = await outs(ctx, [note], ctx.actor_user_id, True)
        return out

    @get("/{note_id:int}/history")
    async def note_history(
        self, ctx: Ctx, access: Access, note_id: FromPath[int], after: After = None, limit: Limit = 50
    ) -> RevisionPage:
        await require_note(ctx, note_id, deleted_too=MODERATE in access.permissions)
        revisions, following = await service.history(ctx, note_id, after, limit)
        return RevisionPage([revision_out(r) for r in revisions], following)


async def outs(ctx: WorkspaceContext, notes: list[Note], user_id: int | None, moderator: bool) -> list[NoteOut]:
    edits = await service.edit_counts(ctx, [n.id for n in notes])
    return [note_out(n, edits.get(n.id, 0), may_edit(n, user_id, moderator)) for n in notes]


def may_edit(note: Note, user_id: int | None, moderator: bool) -> bool:
    return moderator or (note.author_user_id is not None and note.author_user_id == user_id)


def require_editor(note: Note, user_id: int | None, moderator: bool) -> None:
    if not may_edit(note, user_id, moderator):
        raise ApiError(
            403,
            "forbidden",
            "他のスタッフのメモは変更・削除できません / only its author or an admin may change this note",
        )


def checked_body(body: str) -> str:
    trimmed = body.strip()
    if len(trimmed) > service.BODY_MAX:
        raise ApiError(
            400,
            "invalid",
            f"メモは{service.BODY_MAX}文字までです / a note is at most {service.BODY_MAX} characters",
            [{"path": "$.body", "message": f"{len(trimmed)} characters"}],
        )
    return trimmed


async def require_note(ctx: WorkspaceContext, note_id: int, *, deleted_too: bool) -> Note:
    note = await ctx.session.get(Note, note_id)
    if note is None or (note.deleted_at is not None and not deleted_too):
        raise not_found("note")
    return note
