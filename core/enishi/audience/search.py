"""Friend search: a segment plus free text and follow state, sorted, paged by keyset, with friend field columns.

Everything is SQL over ``friends``: the filters are the segment's one expression (see :mod:`segments`), so a page,
the count and the CSV export of the same search always agree. Columns are the friend field sources' keys,
written ``<source>.<key>`` (e.g. ``friend_fields.fields.birthday``, ``tags.tags.tag_12``); a page loads them with
one ``load`` call per source, and a sort by a column uses the source's ``column`` SQL expression.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, TypeDecorator, and_, func, literal, or_, select, text
from sqlalchemy.sql import visitors
from sqlalchemy.sql.util import find_tables

from enishi.api.pagination import decode_cursor, encode_cursor
from enishi.audience.segments import check_segment, friends_in
from enishi.context import WorkspaceContext
from enishi.db.engine import dialect_of
from enishi.models.friends import Friend
from enishi.nodes import node_type
from enishi.registry import Unavailable
from enishi.schema_validation import SchemaProblem, validate
from enishi.text import Text
from enishi.types import ConditionType, FriendFieldDescriptor, FriendFieldSource

STATUSES = ("following", "blocked", "all")
CORE_SORTS = ("id", "followed_at", "last_inbound_at", "display_name")
FIELD_SORT = "field:"
TEXT_MAX = 200
NOTES_CONDITION = "notes.notes_contain"  # used only where the notes plugin is on; never imported
EXPORT_BATCH = 1000


class InvalidSearch(ValueError):
    def __init__(self, problems: list[SchemaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


class BadCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Column:
    """One friend field a list can show: ``id`` is ``<source>.<key>``."""

    id: str
    source: str  # the source's registered key, e.g. "friend_fields.fields"
    plugin: str
    descriptor: FriendFieldDescriptor
    item: FriendFieldSource

    @property
    def key(self) -> str:
        return self.descriptor.key

    @property
    def label(self) -> Text:
        return self.descriptor.label

    @property
    def sortable(self) -> bool:
        return self.descriptor.sortable and self.item.column is not None


@dataclass(frozen=True, slots=True)
class Search:
    """What a friend list asks for; check it with :func:`prepare`."""

    segment: Any = None
    exclude: Any = None
    text: str | None = None
    status: str = "following"
    sort_by: str = "id"
    direction: str = "asc"
    columns: Sequence[str] | None = None  # None: the default columns (e.g. pinned tags)


@dataclass(frozen=True)
class Prepared:
    """A checked search: its WHERE clause, its sort expression and the columns to load."""

    search: Search
    where: ColumnElement[bool]
    sort: ColumnElement[Any]
    nullable_sort: bool
    columns: list[Column]
    all_columns: list[Column] = field(repr=False)

    @property
    def sort_key(self) -> str:
        return f"{self.search.sort_by}:{self.search.direction}"

    @property
    def descending(self) -> bool:
        return self.search.direction == "desc"


@dataclass(frozen=True, slots=True)
class FriendRow:
    id: int
    line_user_id: str
    display_name: str
    name_override: str | None
    picture_url: str | None
    status: str
    followed_at: datetime
    last_inbound_at: datetime | None
    columns: dict[str, Any]


# --- columns -------------------------------------------------------------------------------------------------


async def available_columns(ctx: WorkspaceContext) -> list[Column]:
    """Every column of the workspace's enabled friend field sources, in registration order then their own."""
    out: list[Column] = []
    for entry in ctx.host.registry.all("friend_fields", ctx.enabled_plugins):
        for descriptor in await entry.item.describe(ctx):
            out.append(Column(f"{entry.key}.{descriptor.key}", entry.key, entry.plugin, descriptor, entry.item))
    return out


def default_columns(columns: Sequence[Column]) -> list[Column]:
    return [c for c in columns if c.descriptor.shown_by_default]


