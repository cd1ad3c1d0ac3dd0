"""Field definitions and value changes in set-based SQL that runs the same on SQLite and PostgreSQL.

``ctx.session`` is scoped to the workspace, so ORM SELECT, UPDATE and DELETE statements see only its rows. The
statements scoping does not cover (the SELECT inside an INSERT) name the workspace themselves.

Every change takes a select of friend ids, so changing one friend and changing ten thousand are the same
statement; values that already are as asked are left alone, which makes every change idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CursorResult,
    Date,
    Double,
    Integer,
    Select,
    String,
    Text,
    and_,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects.postgresql import JSONB

from enishi import BigId, Friend, JsonDoc, UTCDateTime, WorkspaceContext, dialect_of, upsert_insert
from enishi_friend_fields import kinds
from enishi_friend_fields.events import EVENT_LIMIT, announce
from enishi_friend_fields.kinds import Stored
from enishi_friend_fields.models import FieldDefinition, FieldFile, FieldValue


@dataclass(frozen=True, slots=True)
class FieldChange:
    friends: int  # friends whose value of the field changed
    announced: bool  # whether an event went out per friend (not when more than EVENT_LIMIT changed)
    changes: tuple[tuple[int, Any, Any], ...] = ()  # (friend_id, old, new) when announced


NO_CHANGE = FieldChange(0, True)


# --- definitions -------------------------------------------------------------------------------------------


async def definitions(ctx: WorkspaceContext, group: str | None = None) -> list[FieldDefinition]:
    """The workspace's fields in display order."""
    query = select(FieldDefinition).order_by(FieldDefinition.sort_order, FieldDefinition.id)
    if group is not None:
        query = query.where(FieldDefinition.group == group)
    return list(await ctx.session.scalars(query))


async def definitions_by_key(ctx: WorkspaceContext, keys: Sequence[str]) -> dict[str, FieldDefinition]:
    if not keys:
        return {}
    found = await ctx.session.scalars(select(FieldDefinition).where(FieldDefinition.key.in_(set(keys))))
    return {d.key: d for d in found}


async def value_counts(ctx: WorkspaceContext, field_ids: Sequence[int] | None = None) -> dict[int, int]:
    """How many friends have a value, per field, in one GROUP BY."""
    query = select(FieldValue.field_id, func.count()).group_by(FieldValue.field_id)
    if field_ids is not None:
        query = query.where(FieldValue.field_id.in_(set(field_ids)))
    return {field_id: int(n) for field_id, n in await ctx.session.execute(query)}


async def key_taken(ctx: WorkspaceContext, key: str) -> bool:
    return await ctx.session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == key).limit(1)) is not None


async def field_count(ctx: WorkspaceContext) -> int:
    return int(await ctx.session.scalar(select(func.count()).select_from(FieldDefinition)) or 0)


async def option_usage(ctx: WorkspaceContext, field: FieldDefinition, options: Sequence[str]) -> dict[str, int]:
    """How many friends hold each of ``options`` (only those held by someone are returned)."""
    counts: dict[str, int] = {}
    for option in options:  # a handful of options, never friends
        held = int(
            await ctx.session.scalar(
                select(func.count())
                .select_from(FieldValue)
                .where(FieldValue.field_id == field.id, holds(field, option))
            )
            or 0
        )
        if held:
            counts[option] = held
    return counts


def holds(field: FieldDefinition, option: str) -> ColumnElement[bool]:
    """The value row holds ``option`` (a select's choice, or one of a multi_select's)."""
    if field.type == kinds.MULTI_SELECT:
        return FieldValue.value_key.contains(f"\n{kinds.escape_choice(option)}\n", autoescape=True)
    return FieldValue.value_text == option


