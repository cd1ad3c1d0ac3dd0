"""The media library's API under ``/api/workspaces/{workspace_id}/media`` and the public files LINE fetches.

GET    /media?kind=&after=&limit=        the library, newest first, by keyset
POST   /media                            upload (multipart: ``file``, optional ``preview`` for a video)
POST   /media/from-message/{message_id}  save the image or video a friend sent (once it was fetched)
GET    /media/{media_id}                 one file
DELETE /media/{media_id}                 remove it (its public URLs stop answering)

GET    /media/{name}                     (outside the API, no sign-in) the file itself, for LINE and browsers
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, Parameter, QueryParameter
from sqlalchemy import select

from enishi.api.errors import ApiError, invalid, not_found
from enishi.api.pagination import Page, encode_cursor, read_cursor
from enishi.api.params import AppServices, Ctx
from enishi.audit import add_details
from enishi.context import WorkspaceContext
from enishi.media import library
from enishi.media.limits import VIDEO_MAX_BYTES, MediaRefused
from enishi.models import Message
from enishi.models.media import MediaAsset
from enishi.security_headers import SANDBOX_CSP

AnyRequest = Request[Any, Any, Any]
Limit = Annotated[int, Parameter(ge=1, le=200)]
# The largest file LINE takes (a video) and a preview image, plus the multipart framing.
UPLOAD_BODY_LIMIT = VIDEO_MAX_BYTES + 2 * 1024 * 1024
PUBLIC_NAME = re.compile(r"^[A-Za-z0-9_-]{32}(-preview)?\.(jpg|png|mp4)$")
# Names are unguessable and never reused, so a file never changes: caches may keep it for good.
PUBLIC_CACHE = "public, max-age=31536000, immutable"


class MediaOut(msgspec.Struct):
    id: int
    kind: str  # image | video
    name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    url: str  # originalContentUrl
    preview_url: str  # previewImageUrl
    # This app's own address of the preview, for the console to show whatever serves LINE.
    view_url: str
    preview_note: str | None
    source: str  # upload | inbox
    created_at: datetime


def media_out(ctx: WorkspaceContext, asset: MediaAsset) -> MediaOut:
    urls = library.urls(ctx.settings, asset)
    return MediaOut(
        id=asset.id,
        kind=asset.kind,
        name=asset.name,
        content_type=asset.content_type,
        size=asset.size,
        width=asset.width,
        height=asset.height,
        url=urls.original,
        preview_url=urls.preview,
        view_url=f"{library.PUBLIC_PATH}/{library.object_name(asset, preview=True)}",
        preview_note=asset.preview_note,
        source=asset.source,
        created_at=asset.created_at,
    )


def refused(exc: MediaRefused, path: str) -> ApiError:
    code = "too_large" if exc.status == 413 else "invalid"
    return ApiError(exc.status, code, str(exc), [{"path": path, "message": str(exc)}])


async def _upload_bytes(part: Any, path: str, required: bool) -> tuple[bytes, str] | None:
    if not isinstance(part, UploadFile):
        if part is None and not required:
            return None
        raise invalid([{"path": path, "message": "ファイルを添付してください / attach a file"}])
    return await part.read(), part.filename or ""


class MediaController(Controller):
    path = "/media"
    tags = ("media",)

    @get("/")
    async def list_media(
        self,
        ctx: Ctx,
        kind: Annotated[Literal["image", "video"] | None, QueryParameter(description="only images or videos")] = None,
        after: Annotated[str | None, QueryParameter(description="`next` of the previous page")] = None,
        limit: Limit = 50,
    ) -> Page[MediaOut]:
        query = select(MediaAsset).order_by(MediaAsset.id.desc()).limit(limit + 1)
        if kind is not None:
            query = query.where(MediaAsset.kind == kind)
        if (last := read_cursor(after, int)) is not None:
            query = query.where(MediaAsset.id < last)
        rows = list(await ctx.session.scalars(query))
        page = rows[:limit]
        return Page([media_out(ctx, a) for a in page], encode_cursor(page[-1].id) if len(rows) > limit else None)

    @post("/", permission="core.write", status_code=201, request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload_media(
        self,
        request: AnyRequest,
        ctx: Ctx,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> MediaOut:
        """An image (JPEG, PNG, or another format converted to them, up to 10 MB) or an MP4 video (up to 200 MB)
        with an optional ``preview`` image; refused with the field's problem when LINE could not show it."""
        upload = await _upload_bytes(data.get("file"), "$.file", required=True)
        assert upload is not None
        content, name = upload
        preview = await _upload_bytes(data.get("preview"), "$.preview", required=False)
        try:
            asset = await library.add(ctx, content, name, preview=preview[0] if preview else None)
        except MediaRefused as exc:
            raise refused(exc, f"$.{exc.field}") from None
        add_details(request, media=asset.name, kind=asset.kind, size=asset.size)
        return media_out(ctx, asset)

    @post("/from-message/{message_id:int}", permission="core.write", status_code=201)
    async def save_message_media(
        self, request: AnyRequest, ctx: Ctx, services: AppServices, message_id: FromPath[int]
    ) -> MediaOut:
        """The image or video a friend sent, into the library (the inbox fetched it from LINE first)."""
        from enishi.line import media as line_media

        message = await ctx.session.get(Message, message_id)
        if message is None or message.kind not in ("image", "video") or message.direction != "in":
            raise not_found("image or video message")
        existing = await ctx.session.scalar(select(MediaAsset).where(MediaAsset.message_id == message_id))
        if existing is not None:
            return media_out(ctx, existing)
        meta = line_media.stored(services.settings, message.workspace_id, message.id)
        if meta is None or "error" in meta:
            raise ApiError(
                409,
                "content_not_fetched",
                "まだ LINE から受け取っていません。トークで開いてから保存してください"
                " / the content has not been fetched from LINE yet: open it in the talk first",
            )
        content = line_media.content_path(services.settings, message.workspace_id, message.id).read_bytes()
        name = f"{message.kind}-{message.id}"
        try:
            asset = await library.add(ctx, content, name, source="inbox", message_id=message.id)
        except MediaRefused as exc:
            raise refused(exc, "$.message_id") from None
        add_details(request, media=asset.name, kind=asset.kind, message_id=message.id)
        return media_out(ctx, asset)

    @get("/{media_id:int}")
    async def show_media(self, ctx: Ctx, media_id: FromPath[int]) -> MediaOut:
        asset = await library.find(ctx, media_id)
        if asset is None:
            raise not_found("media")
        return media_out(ctx, asset)

    @delete("/{media_id:int}", permission="core.write")
    async def delete_media(self, request: AnyRequest, ctx: Ctx, media_id: FromPath[int]) -> None:
        """Messages sent before keep their URLs; once deleted, those stop answering."""
        asset = await library.find(ctx, media_id)
        if asset is None:
            raise not_found("media")
        add_details(request, media=asset.name, kind=asset.kind)
        await library.remove(ctx, asset)


@get(f"{library.PUBLIC_PATH}/{{name:str}}", include_in_schema=False)
async def public_media(services: AppServices, name: FromPath[str]) -> Response[bytes]:
    """A library file for LINE's servers and friends' phones: no sign-in, the unguessable name is the key."""
    if not PUBLIC_NAME.match(name):
        raise NotFoundException()
    key = name.split(".")[0].removesuffix("-preview")
    async with services.db.session() as session:
        exists = await session.scalar(select(MediaAsset.id).where(MediaAsset.key == key))
    content_type = library.content_type_of(name)
    content = await library.storage(services.settings).get(name) if exists is not None else None
    if content is None or content_type is None:
        raise NotFoundException()
    return Response(
        content,
        media_type=content_type,
        headers={
            "Cache-Control": PUBLIC_CACHE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SANDBOX_CSP,
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )
