"""Friend list routes under ``/api/workspaces/{workspace_id}/friends``: search, count, CSV, profile and tabs.

    POST /search            a keyset page of friends with their columns (segment, exclude, text, status, sort)
    POST /count             how many friends the same filters find (one COUNT)
    GET|POST /export.csv    the whole result as CSV (UTF-8 with BOM for Excel), streamed in batches
    GET  /columns           the columns friend field sources offer, and the default ones (pinned tags)
    GET  /{friend_id}       a friend with every friend field source's values
    PATCH /{friend_id}      what staff keep on the friend (管理用の名前)
    GET|POST /tabs          saved segments (tabs): shared, or private to their owner
    GET|PATCH|DELETE /tabs/{tab_id}, PUT /tabs/order

Searching and counting only read: they run on a read session of their own and are not audited. An export is
audited (who took which list of customers out), whether asked for with GET or POST.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from sqlalchemy import func, or_, select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.params import Access, Ctx
from enishi.api.services import services_of
from enishi.audience import search as friend_search
from enishi.audience.search import BadCursor, Column, InvalidSearch, Prepared, Search
from enishi.audience.segments import EVERYONE
from enishi.audit import AUDITED_FLAG, add_details, entry_for
from enishi.context import WorkspaceContext
from enishi.db.base import utcnow
from enishi.models import Friend, SavedSegment
from enishi.models.friends import NAME_OVERRIDE_MAX
from enishi.schema_validation import SchemaProblem
from enishi.tenancy.access import WorkspaceAccess

AnyRequest = Request[Any, Any, Any]
SEARCH = "core.search_friends"
EXPORT = "core.export_friends"
MAX_TABS = 200
MAX_COLUMNS = 100

ColumnId = Annotated[str, msgspec.Meta(min_length=3, max_length=300)]
Columns = Annotated[list[ColumnId], msgspec.Meta(max_length=MAX_COLUMNS)]
TabName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Status = Literal["following", "blocked", "all"]
NameOverride = Annotated[str, msgspec.Meta(max_length=NAME_OVERRIDE_MAX, pattern=r"^[^\x00-\x1f\x7f]*$")]


class SortIn(msgspec.Struct, forbid_unknown_fields=True):
    by: Annotated[str, msgspec.Meta(min_length=1, max_length=310)] = "id"
    direction: Literal["asc", "desc"] = "asc"


class FiltersIn(msgspec.Struct, forbid_unknown_fields=True):
    segment: dict[str, Any] | None = None
    exclude: dict[str, Any] | None = None
    text: Annotated[str, msgspec.Meta(max_length=friend_search.TEXT_MAX)] | None = None
    status: Status = "following"
    sort: SortIn = msgspec.field(default_factory=SortIn)
    columns: Columns | None = None  # omitted: the default columns (pinned tags)


class SearchIn(FiltersIn, forbid_unknown_fields=True):
    after: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class ExportIn(FiltersIn, forbid_unknown_fields=True):
    lang: Literal["ja", "en"] = "ja"


class ColumnOut(msgspec.Struct):
    id: str  # "<source>.<key>": what ``columns`` and ``sort.by`` ("field:<id>") take
    source: str
    plugin: str
    key: str
    label: dict[str, str]
    value_schema: dict[str, Any]
    sortable: bool
    shown_by_default: bool


class ColumnsOut(msgspec.Struct):
    default: list[str]
    available: list[ColumnOut]
    sorts: list[str]  # the core's own sort keys; sortable columns add "field:<id>"


class FriendItem(msgspec.Struct):
    id: int
    display_name: str  # the LINE name
    name_override: str | None  # 管理用の名前: shown instead of the LINE name when set
    picture_url: str | None
    status: str
    followed_at: datetime
    last_inbound_at: datetime | None
    columns: dict[str, Any]


class SearchOut(msgspec.Struct):
    items: list[FriendItem]
    next: str | None  # pass as ``after`` for the next page; null on the last page
    columns: list[ColumnOut]  # the columns each item carries, in order


class CountOut(msgspec.Struct):
    count: int


class ProfileValueOut(msgspec.Struct):
    key: str
    label: dict[str, str]
    value_schema: dict[str, Any]
    value: Any


class ProfileSectionOut(msgspec.Struct):
    source: str
    plugin: str
    label: dict[str, str]
    values: list[ProfileValueOut]


class ProfileOut(msgspec.Struct):
    id: int
    line_user_id: str
    display_name: str
    name_override: str | None
    picture_url: str | None
    status_message: str | None
    language: str | None
    status: str
    followed_at: datetime
    blocked_at: datetime | None
    last_inbound_at: datetime | None
    fields: list[ProfileSectionOut]


class FriendPatch(msgspec.Struct, forbid_unknown_fields=True):
    # 管理用の名前: one line; blank (or null) clears it. Leading and trailing spaces are dropped.
    name_override: NameOverride | msgspec.UnsetType | None = msgspec.UNSET


class TabIn(msgspec.Struct, forbid_unknown_fields=True):
    name: TabName
    segment: dict[str, Any] | None = None  # omitted: every friend
    exclude: dict[str, Any] | None = None
    status: Status = "following"
    columns: Columns | None = None
    sort: SortIn = msgspec.field(default_factory=SortIn)
    private: bool = False  # only its creator sees it


class TabPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: TabName | msgspec.UnsetType = msgspec.UNSET
    segment: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    exclude: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
    status: Status | msgspec.UnsetType = msgspec.UNSET
    columns: Columns | msgspec.UnsetType | None = msgspec.UNSET
    sort: SortIn | msgspec.UnsetType = msgspec.UNSET
    private: bool | msgspec.UnsetType = msgspec.UNSET


class TabOrderIn(msgspec.Struct, forbid_unknown_fields=True):
    ids: Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=MAX_TABS)]


class TabOut(msgspec.Struct):
    id: int
    name: str
    segment: dict[str, Any]
    exclude: dict[str, Any] | None
    status: str
    columns: list[str] | None
    sort: dict[str, str]
    private: bool
    position: int
    # What stops the tab from running now (a deleted tag, a plugin turned off …), with paths into the tab.
    problems: list[dict[str, str]]
    created_at: datetime
    updated_at: datetime


# --- helpers -------------------------------------------------------------------------------------------------


@asynccontextmanager
async def reading(request: AnyRequest, access: WorkspaceAccess) -> AsyncIterator[WorkspaceContext]:
    """A workspace context on a read-only session of its own (no write lock, no audit entry)."""
    services = services_of(request)
    async with services.db.session(access.workspace_id) as session:
        yield WorkspaceContext(
            workspace_id=access.workspace_id,
            session=session,
            host=services.host,
            settings=services.settings,
            jobs=services.jobs,
            enabled_plugins=access.enabled_plugins,
            timezone=access.workspace.timezone,
            actor_user_id=request.auth.user.id,
            plugin_settings=access.plugin_settings,
        )


def search_of(data: FiltersIn) -> Search:
    return Search(
        segment=data.segment,
        exclude=data.exclude,
        text=data.text,
        status=data.status,
        sort_by=data.sort.by,
        direction=data.sort.direction,
        columns=data.columns,
    )


def tab_search(tab: SavedSegment, text: str | None = None) -> Search:
    sort = tab.sort or {}
    return Search(
        segment=tab.segment,
        exclude=tab.exclude,
        text=text,
        status=tab.status,
        sort_by=str(sort.get("by", "id")),
        direction=str(sort.get("direction", "asc")),
        columns=tab.columns,
    )


async def prepared(ctx: WorkspaceContext, search: Search) -> Prepared:
    try:
        return await friend_search.prepare(ctx, search)
    except InvalidSearch as exc:
        raise invalid(exc.problems) from None


def column_out(c: Column) -> ColumnOut:
    return ColumnOut(
        id=c.id,
        source=c.source,
        plugin=c.plugin,
        key=c.key,
        label=c.label.as_dict(),
        value_schema=dict(c.descriptor.value_schema),
        sortable=c.sortable,
        shown_by_default=c.descriptor.shown_by_default,
    )


async def profile_out(ctx: WorkspaceContext, friend: Friend) -> ProfileOut:
    sections = await friend_search.profile_sections(ctx, friend.id)
    return ProfileOut(
        id=friend.id,
        line_user_id=friend.line_user_id,
        display_name=friend.display_name,
        name_override=friend.name_override,
        picture_url=friend.picture_url,
        status_message=friend.status_message,
        language=friend.language,
        status=friend.status,
        followed_at=friend.followed_at,
        blocked_at=friend.blocked_at,
        last_inbound_at=friend.last_inbound_at,
        fields=[
            ProfileSectionOut(
                s.source,
                s.plugin,
                s.label.as_dict(),
                [ProfileValueOut(v.key, v.label.as_dict(), dict(v.value_schema), v.value) for v in s.values],
            )
            for s in sections
        ],
    )


def bad_cursor() -> ApiError:
    return ApiError(400, "bad_cursor", "the cursor is not valid", [{"path": "$.after", "message": "bad cursor"}])


def visible_tabs(user_id: int) -> Any:
    return or_(SavedSegment.owner_user_id.is_(None), SavedSegment.owner_user_id == user_id)


async def find_tab(ctx: WorkspaceContext, tab_id: int, user_id: int) -> SavedSegment:
    """A tab the caller may see: another staff member's private tab is not found, like a missing one."""
    tab = await ctx.session.scalar(select(SavedSegment).where(SavedSegment.id == tab_id, visible_tabs(user_id)))
    if tab is None:
        raise not_found("tab")
    return tab


