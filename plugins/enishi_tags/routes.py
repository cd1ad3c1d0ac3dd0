"""Workspace API under ``/api/workspaces/{workspace_id}/tags``.

The core mounts these behind the workspace guard (signed-in staff, 404 where the plugin is off, the
``permission`` named on each change) and injects ``ctx``, whose session is scoped to the workspace and committed
with the audit entry when the request succeeds. A record of another workspace is simply not found: 404.

    GET    /folders                      folders with their tag counts
    POST   /folders                      PATCH/DELETE /folders/{folder_id}
    GET    /?folder_id=&unfiled=&q=      tags with friend counts
    POST   /                             GET/PATCH/DELETE /{tag_id}
    GET    /friends/{friend_id}          a friend's tags
    PUT    /friends/{friend_id}/{tag_id} add one tag;  DELETE: remove it
    POST   /bulk                         add or remove tags on many friends at once
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from enishi import (
    Ctx,
    Friend,
    already_taken,
    flush_or_conflict,
    get_or_404,
    missing_ids,
    scenarios_broken_by,
    unknown_ids,
)
from enishi.api.errors import ApiError, invalid, not_found
from enishi.audit import add_details
from enishi_tags import service
from enishi_tags.models import Tag, TagFolder
from enishi_tags.permissions import ASSIGN, MANAGE
from enishi_tags.schemas import (
    AssignOut,
    BulkIn,
    BulkOut,
    FolderIn,
    FolderOut,
    FolderPatch,
    FriendTagOut,
    TagIn,
    TagOut,
    TagPatch,
    folder_out,
    friend_tag_out,
    tag_out,
)

AnyRequest = Request[Any, Any, Any]


class FolderController(Controller):
    path = "/folders"

    @get("/")
    async def list_folders(self, ctx: Ctx) -> list[FolderOut]:
        return [folder_out(f, n) for f, n in await service.folders_with_counts(ctx)]

    @post("/", permission=MANAGE, status_code=201)
    async def create_folder(self, request: AnyRequest, ctx: Ctx, data: JSONBody[FolderIn]) -> FolderOut:
        name = data.name.strip()
        if await service.name_taken(ctx, TagFolder, name, but=None):
            raise name_conflict()
        folder = TagFolder(name=name, sort_order=data.sort_order)
        ctx.session.add(folder)
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, folder=name)
        return folder_out(folder, 0)

    @patch("/{folder_id:int}", permission=MANAGE)
    async def update_folder(
        self, request: AnyRequest, ctx: Ctx, folder_id: FromPath[int], data: JSONBody[FolderPatch]
    ) -> FolderOut:
        folder = await ctx.session.get(TagFolder, folder_id)
        if folder is None:
            raise not_found("tag folder")
        if not isinstance(data.name, msgspec.UnsetType):
            name = data.name.strip()
            if await service.name_taken(ctx, TagFolder, name, but=folder.id):
                raise name_conflict()
            folder.name = name
        if not isinstance(data.sort_order, msgspec.UnsetType):
            folder.sort_order = data.sort_order
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, folder=folder.name, fields=changed_fields(data))
        [(_, count)] = await service.folders_with_counts(ctx, folder_id=folder.id)
        return folder_out(folder, count)

    @delete("/{folder_id:int}", permission=MANAGE)
    async def delete_folder(self, request: AnyRequest, ctx: Ctx, folder_id: FromPath[int]) -> None:
        """The folder's tags stay, without a folder (未分類)."""
        folder = await ctx.session.get(TagFolder, folder_id)
        if folder is None:
            raise not_found("tag folder")
        add_details(request, folder=folder.name)
        await ctx.session.delete(folder)