async def load_columns(
    ctx: WorkspaceContext, columns: Sequence[Column], friend_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The columns' values for a page of friends: one ``load`` call per source, missing values as None."""
    out: dict[int, dict[str, Any]] = {
        friend_id: dict.fromkeys((c.id for c in columns), None) for friend_id in friend_ids
    }
    by_source: dict[str, list[Column]] = {}
    for column in columns:
        by_source.setdefault(column.source, []).append(column)
    for source_columns in by_source.values():
        item = source_columns[0].item
        loaded = await item.load(ctx, list(friend_ids), [c.key for c in source_columns])
        for friend_id, values in loaded.items():
            if friend_id in out:
                for column in source_columns:
                    if column.key in values:
                        out[friend_id][column.id] = values[column.key]
    return out


# --- checking ------------------------------------------------------------------------------------------------


async def prepare(ctx: WorkspaceContext, search: Search, prefix: str = "$") -> Prepared:
    """Check every part of a search and build its SQL; raises :class:`InvalidSearch` with every problem."""
    problems: list[SchemaProblem] = []
    if search.segment is not None:
        problems += await check_segment(ctx, search.segment, f"{prefix}.segment")
    if search.exclude is not None:
        problems += await check_segment(ctx, search.exclude, f"{prefix}.exclude")
    if search.status not in STATUSES:
        problems.append(SchemaProblem(f"{prefix}.status", "following / blocked / all"))
    text = (search.text or "").strip()
    if len(text) > TEXT_MAX:
        problems.append(SchemaProblem(f"{prefix}.text", f"{TEXT_MAX}文字以内 / at most {TEXT_MAX} characters"))
    if "\x00" in text:
        problems.append(SchemaProblem(f"{prefix}.text", "使えない文字があります / contains a NUL character"))
    all_columns = await available_columns(ctx)
    by_id = {c.id: c for c in all_columns}
    columns, column_problems = pick_columns(search.columns, by_id, f"{prefix}.columns")
    problems += column_problems
    sort, nullable, sort_problems = sort_expression(ctx, search.sort_by, search.direction, by_id, f"{prefix}.sort")
    problems += sort_problems
    if problems:
        raise InvalidSearch(problems)
    return Prepared(
        search=search,
        where=await with_constants_inlined(ctx, where_of(ctx, search)),
        sort=sort,
        nullable_sort=nullable,
        columns=columns if search.columns is not None else default_columns(all_columns),
        all_columns=all_columns,
    )


def pick_columns(
    wanted: Sequence[str] | None, by_id: Mapping[str, Column], path: str
) -> tuple[list[Column], list[SchemaProblem]]:
    if wanted is None:
        return [], []
    columns: list[Column] = []
    problems: list[SchemaProblem] = []
    for i, column_id in enumerate(wanted):
        column = by_id.get(column_id)
        if column is None:
            problems.append(
                SchemaProblem(f"{path}[{i}]", f"列 {column_id!r} はありません / no such column (deleted or plugin off)")
            )
        elif column not in columns:
            columns.append(column)
    return columns, problems


def sort_expression(
    ctx: WorkspaceContext, by: str, direction: str, columns: Mapping[str, Column], path: str
) -> tuple[ColumnElement[Any], bool, list[SchemaProblem]]:
    """The SQL to sort by and whether it can be NULL (NULLs then come last in both directions)."""
    problems: list[SchemaProblem] = []
    if direction not in ("asc", "desc"):
        problems.append(SchemaProblem(f"{path}.direction", "asc / desc"))
    if by in CORE_SORTS:
        return getattr(Friend, by).expression, by == "last_inbound_at", problems
    if by.startswith(FIELD_SORT):
        column = columns.get(by[len(FIELD_SORT) :])
        if column is None:
            problems.append(SchemaProblem(f"{path}.by", "その列はありません / no such column"))
        elif not column.sortable or column.item.column is None:
            problems.append(SchemaProblem(f"{path}.by", "この列では並べ替えられません / this column cannot be sorted"))
        else:
            try:
                return column.item.column(ctx, column.key), True, problems
            except KeyError:
                problems.append(
                    SchemaProblem(f"{path}.by", "この列では並べ替えられません / this column cannot be sorted")
                )
        return Friend.id.expression, False, problems
    problems.append(
        SchemaProblem(f"{path}.by", "id / followed_at / last_inbound_at / display_name / field:<source>.<key> のどれか")
    )
    return Friend.id.expression, False, problems


# --- SQL -----------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC then case-fold, so that half-width ｶﾌｪ finds カフェ and TANAKA finds tanaka."""
    return unicodedata.normalize("NFKC", text).casefold()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_condition(ctx: WorkspaceContext, text: str) -> ColumnElement[bool]:
    """The LINE name or the 管理用の名前 contains the text (ignoring case) or, where the notes plugin is on, a note
    does."""
    # SQLite lowers ASCII only: the text as typed, lowered and folded covers names in any width and case.
    patterns = sorted({text, text.lower(), fold(text)})
    parts: list[ColumnElement[bool]] = [
        func.lower(column).like(f"%{_like_escape(p)}%", escape="\\")
        for column in (Friend.display_name, Friend.name_override)
        for p in patterns
    ]
    try:
        notes = node_type(ctx, "conditions", NOTES_CONDITION)
    except Unavailable:
        notes = None
    config = {"text": text}
    if isinstance(notes, ConditionType) and not validate(dict(notes.config_schema), config):
        parts.append(notes.compile(ctx, config))
    return or_(*parts)


def where_of(ctx: WorkspaceContext, search: Search) -> ColumnElement[bool]:
    """One boolean expression: the workspace, follow state, segment, exclusion and free text."""
    base = friends_in(ctx, search.segment, exclude=search.exclude, following_only=search.status == "following")
    where = base.whereclause
    assert where is not None  # friends_in always limits the workspace
    parts = [where]
    if search.status == "blocked":
        parts.append(Friend.status == "blocked")
    text = (search.text or "").strip()
    if text:
        parts.append(text_condition(ctx, text))
    return and_(*parts)


# The statements name their workspace themselves (``friends.workspace_id``, from friends_in) and every condition is
# correlated with friends.id, the form bulk operations run inside INSERT … SELECT where session scoping does not
# reach. Scoping them again would add ``workspace_id = ?`` to each correlated probe (a tag link, a mark, a field
# value), which turns a covering primary-key probe into a table read per friend on SQLite and keeps PostgreSQL
# from answering "has tag X" from the tag-first index.
UNSCOPED = {"all_workspaces": True}


async def with_constants_inlined(ctx: WorkspaceContext, where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The expression with its constant scalar subqueries (those that read nothing the rest of the statement reads,
    such as a friend field's id looked up by key) replaced by their values, read once now.

    The planner cannot see inside such a subquery: it estimated how many friends match a field's condition as if
    the field were any field, and for a segment of several conditions chose to join everything and sort instead
    of walking friends in id order for the first page (3× slower than the same SQL with the id written in).
    """
    candidates: list[ScalarSelect[Any]] = []
    for element in visitors.iterate(where):
        if isinstance(element, ScalarSelect) and isinstance(element.element, Select):
            tables = set(find_tables(element.element, check_columns=True))
            if Friend.__table__ not in tables and not any(element in set(visitors.iterate(c)) for c in candidates):
                candidates.append(element)
    if not candidates:
        return where
    marked: dict[int, Any] = {id(c): literal(None) for c in candidates}
    rest = visitors.replacement_traverse(where, {}, lambda e: marked.get(id(e)))  # type: ignore[call-overload]
    elsewhere = set(find_tables(rest, check_columns=True))
    values: dict[int, Any] = {}
    for candidate in candidates:
        if set(find_tables(candidate.element, check_columns=True)) & elsewhere:
            continue  # it may be correlated with a table around it: leave it to the database
        value = await ctx.session.scalar(cast(Select[Any], candidate.element))
        values[id(candidate)] = literal(value, candidate.type)
    if not values:
        return where
    inlined = visitors.replacement_traverse(where, {}, lambda e: values.get(id(e)))  # type: ignore[call-overload]
    return cast(ColumnElement[bool], inlined)


def count_query(prepared: Prepared) -> Select[Any]:
    return select(func.count()).select_from(Friend).where(prepared.where).execution_options(**UNSCOPED)


async def plan_with_values(ctx: WorkspaceContext) -> None:
    """Have PostgreSQL plan the next statements with their values, as it does for SQL with literals.

    Statements are prepared and, after five runs, PostgreSQL may switch to one generic plan for any values. How
    many friends a segment finds depends on those values (a rare tag or the most common one, the workspace's
    size), so a generic plan is often the wrong one: a count ran 15–60 % slower than the same SQL written with
    literals. Planning takes well under a millisecond; these statements take far longer.
    """
    if dialect_of(ctx.session) == "postgresql":
        await ctx.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def count(ctx: WorkspaceContext, prepared: Prepared) -> int:
    await plan_with_values(ctx)
    return int(await ctx.session.scalar(count_query(prepared)) or 0)


def page_query(prepared: Prepared, after: Any, limit: int) -> Select[Any]:
    """``limit + 1`` rows from after the cursor position (sort value, id), so the caller knows if more follow."""
    sort, desc = prepared.sort, prepared.descending
    query = select(
        Friend.id,
        Friend.line_user_id,
        Friend.display_name,
        Friend.name_override,
        Friend.picture_url,
        Friend.status,
        Friend.followed_at,
        Friend.last_inbound_at,
        sort.label("sort_value"),
    ).where(prepared.where)
    if after is not None:
        query = query.where(_after(prepared, after))
    order: list[Any] = []
    if prepared.nullable_sort:
        order.append(sort.is_(None))  # false before true: empty values last, whichever the direction
    if prepared.search.sort_by != "id":
        order.append(sort.desc() if desc else sort.asc())
    order.append(Friend.id.desc() if desc else Friend.id.asc())
    return query.order_by(*order).limit(limit + 1).execution_options(**UNSCOPED)


def _after(prepared: Prepared, after: tuple[Any, int]) -> ColumnElement[bool]:
    value, last_id = after
    desc = prepared.descending
    id_after = Friend.id < last_id if desc else Friend.id > last_id
    if prepared.search.sort_by == "id":
        return id_after
    sort = prepared.sort
    if value is None:  # within the trailing group of empty values
        return and_(sort.is_(None), id_after)
    bound = literal(value, sort.type)  # through the column's type (UTC datetimes on SQLite, booleans …)
    beyond = sort < bound if desc else sort > bound
    later = or_(beyond, and_(sort == bound, id_after))
    return or_(later, sort.is_(None)) if prepared.nullable_sort else later


def encode_position(prepared: Prepared, value: Any, last_id: int) -> str:
    return encode_cursor({"sort": prepared.sort_key, "value": _encode_value(value), "id": last_id})


def decode_position(prepared: Prepared, cursor: str) -> tuple[Any, int]:
    """The (sort value, id) a cursor points after; a cursor of another sort or a forged one is refused."""
    data = decode_cursor(cursor)
    if not isinstance(data, dict) or data.get("sort") != prepared.sort_key:
        raise BadCursor("the cursor belongs to another sort")
    last_id = data.get("id")
    if not isinstance(last_id, int) or isinstance(last_id, bool):
        raise BadCursor("bad id")
    value = _decode_value(data.get("value"))
    expected = _python_type(prepared.sort)
    if value is not None and expected is not None and not _fits(value, expected):
        raise BadCursor("the cursor's value does not fit the sort")
    return value, last_id


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return float(value)
    return value


def _decode_value(value: Any) -> Any:
    try:
        if isinstance(value, dict) and set(value) == {"datetime"}:
            return datetime.fromisoformat(value["datetime"])
        if isinstance(value, dict) and set(value) == {"date"}:
            return date.fromisoformat(value["date"])
    except (TypeError, ValueError):
        raise BadCursor("bad date") from None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise BadCursor("bad value")


def _python_type(expression: ColumnElement[Any]) -> type | None:
    sql_type = expression.type
    if isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    try:
        python_type: type = sql_type.python_type
    except NotImplementedError:
        return None
    return python_type


def _fits(value: Any, expected: type) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected in (int, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    return isinstance(value, expected)


async def page(
    ctx: WorkspaceContext, prepared: Prepared, after: str | None, limit: int
) -> tuple[list[FriendRow], str | None]:
    """One page of friends with their columns, and the cursor of the next page (None on the last)."""
    position = decode_position(prepared, after) if after is not None else None
    await plan_with_values(ctx)
    rows = list((await ctx.session.execute(page_query(prepared, position, limit))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    values = await load_columns(ctx, prepared.columns, [r.id for r in rows])
    friends = [
        FriendRow(
            r.id,
            r.line_user_id,
            r.display_name,
            r.name_override,
            r.picture_url,
            r.status,
            r.followed_at,
            r.last_inbound_at,
            values.get(r.id, {}),
        )
        for r in rows
    ]
    cursor = encode_position(prepared, rows[-1].sort_value, rows[-1].id) if more and rows else None
    return friends, cursor


# --- CSV -----------------------------------------------------------------------------------------------------

BOM = "\ufeff"  # Excel opens UTF-8 CSV as Shift_JIS without it
FIXED_HEADERS = (
    Text("ID", "ID"),
    Text("LINEユーザーID", "LINE user ID"),
    Text("表示名", "Display name"),
    Text("管理用の名前", "Name for staff"),
    Text("状態", "Status"),
    Text("友だち追加日時", "Followed at"),
    Text("最終メッセージ日時", "Last message at"),
)
STATUS_LABELS = {"following": Text("友だち", "Following"), "blocked": Text("ブロック", "Blocked")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _label(text: Text, lang: str) -> str:
    return text.en if lang == "en" else text.ja


def _cell(value: Any, ctx: WorkspaceContext) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(ctx.tz).strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, list):
        text = ", ".join(_cell(v, ctx) for v in value)
    elif isinstance(value, dict):
        text = str(value["label"]) if "label" in value else json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    # A cell starting like a formula would run in Excel (display names are chosen by LINE users): keep it text.
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_line(cells: Sequence[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


async def export_csv(
    ctx: WorkspaceContext, prepared: Prepared, lang: str = "ja", batch: int = EXPORT_BATCH
) -> AsyncIterator[bytes]:
    """The whole result as CSV (UTF-8 with BOM, CRLF), a batch of friends at a time in the search's order."""
    header = [_label(t, lang) for t in FIXED_HEADERS] + [_label(c.label, lang) for c in prepared.columns]
    yield (BOM + _csv_line(header)).encode("utf-8")
    cursor: str | None = None
    while True:
        rows, cursor = await page(ctx, prepared, cursor, batch)
        lines = [
            _csv_line(
                [
                    str(r.id),
                    r.line_user_id,
                    _cell(r.display_name, ctx),
                    _cell(r.name_override, ctx),
                    _label(STATUS_LABELS[r.status], lang) if r.status in STATUS_LABELS else r.status,
                    _cell(r.followed_at, ctx),
                    _cell(r.last_inbound_at, ctx),
                    *(_cell(r.columns.get(c.id), ctx) for c in prepared.columns),
                ]
            )
            for r in rows
        ]
        if lines:
            yield "".join(lines).encode("utf-8")
        if cursor is None:
            return


# --- profile -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileValue:
    key: str
    label: Text
    value_schema: Mapping[str, Any]
    value: Any


@dataclass(frozen=True, slots=True)
class ProfileSection:
    source: str
    plugin: str
    label: Text
    values: list[ProfileValue]


async def profile_sections(ctx: WorkspaceContext, friend_id: int) -> list[ProfileSection]:
    """Every enabled friend field source's values for one friend (describe, then one load per source)."""
    out = []
    for entry in ctx.host.registry.all("friend_fields", ctx.enabled_plugins):
        descriptors = list(await entry.item.describe(ctx))
        loaded = await entry.item.load(ctx, [friend_id], [d.key for d in descriptors]) if descriptors else {}
        values = loaded.get(friend_id, {})
        out.append(
            ProfileSection(
                entry.key,
                entry.plugin,
                entry.item.label,
                [ProfileValue(d.key, d.label, d.value_schema, values.get(d.key)) for d in descriptors],
            )
        )
    return out