async def remove_options(ctx: WorkspaceContext, field: FieldDefinition, options: Sequence[str]) -> int:
    """Take ``options`` out of every value (a forced removal); returns how many values changed or emptied."""
    if not options:
        return 0
    if field.type == kinds.SELECT:
        doomed = delete(FieldValue).where(FieldValue.field_id == field.id, FieldValue.value_text.in_(list(options)))
        return _rowcount(await ctx.session.execute(doomed.execution_options(synchronize_session=False)))
    changed = 0
    for option in options:
        framed = f"\n{kinds.escape_choice(option)}\n"
        stmt = (
            update(FieldValue)
            .where(FieldValue.field_id == field.id, FieldValue.value_key.contains(framed, autoescape=True))
            .values(value_key=func.replace(FieldValue.value_key, framed, "\n"))
            .execution_options(synchronize_session=False)
        )
        changed += _rowcount(await ctx.session.execute(stmt))
    await _rebuild_choices(ctx, field)
    return changed


async def rename_options(ctx: WorkspaceContext, field: FieldDefinition, renames: Mapping[str, str]) -> int:
    """Rename choices inside every value that holds them; returns how many values changed."""
    changed = 0
    for old, new in renames.items():
        if field.type == kinds.SELECT:
            stmt = (
                update(FieldValue)
                .where(FieldValue.field_id == field.id, FieldValue.value_text == old)
                .values(
                    value=literal(new, JsonDoc),
                    value_text=new,
                    value_sort=new[: kinds.SORT_MAX],
                )
            )
        else:
            old_framed, new_framed = (f"\n{kinds.escape_choice(o)}\n" for o in (old, new))
            stmt = (
                update(FieldValue)
                .where(FieldValue.field_id == field.id, FieldValue.value_key.contains(old_framed, autoescape=True))
                .values(value_key=func.replace(FieldValue.value_key, old_framed, new_framed))
            )
        changed += _rowcount(await ctx.session.execute(stmt.execution_options(synchronize_session=False)))
    if field.type == kinds.MULTI_SELECT:
        await _rebuild_choices(ctx, field)
    return changed


async def _rebuild_choices(ctx: WorkspaceContext, field: FieldDefinition) -> None:
    """After editing multi_select keys in SQL: drop the emptied values and rebuild the JSON arrays from the keys.

    The key holds JSON-escaped options between newlines, so the array is '["' + key with newlines turned into
    '","' + '"]' — plain string functions both databases have.
    """
    emptied = delete(FieldValue).where(FieldValue.field_id == field.id, FieldValue.value_key == "\n")
    await ctx.session.execute(emptied.execution_options(synchronize_session=False))
    inner = func.substr(FieldValue.value_key, 2, func.length(FieldValue.value_key) - 2)
    as_text: ColumnElement[Any] = literal('["') + func.replace(inner, "\n", '","') + literal('"]')
    rebuilt = sa_cast(as_text, JSONB) if dialect_of(ctx.session) == "postgresql" else as_text
    stmt = update(FieldValue).where(FieldValue.field_id == field.id).values(value=rebuilt)
    await ctx.session.execute(stmt.execution_options(synchronize_session=False))


async def has_values(ctx: WorkspaceContext, field_id: int) -> int:
    return int(
        await ctx.session.scalar(select(func.count()).select_from(FieldValue).where(FieldValue.field_id == field_id))
        or 0
    )


# --- reading values ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueRow:
    friend_id: int
    key: str
    value: Any
    updated_at: datetime
    updated_by_user_id: int | None
    source: str


async def value_rows(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str] | None = None
) -> list[ValueRow]:
    """Values of a page of friends in one query, in field order; empty values have no row."""
    if not friend_ids:
        return []
    query = (
        select(
            FieldValue.friend_id,
            FieldDefinition.key,
            FieldValue.value,
            FieldValue.updated_at,
            FieldValue.updated_by_user_id,
            FieldValue.source,
        )
        .join(FieldDefinition, FieldDefinition.id == FieldValue.field_id)
        .where(FieldValue.friend_id.in_(set(friend_ids)))
        .order_by(FieldValue.friend_id, FieldDefinition.sort_order, FieldDefinition.id)
    )
    if keys is not None:
        query = query.where(FieldDefinition.key.in_(set(keys)))
    return [
        ValueRow(friend_id, key, canonical(value), at, by, source)
        for friend_id, key, value, at, by, source in await ctx.session.execute(query)
    ]


