"""The media library's operations, for its routes and for plugins (through ``enishi.media``).

A file is converted (see :mod:`enishi.media.convert`) before anything is stored, then its objects are written and
its row added in the caller's transaction; a row is what makes a file served, so a file whose transaction rolled
back is never reachable. Deleting removes the row at once and the objects once the deletion has committed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from enishi.context import WorkspaceContext
from enishi.models.media import MediaAsset
from enishi.settings import Settings

if TYPE_CHECKING:
    from enishi.media.storage import ObjectStorage

log = logging.getLogger("enishi.media")
PUBLIC_PATH = "/media"
_storages: dict[tuple[str, ...], ObjectStorage] = {}
_background: set[asyncio.Task[Any]] = set()
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "mp4": "video/mp4"}


def storage(settings: Settings) -> ObjectStorage:
    """The storage backend the settings name; one per configuration, so S3 connections are reused."""
    key = (str(settings.data_dir), *(v for k, v in sorted(settings.extra.items()) if k.startswith("ENISHI_MEDIA_S3_")))
    found = _storages.get(key)
    if found is None:
        from enishi.media.storage import storage_from_settings  # obstore, loaded when media is first used

        found = _storages[key] = storage_from_settings(settings)
    return found


def base_url(settings: Settings) -> str:
    """Where LINE fetches the files: ENISHI_MEDIA_PUBLIC_URL (e.g. a CDN or the bucket's public address), else this
    app's public URL, which serves them itself. LINE only fetches https URLs."""
    explicit = settings.extra.get("ENISHI_MEDIA_PUBLIC_URL", "").strip().rstrip("/")
    return explicit or f"{settings.public_url}{PUBLIC_PATH}"


def object_name(asset: MediaAsset, preview: bool = False) -> str:
    return f"{asset.key}-preview.{asset.preview_extension}" if preview else f"{asset.key}.{asset.extension}"


def content_type_of(name: str) -> str | None:
    return _TYPES.get(name.rsplit(".", 1)[-1]) if "." in name else None


@dataclass(frozen=True, slots=True)
class MediaUrls:
    original: str  # originalContentUrl
    preview: str  # previewImageUrl


def urls(settings: Settings, asset: MediaAsset) -> MediaUrls:
    base = base_url(settings)
    return MediaUrls(f"{base}/{object_name(asset)}", f"{base}/{object_name(asset, preview=True)}")


def line_message(settings: Settings, asset: MediaAsset) -> dict[str, Any]:
    """The LINE image or video message that sends the asset."""
    found = urls(settings, asset)
    return {"type": asset.kind, "originalContentUrl": found.original, "previewImageUrl": found.preview}


async def add(
    ctx: WorkspaceContext,
    content: bytes,
    name: str,
    *,
    preview: bytes | None = None,
    source: str = "upload",
    message_id: int | None = None,
) -> MediaAsset:
    """Convert and store a file (raises ``MediaRefused`` with a message for people when it cannot be LINE media)."""
    from enishi.media.convert import convert_in_thread  # Pillow, loaded when media is first used

    converted = await convert_in_thread(content, preview)
    asset = MediaAsset(
        workspace_id=ctx.workspace_id,
        key=secrets.token_urlsafe(24),
        kind=converted.kind,
        name=(name.strip() or "file")[:255],
        content_type=converted.content_type,
        extension=converted.extension,
        size=len(converted.content),
        preview_extension="png" if converted.preview_type == "image/png" else "jpg",
        width=converted.width,
        height=converted.height,
        preview_note=converted.preview_note,
        source=source,
        message_id=message_id,
        created_by_user_id=ctx.actor_user_id,
    )
    backend = storage(ctx.settings)
    await backend.put(object_name(asset), converted.content, converted.content_type)
    await backend.put(object_name(asset, preview=True), converted.preview, converted.preview_type)
    ctx.session.add(asset)
    await ctx.session.flush()
    return asset


async def find(ctx: WorkspaceContext, asset_id: int) -> MediaAsset | None:
    return await ctx.session.get(MediaAsset, asset_id)


async def by_urls(ctx: WorkspaceContext, addresses: list[str]) -> list[MediaAsset]:
    """The workspace's assets whose original or preview URL is among ``addresses`` (e.g. a message's)."""
    base = base_url(ctx.settings) + "/"
    keys = {a.removeprefix(base).split(".")[0].removesuffix("-preview") for a in addresses if a.startswith(base)}
    if not keys:
        return []
    return list(await ctx.session.scalars(select(MediaAsset).where(MediaAsset.key.in_(keys))))


async def remove(ctx: WorkspaceContext, asset: MediaAsset) -> None:
    """Delete the row now and its objects once the transaction commits (never the objects of a rolled-back one).

    Messages already sent keep their URLs: LINE stores what it fetched, but a friend opening an old message after
    the file is gone may see it missing.
    """
    names = [object_name(asset), object_name(asset, preview=True)]
    await ctx.session.delete(asset)
    _after_commit(ctx.session, storage(ctx.settings), names)


def _after_commit(session: AsyncSession, backend: ObjectStorage, names: list[str]) -> None:
    def remove_objects(_: Session) -> None:
        task = asyncio.get_running_loop().create_task(_delete_quietly(backend, names))
        _background.add(task)
        task.add_done_callback(_background.discard)

    event.listen(session.sync_session, "after_commit", remove_objects, once=True)


async def _delete_quietly(backend: ObjectStorage, names: list[str]) -> None:
    for name in names:
        try:
            await backend.delete(name)
        except Exception:
            log.exception("could not delete %s from %s (the row is gone; the object is unreachable)", name,
                          backend.description)  # fmt: skip
