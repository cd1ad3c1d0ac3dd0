"""Notes: writing, editing with history, soft deletion, keyset pages and search, in SQL that runs the same on
SQLite and PostgreSQL. ``ctx.session`` is scoped to the workspace, so every ORM query sees only its rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from enishi import ApiError, WorkspaceContext, encode_cursor, read_cursor, upsert_insert
from enishi_notes.models import Note, NoteRevision
from enishi_notes.text import fold

MAX_LIMIT = 200
BODY_MAX = 5000


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400, "bad_limit", f"limit must be 1–{MAX_LIMIT}", [{"path": "query:limit", "message": f"1–{MAX_LIMIT}"}]
        )
    return limit


# --- writing -----------------------------------------------------------------------------------------------


def new_note(friend_id: int, body: str, *, author: int | None, source: str, pinned: bool, now: datetime) -> Note:
    body = body[:BODY_MAX]
    return Note(
        friend_id=friend_id,
        body=body,
        body_folded=fold(body),
        author_user_id=author,
        source=source,
        pinned=pinned,
        pinned_at=now if pinned else None,
        created_at=now,
        updated_at=now,
    )


async def add_once(ctx: WorkspaceContext, note: Note, idempotency_key: str) -> tuple[int, bool]:
    """Insert ``note`` unless a note with this idempotency key exists (a retried step); (note id, created)."""
    values = {
        "workspace_id": ctx.workspace_id,
        "friend_id": note.friend_id,
        "body": note.body,
        "body_folded": note.body_folded,
        "author_user_id": note.author_user_id,
        "source": note.source,
        "pinned": note.pinned,
        "pinned_at": note.pinned_at,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "idempotency_key": idempotency_key,
    }
    stmt = upsert_insert(ctx.session, Note).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"]).returning(Note.id)
    created = await ctx.session.scalar(stmt)
    if created is not None:
        return int(created), True
    existing = await ctx.session.scalar(select(Note.id).where(Note.idempotency_key == idempotency_key))
    assert existing is not None
    return int(existing), False


def edit(note: Note, body: str, editor: int | None, now: datetime) -> NoteRevision | None:
    """Change the body, keeping the previous one in a revision; None when the body is unchanged."""
    if body == note.body:
        return None
    revision = NoteRevision(note_id=note.id, kind="edited", body=note.body, editor_user_id=editor, at=now)
    note.body, note.body_folded, note.updated_at = body, fold(body), now
    return revision


def delete(note: Note, user: int | None, now: datetime) -> NoteRevision:
    note.deleted_at, note.deleted_by_user_id = now, user
    note.pinned, note.pinned_at = False, None
    return NoteRevision(note_id=note.id, kind="deleted", body=note.body, editor_user_id=user, at=now)


def restore(note: Note, user: int | None, now: datetime) -> NoteRevision:
    note.deleted_at, note.deleted_by_user_id = None, None
    return NoteRevision(note_id=note.id, kind="restored", body=note.body, editor_user_id=user, at=now)


def pin(note: Note, pinned: bool, now: datetime) -> None:
    if note.pinned != pinned:
        note.pinned, note.pinned_at = pinned, now if pinned else None


# --- reading -----------------------------------------------------------------------------------------------


async def friend_page(
    ctx: WorkspaceContext, friend_id: int, after: str | None, limit: int, *, with_deleted: bool
) -> tuple[list[Note], str | None]:
    """A friend's notes, pinned first, then newest first; keyset on (pinned, id)."""
    check_limit(limit)
    query = select(Note).where(Note.friend_id == friend_id)
    if not with_deleted:
        query = query.where(Note.deleted_at.is_(None))
    last = read_cursor(after, (bool, int))
    if last is not None:
        pinned, note_id = last
        query = query.where(
            or_(Note.pinned < pinned, and_(Note.pinned == pinned, Note.id < note_id))
            if pinned
            else and_(Note.pinned.is_(False), Note.id < note_id)
        )
    rows = list(await ctx.session.scalars(query.order_by(Note.pinned.desc(), Note.id.desc()).limit(limit + 1)))
    return _page(rows, limit, lambda n: [int(n.pinned), n.id])


async def search(ctx: WorkspaceContext, q: str, after: str | None, limit: int) -> tuple[list[Note], str | None]:
    """Notes whose text contains ``q`` (ignoring case and full/half width), newest first; keyset on id."""
    check_limit(limit)
    query = select(Note).where(Note.deleted_at.is_(None), Note.body_folded.contains(fold(q), autoescape=True))
    last = read_cursor(after, (int,))
    if last is not None:
        query = query.where(Note.id < last[0])
    rows = list(await ctx.session.scalars(query.order_by(Note.id.desc()).limit(limit + 1)))
    return _page(rows, limit, lambda n: [n.id])


async def history(ctx: WorkspaceContext, note_id: int, after: str | None, limit: int) -> tuple[list[Any], str | None]:
    """A note's changes, oldest first; keyset on id."""
    check_limit(limit)
    query = select(NoteRevision).where(NoteRevision.note_id == note_id)
    last = read_cursor(after, (int,))
    if last is not None:
        query = query.where(NoteRevision.id > last[0])
    rows = list(await ctx.session.scalars(query.order_by(NoteRevision.id).limit(limit + 1)))
    return _page(rows, limit, lambda r: [r.id])


def _page(rows: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None


async def edit_counts(ctx: WorkspaceContext, note_ids: Sequence[int]) -> dict[int, int]:
    if not note_ids:
        return {}
    rows = await ctx.session.execute(
        select(NoteRevision.note_id, func.count())
        .where(NoteRevision.note_id.in_(set(note_ids)), NoteRevision.kind == "edited")
        .group_by(NoteRevision.note_id)
    )
    return {note_id: int(n) for note_id, n in rows}


@dataclass(frozen=True, slots=True)
class Latest:
    body: str
    at: datetime
    count: int


def live_notes() -> Select[Any]:
    return select(Note).where(Note.deleted_at.is_(None))


async def latest_of(ctx: WorkspaceContext, friend_ids: Sequence[int]) -> dict[int, Latest]:
    """Each friend's newest note and how many notes they have, in one query; friends without notes left out."""
    if not friend_ids:
        return {}
    per_friend = (
        select(Note.friend_id, func.max(Note.id).label("latest_id"), func.count().label("notes"))
        .where(Note.friend_id.in_(set(friend_ids)), Note.deleted_at.is_(None))
        .group_by(Note.friend_id)
        .subquery()
    )
    rows = await ctx.session.execute(
        select(Note.friend_id, Note.body, Note.created_at, per_friend.c.notes).join(
            per_friend, per_friend.c.latest_id == Note.id
        )
    )
    return {friend_id: Latest(body, at, int(n)) for friend_id, body, at, n in rows}
