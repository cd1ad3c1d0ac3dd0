"""Scenario and segment building blocks: the notes_contain condition and the add_note action."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, insert, select

from enishi import ActionContext, ActionType, ConditionType, Friend, SchemaProblem, Text, WorkspaceContext, choices
from enishi_notes import service, templates
from enishi_notes.models import Note
from enishi_notes.text import fold

BATCH = 500  # friends rendered and inserted per statement by the bulk action
VISIBLE_NO_NUL = "^(?=[\\s\\S]*\\S)[^\\u0000]*$"

NOTES_CONTAIN_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "text": {
            "type": "string",
            "title": "メモの文言 / Text in notes",
            "minLength": 1,
            "maxLength": 200,
            "pattern": VISIBLE_NO_NUL,
        },
        "match": {
            "type": "string",
            "title": "条件 / Match",
            **choices(
                ("contains", "いずれかのメモに含む / Some note contains it"),
                ("not_contains", "どのメモにも含まない / No note contains it"),
            ),
            "default": "contains",
        },
    },
    "required": ["text"],
    "additionalProperties": False,
}

ADD_NOTE_CONFIG: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "body": {
            "type": "string",
            "title": "メモ / Note",
            "description": (
                "{{friend.display_name}} や {{field.<キー>|既定値}} などの変数が使えます / variables allowed"
            ),
            "minLength": 1,
            "maxLength": service.BODY_MAX,
            "pattern": VISIBLE_NO_NUL,
        },
        "pin": {"type": "boolean", "title": "ピン留めする / Pin it", "default": False},
    },
    "required": ["body"],
    "additionalProperties": False,
}


# --- condition ---------------------------------------------------------------------------------------------


def compile_notes_contain(ctx: WorkspaceContext, config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Correlated with ``friends.id``: some live (not deleted) note of the friend contains the text, ignoring
    case and full/half width; ``not_contains`` holds for friends without notes too."""
    match = config.get("match", "contains")
    found = exists().where(
        Note.friend_id == Friend.id,
        Note.deleted_at.is_(None),
        Note.body_folded.contains(fold(config["text"]), autoescape=True),
    )
    if match == "contains":
        return found
    if match == "not_contains":
        return ~found
    raise ValueError(f"match must be contains or not_contains, not {match!r}")


notes_contain = ConditionType(
    name="notes_contain",
    permission="core.search_friends",
    label=Text("メモの内容", "Notes text"),
    description=Text(
        "個別メモにその文言を含む(含まない)友だち。大文字・小文字、全角・半角は区別しません。",
        "Friends with (or without) a note containing the text, ignoring case and full/half width.",
    ),
    config_schema=NOTES_CONTAIN_CONFIG,
    compile=compile_notes_contain,
)


# --- action ------------------------------------------------------------------------------------------------


async def check_add_note(ctx: WorkspaceContext, config: Mapping[str, Any]) -> Sequence[SchemaProblem]:
    return await templates.problems(ctx, config["body"], "$.body")


def _body(template: str, values: Mapping[str, str | None]) -> str:
    return templates.render(template, values).strip()[: service.BODY_MAX]


async def run_add_note(ctx: ActionContext, friend_id: int, config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Adds the note once per step run: a retried step finds the note its first attempt added."""
    # The scoped session does not find another workspace's friend, exactly like a missing one.
    friend = await ctx.session.get(Friend, friend_id)
    if friend is None:
        raise LookupError(f"friend {friend_id} is not in workspace {ctx.workspace_id}")
    template = config["body"]
    resolved = await templates.resolve(ctx, templates.variables(template))
    values = await templates.values_for(ctx, [(friend.id, friend.display_name)], resolved)
    body = _body(template, values[friend.id])
    if not body:
        return {"note_id": None, "created": False, "skipped": "the note was empty"}
    note = service.new_note(
        friend_id, body, author=ctx.actor_user_id, source=ctx.source, pinned=bool(config.get("pin")), now=ctx.now
    )
    note_id, created = await service.add_once(ctx, note, ctx.idempotency_key)
    return {"note_id": note_id, "created": created}


async def run_add_note_bulk(ctx: WorkspaceContext, friend_ids: Select[Any], config: Mapping[str, Any]) -> int:
    """One INSERT per batch of friends: the variables of a batch are loaded with one query per source."""
    template = config["body"]
    resolved = await templates.resolve(ctx, templates.variables(template))
    pinned = bool(config.get("pin"))
    added, last = 0, 0
    while True:
        batch = list(
            await ctx.session.execute(
                select(Friend.id, Friend.display_name)
                .where(Friend.id.in_(friend_ids.correlate(None)), Friend.id > last)
                .order_by(Friend.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return added
        last = batch[-1][0]
        values = await templates.values_for(ctx, [(f, n) for f, n in batch], resolved)
        rows = []
        for friend_id, _ in batch:
            body = _body(template, values[friend_id])
            if body:
                note = service.new_note(
                    friend_id,
                    body,
                    author=ctx.actor_user_id,
                    source=getattr(ctx, "source", "bulk"),
                    pinned=pinned,
                    now=ctx.now,
                )
                rows.append(_row(ctx, note))
        if rows:
            await ctx.session.execute(insert(Note), rows)
            added += len(rows)


def _row(ctx: WorkspaceContext, note: Note) -> dict[str, Any]:
    return {
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
    }


add_note = ActionType(
    name="add_note",
    permission="notes.write",
    label=Text("メモを残す", "Add a note"),
    description=Text(
        "友だちに個別メモを追加します(シナリオの記録などに)。変数で友だちの情報を差し込めます。",
        "Adds a note to the friend (e.g. to log what a scenario did); variables fill in the friend's data.",
    ),
    config_schema=ADD_NOTE_CONFIG,
    ui_schema={"body": {"ui:widget": "textarea"}, "ui:order": ["body", "pin"]},
    run=run_add_note,
    run_bulk=run_add_note_bulk,
    check_config=check_add_note,
)