def canonical(value: Any) -> Any:
    """Numbers written by SQL arithmetic come back as floats (3.0); they are shown as the integers they are."""
    if isinstance(value, float):
        return kinds.canonical_number(value)
    return value


async def values_of(
    ctx: WorkspaceContext, friend_ids: Sequence[int], keys: Sequence[str] | None = None
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for row in await value_rows(ctx, friend_ids, keys):
        out.setdefault(row.friend_id, {})[row.key] = row.value
    return out


async def current_number(ctx: WorkspaceContext, friend_id: int, field_id: int) -> float | None:
    return await ctx.session.scalar(
        select(FieldValue.value_number).where(FieldValue.friend_id == friend_id, FieldValue.field_id == field_id)
    )


# --- changing values ---------------------------------------------------------------------------------------


def friends_by_id(ids: Sequence[int]) -> Select[Any]:
    """The friend-id select the change functions take, for a known list of ids."""
    return select(Friend.id).where(Friend.id.in_(set(ids)))


def one_friend(friend_id: int) -> Select[Any]:
    return select(literal(friend_id, BigId))


async def apply(
    ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition, stored: Stored | None, *, source: str
) -> FieldChange:
    """Set (or with None, clear) the field for every friend ``friends`` yields; announce what changed."""
    change = await (clear(ctx, friends, field) if stored is None else put(ctx, friends, field, stored, source))
    if field.type == kinds.FILE:
        await drop_unused_files(ctx, friends, field)
    if change.announced and change.changes:
        await announce(ctx, field.id, field.key, change.changes, source)
    return change


async def apply_increment(
    ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition, amount: float, *, source: str
) -> FieldChange:
    """Add ``amount`` to a number field for every friend ``friends`` yields; announce what changed."""
    change = await increment(ctx, friends, field, amount, source=source)
    if change.announced and change.changes:
        await announce(ctx, field.id, field.key, change.changes, source)
    return change


async def put(
    ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition, stored: Stored, source: str
) -> FieldChange:
    """One INSERT … SELECT … ON CONFLICT DO UPDATE for any number of friends.

    Friends of other workspaces are skipped, and a row that already holds the value is not touched (the DO UPDATE
    has a WHERE), so the statement returns exactly the friends whose value changed.
    """
    same = _same(field, stored)
    in_set = (Friend.workspace_id == ctx.workspace_id, Friend.id.in_(friends.correlate(None)))
    pending = (
        select(Friend.id, FieldValue.value)
        .select_from(Friend)
        .outerjoin(FieldValue, and_(FieldValue.friend_id == Friend.id, FieldValue.field_id == field.id))
        .where(*in_set, or_(FieldValue.friend_id.is_(None), ~same))
    )
    preview = await _preview(ctx, pending)
    if preview == []:
        return NO_CHANGE
    row_columns: list[Any] = [
        Friend.id,
        literal(field.id, BigId),
        literal(ctx.workspace_id, BigId),
        literal(stored.value, JsonDoc),
        literal(stored.text, String(500)),
        literal(stored.number, Double()),
        literal(stored.day, Date()),
        literal(stored.moment, UTCDateTime()),
        literal(stored.key, Text()),
        literal(stored.sort, String(100)),
        literal(stored.file_id, BigId),
        literal(ctx.now, UTCDateTime()),
        literal(ctx.actor_user_id, BigId),
        literal(source, String(32)),
    ]
    rows = select(*row_columns).where(*in_set)
    insert = upsert_insert(ctx.session, FieldValue).from_select(_COLUMNS, rows)
    stmt = insert.on_conflict_do_update(
        index_elements=["friend_id", "field_id"],
        set_={name: insert.excluded[name] for name in _COLUMNS[3:]},
        where=~same,
    )
    if preview is None:
        return FieldChange(_rowcount(await ctx.session.execute(stmt)), False)
    changed = set(await ctx.session.scalars(stmt.returning(FieldValue.friend_id)))
    changes = tuple((f, canonical(old), stored.value) for f, old in preview if f in changed)
    return FieldChange(len(changes), True, changes)


_COLUMNS = [
    "friend_id",
    "field_id",
    "workspace_id",
    "value",
    "value_text",
    "value_number",
    "value_date",
    "value_datetime",
    "value_key",
    "value_sort",
    "value_file_id",
    "updated_at",
    "updated_by_user_id",
    "source",
]


def _same(field: FieldDefinition, stored: Stored) -> ColumnElement[bool]:
    """The row already holds ``stored``: compared on the typed column of the field's type."""
    kind = field.type
    if kind == kinds.NUMBER:
        return FieldValue.value_number.is_not_distinct_from(literal(stored.number, Double()))
    if kind == kinds.DATE:
        return FieldValue.value_date.is_not_distinct_from(literal(stored.day, Date()))
    if kind == kinds.DATETIME:
        return FieldValue.value_datetime.is_not_distinct_from(literal(stored.moment, UTCDateTime()))
    if kind in (kinds.MULTI_SELECT, kinds.POSTAL_ADDRESS):
        return FieldValue.value_key.is_not_distinct_from(literal(stored.key, Text()))
    if kind == kinds.FILE:
        return FieldValue.value_file_id.is_not_distinct_from(literal(stored.file_id, BigId))
    return FieldValue.value_text.is_not_distinct_from(literal(stored.text, String(500)))


async def clear(ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition) -> FieldChange:
    """One DELETE through the scoped session; only this workspace's values are touched."""
    criteria = (FieldValue.field_id == field.id, FieldValue.friend_id.in_(friends.correlate(None)))
    preview = await _preview(ctx, select(FieldValue.friend_id, FieldValue.value).where(*criteria))
    if preview == []:
        return NO_CHANGE
    stmt = delete(FieldValue).where(*criteria).execution_options(synchronize_session=False)
    if preview is None:
        return FieldChange(_rowcount(await ctx.session.execute(stmt)), False)
    removed = await ctx.session.execute(stmt.returning(FieldValue.friend_id, FieldValue.value))
    changes = tuple((f, canonical(old), None) for f, old in removed)
    return FieldChange(len(changes), True, changes)


async def increment(
    ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition, amount: float, *, source: str
) -> FieldChange:
    """Add ``amount`` to a number field (an empty value counts as 0) in one upsert for any number of friends.

    Friends whose result would leave the allowed range (±1e12) are skipped.
    """
    amount = kinds.canonical_number(amount)
    current = func.coalesce(FieldValue.value_number, 0)
    in_range = func.abs(current + amount) <= kinds.NUMBER_LIMIT
    in_set = (Friend.workspace_id == ctx.workspace_id, Friend.id.in_(friends.correlate(None)))
    pending = (
        select(Friend.id, FieldValue.value)
        .select_from(Friend)
        .outerjoin(FieldValue, and_(FieldValue.friend_id == Friend.id, FieldValue.field_id == field.id))
        .where(*in_set, in_range)
    )
    if amount == 0:
        return NO_CHANGE
    preview = await _preview(ctx, pending)
    if preview == []:
        return NO_CHANGE
    fresh = kinds.Stored(amount, number=float(amount), sort=kinds.number_sort_key(float(amount)))
    row_columns: list[Any] = [
        Friend.id,
        literal(field.id, BigId),
        literal(ctx.workspace_id, BigId),
        literal(fresh.value, JsonDoc),
        literal(fresh.number, Double()),
        literal(fresh.sort, String(100)),
        literal(ctx.now, UTCDateTime()),
        literal(ctx.actor_user_id, BigId),
        literal(source, String(32)),
    ]
    rows = select(*row_columns).where(*in_set, true() if abs(amount) <= kinds.NUMBER_LIMIT else false())
    columns = [
        "friend_id",
        "field_id",
        "workspace_id",
        "value",
        "value_number",
        "value_sort",
        "updated_at",
        "updated_by_user_id",
        "source",
    ]
    insert = upsert_insert(ctx.session, FieldValue).from_select(columns, rows)
    total = current + amount
    stmt = insert.on_conflict_do_update(
        index_elements=["friend_id", "field_id"],
        set_={
            "value": _json_number(ctx, total),
            "value_number": total,
            "value_sort": _number_sort_sql(ctx, total),
            "updated_at": insert.excluded.updated_at,
            "updated_by_user_id": insert.excluded.updated_by_user_id,
            "source": insert.excluded.source,
        },
        where=in_range,
    )
    if preview is None:
        return FieldChange(_rowcount(await ctx.session.execute(stmt)), False)
    changed = set(await ctx.session.scalars(stmt.returning(FieldValue.friend_id)))
    changes = tuple(
        (f, canonical(old), kinds.canonical_number((old or 0) + amount)) for f, old in preview if f in changed
    )
    return FieldChange(len(changes), True, changes)


def _json_number(ctx: WorkspaceContext, number: ColumnElement[Any]) -> ColumnElement[Any]:
    """A SQL number as the JSON document of the value column."""
    if dialect_of(ctx.session) == "postgresql":
        return func.to_jsonb(number)
    return sa_cast(number, String)  # SQLite keeps JSON as text


def _number_sort_sql(ctx: WorkspaceContext, number: ColumnElement[Any]) -> ColumnElement[Any]:
    """kinds.number_sort_key in SQL: fixed-point with 6 decimals, shifted positive, zero-padded to 19 digits."""
    if dialect_of(ctx.session) == "postgresql":
        shifted = sa_cast(func.round(number * 1_000_000), BigInteger) + 10**18
        return func.lpad(sa_cast(shifted, Text), 19, "0")
    return func.printf("%019d", sa_cast(func.round(number * 1_000_000), Integer) + 10**18)


async def _preview(ctx: WorkspaceContext, rows: Select[Any]) -> list[tuple[int, Any]] | None:
    """The (friend_id, old value) rows a change would touch if there are at most EVENT_LIMIT, else None.

    A cheap probe that decides whether the write returns its rows for events; an empty list lets the caller skip
    the write. The write itself reports what it really changed, so a concurrent request between the two cannot
    cause a wrong count or event.
    """
    found = [(f, v) for f, v in await ctx.session.execute(rows.limit(EVENT_LIMIT + 1))]
    return found if len(found) <= EVENT_LIMIT else None


# --- files -------------------------------------------------------------------------------------------------


async def drop_unused_files(ctx: WorkspaceContext, friends: Select[Any], field: FieldDefinition) -> None:
    """Delete the field's files of these friends that no value refers to any more (replaced or cleared)."""
    stmt = delete(FieldFile).where(
        FieldFile.field_id == field.id,
        FieldFile.friend_id.in_(friends.correlate(None)),
        ~exists().where(FieldValue.value_file_id == FieldFile.id),
    )
    await ctx.session.execute(stmt.execution_options(synchronize_session=False))


async def file_of(ctx: WorkspaceContext, file_id: int) -> FieldFile | None:
    return await ctx.session.get(FieldFile, file_id)


def file_value(file: FieldFile) -> dict[str, Any]:
    return {"file_id": file.id, "name": file.name, "content_type": file.content_type, "size": file.size}


def file_stored(file: FieldFile) -> Stored:
    return Stored(file_value(file), text=file.name[:500], sort=file.name[: kinds.SORT_MAX], file_id=file.id)


def _rowcount(result: Any) -> int:
    return max(int(cast(CursorResult[Any], result).rowcount or 0), 0)


def today_in(ctx: WorkspaceContext) -> date:
    return ctx.now.astimezone(ctx.tz).date()
