"""Request and response bodies. msgspec checks types and constraints before a handler runs (bad input → 400
with the field's path)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from enishi_notes.models import Note, NoteRevision
from enishi_notes.service import BODY_MAX
from enishi_notes.text import snippet

# Some visible character, no NUL (PostgreSQL cannot store it); surrounding spaces are trimmed when saved.
Body = Annotated[str, msgspec.Meta(min_length=1, max_length=BODY_MAX + 200, pattern=r"^(?=[\s\S]*\S)[^\x00]*$")]


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Body
    pinned: bool = False


class NotePatch(msgspec.Struct, forbid_unknown_fields=True):
    body: Body | msgspec.UnsetType = msgspec.UNSET
    pinned: bool | msgspec.UnsetType = msgspec.UNSET


class NoteOut(msgspec.Struct):
    id: int
    friend_id: int
    body: str
    author_user_id: int | None  # null: written by a scenario or another automation
    source: str
    pinned: bool
    pinned_at: datetime | None
    created_at: datetime
    updated_at: datetime
    edits: int  # how many times the body was changed (see /{id}/history)
    can_edit: bool  # whether the signed-in staff member may edit or delete it
    deleted_at: datetime | None = None  # shown to admins only
    deleted_by_user_id: int | None = None


class RevisionOut(msgspec.Struct):
    id: int
    kind: str  # edited (body is the text before the edit), deleted, restored
    body: str
    editor_user_id: int | None
    at: datetime


class SearchHit(msgspec.Struct):
    note_id: int
    friend_id: int
    snippet: str  # the text around the first match
    author_user_id: int | None
    created_at: datetime


class NotePage(msgspec.Struct):
    items: list[NoteOut]
    next: str | None  # pass as ?after= for the next page; null on the last page


class RevisionPage(msgspec.Struct):
    items: list[RevisionOut]
    next: str | None


class SearchPage(msgspec.Struct):
    items: list[SearchHit]
    next: str | None


def note_out(note: Note, edits: int, can_edit: bool) -> NoteOut:
    return NoteOut(
        id=note.id,
        friend_id=note.friend_id,
        body=note.body,
        author_user_id=note.author_user_id,
        source=note.source,
        pinned=note.pinned,
        pinned_at=note.pinned_at,
        created_at=note.created_at,
        updated_at=note.updated_at,
        edits=edits,
        can_edit=can_edit,
        deleted_at=note.deleted_at,
        deleted_by_user_id=note.deleted_by_user_id,
    )


def revision_out(revision: NoteRevision) -> RevisionOut:
    return RevisionOut(revision.id, revision.kind, revision.body, revision.editor_user_id, revision.at)


def search_hit(note: Note, query: str) -> SearchHit:
    return SearchHit(note.id, note.friend_id, snippet(note.body, query), note.author_user_id, note.created_at)