class TagController(Controller):
    path = "/"

    @get("/")
    async def list_tags(
        self,
        ctx: Ctx,
        folder_id: Annotated[int | None, QueryParameter(description="only the tags of this folder")] = None,
        unfiled: Annotated[bool, QueryParameter(description="only tags without a folder (未分類)")] = False,
        q: Annotated[str | None, QueryParameter(max_length=100, description="part of the name")] = None,
    ) -> list[TagOut]:
        found = await service.tags_with_counts(ctx, folder_id=folder_id, unfiled=unfiled, query=q)
        return [tag_out(t) for t in found]

    @post("/", permission=MANAGE, status_code=201)
    async def create_tag(self, request: AnyRequest, ctx: Ctx, data: JSONBody[TagIn]) -> TagOut:
        name = data.name.strip()
        if data.folder_id is not None and await ctx.session.get(TagFolder, data.folder_id) is None:
            raise invalid([{"path": "$.folder_id", "message": "フォルダが見つかりません / no such folder"}])
        if await service.name_taken(ctx, Tag, name, but=None):
            raise name_conflict()
        tag = Tag(
            name=name,
            color=data.color.lower(),
            folder_id=data.folder_id,
            description=data.description,
            sort_order=data.sort_order,
            pinned=data.pinned,
        )
        ctx.session.add(tag)
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, tag=name)
        return tag_out(service.TagCounts(tag, 0, 0))

    @get("/{tag_id:int}")
    async def show_tag(self, ctx: Ctx, tag_id: FromPath[int]) -> TagOut:
        found = await service.tags_with_counts(ctx, tag_id=tag_id)
        if not found:
            raise not_found("tag")
        return tag_out(found[0])

    @patch("/{tag_id:int}", permission=MANAGE)
    async def update_tag(
        self, request: AnyRequest, ctx: Ctx, tag_id: FromPath[int], data: JSONBody[TagPatch]
    ) -> TagOut:
        tag = await ctx.session.get(Tag, tag_id)
        if tag is None:
            raise not_found("tag")
        if not isinstance(data.folder_id, msgspec.UnsetType):
            if data.folder_id is not None and await ctx.session.get(TagFolder, data.folder_id) is None:
                raise invalid([{"path": "$.folder_id", "message": "フォルダが見つかりません / no such folder"}])
            tag.folder_id = data.folder_id
        if not isinstance(data.name, msgspec.UnsetType):
            name = data.name.strip()
            if await service.name_taken(ctx, Tag, name, but=tag.id):
                raise name_conflict()
            tag.name = name
        if not isinstance(data.color, msgspec.UnsetType):
            tag.color = data.color.lower()
        if not isinstance(data.description, msgspec.UnsetType):
            tag.description = data.description
        if not isinstance(data.sort_order, msgspec.UnsetType):
            tag.sort_order = data.sort_order
        if not isinstance(data.pinned, msgspec.UnsetType):
            tag.pinned = data.pinned
        await flush_or_conflict(ctx, name_conflict())
        add_details(request, tag=tag.name, fields=changed_fields(data))
        [counted] = await service.tags_with_counts(ctx, tag_id=tag.id)
        return tag_out(counted)

    @delete("/{tag_id:int}", permission=MANAGE)
    async def delete_tag(
        self,
        request: AnyRequest,
        ctx: Ctx,
        tag_id: FromPath[int],
        force: Annotated[bool, QueryParameter(description="delete even though running scenarios use the tag")] = False,
    ) -> None:
        """Deletes the tag and, by cascade, every friend's link to it (no tag_removed events).

        Refused (409 ``in_use``, naming the scenarios) while an active scenario's published version uses the tag,
        unless ``force``: those scenarios would otherwise go on with a condition or action pointing at nothing."""
        tag = await ctx.session.get(Tag, tag_id)
        if tag is None:
            raise not_found("tag")
        add_details(request, tag=tag.name)
        broken = await scenarios_broken_by(ctx, lambda: ctx.session.delete(tag))
        if broken and not force:
            raise ApiError(
                409,
                "in_use",
                "配信中のシナリオで使われています / running scenarios use this tag",
                [
                    {
                        "path": "$",
                        "scenario_id": str(b["scenario_id"]),
                        "message": f"シナリオ「{b['name']}」で使われています / used by the scenario {b['name']}",
                    }
                    for b in broken
                ],
            )
        if broken:
            add_details(request, broken_scenarios=[b["scenario_id"] for b in broken])

    @post("/bulk", permission=ASSIGN, status_code=200)
    async def bulk(self, request: AnyRequest, ctx: Ctx, data: JSONBody[BulkIn]) -> BulkOut:
        """Add or remove tags on a list of friends (a page of search results) in one statement; idempotent."""
        problems = unknown_ids(data.tag_ids, await missing_ids(ctx, Tag.id, data.tag_ids), "$.tag_ids")
        problems += unknown_ids(data.friend_ids, await missing_ids(ctx, Friend.id, data.friend_ids), "$.friend_ids")
        if problems:
            raise invalid(problems)
        change_links = service.add_tags if data.op == "add" else service.remove_tags
        change = await change_links(ctx, service.friends_by_id(data.friend_ids), data.tag_ids, source="bulk")
        add_details(
            request,
            op=data.op,
            tag_ids=sorted(set(data.tag_ids)),
            friends=len(set(data.friend_ids)),
            changed=change.links,
        )
        return BulkOut(op=data.op, changed=change.links, friends=change.friends, events_emitted=change.announced)


class FriendTagController(Controller):
    path = "/friends/{friend_id:int}"

    @get("/")
    async def list_friend_tags(self, ctx: Ctx, friend_id: FromPath[int]) -> list[FriendTagOut]:
        await get_or_404(ctx, Friend, friend_id, "friend")
        return [friend_tag_out(tag, link) for tag, link in await service.tags_of_friend(ctx, friend_id)]

    @put("/{tag_id:int}", permission=ASSIGN)
    async def add_friend_tag(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], tag_id: FromPath[int]
    ) -> AssignOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        tag = await get_or_404(ctx, Tag, tag_id, "tag")
        change = await service.add_tags(ctx, service.friends_by_id([friend_id]), [tag_id], source="manual")
        add_details(request, tag=tag.name, changed=change.links > 0)
        return AssignOut(friend_id, tag_id, change.links > 0)

    @delete("/{tag_id:int}", permission=ASSIGN, status_code=200)
    async def remove_friend_tag(
        self, request: AnyRequest, ctx: Ctx, friend_id: FromPath[int], tag_id: FromPath[int]
    ) -> AssignOut:
        await get_or_404(ctx, Friend, friend_id, "friend")
        tag = await get_or_404(ctx, Tag, tag_id, "tag")
        change = await service.remove_tags(ctx, service.friends_by_id([friend_id]), [tag_id], source="manual")
        add_details(request, tag=tag.name, changed=change.links > 0)
        return AssignOut(friend_id, tag_id, change.links > 0)


def name_conflict() -> ApiError:
    return already_taken("name", "同じ名前が既にあります / the name is already taken")


def changed_fields(data: msgspec.Struct) -> list[str]:
    return sorted(k for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET)