async def tab_problems(ctx: WorkspaceContext, search: Search) -> list[SchemaProblem]:
    try:
        await friend_search.prepare(ctx, search)
    except InvalidSearch as exc:
        return exc.problems
    return []


async def tab_out(ctx: WorkspaceContext, tab: SavedSegment) -> TabOut:
    problems = await tab_problems(ctx, tab_search(tab))
    return TabOut(
        id=tab.id,
        name=tab.name,
        segment=tab.segment,
        exclude=tab.exclude,
        status=tab.status,
        columns=tab.columns,
        sort=dict(tab.sort),
        private=tab.owner_user_id is not None,
        position=tab.position,
        problems=[p.as_dict() for p in problems],
        created_at=tab.created_at,
        updated_at=tab.updated_at,
    )


def sort_dict(sort: SortIn) -> dict[str, str]:
    return {"by": sort.by, "direction": sort.direction}


async def audit_export(request: AnyRequest, **details: Any) -> None:
    """An export is recorded before the file streams, in its own transaction (the list is personal data)."""
    add_details(request, **details)
    async with services_of(request).db.transaction() as session:
        session.add(entry_for(request, 200))
    request.state[AUDITED_FLAG] = True


def csv_stream(request: AnyRequest, access: WorkspaceAccess, search: Search, lang: str) -> Stream:
    filename = f"friends-{utcnow().strftime('%Y%m%d-%H%M%S')}.csv"

    async def body() -> AsyncIterator[bytes]:
        # The request's own session may be closed by the time the response streams: this one lives as long.
        async with reading(request, access) as ctx:
            ready = await friend_search.prepare(ctx, search)
            async for chunk in friend_search.export_csv(ctx, ready, lang):
                yield chunk

    return Stream(
        body(),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to a text type
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# --- routes --------------------------------------------------------------------------------------------------


class FriendController(Controller):
    path = "/friends"
    tags = ("friends",)

    @post("/search", status_code=200, permission=SEARCH, audit=False)
    async def search(self, request: AnyRequest, access: Access, data: JSONBody[SearchIn]) -> SearchOut:
        async with reading(request, access) as ctx:
            ready = await prepared(ctx, search_of(data))
            try:
                rows, cursor = await friend_search.page(ctx, ready, data.after, data.limit)
            except BadCursor:
                raise bad_cursor() from None
            items = [
                FriendItem(
                    r.id,
                    r.display_name,
                    r.name_override,
                    r.picture_url,
                    r.status,
                    r.followed_at,
                    r.last_inbound_at,
                    r.columns,
                )
                for r in rows
            ]
            return SearchOut(items, cursor, [column_out(c) for c in ready.columns])

    @post("/count", status_code=200, permission=SEARCH, audit=False)
    async def count(self, request: AnyRequest, access: Access, data: JSONBody[FiltersIn]) -> CountOut:
        async with reading(request, access) as ctx:
            return CountOut(await friend_search.count(ctx, await prepared(ctx, search_of(data))))

    @post("/export.csv", status_code=200, permission=EXPORT, media_type="text/csv")
    async def export_posted(self, request: AnyRequest, access: Access, data: JSONBody[ExportIn]) -> Stream:
        search = search_of(data)
        async with reading(request, access) as ctx:
            ready = await prepared(ctx, search)
        await audit_export(request, columns=[c.id for c in ready.columns], status=data.status)
        return csv_stream(request, access, search, data.lang)

    @get("/export.csv", permission=EXPORT, media_type="text/csv")
    async def export(
        self,
        request: AnyRequest,
        access: Access,
        tab: Annotated[int | None, QueryParameter(ge=1, description="a saved tab's id")] = None,
        status: Annotated[Status, QueryParameter(description="without a tab")] = "following",
        text: Annotated[str | None, QueryParameter(max_length=friend_search.TEXT_MAX)] = None,
        lang: Annotated[Literal["ja", "en"], QueryParameter(description="header language")] = "ja",
    ) -> Stream:
        """A saved tab (``?tab=``) or every friend of a follow state, as CSV; a link the browser can download."""
        async with reading(request, access) as ctx:
            if tab is not None:
                search = tab_search(await find_tab(ctx, tab, request.auth.user.id), text)
            else:
                search = Search(status=status, text=text)
            ready = await prepared(ctx, search)
        await audit_export(request, tab=tab, columns=[c.id for c in ready.columns], status=search.status)
        return csv_stream(request, access, search, lang)

    @get("/columns")
    async def columns(self, ctx: Ctx) -> ColumnsOut:
        available = await friend_search.available_columns(ctx)
        return ColumnsOut(
            default=[c.id for c in friend_search.default_columns(available)],
            available=[column_out(c) for c in available],
            sorts=list(friend_search.CORE_SORTS),
        )

    @get("/{friend_id:int}")
    async def profile(self, ctx: Ctx, friend_id: FromPath[int]) -> ProfileOut:
        """A friend with every friend field source's values (another workspace's friend is not found)."""
        friend = await ctx.session.get(Friend, friend_id)
        if friend is None:
            raise not_found("friend")
        return await profile_out(ctx, friend)

    @patch("/{friend_id:int}")
    async def update_friend(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], data: JSONBody[FriendPatch]
    ) -> ProfileOut:
        """Sets what staff keep about the friend themselves: the 管理用の名前 (blank clears it)."""
        friend = await ctx.session.get(Friend, friend_id)
        if friend is None:
            raise not_found("friend")
        if data.name_override is not msgspec.UNSET:
            friend.name_override = (data.name_override or "").strip() or None
            add_details(request, friend_id=friend.id, name_override=friend.name_override)
        await ctx.session.flush()
        return await profile_out(ctx, friend)

    # -- tabs (saved segments) ------------------------------------------------------------------------------

    @get("/tabs")
    async def list_tabs(self, request: AnyRequest, ctx: Ctx) -> list[TabOut]:
        tabs = await ctx.session.scalars(
            select(SavedSegment)
            .where(visible_tabs(request.auth.user.id))
            .order_by(SavedSegment.position, SavedSegment.id)
        )
        return [await tab_out(ctx, t) for t in tabs]

    @get("/tabs/{tab_id:int}")
    async def show_tab(self, request: AnyRequest, ctx: Ctx, tab_id: FromPath[int]) -> TabOut:
        return await tab_out(ctx, await find_tab(ctx, tab_id, request.auth.user.id))

    @post("/tabs", status_code=201)
    async def create_tab(self, request: AnyRequest, ctx: Ctx, data: JSONBody[TabIn]) -> TabOut:
        segment = data.segment if data.segment is not None else dict(EVERYONE)
        search = Search(
            segment=segment,
            exclude=data.exclude,
            status=data.status,
            sort_by=data.sort.by,
            direction=data.sort.direction,
            columns=data.columns,
        )
        problems = await tab_problems(ctx, search)
        if problems:
            raise invalid(problems)
        if (await ctx.session.scalar(select(func.count()).select_from(SavedSegment)) or 0) >= MAX_TABS:
            raise ApiError(409, "too_many_tabs", f"タブは{MAX_TABS}個までです / at most {MAX_TABS} tabs")
        last = await ctx.session.scalar(select(func.max(SavedSegment.position)))
        user_id = request.auth.user.id
        tab = SavedSegment(
            name=data.name.strip(),
            segment=segment,
            exclude=data.exclude,
            status=data.status,
            columns=data.columns,
            sort=sort_dict(data.sort),
            owner_user_id=user_id if data.private else None,
            position=(last if last is not None else -1) + 1,
            created_by_user_id=user_id,
        )
        ctx.session.add(tab)
        await ctx.session.flush()
        add_details(request, tab_id=tab.id, tab=tab.name, private=data.private)
        return await tab_out(ctx, tab)

    @patch("/tabs/{tab_id:int}")
    async def update_tab(
        self, request: AnyRequest, ctx: Ctx, tab_id: FromPath[int], data: JSONBody[TabPatch]
    ) -> TabOut:
        """Changes what is given; the parts given are checked (a tab with an old problem can still be renamed)."""
        user_id = request.auth.user.id
        tab = await find_tab(ctx, tab_id, user_id)
        changed = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        sort = data.sort if isinstance(data.sort, SortIn) else None
        check = Search(
            segment=data.segment if isinstance(data.segment, dict) else None,
            exclude=data.exclude if isinstance(data.exclude, dict) else None,
            sort_by=sort.by if sort else "id",
            direction=sort.direction if sort else "asc",
            columns=data.columns if isinstance(data.columns, list) else None,
        )
        problems = await tab_problems(ctx, check)
        if problems:
            raise invalid(problems)
        if "name" in changed:
            tab.name = changed["name"].strip()
        if "segment" in changed:
            tab.segment = changed["segment"]
        if "exclude" in changed:
            tab.exclude = changed["exclude"]
        if "status" in changed:
            tab.status = changed["status"]
        if "columns" in changed:
            tab.columns = changed["columns"]
        if sort is not None:
            tab.sort = sort_dict(sort)
        if "private" in changed and changed["private"] != (tab.owner_user_id is not None):
            # Making a shared tab private hides it from everyone else: only the staff member who made it may.
            if tab.owner_user_id is None and tab.created_by_user_id != user_id:
                raise ApiError(
                    403,
                    "forbidden",
                    "共有タブを非公開にできるのは作成者だけです / only its creator may make a shared tab private",
                    [{"path": "$.private", "message": "not the creator"}],
                )
            tab.owner_user_id = user_id if changed["private"] else None
        tab.updated_at = utcnow()
        await ctx.session.flush()
        add_details(request, tab_id=tab.id, tab=tab.name, fields=sorted(changed))
        return await tab_out(ctx, tab)

    @delete("/tabs/{tab_id:int}", status_code=204)
    async def delete_tab(self, request: AnyRequest, ctx: Ctx, tab_id: FromPath[int]) -> None:
        tab = await find_tab(ctx, tab_id, request.auth.user.id)
        add_details(request, tab_id=tab.id, tab=tab.name)
        await ctx.session.delete(tab)

    @put("/tabs/order")
    async def reorder_tabs(self, request: AnyRequest, ctx: Ctx, data: JSONBody[TabOrderIn]) -> list[TabOut]:
        """The caller's tabs in a new order: every tab they see, each once. Other staff's private tabs keep
        their places, so the visible tabs trade the positions they held."""
        tabs = list(
            await ctx.session.scalars(
                select(SavedSegment)
                .where(visible_tabs(request.auth.user.id))
                .order_by(SavedSegment.position, SavedSegment.id)
            )
        )
        by_id = {t.id: t for t in tabs}
        problems: list[dict[str, str]] = []
        seen: set[int] = set()
        for i, tab_id in enumerate(data.ids):
            if tab_id not in by_id:
                problems.append({"path": f"$.ids[{i}]", "message": "タブが見つかりません / no such tab"})
            elif tab_id in seen:
                problems.append({"path": f"$.ids[{i}]", "message": "重複しています / listed twice"})
            seen.add(tab_id)
        missing = [t.id for t in tabs if t.id not in seen]
        if missing:
            problems.append({"path": "$.ids", "message": f"すべてのタブを並べてください / missing tabs {missing}"})
        if problems:
            raise invalid(problems)
        slots = sorted(t.position for t in tabs)
        # Equal positions (never written by us, but possible) would make the order ambiguous: spread them.
        if len(set(slots)) < len(slots):
            slots = [slots[0] + i for i in range(len(slots))]
        for position, tab_id in zip(slots, data.ids, strict=True):
            by_id[tab_id].position = position
        await ctx.session.flush()
        add_details(request, order=list(data.ids))
        ordered = [by_id[i] for i in data.ids]
        return [await tab_out(ctx, t) for t in ordered]
